"""Countries and organisations in text: one Aho-Corasick pass over the gazetteer's phrases, then the context
rules that tell a person from a place (a first name, a surname), a look-alike from its namesake, a city from its
smaller twin, and a town from the capital it is named after (by its dateline's state, or the county named beside it)."""

from __future__ import annotations

import functools
import itertools
import re

import ahocorasick_rs

from .. import gazetteer
from ..gazetteer import Entry, Gazetteer
from ..models import Tag
from ..textfold import fold

TITLES = frozenset({"Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Miss", "Sir", "Lady", "Coach"})
# Before a place's name, these make it a surname too ("Sen. Kennedy", "Sgt. Douglas").
SURNAME_TITLES = TITLES | frozenset(
    "Sen. Rep. Gov. Sgt. Capt. Lt. Det. Cpl. Pvt. Rev. Fr. Prof. Judge Officer Deputy Trooper".split()
)
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
        gaz, size = self.gaz, len(folded)
        first_names, lookalikes, twins, surnames = gaz.first_names, gaz.lookalikes, gaz.twins, gaz.surnames
        definite: list[tuple[int, int, str, str]] = []
        later = []  # cities, look-alikes, cities written with their region: decided once the rest of the item is known
        standing = []  # the hits not read as a person or a name: only these can cue a look-alike's other reading
        placed: dict[int, str] = {}  # start -> country, for a city written with its region ("Athens, Ga.")
        namesakes = []  # where in definite a capital stands that a town elsewhere is named after ("Athens")
        for i, hit in enumerate(found):
            start, end, key, entry = hit
            if (key in first_names and _is_person(folded, start, end) and not _country_after(found, i)) or (
                entry.exact and text[start:end] != entry.exact
            ):
                continue
            if start > 2 and folded[start - 1] == "-" and _NAME_PREFIX.search(folded, max(0, start - 5), start):
                continue  # "al-Sabah", "al-Sudani": a family name; "non-NATO ally", "non-EU citizens": not that actor
            if key in surnames and start > 1 and folded[start - 1] == " ":
                at = folded.rfind(" ", 0, start - 1) + 1
                if folded[at].isupper() and self._surname(folded, at, start):  # not after "in", "of", "and"
                    continue  # "Jim Kennedy", "Bill Holland", "Sgt. Douglas": a person's surname
            standing.append(hit)
            if end < size and folded[end] == "," and entry.kind in ("capital", "place"):
                self._region_after(folded, end + 2, found, i, placed)
            if entry.candidates or key in lookalikes or start in placed:
                later.append(hit)
            elif entry.actor is not None:
                if key in twins:
                    namesakes.append((len(definite), key))
                definite.append((start, end, entry.actor, entry.kind))
        if namesakes and len(standing) > 2:  # the capital, and two regions or counties for its namesake
            self._namesakes(definite, namesakes, standing)
        if later:
            named = {d[2] for d in definite}
            for hit in later:
                start, end, key, entry = hit
                actor = placed.get(start)
                kind = entry.kind
                if actor is not None:
                    kind = "place"
                elif (look := lookalikes.get(key)) is not None:
                    actor = look.alternative if self._cued(key, folded, standing, hit) else look.default
                elif entry.candidates:
                    actor = next((c for c, _ in entry.candidates if c in named), None)
                    top, population = entry.candidates[0]
                    if actor is None and not entry.weak and population >= gazetteer.CITY_ALONE_POPULATION:
                        actor = top
                if actor:
                    definite.append((start, end, actor, kind))
            definite.sort()
        if placed:
            definite = self._one_sense(folded, found, definite, placed)
        return [_new_tag((actor, text[start:end], start, end, kind, False)) for start, end, actor, kind in definite]

    def _namesakes(
        self,
        definite: list[tuple[int, int, str, str]],
        namesakes: list[tuple[int, str]],
        standing: list[tuple[int, int, str, Entry]],
    ) -> None:
        """A capital stands for its country unless nothing else in the text names that country, and a county and
        another county, state or region name one where a town has the capital's name: "the Athens Police Department"
        beside "Henderson County" and "Texas" is the Athens of Texas or Georgia. A county is asked for because local
        news names them and world news seldom does: "Texas and Florida officials flew to Athens" stays in Greece.
        Changes `definite` in place."""
        capitals = {definite[i][0] for i, _ in namesakes}
        local = None
        for i, key in namesakes:
            start, end, actor, _ = definite[i]
            if any(d[2] == actor and d[0] not in capitals for d in definite):
                continue
            local = _local_places(standing, self.gaz.regions) if local is None else local
            home = max(self.gaz.twins[key], key=lambda c: len(local.get(c, ())))
            places = local.get(home, ())
            if len(places) >= 2 and any(p.endswith(_COUNTY_WORDS) for p in places):
                definite[i] = (start, end, home, "place")

    def _one_sense(
        self,
        folded: str,
        found: list[tuple[int, int, str, Entry]],
        definite: list[tuple[int, int, str, str]],
        placed: dict[int, str],
    ) -> list[tuple[int, int, str, str]]:
        """A city written once with its region ("Belgrade, Minn.") is that city wherever the text names it again
        ("a house in Belgrade"; "Moscow, Idaho, police say the suspect fled to Moscow" too), unless a mention is
        written with its own country ("Paris, Texas and Paris, France"). The region's own sense stays where it is
        written: "Athens, Georgia" makes no other "Georgia" the state."""
        keys = {hit[0]: hit[2] for hit in found}
        regions = self.gaz.regions
        sense = {keys[start]: country for start, country in placed.items() if keys[start] not in regions}
        own = {
            hit[0]
            for hit, after in itertools.pairwise(found)
            if hit[2] in sense and after[0] == hit[1] + 2 and folded[hit[1]] == "," and after[3].kind == "name"
        }
        return [
            (start, end, sense[keys[start]], "place")
            if keys.get(start) in sense and start not in placed and start not in own
            else (start, end, actor, kind)
            for start, end, actor, kind in definite
        ]

    def _surname(self, folded: str, at: int, start: int) -> bool:
        """Whether the word from `at` to the space before `start` (the text folded) is a given name or a title,
        perhaps with a middle initial after it ("John F. Kennedy"): the place's name at `start` is then a surname."""
        word = folded[at : start - 1]
        if len(word) == 2 and word[1] == "." and word[0].isupper() and at > 1 and folded[at - 1] == " ":
            word = folded[folded.rfind(" ", 0, at - 1) + 1 : at - 1]
        return word in SURNAME_TITLES or word.rpartition("-")[2] in self.gaz.given_names  # "Lin-Manuel Miranda"

    def _region_after(
        self, folded: str, at: int, found: list[tuple[int, int, str, Entry]], i: int, placed: dict[int, str]
    ) -> None:
        """A city written with its state or province after a comma is the one there (`placed`, by the city's
        start): any city before a dateline's abbreviation ("EDMONTON, Ky.", "Victoria, B.C."); before a state's full
        name, a city that has a namesake in that state ("Athens, Georgia", "Moscow, Idaho"; not "TBILISI, Georgia"
        nor "Moscow, Washington"); before another region, a city that has a namesake in its country ("London,
        Ontario"). A region that a list goes on from is not one ("Tehran, Washington and London")."""
        if i + 1 == len(found) or found[i + 1][0] != at:
            return
        start, _, key, entry = found[i]
        region_start, region_end, region_key, _ = found[i + 1]
        region = self.gaz.regions.get(region_key)
        if region is None or region.country == entry.actor:
            return
        if not region.abbreviation:
            if folded.startswith(_LIST_GOES_ON, region_end) or (
                folded.startswith(", ", region_end) and i + 2 < len(found) and found[i + 2][0] == region_end + 2
            ):
                return
            if region_key in self.gaz.lookalikes and not self._cued(region_key, folded, found, found[i + 1]):
                return  # "Athens, Georgia" is the state's town only where Georgia is the state by its own cues
            if region.state is not None:
                if region.state not in self.gaz.us_towns.get(key, ()):
                    return
            elif region.country not in self.gaz.twins.get(key, ()) and all(
                c != region.country for c, _ in entry.candidates
            ):
                return
        placed[start] = region.country
        if region_key in self.gaz.lookalikes:
            placed[region_start] = region.country  # "Athens, Georgia": the state too

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


