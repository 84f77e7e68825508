"""Tagging: actors with their evidence, topics and tone, and the lead actor of each item."""

from __future__ import annotations

import csv
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick_rs

from . import gazetteer
from .classify import Classifier, Features
from .errors import DataFileError
from .gazetteer import Entry, Gazetteer
from .models import TONES, TOPICS, Item, TaggedItem, Tag
from .textfold import fold

WEIGHTS_FILE = gazetteer.DATA_DIR / "learned_weights.csv"
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
_NAME_PREFIX = re.compile(r"(?<![A-Za-z])(?:[Aa]l|[Ee]l|[Nn]on|NON)-\Z")
# "KYIV — ", "BEIRUT (AP) — ", "WASHINGTON, Nov 3 (Reuters) - ": a wire dateline before the first sentence
_DATELINE = re.compile(r"\s*[A-Z][A-Z'’.\- ]*[A-Z.](?:, [^—–()\n]{1,30}?)?(?: \([^()\n]{1,40}\))?\s*(?:—|–|--| - )\s*")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_WORD = re.compile(r"[\w.'’-]+")


@dataclass(frozen=True, slots=True)
class ScoreParams:
    """The numbers that turn lexicon hits into topics and tone. The values are those that
    `python bench/tune_lexicon.py --search` chose by cross-validation on the labelled dev sets."""

    # topics: every cue adds its weight (times topic_first_sentence_weight in the first sentence); the best
    # topic is always kept, another one when it reaches topic_threshold and a share of the best topic's weight
    topic_threshold: float = 1.5
    topic_relative: float = 0.34
    diplomacy_relative: float = 0.15  # diplomacy is often the frame of another topic (a deal, a pact, a row)
    third_relative: float = 0.6  # a third topic must be nearly as strong as the best one
    max_topics: int = 3
    decisive_weight: float = 2.0  # a single cue this strong ("embargo", "sanctions") earns its topic beside stronger ones
    topic_first_sentence_weight: float = 2.0
    diplomacy_prior: float = 0.5  # added when two or more states or organisations are named
    # tone: cooperation against conflict, each summed (times first_sentence_weight in the first sentence)
    tone_threshold: float = 1.0  # the winner needs this much, plus the weight of any neutral cues
    first_sentence_weight: float = 3.0  # the first sentence carries the main event
    conflict_scale: float = 0.7  # conflict words also name events (strikes, war) more often than relations
    neutral_scale: float = 0.5  # neutral cues (a disaster, an economic figure) raise the bar by this share
    negation_window: int = 60  # characters after a negation cue, within the same clause
    negated_conflict: float = 1.0  # "denied violating its airspace": the clash is still the news
    negated_cooperation: float = 1.0  # "did not agree", "failed to reach a deal": that is the conflict
    reversed_cooperation: float = 0.0  # "suspended its peace deal": the deal no longer counts for cooperation
    hedged_weight: float = 0.25  # "would resume talks", "could impose sanctions": a plan or a threat, not the event
    absent_weight: float = 0.0  # "no sign of a buildup", "denied any troop movement": the event did not happen
    absent_topic: float = 0.5  # ... but the item is still about what is said to be absent
    background_weight: float = 0.25  # "... after reports that ...": counts this share when the main clauses carry a tone
    skip_names: bool = True  # a tone word capitalised inside a sentence is part of a name ("Rapid Support Forces")
    lone_cooperation: float = 0.25  # with at most one actor there is no relation to cooperate in ...
    lone_conflict: float = 0.75  # ... and conflict words more often tell of unrest, crime or a disaster's toll


PARAMS = ScoreParams()
_TOPIC_ORDER = {topic: i for i, topic in enumerate(TOPICS)}
TONE_MARGIN = 1e-9  # equal scores are neutral


# Building Tags with tuple.__new__ skips NamedTuple's Python-level __new__: a third of the per-tag cost.
_new_tag = functools.partial(tuple.__new__, Tag)


