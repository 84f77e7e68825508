"""Every page through Streamlit's AppTest (no browser): filters, the URL round trip, clicks on the map."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from support import ROOT

PAGES = ["pages/timeline.py", "pages/relations.py", "pages/items.py", "pages/trends.py", "pages/data.py"]


@pytest.fixture
def app(db_url, monkeypatch):
    """The dashboard under AppTest. AppTest shows the frame's output (the sidebar) for a session's first run only:
    later runs list the page's elements alone. Tests that read the sidebar set the filters before the first run."""
    monkeypatch.setenv("MAPDATA_DB_URL", db_url)
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)


def with_filters(app, **values):
    """The first run of a session whose filter widgets hold these values (by key), as if the user had chosen them."""
    for key, value in values.items():
        app.session_state[key] = value
    return app.run()


def map_component(at):
    (comp,) = [c for c in at.get("component_instance") if c.proto.component_name == "streamlit_folium.st_folium"]
    return comp, json.loads(comp.proto.json_args)


def layer_rows(args: dict, function: str) -> list:
    """The rows a data layer of the map draws (the options of its mapdata.js call)."""
    start = args["feature_group"].index(f"window.mapdata.{function}(")
    start = args["feature_group"].index("{", start)
    return json.JSONDecoder().raw_decode(args["feature_group"], start)[0]["rows"]


def markers(at) -> list[str]:
    """The actor keys of the map's markers."""
    return [row[0] for row in layer_rows(map_component(at)[1], "actors")]


def click(at, key: str):
    """What streamlit-folium reports when a marker or a line is clicked: the feature mapdata.js gave the layer,
    under the map's key (where st_folium's callback puts it before the run the click triggers)."""
    at.session_state["map"] = {
        "last_active_drawing": {"type": "Feature", "properties": {"key": key}},
        "last_clicked": {"lat": 53.5, "lng": 28.0},
    }
    return at.run()


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
    actors = layer_rows(args, "actors")
    assert len([r for r in actors if not r[5]]) == 11  # countries; EU and NATO are diamond markers
    assert sorted(r[0] for r in actors if r[5]) == ["org:EU", "org:NATO"]
    assert len(layer_rows(args, "lines")) >= 15
    assert "window.mapdata.basemap(" in args["script"]  # the basemap comes with the base map
    assert "Lukashenka" in args["feature_group"]
    assert any(link.startswith("/app/static/leaflet/leaflet.js") for link in args["js_links"])
    assert any(link.startswith("/app/static/mapdata/mapdata.js") for link in args["js_links"])
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])
    assert listed_items(at) == 11


def test_topic_filter_changes_markers_table_and_url(app):
    at = with_filters(app, topics=["travel_consular"])
    assert not at.exception
    assert "Showing 1 of 11 items" in caption_text(at)
    assert len([k for k in markers(at) if not k.startswith("org:")]) == 2
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
    app.query_params["dates"] = ["2025-11-02", "2025-11-05"]
    at = app.run()
    assert not at.exception
    assert "Showing 1 of 12 items" in caption_text(at)
    assert at.sidebar.date_input(key="dates").value == (date(2025, 11, 2), date(2025, 11, 5))


def test_the_caption_counts_stories_once_and_the_bench_reads_it(app, tmp_path):
    import re

    from mapdata import store
    from mapdata.ingest import ensure_sample, ingest_paths

    # bench/run.py times a filter change by this caption: a pattern that no longer finds it waits out its timeout
    bench = (ROOT / "bench" / "run.py").read_text(encoding="utf-8")
    pattern = re.search(r"match\(/(.+?)/\)", bench.split("JS_CAPTION = ", 1)[1]).group(1).replace("\\\\", "\\")
    engine = store.open_engine()
    ensure_sample(engine)
    at = app.run()
    assert re.search(pattern, caption_text(at)).group(0) == "Showing 11 of 11 items"
    # a second report of the first story (the same text from another source): 12 reports, 11 stories
    first = next(line for line in (ROOT / "data" / "sample_news_2025-11-01.txt").read_text().splitlines() if line)
    feed = tmp_path / "again.jsonl"
    again = {"id": "again-1", "date": "2025-11-01", "text": first.removeprefix("date 2025-11-01 "), "source": "wire"}
    feed.write_text(json.dumps(again) + "\n", encoding="utf-8")
    ingest_paths(engine, [feed])
    at = app.run()
    assert not at.exception
    assert "Showing 11 of 11 stories (12 reports; a story's reports count once)" in caption_text(at)
    assert re.search(pattern, caption_text(at)).group(0) == "Showing 11 of 11 stories"


