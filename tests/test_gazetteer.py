"""The gazetteer's on-disk index: written once, reused, rebuilt when a data file changes."""

from __future__ import annotations

import shutil

import pytest

from mapdata import gazetteer, settings


def test_index_is_cached_and_rebuilt_when_data_changes(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir(), data)
    monkeypatch.setenv("MAPDATA_DATA_DIR", str(data))
    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(tmp_path / "cache"))
    gazetteer.load.cache_clear()
    try:
        first = gazetteer.load()
        files = list((tmp_path / "cache").glob("gazetteer-*.pickle"))
        assert len(files) == 1
        gazetteer.load.cache_clear()
        assert gazetteer.load().entries == first.entries
        assert "Ruritania" not in first.entries
        with (data / "country_aliases.csv").open("a", encoding="utf-8") as handle:
            handle.write("Ruritania,AT,name,a test alias\n")
        gazetteer.load.cache_clear()
        assert gazetteer.load().entries["Ruritania"].actor == "AT"
        assert len(list((tmp_path / "cache").glob("gazetteer-*.pickle"))) == 2
    finally:
        gazetteer.load.cache_clear()


def test_relearned_weights_and_cues_leave_the_index_as_it_is(tmp_path, monkeypatch):
    """The key hashes only the files the gazetteer is built from: `mapdata learn` rewriting the weights, or a new
    topic cue, must not make the next run rebuild the index and, through it, every language's tables."""
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir(), data)
    monkeypatch.setenv("MAPDATA_DATA_DIR", str(data))
    before = gazetteer.cache_key()
    for name in ("learned_weights.csv", "learned_weights_languages.csv", "lexicon.csv", "README.md"):
        with (data / name).open("a", encoding="utf-8") as handle:
            handle.write("\n")
    (data / "notes.txt").write_text("a file the gazetteer does not read\n", encoding="utf-8")
    assert gazetteer.cache_key() == before
    for name in gazetteer.SOURCES:
        with (data / name).open("a", encoding="utf-8") as handle:
            handle.write("\n")
        changed = gazetteer.cache_key()
        assert changed != before, name
        before = changed


def test_the_gazetteer_reads_no_file_its_key_does_not_hash():
    with pytest.raises(ValueError, match="SOURCES"):
        gazetteer.read_lines("lexicon.csv")
    with pytest.raises(ValueError, match="SOURCES"):
        list(gazetteer.read_csv("learned_weights.csv", ("feature",)))


def test_a_surname_a_given_name_and_a_dateline_abbreviation_are_rows_of_data(tmp_path, monkeypatch):
    """A person teaches the tagger a surname, a given name or a state's abbreviation by adding a line to data/."""
    from mapdata.tagging.matcher import ActorTagger

    data = tmp_path / "data"
    shutil.copytree(settings.data_dir(), data)
    monkeypatch.setenv("MAPDATA_DATA_DIR", str(data))
    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(tmp_path / "cache"))
    texts = ("Moses Kampala spoke to reporters.", "Zebulon Kennedy spoke.", "Police in Athens, Cal. said.")

    def countries() -> list[list[str]]:
        gazetteer.load.cache_clear()
        matcher = ActorTagger(gazetteer.load())
        return [sorted({tag.actor for tag in matcher.tag(text)}) for text in texts]

    try:
        assert countries() == [["UG"], ["CO"], ["GR"]]
        with (data / "surnames.txt").open("a", encoding="utf-8") as handle:
            handle.write("Kampala\n")
        with (data / "given_names.txt").open("a", encoding="utf-8") as handle:
            handle.write("Zebulon\n")
        with (data / "region_abbreviations.csv").open("a", encoding="utf-8") as handle:
            handle.write("Cal.,US,California,an older style\n")
        assert countries() == [[], [], ["US"]]
    finally:
        gazetteer.load.cache_clear()
