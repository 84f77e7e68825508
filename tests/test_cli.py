"""The `mapdata` command as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json

import pytest

from support import SEED, SEED_GOLD, mapdata


def test_tag_seed_prints_one_record_per_item():
    out = mapdata("tag", str(SEED))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 11
    first = records[0]
    assert first["countries"] == ["BY", "HU", "LT"] and first["organisations"] == ["EU"]
    assert first["lead_actor"] == "EU" and first["date"] == "2025-11-01"
    assert {"actor": "HU", "text": "Hungary", "kind": "name"}.items() <= next(
        e for e in first["evidence"] if e["actor"] == "HU"
    ).items()


def test_tag_json_lines_keeps_ids_and_ignores_gold_fields():
    out = mapdata("tag", str(SEED_GOLD))
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in records][:2] == ["seed01", "seed02"]


def test_evaluate_prints_the_table():
    out = mapdata("evaluate", str(SEED_GOLD))
    assert out.returncode == 0, out.stderr
    for row in (
        "countries precision",
        "countries recall",
        "countries F1",
        "countries exact-set accuracy",
        "topics micro-F1",
        "tone accuracy",
        "lead-actor accuracy",
    ):
        assert row in out.stdout
    assert "countries F1                   1.000" in out.stdout


def test_ingest_counts_new_present_rejected(tmp_path):
    env = {"MAPDATA_DB_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "MAPDATA_SNAPSHOT_DIR": str(tmp_path / "cache")}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"date": "2025-01-01", "text": "Chile and Peru met."}\n{broken\n', encoding="utf-8")
    first = mapdata("ingest", str(SEED), str(bad), env=env)
    assert first.returncode == 1
    assert first.stdout.strip() == "12 new, 0 already present, 1 rejected"
    assert "map snapshot ready for the dashboard (" in first.stderr  # a note, not part of the summary
    assert len(list((tmp_path / "cache").glob("frames-*.pickle"))) == 1
    assert f"{bad}, line 2: not valid JSON" in first.stderr
    again = mapdata("ingest", str(SEED), env=env)  # nothing new: no snapshot to prepare
    assert (again.returncode, again.stdout.strip()) == (0, "0 new, 11 already present, 0 rejected")


def test_unreadable_file_is_a_clear_error(tmp_path):
    out = mapdata("tag", str(tmp_path / "nope.txt"))
    assert out.returncode == 2
    assert "nope.txt: cannot read file" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_export_stats_retag_round_trip(tmp_path):
    env = {"MAPDATA_DB_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    mapdata("ingest", str(SEED), env=env)
    stats = mapdata("stats", env=env)
    assert stats.returncode == 0
    assert "items      11" in stats.stdout and "2025-11-01 to 2025-11-01" in stats.stdout
    assert "Belarus (BY) 11" in stats.stdout
    out = tmp_path / "border.jsonl"
    exported = mapdata("export", "--format", "jsonl", "--topic", "border", "-o", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records and all("border" in r["topics"] for r in records)
    # export -> ingest into a fresh store adds them; again adds nothing (stable ids)
    other = {"MAPDATA_DB_URL": f"sqlite:///{tmp_path / 'other.sqlite'}"}
    first = mapdata("ingest", str(out), env=other)
    assert first.stdout.strip() == f"{len(records)} new, 0 already present, 0 rejected"
    back = mapdata("ingest", str(out), str(SEED), env=other)
    # the exported items are present twice over: once from the export file, once as the same seed items
    assert back.stdout.strip() == f"{11 - len(records)} new, {2 * len(records)} already present, 0 rejected"
    geo = json.loads(mapdata("export", "--format", "geojson", "--country", "PL", env=env).stdout)
    layers = {f["properties"]["layer"] for f in geo["features"]}
    assert layers == {"actor", "relation"}
    assert any(f["properties"].get("border") for f in geo["features"] if f["properties"]["layer"] == "relation")
    csv_out = mapdata("export", "--format", "csv", "--from", "2025-11-02", env=env)
    assert csv_out.stdout.splitlines()[0].startswith("date,topics,countries")
    assert len(csv_out.stdout.splitlines()) == 1
    retag = mapdata("retag", env=env)
    assert retag.returncode == 0 and retag.stdout.startswith("11 items re-tagged, 0 changed")
    bad = mapdata("export", "--from", "yesterday", env=env)
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_ingest_dates_undated_items_when_told(tmp_path):
    feed = tmp_path / "articles.jsonl"
    feed.write_text('{"text": "Chile and Peru signed a fisheries pact."}\n', encoding="utf-8")
    env = {"MAPDATA_DB_URL": f"sqlite:///{tmp_path / 'dated.sqlite'}"}
    refused = mapdata("ingest", "--no-snapshot", str(feed), env=env)
    assert refused.returncode == 1 and "line 1: no date" in refused.stderr and "--date YYYY-MM-DD" in refused.stderr
    dated = mapdata("ingest", "--no-snapshot", "--date", "2025-11-02", str(feed), env=env)
    assert dated.returncode == 0 and dated.stdout.strip() == "1 new, 0 already present, 0 rejected"
    out = mapdata("export", "--format", "jsonl", env=env)
    assert json.loads(out.stdout)["date"] == "2025-11-02"
    bad = mapdata("ingest", "--date", "2025-13-01", str(feed), env=env)
    assert bad.returncode == 2 and "not a date" in bad.stderr