def test_click_on_a_marker_lists_its_items(app):
    at = click(app.run(), "BY")
    assert not at.exception
    assert any("Items involving Belarus (BY)" in s.value for s in at.subheader)
    assert any("<mark" in h.value and "Lukashenka</mark>" in h.value for h in at.get("html"))


def test_click_on_a_line_lists_the_pair(app):
    at = click(app.run(), "BY|org:EU")
    assert any("Items between Belarus (BY) and European Union (EU, org.)" in s.value for s in at.subheader)


def test_items_page_search_and_download(app):
    at = app.run()
    at.switch_page("pages/items.py").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 11
    at.text_input(key="item_search").input("embassy").run()
    assert len(at.dataframe[0].value) == 1
    assert "1 items shown" in caption_text(at)
    assert at.get("download_button")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_exception(app, page):
    at = with_filters(app, topics=["border", "military"])
    assert at.sidebar.multiselect(key="topics").value == ["border", "military"]
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({"countries": ["PL"]}, 2),
        ({"countries": ["PL"], "tone": ["cooperation"]}, 0),
        ({"countries": ["PL"], "q": "Zapad"}, 1),
        ({"orgs": ["NATO"]}, 1),
        ({"dates": (date(2025, 11, 1), date(2025, 11, 1))}, 11),
    ],
)
def test_every_sidebar_filter(app, values, shown):
    at = with_filters(app, **values)
    assert not at.exception
    assert f"Showing {shown} of 11 items" in caption_text(at)


def test_border_only_and_minimum_items(app):
    border = caption_text(with_filters(app, border=True))
    assert "Showing 11 of 11" not in border and "Showing 0 of" not in border
    at = with_filters(app, border=False, min=3)
    assert sorted(markers(at)) == ["BY", "RU", "UA", "US"]  # the actors with 3 items or more


def test_reset_clears_every_filter(app):
    at = with_filters(app, countries=["PL"], q="Zapad", min=2)
    assert "Showing 1 of 11 items" in caption_text(at)
    at.sidebar.button(key="reset").click().run()
    assert not at.exception
    assert "Showing 11 of 11 items" in caption_text(at)
    assert at.session_state["countries"] == [] and at.session_state["q"] == "" and at.session_state["min"] == 1


def test_url_with_unknown_actor_is_ignored_not_fatal(app):
    # a bound multiselect writes its options' labels into the URL; an unknown one is dropped, never fatal
    app.query_params["countries"] = ["Poland (PL)", "Ruritania (ZZ)"]
    app.query_params["min"] = "not-a-number"
    at = app.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="countries").value == ["PL"]


def test_timeline_narrows_every_view(app, tmp_path):
    from mapdata import store
    from mapdata.ingest import ensure_sample, ingest_paths

    feed = tmp_path / "later.txt"
    feed.write_text("date 2025-11-05 Japan and South Korea held talks in Busan.\n", encoding="utf-8")
    engine = store.open_engine()
    ensure_sample(engine)
    ingest_paths(engine, [feed])
    at = app.run()
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    assert any("Items per day" in c.value for c in at.caption)
    at.select_slider(key="period_slider").set_range(date(2025, 11, 5), date(2025, 11, 5)).run()
    at.button(key="narrow").click().run()
    assert not at.exception
    assert at.session_state["dates"] == (date(2025, 11, 5), date(2025, 11, 5))
    at.switch_page("pages/map.py").run()  # the period holds on every page
    assert "Showing 1 of 12 items" in caption_text(at) and sorted(markers(at)) == ["JP", "KR"]


def test_relations_page_matrix_pairs_and_ego(app):
    at = app.run()
    at.switch_page("pages/relations.py").run()
    assert not at.exception
    assert at.dataframe  # the matrix and the ego tables
    assert any("Belarus (BY)" in e.label for e in at.expander)
    at.selectbox(key="ego_actor").select("PL").run()
    assert not at.exception


def test_items_page_has_three_downloads(app):
    at = app.run()
    at.switch_page("pages/items.py").run()
    labels = {b.proto.label for b in at.get("download_button")}
    assert labels == {"Download CSV", "Download JSON Lines", "Download GeoJSON (map layers)"}


