"""Hardening in a real browser (Debian Chromium, every request off 127.0.0.1 aborted).

Part 1, the upload path: bad files uploaded on the Data page show their rejection, never a traceback, and the
upload cap refuses a file over server.maxUploadSize.
Part 2, hostile text: items whose text, source and URL carry <script>, onerror handlers, javascript:/data: URLs,
quotes and backticks meant to break out of JavaScript strings and template literals (`${...}`), </script>, and
Leaflet/Jinja template syntax are ingested into a database of their own; then every tooltip is hovered, every
popup opened, the panel under the map read after each click, and every page visited, with a trap installed in
every frame (a `window.__pwned` setter that records, alert/confirm/prompt/open wrapped, dialogs recorded): no
payload may run, the text must show literally, and the only links are http(s) ones opened with
rel="noopener noreferrer".
Part 3, many users: 20 browser contexts open the dashboard on the sample data at once and each changes the
topic filter; all get their maps and their own filtered caption, and the server log holds no "Traceback" or
"Error".

The counts are printed (visible without -s):  HARDENING browser: ... / HARDENING sessions: ...
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import Browser, Locator, expect

from support import MAP, ROOT, WAIT, AppServer, choose, gate, report

pytestmark = pytest.mark.browser
PAGES = ("Timeline", "Relations", "Items", "Trends", "Data")  # besides the map, which is the app's first page

# Every payload announces itself: a script that runs sets window.__pwned (in its own frame or its parent), calls
# alert/confirm/prompt/open, or opens a dialog. This runs in every frame before any page script does.
TRAP = """
(() => {
  const hits = [];
  Object.defineProperty(window, "__pwned", {
    configurable: false,
    get() { return hits.length ? hits.join(" | ") : undefined; },
    set(value) { hits.push("set " + value); },
  });
  for (const name of ["alert", "confirm", "prompt", "open"]) {
    const original = window[name];
    window[name] = function (...args) { hits.push(name + "(" + args.join(",") + ")"); return original.apply(this, args); };
  }
})();
"""
TRAPPED = "() => typeof Object.getOwnPropertyDescriptor(window, '__pwned')?.set === 'function'"

NEWEST = "2025-11-10"  # the items whose payloads each popup must show are the newest of their actors and pairs
HOSTILE = [  # three pairs of countries and one organisation: few markers and lines, each with several hostile items
    {
        "date": NEWEST,
        "text": "Poland <script>window.__pwned=1;alert(1)</script> closed the border with Belarus.",
        "url": "javascript:window.__pwned=1",
        "source": '<img src=x onerror="window.__pwned=1">',
    },
    {
        "date": NEWEST,
        "text": 'Chile <img src=x onerror="window.__pwned=1;alert(2)"> and Peru signed a fisheries deal.',
        "url": "data:text/html,<script>alert(1)</script>",
        "source": "`${window.__pwned=1}`",
    },
    {
        "date": NEWEST,
        "text": "Japan `${window.__pwned=1}` and South Korea held talks ${alert(3)} \\`;window.__pwned=1;// \\\\`+alert(4)+`",
        "url": "https://example.org/a?b=`${window.__pwned=1}`&c=\"onmouseover=window.__pwned=1\"x=' onclick='alert(5)",
        "source": "Wire",
    },
    {
        "date": "2025-11-03",
        "text": "Poland </script><script>window.__pwned=1</script><!-- accused --> Belarus of moving troops.",
        "url": " JaVaScRiPt:window.__pwned=1",
        "source": "</script><script>alert(6)</script>",
    },
    {
        "date": NEWEST,
        "text": "Chile {{ 7*7 }} {% if true %}x{% endif %} {{ this.get_name() }} {{constructor.constructor('alert(7)')()}} met Peru.",
        "url": "https://example.org/ok",
        "source": "{{ 7*7 }}",
    },
    {
        "date": "2025-11-04",
        "text": 'Japan "quotes" \'single\' condemned South Korea"); window.__pwned=1; ("\' + </div><a href=javascript:alert(8)>x</a>',
        "url": "java\tscript:alert(9)",
        "source": "'\"><svg onload=alert(10)>",
    },
    {
        "date": "2025-11-05",
        "text": "Poland [click](javascript:window.__pwned=1) and Belarus ![i](x) <https://evil.example> $x^2$ **bold** met in Brest.",
        "url": "vbscript:msgbox(11)",
        "source": "**bold**",
    },
    {
        "date": "2025-11-06",
        "text": "Chile \\x3cscript\\x3ewindow.__pwned=1\\x3c/script\\x3e \\u003cimg src=x onerror=alert(12)\\u003e and Peru met.",
        "url": "http://example.org/plain",
        "source": "\\u0027",
    },
    {
        "date": "2025-11-07",
        "text": 'Japan <svg onload="window.__pwned=1"></svg> <iframe srcdoc="<script>parent.__pwned=1</script>"></iframe> and South Korea agreed.',
        "url": "https://example.org/x#<script>alert(13)</script>",
        "source": "<iframe>",
    },
    {
        "date": "2025-11-08",
        "text": "Poland <style>body{display:none}</style><form action=https://evil.example><input autofocus onfocus=alert(14)> warned Belarus.",
        "url": "//evil.example/x",
        "source": "<style>",
    },
    {
        "date": NEWEST,
        "text": "NATO <b>`${parent.__pwned=1}`</b> and Poland {{ 7*7 }} agreed `+alert(15)+` on air defence.",
        "url": "https://example.org/nato?x=</script><script>alert(16)</script>",
        "source": "</textarea><script>alert(17)</script>",
    },
]
# what each popup of the newest items must show as text (not as markup, not evaluated)
POPUP_LITERALS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '<img src=x onerror="window.__pwned=1;alert(2)">',
    "`${window.__pwned=1}`",
    "{{ 7*7 }} {% if true %}x{% endif %} {{ this.get_name() }}",
    "<b>`${parent.__pwned=1}`</b>",
]
# elements and attributes that news text must never become
FORBIDDEN_TAGS = [
    "SCRIPT",
    "IMG",
    "SVG",
    "IFRAME",
    "FORM",
    "INPUT",
    "TEXTAREA",
    "OBJECT",
    "EMBED",
    "LINK",
    "META",
    "BASE",
    "MATH",
    "VIDEO",
    "AUDIO",
    "STRONG",
    "EM",
    "CODE",
]
MARKUP = """(el, forbidden) => {
  const bad = [];
  for (const e of [el, ...el.querySelectorAll('*')]) {
    if (forbidden.includes(e.tagName)) bad.push(e.tagName);
    for (const a of e.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on') || ['src', 'srcdoc', 'action', 'formaction', 'xlink:href', 'background'].includes(name))
        bad.push(e.tagName + '[' + name + ']');
    }
    if (e.tagName === 'STYLE' && /body\\s*\\{|display\\s*:\\s*none/.test(e.textContent)) bad.push('injected STYLE');
  }
  const links = [...el.querySelectorAll('a')].map(a => [a.getAttribute('href'), a.getAttribute('rel') || '']);
  return {bad, links};
}"""


class Session:
    """A browser context with the request gate, the trap in every frame, and a record of dialogs and page errors."""

    def __init__(self, browser: Browser, viewport: tuple[int, int] = (1400, 1000), timeout: float = WAIT) -> None:
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, reduced_motion="reduce"
        )
        self.context.set_default_timeout(timeout)
        self.context.set_default_navigation_timeout(timeout)
        self.context.route("**/*", gate)
        self.context.add_init_script(TRAP)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def pwned(self) -> dict[str, str]:
        """Frames in which a payload ran, and the dialogs that opened: {frame url or 'dialogs': what}."""
        out = {}
        for frame in self.page.frames:
            try:
                hit = frame.evaluate("() => window.__pwned")
            except Exception as err:
                hit = None if "detached" in str(err) or "destroyed" in str(err) else f"cannot read: {err}"
            if hit is not None:
                out[frame.url[:80]] = hit
        if self.dialogs:
            out["dialogs"] = "; ".join(self.dialogs)
        return out

    def untrapped(self) -> list[str]:
        """Frames the trap is missing from (so a payload there would go unseen)."""
        missing = []
        for frame in self.page.frames:
            try:
                if not frame.evaluate(TRAPPED):
                    missing.append(frame.url[:80])
            except Exception as err:
                if "detached" not in str(err) and "destroyed" not in str(err):
                    missing.append(f"{frame.url[:80]} ({err})")
        return missing

    def settled(self, timeout: float = WAIT) -> None:
        """Wait until the app's script has finished its run."""
        expect(self.page.locator('.stApp[data-test-script-state="notRunning"]')).to_be_attached(timeout=timeout)

    def close(self) -> None:
        """Close the context and its pages."""
        self.context.close()


def check_markup(root: Locator, problems: list[str], where: str, urls: set[str]) -> int:
    """Record what in `root` news text must never become: script-capable elements or attributes, and links that
    are not one of the items' http(s) URLs opened with rel="noopener noreferrer". Returns the links seen."""
    found = root.evaluate(MARKUP, FORBIDDEN_TAGS)
    if found["bad"]:
        problems.append(f"{where}: markup from news text: {sorted(set(found['bad']))}")
    for href, rel in found["links"]:
        # the app percent-encodes what a URL may not hold raw: the link must lead to one of the items' URLs
        if (
            not re.match(r"https?://", href or "")
            or unquote(href) not in urls
            or not {"noopener", "noreferrer"} <= set(rel.split())
        ):
            problems.append(f"{where}: link {href!r} rel={rel!r}")
    return len(found["links"])


# ------------------------------------------------------------------------------------------ the hostile store


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The dashboard over a database holding the hostile items only (so the sample feed is not loaded), with the
    stored texts, the items of every actor and pair, and the item URLs a link may point to."""
    from mapdata import store
    from mapdata.ingest import ingest_paths

    workdir = tmp_path_factory.mktemp("hostile")
    feed = workdir / "hostile.jsonl"
    feed.write_text(
        "".join(json.dumps({**item, "id": f"hostile-{n:02d}"}) + "\n" for n, item in enumerate(HOSTILE)),
        encoding="utf-8",
    )
    url = f"sqlite:///{workdir / 'hostile.sqlite'}"
    engine = store.open_engine(url)
    result = ingest_paths(engine, [feed])
    data = store.load_frames(engine)
    engine.dispose()
    assert (result.new, result.rejected) == (len(HOSTILE), []), result.summary()
    server = AppServer(workdir, url)
    server.texts = dict(zip(data.items["id"], data.items["text"]))  # type: ignore[attr-defined]
    server.of_actor = data.tags.groupby("actor", observed=True)["item_id"].apply(set).to_dict()  # type: ignore[attr-defined]
    pairs: dict[frozenset, set] = {}
    for row in data.relations.itertuples(index=False):
        pairs.setdefault(frozenset((row.source, row.target)), set()).add(row.item_id)
    server.of_pair = pairs  # type: ignore[attr-defined]
    server.links = {u for u in data.items["url"] if re.match(r"https?://", u)}  # type: ignore[attr-defined]
    yield server
    server.stop()


def object_keys(data_key: str) -> list[str]:
    """Actor keys of a map object's data-key: 'PL' -> ['PL'], 'PL|org:NATO' -> ['PL', 'org:NATO']."""
    return [k for k in data_key.split("|") if k]


def tooltip_codes(keys: list[str]) -> list[str]:
    """What a tooltip or heading shows of each actor: '(PL' or '(NATO'."""
    return [f"({k.removeprefix('org:')}" for k in keys]


# ------------------------------------------------------------------------------------------- part 1: uploads

UPLOADS = [
    ("binary.csv", bytes(range(256)) * 40, "binary data"),
    ("latin1.txt", "date 2025-11-01\nSão Paulo e Lisboa assinaram um acordo.\n".encode("latin-1"), "not UTF-8"),
    ("utf16-no-bom.txt", "date 2025-11-01\nChile and Peru met.\n".encode("utf-16-le"), "UTF-16"),
    (
        "bomb.xml",
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            b'<rss version="2.0"><channel><title>&b;</title></channel></rss>'
        ),
        "ENTITY",
    ),
    ("broken.json", b'[{"date": "2025-11-01", "text": "Chile and Peru met."},\n{"date": ', "not valid JSON"),
    ("dates.jsonl", b'{"date": "2025-13-45", "text": "<script>window.__pwned=1</script> Chile"}\n', "impossible date"),
    ("<img src=x onerror=window.__pwned=1>[x](javascript:alert(1)) $x$.csv", b"date,text\n2025-11-01,\n", "no text"),
]


