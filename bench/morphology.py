"""Names in the six other languages matched two ways, on the 600 labelled briefs (data/briefs/<lang>_briefs.jsonl
and tests/data/languages_blind_briefs.jsonl), in one process:

- mapdata's way: every form simplemma knows of the data files' lemmas written into the matcher when a language's
  tables are built, Snowball stems for the rest;
- simplemma called on every word at run time (a word's key is the stem of its lemma).

    python bench/morphology.py

Prints countries F1 and exact-set accuracy of each, its time per item (a first pass and a warm one), and how long
simplemma's six dictionaries take to load.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    import simplemma

    from mapdata.models import Item
    from mapdata.tagging import default_tagger, languages
    from mapdata.tagging.morphology import Morphology

    files = [ROOT / "data" / "briefs" / f"{lang}_briefs.jsonl" for lang in sorted(languages.READ)]
    files.append(ROOT / "tests" / "data" / "languages_blind_briefs.jsonl")
    rows = [json.loads(line) for path in files for line in path.read_text("utf-8").splitlines() if line.strip()]
    tagger = default_tagger()
    languages.load_all()

    def score(label: str) -> None:
        items = [Item.create(r["text"], date(2025, 1, 1)) for r in rows]
        start = time.perf_counter()
        tagger.tag_many(items)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        results = tagger.tag_many(items)
        warm = time.perf_counter() - start
        tp = fp = fn = exact = 0
        for row, result in zip(rows, results, strict=True):
            gold, got = set(row["countries"]), set(result.countries)
            tp, fp, fn, exact = tp + len(gold & got), fp + len(got - gold), fn + len(gold - got), exact + (gold == got)
        precision, recall = tp / (tp + fp), tp / (tp + fn)
        print(
            f"{label}: countries F1 {2 * precision * recall / (precision + recall):.3f}, exact {exact / len(rows):.3f}, "
            f"{warm / len(rows) * 1e6:.0f} µs/item warm, {cold / len(rows) * 1e6:.0f} first pass"
        )

    print(f"{len(rows)} briefs")
    score("forms written into the matcher (mapdata)")

    def at_run_time(self: Morphology, low: str) -> str:
        key = self._cache.get(low)
        if key is None:
            key = self._cache[low] = self.stem_key(simplemma.lemmatize(low, lang=self.lang))
        return key

    for lang in languages.READ:
        tables = languages.pack(lang)
        tables.morphology.forms = {}
        tables.morphology._cache.clear()
    Morphology.key_of_low = at_run_time
    start = time.perf_counter()
    for lang in sorted(languages.READ):
        simplemma.lemmatize("x", lang=lang)
    print(f"loading simplemma's six dictionaries: {time.perf_counter() - start:.1f} s")
    score("simplemma on every word at run time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
