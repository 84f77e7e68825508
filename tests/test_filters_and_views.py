"""Filters, aggregates and the map builders on the ingested seed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from conftest import SEED
from mapdata import aggregate, geocode, mapview
from mapdata.filters import Filters
from mapdata.ingest import ingest_paths
from mapdata.store import load_frames


@pytest.fixture
def frames(engine):
    ingest_paths(engine, [SEED])
    return load_frames(engine)


def test_query_round_trip():
    f = Filters(start=date(2025, 1, 1), end=date(2025, 2, 1), topics=("military", "border"), organisations=("EU",), search="drone")
    assert Filters.from_query(f.to_query()) == f
    assert Filters.from_query({"topics": "military,bogus", "from": "not-a-date", "tone": "angry"}) == Filters(topics=("military",))
    assert Filters().to_query() == {}


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
    # the casefolded texts are kept per data set only when made from all its items, never from a view's
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
    shapes = geocode.country_shapes()
    from shapely.geometry import Point

    for code in ("BY", "US", "NO", "ID", "CL", "HR", "FR", "CA"):
        place = geocode.locate(code)
        assert shapes[code].contains(Point(place.point.longitude, place.point.latitude)), code


def test_popups_escape_text_and_mark_phrases(frames):
    html = mapview.item_html(aggregate.items_of_actor(frames, "BY"))
    assert "<mark" in html and "Lukashenka</mark>" in html
    assert "more below the map" in html  # 11 items, 8 shown
    hostile = frames.items.copy()
    hostile.loc[0, "text"] = '<img src=x onerror="alert(1)"> Belarus'
    hostile.loc[0, "url"] = "javascript:alert(1)"
    out = mapview.item_html(type(frames)(hostile, frames.tags.iloc[0:0], frames.topics, frames.relations))
    assert "<img" not in out and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in out
    assert "javascript:" not in out


def test_links_only_for_http():
    assert mapview.safe_link("https://example.org/a?b=<c>").startswith('<a href="https://example.org/a?b=%3Cc%3E"')
    assert 'rel="noopener noreferrer"' in mapview.safe_link("http://x.org")
    for bad in ("javascript:alert(1)", "data:text/html,hi", "vbscript:x", "//evil", ""):
        assert mapview.safe_link(bad) == ""


def test_tooltip_labels_identify_actors():
    assert mapview.keys_in(mapview.actor_label("BY", 3)) == ["BY"]
    assert mapview.keys_in(mapview.pair_label("org:AU", "AU", 1)) == ["org:AU", "AU"]
    assert mapview.keys_in(None) == []


def test_map_layers_use_only_local_assets(frames):
    fmap = mapview.build_map(frames)
    html = fmap.get_root().render()
    assert html.count('"mapdata-actor actor-') == len(aggregate.actors(frames)) - 2  # EU and NATO are diamonds
    assert html.count('"mapdata-pair pair-') == len(aggregate.pairs(frames))
    assert "{{" not in html and "{%" not in html  # no template syntax reaches the page
    for layer in ("Relations", "Actors", "Items per country (choropleth)", "Density (heat)"):
        assert layer in html
    assert "actor-org-EU" in html and "pair-BY-PL" in html
    scripts = [src for _, src in fmap.default_js] + [href for _, href in fmap.default_css]
    assert scripts and all(s.startswith("/app/static/") for s in scripts)


def test_map_draws_the_busiest_lines_and_newest_items_only(frames):
    actor_rows, pair_rows = aggregate.view(frames)
    groups = mapview.layers(frames, actor_rows, pair_rows, max_lines=3)
    html = mapview.build_map(frames).get_root().render()
    fmap = mapview.base_map()
    for group in groups:
        group.add_to(fmap)
    page = fmap.get_root().render()
    busiest = pair_rows.head(3)
    assert page.count('"mapdata-pair pair-') == 3 < len(pair_rows)
    for a, b in zip(busiest["a"], busiest["b"]):
        assert f"pair-{mapview.css_name(a)}-{mapview.css_name(b)}" in page
    # popups carry the newest POPUP_ITEMS items with their phrases marked, and say how many more: Belarus has 11
    snippets = page.count('\\u003cdiv class=\\"item\\"')
    assert 0 < snippets <= (len(actor_rows) + 3) * mapview.POPUP_ITEMS
    assert "Lukashenka\\u003c/mark\\u003e" in page
    assert re.search(r'Belarus \(BY\) · 11 items",\[\d+,\d+\],9\]', page)
    assert len(page) < len(html) + 10_000


def test_arc_follows_the_great_circle():
    points = mapview.arc((53.9, 27.6), (38.9, -77.0))
    assert points[0] == pytest.approx((53.9, 27.6)) and points[-1] == pytest.approx((38.9, -77.0))
    assert max(lat for lat, _ in points) > 60  # the Minsk-Washington geodesic bows north


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
    assert Filters.from_query(Filters(border_only=True, min_items=3).to_query()) == Filters(border_only=True, min_items=3)


def test_timeline_matrix_and_ego(frames):
    counts, unit = aggregate.timeline(frames)
    assert unit == "day" and counts["items"].sum() >= 11
    table, tones = aggregate.matrix(frames, top=5)
    assert table.loc["BY", "RU"] == 2 and tones.loc["BY", "RU"] in ("cooperation", "conflict", "neutral")
    acts_on, acted_on = aggregate.ego(frames, "BY")
    assert "RU" in set(acts_on["actor"]) and "US" in set(acted_on["actor"])