def test_bad_uploads_show_their_rejection_never_a_traceback(hostile_server, browser, tmp_path, capsys):
    """Each bad file is previewed as '0 items to add, 1 rejected' with its name and reason; none adds an item or
    shows an exception, a hostile file name shows as text, and a file over the cap is refused."""
    session = Session(browser)
    page = session.page
    problems, shown = [], 0
    cap = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    try:
        page.goto(hostile_server.url + "/data")
        expect(page.get_by_role("heading", name="Data").first).to_be_visible(timeout=WAIT)
        for name, payload, reason in UPLOADS:
            path = tmp_path / name
            path.write_bytes(payload)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
            expect(page.get_by_text(f"0 items to add, 1 rejected from {name}", exact=True)).to_be_visible(timeout=WAIT)
            warning = page.get_by_test_id("stAlertContentWarning")
            expect(warning).to_contain_text(name, timeout=WAIT)
            expect(warning).to_contain_text(reason)
            if page.get_by_test_id("stException").count() or "Traceback" in page.content():
                problems.append(f"{name}: an exception is shown")
            shown += 1
        # over the cap (server.maxUploadSize, MB): refused by Streamlit before the app reads it
        huge = tmp_path / "huge.csv"
        with huge.open("wb") as handle:
            handle.truncate((cap + 1) * 1024 * 1024)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(huge))
        expect(page.get_by_text(re.compile(rf"File must be {cap}(\.0)? ?MB or smaller"))).to_be_visible(timeout=WAIT)
        if session.pwned():
            problems.append(f"payloads ran: {session.pwned()}")
    finally:
        session.close()
    report(
        capsys,
        f"browser uploads: {shown} bad files uploaded, each shown with file and reason, 0 tracebacks; "
        f"a file over the {cap} MB cap refused",
    )
    assert not problems, "\n".join(problems)
    assert "Traceback" not in hostile_server.output()


