"""The learned topic and tone layer: its weights file, how it is learned, and that it beats the rules out of set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from mapdata.classify import (
    DENSE,
    LABELS,
    Classifier,
    Example,
    Features,
    _item_terms,
    cross_validate,
    fold_groups,
    learn,
    out_of_fold,
)
from mapdata.errors import DataFileError
from mapdata.evaluate import labelled_examples
from mapdata.models import TONES, TOPICS, Item
from mapdata.settings import briefs_dir, training_sets
from mapdata.tagging import Tagger, weights_file
from support import SEED_GOLD, mapdata

BRIEFS = briefs_dir()
SETS = training_sets()  # data/briefs: what the committed weights are learned from


@pytest.fixture(scope="module")
def rules() -> Tagger:
    return Tagger(learned=False)


@pytest.fixture(scope="module")
def labelled(rules: Tagger) -> dict[str, list]:
    return {path.name: labelled_examples(path, rules) for path in SETS}


@pytest.mark.slow
def test_committed_weights_are_what_mapdata_learn_makes(labelled):
    # data/learned_weights.csv is generated: after the lexicon or a labelled set changes, run the
    # `mapdata learn` command in data/README.md again; hand edits to the weights fail here
    made = learn([e for group in labelled.values() for e in group])
    committed = Classifier.from_file(weights_file())
    assert list(made.vocabulary) == list(committed.vocabulary)
    np.testing.assert_allclose(made.dense, committed.dense, atol=0.0015)
    np.testing.assert_allclose(made.word_weights, committed.word_weights, atol=0.0015)


@pytest.mark.slow
def test_the_other_languages_weights_are_what_mapdata_learn_makes(labelled, rules):
    # data/learned_weights_languages.csv: learned from every set, English's and the six other languages'
    others = [e for path in training_sets(english=False) for e in labelled_examples(path, rules)]
    assert {p.name[:2] for p in training_sets(english=False)} == {"ru", "uk", "pl", "de", "fr", "es"}
    made = learn([e for group in labelled.values() for e in group] + others)
    committed = Classifier.from_file(weights_file(english=False))
    assert list(made.vocabulary) == list(committed.vocabulary)
    assert "ru_language" in committed.vocabulary and any(w.startswith("pl_") for w in committed.vocabulary)
    np.testing.assert_allclose(made.dense, committed.dense, atol=0.0015)
    np.testing.assert_allclose(made.word_weights, committed.word_weights, atol=0.0015)


@pytest.mark.slow
def test_learned_layer_beats_the_rules_on_sets_it_did_not_learn_from(labelled):
    # two processes, as `mapdata learn --cross-validate` runs it (test_folds_on_two_processes_give_what_one_gives);
    # eight folds of sets rather than one per set, so that the number of fits stays at eight as rounds of briefs are
    # added (each set is still scored by weights that never saw it, learned from seven eighths of the others)
    rows = {row.name: row for row in cross_validate(labelled, workers=2, folds=8)}
    pooled = rows["all"]
    assert pooled.items == sum(len(group) for group in labelled.values())
    assert pooled.topic_f1 > pooled.lexicon_topic_f1 + 0.01
    assert pooled.tone_accuracy >= pooled.lexicon_tone_accuracy
    # the sets the rules' parameters were never chosen on: the layer beats the rules' topics on each, their tone on
    # all of them together, and falls behind their tone on none by more than two briefs of the smallest (84)
    fresh = [name for name in rows if name not in ("dev_briefs.jsonl", "dev2_briefs.jsonl", "dev3_briefs.jsonl", "all")]
    assert len(fresh) >= 6
    for name in fresh:
        assert rows[name].topic_f1 > rows[name].lexicon_topic_f1
        assert rows[name].tone_accuracy >= rows[name].lexicon_tone_accuracy - 0.025
    items = sum(rows[name].items for name in fresh)
    learned = sum(rows[name].tone_accuracy * rows[name].items for name in fresh) / items
    rules = sum(rows[name].lexicon_tone_accuracy * rows[name].items for name in fresh) / items
    assert learned > rules + 0.05


def test_folds_on_two_processes_give_what_one_gives(labelled):
    # `mapdata learn` fits the calibration's folds on every core: the same logits, in the same order, as one process
    sets = {name: labelled[name][:60] for name in ("dev3_briefs.jsonl", "dev4_briefs.jsonl", "dev5_briefs.jsonl")}
    names, z = out_of_fold(sets)
    names2, z2 = out_of_fold(sets, workers=2)
    assert names == names2 == [n for n in sets for _ in range(60)]
    assert np.array_equal(z, z2) and z.shape == (180, len(LABELS))
    # folds of several sets: each batch a worker gets holds more than one set
    assert np.array_equal(out_of_fold(sets, folds=2)[1], out_of_fold(sets, workers=2, folds=2)[1])
    # and the held-out sets' calibrations and scores, also fitted on the workers
    assert cross_validate(sets, workers=2) == cross_validate(sets)


def test_folds_of_several_sets_score_each_set_by_weights_that_never_saw_it(labelled):
    sets = {name: labelled[name][:40] for name in ("dev3_briefs.jsonl", "dev4_briefs.jsonl", "dev5_briefs.jsonl")}
    assert fold_groups(list(sets), 2) == [("dev3_briefs.jsonl", "dev5_briefs.jsonl"), ("dev4_briefs.jsonl",)]
    assert fold_groups(list(sets), 3) == fold_groups(list(sets)) == [(name,) for name in sets]
    with pytest.raises(ValueError, match="at least 2 folds"):
        fold_groups(list(sets), 1)
    names, z = out_of_fold(sets)
    names2, z2 = out_of_fold(sets, folds=2)
    assert names2 == names  # rows in the order of the sets, whatever the folds
    # dev4 is held out alone in both: learned from dev3 and dev5 each time
    assert np.array_equal(z2[40:80], z[40:80])
    # dev3 and dev5 held out together: learned from dev4 alone
    alone = learn(sets["dev4_briefs.jsonl"])
    assert np.allclose(z2[:40], alone.logits_many([e.features for e in sets["dev3_briefs.jsonl"]]))
    assert np.allclose(z2[80:], alone.logits_many([e.features for e in sets["dev5_briefs.jsonl"]]))
    assert not np.allclose(z2[:40], z[:40])
    rows = cross_validate(sets, folds=2)
    assert [row.name for row in rows] == [*sets, "all"] and rows[-1].items == 120


def test_weights_file_round_trip_keeps_every_prediction(labelled, tmp_path):
    examples = labelled["dev3_briefs.jsonl"]
    model = learn(examples)
    model.to_file(tmp_path / "w.csv")
    again = Classifier.from_file(tmp_path / "w.csv")
    for e in labelled["dev4_briefs.jsonl"]:
        assert model.predict(e.features) == again.predict(e.features)


def test_a_weights_file_is_read_once_and_again_when_it_changes(labelled, tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "w.csv"
    learn(labelled["dev3_briefs.jsonl"]).to_file(path)
    first = Classifier.from_file(path)
    assert len(list((tmp_path / "cache").glob("weights-w-*.pickle"))) == 1
    again = Classifier.from_file(path)  # from the cache: the same weights, calibration and vocabulary
    assert np.array_equal(again._weights, first._weights) and again.vocabulary == first.vocabulary
    assert again.calibration == first.calibration
    features = [e.features for e in labelled["dev4_briefs.jsonl"]]
    assert again.predict_many(features) == first.predict_many(features)
    # `mapdata learn` rewrites the file: the next read is of the new weights, and the old entry goes
    learn(labelled["dev4_briefs.jsonl"]).to_file(path)
    changed = Classifier.from_file(path)
    assert changed.vocabulary != first.vocabulary
    assert changed.vocabulary == Classifier.from_text(path.read_text(encoding="utf-8"), "w").vocabulary
    assert len(list((tmp_path / "cache").glob("weights-w-*.pickle"))) == 1
    # a broken file says so, from the cache or not
    path.write_text("feature,nonsense\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="the header must be"):
        Classifier.from_file(path)


def test_a_word_form_no_brief_used_weighs_through_its_stem(tmp_path):
    def example(words: str, topic: str, tone: str) -> Example:
        return Example(Features(words, {}, {}, 2), ((), "neutral"), frozenset({topic}), tone)

    examples = [example("eu sanctions on minsk", "sanctions", "conflict")] * 3
    examples += [example("leaders hold talks on trade", "diplomacy", "cooperation")] * 3
    examples += [example("ru_sankcii against minsk", "sanctions", "conflict")] * 2
    model = learn(examples)
    assert {"sanctions", "~sanction", "ru_sankcii", "~talk"} <= set(model.vocabulary)
    assert not any(w.startswith("~ru") for w in model.vocabulary)  # another language's key is no English word
    # "sanctioning" is in no brief: its stem weighs for sanctions, where an unknown word weighs nothing
    stemmed = model.logits_many([Features("new sanctioning of minsk", {}, {}, 2)])[0]
    unknown = model.logits_many([Features("new frobnicating of minsk", {}, {}, 2)])[0]
    sanctions = LABELS.index("sanctions")
    assert stemmed[sanctions] > unknown[sanctions] + 0.1
    # the weights file names a stem as such, and reads it back
    model.to_file(tmp_path / "w.csv")
    assert "\nstem:sanction," in (tmp_path / "w.csv").read_text(encoding="utf-8")
    again = Classifier.from_file(tmp_path / "w.csv")
    assert np.array_equal(again.logits_many([Features("new sanctioning of minsk", {}, {}, 2)])[0], stemmed)


def test_two_neighbouring_words_weigh_as_a_pair(tmp_path):
    def example(words: str, tone: str) -> Example:
        return Example(Features(words, {}, {}, 2), ((), "neutral"), frozenset({"diplomacy"}), tone)

    # "talks" and "collapsed" each come with either tone; only together do they say conflict
    examples = [example("the talks collapsed in geneva", "conflict")] * 3
    examples += [example("the talks resumed in geneva", "cooperation")] * 3
    examples += [example("a bridge collapsed and talks began", "cooperation")] * 3
    model = learn(examples)
    # the little words are skipped between the two ("talks collapsed in geneva": no "collapsed.in")
    assert {"talks.collapsed", "collapsed.geneva", "talks.resumed"} <= set(model.vocabulary)
    assert not any(w.endswith(".in") or w.startswith("the.") for w in model.vocabulary)
    conflict, cooperation = LABELS.index("conflict"), LABELS.index("cooperation")
    z = model.logits_many([Features("talks collapsed", {}, {}, 2), Features("collapsed talks", {}, {}, 2)])
    assert z[0, conflict] - z[0, cooperation] > z[1, conflict] - z[1, cooperation] + 0.1
    # the weights file names a pair as such, and reads it back
    model.to_file(tmp_path / "w.csv")
    assert "\npair:talks.collapsed," in (tmp_path / "w.csv").read_text(encoding="utf-8")
    again = Classifier.from_file(tmp_path / "w.csv")
    assert np.array_equal(again.logits_many([Features("talks collapsed", {}, {}, 2)]), z[:1])


def test_what_an_actor_does_weighs_whichever_actor_it_is():
    def example(words: str, frame: str, tone: str) -> Example:
        return Example(Features(words, {}, {}, 2, frame=frame), ((), "neutral"), frozenset({"diplomacy"}), tone)

    # "summoned" and "envoy" come with either tone; the lead actor summoning another says conflict, whoever they are
    examples = [
        example(f"{a} summoned {b} envoy", "xlead summoned xactor envoy", "conflict") for a, b in ACTOR_PAIRS
    ] * 2
    examples += [example("the envoy summoned the press", "the envoy summoned the press", "cooperation")] * 4
    examples += [
        example(f"{a} welcomed {b} envoy", "xlead welcomed xactor envoy", "cooperation") for a, b in ACTOR_PAIRS
    ]
    model = learn(examples)
    assert {"xlead.summoned", "summoned.xactor", "xactor.envoy"} <= set(model.vocabulary)
    conflict, cooperation = LABELS.index("conflict"), LABELS.index("cooperation")
    # countries the examples never named: only the frame carries the role
    words = "chile summoned peru envoy"
    z = model.logits_many([Features(words, {}, {}, 2, frame="xlead summoned xactor envoy"), Features(words, {}, {}, 2)])
    assert z[0, conflict] - z[0, cooperation] > z[1, conflict] - z[1, cooperation] + 0.1


ACTOR_PAIRS = [("kenya", "ghana"), ("norway", "japan"), ("brazil", "spain")]  # countries, for the frames


def test_the_tagger_writes_each_actor_as_its_role():
    tagger = Tagger()
    features, _ = tagger.features("Poland summoned Russia's ambassador after a Russian drone crashed near Lublin.", 3)
    assert (
        features.frame.split()
        == "xlead summoned xactor 's ambassador after a xactor drone crashed near xactor .".split()
    )
    assert features.words.split()[0] == "poland"  # the words themselves are kept as they are
    # the lead actor is the one that acts, not the first named
    assert tagger.features("In Kyiv, Germany pledged air defence.", 2)[0].frame.split()[:4] == [
        "in",
        "xactor",
        ",",
        "xlead",
    ]
    # another language has no frame (its words are keyed, not English)
    assert tagger.features("Polska wezwała ambasadora Rosji.", 2, "pl")[0].frame == ""


def test_one_item_and_a_batch_read_the_same_features(labelled):
    # tag_many counts the actors its tags name; topics_and_tone and learning are given the count (a stored item's,
    # which an analyst may have corrected): given the same count, one reading gives the same verdict
    tagger = Tagger()
    lines = (BRIEFS / "dev41_briefs.jsonl").read_text(encoding="utf-8").splitlines()
    golds = [json.loads(line) for line in lines]
    tagged = tagger.tag_many([Item(id=g["id"], date=date(2025, 1, 1), text=g["text"]) for g in golds])
    for gold, item in zip(golds, tagged, strict=True):
        actors = len(item.countries) + len(item.organisations)
        assert (item.topics, item.tone) == tagger.topics_and_tone(gold["text"], actors)


def test_a_forgetful_row_cache_scores_as_a_fresh_one(labelled):
    # the learned layer remembers each word's row; past its bound it forgets them all and looks them up again, which
    # must not change a single score (a long-running dashboard tags past the bound)
    fresh = Classifier.from_file(weights_file())
    forgetful = Classifier.from_file(weights_file())
    forgetful._rows.LIMIT = 40
    items = [e.features for e in labelled["holdout_briefs.jsonl"]]
    assert np.array_equal(np.vstack([forgetful.logits_many([f]) for f in items]), fresh.logits_many(items))
    assert 0 < len(forgetful._rows.rows) <= 40 + max(len(f.words.split()) * 3 for f in items)


def test_the_row_cache_keeps_words_not_pairs(labelled):
    # an article's pairs of words are mostly new: kept, they would fill the cache past its bound and crowd out the
    # words, whose stems are worth remembering; a pair has no stem, so it is read from the vocabulary itself
    model = Classifier.from_file(weights_file())
    items = [e.features for e in labelled["holdout_briefs.jsonl"]]
    scores = model.logits_many(items)
    kept = model._rows.rows
    assert kept and not any(b"." in word for word in kept)
    known_pairs = [p for f in items for p in _item_terms(f) if b"." in p and p in model._rows.index]
    assert known_pairs  # the pairs still count: a fresh model scoring item by item gives the same
    fresh = Classifier.from_file(weights_file())
    assert np.array_equal(np.vstack([fresh.logits_many([f]) for f in items]), scores)


def test_predictions_keep_the_taxonomy_shape(labelled):
    model = Classifier.from_file(weights_file())
    for e in labelled["holdout_briefs.jsonl"]:
        topics, tone, tone_p, topic_p = model.predict(e.features)
        assert 0.0 <= tone_p <= 1.0 and len(topic_p) == len(topics) and all(0.0 <= p <= 1.0 for p in topic_p)
        assert 1 <= len(topics) <= 3 and len(set(topics)) == len(topics) and set(topics) <= set(TOPICS)
        assert tone in TONES
    # nothing the lexicon or the words know still gets one topic and a tone
    assert model.predict(Features("", {}, {}, 0))[0][0] in TOPICS


def test_the_tagger_uses_the_learned_layer(labelled):
    tagger = Tagger()
    differ = 0
    for line in (BRIEFS / "dev4_briefs.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        text = gold["text"]
        actors = len(gold["countries"]) + len(gold.get("organisations") or [])
        learned = tagger.topics_and_tone(text, actors)
        features, rules = tagger.features(text, actors)
        assert learned == tagger.classifier.predict(features)[:2]
        differ += learned != rules
    assert differ >= 5


def test_rules_alone_when_asked(rules):
    text = "Poland closed two border crossings with Belarus after migrants tried to force the fence."
    assert rules.classifier is None
    assert rules.topics_and_tone(text, 2) == rules.lexicon.score(text, 2)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("feature,diplomacy\nbias,1\n", "the header must be"),
        (
            "HEADER\n"
            + "\n".join(f"{f}," + ",".join("0" for _ in LABELS) for f in DENSE)
            + "\nword:talks,x"
            + ",0" * (len(LABELS) - 1)
            + "\n",
            f"line {len(DENSE) + 2}: a weight is not a number",
        ),
        (
            "HEADER\n"
            + "\n".join(f"{f}," + ",".join("0" for _ in LABELS) for f in DENSE)
            + "\nbias,"
            + ",".join("0" for _ in LABELS)
            + "\n",
            "'bias' appears twice",
        ),
        (
            "HEADER\n"
            + "\n".join(f"{f}," + ",".join("0" for _ in LABELS) for f in DENSE)
            + "\nphrase:peace talks,"
            + ",".join("0" for _ in LABELS)
            + "\n",
            "unknown feature 'phrase:peace talks'",
        ),
        ("HEADER\nbias," + ",".join("0" for _ in LABELS) + "\n", "missing rows lexicon:diplomacy"),
    ],
)
def test_a_bad_weights_file_says_what_and_where(tmp_path, body, message):
    path = tmp_path / "learned_weights.csv"
    path.write_text(body.replace("HEADER", "feature," + ",".join(LABELS)), encoding="utf-8")
    with pytest.raises(DataFileError, match=message):
        Classifier.from_file(path)


def test_mapdata_learn_writes_weights_the_tagger_reads(tmp_path):
    out = tmp_path / "weights.csv"
    run = mapdata("learn", str(SETS[2]), str(SETS[3]), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert "learned from 159 briefs" in run.stderr
    model = Classifier.from_file(out)
    assert "sanctions" in model.vocabulary
    assert not list(tmp_path.glob("*.tmp"))


def test_mapdata_learn_to_a_named_file_leaves_the_shipped_weights_alone(tmp_path, monkeypatch, capsys):
    # `mapdata learn -o FILE` with no files learns the English weights into FILE, and writes no shipped file
    import mapdata.tagging
    from mapdata import cli, settings

    languages = tmp_path / "learned_weights_languages.csv"
    monkeypatch.setattr(settings, "training_sets", lambda english=True: [SETS[2], SETS[3]] if english else [])
    monkeypatch.setattr(
        mapdata.tagging, "weights_file", lambda english=True: tmp_path / "shipped.csv" if english else languages
    )
    out = tmp_path / "mine.csv"
    assert cli.main(["learn", "-o", str(out)]) == 0
    assert "English: learned from 159 briefs" in capsys.readouterr().err
    assert "sanctions" in Classifier.from_file(out).vocabulary
    assert not languages.exists() and not (tmp_path / "shipped.csv").exists()


def test_mapdata_learn_cross_validate_prints_each_held_out_set():
    run = mapdata("learn", "--cross-validate", str(SETS[2]), str(SETS[3]), str(SEED_GOLD))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:2] == ["held-out", "set"]
    assert [line.split()[0] for line in lines[1:]] == [
        "dev3_briefs.jsonl",
        "dev4_briefs.jsonl",
        "seed_briefs.jsonl",
        "all",
    ]
    assert lines[-1].split()[1] == str(75 + 84 + 11)


def test_mapdata_learn_cross_validates_in_folds_of_files():
    run = mapdata("learn", "--cross-validate", "--folds", "2", str(SETS[2]), str(SETS[3]), str(SEED_GOLD))
    assert run.returncode == 0, run.stderr
    rows = [line.split() for line in run.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == ["dev3_briefs.jsonl", "dev4_briefs.jsonl", "seed_briefs.jsonl", "all"]
    assert rows[-1][1] == str(75 + 84 + 11)
    # dev3 and the seed held out together learn from dev4 alone: not what one fold per file gives
    one_each = mapdata("learn", "--cross-validate", str(SETS[2]), str(SETS[3]), str(SEED_GOLD))
    assert one_each.returncode == 0 and one_each.stdout != run.stdout
    for bad in (["--folds", "1", "--cross-validate"], ["--folds", "x", "--cross-validate"], ["--folds", "3"]):
        run = mapdata("learn", *bad, str(SETS[2]))
        assert run.returncode == 2 and "--folds" in run.stderr, bad


def test_mapdata_learn_names_the_file_and_line_of_a_bad_label(tmp_path):
    gold = tmp_path / "gold.jsonl"
    good = {
        "id": "a",
        "date": "2025-11-01",
        "text": "Chile and Peru signed a trade deal.",
        "countries": ["CL", "PE"],
        "topics": ["trade_energy"],
        "tone": "cooperation",
    }
    gold.write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "id": "b", "topics": ["trade"]}) + "\n", encoding="utf-8"
    )
    run = mapdata("learn", str(gold), "-o", str(tmp_path / "w.csv"))
    assert run.returncode == 2
    assert "gold.jsonl" in run.stderr and "line 2" in run.stderr and "unknown topic" in run.stderr
    assert not (tmp_path / "w.csv").exists()
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text(
        json.dumps({"id": "a", "date": "2025-11-01", "text": "Chile and Peru met."}) + "\n", encoding="utf-8"
    )
    run = mapdata("learn", str(unlabelled), "-o", str(tmp_path / "w.csv"))
    assert run.returncode == 2 and "no labelled topics or tone" in run.stderr


@pytest.mark.slow
def test_the_verdict_does_not_depend_on_the_process_hash_seed(tmp_path):
    # the ingest and a later re-tag run in different processes; a set's order follows the hash seed, and
    # summing word weights in that order once flipped a near tie between two tones
    script = tmp_path / "logits.py"
    script.write_text(
        "import hashlib, json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / 'bench')!r})\n"
        "from generate import items\n"
        "from mapdata.tagging import default_tagger\n"
        "tagger = default_tagger()\n"
        "texts = [r['text'] for r in items(3000, seed=21)]\n"
        "features = [tagger.features(t, 2)[0] for t in texts]\n"
        "print(hashlib.sha1(tagger.classifier.logits_many(features).tobytes()).hexdigest())\n",
        encoding="utf-8",
    )
    digests = set()
    for seed in ("1", "2", "3"):
        run = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert run.returncode == 0, run.stderr
        digests.add(run.stdout.strip())
    assert len(digests) == 1


def test_an_items_scores_do_not_depend_on_the_items_batched_with_it(labelled):
    # an ingest tags in batches of 2,000 on worker processes, a re-tag or a correction one item or another batch:
    # a near tie between two tones must come out the same every time, to the last bit
    model = Classifier.from_file(weights_file())
    features = [e.features for group in labelled.values() for e in group]
    together = model.logits_many(features)
    for start in (0, 1, 7):
        np.testing.assert_array_equal(model.logits_many(features[start : start + 300]), together[start : start + 300])
    alone = np.vstack([model.logits_many([f]) for f in features[:200]])
    np.testing.assert_array_equal(alone, together[:200])


def test_confidences_are_calibrated_on_briefs_no_weight_was_learned_from():
    # tests/data/blind_briefs.jsonl: written blind from the taxonomy, never learned from (see its README)
    from mapdata.evaluate import evaluate

    scores, _ = evaluate(Path(__file__).parent / "data" / "blind_briefs.jsonl")
    assert scores.items == 200
    assert scores.tone_ece <= 0.10  # the bound on the tone confidence's calibration error
    assert scores.unsure_error_share >= 0.40  # the least sure fifth holds at least twice its share of tone errors


@pytest.mark.parametrize(
    ("name", "items"),
    [
        # 600 briefs written blind from the taxonomy, none ever learned from (see tests/data/README.md): 300 finished
        # after the weights of 2026-12-05 were learned, 100 article openings (dev32) while the evidence scaling was
        # measured, 100 of the less common topics (dev38) after the eighth round was learned, 100 from Europe and North
        # America (dev42) after the ninth was. Measured: topics 0.908, tone 0.900, lead actor 0.978 (the weights
        # before the sixth round, of thirteen sets and plain descent, on the first 300: 0.861, 0.817, 0.970). The
        # countries' errors on the first 400 were looked at and fixed (Nord Stream, Santander, St Vincent), so that
        # figure (0.998) guards the fix and no longer measures it blind.
        ("blind_later_briefs.jsonl", 600),
        # the eighteenth round, 800 briefs by eight helpers, written while the weights of round seventeen were learned
        # and never learned from; scored blind with those weights: topics 0.901, tone 0.886, lead actor 0.994,
        # countries exact set 0.995; with round nineteen learned from too: topics 0.907, tone 0.894 (docs/accuracy.md).
        # Three country errors were fixed after (Tripoli, Sharm el-Sheikh, Volker Türk), so its exact set no longer
        # measures those blind
        ("blind_round18_briefs.jsonl", 800),
    ],
)
def test_briefs_written_after_the_weights_meet_the_topic_and_tone_targets(name, items):
    # issue 15's targets: topics 0.90, tone 0.88, lead actor 0.92 and countries exact set 0.98
    from mapdata.evaluate import evaluate

    scores, _ = evaluate(Path(__file__).parent / "data" / name)
    assert scores.items == items
    assert scores.topic_f1 >= 0.90 and scores.tone_accuracy >= 0.88 and scores.lead_accuracy >= 0.92
    assert scores.country_exact >= 0.98
    assert scores.tone_ece <= 0.10 and scores.unsure_error_share >= 0.40


def test_the_newest_round_on_new_themes_holds_what_it_reached_blind():
    # the twenty-fourth round, 800 briefs by eight helpers on themes no round had taken (climate and disasters,
    # hostages and detainees, students and science, tourism, ceremony and protocol, grids and pipelines, parliaments
    # abroad, a 2025-26 digest), written while round twenty-three was moved into the learned sets and never learned
    # from. Scored blind with the weights learned with round twenty-three: topics 0.862, tone 0.889, ECE 0.016
    # (docs/accuracy.md). Held here at what it reached, so that a change that loses ground on unseen themes fails.
    # Its country and lead misses (0.994 and 0.990 blind: bodies without a row, the UN's climate talks, a valley, a
    # palace, a surname) were fixed after, so those two no longer measure blind (0.999 and 0.994 since)
    from mapdata.evaluate import evaluate

    scores, _ = evaluate(Path(__file__).parent / "data" / "blind_round24_briefs.jsonl")
    assert scores.items == 800
    assert scores.topic_f1 >= 0.86 and scores.tone_accuracy >= 0.88
    assert scores.lead_accuracy >= 0.98 and scores.country_exact >= 0.99
    assert scores.tone_ece <= 0.10 and scores.unsure_error_share >= 0.55


def test_the_sparse_features_multiply_as_the_dense_matrix_would():
    from mapdata.classify import _Sparse

    rng = np.random.default_rng(7)
    rows = []
    for _ in range(40):  # a column twice in a row (two words of one stem) adds up, as in the dense matrix
        columns = [0, *rng.integers(1, 30, size=int(rng.integers(0, 8))).tolist()]
        rows.append((columns, rng.normal(size=len(columns)).tolist()))
    dense = np.zeros((len(rows), 30))
    for i, (columns, values) in enumerate(rows):
        np.add.at(dense, (i, columns), values)
    x, w, g = _Sparse(rows, 30), rng.normal(size=(30, 4)), rng.normal(size=(40, 4))
    np.testing.assert_allclose(x.dot(w), dense @ w, atol=1e-12)
    np.testing.assert_allclose(x.tdot(g), dense.T @ g, atol=1e-12)
    with pytest.raises(ValueError):
        _Sparse([([], [])], 3)


def test_momentum_brings_the_topic_fit_to_its_optimum_in_the_same_steps():
    # classify._fit with Nesterov momentum: 400 steps end near the minimum of the regularised log loss (its gradient
    # nearly zero), where plain descent, the same 400 steps, is still on its way; without momentum the two are one
    from mapdata.classify import LEARN, _fit, _Sparse

    rng = np.random.default_rng(7)
    n, width = 600, 80
    rows = []
    for _ in range(n):
        columns = sorted({0, *rng.choice(np.arange(1, width), size=6, replace=False).tolist()})
        rows.append((columns, [1.0] * len(columns)))
    x = _Sparse(rows, width)
    truth = rng.normal(0, 1.5, (width, 3))
    y = (rng.random((n, 3)) < 1 / (1 + np.exp(-x.dot(truth)))).astype(float)

    def gradient(w: np.ndarray) -> float:
        return float(np.abs(x.tdot(1 / (1 + np.exp(-x.dot(w))) - y) / n + LEARN.topic_l2 * w).max())

    assert LEARN.topic_momentum > 0
    plain = _fit(x, y, LEARN.topic_l2, 0.0, LEARN, softmax=False)
    carried = _fit(x, y, LEARN.topic_l2, LEARN.topic_momentum, LEARN, softmax=False)
    assert gradient(carried) < gradient(plain) / 10
    assert gradient(carried) < 1e-3


def test_the_fit_scales_each_word_by_how_unevenly_it_falls_between_the_labels():
    # classify._evidence: a word met only in the briefs with a label is scaled up, a word that makes the same share of
    # the words with the label as without is scaled to nothing (the penalty holds it at zero), the dense features keep
    # scale 1; the tone's softmax gives its three labels one scale, the largest
    from mapdata.classify import _evidence, _Sparse

    telling, other, even = len(DENSE), len(DENSE) + 2, len(DENSE) + 1
    rows, labels = [], []
    for i in range(40):
        inside = i % 2 == 0
        columns = [0, telling if inside else other, *([even] if i % 4 < 2 else [])]
        rows.append((columns, [1.0] * len(columns)))
        labels.append([1.0 if inside else 0.0, 0.0 if inside else 1.0])
    x, y = _Sparse(rows, len(DENSE) + 3), np.array(labels)
    scale = _evidence(x, y, prior=1.0, softmax=False)
    assert (scale[: len(DENSE)] == 1.0).all()
    assert scale[telling, 0] == scale[telling, 1] == pytest.approx(np.log(21))  # 21/33 of the words against 1/33
    assert scale[even, 0] == pytest.approx(0.0)
    tone = _evidence(x, np.column_stack([y, np.zeros(40)]), prior=1.0, softmax=True)
    assert (tone == tone[:, :1]).all() and tone[telling, 0] == scale[telling].max()


def test_the_scaled_fit_returns_weights_for_the_unscaled_features():
    # with a scale of ones the fit is plain descent, bit for bit; with a scale s, the returned weights w satisfy
    # x @ w == (x * s) @ v for the weights v fitted to the scaled features
    from mapdata.classify import LEARN, _fit, _Sparse

    rng = np.random.default_rng(3)
    rows = [(sorted({0, *rng.choice(np.arange(1, 30), 5, replace=False).tolist()}), [1.0] * 6) for _ in range(200)]
    rows = [(c, [1.0] * len(c)) for c, _ in rows]
    x = _Sparse(rows, 30)
    y = (rng.random((200, 2)) < 0.4).astype(float)
    plain = _fit(x, y, 0.001, 0.9, LEARN, False)
    assert np.array_equal(plain, _fit(x, y, 0.001, 0.9, LEARN, False, np.ones((30, 2))))
    scale = rng.uniform(0.5, 2.0, (30, 2))
    scaled_rows = [(c, [scale[j, 0] for j in c]) for c, _ in rows]
    fitted = _fit(_Sparse(scaled_rows, 30), y[:, :1], 0.001, 0.9, LEARN, False)
    assert np.allclose(
        x.dot(_fit(x, y, 0.001, 0.9, LEARN, False, scale))[:, 0], _Sparse(scaled_rows, 30).dot(fitted)[:, 0]
    )
