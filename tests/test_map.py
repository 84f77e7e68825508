"""The map stays readable on many items, in a real browser: it fits the busy actors, draws the busiest relations
only, names places without overlap, outlines every country, shows one actor's network on a click and the
overview again on a click on the background, and steps through time. The data are generated from the gazetteer
(bench/generate.py: every item names real actors, worldwide), so the view spans the world."""

from __future__ import annotations

import json
import re
import sys

import pytest
from playwright.sync_api import expect

from support import MAP, ROOT, WAIT, AppServer, choose, gate

pytestmark = pytest.mark.browser

# What the map shows, read in its frame: each element of a class with its key, its place and whether it can be
# seen (displayed, and drawn at an opacity of at least 0.2, as a reader would notice it).
STATE = """() => {
  const alpha = e => { const s = getComputedStyle(e); return parseFloat(s.opacity) * parseFloat(s.strokeOpacity || 1); };
  const shown = e => { const s = getComputedStyle(e); const r = e.getBoundingClientRect();
    return s.display != 'none' && s.visibility != 'hidden' && r.width + r.height > 0; };
  const pick = c => [...document.querySelectorAll('.' + c)].filter(shown);
  const box = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.right, r.bottom]; };
  return {
    actors: pick('mapdata-actor').filter(e => alpha(e) >= 0.2).map(e => [e.dataset.key, ...box(e)]),
    lines: pick('mapdata-relation').map(e => [e.dataset.key, alpha(e)]),
    labels: pick('mapdata-label').map(e => [e.textContent, ...box(e)]),
    countries: [...new Set([...document.querySelectorAll('.mapdata-country')].map(e => e.dataset.key))],
    width: innerWidth, height: innerHeight};
}"""


def map_frame(page):
    """The map's frame (the one that holds Leaflet)."""
    return next(
        f
        for f in page.frames
        if f != page.main_frame and f.evaluate("() => !!document.querySelector('.leaflet-container')")
    )


