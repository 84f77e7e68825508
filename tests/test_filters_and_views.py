"""Filters, aggregates and the map builders on the ingested seed."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from mapdata import aggregate, geocode, geometry, mapview, markup
from mapdata.filters import Filters
from mapdata.frames import by_ids
from mapdata.ingest import ingest_paths
from mapdata.store import load_frames
from support import SEED


@pytest.fixture
def frames(engine):
    ingest_paths(engine, [SEED])
    return load_frames(engine)


def calls(page: str, function: str) -> list[dict]:
    """The options of every call of a mapdata.js function in a rendered map."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(rf"window\.mapdata\.{function}\([\w.]+, ", page):
        found.append(decoder.raw_decode(page, match.end())[0])
    return found


def test_filters_narrow_the_view(frames):
    assert len(Filters().apply(frames).items) == 11
    consular = Filters(topics=("travel_consular",)).apply(frames)
    assert list(consular.items["text"].str[:12]) == ["The Estonian"]
    assert set(consular.tags["actor"]) == {"BY", "EE"}
    assert len(Filters(start=date(2025, 11, 2)).apply(frames).items) == 0
    assert len(Filters(organisations=("NATO",)).apply(frames).items) == 1
    assert len(Filters(search="ZAPAD").apply(frames).items) == 1
    assert len(Filters(countries=("KP",)).apply(frames).items) == 1


def test_search_on_a_view_first_then_on_everything(frames):
    # the casefolded texts are kept per frames object: a view's never stand for the whole set's
    border = Filters(topics=("border",)).apply(frames)
    assert 0 < len(Filters(search="belarus").apply(border).items) < len(border.items) + 1
    everything = Filters(search="BELARUS").apply(frames)
    assert len(everything.items) == frames.items["text"].str.casefold().str.contains("belarus").sum() == 10
    assert len(Filters(search="kherson").apply(frames).items) == 1


def test_actor_and_pair_aggregates(frames):
    actors = aggregate.actors(frames)
    by = actors[actors["actor"] == "BY"].iloc[0]
    assert by["items"] == 11 and by["name"] == "Belarus"
    assert actors[actors["actor"] == "org:EU"].iloc[0]["is_organisation"]
    pairs = aggregate.pairs(frames)
    by_pl = pairs[(pairs["a"] == "BY") & (pairs["b"] == "PL")].iloc[0]
    assert bool(by_pl["border"]) is True
    assert 300 < by_pl["km"] < 900
    by_us = pairs[(pairs["a"] == "BY") & (pairs["b"] == "US")].iloc[0]
    assert bool(by_us["border"]) is False


def test_country_points_lie_inside_their_outline():
    from shapely.geometry import Point

    from mapdata import basemap, gazetteer

    homes = basemap.homes()
    assert set(gazetteer.load().country_names) <= set(homes)  # every country has an outline
    for code in ("BY", "US", "NO", "ID", "CL", "HR", "FR", "CA", "HU", "RS", "MM", "SG", "TV", "DK"):
        place = geocode.locate(code)
        assert homes[code].contains(Point(place.point.longitude, place.point.latitude)), code
    assert geocode.locate("DK").point.latitude < 60  # Denmark itself, not Greenland


def test_popups_escape_text_and_mark_phrases(frames):
    html = markup.item_html(aggregate.items_of_actor(frames, "BY"), limit=8, more="more below the map")
    assert "<mark" in html and "Lukashenka</mark>" in html
    assert "3 more below the map" in html  # 11 items, 8 shown
    hostile = frames.items.copy()
    hostile.loc[0, "text"] = '<img src=x onerror="alert(1)"> Belarus'
    hostile.loc[0, "url"] = "javascript:alert(1)"
    out = markup.item_html(
        type(frames)(hostile, frames.tags.iloc[0:0], frames.topics, frames.relations, frames.keys), limit=20, more=""
    )
    assert "<img" not in out and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out
    assert "javascript:" not in out


def test_one_item_shows_its_own_tags_only(frames):
    first = frames.items["id"].iloc[0]
    html = markup.item_html(by_ids(frames, [first]), limit=1, more="more")
    assert html.count('<div class="item">') == 1 and "more" not in html.split("</style>", 1)[1]


def test_links_only_for_http():
    assert markup.safe_link("https://example.org/a?b=<c>").startswith('<a href="https://example.org/a?b=%3Cc%3E"')
    assert 'rel="noopener noreferrer"' in markup.safe_link("http://x.org")
    for bad in ("javascript:alert(1)", "data:text/html,hi", "vbscript:x", "//evil", ""):
        assert markup.safe_link(bad) == ""


def test_a_colour_that_rests_on_uncertain_tones_is_hatched_on_the_map(frames):
    from dataclasses import replace

    polish = set(frames.tags.loc[frames.tags["actor"] == "PL", "pos"])
    assert len(polish) >= 2
    sure = frames.items["confidence"].to_numpy(copy=True)
    sure[frames.items.index.isin(polish)] = 0.3  # the tagger unsure of every item naming Poland
    unsure = replace(frames, items=frames.items.assign(confidence=sure))
    actor_rows, pair_rows = aggregate.view(unsure)
    by_actor = actor_rows.set_index("actor")
    assert by_actor.loc["PL", "unsure"] == by_actor.loc["PL", "items"]
    assert 0 < by_actor.loc["BY", "unsure"] < by_actor.loc["BY", "items"] / 2  # Belarus's colour stands on the rest
    pair = pair_rows[(pair_rows["a"] == "BY") & (pair_rows["b"] == "PL")].iloc[0]
    assert pair["unsure"] == pair["items"]
    assert aggregate.view(frames)[0]["unsure"].sum() < actor_rows["unsure"].sum()
    page = mapview.build_map(unsure).get_root().render()
    (lines,) = calls(page, "lines")
    (actors,) = calls(page, "actors")
    line = next(r for r in lines["rows"] if r[0] == "BY|PL")
    assert line[8] is True and "tone uncertain for" in line[6]
    marked = {r[0]: r[11] for r in actors["rows"]}
    assert marked["PL"] is True and marked["BY"] is False
    assert "colour uncertain" in mapview.legend_html()


def test_a_long_text_is_cut_where_a_reader_would_stop():
    text = "First sentence here. Second one is longer than that. " + "word " * 40
    assert markup.clip_at(text, 1000) == len(text)  # short enough: all of it
    at = markup.clip_at(text, 80)
    assert text[:at] == "First sentence here. Second one is longer than that."  # after the last sentence end
    at = markup.clip_at("x" * 30 + " " + "y" * 60, 50)
    assert at == 30  # no sentence end in reach: at the last space
    assert markup.clip_at("z" * 120, 50) == 50  # one long word: where the limit falls
    tags = [(0, 6, "PL", "country"), (61, 68, "BY", "country")]
    marked = markup.tagged_text("Poland <i>x</i> " + "a" * 44 + " Belarus", tags, end=20)
    assert marked.startswith('<mark title="PL · country">Poland</mark> &lt;i&gt;x')
    assert "Belarus" not in marked and marked.endswith(" …")  # a phrase past the cut is left out with the rest
    assert markup.who_acts("PL", ["PL", "BY", "org:UN", "BY"]) == (
        "<b>Poland (PL)</b> → Belarus (BY), United Nations (UN, org.)"
    )
    assert markup.who_acts(None, []) == "no actor named"
    assert markup.who_acts("PL", ["PL", "BY", "LT"], joined={"PL", "BY"}) == (
        "<b>Poland (PL)</b> → Belarus (BY) · also named: Lithuania (LT)"
    )


def test_a_click_on_the_map_names_its_actors():
    # streamlit-folium reports the clicked layer's GeoJSON feature; mapdata.js gives it the layer's key
    def click(key):
        return {"last_active_drawing": {"type": "Feature", "properties": {"key": key}, "geometry": None}}

    assert mapview.clicked_keys(click("BY")) == ["BY"]
    assert mapview.clicked_keys(click(mapview.pair_key("org:AU", "AU"))) == ["AU", "org:AU"]
    assert mapview.clicked_keys(click(None)) == []
    assert mapview.clicked_keys({"last_active_drawing": None}) == []
    assert mapview.clicked_keys(None) == []


def test_map_layers_use_only_local_assets(frames):
    fmap = mapview.build_map(frames)
    html = fmap.get_root().render()
    (actors,) = calls(html, "actors")
    (lines,) = calls(html, "lines")
    assert sorted(r[0] for r in actors["rows"]) == sorted(aggregate.actors(frames)["actor"])
    assert sum(r[5] for r in actors["rows"]) == 2  # EU and NATO are diamonds
    assert len(lines["rows"]) == len(aggregate.pairs(frames))
    assert "BY|PL" in {r[0] for r in lines["rows"]}
    assert "{{" not in html and "{%" not in html  # no template syntax reaches the page
    for layer in ("Relations", "Actors", "Items per country (choropleth)", "Density (heat)"):
        assert layer in html
    links = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', html)
    assert {"leaflet.js", "mapdata.js", "leaflet.css", "mapdata.css"} <= {u.split("/")[-1].split("?")[0] for u in links}
    assert all(u.startswith("/app/static/") for u in links), links


def test_map_draws_the_busiest_lines_and_newest_items_only(frames):
    actor_rows, pair_rows = aggregate.view(frames)
    groups = mapview.layers(frames, actor_rows, pair_rows, max_lines=3)
    html = mapview.build_map(frames).get_root().render()
    fmap = mapview.base_map()
    for group in groups:
        group.add_to(fmap)
    page = fmap.get_root().render()
    busiest = pair_rows.head(3)
    (lines,) = calls(page, "lines")
    assert [r[0] for r in lines["rows"]] == [
        mapview.pair_key(a, b) for a, b in zip(busiest["a"], busiest["b"], strict=True)
    ]
    assert len(pair_rows) > 3
    # popups carry the newest POPUP_ITEMS items with their phrases marked, and say how many more: Belarus has 11
    (snippets,) = calls(page, "snippets")
    assert 0 < len(snippets["items"]) <= (len(actor_rows) + 3) * mapview.POPUP_ITEMS
    assert any("Lukashenka</mark>" in item for item in snippets["items"])
    (actors,) = calls(page, "actors")
    belarus = next(r for r in actors["rows"] if r[0] == "BY")
    assert belarus[6] == "Belarus (BY) · 11 items" and len(belarus[7][1]) == mapview.POPUP_ITEMS and belarus[7][2] == 9
    assert len(page) < len(html) + 10_000


def test_lines_follow_the_great_circle(frames):
    points = geometry.arc((53.9, 27.6), (38.9, -77.0))
    assert points[0] == pytest.approx((53.9, 27.6)) and points[-1] == pytest.approx((38.9, -77.0))
    assert max(lat for lat, _ in points) > 60  # the Minsk-Washington geodesic bows north
    assert geometry.arc((50.0, 4.0), (50.0, 4.0)) == [(50.0, 4.0), (50.0, 4.0)]
    assert 470 < geometry.distance_km((53.9, 27.6), (52.2, 21.0)) < 490  # Minsk to Warsaw
    # the map draws the same points (to 0.01 degree) as the export
    (lines,) = calls(mapview.build_map(frames).get_root().render(), "lines")
    flat = next(r[1] for r in lines["rows"] if r[0] == "BY|US")
    assert len(flat) == 2 * len(points)


def test_actors_at_the_same_seat_are_spread_apart(frames):
    actors = aggregate.actors(frames)
    spots = set(zip(actors["lat"].round(3), actors["lon"].round(3)))
    assert len(spots) == len(actors)  # EU and NATO both sit in Brussels


def test_border_only_and_min_items(frames):
    border = Filters(border_only=True).apply(frames)
    assert 0 < len(border.items) < 11
    actor_rows, pair_rows = aggregate.view(border, border_only=True)
    assert len(pair_rows) and pair_rows["border"].all()
    actor_rows, pair_rows = aggregate.view(frames, min_items=3)
    assert set(actor_rows["actor"]) == {"BY", "RU", "US", "UA"}
    assert set(pair_rows["a"]) | set(pair_rows["b"]) <= set(actor_rows["actor"])


def test_timeline_matrix_and_ego(frames):
    counts, unit = aggregate.timeline(frames)
    assert unit == "day" and counts["items"].sum() >= 11
    table, tones = aggregate.matrix(frames, top=5)
    assert table.loc["BY", "RU"] == 2 and tones.loc["BY", "RU"] in ("cooperation", "conflict", "neutral")
    acts_on, acted_on = aggregate.ego(frames, "BY")
    assert "RU" in set(acts_on["actor"]) and "US" in set(acted_on["actor"])


def test_geojson_export_is_valid_rfc_7946(engine, tmp_path):
    from shapely.geometry import shape

    from mapdata import export

    feed = tmp_path / "wide.txt"
    feed.write_text(
        "date 2025-11-03 Russia and the United States held talks on Arctic shipping.\n"
        "The UN and UNDP opened an office in Fiji with Australia and New Zealand.\n"
        "The Council of Europe asked the ECHR to review the case of Turkey.\n",
        encoding="utf-8",
    )
    ingest_paths(engine, [SEED, feed])
    collection = export.to_geojson(load_frames(engine))
    kinds = {f["geometry"]["type"] for f in collection["features"]}
    assert {"Point", "LineString", "MultiLineString"} <= kinds  # RU-US crosses the antimeridian
    for feature in collection["features"]:
        geom = shape(feature["geometry"])
        assert geom.is_valid, feature["properties"]
        for part in getattr(geom, "geoms", [geom]):
            assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in part.coords), feature["properties"]
        if feature["properties"]["layer"] == "relation":
            assert geom.length > 0, feature["properties"]  # actors at one seat are placed apart
    crossing = next(f for f in collection["features"] if f["geometry"]["type"] == "MultiLineString")
    ends = [line[-1][0] for line in crossing["geometry"]["coordinates"][:-1]]
    assert all(abs(x) == 180 for x in ends)  # each part stops on the antimeridian, the next starts there


