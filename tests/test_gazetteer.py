"""The gazetteer's on-disk index: written once, reused, rebuilt when a data file changes."""

from __future__ import annotations

import shutil

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