def overlap(a: list, b: list) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 2 and min(a[3], b[3]) - max(a[1], b[1]) > 2


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The dashboard over 600 generated items from all over the world, and what they hold per actor."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import items

    from mapdata import aggregate, store
    from mapdata.ingest import ingest_paths

    workdir = tmp_path_factory.mktemp("world")
    feed = workdir / "world.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in items(600, seed=7)), encoding="utf-8")
    url = f"sqlite:///{workdir / 'world.sqlite'}"
    engine = store.open_engine(url)
    ingest_paths(engine, [feed])
    frames = store.load_frames(engine)
    engine.dispose()
    actors, pairs = aggregate.view(frames)
    server = AppServer(workdir, url)
    server.actors, server.pairs, server.total = actors, pairs, len(frames.items)  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def world_page(world, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.route("**/*", gate)
    page = context.new_page()
    page.goto(world.url)
    expect(page.frame_locator(MAP).locator("path.mapdata-actor").first).to_be_attached(timeout=WAIT)
    expect(page.frame_locator(MAP).locator(".mapdata-label").first).to_be_attached(timeout=WAIT)
    yield page
    context.close()


def settled(page, frame, condition: str, timeout: float = WAIT) -> dict:
    """The map's state once `condition` (JavaScript over that state, `s`) holds."""
    frame.wait_for_function(f"() => {{ const s = ({STATE})(); return {condition}; }}", timeout=timeout)
    return frame.evaluate(STATE)


def test_the_first_view_fits_the_busy_actors_with_few_lines_named_places_and_every_country(world, world_page):
    frame = map_frame(world_page)
    s = settled(world_page, frame, "s.actors.length > 0 && s.labels.length >= 10")
    busy = [k for k, n in zip(world.actors["actor"], world.actors["items"], strict=True) if n >= 0.02 * world.total]
    where = {k: (x0, y0, x1, y1) for k, x0, y0, x1, y1 in s["actors"]}
    out = [
        k
        for k in busy
        if k not in where
        or not (where[k][0] >= 0 and where[k][2] <= s["width"] and where[k][1] >= 0 and where[k][3] <= s["height"])
    ]
    assert len(busy) >= 5 and not out, out
    visible = {k for k, a in s["lines"] if a >= 0.2}
    assert 0 < len(visible) <= 40 < len(world.pairs)
    labels = s["labels"]
    assert len(labels) >= 10
    assert not [(a[0], b[0]) for i, a in enumerate(labels) for b in labels[i + 1 :] if overlap(a[1:], b[1:])]
    markers = [a[1:] for a in s["actors"]]
    assert not [(label[0]) for label in labels for m in markers if overlap(label[1:], m)]  # no name covers a marker
    from mapdata import gazetteer

    assert set(gazetteer.load().country_names) <= set(s["countries"])  # an outline for every country


def test_a_click_on_an_actor_shows_its_network_and_the_background_the_overview(world, world_page):
    frame = map_frame(world_page)
    settled(world_page, frame, "s.lines.length > 0")
    top = world.actors["actor"].iloc[0]
    mine = world.pairs[(world.pairs["a"] == top) | (world.pairs["b"] == top)]
    world_page.frame_locator(MAP).locator(f'.mapdata-actor[data-key="{top}"]').first.dispatch_event("click")
    s = settled(
        world_page,
        frame,
        f"s.lines.filter(l => l[0].split('|').includes({json.dumps(top)})).length >= "
        f"{min(5, len(mine))} && s.lines.filter(l => l[1] >= 0.2).every(l => "
        f"l[0].split('|').includes({json.dumps(top)}))",
    )
    visible = {k for k, a in s["lines"] if a >= 0.2}
    assert visible and all(top in k.split("|") for k in visible)  # every line that can be seen touches it
    busiest = {"|".join(sorted((a, b))) for a, b in zip(mine["a"].head(5), mine["b"].head(5), strict=True)}
    assert busiest <= visible
    faintest = min(a for k, a in s["lines"] if top in k.split("|"))
    assert all(a <= 0.5 * faintest for k, a in s["lines"] if top not in k.split("|"))  # the rest is dimmed
    expect(world_page.get_by_role("heading", name="Items involving")).to_be_visible(timeout=WAIT)
    # a click on the map's background, away from every marker and line: back to the overview
    frame.evaluate(
        "() => window.map.fire('click', {latlng: L.latLng(-70, -150), layerPoint: L.point(1, 1), "
        "containerPoint: L.point(1, 1), originalEvent: new MouseEvent('click')})"
    )
    s = settled(
        world_page,
        frame,
        f"s.lines.filter(l => l[1] >= 0.2 && !l[0].split('|').includes({json.dumps(top)})).length > 0",
    )
    assert len({k for k, a in s["lines"] if a >= 0.2}) <= 40


def test_the_lines_control_and_a_step_of_time(world, world_page):
    frame = map_frame(world_page)
    settled(world_page, frame, "s.lines.length > 0")
    lines = world_page.get_by_test_id("stButtonGroup")
    lines.get_by_text("none", exact=True).click()
    settled(world_page, frame, "s.lines.length == 0")
    assert "lines=none" in world_page.url
    lines.get_by_text("all", exact=True).click()
    s = settled(world_page, frame, f"s.lines.length == {len(world.pairs)}")
    assert len({k for k, _ in s["lines"]}) == len(world.pairs)
    # one period: only the actors with items then keep a marker
    before = len(s["actors"])
    frame.evaluate(
        "() => { const r = document.querySelector('.mapdata-period'); r.value = 3; "
        "r.dispatchEvent(new Event('input')); }"
    )
    label = frame.evaluate("() => document.querySelector('.mapdata-period-label').textContent")
    assert label.startswith("week of 2025-")
    s = settled(world_page, frame, f"s.actors.length < {before}")
    assert len(s["actors"]) > 0
    frame.evaluate("() => document.querySelector('.mapdata-all').click()")
    settled(world_page, frame, f"s.actors.length == {before}")


def test_the_view_refits_on_a_filter_change_until_the_map_is_moved_then_the_button_does(world, world_page):
    frame = map_frame(world_page)
    before = len(settled(world_page, frame, "s.actors.length > 0")["actors"])
    frame.evaluate("() => window.map.setView([-60, -120], 5)")  # the analyst looks elsewhere
    choose(world_page, "Topics", "military")
    # the count reads "Showing N of M items", or "of M stories" once two generated items tell one story: either
    # way it shows fewer than all once the filter is applied
    count = world_page.get_by_test_id("stSidebar").get_by_text(re.compile(r"^Showing [\d,]+ of "))
    expect(count).not_to_have_text(re.compile(r"^Showing ([\d,]+) of \1 "), timeout=WAIT)
    frame = map_frame(world_page)
    frame.wait_for_function(f"() => document.querySelectorAll('.mapdata-actor').length < {before}", timeout=WAIT)
    center = frame.evaluate("() => window.map.getCenter()")
    assert round(center["lat"]) == -60 and round(center["lng"]) == -120, center  # moved by hand: kept
    frame.locator("a.mapdata-fit").click()
    settled(world_page, frame, "s.actors.filter(a => a[1] >= 0 && a[3] <= s.width && a[4] <= s.height).length >= 5")
    center = frame.evaluate("() => window.map.getCenter()")
    assert round(center["lat"]) != -60, center


def test_the_seed_choropleth_fills_hungary(app_server, page):
    page.goto(app_server.url)
    frame = page.frame_locator(MAP)
    expect(frame.locator("path.mapdata-actor").first).to_be_attached(timeout=WAIT)
    frame.locator(".leaflet-control-layers").hover()
    frame.locator(".leaflet-control-layers").get_by_text("Items per country (choropleth)").click()
    hungary = frame.locator('path.mapdata-choropleth[data-key="HU"]')
    expect(hungary).to_be_attached(timeout=WAIT)
    assert hungary.first.get_attribute("fill") not in (None, "none")
    assert frame.locator('path.mapdata-country[data-key="HU"]').count() >= 1