def test_an_articles_passing_mentions_are_marked_apart_and_draw_no_line(engine, tmp_path):
    feed = tmp_path / "article.jsonl"
    feed.write_text(
        json.dumps(
            {
                "date": "2025-11-03",
                "text": (
                    "Russia launched drones at Ukraine overnight. Officials in Kyiv said Poland scrambled jets. "
                    "Germany and France met in Berlin on a budget. Analysts compared the week with Syria. Russia also warned Finland."
                ),
            }
        )
        + "\n",
        encoding="utf-8",
    )
    ingest_paths(engine, [feed])
    frames = load_frames(engine)
    html = markup.item_html(frames, limit=1, more="")
    assert "Mentioned, no line: Germany, France, Syria" in html  # in the order the text names them
    assert '<mark class="mentioned" title="DE · name · mentioned">Germany</mark>' in html
    assert '<mark title="UA · name">Ukraine</mark>' in html
    _, pairs = aggregate.view(frames)
    assert set(map(frozenset, zip(pairs["a"], pairs["b"], strict=True))) == {
        frozenset(p) for p in (("RU", "UA"), ("PL", "RU"), ("FI", "RU"))
    }


def test_every_country_has_an_outline_at_both_scales_and_disputed_areas_belong_to_no_one():
    from mapdata import basemap, gazetteer

    countries = set(gazetteer.load().country_names)
    for scale in ("coarse", "fine"):
        keys = basemap.browser_keys(scale)
        assert countries <= set(keys), sorted(countries - set(keys))
        assert len(keys) == len(basemap.outlines(scale))
    disputed = {o.name for o in basemap.outlines("fine") if o.key is None}
    assert disputed == {"W. Sahara", "N. Cyprus", "Somaliland", "Siachen Glacier"}
    greenland = next(o for o in basemap.outlines("fine") if o.code == "GL")
    assert greenland.key == "DK"  # a territory is drawn as its sovereign's


