"""`mapdata serve`: Streamlit runs the dashboard in this process while a thread warms the caches, so that the
first visitor of a fresh server finds the data loaded (a plain `streamlit run dashboard.py` loads it on that visit).
"""

from __future__ import annotations

import logging
import sys
import threading

from mapdata import settings
from mapdata.errors import MapdataError
from pages import state


def _warm_in_background() -> None:
    # Streamlit warns that this thread has no script run; here that is the point (a filter, since Streamlit
    # resets its loggers' levels when it reads its config)
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    try:
        print(f"mapdata: caches warm in {state.warm():.1f} s", file=sys.stderr, flush=True)
    except Exception as err:  # the first visit then loads the data itself and shows what is wrong
        print(f"mapdata: warming the caches failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)


def _watch_in_background() -> None:
    """`mapdata serve --watch`: the poller in this process, beside the server (see mapdata.watch)."""
    from mapdata import store, watch

    def log(line: str) -> None:
        print(f"mapdata watch: {line}", file=sys.stderr, flush=True)

    try:
        watch.start_in_background(store.open_engine(), log=log)
    except MapdataError as err:
        print(f"mapdata: not watching the sources: {err}", file=sys.stderr, flush=True)
        return
    print("mapdata: watching the sources", file=sys.stderr, flush=True)


def serve(streamlit_args: list[str]) -> int:
    """Run `streamlit run dashboard.py` (from the current folder, the installed dashboard's) with the given
    options, warming the caches meanwhile (and polling the sources when MAPDATA_WATCH is set, as `mapdata serve
    --watch` does); returns the exit code."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # dashboard.py draws the navigation (st.navigation). Streamlit would otherwise take the `pages/` folder beside
    # it for an old-style page list until a session first opens the root URL: a link to /data opened first after
    # a start showed that page alone, without the frame, the sidebar or the sign-in.
    PagesManager.uses_pages_directory = False
    threading.Thread(target=_warm_in_background, name="mapdata-warm", daemon=True).start()
    if settings.watch_in_server():
        _watch_in_background()
    try:
        cli.main(args=["run", "dashboard.py", *streamlit_args], prog_name="streamlit")
    except SystemExit as done:
        return int(done.code or 0)
    return 0
