"""The hand-written lexicon (data/lexicon.csv): weighted topic and tone cues, negation and hedging, and the rules
that turn the cues found in a text into topics and a tone (the learned layer reads their scores)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick_rs

from .. import settings
from ..errors import DataFileError
from ..models import TONES, TOPICS
from ..textfold import fold
from .inflect import inflections
from .sentences import first_sentence_end


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
    decisive_weight: float = (
        2.0  # a single cue this strong ("embargo", "sanctions") earns its topic beside stronger ones
    )
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
    background_weight: float = (
        0.25  # "... after reports that ...": counts this share when the main clauses carry a tone
    )
    skip_names: bool = True  # a tone word capitalised inside a sentence is part of a name ("Rapid Support Forces")
    lone_cooperation: float = 0.25  # with at most one actor there is no relation to cooperate in ...
    lone_conflict: float = 0.75  # ... and conflict words more often tell of unrest, crime or a disaster's toll


PARAMS = ScoreParams()
_TOPIC_ORDER = {topic: i for i, topic in enumerate(TOPICS)}
TONE_MARGIN = 1e-9  # equal scores are neutral


@dataclass(frozen=True, slots=True)
class Cue:
    """One lexicon pattern."""

    pattern: str
    category: str
    label: str
    weight: float
    prefix: bool


def valid_label(category: str, label: str) -> bool:
    """Whether a cue's category and label are ones the lexicon's rules read (data/README.md lists them)."""
    return (
        (category in ("topic", "casualty") and label in TOPICS)
        or (category == "tone" and label in TONES)
        or (category == "negation" and label in ("-", "reversal", "hedge", "absence"))
        or (category == "context" and label == "-")
    )


class Lexicon:
    """Weighted topic and tone cues from data/lexicon.csv, matched on whole words in one pass."""

    def __init__(self, cues: Iterable[Cue]) -> None:
        grouped: dict[str, list[Cue]] = defaultdict(list)
        for cue in cues:
            grouped[cue.pattern].append(cue)
        self._groups = [tuple(group) for group in grouped.values()]
        self.automaton = ahocorasick_rs.AhoCorasick(list(grouped), matchkind=ahocorasick_rs.MatchKind.Standard)

    @classmethod
    def from_file(cls, path=None) -> Lexicon:
        """Read the lexicon CSV (pattern, category, label, weight)."""
        path = path or settings.data_file("lexicon.csv")
        written: list[Cue] = []
        inflected: list[Cue] = []
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                category, label = (row.get("category") or "").strip(), (row.get("label") or "").strip()
                raw = fold((row.get("pattern") or "").strip().lower())
                valid = valid_label(category, label)
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

    def hits(self, text: str, low: str | None = None) -> list[tuple[int, int, Cue]]:
        """Every whole-word cue in the text, with its span (overlapping cues all count); `low` is
        fold(text).lower() when the caller has it already."""
        low = fold(text).lower() if low is None else low
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
    def tally(
        text: str,
        hits: list[tuple[int, int, Cue]],
        actors: int,
        params: ScoreParams = PARAMS,
        lead_end: int | None = None,
        negations: list[tuple[int, int, str]] | None = None,
    ) -> tuple[dict[str, float], dict[str, float]]:
        """Summed weight of every topic, and of cooperation, conflict and neutral cues, before any threshold
        (`lead_end`: where the first sentence ends, and `negations`: the hits' negation_spans, when the caller
        knows)."""
        low = text.lower()
        negations = negation_spans(hits) if negations is None else negations
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
        lead_end = first_sentence_end(text) if lead_end is None else lead_end
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
                negation = _negation(low, negations, start, params.negation_window) if negations else None
                if negation == "hedge":
                    into[cue.label] += weight * params.hedged_weight
                elif negation == "absence":
                    into[cue.label] += weight * params.absent_weight
                elif negation == "reversal":
                    # "suspended its peace deal", "ended trade talks": the cooperation is what was undone;
                    # a conflict cue stays conflict ("halted the offensive" is rare next to "halted talks")
                    into["conflict"] += weight * (params.reversed_cooperation if cue.label == "cooperation" else 1.0)
                elif negation:
                    into["conflict"] += weight * (
                        params.negated_conflict if cue.label == "conflict" else params.negated_cooperation
                    )
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
    def decide(
        text: str, hits: list[tuple[int, int, Cue]], actors: int, params: ScoreParams = PARAMS
    ) -> tuple[tuple[str, ...], str]:
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


def negation_spans(hits: list[tuple[int, int, Cue]]) -> list[tuple[int, int, str]]:
    """The negation cues among the hits, as (start, end, kind); a longer negation that contains an absence cue
    overrides it ("denied any involvement": the event happened)."""
    negations = [(s, e, c.label) for s, e, c in hits if c.category == "negation"]
    return [
        n
        for n in negations
        if n[2] != "absence"
        or not any(o[2] != "absence" and o[0] <= n[0] and n[1] <= o[1] and o[1] - o[0] > n[1] - n[0] for o in negations)
    ]


def words_text(
    text: str, absences: list[tuple[int, int]], window: int = PARAMS.negation_window, low: str | None = None
) -> str:
    """The folded lower-case text whose words the learned layer weighs, with every absence cue (start, end) and
    what it governs blanked: "no sign of a buildup" names no event, so its words must not vote for a tone.
    `low` is fold(text).lower() when the caller has it."""
    low = fold(text).lower() if low is None else low
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
    for _, n_end, kind in negations:
        if n_end <= start <= n_end + window and not _CLAUSE_BREAK.search(low, n_end, start):
            if kind == "absence":
                return kind
            found = found or kind
    return found


_SENTENCE_BREAK = re.compile(r"[.;!?]\s")


def _in_clause(low: str, markers: list[int], start: int) -> bool:
    """Whether the word at `start` follows one of the clause markers (offsets of their ends) in its sentence."""
    return any(m <= start and not _SENTENCE_BREAK.search(low, m, start) for m in markers)
