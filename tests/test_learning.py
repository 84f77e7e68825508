"""Confidence on every tag, the review queue, and corrections that teach: calibration, the queue's order, learning
with the stored corrections, the database's weights used by every tagger of it, retag applying them."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from mapdata import learning, store
from mapdata.classify import (
    LABELS,
    Calibration,
    Classifier,
    Example,
    Features,
    expected_calibration_error,
    fit_calibration,
)
from mapdata.corrections import add_correction, retag, review_story
from mapdata.errors import InputError, StoreError
from mapdata.evaluate import unsure_error_share
from mapdata.ingest import ingest_paths
from mapdata.models import TONES, TOPICS, Correction
from mapdata.settings import briefs_dir
from mapdata.tagging import default_tagger, weights_file
from support import SEED, mapdata

SMALL_SET = briefs_dir() / "dev3_briefs.jsonl"  # 75 briefs: enough to learn from in a test


def test_calibration_fixes_overconfident_scores():
    # logits twice too sharp: the tones' true chances are softmax(z / 2), the layer reports softmax(z)
    rng = np.random.default_rng(7)
    n = 3000
    z = np.zeros((n, len(LABELS)))
    z[:, len(TOPICS) :] = rng.normal(0, 3, (n, len(TONES)))
    true = np.exp(z[:, len(TOPICS) :] / 2)
    true /= true.sum(axis=1, keepdims=True)
    gold = [TONES[rng.choice(3, p=p)] for p in true]
    examples = [Example(Features("", {}, {}, 2), ((), "neutral"), None, t) for t in gold]

    def ece(calibration: Calibration) -> float:
        p = calibration.probabilities(z)[:, len(TOPICS) :]
        chosen = p.argmax(axis=1)
        return expected_calibration_error(p.max(axis=1), [TONES[c] == g for c, g in zip(chosen, gold)])

    fitted = fit_calibration(z, examples)
    assert ece(Calibration()) > 0.08  # raw softmax: overconfident
    assert ece(fitted) < 0.03
    assert fitted.scale[len(TOPICS)] == pytest.approx(0.5, abs=0.1)  # it found the temperature


def test_the_weights_file_keeps_the_calibration(tmp_path):
    model = Classifier.from_file(weights_file())
    assert model.calibration != Calibration()  # the committed weights are calibrated
    again = Classifier.from_text(model.to_text(), "copy")
    features = Features("poland closed the border crossing with belarus", {"border": 2.0}, {"conflict": 1.0}, 2)
    assert again.predict(features) == model.predict(features)
    assert model.to_text() == weights_file().read_text(encoding="utf-8")


def test_the_least_sure_share_of_errors():
    toned = [(0.3, False), (0.4, True), (0.9, True), (0.95, True), (0.99, False)]
    assert unsure_error_share(toned) == 0.5  # the least sure fifth (one item) holds one of the two errors
    assert unsure_error_share([(0.5, True)]) is None  # no errors: nothing to share


def test_mapdata_tag_gives_a_probability_for_the_tone_and_each_topic():
    import json

    records = [json.loads(line) for line in mapdata("tag", str(SEED)).stdout.splitlines()]
    assert len(records) == 11
    for r in records:
        assert set(r["confidence"]["topics"]) == set(r["topics"])
        assert 0.0 < r["confidence"]["tone"] <= 1.0


@pytest.fixture
def seeded(engine):
    ingest_paths(engine, [SEED])
    return engine


def test_the_review_queue_puts_the_least_sure_first_and_drops_what_was_reviewed(seeded):
    queue = store.review_queue(seeded, limit=20)
    assert len(queue) == 11
    assert list(queue["confidence"]) == sorted(queue["confidence"])
    first = queue["id"].iloc[0]
    tag = default_tagger().tag
    add_correction(seeded, Correction(first, "review", "", "confirm"), tag, account="test")
    second = queue["id"].iloc[1]
    add_correction(seeded, Correction(second, "tone", "neutral", "set"), tag, account="test")
    after = store.review_queue(seeded, limit=20)
    assert len(after) == 9 and first not in set(after["id"]) and second not in set(after["id"])
    frames = store.load_frames(seeded)
    sure = dict(zip(frames.items["id"], frames.items["confidence"]))
    assert sure[first] == 1.0 and sure[second] == 1.0  # what an analyst set or confirmed is certain
    # a topic added by hand is certain, the tagger's others keep their probability
    add_correction(seeded, Correction(first, "topic", "humanitarian", "add"), tag, account="test")
    topics = store.load_frames(seeded).topics
    assert topics.loc[(topics["item_id"] == first) & (topics["topic"] == "humanitarian"), "confidence"].item() == 1.0


def test_the_review_queue_of_a_view_takes_its_items_in_order_chunk_by_chunk(seeded, monkeypatch):
    from mapdata.aggregate import least_sure_first
    from mapdata.store import read

    monkeypatch.setattr(read, "_QUEUE_CHUNK", 2)  # so that the eleven items take several chunks
    frames = store.load_frames(seeded)
    order = least_sure_first(frames)
    assert len(order) == 11 and order == store.review_queue(seeded, limit=20)["id"].tolist()
    among = order[1::2]  # a view of five of them
    add_correction(seeded, Correction(among[0], "review", "", "confirm"), default_tagger().tag, account="test")
    queue = store.review_queue(seeded, limit=3, among=among)
    assert queue["id"].tolist() == among[1:4]  # the view's least certain, the reviewed one left out
    assert store.review_queue(seeded, limit=20, among=[]).empty


WIRE = (
    "Poland summoned the Belarusian ambassador in Warsaw on Monday after a drone crossed the border near "
    "Terespol and fell in a field, the foreign ministry said, calling it a deliberate provocation."
)


def ingest_rows(engine, path, rows: list[tuple[str, str, str]]) -> None:
    """Ingest (date, text, source) rows as a JSON Lines file at `path`."""
    import json

    lines = (json.dumps({"date": day, "text": text, "source": source}) + "\n" for day, text, source in rows)
    path.write_text("".join(lines), encoding="utf-8")
    ingest_paths(engine, [path])


def corrections_stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(store.corrections)).scalar_one()


def test_a_review_is_of_every_report_of_its_story(any_engine, tmp_path):
    engine = any_engine  # SQLite and PostgreSQL
    wire_copies = [
        ("2025-11-03", WIRE, "Wire"),
        ("2025-11-03", "WARSAW (Daily) - " + WIRE, "Daily"),
        ("2025-11-04", WIRE + " Minsk did not comment.", "Weekly"),
    ]
    other = ("2025-11-03", "Lithuania and Latvia agreed to link their power grids by 2027.", "Wire")
    ingest_rows(engine, tmp_path / "wire.jsonl", [*wire_copies, other])
    queue = store.review_queue(engine, limit=20)
    assert sorted(queue["reports"]) == [1, 3]  # one card a story: the three reports of the wire text are one
    card = queue[queue["reports"] == 3].iloc[0]
    with engine.connect() as conn:
        reports = store.story_reports(conn, card["id"])
    assert len(reports) == 3 and card["id"] in reports
    tone = next(t for t in TONES if t != card["tone"])
    tag = default_tagger().tag

    # all or nothing: a failure on one report leaves every report as it was
    def failing(item):
        if item.id == next(r for r in reports if r != card["id"]):
            raise RuntimeError("the tagger broke")
        return tag(item)

    before = corrections_stored(engine)
    with pytest.raises(RuntimeError):
        review_story(engine, card["id"], [("tone", tone, "set")], failing, "ana")
    assert corrections_stored(engine) == before
    assert store.review_queue(engine, limit=20)["id"].tolist() == queue["id"].tolist()

    assert review_story(engine, card["id"], [("tone", tone, "set")], tag, "ana") == 3
    items = store.load_frames(engine).items.set_index("id")
    assert (items.loc[reports, "tone"] == tone).all() and (items.loc[reports, "confidence"] == 1.0).all()
    assert store.review_queue(engine, limit=20)["reports"].tolist() == [1]  # the story is reviewed, all of it
    assert len(store.reviewed(engine)) == 1  # and teaches the tagger once
    # a confirmation with the topics changed: every report takes the reviewed one's topics
    last = reports[-1] if reports[-1] != card["id"] else reports[0]
    review_story(engine, last, [("topic", "humanitarian", "add"), ("review", "", "confirm")], tag, "ana")
    topics = store.load_frames(engine).topics
    chosen = {r: set(topics.loc[topics["item_id"] == r, "topic"]) for r in reports}
    assert all("humanitarian" in found for found in chosen.values()) and len(set(map(frozenset, chosen.values()))) == 1
    with engine.connect() as conn:
        assert store.unreviewed_reports(conn) == []
    with pytest.raises(StoreError):
        review_story(engine, "no-such-item", [("tone", "neutral", "set")], tag, "ana")


def test_a_topic_alone_reviewed_marks_every_report_even_where_it_changes_nothing(engine, tmp_path):
    ingest_rows(
        engine, tmp_path / "wire.jsonl", [("2025-11-03", WIRE, "Wire"), ("2025-11-03", "WARSAW - " + WIRE, "AP")]
    )
    (card,) = store.review_queue(engine, limit=20)["id"]
    topic = store.review_queue(engine, limit=20)["topics"][0][0][0]  # one the reports have already
    review_story(engine, card, [("topic", topic, "add")], default_tagger().tag, "ana")
    with engine.connect() as conn:
        assert store.unreviewed_reports(conn) == []  # so no later poll gives it again, and again
    before = corrections_stored(engine)
    ingest_rows(engine, tmp_path / "more.jsonl", [("2025-11-05", "Chile and Peru signed a fisheries pact.", "AP")])
    assert corrections_stored(engine) == before


def test_a_story_reviewed_report_by_report_before_is_not_queued_and_its_reports_take_the_review(engine, tmp_path):
    ingest_rows(
        engine, tmp_path / "wire.jsonl", [("2025-11-03", WIRE, "Wire"), ("2025-11-03", "WARSAW - " + WIRE, "AP")]
    )
    (card,) = store.review_queue(engine, limit=20)["id"]
    tag = default_tagger().tag
    # as a review was stored before it went to the whole story: on one report only
    add_correction(engine, Correction(card, "tone", "neutral", "set"), tag, account="ana")
    assert store.review_queue(engine, limit=20).empty  # the story's other report does not come back to the queue
    from mapdata.corrections import inherit_reviews

    assert inherit_reviews(engine, tag) == 1
    items = store.load_frames(engine).items
    assert set(items["tone"]) == {"neutral"}
    with engine.connect() as conn:
        accounts = set(conn.execute(select(store.corrections.c.account)).scalars())
    assert accounts == {"ana"}  # in the name of the analyst who reviewed it, not of whoever polled
    assert inherit_reviews(engine, tag) == 0


def test_a_report_that_joins_a_reviewed_story_later_takes_its_review(any_engine, tmp_path):
    engine = any_engine  # SQLite and PostgreSQL
    ingest_rows(engine, tmp_path / "first.jsonl", [("2025-11-03", WIRE, "Wire")])
    (reviewed,) = store.review_queue(engine, limit=20)["id"]
    tag = default_tagger().tag
    add_correction(engine, Correction(reviewed, "actor", "LT", "add"), tag, account="ana")  # an actor: its own
    review_story(engine, reviewed, [("topic", "humanitarian", "add"), ("tone", "neutral", "set")], tag, "ana")
    later = [
        ("2025-11-03", "WARSAW (Daily) - " + WIRE, "Daily"),
        ("2025-11-03", "Chile and Peru signed a pact.", "Daily"),
    ]
    ingest_rows(engine, tmp_path / "later.jsonl", later)
    frames = store.load_frames(engine)
    items = frames.items.set_index("id")
    copy = next(i for i in items.index if i != reviewed and items.loc[i, "story"] == items.loc[reviewed, "story"])
    assert items.loc[copy, "tone"] == "neutral" and items.loc[copy, "confidence"] == 1.0
    assert "humanitarian" in set(frames.topics.loc[frames.topics["item_id"] == copy, "topic"])
    assert "LT" not in set(frames.tags.loc[frames.tags["item_id"] == copy, "actor"])  # actors are each report's own
    assert store.review_queue(engine, limit=20)["text"].tolist() == ["Chile and Peru signed a pact."]
    before = corrections_stored(engine)
    ingest_rows(engine, tmp_path / "third.jsonl", [("2025-11-06", "Estonia and Finland opened a ferry line.", "AP")])
    assert corrections_stored(engine) == before  # a later ingest gives nothing twice


@pytest.mark.slow  # threads racing for seconds: the full suite's, with the other concurrency tests
def test_two_analysts_review_one_story_at_once(any_engine, tmp_path):
    """Two reviews of one story's reports at the same moment (a team on PostgreSQL, or two tabs on SQLite): both
    are stored, one after the other, and the story ends with the later one; neither sees a database error."""
    import threading

    engine = any_engine
    copies = [("2025-11-03", prefix + WIRE, source) for prefix, source in (("", "A"), ("WARSAW - ", "B"), ("X: ", "C"))]
    ingest_rows(engine, tmp_path / "wire.jsonl", copies)
    with engine.connect() as conn:
        (card,) = store.review_queue(engine, limit=20)["id"]
        reports = store.story_reports(conn, card)
    tag = default_tagger().tag

    def review(item_id: str, tone: str, start: threading.Barrier, failures: list[BaseException]) -> None:
        start.wait()
        try:
            review_story(engine, item_id, [("tone", tone, "set")], tag, "ana")
        except BaseException as err:  # reported below, with the round
            failures.append(err)

    for round_ in range(3):
        start = threading.Barrier(2)
        failures: list[BaseException] = []
        threads = [
            threading.Thread(target=review, args=(reports[0], "conflict", start, failures)),
            threading.Thread(target=review, args=(reports[-1], "cooperation", start, failures)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == [], (round_, failures)
        tones = set(store.load_frames(engine).items["tone"])
        assert len(tones) == 1 and tones <= {"conflict", "cooperation"}  # one review, for the whole story


def test_a_filtered_queue_counts_a_story_once_across_chunks(engine, tmp_path, monkeypatch):
    from mapdata.aggregate import least_sure_first
    from mapdata.store import read

    copies = [
        ("2025-11-03", prefix + WIRE, source) for prefix, source in (("", "A"), ("WARSAW - ", "B"), ("POLAND: ", "C"))
    ]
    ingest_rows(engine, tmp_path / "wire.jsonl", copies)
    monkeypatch.setattr(read, "_QUEUE_CHUNK", 1)
    order = least_sure_first(store.load_frames(engine))
    queue = store.review_queue(engine, limit=5, among=order)
    assert queue["reports"].tolist() == [3] and queue["id"].tolist() == order[:1]


def test_corrections_become_labelled_briefs(seeded):
    queue = store.review_queue(seeded, limit=20)
    tone_only, confirmed, topic_only = queue["id"].iloc[:3]
    tag = default_tagger().tag
    add_correction(seeded, Correction(tone_only, "tone", "neutral", "set"), tag, account="test")
    add_correction(seeded, Correction(confirmed, "review", "", "confirm"), tag, account="test")
    add_correction(seeded, Correction(topic_only, "topic", "humanitarian", "add"), tag, account="test")
    examples = {e.features.words: e for e in learning.labelled_sets(seeded, [])["corrections"]}
    assert len(examples) == 3
    texts = dict(zip(queue["id"], queue["text"].str.lower()))
    by_id = {
        i: next(e for w, e in examples.items() if w.startswith(texts[i][:30]))
        for i in (tone_only, confirmed, topic_only)
    }
    assert by_id[tone_only].tone == "neutral" and by_id[tone_only].topics is None
    assert by_id[confirmed].tone is not None and by_id[confirmed].topics
    assert by_id[topic_only].tone is None and "humanitarian" in by_id[topic_only].topics


def test_learning_with_corrections_is_kept_in_the_database_and_used_by_its_taggers(seeded):
    with pytest.raises(InputError, match="no corrected or confirmed items"):
        learning.learn_with_corrections(seeded, [SMALL_SET], account="test")
    assert learning.tagger_for(seeded) is default_tagger()  # nothing learned: the shipped weights
    queue = store.review_queue(seeded, limit=20)
    tag = default_tagger().tag
    for item_id in queue["id"]:
        add_correction(seeded, Correction(item_id, "tone", "conflict", "set"), tag, account="ana")
    done = learning.learn_with_corrections(seeded, [SMALL_SET], account="ana")
    assert (done.briefs, done.corrected) == (75, 11)
    tagger = learning.tagger_for(seeded)
    assert tagger is not default_tagger() and tagger.classifier is not default_tagger().classifier
    assert tagger.gaz is default_tagger().gaz  # the gazetteer is shared, not built again
    assert learning.tagger_for(seeded) is tagger  # cached until a newer model is stored
    with seeded.connect() as conn:
        row = conn.execute(store.models.select()).one()
    assert (row.account, row.briefs, row.corrected) == ("ana", 75, 11)
    # a re-tag with the new weights rewrites the confidences; every correction still holds
    report = retag(seeded, tagger, account="ana")
    assert report.items == 11
    frames = store.load_frames(seeded)
    assert set(frames.items["tone"]) == {"conflict"} and set(frames.items["confidence"]) == {1.0}


@pytest.mark.slow
def test_mapdata_learn_with_corrections_on_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    env = {"MAPDATA_DB_URL": url}
    mapdata("ingest", str(SEED), env=env)
    refused = mapdata("learn", "--with-corrections", str(SMALL_SET), env=env)
    assert refused.returncode == 2 and "no corrected or confirmed items" in refused.stderr
    engine = store.open_engine(url)
    item_id = store.review_queue(engine, limit=1)["id"].iloc[0]
    add_correction(engine, Correction(item_id, "tone", "neutral", "set"), default_tagger().tag, account="test")
    engine.dispose()
    out = mapdata("learn", "--with-corrections", str(SMALL_SET), env=env)
    assert "learned from 75 labelled briefs and 1 corrected items" in out.stderr
    assert "items re-tagged" in mapdata("retag", env=env).stdout


def test_uncertain_tones_and_topics_are_marked_in_the_panel(seeded):
    from mapdata.frames import by_ids
    from mapdata.markup import item_html
    from mapdata.models import UNSURE_BELOW

    frames = store.load_frames(seeded)
    items = frames.items
    unsure = items.loc[items["confidence"] < UNSURE_BELOW, "id"].tolist()
    sure = items.loc[items["confidence"] >= UNSURE_BELOW, "id"].tolist()
    assert unsure and sure
    shown = item_html(by_ids(frames, unsure[:1]), limit=1, more="")
    assert 'class="unsure-tone"' in shown and "uncertain tone: p = " in shown
    assert 'class="unsure-tone"' not in item_html(by_ids(frames, sure[:1]), limit=1, more="")


def test_exports_carry_the_confidences(seeded):
    from mapdata.export import jsonl_records, to_csv

    frames = store.load_frames(seeded)
    records = list(jsonl_records(frames))
    assert len(records) == 11
    for r in records:
        assert 0.0 < r["confidence"]["tone"] <= 1.0 and set(r["confidence"]["topics"]) == set(r["topics"])
    assert "tone_confidence" in to_csv(frames).splitlines()[0].split(",")
