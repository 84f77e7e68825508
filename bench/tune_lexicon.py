"""Choose the topic and tone parameters of the lexicon scorer by cross-validation on the labelled dev sets.

    python bench/tune_lexicon.py [FILE...]           # scores of the current parameters on each set
    python bench/tune_lexicon.py --search [FILE...]  # fit the parameters, with their 5-fold cross-validated score
    python bench/tune_lexicon.py --errors FILE       # items of FILE whose topics or tone are wrong, with their scores

The fit is coordinate ascent over the grids below, from the baseline and from a few random points, and keeps
the best on the training folds. The default files are the dev sets: data/briefs/dev_briefs.jsonl (written
together with the lexicon), data/briefs/dev2_briefs.jsonl and data/briefs/dev3_briefs.jsonl (labelled before the
tagger ran on them). The other labelled sets are never read here. These parameters shape the lexicon's own
scores (Tagger(learned=False)); the tagger's final topics and tone come from the learned layer on top of them,
whose out-of-set figures `mapdata learn --cross-validate` prints (data/README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from collections import Counter
from pathlib import Path

from mapdata.models import Item
from mapdata.tagging import PARAMS, Lexicon, ScoreParams, default_tagger

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = [ROOT / "data" / "briefs" / name for name in ("dev_briefs.jsonl", "dev2_briefs.jsonl", "dev3_briefs.jsonl")]

# where every search starts: the parameters before they were tuned, with each later mechanism switched off,
# so that the cross-validated figures do not start from values already fitted on the held-out fold
BASELINE = ScoreParams(
    topic_threshold=1.5,
    topic_relative=0.34,
    diplomacy_relative=0.34,
    third_relative=0.34,
    max_topics=2,
    topic_first_sentence_weight=2.0,
    diplomacy_prior=0.5,
    tone_threshold=1.5,
    first_sentence_weight=3.0,
    conflict_scale=0.8,
    neutral_scale=1.0,
    negated_conflict=0.5,
    negated_cooperation=0.5,
    reversed_cooperation=1.0,
    hedged_weight=1.0,
    background_weight=1.0,
    skip_names=False,
    lone_cooperation=1.0,
    lone_conflict=1.0,
    absent_weight=1.0,
    absent_topic=1.0,
)

# the values --search tries for each parameter (topic and tone parameters do not interact, so they are fitted apart)
TOPIC_GRID = {
    "topic_threshold": [1.0, 1.5, 2.0, 2.5],
    "topic_relative": [0.2, 0.25, 0.3, 0.34, 0.4, 0.5],
    "max_topics": [2, 3],
    "diplomacy_prior": [0.5, 1.0, 1.5],
    "diplomacy_relative": [0.1, 0.15, 0.2, 0.25, 0.34],
    "third_relative": [0.34, 0.4, 0.5, 0.6, 0.75],
    "topic_first_sentence_weight": [1.0, 1.5, 2.0, 3.0],
    "absent_topic": [0.0, 0.25, 0.5, 1.0],
    "decisive_weight": [2.0, 2.5, 3.0, float("inf")],
}
TONE_GRID = {
    "tone_threshold": [1.0, 1.5, 2.0, 2.5, 3.0],
    "conflict_scale": [0.6, 0.7, 0.8, 0.9, 1.0],
    "lone_cooperation": [0.0, 0.25, 0.5, 1.0],
    "negated_conflict": [0.0, 0.25, 0.5, 1.0],
    "negated_cooperation": [0.0, 0.5, 1.0],
    "skip_names": [False, True],
    "reversed_cooperation": [0.0, 0.5, 1.0],
    "background_weight": [0.25, 0.5, 0.75, 1.0],
    "neutral_scale": [0.0, 0.25, 0.5, 1.0],
    "hedged_weight": [0.25, 0.5, 0.75, 1.0],
    "lone_conflict": [0.25, 0.5, 0.75, 1.0],
    "absent_weight": [0.0, 0.25, 1.0],
}


@dataclasses.dataclass
class Case:
    gold: dict
    text: str
    actors: int
    hits: list


def load(paths: list[Path]) -> list[Case]:
    """Every labelled item with its cue hits, tagged once."""
    tagger = default_tagger()
    cases = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            gold = json.loads(line)
            result = tagger.tag(Item.create(gold["text"], None))
            actors = len(result.countries) + len(result.organisations)
            cases.append(Case(gold, gold["text"], actors, tagger.lexicon.hits(gold["text"])))
    return cases


def measure(cases: list[Case], params: ScoreParams) -> tuple[float, float, float]:
    """Topics micro-F1, tone accuracy and tone balanced accuracy (the mean of the three tones' recalls, which
    does not depend on how often each tone occurs in a set)."""
    tp = fp = fn = 0
    right: Counter = Counter()
    total: Counter = Counter()
    for case in cases:
        topics, tone = Lexicon.decide(case.text, case.hits, case.actors, params)
        gold, got = set(case.gold["topics"]), set(topics)
        tp, fp, fn = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got)
        total[case.gold["tone"]] += 1
        right[case.gold["tone"]] += tone == case.gold["tone"]
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    balanced = sum(right[t] / total[t] for t in total) / len(total)
    return f1, sum(right.values()) / len(cases), balanced


def ascend(cases: list[Case], grid: dict[str, list], which: int, start: ScoreParams) -> tuple[float, ScoreParams]:
    """Coordinate ascent over the grid: change one parameter at a time to its best value (topic F1 for
    which=0, tone accuracy for which=1) until no single change helps."""
    current = start
    score = measure(cases, current)[which]
    for _ in range(10):
        improved = False
        for name, values in grid.items():
            for value in values:
                trial = dataclasses.replace(current, **{name: value})
                trial_score = measure(cases, trial)[which]
                if trial_score > score + 1e-9:
                    current, score, improved = trial, trial_score, True
        if not improved:
            break
    return score, current


def fit(cases: list[Case], grid: dict[str, list], which: int, restarts: int = 4, seed: int = 11) -> ScoreParams:
    """The best of coordinate ascents from the baseline and from a few random points of the grid."""
    rng = random.Random(seed)
    starts = [BASELINE] + [
        dataclasses.replace(BASELINE, **{name: rng.choice(values) for name, values in grid.items()})
        for _ in range(restarts)
    ]
    return max((ascend(cases, grid, which, start) for start in starts), key=lambda pair: pair[0])[1]


def search(cases: list[Case], folds: int = 5, seed: int = 7) -> None:
    print(f"{len(cases)} items, {folds}-fold cross-validation")
    order = list(range(len(cases)))
    random.Random(seed).shuffle(order)
    for which, name, grid in (
        (0, "topics micro-F1", TOPIC_GRID),
        (1, "tone accuracy", TONE_GRID),
        (2, "tone balanced accuracy", TONE_GRID),
    ):
        held = []
        for k in range(folds):
            test = [cases[i] for j, i in enumerate(order) if j % folds == k]
            train = [cases[i] for j, i in enumerate(order) if j % folds != k]
            held.append(measure(test, fit(train, grid, which))[which] * len(test))
        overall = fit(cases, grid, which)
        print(
            f"{name}: cross-validated {sum(held) / len(cases):.3f}; baseline {measure(cases, BASELINE)[which]:.3f}; "
            f"current {measure(cases, PARAMS)[which]:.3f}; fitted on all {measure(cases, overall)[which]:.3f} with"
        )
        changed = {name: getattr(overall, name) for name in grid if getattr(overall, name) != getattr(PARAMS, name)}
        print("   ", changed or "the current parameters")


def errors(path: Path) -> None:
    for case in load([path]):
        topics, tone = Lexicon.decide(case.text, case.hits, case.actors, PARAMS)
        if set(topics) == set(case.gold["topics"]) and tone == case.gold["tone"]:
            continue
        print(
            f"{case.gold.get('id')}: topics {sorted(case.gold['topics'])} got {list(topics)}; tone {case.gold['tone']} got {tone}"
        )
        print("   ", case.text)
        topic_scores, tone_scores = Lexicon.tally(case.text, case.hits, case.actors, PARAMS)
        print(
            "    topics",
            {k: round(v, 2) for k, v in sorted(topic_scores.items(), key=lambda kv: -kv[1])},
            "tone",
            {k: round(v, 2) for k, v in tone_scores.items()},
            f"actors {case.actors}",
        )
        print("    cues", [(case.text[s:e], c.label, c.weight) for s, e, c in case.hits])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", action="store_true", help="grid search by cross-validation over the dev sets")
    parser.add_argument("--errors", type=Path, help="print the items of this file whose topics or tone are wrong")
    parser.add_argument("files", nargs="*", type=Path, help="labelled files (default: the two dev sets)")
    args = parser.parse_args()
    if args.errors:
        errors(args.errors)
        return 0
    paths = args.files or DEV_SETS
    per_file = {path: load([path]) for path in paths}
    for path, cases in per_file.items():
        f1, tone, balanced = measure(cases, PARAMS)
        print(
            f"{path.name}: topics micro-F1 {f1:.3f}, tone accuracy {tone:.3f}, balanced {balanced:.3f} ({len(cases)} items)"
        )
    if args.search:
        search([case for cases in per_file.values() for case in cases])
    return 0


if __name__ == "__main__":
    sys.exit(main())
