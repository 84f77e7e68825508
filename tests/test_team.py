"""A dashboard shared on a network (served on 127.0.0.2, a loopback address other than 127.0.0.1): a visitor who
has not signed in reads and cannot write; wrong passwords are refused and, after five in a row, the name is
refused even with its right password; an editor signs in, corrects an item, and the change records the account."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from mapdata import accounts, store
from mapdata.ingest import ensure_sample
from support import MAP, WAIT, AppServer, gate

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("team")
    url = f"sqlite:///{workdir / 'team.sqlite'}"
    engine = store.open_engine(url)
    ensure_sample(engine)
    accounts.add_user(engine, "ana", "ana's long passphrase")
    accounts.add_user(engine, "ben", "ben's long passphrase")
    engine.dispose()
    server = AppServer(workdir, url, address="127.0.0.2")
    yield server
    server.stop()


@pytest.fixture
def team_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", gate)
    yield context.new_page()
    context.close()


def sign_in(page, name: str, password: str) -> None:
    form = page.get_by_test_id("stSidebar").get_by_test_id("stForm")
    form.get_by_label("Account").fill(name)
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_role("button", name="Sign in").click()


def wait_for_sign_ins(page, server, name: str, done) -> None:
    """Poll the server's database until the name's row of wrong passwords satisfies `done`."""
    engine = store.open_engine(server.db_url)
    deadline = time.monotonic() + WAIT / 1000
    try:
        while True:
            with engine.connect() as conn:
                row = conn.execute(select(store.sign_ins).where(store.sign_ins.c.name == name)).one_or_none()
            if row is not None and done(row):
                return
            assert time.monotonic() < deadline, f"the server did not count the wrong password: {row}"
            page.wait_for_timeout(50)
    finally:
        engine.dispose()


def test_a_visitor_reads_but_cannot_write(team_server, team_page):
    page = team_page
    page.goto(team_server.url)
    expect(page.frame_locator(MAP).locator("path.mapdata-actor").first).to_be_attached(timeout=WAIT)
    page.goto(team_server.url + "/data")
    expect(page.get_by_text("read-only until an editor signs in")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("heading", name="Latest changes")).to_be_visible()
    assert page.get_by_test_id("stFileUploaderDropzoneInput").count() == 0
    assert page.get_by_role("button", name="Add country").count() == 0
    assert page.get_by_label("One item per line").count() == 0


def test_wrong_passwords_are_refused_then_the_name_is_locked(team_server, team_page):
    page = team_page
    page.goto(team_server.url + "/data")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_label("Account")).to_be_visible(timeout=WAIT)
    for attempt in range(accounts.FAILURES_BEFORE_LOCK - 1):
        sign_in(page, "ben", f"wrong guess {attempt}")
        # the server counts each guess before it answers (after a pause): the next guess waits for the count, else
        # two guesses sent during one pause are one run of the page and one count
        wait_for_sign_ins(page, team_server, "ben", lambda row, n=attempt + 1: row.failures == n)
        expect(sidebar.get_by_text("wrong name or password")).to_be_visible(timeout=WAIT)
    sign_in(page, "ben", "wrong guess, the last")
    wait_for_sign_ins(page, team_server, "ben", lambda row: row.locked_until is not None)
    expect(sidebar.get_by_text("too many wrong passwords")).to_be_visible(timeout=WAIT)
    sign_in(page, "ben", "ben's long passphrase")  # the right one, too late
    expect(sidebar.get_by_text("too many wrong passwords")).to_be_visible(timeout=WAIT)
    assert page.get_by_test_id("stFileUploaderDropzoneInput").count() == 0


def test_an_editor_signs_in_corrects_an_item_and_the_change_records_the_account(team_server, team_page):
    page = team_page
    page.goto(team_server.url + "/data")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_label("Account")).to_be_visible(timeout=WAIT)
    sign_in(page, "ana", "ana's long passphrase")
    expect(sidebar.get_by_text("Signed in as ana")).to_be_visible(timeout=WAIT)
    expect(page.get_by_test_id("stFileUploaderDropzoneInput")).to_be_attached(timeout=WAIT)
    page.get_by_label("Find the item").fill("Zapad")
    page.get_by_label("Find the item").press("Enter")
    expect(page.locator("div.item", has_text="Zapad")).to_be_visible(timeout=WAIT)
    page.get_by_role("combobox", name="Add a country").click()
    page.get_by_role("combobox", name="Add a country").fill("Lithuania")
    page.get_by_role("option", name="Lithuania (LT)", exact=True).wait_for(timeout=WAIT)
    page.get_by_role("combobox", name="Add a country").press("Enter")
    page.get_by_role("button", name="Add country").click()
    expect(page.get_by_text("stored; it survives re-tagging")).to_be_visible(timeout=WAIT)
    engine = store.open_engine(team_server.db_url)
    try:
        with engine.connect() as conn:
            assert list(conn.scalars(select(store.corrections.c.account))) == ["ana"]
        assert accounts.latest_changes(engine, 1)[0].account == "ana"
    finally:
        engine.dispose()
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text("ana", timeout=WAIT)