class Match(NamedTuple):
    """A raw gazetteer hit before disambiguation."""

    start: int
    end: int
    key: str
    entry: Entry


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

    def matches(self, text: str) -> tuple[str, list[Match]]:
        """Folded text and the longest whole-word hits in it, before any context rule."""
        folded = fold(text)
        return folded, [Match(*hit) for hit in self._hits(folded)]

    def _hits(self, folded: str) -> list[tuple[int, int, str, Entry]]:
        size = len(folded)
        values = self._values
        return [
            (start, end, *values[index])
            for index, start, end in self.automaton.find_matches_as_indexes(folded)
            if not ((start and folded[start - 1].isalnum()) or (end < size and folded[end].isalnum()))
        ]

    def tag(self, text: str) -> list[Tag]:
        """Evidence for every actor involved, in text order.

        This is the hot path (tens of thousands of items a second), hence plain tuples and one loop.
        """
        folded = fold(text)
        found = self._hits(folded)
        if not found:
            return []
        gaz = self.gaz
        first_names, lookalikes = gaz.first_names, gaz.lookalikes
        definite: list[tuple[int, int, str, str]] = []
        later = []  # cities and look-alikes: decided once the rest of the item is known
        for hit in found:
            start, end, key, entry = hit
            if (key in first_names and _is_person(folded, start, end)) or (entry.exact and text[start:end] != entry.exact):
                continue
            if start > 2 and folded[start - 1] == "-" and _NAME_PREFIX.search(folded, max(0, start - 5), start):
                continue  # "al-Sabah", "al-Sudani": a family name; "non-NATO ally", "non-EU citizens": not that actor
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
                    actor = look.alternative if self._cued(key, folded, found, hit) else look.default
                else:
                    actor = next((c for c, _ in entry.candidates if c in named), None)
                    top, population = entry.candidates[0]
                    if actor is None and not entry.weak and population >= gazetteer.CITY_ALONE_POPULATION:
                        actor = top
                if actor:
                    definite.append((start, end, actor, entry.kind))
            definite.sort()
        return [_new_tag((actor, text[start:end], start, end, kind, False)) for start, end, actor, kind in definite]

    def _cued(self, key: str, folded: str, found: list[tuple[int, int, str, Entry]], hit: tuple) -> bool:
        words, places = self._cues[key]
        if words is not None and words.search(folded):
            return True
        return any(o is not hit and o[3].actor in places and o[3].kind in ("place", "capital") for o in found)


def _is_person(folded: str, start: int, end: int) -> bool:
    """A first name followed by a capitalised word (a surname), or preceded by a title, names a person."""
    after = _WORD.match(folded, end + 1) if folded[end : end + 1] == " " else None
    if after and after.group()[:1].isupper() and after.group().rstrip(".") not in PLACE_WORDS:
        return True
    return folded[:start].rstrip().rsplit(" ", 1)[-1] in TITLES


def _cue_pattern(cues: tuple[str, ...]) -> tuple[re.Pattern | None, frozenset[str]]:
    """One compiled whole-phrase pattern for a look-alike's word cues, and its '@place:XX' countries."""
    places = frozenset(c.split(":", 1)[1] for c in cues if c.startswith("@place:"))
    words = [re.escape(c) for c in cues if not c.startswith("@place:")]
    return (re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)") if words else None), places


_VOWELS = frozenset("aeiou")