# ------------------------------------------------------------------------------------- part 2: hostile text


def test_hostile_text_never_runs_and_shows_literally(hostile_server, browser, capsys):
    """Hover every marker and line, open every popup, read the panel under the map after each click, visit every
    page: nothing runs, nothing opens a dialog, the text shows literally, only safe http(s) links."""
    server = hostile_server
    session = Session(browser)
    page = session.page
    problems: list[str] = []
    popups = tooltips = links = 0
    visited: list[str] = []
    popup_text: list[str] = []
    panel_text: list[str] = []
    try:
        page.goto(server.url)
        frame = page.frame_locator(MAP)
        actors = [k for k in server.of_actor if not k.startswith("org:")]
        organisations = [k for k in server.of_actor if k.startswith("org:")]
        expect(frame.locator("path.mapdata-actor")).to_have_count(len(actors), timeout=WAIT)
        expect(frame.locator(".mapdata-org")).to_have_count(len(organisations), timeout=WAIT)
        expect(frame.locator("path.mapdata-relation")).to_have_count(len(server.of_pair), timeout=WAIT)
        session.settled()  # the first run's reruns are over: the map's layers stay as they are
        objects = [
            *frame.locator("path.mapdata-actor").all(),
            *frame.locator(".mapdata-org").all(),
            *frame.locator("path.mapdata-relation").all(),
        ]
        heading = page.get_by_role("heading", name=re.compile(r"^Items (involving|between) "))
        for target in objects:
            data_key = target.get_attribute("data-key") or ""
            keys = object_keys(data_key)
            codes = tooltip_codes(keys)
            where = " ".join(keys)
            assert keys and all(k in server.of_actor for k in keys), (data_key, keys)
            expected = (
                set.intersection(*(server.of_actor[k] for k in keys))
                if len(keys) == 1
                else server.of_pair[frozenset(keys)]
            )
            # the tooltip: the object's name and code, as text
            target.dispatch_event("mouseover")
            tooltip = frame.locator(".leaflet-tooltip")
            expect(tooltip, f"tooltips {tooltip.all_inner_texts()}").to_have_count(1, timeout=WAIT)
            for code in codes:
                expect(tooltip).to_contain_text(code)
            links += check_markup(tooltip, problems, f"tooltip {where}", server.links)
            tooltips += 1
            target.dispatch_event("mouseout")
            expect(tooltip).to_have_count(0, timeout=WAIT)
            # the popup: label and the newest items, every payload as text
            target.dispatch_event("click")
            popup = frame.locator(".leaflet-popup-content")
            expect(popup).to_have_count(1, timeout=WAIT)
            for code in codes:
                expect(popup).to_contain_text(code, timeout=WAIT)
            text = popup.inner_text()
            if not any(server.texts[i] in text for i in expected):
                problems.append(f"popup {where}: none of its items shown verbatim: {text[:300]!r}")
            popup_text.append(text)
            links += check_markup(popup, problems, f"popup {where}", server.links)
            popups += 1
            target.dispatch_event("mouseout")  # a click opens the tooltip too (Leaflet, for touch screens)
            expect(tooltip).to_have_count(0, timeout=WAIT)
            # the click reaches the app: the panel under the map lists all the object's items, verbatim
            kind = "involving" if len(keys) == 1 else "between"
            expect(heading).to_have_text(
                re.compile(rf"Items {kind} " + "".join(rf"(?=.*{re.escape(c)}[,)])" for c in codes)), timeout=WAIT
            )
            panel = page.locator("div.clicked-items div.item")
            for i in expected:  # the heading may come before the items of the same run: wait for each
                expect(panel.filter(has_text=server.texts[i][:60])).to_have_count(1, timeout=WAIT)
            expect(panel).to_have_count(len(expected), timeout=WAIT)
            text = "\n".join(panel.all_inner_texts())
            missing = [i for i in expected if server.texts[i] not in text]
            if missing:
                problems.append(f"panel {where}: not shown verbatim: {[server.texts[i] for i in missing]}")
            panel_text.append(text)
            for number, item in enumerate(panel.all()):
                links += check_markup(item, problems, f"panel {where} item {number}", server.links)
        shown = "\n".join(popup_text)
        problems += [f"popups: not shown literally: {literal!r}" for literal in POPUP_LITERALS if literal not in shown]
        if "49" in shown + "\n".join(panel_text):
            problems.append("{{ 7*7 }} was evaluated somewhere: 49 is shown")
        if session.pwned():
            problems.append(f"map: payloads ran: {session.pwned()}")
        if session.untrapped():
            problems.append(f"map: the trap is missing from frames {session.untrapped()}")
        # every page of the app, with the same trap
        nav = page.get_by_test_id("stSidebarNav").locator("a")
        names = [name.strip() for name in nav.all_inner_texts()]
        assert names == ["Map", *PAGES], names
        for name in PAGES:
            search = "?q=" + quote("<script>window.__pwned=1;alert(1)</script>") if name == "Items" else ""
            page.goto(f"{server.url}/{name.lower()}{search}")
            expect(page.get_by_role("heading", name=name).first).to_be_visible(timeout=WAIT)
            session.settled()
            if name == "Relations":
                expanders = page.get_by_test_id("stExpander")
                expect(expanders).to_have_count(len(server.of_pair), timeout=WAIT)
                for expander in expanders.all():
                    expander.locator("summary").click()
                items = page.locator("div.item")
                expect(items).to_have_count(sum(map(len, server.of_pair.values())), timeout=WAIT)
                text = "\n".join(items.all_inner_texts())
                problems += [f"Relations: not shown verbatim: {t!r}" for t in server.texts.values() if t not in text]
                for number, item in enumerate(items.all()):
                    links += check_markup(item, problems, f"Relations item {number}", server.links)
            if name == "Items":  # a hostile search from the URL: kept as text, one item found
                sidebar = page.get_by_test_id("stSidebar")
                expect(sidebar.get_by_text(f"Showing 1 of {len(server.texts)} items")).to_be_visible(timeout=WAIT)
                expect(sidebar.get_by_label("Search the text")).to_have_value(
                    "<script>window.__pwned=1;alert(1)</script>"
                )
                # the table draws on a canvas; its accessible copy holds the text as text
                expect(page.locator('table[role="grid"]')).to_contain_text(server.texts["hostile-00"], timeout=WAIT)
            if name == "Data":
                page.get_by_label("Find the item").fill("{{ 7*7 }} {% if")
                page.get_by_label("Find the item").press("Enter")
                item = page.locator("div.item", has_text="Chile {{ 7*7 }} {% if true %}x{% endif %}")
                expect(item).to_be_visible(timeout=WAIT)
                links += check_markup(item, problems, "Data item", server.links)
            session.settled()
            visited.append(name)
            if session.pwned():
                problems.append(f"{name}: payloads ran: {session.pwned()}")
            if session.untrapped():
                problems.append(f"{name}: the trap is missing from frames {session.untrapped()}")
        ran = session.pwned()
        if any("pwned" in e or "alert" in e for e in session.errors):
            problems.append(f"page errors: {session.errors}")
        # the trap works: a script that does run is seen
        page.evaluate("() => { window.__pwned = 'self-test'; }")
        assert "set self-test" in session.pwned().get(page.url[:80], ""), session.pwned()
    except AssertionError as err:  # say what ran and what was found so far, whatever step failed
        raise AssertionError(
            f"{err}\npayloads ran: {session.pwned()}\nproblems so far:\n" + "\n".join(problems)
        ) from err
    finally:
        session.close()
    log = server.output()
    report(
        capsys,
        f"browser: payloads {len(HOSTILE)}, popups opened {popups}, tooltips {tooltips}, pages {len(visited)}, "
        f"scripts executed {len([f for f in ran if f != 'dialogs'])}, dialogs {len(session.dialogs)}",
    )
    assert links > 0, "no link was rendered at all: the link check saw nothing"
    assert not problems, "\n".join(problems)
    assert "Traceback" not in log, log[-3000:]