def test_the_view_is_centred_where_the_actors_are_even_across_the_pacific():
    assert geometry.central_meridian([27.6, 37.6, -98.0]) == pytest.approx(-30.2)
    centre = geometry.central_meridian([139.7, 151.2, -157.9, -122.4])  # Tokyo, Sydney, Honolulu, San Francisco
    assert 170 < abs(centre) <= 180 or abs(centre) > 175
    assert geometry.wrap(-122.4, centre) > 180 or geometry.wrap(139.7, centre) < -180  # one side moves a turn
    assert geometry.wrap(37.6, 0.0) == 37.6 and geometry.wrap(190.0, 0.0) == -170.0


def test_the_first_view_fits_the_actors_that_hold_most_items(frames):
    actor_rows, _ = aggregate.view(frames)
    fit = aggregate.fit_actors(frames, actor_rows)
    assert fit[0] == actor_rows["actor"].iloc[0] == "BY"  # busiest first
    assert set(actor_rows.loc[actor_rows["items"] >= 0.02 * len(frames.items), "actor"]) <= set(fit)
    assert aggregate.fit_actors(frames, actor_rows, share=0.5, always=1.0) == ["BY"]  # Belarus alone is in all 11


def test_focus_draws_one_actors_whole_network_and_dims_the_rest(frames):
    actor_rows, pair_rows = aggregate.view(frames)
    page = mapview.build_map(frames).get_root().render()  # the overview: no line dimmed
    assert all(r[4] > mapview.DIMMED for r in calls(page, "lines")[0]["rows"])
    fmap = mapview.base_map()
    for group in mapview.layers(frames, actor_rows, pair_rows, max_lines=2, focus="US"):
        group.add_to(fmap)
    page = fmap.get_root().render()
    lines = calls(page, "lines")[0]["rows"]
    us = pair_rows[(pair_rows["a"] == "US") | (pair_rows["b"] == "US")]
    assert {r[0] for r in lines if "US" in r[0].split("|")} == {
        mapview.pair_key(a, b) for a, b in zip(us["a"], us["b"], strict=True)
    }
    assert all(r[4] == mapview.DIMMED for r in lines if "US" not in r[0].split("|"))
    actors = {r[0]: r[9] for r in calls(page, "actors")[0]["rows"]}
    assert actors["US"] is False and actors["BY"] is False and actors["KP"] is True  # KP has no line to the US


