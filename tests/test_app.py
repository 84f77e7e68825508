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


COUNTRY_MARKER = '"mapdata-actor actor-'


def map_component(at):
    (comp,) = [c for c in at.get("component_instance") if c.proto.component_name == "streamlit_folium.st_folium"]
    return comp, json.loads(comp.proto.json_args)


def caption_text(at) -> str:
    return " ".join(c.value for c in at.caption)


def listed_items(at) -> int:
    """Items in the list under the map (an HTML block of `.item` entries)."""
    lists = [h.value for h in at.get("html") if 'class="filtered-items"' in h.value]
    assert len(lists) == 1
    return lists[0].count('<div class="item">')


def test_map_page_runs_and_draws_every_actor(app):
    at = app.run()
    assert not at.exception
    assert "Showing 11 of 11 items" in caption_text(at)
    _, args = map_component(at)
    layer = args["feature_group"]
    assert layer.count(COUNTRY_MARKER) == 11  # countries; EU and NATO are diamond markers
    assert layer.count("mapdata-org actor-org-") == 2
    assert layer.count('"mapdata-pair pair-') >= 15
    assert "window.mapdata.basemap(" in args["script"]  # the drawing code comes with the base map
    assert "Lukashenka" in layer
    assert "/app/static/leaflet/leaflet.js" in args["js_links"]
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])
    assert listed_items(at) == 11


def test_topic_filter_changes_markers_table_and_url(app):
    at = app.run()
    at.sidebar.multiselect(key="topics").select("travel_consular").run()
    assert not at.exception
    assert "Showing 1 of 11 items" in caption_text(at)
    _, args = map_component(at)
    assert args["feature_group"].count(COUNTRY_MARKER) == 2
    assert listed_items(at) == 1
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
    assert any("<mark" in h.value and "Lukashenka</mark>" in h.value for h in at.get("html"))


def test_click_on_a_line_lists_the_pair(app):
    at = app.run()
    comp, _ = map_component(at)
    at.session_state[comp.key] = {"last_object_clicked_tooltip": "Belarus (BY) – European Union (EU, org.) · 1 item"}
    at.run()
    assert any("Items between Belarus (BY) and European Union (EU, org.)" in s.value for s in at.subheader)


def test_items_page_search_and_download(app):
    at = app.run()
    at.switch_page("pages/3_Items.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 11
    at.text_input(key="item_search").input("embassy").run()
    assert len(at.dataframe[0].value) == 1
    assert "1 items shown" in caption_text(at)
    assert at.get("download_button")


PAGES = ["pages/1_Timeline.py", "pages/2_Relations.py", "pages/3_Items.py", "pages/4_Data.py"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(app, page):
    at = app.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title and at.sidebar.multiselect(key="topics") is not None


def test_every_sidebar_filter_and_reset(app):
    at = app.run()
    at.sidebar.multiselect(key="countries").select("PL").run()
    assert "Showing 2 of 11 items" in caption_text(at)
    at.sidebar.multiselect(key="tones").select("cooperation").run()
    assert "Showing 0 of 11 items" in caption_text(at)
    at.sidebar.multiselect(key="tones").unselect("cooperation").run()
    at.sidebar.text_input(key="search").input("Zapad").run()
    assert "Showing 1 of 11 items" in caption_text(at)
    assert at.query_params["countries"] in ("PL", ["PL"])
    at.sidebar.button(key="reset").click().run()
    assert "Showing 11 of 11 items" in caption_text(at)
    assert at.sidebar.multiselect(key="countries").value == []
    at.sidebar.checkbox(key="border_only").check().run()
    border = caption_text(at)
    assert "Showing 11 of 11" not in border and "Showing 0 of" not in border
    at.sidebar.checkbox(key="border_only").uncheck().run()
    at.sidebar.number_input(key="min_items").set_value(3).run()
    _, args = map_component(at)
    assert args["feature_group"].count(COUNTRY_MARKER) == 4  # BY, RU, US, UA have 3 items or more


def test_url_with_unknown_actor_is_ignored_not_fatal(app):
    app.query_params["countries"] = "PL,ZZ"
    app.query_params["min"] = "not-a-number"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="countries").value == ["PL"]


def test_timeline_narrows_every_view(app):
    at = app.run()
    at.switch_page("pages/1_Timeline.py").run()
    assert not at.exception
    assert any("Items per day" in c.value for c in at.caption)


def test_relations_page_matrix_pairs_and_ego(app):
    at = app.run()
    at.switch_page("pages/2_Relations.py").run()
    assert not at.exception
    assert at.dataframe  # the matrix and the ego tables
    assert any("Belarus (BY)" in e.label for e in at.expander)
    at.selectbox(key="ego_actor").select("PL").run()
    assert not at.exception


def test_items_page_has_three_downloads(app):
    at = app.run()
    at.switch_page("pages/3_Items.py").run()
    labels = {b.proto.label for b in at.get("download_button")}
    assert labels == {"Download CSV", "Download JSON Lines", "Download GeoJSON (map layers)"}


def test_data_page_paste_preview_and_add(app, db_url):
    at = app.run()
    at.switch_page("pages/4_Data.py").run()
    at.text_area(key="paste_text").input("Chile and Peru signed a trade agreement.\n\ndate 2025-13-45 Broken date.").run()
    assert not at.exception
    assert any("1 items to add, 1 rejected" in m.value for m in at.markdown)
    at.button(key="paste_add").click().run()
    assert any("1 new, 0 already present" in s.value for s in at.success)
    from mapdata import store

    frames = store.load_frames(store.open_engine(db_url))
    assert {"CL", "PE"} <= set(frames.tags["actor"])


def test_data_page_correction_is_stored_and_shown(app, db_url):
    at = app.run()
    at.switch_page("pages/4_Data.py").run()
    at.text_input(key="correct_search").input("Zapad").run()
    at.selectbox(key="add_country").select("LT").run()
    at.button(key="do_add_country").click().run()
    assert not at.exception
    assert any("stored; it survives re-tagging" in s.value for s in at.success)
    assert any("Lithuania (LT) (manual)" in c.value for c in at.caption)
    from mapdata import store

    frames = store.load_frames(store.open_engine(db_url))
    manual = frames.tags[frames.tags["manual"].astype(bool)]
    assert list(manual["actor"]) == ["LT"]


def test_warm_loads_what_the_first_visit_reads(app, db_url, monkeypatch):
    import sys

    monkeypatch.syspath_prepend(str(ROOT))
    import pages
    from mapdata import snapshot, store

    seconds = pages.warm()
    assert seconds > 0
    assert sys.modules["pages"] is pages  # the module the dashboard imports: the same caches

    def no_second_load(*args, **kwargs):
        raise AssertionError("the first visit loaded the data again")

    monkeypatch.setattr(store, "load_versioned", no_second_load)
    monkeypatch.setattr(snapshot, "read", no_second_load)
    at = app.run()
    assert not at.exception, at.exception
    assert "Showing 11 of 11 items" in caption_text(at)
