"""Real-browser tests: Debian's Chromium, every request off 127.0.0.1 aborted, so the map must draw offline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
MAP = 'iframe[title="streamlit_folium.st_folium"]'
WAIT = 60_000  # a maximum, not a sleep: Streamlit reruns are slow on 2 busy cores


def open_map(page, url: str):
    """Load the dashboard and wait until the map inside its iframe has drawn its markers."""
    page.goto(url)
    frame = page.frame_locator(MAP)
    expect(frame.locator("path.mapdata-actor").first).to_be_attached(timeout=WAIT)
    return frame


def test_click_marker_reads_items_offline(app_server, page):
    frame = open_map(page, app_server.url)
    assert frame.locator("path.mapdata-actor").count() >= 8
    frame.locator("path.actor-BY").dispatch_event("click")
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
    line = frame.locator("path.pair-BY-PL")
    expect(line).to_be_attached(timeout=WAIT)
    line.dispatch_event("click")
    expect(frame.locator(".leaflet-popup-content")).to_contain_text("Poland (PL)", timeout=WAIT)
    expect(page.get_by_text("Items between Belarus (BY) and Poland (PL)")).to_be_visible(timeout=WAIT)


def test_topic_filter_changes_markers_and_url(app_server, page):
    frame = open_map(page, app_server.url)
    before = frame.locator("path.mapdata-actor").count()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("combobox", name="Topics").click()
    page.get_by_role("option", name="travel_consular").click()
    page.keyboard.press("Escape")
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
    expect(frame.locator(".mapdata-legend")).to_contain_text("shared land border")
    expect(frame.locator("a.mapdata-fullscreen")).to_be_visible()
    control = frame.locator(".leaflet-control-layers")
    for name in ("Relations", "Actors", "Items per country (choropleth)", "Density (heat)"):
        expect(control).to_contain_text(name)
    before = frame.locator("path.leaflet-interactive").count()
    control.get_by_text("Items per country (choropleth)").click()
    expect(frame.locator("path.leaflet-interactive")).not_to_have_count(before, timeout=WAIT)
    assert page.console_errors == [], page.console_errors


def test_upload_a_file_and_see_its_items_on_the_map(tmp_path, browser):
    from conftest import AppServer, gate

    server = AppServer(tmp_path, f"sqlite:///{tmp_path / 'upload.sqlite'}")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    page = context.new_page()
    try:
        page.goto(server.url + "/Data")
        feed = tmp_path / "mine.csv"
        feed.write_text("date,text\n2025-11-02,Chile and Peru signed a fisheries agreement in Lima.\n", encoding="utf-8")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(feed), timeout=WAIT)
        expect(page.get_by_text("1 items to add, 0 rejected")).to_be_visible(timeout=WAIT)
        page.get_by_role("button", name="Add 1 items").click()
        expect(page.get_by_text("1 new, 0 already present")).to_be_visible(timeout=WAIT)
        page.goto(server.url)
        frame = page.frame_locator(MAP)
        expect(frame.locator("path.actor-CL")).to_be_attached(timeout=WAIT)
        frame.locator("path.actor-CL").dispatch_event("click")
        expect(frame.locator(".leaflet-popup-content")).to_contain_text("fisheries agreement", timeout=WAIT)
    finally:
        context.close()
        server.stop()


def test_items_page_downloads_the_filtered_view(app_server, page):
    page.goto(app_server.url + "/?topics=military")  # opening /Items directly makes Streamlit probe /Items/_stcore (404)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"Showing [1-9] of 11 items"))).to_be_visible(timeout=WAIT)
    page.get_by_test_id("stSidebarNav").get_by_text("Items").click()
    expect(page.get_by_text(re.compile(r"^[1-9] items shown \(of 11 stored\)"))).to_be_visible(timeout=WAIT)
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0].startswith("date,topics,countries,organisations,tone,lead_actor,text")
    shown = page.get_by_text("items shown (of 11 stored)").inner_text()
    assert len(lines) - 1 == int(shown.split()[0]) and all("military" in line for line in lines[1:])
    assert page.console_errors == [], page.console_errors


def test_serve_warms_the_caches_before_the_first_visit(tmp_path, browser):
    import time

    from conftest import AppServer, gate

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