# ------------------------------------------------------------------------------------------ part 3: 20 users

SESSIONS = 20
BUDGET = 480  # seconds for all 20 to open, filter and redraw: a maximum on 2 loaded cores, never waited out


def test_twenty_sessions_at_once_each_get_their_map(app_server, browser, capsys):
    """20 browser contexts load the dashboard on the sample data at the same time, each chooses a topic, and each
    gets its map and its own filtered caption and markers; the server logs no Traceback and no Error."""
    from mapdata import store
    from mapdata.filters import Filters
    from mapdata.ingest import ensure_sample

    engine = store.open_engine(app_server.db_url)
    ensure_sample(engine)  # what the app does on first start: whichever runs first ingests, the other adds nothing
    data = store.load_frames(engine)
    engine.dispose()
    total = len(data.items)
    expected = {}  # topic -> (items shown, country markers)
    for topic in sorted(set(data.topics["topic"])):
        view = Filters(topics=(topic,)).apply(data)
        if len(view.items) < total:
            expected[topic] = (
                len(view.items),
                view.tags.loc[~view.tags["actor"].str.startswith("org:"), "actor"].nunique(),
            )
    assert len(expected) >= 3, expected
    topics = [sorted(expected)[n % len(expected)] for n in range(SESSIONS)]  # neighbours ask for different views
    log_before = len(app_server.output())
    deadline = time.monotonic() + BUDGET

    def left() -> float:
        """Milliseconds until the deadline (at least one second)."""
        return max(1_000.0, (deadline - time.monotonic()) * 1000)

    sessions: list[Session] = []
    opened = served = filtered = 0
    step = "start"
    started = time.monotonic()
    try:
        for number in range(SESSIONS):
            step = f"session {number}: open a context"
            sessions.append(Session(browser, (900, 650), left()))  # a smaller window: less to paint
        for number, session in enumerate(sessions):  # every page starts loading before any is waited for
            step = f"session {number}: open the dashboard"
            session.page.goto(app_server.url, wait_until="commit", timeout=left())
            opened += 1
        for number, session in enumerate(sessions):
            step = f"session {number}: wait for its map"
            expect(session.page.frame_locator(MAP).locator("path.mapdata-actor").first).to_be_attached(timeout=left())
            served += 1
        for number, (session, topic) in enumerate(zip(sessions, topics)):  # change all, then wait: the reruns overlap
            step = f"session {number}: choose the topic {topic}"
            choose(session.page, "Topics", topic, timeout=left())  # and the browser shows it chosen
        for number, (session, topic) in enumerate(zip(sessions, topics)):
            shown, markers = expected[topic]
            step = f"session {number}: wait for its view of {topic} ({shown} items, {markers} markers)"
            caption = session.page.get_by_test_id("stSidebar").get_by_text(f"Showing {shown} of {total} items")
            expect(caption).to_be_visible(timeout=left())
            expect(session.page.frame_locator(MAP).locator("path.mapdata-actor")).to_have_count(markers, timeout=left())
            assert f"topics={topic}" in session.page.url, session.page.url
            assert not session.pwned() and not session.errors, (session.pwned(), session.errors)
            filtered += 1
        step = "done"
    except Exception as err:
        raise AssertionError(
            f"{step} failed after {time.monotonic() - started:.0f} s ({opened} opened, {served} maps, "
            f"{filtered} filtered); server log:\n{app_server.output()[log_before:][-3000:]}"
        ) from err
    finally:
        for session in sessions:
            session.close()
    log = app_server.output()[log_before:]
    errors = log.count("Traceback") + log.count("Error")
    report(capsys, f"sessions: {opened} opened, {served} maps, {filtered} filtered, server errors {errors}")
    print(f"{SESSIONS} sessions in {time.monotonic() - started:.0f} s, topics {sorted(set(topics))}")
    assert errors == 0, log[-5000:]
    assert opened == served == filtered == SESSIONS