def test_lines_none_and_all(frames):
    actor_rows, pair_rows = aggregate.view(frames)
    for max_lines, count in ((0, 0), (None, len(pair_rows))):
        fmap = mapview.base_map()
        for group in mapview.layers(frames, actor_rows, pair_rows, max_lines=max_lines):
            group.add_to(fmap)
        assert len(calls(fmap.get_root().render(), "lines")[0]["rows"]) == count


def test_time_steps_count_each_drawn_actor_and_line_per_period(engine, tmp_path):
    feed = tmp_path / "weeks.txt"
    feed.write_text(
        "date 2025-01-06 Poland and Belarus held talks.\ndate 2025-03-03 Poland closed its border with Belarus.\n"
        "Belarus accused Poland.\ndate 2025-06-02 Chile and Peru met.\n",
        encoding="utf-8",
    )
    ingest_paths(engine, [feed])
    frames = load_frames(engine)
    assert aggregate.period_unit(frames) == "week"
    steps = aggregate.per_period(frames, ["PL", "CL"], [("BY", "PL")], "week")
    assert steps["periods"] == ["2025-01-06", "2025-03-03", "2025-06-02"]
    assert steps["actors"] == {"PL": [[0, 1], [1, 2]], "CL": [[2, 1]]}
    assert steps["pairs"] == {("BY", "PL"): [[0, 1], [1, 2]]}


