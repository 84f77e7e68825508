"""Scores of the tagger against a labelled JSON Lines file, as defined in the taxonomy."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from .classify import UNSURE_SHARE, Example, expected_calibration_error, unsure_error_share
from .errors import InputError
from .feeds import read_json_lines, split_lines
from .models import TONES, TOPICS, Item
from .tagging import Tagger, default_tagger


@dataclass(frozen=True, slots=True)
class Scores:
    """Micro precision/recall/F1 and exact-set accuracy for countries; topic F1; tone and lead accuracy."""

    items: int
    country_precision: float
    country_recall: float
    country_f1: float
    country_exact: float
    organisation_f1: float | None
    topic_f1: float | None
    tone_accuracy: float | None
    lead_accuracy: float | None
    tone_ece: float | None = None  # expected calibration error of the tone confidence
    unsure_error_share: float | None = None  # share of the tone errors among the least confident fifth of items
    lang_accuracy: float | None = None  # share of the items whose language was told right (golds that give it)

    def table(self) -> str:
        """A plain-text table of the scores."""

        def fmt(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        rows = [
            ("items", str(self.items)),
            ("countries precision", fmt(self.country_precision)),
            ("countries recall", fmt(self.country_recall)),
            ("countries F1", fmt(self.country_f1)),
            ("countries exact-set accuracy", fmt(self.country_exact)),
            ("organisations F1", fmt(self.organisation_f1)),
            ("topics micro-F1", fmt(self.topic_f1)),
            ("tone accuracy", fmt(self.tone_accuracy)),
            ("lead-actor accuracy", fmt(self.lead_accuracy)),
            ("tone confidence ECE", fmt(self.tone_ece)),
            (f"least-sure {UNSURE_SHARE:.0%}: tone errors", fmt(self.unsure_error_share)),
            ("language identified", fmt(self.lang_accuracy)),
        ]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{name:<{width}}  {value:>6}" for name, value in rows)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _read_gold(path: str | Path) -> tuple[list[dict], list[Item]]:
    """The labelled records of a JSON Lines file and their items; a bad line is an InputError with its line."""
    path = Path(path)
    try:
        lines = split_lines(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"cannot read file ({err.strerror})", str(path)) from err
    read = read_json_lines(iter(lines), str(path))
    if read.rejected:
        raise InputError(read.rejected[0].reason, str(path), read.rejected[0].line)
    # a gold's "lang" is the answer, not what a feed declares: the tagger must tell the language from the text
    items = [replace(item, lang="") for item in read.items]
    numbered = [(number, json.loads(line)) for number, line in enumerate(lines, start=1) if line.strip()]
    for number, gold in numbered:
        if gold.get("topics") is not None and not set(gold["topics"]) <= set(TOPICS):
            raise InputError(f"unknown topic in {gold['topics']}", str(path), number)
        if gold.get("tone") and gold["tone"] not in TONES:
            raise InputError(f"unknown tone {gold['tone']!r}", str(path), number)
    return [gold for _, gold in numbered], items


def gold_language(gold: dict) -> str:
    """The language of a labelled brief: its "lang", English when it gives none (the sets written before)."""
    return gold.get("lang") or "en"


def languages_of(path: str | Path) -> list[str]:
    """The languages of a labelled file's briefs, commonest first."""
    golds, _ = _read_gold(path)
    return [lang for lang, _ in Counter(map(gold_language, golds)).most_common()]


def labelled_examples(path: str | Path, tagger: Tagger) -> list[Example]:
    """The briefs of a gold file with topics or tone, as examples for `classify.learn`."""
    examples = []
    golds, items = _read_gold(path)
    for gold, reading in zip(golds, tagger.readings(items), strict=True):
        if gold.get("topics") is None and not gold.get("tone"):
            continue
        topics = frozenset(gold["topics"]) if gold.get("topics") is not None else None
        examples.append(Example(reading.features, tagger.rules_verdict(reading), topics, gold.get("tone") or None))
    return examples


def evaluate(path: str | Path, tagger: Tagger | None = None, lang: str | None = None) -> tuple[Scores, list[dict]]:
    """Tag every text of a gold file (or only those in language `lang`) and score it; also returns the items that
    were not exactly right."""
    tagger = tagger or default_tagger()
    golds, items = _read_gold(path)
    if lang is not None:
        chosen = [i for i, gold in enumerate(golds) if gold_language(gold) == lang]
        golds, items = [golds[i] for i in chosen], [items[i] for i in chosen]
    counts = {"c": [0, 0, 0], "o": [0, 0, 0], "t": [0, 0, 0]}
    exact = tone_ok = tone_n = lead_ok = lead_n = 0
    has_orgs = has_topics = False
    misses = []
    toned: list[tuple[float, bool]] = []  # (tone confidence, right) of the items with a gold tone
    lang_ok = lang_n = 0
    for gold, result in zip(golds, tagger.tag_many(items), strict=True):
        for key, field, predicted in (
            ("c", "countries", result.countries),
            ("o", "organisations", result.organisations),
            ("t", "topics", result.topics),
        ):
            if field not in gold or gold[field] is None:
                continue
            if key == "o":
                has_orgs = True
            if key == "t":
                has_topics = True
            g, p = set(gold[field]), set(predicted)
            counts[key][0] += len(g & p)
            counts[key][1] += len(p - g)
            counts[key][2] += len(g - p)
        ok = set(gold.get("countries") or []) == set(result.countries)
        exact += ok
        if gold.get("lang"):
            lang_n += 1
            lang_ok += gold["lang"] == result.lang
        if gold.get("tone"):
            tone_n += 1
            tone_ok += gold["tone"] == result.tone
            if result.confidence is not None:
                toned.append((result.confidence.tone, gold["tone"] == result.tone))
        if "lead_actor" in gold:
            lead_n += 1
            lead_ok += gold["lead_actor"] == result.lead_actor
        if not ok or ("organisations" in gold and set(gold["organisations"] or []) != set(result.organisations)):
            misses.append(
                {
                    "id": gold.get("id"),
                    "text": gold["text"],
                    "gold": sorted(gold.get("countries") or []),
                    "got": list(result.countries),
                    "gold_orgs": gold.get("organisations"),
                    "got_orgs": list(result.organisations),
                    "evidence": [f"{t.text}->{t.actor}" for t in result.evidence],
                }
            )
    n = len(golds)
    p, r, f = _prf(*counts["c"])
    return (
        Scores(
            items=n,
            country_precision=p,
            country_recall=r,
            country_f1=f,
            country_exact=exact / n if n else 0.0,
            organisation_f1=_prf(*counts["o"])[2] if has_orgs else None,
            topic_f1=_prf(*counts["t"])[2] if has_topics else None,
            tone_accuracy=tone_ok / tone_n if tone_n else None,
            lead_accuracy=lead_ok / lead_n if lead_n else None,
            tone_ece=expected_calibration_error(*zip(*toned)) if toned else None,
            unsure_error_share=unsure_error_share(toned),
            lang_accuracy=lang_ok / lang_n if lang_n else None,
        ),
        misses,
    )
