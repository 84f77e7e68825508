"""Stories: near-duplicate reports grouped (measured on the labelled set tests/data/stories.jsonl), stored, and
counted once by every view unless the user asks for every report."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
from datetime import UTC, date, datetime, timedelta

import pytest

from mapdata import export, store, stories
from mapdata.errors import StoreError
from mapdata.feeds import read_seed_text
from mapdata.filters import Filters
from mapdata.ingest import ingest_result
from support import DATA

WIRE = "Poland closed two border crossings with Belarus on Tuesday, citing a surge of migrants pushed across by Minsk."
REPORTS = [
    WIRE,
    "(Wire) " + WIRE + " More follows.",
    WIRE.replace("closed", "shut").replace("surge", "rise") + " officials said.",
]
OTHERS = [
    "Poland reopened two border crossings with Belarus on Friday after the number of migrants fell.",
    "Lithuania recalled its ambassador from Minsk after balloons carrying contraband again closed Vilnius airport.",
]


def labelled(split: str) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / "stories.jsonl").open(encoding="utf-8")]
    return sorted((r for r in rows if r["split"] == split), key=lambda r: (r["date"], r["id"]))


def pair_scores(rows: list[dict]) -> tuple[float, float, int]:
    """Precision and recall of same-story pairs, and how many labelled pairs there are."""
    found = stories.group(
        [r["id"] for r in rows], [r["text"] for r in rows], [date.fromisoformat(r["date"]) for r in rows]
    )
    truth, guess = set(), set()
    for (i, a), (j, b) in itertools.combinations(enumerate(rows), 2):
        if a["story"] == b["story"]:
            truth.add((i, j))
        if found[i] == found[j]:
            guess.add((i, j))
    hits = len(truth & guess)
    return hits / max(len(guess), 1), hits / max(len(truth), 1), len(truth)


def test_near_duplicate_pairs_are_found_on_the_labelled_test_split(capsys):
    precision, recall, pairs = pair_scores(labelled("test"))
    with capsys.disabled():
        print(f"\nSTORIES test split: {pairs} labelled pairs, precision {precision:.3f}, recall {recall:.3f}")
    assert pairs >= 100
    assert precision >= 0.95 and recall >= 0.95


def test_reports_of_one_event_form_one_story_and_look_alikes_do_not():
    day = date(2025, 11, 4)
    texts = REPORTS + OTHERS
    found = stories.group([f"i{n}" for n in range(len(texts))], texts, [day] * len(texts))
    assert found[:3] == ["i0", "i0", "i0"]
    assert found[3:] == ["i3", "i4"]
    far = stories.group(["a", "b"], REPORTS[:2], [day, date(2025, 11, 20)])
    assert far == ["a", "b"]  # the same words weeks apart: another event


def test_stored_items_are_grouped_and_views_count_stories(any_engine):
    lines = "\n".join(["date 2025-11-04", *REPORTS, *OTHERS])
    ingest_result(any_engine, read_seed_text(lines.splitlines(), "wire.txt"))
    assert stories.assign(any_engine) == 0  # grouped as they were stored
    stats = store.stats(any_engine)
    assert (stats.items, stats.stories) == (5, 3)
    frames = store.load_frames(any_engine)
    assert frames.story_count == 3
    counted = Filters().apply(frames)
    assert len(counted.items) == 3 and sorted(counted.items["reports"]) == [1, 1, 3]
    assert len(Filters(every_report=True).apply(frames).items) == 5
    assert len(Filters(search="vilnius").apply(frames).items) == 1
    # the story's first report represents it, and carries every report's link
    first = counted.items[counted.items["reports"] == 3].iloc[0]
    assert first["text"] in REPORTS and len(first["links"]) == 3
    # every report of the story holds the one tuple of its links: a tuple each grew with the square of a story's size
    of_story = frames.items[frames.items["reports"] == 3]["links"]
    assert len(of_story) == 3 and len({id(links) for links in of_story}) == 1
    rows = list(export.jsonl_records(Filters(every_report=True).apply(frames)))
    assert len({r["story"] for r in rows}) == 3

    # a later report of the same event joins its story
    later = read_seed_text(["date 2025-11-05", "BREAKING: " + WIRE], "later.txt")
    ingest_result(any_engine, later)
    assert store.stats(any_engine).stories == 3


def test_items_stored_before_stories_existed_are_grouped_by_the_next_assign(engine):
    ingest_result(engine, read_seed_text(["date 2025-11-04", *REPORTS], "wire.txt"))
    with store.writing(engine) as conn:
        conn.execute(store.items.update().values(story=None))  # as migration 0005 leaves them
    assert store.stats(engine).stories == 3  # each its own story until grouped
    assert stories.assign(engine) == 3
    assert store.stats(engine).stories == 1


def test_a_feed_larger_than_a_batch_is_grouped_as_the_grouper_groups_it(any_engine):
    # more lone reports than one list of ids holds (store.BATCH), and copies that join their story one by one
    words = "Lithuania closed its border crossing with Belarus".split()
    texts = [" ".join([*words, f"alpha{i}", f"bravo{i}", f"charlie{i}", f"delta{i}", f"echo{i}"]) for i in range(2300)]
    texts += [f"(Wire) {texts[i]} More follows." for i in range(0, 2300, 23)]
    ingest_result(any_engine, read_seed_text(["date 2025-11-04", *texts], "wire.txt"))
    with any_engine.connect() as conn:
        stored = dict(
            conn.execute(store.items.select().with_only_columns(store.items.c.text, store.items.c.story)).all()
        )
        if conn.dialect.name == "sqlite":  # the grouping's larger page cache is not left to the pooled connection
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
    expected = stories.group([f"i{i}" for i in range(len(texts))], texts, [date(2025, 11, 4)] * len(texts))
    assert len(set(expected)) == 2300 and len(set(stored.values())) == 2300
    # the same partition of the texts into stories as the grouper's
    assert _partition(zip(texts, expected, strict=True)) == _partition(stored.items())


def _partition(text_story_pairs) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for text, story in text_story_pairs:
        groups.setdefault(story, set()).add(text)
    return {frozenset(group) for group in groups.values()}


def _split_grouping(monkeypatch) -> list:
    """Let `assign` split from ten items, and keep each cut it makes (so a test knows two processes ran)."""
    cuts = []
    halves = stories._halves

    def spy(counts):
        cuts.append(halves(counts))
        return cuts[-1]

    monkeypatch.setattr(stories, "PARALLEL_FROM", 2)
    monkeypatch.setattr(stories, "_halves", spy)
    return cuts


def _stories_of(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(store.items.select().with_only_columns(store.items.c.id, store.items.c.story)).all())


def _ungroup(engine, ids=None) -> None:
    with store.writing(engine) as conn:
        chosen = store.items.update() if ids is None else store.items.update().where(store.items.c.id.in_(ids))
        conn.execute(chosen.values(story=None))


def test_grouping_on_two_processes_gives_the_stories_one_process_gives(any_engine, monkeypatch, no_hang):
    # reports over six days, and some of the first day's re-published every day after: each copy joins the story
    # through the day before's copy (a report only reaches the days around it), across whatever day the work is
    # split at
    def report(day: int, i: int) -> list[str]:
        return [
            "Lithuania",
            "closed",
            "border",
            *(f"{word}{day}x{i}" for word in ("alpha", "bravo", "charlie", "delta")),
        ]

    lines = []
    for day in range(6):
        lines.append(f"date 2025-11-{day + 1:02d}")
        lines += [" ".join(report(day, i)) for i in range(40)]
        if day:
            lines += [f"(Wire) {' '.join(report(0, i)[:-1])}" for i in range(0, 40, 3)]
    ingest_result(any_engine, read_seed_text(lines, "wire.txt"))
    _ungroup(any_engine)
    assert stories.assign(any_engine, 1) == len(lines) - 6
    alone = _stories_of(any_engine)
    cuts = _split_grouping(monkeypatch)
    _ungroup(any_engine)
    assert stories.assign(any_engine, 2) == len(lines) - 6
    assert cuts and cuts[0][1]  # the later days went to the second process
    assert _stories_of(any_engine) == alone
    assert len(set(alone.values())) == 240  # each copy joined the story of the report it copies


@pytest.mark.parametrize("seed", [4, 19, 23])
def test_two_processes_agree_with_one_on_ties_and_on_items_grouped_before(tmp_path, monkeypatch, seed, no_hang):
    # reports of a few words from a small vocabulary, so that many are tied as candidates (the later one wins a
    # tie, so the order in which each day's reports were indexed decides); a first batch grouped, then a second one
    # around and between its days, some added out of order, with days missing. With seeds 4 and 19, indexing a
    # day's ungrouped reports before its grouped ones gives other stories.
    rng = random.Random(seed)
    vocabulary = [f"w{c}" for c in "abcdefghijkl"]
    days = sorted(rng.sample(range(12), rng.randint(3, 9)))
    start, added = datetime(2025, 12, 1, tzinfo=UTC), itertools.count(1)

    def batch(prefix: str) -> list[dict]:
        rows = []
        for day in days:
            texts = [" ".join(rng.sample(vocabulary, rng.randint(3, 6))) for _ in range(rng.randint(0, 15))]
            for text in texts:
                k = next(added)
                when = start + timedelta(seconds=k if rng.random() < 0.8 else -k)
                rows.append(
                    {
                        "id": f"{prefix}{k}",
                        "date": date(2025, 11, 1) + timedelta(days=day),
                        "text": text,
                        "tone": "neutral",
                        "added_at": when,
                        "source": "s",
                    }
                )
        rng.shuffle(rows)
        return rows

    engine = store.open_engine(f"sqlite:///{tmp_path / 'stories.sqlite'}")
    with store.writing(engine) as conn:
        conn.execute(store.items.insert(), batch("a"))
    stories.assign(engine, 1)
    second = batch("b")
    with store.writing(engine) as conn:
        conn.execute(store.items.insert(), second)
    stories.assign(engine, 1)
    alone = _stories_of(engine)
    cuts = _split_grouping(monkeypatch)
    _ungroup(engine, [r["id"] for r in second])
    assert stories.assign(engine, 2) == len(second)
    assert cuts and cuts[0][1]
    assert _stories_of(engine) == alone
    engine.dispose()


def test_a_second_process_that_dies_fails_the_grouping_instead_of_hanging(engine, monkeypatch, no_hang):
    texts = [f"Lithuania closed its border crossing alpha{i} bravo{i}" for i in range(30)]
    ingest_result(engine, read_seed_text(["date 2025-11-01", *texts[:15], "date 2025-11-02", *texts[15:]], "w.txt"))
    _ungroup(engine)
    _split_grouping(monkeypatch)
    grouped = stories._grouped

    def killed(conn, days, before=None):
        if before is not None:  # in the second process
            os.kill(os.getpid(), signal.SIGKILL)
        return grouped(conn, days, before)

    monkeypatch.setattr(stories, "_grouped", killed)
    with pytest.raises(StoreError, match="second process ended"):
        stories.assign(engine, 2)
    assert set(_stories_of(engine).values()) == {None}  # nothing half-written
    monkeypatch.setattr(stories, "_grouped", grouped)
    assert stories.assign(engine, 2) == 30  # and the database is free for the next one