def _local_places(standing: list[tuple[int, int, str, Entry]], regions: dict) -> dict[str, set[str]]:
    """For each country, the distinct states, provinces, regions and counties that the standing hits name inside it
    alone. Towns are left out: many are named after people ("Conway", "Evans"), and a surname alone is no place."""
    local: dict[str, set[str]] = {}
    for _, _, key, entry in standing:
        # a look-alike region ("Georgia") is a country's name first: its entry's kind is not "place"
        if entry.kind == "place" and not entry.candidates and (key in regions or key.endswith(_COUNTY_WORDS)):
            local.setdefault(entry.actor, set()).add(key)
    return local


_COUNTY_WORDS = (" County", " Parish", " Borough")
# What follows a region that a list goes on from ("Moscow, Washington and Beijing"), or that is not the city's
# ("In Athens, Georgia's foreign minister met...").
_LIST_GOES_ON = (" and ", " or ", ", and ", ", or ", ";", "'s", "’s")


def _country_after(found: list[tuple[int, int, str, Entry]], i: int) -> bool:
    """Whether the word after found[i] names a country ("Israel Syria Talks Stall", "India China Border Talks"): a
    headline's list, not a first name and a surname."""
    after = found[i + 1] if i + 1 < len(found) else None
    return after is not None and after[0] == found[i][1] + 1 and after[3].kind in ("name", "capital", "demonym")


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
