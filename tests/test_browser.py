"""Real-browser tests: Debian's Chromium, every request off 127.0.0.1 aborted, so the map must draw offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from support import MAP, WAIT, AppServer, choose

pytestmark = pytest.mark.browser


def open_map(page, url: str):
    """Load the dashboard and wait until the map inside its iframe has drawn its markers."""
    page.goto(url)
    frame = page.frame_locator(MAP)
    expect(frame.locator("path.mapdata-actor").first).to_be_attached(timeout=WAIT)
    return frame


def test_click_marker_reads_items_offline(app_server, page):
    frame = open_map(page, app_server.url)
    assert frame.locator("path.mapdata-actor").count() >= 8
    frame.locator('path.mapdata-actor[data-key="BY"]').dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("Belarus (BY)", timeout=WAIT)
    expect(popup.locator("mark").first).to_be_visible()
    # the click reaches the app, which lists that actor's items under the map with the phrase marked
    expect(page.get_by_text("Items involving Belarus (BY)")).to_be_visible(timeout=WAIT)
    expect(page.locator("div.clicked-items div.item mark", has_text="Lukashenka").first).to_be_visible(timeout=WAIT)
    assert page.blocked == [] or all("127.0.0.1" not in u for u in page.blocked)
    assert page.console_errors == [], page.console_errors


def test_click_relation_line(app_server, page):
    frame = open_map(page, app_server.url)
    line = frame.locator('path.mapdata-relation[data-key="BY|PL"]')
    expect(line).to_be_attached(timeout=WAIT)
    line.dispatch_event("click")
    expect(frame.locator(".leaflet-popup-content")).to_contain_text("Poland (PL)", timeout=WAIT)
    expect(page.get_by_text("Items between Belarus (BY) and Poland (PL)")).to_be_visible(timeout=WAIT)


def test_topic_filter_changes_markers_and_url(app_server, page):
    frame = open_map(page, app_server.url)
    before = frame.locator("path.mapdata-actor").count()
    sidebar = page.get_by_test_id("stSidebar")
    choose(page, "Topics", "travel_consular")
    expect(sidebar.get_by_text("Showing 1 of 11 items")).to_be_visible(timeout=WAIT)
    frame = page.frame_locator(MAP)
    expect(frame.locator("path.mapdata-actor")).to_have_count(2, timeout=WAIT)
    assert before > 2
    assert "topics=travel_consular" in page.url
    # the same URL opened afresh gives the same view
    page.goto(page.url)
    expect(page.get_by_test_id("stSidebar").get_by_text("Showing 1 of 11 items")).to_be_visible(timeout=WAIT)
    expect(page.frame_locator(MAP).locator("path.mapdata-actor")).to_have_count(2, timeout=WAIT)


def test_layers_legend_and_fullscreen_controls(app_server, page):
    frame = open_map(page, app_server.url)
    legend = frame.locator(".mapdata-legend")
    body = legend.locator(".mapdata-legend-body")
    expect(body).to_be_hidden()  # folded until asked for, to leave the map clear
    legend.get_by_role("button", name="Legend").click()
    expect(body).to_be_visible()
    expect(body).to_contain_text("shared land border")
    expect(body).to_contain_text("colour uncertain")
    assert "Legend" not in body.inner_text()  # the button names it once
    expect(frame.locator("a.mapdata-fullscreen")).to_be_visible()
    control = frame.locator(".leaflet-control-layers")
    control.hover()  # collapsed to an icon until pointed at
    for name in ("Relations", "Actors", "Items per country (choropleth)", "Density (heat)"):
        expect(control).to_contain_text(name)
    before = frame.locator("path.leaflet-interactive").count()
    control.get_by_text("Items per country (choropleth)").click()
    expect(frame.locator("path.leaflet-interactive")).not_to_have_count(before, timeout=WAIT)
    assert page.console_errors == [], page.console_errors


def test_upload_a_file_and_see_its_items_on_the_map(tmp_path, browser):
    from support import AppServer, gate

    server = AppServer(tmp_path, f"sqlite:///{tmp_path / 'upload.sqlite'}")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    page = context.new_page()
    try:
        page.goto(server.url + "/data")
        feed = tmp_path / "mine.csv"
        feed.write_text(
            "date,text\n2025-11-02,Chile and Peru signed a fisheries agreement in Lima.\n", encoding="utf-8"
        )
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(feed), timeout=WAIT)
        expect(page.get_by_text("1 items to add, 0 rejected")).to_be_visible(timeout=WAIT)
        page.get_by_role("button", name="Add 1 items").click()
        expect(page.get_by_text("1 new, 0 already present")).to_be_visible(timeout=WAIT)
        page.goto(server.url)
        frame = page.frame_locator(MAP)
        chile = frame.locator('path.mapdata-actor[data-key="CL"]')
        expect(chile).to_be_attached(timeout=WAIT)
        chile.dispatch_event("click")
        expect(frame.locator(".leaflet-popup-content")).to_contain_text("fisheries agreement", timeout=WAIT)
    finally:
        context.close()
        server.stop()


def test_a_marker_and_a_line_whose_tones_are_uncertain_are_hatched_and_dotted(tmp_path, browser):
    from dataclasses import replace
    from datetime import date

    from mapdata import store
    from mapdata.models import Confidence, Item
    from mapdata.tagging import default_tagger
    from support import gate

    texts = [
        "Chile and Peru signed a fisheries agreement in Lima.",
        "Peru and Chile held talks on their maritime border.",
        "Argentina and Brazil agreed to extend their trade pact.",
    ]
    tagged = default_tagger().tag_many([Item.create(t, date(2025, 11, 2)) for t in texts])
    # the tagger unsure of the tone of both items naming Chile: that colour is a guess, the map says so
    tagged = [replace(t, confidence=Confidence(0.3, ())) if "CL" in t.countries else t for t in tagged]
    url = f"sqlite:///{tmp_path / 'unsure.sqlite'}"
    store.add_items(store.open_engine(url), tagged)
    server = AppServer(tmp_path, url)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        frame = open_map(page, server.url)
        chile = frame.locator('path.mapdata-actor[data-key="CL"]')
        expect(chile).to_have_attribute("fill", re.compile(r"^url\(#mapdata-hatch-"), timeout=WAIT)
        pattern = chile.get_attribute("fill")[4:-1]  # "#mapdata-hatch-…"
        assert frame.locator(f"pattern{pattern}").count() == 1  # defined in the page, so the fill is drawn
        brazil = frame.locator('path.mapdata-actor[data-key="BR"]')
        assert not brazil.get_attribute("fill").startswith("url(")
        line = frame.locator('path.mapdata-relation[data-key="CL|PE"]')
        # both share a land border (dashed): the uncertain one is dash-dotted, its dots apart by more than twice
        # its width (round caps as wide as the line: nearer, a thick dotted line would look solid)
        expect(line).to_have_attribute("stroke-dasharray", re.compile(r"^8 \d+ 1 \d+$"), timeout=WAIT)
        width, gap = float(line.get_attribute("stroke-width")), int(line.get_attribute("stroke-dasharray").split()[1])
        assert gap > 2 * width
        assert frame.locator('path.mapdata-relation[data-key="AR|BR"]').get_attribute("stroke-dasharray") == "8 6"
        chile.hover()
        expect(frame.locator(".leaflet-tooltip")).to_contain_text("tone uncertain for 2 of 2", timeout=WAIT)
        assert errors == [], errors
    finally:
        context.close()
        server.stop()


def test_items_page_downloads_the_filtered_view(app_server, page):
    page.goto(app_server.url + "/?topics=military")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"Showing [1-9] of 11 items"))).to_be_visible(timeout=WAIT)
    page.get_by_test_id("stSidebarNav").get_by_text("Items").click()
    expect(page.get_by_text(re.compile(r"^[1-9] items shown \(of 11 stored\)"))).to_be_visible(timeout=WAIT)
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("date,topics,countries,organisations,tone,lead_actor,text")
    shown = page.get_by_text("items shown (of 11 stored)").inner_text()
    assert len(lines) - 1 == int(shown.split()[0]) and all("military" in line for line in lines[1:])
    assert page.console_errors == [], page.console_errors


def test_serve_warms_the_caches_before_the_first_visit(tmp_path, browser):
    import time

    from support import AppServer, gate

    # `mapdata serve`, as the README says; with PYTHONSAFEPATH the current folder is not on sys.path
    server = AppServer(tmp_path, f"sqlite:///{tmp_path / 'warm.sqlite'}", env={"PYTHONSAFEPATH": "1"})
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    try:
        deadline = time.monotonic() + 60
        while "mapdata: caches warm in" not in server.output():  # nobody has opened the page yet
            assert "warming the caches failed" not in server.output(), server.output()
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)  # a poll interval
        frame = open_map(context.new_page(), server.url)
        assert frame.locator("path.mapdata-actor").count() >= 8
    finally:
        context.close()
        server.stop()
    assert server.proc.returncode is not None  # stopping `mapdata serve` stopped the server itself


def test_the_pages_are_named_and_keep_the_filters(app_server, page):
    open_map(page, app_server.url + "/?topics=border")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link")).to_have_count(6, timeout=WAIT)
    assert [name.strip() for name in nav.get_by_role("link").all_inner_texts()] == [
        "Map",
        "Timeline",
        "Relations",
        "Items",
        "Trends",
        "Data",
    ]
    sidebar = page.get_by_test_id("stSidebar")
    shown = sidebar.get_by_text(re.compile(r"Showing \d+ of 11 items")).inner_text()
    for name in ("Timeline", "Relations", "Items", "Trends", "Data", "Map"):
        nav.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=WAIT)
        expect(sidebar.get_by_text(shown)).to_be_visible(timeout=WAIT)  # the same filters on every page
        assert "topics=border" in page.url
    assert page.console_errors == [], page.console_errors


SESSIONS = 6


def test_a_choice_made_while_the_first_run_streams_sticks(app_server, browser):
    """Each session picks a topic the moment the box appears, before its first run has drawn the map: the choice
    stays chosen and the view follows it (the widgets were once seeded from the URL by the script, and a first
    run could overwrite a choice the browser had already made)."""
    from support import gate

    contexts = [browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(SESSIONS)]
    try:
        pages = []
        for context in contexts:
            context.route("**/*", gate)
            pages.append(context.new_page())
        for pg in pages:
            pg.goto(app_server.url, wait_until="commit")
        for pg in pages:  # as soon as each box can be used, not after the map
            choose(pg, "Topics", "travel_consular")
        for pg in pages:
            sidebar = pg.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("Showing 1 of 11 items")).to_be_visible(timeout=WAIT)
            expect(pg.frame_locator(MAP).locator("path.mapdata-actor")).to_have_count(2, timeout=WAIT)
            expect(sidebar.get_by_role("button", name="Remove travel_consular", exact=True)).to_have_count(1)
            assert "topics=travel_consular" in pg.url
    finally:
        for context in contexts:
            context.close()


def test_a_link_to_a_page_opened_first_after_a_start_shows_the_whole_dashboard(tmp_path, page):
    # Streamlit takes a `pages/` folder for an old-style page list until a session opens the root URL; a shared
    # link to the Data page, the first thing a fresh server is asked for, must still get the frame
    server = AppServer(tmp_path, f"sqlite:///{tmp_path / 'first.sqlite'}")
    try:
        page.goto(server.url + "/data")
        expect(page.get_by_role("heading", name="Data", level=1)).to_be_visible(timeout=WAIT)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link")).to_have_count(6, timeout=WAIT)
        assert "Trends" in nav.inner_text() and "launch" not in nav.inner_text()
        expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Showing \d+ of"))).to_be_visible(timeout=WAIT)
    finally:
        server.stop()