def test_data_page_paste_preview_and_add(app, db_url):
    at = app.run()
    at.switch_page("pages/data.py").run()
    at.text_area(key="paste_text").input(
        "Chile and Peru signed a trade agreement.\n\ndate 2025-13-45 Broken date."
    ).run()
    assert not at.exception
    assert any("1 items to add, 1 rejected" in m.value for m in at.markdown)
    at.button(key="paste_add").click().run()
    assert any("1 new, 0 already present" in s.value for s in at.success)
    from mapdata import store

    frames = store.load_frames(store.open_engine(db_url))
    assert {"CL", "PE"} <= set(frames.tags["actor"])


def test_data_page_correction_is_stored_and_shown(app, db_url):
    at = app.run()
    at.switch_page("pages/data.py").run()
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
    from mapdata import snapshot, store
    from pages import state

    seconds = state.warm()
    assert seconds > 0
    assert sys.modules["pages.state"] is state  # the module the dashboard imports: the same caches

    def no_second_load(*args, **kwargs):
        raise AssertionError("the first visit loaded the data again")

    monkeypatch.setattr(store, "load_versioned", no_second_load)
    monkeypatch.setattr(snapshot, "read", no_second_load)
    at = app.run()
    assert not at.exception, at.exception
    assert "Showing 11 of 11 items" in caption_text(at)


def test_data_page_dates_an_upload_whose_items_carry_none(app, db_url):
    at = app.run()
    at.switch_page("pages/data.py").run()
    feed = b'{"text": "Chile and Peru signed a fisheries pact."}\n'
    at.get("file_uploader")[0].upload("articles.jsonl", feed, "application/x-ndjson").run()
    assert any("0 items to add, 1 rejected" in m.value for m in at.markdown)
    assert any("no date" in w.value for w in at.warning)
    at.date_input(key="upload_date").set_value(date(2025, 11, 2)).run()
    assert any("1 items to add, 0 rejected" in m.value for m in at.markdown)
    at.button(key="upload_add").click().run()
    assert any("1 new, 0 already present" in s.value for s in at.success)
    from mapdata import store

    frames = store.load_frames(store.open_engine(db_url))
    assert frames.items.loc[frames.items["text"].str.startswith("Chile"), "date"].tolist() == [date(2025, 11, 2)]


def test_data_page_sources_add_fetch_pause_remove(app, db_url):
    from mapdata import sources, store
    from support import FeedServer

    feeds = FeedServer()
    try:
        feeds.feeds["wire"] = [("2025-11-03", "Chile and Peru signed a fisheries agreement in Lima.")]
        at = app.run()
        at.switch_page("pages/data.py").run()
        at.text_input(key="source_url").input(feeds.url("wire"))
        at.text_input(key="source_name").input("wire")
        at.text_input(key="source_every").input("1h")
        at.button[[b.label for b in at.button].index("Add source")].click().run()
        assert not at.exception, at.exception
        assert any("Added wire" in s.value for s in at.success)
        engine = store.open_engine(db_url)
        assert sources.get(engine, "wire").every == 3600
        table = at.dataframe[0].value
        assert list(table["name"]) == ["wire"]
        at.button(key="source_fetch").click().run()
        assert any("wire: 1 new" in s.value for s in at.success), [s.value for s in at.success]
        assert "CL" in set(store.load_frames(engine).tags["actor"])
        at.button(key="source_pause").click().run()
        assert sources.get(engine, "wire").paused
        assert at.dataframe[0].value["paused"].tolist() == [True]
        at.button(key="source_remove").click().run()
        assert sources.all_sources(engine) == []
        at.text_input(key="source_url").input("ftp://example.org/feed")
        at.button[[b.label for b in at.button].index("Add source")].click().run()
        assert any("http:// or https://" in e.value for e in at.error)
    finally:
        feeds.stop()


