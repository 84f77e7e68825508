"""The dashboard follows a live source: a feed gains entries while the map is open, a watcher stores them, and the
page shows them without a reload, keeping its view, its filters and the open popup."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from support import MAP, WAIT, AppServer, FeedServer, gate, mapdata

pytestmark = pytest.mark.browser

NEW = [
    ("2025-11-01", "Chile and Peru signed a fisheries agreement in Lima."),
    ("2025-11-01", "Argentina and Uruguay agreed to dredge the River Plate channel together."),
]


def test_new_items_show_up_without_a_reload(tmp_path, browser):
    db_url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    env = {"MAPDATA_DB_URL": db_url}
    feeds = FeedServer()
    feeds.feeds["wire"] = []
    server = AppServer(tmp_path, db_url)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    page = context.new_page()
    try:
        assert mapdata("sources", "add", feeds.url("wire"), "--name", "wire", env=env).returncode == 0
        page.goto(server.url + "/?min=1")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text("Showing 11 of 11 items")).to_be_visible(timeout=WAIT)
        frame = page.frame_locator(MAP)
        poland = frame.locator('path.mapdata-actor[data-key="PL"]')
        expect(poland).to_be_attached(timeout=WAIT)
        poland.dispatch_event("click")
        popup = frame.locator(".leaflet-popup-content")
        expect(popup).to_contain_text("Poland (PL)", timeout=WAIT)
        expect(page.get_by_text("Items involving Poland (PL)")).to_be_visible(timeout=WAIT)
        # a mark on the map's own window: a reloaded page or a remounted map would lose it
        map_frame = next(f for f in page.frames if f.url and "streamlit_folium" in f.url)
        map_frame.evaluate("window.__kept = 1")
        url_before = page.url

        feeds.feeds["wire"] = NEW
        polled = mapdata("watch", "--once", env=env)
        assert polled.returncode == 0 and "wire: 2 new" in polled.stderr, polled.stderr

        expect(page.get_by_text("2 new items")).to_be_visible(timeout=WAIT)  # the notice
        expect(sidebar.get_by_text("Showing 13 of 13 items")).to_be_visible(timeout=WAIT)
        expect(frame.locator('path.mapdata-actor[data-key="CL"]')).to_be_attached(timeout=WAIT)
        expect(popup).to_contain_text("Poland (PL)", timeout=WAIT)  # the open popup is open again
        assert map_frame.evaluate("window.__kept") == 1
        assert page.url == url_before
        assert page.console_errors == [] if hasattr(page, "console_errors") else True
    finally:
        context.close()
        server.stop()
        feeds.stop()