def _word_forms(word: str) -> set[str]:
    """A word and its regular inflections (-s/-es, -ed, -ing, with e-dropping, y to i and a doubled final
    consonant). Where the spelling rule is unclear both forms are made ("visited", "stopped"): one of them
    is not English and never matches."""
    if word.endswith("e"):
        return {word, word + "s", word + "d", word + "ing" if word[-2:] in ("ee", "ye", "oe") else word[:-1] + "ing"}
    if word.endswith("y") and len(word) > 2 and word[-2] not in _VOWELS:
        return {word, word[:-1] + "ies", word[:-1] + "ied", word + "ing"}
    forms = {word, word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s"), word + "ed", word + "ing"}
    if len(word) > 2 and word[-1] not in _VOWELS | {"w", "x", "y"} and word[-2] in _VOWELS and word[-3] not in _VOWELS:
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


def inflections(pattern: str) -> list[str]:
    """Every phrase a lexicon pattern stands for: each word marked with a trailing '~' takes all its regular
    inflections ("block~" is block, blocks, blocked, blocking; "cut~ off" is also "cutting off")."""
    choices = [sorted(_word_forms(w[:-1])) if w.endswith("~") else [w] for w in pattern.split(" ")]
    return [" ".join(words) for words in itertools.product(*choices)]


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
        grouped: dict[str, list[Cue]] = defaultdict(list)
        for cue in cues:
            grouped[cue.pattern].append(cue)
        self._groups = [tuple(group) for group in grouped.values()]
        self.automaton = ahocorasick_rs.AhoCorasick(list(grouped), matchkind=ahocorasick_rs.MatchKind.Standard)

    @classmethod
    def from_file(cls, path=None) -> "Lexicon":
        """Read the lexicon CSV (pattern, category, label, weight)."""
        path = path or gazetteer.DATA_DIR / "lexicon.csv"
        written: list[Cue] = []
        inflected: list[Cue] = []
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                category, label = (row.get("category") or "").strip(), (row.get("label") or "").strip()
                raw = fold((row.get("pattern") or "").strip().lower())
                valid = (
                    (category in ("topic", "casualty") and label in TOPICS)
                    or (category == "tone" and label in TONES)
                    or (category == "negation" and label in ("-", "reversal", "hedge", "absence"))
                    or (category == "context" and label == "-")
                )
                if not raw or not valid or ("~" in raw and raw.endswith("*")):
                    raise DataFileError(f"{path}: bad row {row}")
                try:
                    weight = float(row.get("weight") or 1.0)
                except ValueError as err:
                    raise DataFileError(f"{path}: bad weight in {row}") from err
                prefix = raw.endswith("*")
                pattern = raw.rstrip("*").strip()
                if "~" in pattern:
                    inflected.extend(Cue(form, category, label, weight, False) for form in inflections(pattern))
                else:
                    written.append(Cue(pattern, category, label, weight, prefix))
        # a form that has its own row keeps that row's weight; two '~' rows that share a form count it once
        seen = {(c.pattern, c.category, c.label) for c in written}
        for cue in inflected:
            if (cue.pattern, cue.category, cue.label) not in seen:
                seen.add((cue.pattern, cue.category, cue.label))
                written.append(cue)
        return cls(written)

    def hits(self, text: str) -> list[tuple[int, int, Cue]]:
        """Every whole-word cue in the text, with its span (overlapping cues all count)."""
        low = fold(text).lower()
        size = len(low)
        out = []
        for index, start, end in self.automaton.find_matches_as_indexes(low, overlapping=True):
            if start and low[start - 1].isalnum():
                continue
            for cue in self._groups[index]:
                if not cue.prefix and end < size and low[end].isalnum():
                    continue
                out.append((start, end, cue))
        return out

    def score(self, text: str, actors: int = 0, params: ScoreParams = PARAMS) -> tuple[tuple[str, ...], str]:
        """Topics (1 to 3, best first) and tone of a text that names `actors` countries and organisations."""
        return self.decide(text, self.hits(text), actors, params)

    @staticmethod
    def tally(text: str, hits: list[tuple[int, int, Cue]], actors: int, params: ScoreParams = PARAMS) -> tuple[dict[str, float], dict[str, float]]:
        """Summed weight of every topic, and of cooperation, conflict and neutral cues, before any threshold."""
        low = text.lower()
        negations = _negations(hits)
        absences = [(s, e) for s, e, kind in negations if kind == "absence"]
        backgrounds = [e for s, e, c in hits if c.category == "context"]
        # a toll ("killed", "deaths") is humanitarian only beside civilians, refugees, aid or a disaster
        backed = {c.label for s, e, c in hits if c.category == "topic"}
        topics: dict[str, float] = defaultdict(float)
        if actors >= 2:
            # states and organisations addressing each other is diplomacy unless stronger cues say otherwise
            topics["diplomacy"] += params.diplomacy_prior
        tone: dict[str, float] = defaultdict(float)
        background: dict[str, float] = defaultdict(float)  # tone cues in "after ...", "amid ...", "while ..."
        lead_end = first_sentence_end(text)
        for start, end, cue in hits:
            if absences and cue.category in ("topic", "tone") and any(a <= start and end <= b for a, b in absences):
                continue  # the "sign" in "no sign of" is part of the absence cue
            if cue.category == "topic" or (cue.category == "casualty" and cue.label in backed):
                weight = cue.weight * (params.topic_first_sentence_weight if start < lead_end else 1.0)
                if absences and _negation(low, negations, start, params.negation_window) == "absence":
                    weight *= params.absent_topic
                topics[cue.label] += weight
            elif cue.category == "tone":
                if params.skip_names and text[start].isupper() and _in_name(text, start):
                    continue  # "Rapid Support Forces", "Party of Action and Solidarity": a name, not a relation
                weight = cue.weight * (params.first_sentence_weight if start < lead_end else 1.0)
                if cue.label == "neutral":
                    tone["neutral"] += weight * params.neutral_scale
                    continue
                into = background if backgrounds and _in_clause(low, backgrounds, start) else tone
                negation = _negation(low, negations, start, params.negation_window)
                if negation == "hedge":
                    into[cue.label] += weight * params.hedged_weight
                elif negation == "absence":
                    into[cue.label] += weight * params.absent_weight
                elif negation == "reversal":
                    # "suspended its peace deal", "ended trade talks": the cooperation is what was undone;
                    # a conflict cue stays conflict ("halted the offensive" is rare next to "halted talks")
                    into["conflict"] += weight * (params.reversed_cooperation if cue.label == "cooperation" else 1.0)
                elif negation:
                    into["conflict"] += weight * (params.negated_conflict if cue.label == "conflict" else params.negated_cooperation)
                else:
                    into[cue.label] += weight
        if background:
            # the background counts in full only when the main clauses say nothing about the relation
            scale = params.background_weight if tone.get("cooperation") or tone.get("conflict") else 1.0
            for label, weight in background.items():
                tone[label] += weight * scale
        tone["conflict"] = tone.get("conflict", 0.0) * params.conflict_scale
        if actors <= 1:
            tone["cooperation"] = tone.get("cooperation", 0.0) * params.lone_cooperation
            tone["conflict"] *= params.lone_conflict
        return topics, tone

    @staticmethod
    def decide(text: str, hits: list[tuple[int, int, Cue]], actors: int, params: ScoreParams = PARAMS) -> tuple[tuple[str, ...], str]:
        """Topics and tone from the cue hits of a text (split from `score` so that parameters can be tuned)."""
        topics, tone = Lexicon.tally(text, hits, actors, params)
        chosen: tuple[str, ...] = ()
        if topics:
            ranked = sorted(topics.items(), key=lambda kv: (-kv[1], _TOPIC_ORDER[kv[0]]))
            top = ranked[0][1]
            decisive = {c.label for _, _, c in hits if c.category == "topic" and c.weight >= params.decisive_weight}
            for topic, weight in ranked:
                share = params.diplomacy_relative if topic == "diplomacy" else params.topic_relative
                if topic in decisive:
                    share = 0.0
                elif len(chosen) == 2:
                    share = max(share, params.third_relative)
                if weight >= params.topic_threshold and weight >= share * top:
                    chosen += (topic,)
                if len(chosen) == params.max_topics:
                    break
            chosen = chosen or (ranked[0][0],)
        coop, conflict = tone.get("cooperation", 0.0), tone["conflict"]
        # neutral cues (a disaster, an economic figure) raise the bar that a relation must clear
        if max(coop, conflict) < params.tone_threshold + tone.get("neutral", 0.0) or abs(coop - conflict) < TONE_MARGIN:
            verdict = "neutral"
        else:
            verdict = "cooperation" if coop > conflict else "conflict"
        return chosen, verdict


def _in_name(text: str, start: int) -> bool:
    """Whether the word at `start` is capitalised inside a sentence, so part of a name ("Rapid Support Forces")."""
    if not text[start : start + 1].isupper():
        return False
    i = start - 1
    while i >= 0 and text[i] in " \"'“‘(":
        i -= 1
    return i >= 0 and text[i] not in ".!?:;"


_CLAUSE_BREAK = re.compile(r"[.;:!?]|, but\b")


def _negations(hits: list[tuple[int, int, Cue]]) -> list[tuple[int, int, str]]:
    """The negation cues among the hits, as (start, end, kind); a longer negation that contains an absence cue
    overrides it ("denied any involvement": the event happened)."""
    negations = [(s, e, c.label) for s, e, c in hits if c.category == "negation"]
    return [n for n in negations if n[2] != "absence" or not any(
        o[2] != "absence" and o[0] <= n[0] and n[1] <= o[1] and o[1] - o[0] > n[1] - n[0] for o in negations)]


def words_text(text: str, absences: list[tuple[int, int]], window: int = PARAMS.negation_window) -> str:
    """The folded lower-case text whose words the learned layer weighs, with every absence cue (start, end) and
    what it governs blanked: "no sign of a buildup" names no event, so its words must not vote for a tone."""
    low = fold(text).lower()
    if not absences:
        return low
    chars = list(low)
    for start, end in absences:
        stop = min(len(low), end + window)
        brk = _CLAUSE_BREAK.search(low, end, stop)
        if brk:
            stop = brk.start()
        while stop < len(low) and low[stop].isalnum():
            stop += 1  # a word that starts inside the window is governed whole
        chars[start:stop] = " " * (stop - start)
    return "".join(chars)


def _negation(low: str, negations: list[tuple[int, int, str]], start: int, window: int) -> str | None:
    """The kind ('-', 'reversal', 'hedge' or 'absence') of a negation cue that governs the word at `start`: one that
    ends at most `window` characters before it in the same clause. An absence cue wins ("no sign of" over "no"),
    else the first one."""
    found = None
    for n_start, n_end, kind in negations:
        if n_end <= start <= n_end + window and not _CLAUSE_BREAK.search(low, n_end, start):
            if kind == "absence":
                return kind
            found = found or kind
    return found


_SENTENCE_BREAK = re.compile(r"[.;!?]\s")


def _in_clause(low: str, markers: list[int], start: int) -> bool:
    """Whether the word at `start` follows one of the clause markers (offsets of their ends) in its sentence."""
    return any(m <= start and not _SENTENCE_BREAK.search(low, m, start) for m in markers)


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
    dateline = _DATELINE.match(text)
    # the dateline city ("KYIV — A Russian missile ...") is where the news was filed, not who acts
    after = [t for t in tags if t.start >= dateline.end()] if dateline else tags
    first = [t for t in after if t.start < end] or after or tags
    for tag in first:
        before = text[: tag.start].rstrip(" \"'“‘(")
        words = before.rsplit(None, 2)[-2:]
        previous = words[-1].lower() if words else ""
        if previous in ("the", "a", "an") and len(words) == 2:
            previous = words[0].lower()
        if previous.strip(",") not in NOT_SUBJECT:
            return tag
    return first[0]


def involved(tags: list[Tag]) -> tuple[list[str], list[str]]:
    """The sorted country codes and organisation codes that a list of tags names."""
    countries = sorted({t.actor for t in tags if t.kind != "organisation"})
    organisations = sorted({t.actor for t in tags if t.kind == "organisation"})
    return countries, organisations


class Tagger:
    """The whole tagging stage: actors with evidence, topics, tone, lead actor."""

    def __init__(self, gaz: Gazetteer | None = None, lexicon: Lexicon | None = None,
                 classifier: Classifier | None = None, learned: bool = True) -> None:
        self.gaz = gaz or gazetteer.load()
        self.actors = ActorTagger(self.gaz)
        self.lexicon = lexicon or Lexicon.from_file()
        # learned=False leaves topics and tone to the lexicon's rules alone (what `mapdata learn` starts from)
        self.classifier = classifier or (Classifier.from_file(WEIGHTS_FILE) if learned else None)

    def features(self, text: str, actors: int) -> tuple[Features, tuple[tuple[str, ...], str]]:
        """What the learned layer reads of a text that names `actors` actors, and the verdict of the lexicon's rules alone."""
        hits = self.lexicon.hits(text)
        return self._features(text, hits, actors), Lexicon.decide(text, hits, actors)

    @staticmethod
    def _features(text: str, hits: list[tuple[int, int, Cue]], actors: int) -> Features:
        topic_scores, tone_scores = Lexicon.tally(text, hits, actors)
        absences = [(s, e) for s, e, kind in _negations(hits) if kind == "absence"]
        absent = bool(absences) and not tone_scores.get("cooperation") and not tone_scores.get("conflict")
        return Features(words_text(text, absences), topic_scores, tone_scores, actors, absent)

    def topics_and_tone(self, text: str, actors: int) -> tuple[tuple[str, ...], str]:
        """Topics (likeliest first) and tone of a text that names `actors` countries and organisations."""
        return self._topics_and_tones([(text, actors)])[0]

    def _topics_and_tones(self, texts: Sequence[tuple[str, int]]) -> list[tuple[tuple[str, ...], str]]:
        if self.classifier is None:
            return [self.lexicon.score(text, actors) for text, actors in texts]
        return self.classifier.predict_many([self._features(text, self.lexicon.hits(text), actors) for text, actors in texts])

    def tag(self, item: Item) -> TaggedItem:
        """Tag one item."""
        return self.tag_many([item])[0]

    def tag_many(self, items: Sequence[Item]) -> list[TaggedItem]:
        """Tag a batch of items (the learned layer scores a batch at once, so this is faster than one by one)."""
        found = []
        for item in items:
            tags = self.actors.tag(item.text)
            countries, organisations = involved(tags)
            found.append((item, tags, countries, organisations))
        verdicts = self._topics_and_tones([(item.text, len(c) + len(o)) for item, _, c, o in found])
        out = []
        for (item, tags, countries, organisations), (topics, tone) in zip(found, verdicts):
            lead = lead_actor(item.text, tags)
            out.append(TaggedItem(
                item=item,
                countries=tuple(countries),
                organisations=tuple(organisations),
                topics=topics,
                tone=tone,
                lead_actor=lead.actor if lead else None,
                evidence=tuple(tags),
                lead_key=lead.key if lead else None,
            ))
        return out


@functools.lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """One tagger per process, built from the installed data."""
    return Tagger()
