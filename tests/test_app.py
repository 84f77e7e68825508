"""Every page through Streamlit's AppTest (no browser): filters, the URL round trip, clicks on the map."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT


@pytest.fixture
def app(db_url, monkeypatch):
    monkeypatch.setenv("MAPDATA_DB_URL", db_url)
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)


def map_component(at):
    (comp,) = [c for c in at.get("component_instance") if c.proto.component_name == "streamlit_folium.st_folium"]
    return comp, json.loads(comp.proto.json_args)


def caption_text(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_map_page_runs_and_draws_every_actor(app):
    at = app.run()
    assert not at.exception
    assert "Showing 11 of 11 items" in caption_text(at)
    _, args = map_component(at)
    layer = args["feature_group"]
    assert layer.count("L.circleMarker(") == 11  # countries; EU and NATO are diamond markers
    assert layer.count("L.polyline(") >= 15
    assert "Lukashenka" in layer
    assert "/app/static/leaflet/leaflet.js" in args["js_links"]
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 11


def test_topic_filter_changes_markers_table_and_url(app):
    at = app.run()
    at.sidebar.multiselect(key="topics").select("travel_consular").run()
    assert not at.exception
    assert "Showing 1 of 11 items" in caption_text(at)
    _, args = map_component(at)
    assert args["feature_group"].count("L.circleMarker(") == 2
    assert len(at.dataframe[0].value) == 1
    assert at.query_params["topics"] in ("travel_consular", ["travel_consular"])


def test_url_filters_reload_the_same_view(app):
    app.query_params["topics"] = "travel_consular"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="topics").value == ["travel_consular"]
    assert "Showing 1 of 11 items" in caption_text(at)


def test_date_range_filter_from_url_leaves_nothing_outside(app, tmp_path):
    feed = tmp_path / "later.txt"
    feed.write_text("date 2025-11-05 Japan and South Korea held talks in Busan.\n", encoding="utf-8")
    from mapdata import store
    from mapdata.ingest import ensure_sample, ingest_paths

    engine = store.open_engine()
    ensure_sample(engine)
    ingest_paths(engine, [feed])
    app.query_params["from"] = "2025-11-02"
    at = app.run()
    assert not at.exception
    assert "Showing 1 of 12 items" in caption_text(at)
    assert at.sidebar.date_input(key="dates").value == (date(2025, 11, 2), date(2025, 11, 5))


def test_click_on_a_marker_lists_its_items(app):
    at = app.run()
    comp, _ = map_component(at)
    at.session_state[comp.key] = {"last_object_clicked": {"lat": 53.5, "lng": 28.0}, "last_object_clicked_tooltip": "Belarus (BY) · 11 items"}
    at.run()
    assert not at.exception
    assert any("Items involving Belarus (BY)" in s.value for s in at.subheader)
    assert any("<mark" in m.value and "Lukashenka</mark>" in m.value for m in at.markdown)


def test_click_on_a_line_lists_the_pair(app):
    at = app.run()
    comp, _ = map_component(at)
    at.session_state[comp.key] = {"last_object_clicked_tooltip": "Belarus (BY) – European Union (EU, org.) · 1 item"}
    at.run()
    assert any("Items between Belarus (BY) and European Union (EU, org.)" in s.value for s in at.subheader)


def test_items_page_search_and_download(app):
    at = app.run()
    at.switch_page("pages/1_Items.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 11
    at.text_input(key="item_search").input("embassy").run()
    assert len(at.dataframe[0].value) == 1
    assert "1 items shown" in caption_text(at)
    assert at.get("download_button")
