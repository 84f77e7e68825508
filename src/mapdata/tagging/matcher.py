"""Countries and organisations in text: one Aho-Corasick pass over the gazetteer's phrases, then the context
rules that tell a person from a place, a look-alike from its namesake, a city from its smaller twin."""

from __future__ import annotations

import functools
import re

import ahocorasick_rs

from .. import gazetteer
from ..gazetteer import Entry, Gazetteer
from ..models import Tag
from ..textfold import fold

TITLES = frozenset({"Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Miss", "Sir", "Lady", "Coach"})
# A capitalised word after a first name that still makes a place ("Jordan Valley", "Chad Basin").
PLACE_WORDS = frozenset(
    "Valley River Basin Lake Sea Gulf Strait Coast Border Street Avenue Square Road County Province Region State "
    "Republic Kingdom Government Ministry Army Navy Air Force Forces Police Parliament Embassy Capital City Oblast Krai".split()
)
_NAME_PREFIX = re.compile(r"(?<![A-Za-z])(?:[Aa]l|[Ee]l|[Nn]on|NON)-\Z")
_WORD = re.compile(r"[\w.'’-]+")

# Building Tags with tuple.__new__ skips NamedTuple's Python-level __new__: a third of the per-tag cost.
_new_tag = functools.partial(tuple.__new__, Tag)


