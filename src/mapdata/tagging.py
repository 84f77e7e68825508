"""Tagging: actors with their evidence, topics and tone, and the lead actor of each item."""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from . import gazetteer
from .errors import DataFileError
from .gazetteer import Entry, Gazetteer
from .models import TONES, TOPICS, Item, TaggedItem, Tag
from .textfold import fold

TITLES = frozenset({"Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Miss", "Sir", "Lady", "Coach"})
# A capitalised word after a first name that still makes a place ("Jordan Valley", "Chad Basin").
PLACE_WORDS = frozenset(
    "Valley River Basin Lake Sea Gulf Strait Coast Border Street Avenue Square Road County Province Region State "
    "Republic Kingdom Government Ministry Army Navy Air Force Forces Police Parliament Embassy Capital City".split()
)
# Words before an actor that mark it as an object or a setting rather than the one who acts.
NOT_SUBJECT = frozenset(
    "in to with against on from at into toward towards for by over near across between via about after before "
    "than like inside outside within upon".split()
)
_ABBREVIATIONS = re.compile(r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Gov|Sen|Rep|Lt|Col|Sgt|Jr|Sr|No|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec|Ft|Mt|vs|etc)\.)$")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_WORD = re.compile(r"[\w.'’-]+")
TOPIC_THRESHOLD = 1.0
TOPIC_RELATIVE = 0.34
TONE_THRESHOLD = 1.0
NEGATION_WINDOW = 60  # characters after a negation cue within the same clause


@dataclass(frozen=True, slots=True)
class Match:
    """A raw gazetteer hit before disambiguation."""

    start: int
    end: int
    key: str
    entry: Entry


class ActorTagger:
    """Finds countries and organisations in text with one Aho-Corasick pass and context rules."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.automaton = ahocorasick.Automaton()
        for key, entry in gaz.entries.items():
            self.automaton.add_word(key, (key, entry))
        for key, entry in gaz.entries.items():
            upper = key.upper()
            # ALL-CAPS headlines and datelines ("BEIRUT (AP)") name places too
            if upper != key and len(key) >= 4 and entry.kind != "organisation" and upper not in gaz.entries:
                self.automaton.add_word(upper, (key, entry))
        self.automaton.make_automaton()

    def matches(self, text: str) -> tuple[str, list[Match]]:
        """Folded text and the longest whole-word hits in it."""
        folded = fold(text)
        size = len(folded)
        found: list[Match] = []
        for end, (key, entry) in self.automaton.iter_long(folded):
            start = end - len(key) + 1
            if start > 0 and folded[start - 1].isalnum():
                continue
            if end + 1 < size and folded[end + 1].isalnum():
                continue
            found.append(Match(start, end + 1, key, entry))
        return folded, found

    def tag(self, text: str) -> list[Tag]:
        """Evidence for every actor involved, in text order."""
        folded, found = self.matches(text)
        if not found:
            return []
        gaz = self.gaz
        definite: list[tuple[Match, str]] = []
        cities: list[Match] = []
        for m in found:
            if m.key in gaz.first_names and self._is_person(folded, m):
                continue
            look = gaz.lookalikes.get(m.key)
            if look is not None:
                actor = look.alternative if self._cued(look.cues, folded, found, m) else look.default
                if actor:
                    definite.append((m, actor))
                continue
            if m.entry.actor is None:
                continue
            if m.entry.candidates:
                cities.append(m)
            else:
                definite.append((m, m.entry.actor))
        named = {actor for _, actor in definite}
        for m in cities:
            actor = next((c for c, _ in m.entry.candidates if c in named), None)
            if actor is None and not m.entry.weak and m.entry.candidates[0][1] >= gazetteer.CITY_ALONE_POPULATION:
                actor = m.entry.candidates[0][0]
            if actor is not None:
                definite.append((m, actor))
        definite.sort(key=lambda pair: pair[0].start)
        return [Tag(actor, text[m.start : m.end], m.start, m.end, m.entry.kind) for m, actor in definite]

    @staticmethod
    def _is_person(folded: str, m: Match) -> bool:
        after = _WORD.match(folded, m.end + 1) if folded[m.end : m.end + 1] == " " else None
        if after and after.group()[:1].isupper() and after.group().rstrip(".") not in PLACE_WORDS:
            return True
        before = folded[: m.start].rstrip().rsplit(" ", 1)[-1]
        return before in TITLES

    def _cued(self, cues: tuple[str, ...], folded: str, found: list[Match], m: Match) -> bool:
        for cue in cues:
            if cue.startswith("@place:"):
                country = cue.split(":", 1)[1]
                if any(o is not m and o.entry.actor == country and o.entry.kind in ("place", "capital") for o in found):
                    return True
            elif re.search(r"(?<!\w)" + re.escape(cue) + r"(?!\w)", folded):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Cue:
    """One lexicon pattern."""

    pattern: str
    category: str
    label: str
    weight: float
    prefix: bool


class Lexicon:
    """Weighted topic and tone cues from data/lexicon.csv, matched on whole words in one pass."""

    def __init__(self, cues: Iterable[Cue]) -> None:
        self.automaton = ahocorasick.Automaton()
        grouped: dict[str, list[Cue]] = defaultdict(list)
        for cue in cues:
            grouped[cue.pattern].append(cue)
        for pattern, group in grouped.items():
            self.automaton.add_word(pattern, tuple(group))
        self.automaton.make_automaton()

    @classmethod
    def from_file(cls, path=None) -> "Lexicon":
        """Read the lexicon CSV (pattern, category, label, weight)."""
        path = path or gazetteer.DATA_DIR / "lexicon.csv"
        cues = []
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                category, label = (row.get("category") or "").strip(), (row.get("label") or "").strip()
                raw = fold((row.get("pattern") or "").strip().lower())
                valid = (category == "topic" and label in TOPICS) or (category == "tone" and label in TONES) or category == "negation"
                if not raw or not valid:
                    raise DataFileError(f"{path}: bad row {row}")
                try:
                    weight = float(row.get("weight") or 1.0)
                except ValueError as err:
                    raise DataFileError(f"{path}: bad weight in {row}") from err
                prefix = raw.endswith("*")
                cues.append(Cue(raw.rstrip("*").strip(), category, label, weight, prefix))
        return cls(cues)

    def hits(self, text: str) -> list[tuple[int, int, Cue]]:
        """Every whole-word cue in the text, with its span."""
        low = fold(text).lower()
        size = len(low)
        out = []
        for end, group in self.automaton.iter(low):
            for cue in group:
                start = end - len(cue.pattern) + 1
                if start > 0 and low[start - 1].isalnum():
                    continue
                if not cue.prefix and end + 1 < size and low[end + 1].isalnum():
                    continue
                out.append((start, end + 1, cue))
        return out

    def score(self, text: str) -> tuple[tuple[str, ...], str]:
        """Topics (1 to 3, best first) and tone of a text."""
        hits = self.hits(text)
        low = text.lower()
        negations = [(s, e) for s, e, c in hits if c.category == "negation"]
        topics: dict[str, float] = defaultdict(float)
        tone: dict[str, float] = defaultdict(float)
        for start, end, cue in hits:
            if cue.category == "topic":
                topics[cue.label] += cue.weight
            elif cue.category == "tone":
                if _negated(low, negations, start):
                    # "did not agree" leans to conflict; a denied clash still signals tension, only weaker
                    tone["conflict"] += cue.weight * 0.5
                else:
                    tone[cue.label] += cue.weight
        chosen: tuple[str, ...] = ()
        if topics:
            ranked = sorted(topics.items(), key=lambda kv: (-kv[1], TOPICS.index(kv[0])))
            top = ranked[0][1]
            chosen = tuple(t for t, s in ranked[:3] if s >= TOPIC_THRESHOLD and s >= TOPIC_RELATIVE * top) or (ranked[0][0],)
        coop, conflict = tone.get("cooperation", 0.0), tone.get("conflict", 0.0)
        if max(coop, conflict) < TONE_THRESHOLD or coop == conflict:
            verdict = "neutral"
        else:
            verdict = "cooperation" if coop > conflict else "conflict"
        return chosen, verdict


def _negated(low: str, negations: list[tuple[int, int]], start: int) -> bool:
    for n_start, n_end in negations:
        if n_end <= start <= n_end + NEGATION_WINDOW and not re.search(r"[.;:!?]|, but\b", low[n_end:start]):
            return True
    return False


def first_sentence_end(text: str) -> int:
    """Offset where the first sentence ends (abbreviations such as 'U.S.' and 'Gov.' do not end it)."""
    for m in _SENTENCE_END.finditer(text):
        head = text[: m.start() + 1]
        if not _ABBREVIATIONS.search(head):
            return m.start() + 1
    return len(text)


def lead_actor(text: str, tags: list[Tag]) -> Tag | None:
    """The actor that acts: the first actor of the first sentence not governed by a preposition, else the first named."""
    if not tags:
        return None
    end = first_sentence_end(text)
    first = [t for t in tags if t.start < end] or tags
    for tag in first:
        before = text[: tag.start].rstrip(" \"'“‘(")
        words = before.rsplit(None, 2)[-2:]
        previous = words[-1].lower() if words else ""
        if previous in ("the", "a", "an") and len(words) == 2:
            previous = words[0].lower()
        if previous.strip(",") not in NOT_SUBJECT:
            return tag
    return first[0]


class Tagger:
    """The whole tagging stage: actors with evidence, topics, tone, lead actor."""

    def __init__(self, gaz: Gazetteer | None = None, lexicon: Lexicon | None = None) -> None:
        self.gaz = gaz or gazetteer.load()
        self.actors = ActorTagger(self.gaz)
        self.lexicon = lexicon or Lexicon.from_file()

    def tag(self, item: Item) -> TaggedItem:
        """Tag one item."""
        tags = self.actors.tag(item.text)
        countries = sorted({t.actor for t in tags if t.kind != "organisation"})
        organisations = sorted({t.actor for t in tags if t.kind == "organisation"})
        topics, tone = self.lexicon.score(item.text)
        lead = lead_actor(item.text, tags)
        return TaggedItem(
            item=item,
            countries=tuple(countries),
            organisations=tuple(organisations),
            topics=topics,
            tone=tone,
            lead_actor=lead.actor if lead else None,
            evidence=tuple(tags),
            lead_key=lead.key if lead else None,
        )

    def tag_many(self, items: Iterable[Item]) -> list[TaggedItem]:
        """Tag a batch of items."""
        return [self.tag(item) for item in items]


@functools.lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """One tagger per process, built from the installed data."""
    return Tagger()