def test_the_basemap_and_the_cities_are_converted_once_then_read_from_the_cache_folder(tmp_path, monkeypatch):
    from mapdata import basemap

    def converted_again(*args, **kwargs):
        raise AssertionError("converted again instead of read from the cache folder")

    monkeypatch.setenv("MAPDATA_CACHE_DIR", str(tmp_path / "cache"))
    basemap._file.cache_clear()
    basemap._cities.cache_clear()
    try:
        fine, cities = basemap._file("fine"), basemap._cities()
        kept = sorted(path.name.rsplit("-", 1)[0] for path in (tmp_path / "cache").glob("*.pickle"))
        assert kept == ["basemap-fine", "cities"]
        # a new process (here: the in-memory caches cleared) reads them back, the same, without converting anything
        basemap._file.cache_clear()
        basemap._cities.cache_clear()
        monkeypatch.setattr(basemap, "serialize_as_geojson", converted_again)
        monkeypatch.setattr(basemap, "_read_cities", converted_again)
        again = basemap._file("fine")
        assert [(o.key, o.code, o.name) for o in again] == [(o.key, o.code, o.name) for o in fine]
        assert all(a.geometry.equals_exact(b.geometry, 0) for a, b in zip(again, fine, strict=True))
        assert basemap._cities() == cities and len(cities) > 20_000
    finally:
        basemap._file.cache_clear()
        basemap._cities.cache_clear()
