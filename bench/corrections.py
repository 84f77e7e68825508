"""What an analyst's corrections teach the tagger: the first briefs of each theme of labelled files are taken as
corrections (their labelled topics and tone, as an analyst would set or confirm them), learned beside the sets of
data/briefs as `mapdata learn --with-corrections` does, and the rest of each theme is scored; against the weights
learned from data/briefs alone.

    python bench/corrections.py tests/data/blind_round24_briefs.jsonl [--first 50]
    python bench/corrections.py data/briefs/dev13[5-9]_briefs.jsonl data/briefs/dev14[0-2]_briefs.jsonl

A brief's theme is its id before the last "-" ("dev144-017": dev144). A file of data/briefs given here is left out of
what the weights learn from, so that its themes are new to them as a feed's are. Prints, per theme, topics micro-F1
and tone accuracy of the briefs held back: learned without corrections, with the corrections of every theme (a team),
and with its own theme's only (one analyst on one beat, a fit per theme). Calibration is left out: it changes the
probabilities, not which topics and tone are chosen.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

from mapdata import settings
from mapdata.classify import Classifier, Example, learn, score
from mapdata.evaluate import labelled_examples
from mapdata.feeds import split_lines
from mapdata.learning import labelled_sets, rules_tagger


def themes(path: Path) -> list[str]:
    """The theme of each brief of a file that labelled_examples keeps (those with topics or tone), in order."""
    rows = [json.loads(line) for line in split_lines(path.read_text(encoding="utf-8")) if line.strip()]
    return [str(row["id"]).rsplit("-", 1)[0] for row in rows if row.get("topics") is not None or row.get("tone")]


def scores(model: Classifier, held: Sequence[Example]) -> tuple[float, float]:
    predictions = model.predict_many([e.features for e in held])
    topics, tone = score(zip(held, ((p.topics, p.tone) for p in predictions)))
    return topics or 0.0, tone or 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+", help="labelled JSON Lines, their ids '<theme>-<n>'")
    parser.add_argument("--first", type=int, default=50, help="briefs of each theme taken as corrections (50)")
    args = parser.parse_args()
    started = time.perf_counter()
    given = {path.resolve() for path in args.files}
    learned = [path for path in settings.training_sets() if path.resolve() not in given]
    base = [e for group in labelled_sets(None, learned).values() for e in group]
    examples = [e for path in args.files for e in labelled_examples(path, rules_tagger())]
    names = [name for path in args.files for name in themes(path)]
    if len(names) != len(examples):
        raise SystemExit("every labelled brief needs an id")
    order: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        order.setdefault(name, []).append(i)
    corrections = {name: [examples[i] for i in at[: args.first]] for name, at in order.items()}
    held = {name: [examples[i] for i in at[args.first :]] for name, at in order.items()}
    if not any(held.values()):
        raise SystemExit(f"no theme has more than {args.first} briefs: nothing left to score")
    alone = learn(base)
    team = learn(base + [e for group in corrections.values() for e in group])
    rows = []
    for name in sorted(order):
        if not held[name]:
            continue
        own = learn(base + corrections[name])
        rows.append(
            (name, len(corrections[name]), len(held[name]), scores(alone, held[name]), scores(team, held[name]))
        )
        rows[-1] += (scores(own, held[name]),)
    every = [e for group in held.values() for e in group]
    files = ", ".join(str(path) for path in args.files)
    print(
        f"{len(base):,} briefs of data/briefs learned from; corrections: the first {args.first} of each theme of {files}"
    )
    print()
    print(
        "| theme | corrections | scored | topics, none | with the team's | with its own | tone, none | team's | own |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, taken, scored, none, team_scores, own in rows:
        print(
            f"| {name} | {taken} | {scored} | {none[0]:.3f} | {team_scores[0]:.3f} | {own[0]:.3f} "
            f"| {none[1]:.3f} | {team_scores[1]:.3f} | {own[1]:.3f} |"
        )
    own_topics = sum(r[5][0] * r[2] for r in rows) / len(every)
    own_tone = sum(r[5][1] * r[2] for r in rows) / len(every)
    none, with_team = scores(alone, every), scores(team, every)
    print(
        f"| **all** | {sum(r[1] for r in rows)} | {len(every)} | {none[0]:.3f} | {with_team[0]:.3f} | {own_topics:.3f}* "
        f"| {none[1]:.3f} | {with_team[1]:.3f} | {own_tone:.3f} |"
    )
    print()
    print(f"* the themes' own figures weighted by their briefs; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