class ActorTagger:
    """Finds countries and organisations in text with one Aho-Corasick pass and context rules."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        patterns: dict[str, tuple[str, Entry]] = {key: (key, entry) for key, entry in gaz.entries.items()}
        for key, entry in gaz.entries.items():
            # ALL-CAPS headlines and datelines ("BEIRUT (AP)") name places too
            if len(key) >= 4 and entry.kind != "organisation":
                patterns.setdefault(key.upper(), (key, entry))
        self._values = list(patterns.values())
        self.automaton = ahocorasick_rs.AhoCorasick(
            list(patterns),
            matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
            # measured fastest here on 70,000 patterns (bench/tagging.py), and quick to build
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )
        self._cues = {key: _cue_pattern(look.cues) for key, look in gaz.lookalikes.items()}

    def _hits(self, folded: str) -> list[tuple[int, int, str, Entry]]:
        size = len(folded)
        values = self._values
        hits = []
        for index, start, end in self.automaton.find_matches_as_indexes(folded):
            if start and folded[start - 1].isalnum():
                continue
            if folded[end - 1] == "-":
                # a combining form, written with its hyphen in data/ ("Franco-" of "a Franco-German plan"): the
                # hyphen and a capital after it are what tell it from the surname ("Franco regime", "Franco-era")
                if end < size and folded[end].isupper():
                    hits.append((start, end - 1, *values[index]))
                continue
            if end < size and folded[end].isalnum():
                # leftmost-longest took "Zaporizhzhia region" out of "Zaporizhzhia regions" and passed over the
                # shorter phrase that ends where a word does ("Zaporizhzhia"). That one is meant when it names the
                # same actor; the hit keeps the longer phrase's entry, cut to the shorter's span, so that the
                # shorter's own reading (Donetsk is also a Russian town) does not replace it. A phrase that names
                # nothing stays a stop ("Central Asia" keeps the town "Central" out of "Central Asian").
                cut = self._shorter(folded, start, end)
                if cut is None or values[cut[0]][1].actor != values[index][1].actor:
                    continue
                end = cut[1]
            hits.append((start, end, *values[index]))
        return hits

    def _shorter(self, folded: str, start: int, end: int) -> tuple[int, int] | None:
        """The longest phrase that starts at `start` and ends at the end of a word before `end`, as (pattern
        index, end), or None."""
        for cut in range(end - 1, start, -1):
            if folded[cut].isalnum() or not folded[cut - 1].isalnum():
                continue
            # leftmost-longest gives the longest phrase at position 0 first: it fits the cut or none does
            for index, at, stop in self.automaton.find_matches_as_indexes(folded[start:cut]):
                if at == 0 and stop == cut - start:
                    return index, cut
                break
        return None

    def tag(self, text: str, folded: str | None = None) -> list[Tag]:
        """Evidence for every actor involved, in text order (`folded`: fold(text), when the caller has it).

        This is the hot path (tens of thousands of items a second), hence plain tuples and one loop.
        """
        folded = fold(text) if folded is None else folded
        found = self._hits(folded)
        if not found:
            return []
        gaz = self.gaz
        first_names, lookalikes = gaz.first_names, gaz.lookalikes
        definite: list[tuple[int, int, str, str]] = []
        later = []  # cities and look-alikes: decided once the rest of the item is known
        standing = []  # the hits not read as a person or a name: only these can cue a look-alike's other reading
        for hit in found:
            start, end, key, entry = hit
            if (key in first_names and _is_person(folded, start, end)) or (
                entry.exact and text[start:end] != entry.exact
            ):
                continue
            if start > 2 and folded[start - 1] == "-" and _NAME_PREFIX.search(folded, max(0, start - 5), start):
                continue  # "al-Sabah", "al-Sudani": a family name; "non-NATO ally", "non-EU citizens": not that actor
            standing.append(hit)
            if entry.candidates or key in lookalikes:
                later.append(hit)
            elif entry.actor is not None:
                definite.append((start, end, entry.actor, entry.kind))
        if later:
            named = {d[2] for d in definite}
            for hit in later:
                start, end, key, entry = hit
                look = lookalikes.get(key)
                if look is not None:
                    actor = look.alternative if self._cued(key, folded, standing, hit) else look.default
                else:
                    actor = next((c for c, _ in entry.candidates if c in named), None)
                    top, population = entry.candidates[0]
                    if actor is None and not entry.weak and population >= gazetteer.CITY_ALONE_POPULATION:
                        actor = top
                if actor:
                    definite.append((start, end, actor, entry.kind))
            definite.sort()
        return [_new_tag((actor, text[start:end], start, end, kind, False)) for start, end, actor, kind in definite]

    def _cued(self, key: str, folded: str, standing: list[tuple[int, int, str, Entry]], hit: tuple) -> bool:
        words, places, unless, actors = self._cues[key]
        if unless is not None and unless.search(folded):
            return False  # the default's own country is named ("Libya" beside Tripoli): the default stands
        if words is not None and words.search(folded):
            return True
        if actors and any(
            o is not hit and o[3].actor in actors and o[2] not in self.gaz.lookalikes and not o[3].candidates
            for o in standing
        ):
            return True  # any name of the other country ("Republic of Congo", Brazzaville, Sassou Nguesso)
        # a place cues only when it names its country alone: "Central" (a Louisiana town, but also a common word)
        # must not turn "Georgia's Central Election Commission" into the US state; and only a place inside the
        # country, not its capital, which stands for its government ("brokered by Washington and Paris")
        return any(o is not hit and o[3].actor in places and o[3].kind == "place" and not o[3].weak for o in standing)


def _is_person(folded: str, start: int, end: int) -> bool:
    """A first name followed by a capitalised word (a surname), or preceded by a title, names a person."""
    after = _WORD.match(folded, end + 1) if folded[end : end + 1] == " " else None
    if after and after.group()[:1].isupper() and after.group().rstrip(".") not in PLACE_WORDS:
        return True
    return folded[:start].rstrip().rsplit(" ", 1)[-1] in TITLES


def _cue_pattern(
    cues: tuple[str, ...],
) -> tuple[re.Pattern | None, frozenset[str], re.Pattern | None, frozenset[str]]:
    """Compiled whole-phrase patterns for a look-alike's word cues and its '!' cues (which keep the default), its
    '@place:XX' countries and its '@actor:XX' ones."""
    places = frozenset(c.split(":", 1)[1] for c in cues if c.startswith("@place:"))
    actors = frozenset(c.split(":", 1)[1] for c in cues if c.startswith("@actor:"))
    words = [c for c in cues if not c.startswith(("@place:", "@actor:", "!"))]
    unless = [c[1:] for c in cues if c.startswith("!")]
    return _phrases(words), places, _phrases(unless), actors


def _phrases(phrases: list[str]) -> re.Pattern | None:
    """One pattern that finds any of `phrases` as a whole phrase (None when there are none)."""
    if not phrases:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, phrases)) + r")(?!\w)")