def test_trends_page_ranks_a_planted_rise_first(app, db_url):
    from datetime import timedelta

    from mapdata import store
    from mapdata.feeds import read_seed_text
    from mapdata.ingest import ingest_result

    lines = []
    start = date(2025, 9, 1)
    others = ["Chile and Peru", "Japan and Korea", "Kenya and Uganda", "Spain and Portugal"]
    for week in range(10):
        day = start + timedelta(weeks=week)
        lines.append(f"date {day.isoformat()}")
        for n, pair in enumerate(others):
            lines.append(f"{pair} held talks on fisheries quota number {week * 10 + n}.")
        spike = 12 if week == 9 else 1
        lines += [f"Ghana and Togo discussed electricity tariff {week}-{k} in Lome." for k in range(spike)]
    engine = store.open_engine(db_url)
    ingest_result(engine, read_seed_text(lines, "trend.txt"))
    at = with_filters(app, reports=True)  # count every report: the planted reports differ only by numbers
    at.switch_page("pages/trends.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    actors = table[table["kind"] == "actor"]["key"].tolist()
    pairs = table[table["kind"] == "pair"]["key"].tolist()
    assert actors[0] in ("GH", "TG") and pairs[0] == "GH|TG"
    assert not set(table["key"]) & {"CL", "PE", "JP", "KR"}
    # a view that holds only the latest week: too little history, said so, and nothing flagged
    at.session_state["dates"] = (start + timedelta(weeks=9), start + timedelta(weeks=9))
    at.run()
    assert not at.exception, at.exception
    assert any("Too little history" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.subheader[0].value.startswith("0 unusual")


def test_the_sidebar_follows_new_items_only_where_sources_feed_the_database(app, db_url):
    from mapdata import sources, store

    at = app.run()
    assert not at.exception, at.exception
    assert not [c for c in at.caption if c.value.startswith("Live:")]
    sources.add(store.open_engine(db_url), "http://127.0.0.1:9/feed.xml", "wire")
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert [c for c in at.caption if c.value.startswith("Live:")]


def test_data_page_review_queue_confirms_and_corrects_in_a_click(app, db_url):
    from mapdata import store

    engine = store.open_engine(db_url)
    at = app.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    queue = store.review_queue(engine, limit=20)
    first, second = queue["id"].iloc[:2]
    assert at.button(key=f"ok_{first}")  # the least sure item is shown first, with its buttons
    at.button(key=f"ok_{first}").click().run()
    assert any("survives re-tagging" in s.value for s in at.success)
    wrong = next(t for t in ("cooperation", "conflict", "neutral") if t != queue["tone"].iloc[1])
    at.button(key=f"tone_{wrong}_{second}").click().run()
    assert not at.exception
    after = store.review_queue(engine, limit=20)
    assert first not in set(after["id"]) and second not in set(after["id"])
    frames = store.load_frames(engine)
    assert frames.items.loc[frames.items["id"] == second, "tone"].item() == wrong
    assert any("2 stories corrected or confirmed" in m.value for m in at.markdown)


def test_a_review_card_names_who_acts_on_whom_and_keeps_a_long_article_one_click_away(app, db_url, tmp_path):
    from mapdata import store
    from mapdata.ingest import ingest_paths

    filler = " ".join(f"Paragraph {i} of the talks went on for hours without a <b>deal</b>." for i in range(30))
    article = (
        "Poland summoned Belarus's ambassador in Warsaw on Monday after a drone crossed the border. "
        f"{filler} Late at night Lithuania said it would close two crossings."
    )
    feed = tmp_path / "article.jsonl"
    feed.write_text(json.dumps({"id": "long-1", "date": "2025-11-03", "text": article}) + "\n", encoding="utf-8")
    engine = store.open_engine(db_url)
    ingest_paths(engine, [feed])
    at = app.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    (card,) = [h.value for h in at.get("html") if "</mark> summoned" in h.value and "tone:" in h.value]
    # the lead actor, the actor its line joins, and one the article names at its end, not joined (the article rule)
    assert "<b>Poland (PL)</b> → Belarus (BY) · also named: Lithuania (LT)" in card
    assert (
        ">Poland</mark>" in card and "close two crossings" not in card
    )  # the opening, its phrases marked; the end cut
    assert "&lt;b&gt;deal&lt;/b&gt;" in card and "<b>deal</b>" not in card  # the news text escaped
    assert card.count("…") == 1
    (whole,) = [e for e in at.expander if e.label.startswith("The whole text")]
    assert whole.label == f"The whole text ({len(article):,} characters)"
    (rest,) = [h.value for h in whole.get("html")]
    assert ">Lithuania</mark> said it would close" in rest and "…" not in rest


def test_a_story_of_several_reports_is_reviewed_once_from_its_card(app, db_url, tmp_path):
    from mapdata import store
    from mapdata.ingest import ingest_paths

    wire = (
        "Poland summoned the Belarusian ambassador in Warsaw on Monday after a drone crossed the border near "
        "Terespol and fell in a field, the foreign ministry said, calling it a deliberate provocation."
    )
    feed = tmp_path / "wire.jsonl"
    feed.write_text(
        "".join(
            json.dumps({"date": "2025-11-03", "text": text, "source": source}) + "\n"
            for text, source in ((wire, "Wire"), ("WARSAW (Daily) - " + wire, "Daily"))
        ),
        encoding="utf-8",
    )
    engine = store.open_engine(db_url)
    ingest_paths(engine, [feed])
    at = app.run()
    at.switch_page("pages/data.py").run()
    (card_id,) = [b.key.removeprefix("ok_") for b in at.button if (b.key or "").startswith("ok_")]
    assert any("one of the 2 reports of a story" in h.value for h in at.get("html"))
    at.button(key=f"ok_{card_id}").click().run()
    assert not at.exception
    assert any("for the 2 reports of its story" in m.value for m in at.success)
    assert store.review_queue(engine, limit=20).empty
    assert (store.load_frames(engine).items["confidence"] == 1.0).all()
    # the item-by-item form sets a tone for the story too, here from its second report
    at.text_input(key="correct_search").input("WARSAW (Daily)").run()
    tone = next(t for t in ("cooperation", "conflict", "neutral") if t != at.selectbox(key="set_tone").value)
    at.selectbox(key="set_tone").select(tone).run()
    at.button(key="do_set_tone").click().run()
    assert not at.exception
    assert any("stored for the 2 reports of its story" in m.value for m in at.success)
    assert set(store.load_frames(engine).items["tone"]) == {tone}


def test_the_review_queue_keeps_to_the_sidebars_filters(app, db_url):
    from mapdata import store

    at = with_filters(app, countries=["LT"])
    at.switch_page("pages/data.py").run()
    assert not at.exception
    shown = [b.key.removeprefix("ok_") for b in at.button if (b.key or "").startswith("ok_")]
    frames = store.load_frames(store.open_engine(db_url))
    lithuanian = set(frames.tags.loc[frames.tags["actor"] == "LT", "item_id"])
    items = frames.items[frames.items["id"].isin(lithuanian)].sort_values(["confidence", "id"])
    assert 1 < len(lithuanian) < 11  # the filter leaves some of the sample's items, not all
    assert shown == items["id"].tolist()[:5]  # those, least certain first, and only those
    assert any("Only the" in c.value and "sidebar's filters are queued" in c.value for c in at.caption)


def test_a_filter_that_narrows_no_item_leaves_the_queue_whole(app, db_url):
    at = with_filters(app, min=3)  # markers with fewer items are hidden, but every item stays in the view
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert not any("Only the" in c.value for c in at.caption)
    assert len([b for b in at.button if (b.key or "").startswith("ok_")]) == 5


def test_the_confidence_filter(app, db_url):
    from mapdata import store

    at = app.run()
    sure = store.load_frames(store.open_engine(db_url)).items["confidence"]
    assert 0 < (sure >= 0.9).sum() < 11
    at.slider(key="sure").set_value(0.9).run()
    assert not at.exception
    assert f"Showing {int((sure >= 0.9).sum())} of 11 items" in caption_text(at)


def test_the_language_filter_and_the_data_preview_say_which_language(app, db_url, tmp_path):
    from mapdata import store
    from mapdata.ingest import ingest_paths
    from support import DATA, SEED

    briefs = [json.loads(line) for line in (DATA / "languages_blind_briefs.jsonl").read_text("utf-8").splitlines()]
    one_each = {b["lang"]: b for b in briefs}  # the last brief of each of the six languages
    feed = tmp_path / "six.jsonl"
    feed.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in one_each.values()), encoding="utf-8")
    engine = store.open_engine(db_url)
    ingest_paths(engine, [SEED, feed])  # the seed too: the dashboard adds it only to an empty database
    langs = store.load_frames(engine).items["lang"].astype(str)
    assert sorted(langs.value_counts().items()) == sorted([("en", 11), *((code, 1) for code in one_each)])

    at = with_filters(app, lang=["ru"])
    assert not at.exception
    assert "Russian (ru)" in at.sidebar.multiselect(key="lang").options
    assert "Showing 1 of 17 items" in caption_text(at)
    at.switch_page("pages/data.py").run()
    at.text_area(key="paste_text").input("Польша закрыла границу с Беларусью после инцидента с мигрантами.").run()
    assert not at.exception
    (preview,) = [df.value for df in at.dataframe if "language" in df.value.columns]
    assert preview["language"].tolist() == ["Russian (ru)"] and preview["countries"].tolist() == ["BY, PL"]
