"""The `mapdata` command: tag, evaluate, ingest, serve. It parses arguments and hands over to the library."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import __version__
from .errors import InputError, MapdataError

EXIT_OK, EXIT_REJECTED, EXIT_FATAL = 0, 1, 2


def _cmd_tag(args: argparse.Namespace) -> int:
    from .feeds import read_file
    from .tagging import default_tagger

    read = read_file(args.file)
    tagger = default_tagger()
    out = sys.stdout
    for item in read.items:
        out.write(json.dumps(tagger.tag(item).to_json(), ensure_ascii=False) + "\n")
    for rejection in read.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    return EXIT_REJECTED if read.rejected else EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    scores, misses = evaluate(args.gold)
    print(scores.table())
    if args.show_errors:
        for miss in misses:
            print(json.dumps(miss, ensure_ascii=False))
    return EXIT_OK


def _cmd_ingest(args: argparse.Namespace) -> int:
    from . import store
    from .ingest import ingest_paths

    engine = store.open_engine()
    result = ingest_paths(engine, args.files)
    for rejection in result.rejected:
        print(f"rejected: {rejection}", file=sys.stderr)
    print(result.summary())
    return EXIT_REJECTED if result.rejected else EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from .assets import install_static

    install_static()  # before Streamlit starts, so static/ is served from the first request
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "-m", "streamlit", "run", str(root / "dashboard.py"), "--server.port", str(args.port)]
    if args.headless:
        command += ["--server.headless", "true"]
    return subprocess.call(command, cwd=root, env=os.environ.copy())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="mapdata", description="Geopolitical news items to an interactive, offline map.")
    parser.add_argument("--version", action="version", version=f"mapdata {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    tag = sub.add_parser("tag", help="tag a feed file and print one JSON object per item")
    tag.add_argument("file", help="seed text format or JSON Lines with id and text")
    tag.set_defaults(run=_cmd_tag)
    ev = sub.add_parser("evaluate", help="score the tagger against a labelled JSON Lines file")
    ev.add_argument("gold", help="JSON Lines with text and gold countries (organisations, topics, tone, lead_actor optional)")
    ev.add_argument("--show-errors", action="store_true", help="also print every item whose countries or organisations differ")
    ev.set_defaults(run=_cmd_evaluate)
    ing = sub.add_parser("ingest", help="tag feed files and add their items to the database at MAPDATA_DB_URL")
    ing.add_argument("files", nargs="+", help="feed files (seed text, JSON Lines, CSV/TSV)")
    ing.set_defaults(run=_cmd_ingest)
    serve = sub.add_parser("serve", help="start the dashboard (streamlit run dashboard.py)")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--headless", action="store_true", help="do not open a browser")
    serve.set_defaults(run=_cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (0 ok, 1 rows rejected, 2 usage or fatal)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FATAL
    except MapdataError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FATAL
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
