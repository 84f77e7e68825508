"""The `mapdata` command: tag, evaluate, learn, ingest, serve. It parses arguments and hands over to the library."""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from . import __version__
from .errors import InputError, MapdataError
from .models import TONES, TOPICS

EXIT_OK, EXIT_REJECTED, EXIT_FATAL = 0, 1, 2


def _cmd_tag(args: argparse.Namespace) -> int:
    from .feeds import iter_batches
    from .tagging import default_tagger, languages, pool

    default_tagger()  # built once, before the workers fork: they share it
    languages.load_all(packs=False)  # the language model, which any run needs; the other tables as items need them
    # the tagger's tables are hundreds of thousands of objects that live as long as the process: frozen, the
    # garbage collector stops walking them every few thousand allocations (and forked workers stop copying them)
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    rejected = 0
    out = sys.stdout.buffer
    work = functools.partial(_tag_json_lines, lang=args.lang)
    # the workers parse what they tag (a JSON Lines file reaches them as lines); this process reads and writes
    for rejections, chunk in pool.map_batches(
        work, iter_batches(args.file, pool.BATCH), pool.workers_for(args.workers)
    ):
        for rejection in rejections:
            print(f"rejected: {rejection}", file=sys.stderr)
        rejected += len(rejections)
        out.write(chunk)
    out.flush()
    return EXIT_REJECTED if rejected else EXIT_OK


def _tag_json_lines(batch, lang: str | None = None) -> tuple[list, bytes]:
    """`mapdata tag`'s output for a batch that feeds.iter_batches gave: its rejections, and one JSON object per line
    for its items (run in a worker process)."""
    import orjson

    from .feeds import Rejection, finished, parsed
    from .tagging import default_tagger

    records = parsed(batch)
    # a batch that a reading error broke off gives its rejections only, as ingest does
    items = [r for r in records if not isinstance(r, Rejection)] if finished(batch) else []
    rejections = [r for r in records if isinstance(r, Rejection)]
    tagged = default_tagger().tag_many(items, lang) if items else []
    return rejections, b"".join(orjson.dumps(t.to_json()) + b"\n" for t in tagged)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, languages_of

    scores, misses = evaluate(args.gold)
    print(scores.table())
    languages = languages_of(args.gold)
    if len(languages) > 1:
        for lang in languages:  # a mixed file: each language's scores as well
            print(f"\n{lang}\n" + evaluate(args.gold, lang=lang)[0].table())
    if args.show_errors:
        for miss in misses:
            print(json.dumps(miss, ensure_ascii=False))
    return EXIT_OK


def _cmd_learn(args: argparse.Namespace) -> int:
    from . import learning, settings, store
    from .accounts import cli_account
    from .classify import cross_validate, learn_calibrated
    from .tagging import weights_file
    from .tagging.pool import workers_for  # the folds of the calibration and of --cross-validate: one per core

    if args.folds and not args.cross_validate:
        raise InputError("--folds goes with --cross-validate")  # before --with-corrections opens the database
    engine = store.open_engine() if args.with_corrections else None

    workers = workers_for(None)

    def calibrate_on(title: str) -> Callable[[str], bool] | None:
        # the other languages' probabilities are calibrated on their own briefs; English's on all it learns from
        return None if title != "other languages" else lambda name: not settings.is_english_set(Path(name))

    if args.gold:
        english = all(settings.is_english_set(Path(f)) for f in args.gold)
        groups = [("the given sets", args.gold, Path(args.output) if args.output else weights_file(english))]
    elif args.output and not args.cross_validate:
        # --output names one file: the English weights go there, and the other languages' file is left as it is
        groups = [("English", settings.training_sets(), Path(args.output))]
    else:
        # Two models (tagging.weights_file): English's learns from the English sets alone, so that English tags stay
        # as they are; the other languages' from every set, so that the lexicon scores' weights, which mean the same
        # in every language, learn from four times as many briefs as the other languages have
        groups = [
            ("English", settings.training_sets(), weights_file()),
            (
                "other languages",
                settings.training_sets() + settings.training_sets(english=False),
                weights_file(english=False),
            ),
        ]
    if args.cross_validate:

        def fmt(value: float | None) -> str:
            return "   n/a" if value is None else f"{value:6.3f}"

        for title, files, _ in groups:
            sets = learning.labelled_sets(engine if title == "English" else None, files)
            if not sets:
                continue
            if len(groups) > 1:
                print(f"{title}:")
            print(
                f"{'held-out set':<24} {'items':>5}  {'topics F1':>9} {'(rules)':>7}  {'tone acc':>8} {'(rules)':>7}"
                f"  {'tone ECE':>8}  {'least-sure 20%: tone errors':>27}"
            )
            for row in cross_validate(sets, calibrate_on=calibrate_on(title), workers=workers, folds=args.folds):
                print(
                    f"{row.name:<24} {row.items:>5}  {fmt(row.topic_f1):>9} {fmt(row.lexicon_topic_f1):>7}  "
                    f"{fmt(row.tone_accuracy):>8} {fmt(row.lexicon_tone_accuracy):>7}  {fmt(row.tone_ece):>8}"
                    f"  {fmt(row.unsure_share):>27}"
                )
        return EXIT_OK
    if engine is not None and not args.output:
        print(
            learning.learn_with_corrections(engine, groups[0][1], account=cli_account(), workers=workers).summary(),
            file=sys.stderr,
        )
        return EXIT_OK
    for title, files, out in groups:
        sets = learning.labelled_sets(engine, files)
        examples = [e for group in sets.values() for e in group]
        if not examples:
            if title == "other languages":
                continue  # (never: the English sets are in it)
            raise InputError("no labelled topics or tone in the given files", ", ".join(map(str, files)))
        # with corrections, calibrated as learning.learn_with_corrections does
        folds = learning.CALIBRATION_FOLDS if engine is not None else None
        model = learn_calibrated(sets, calibrate_on=calibrate_on(title), workers=workers, folds=folds)
        tmp = out.with_name(out.name + ".tmp")
        model.to_file(tmp)
        os.replace(tmp, out)
        print(f"{title}: learned from {len(examples)} briefs, {len(model.vocabulary)} words: {out}", file=sys.stderr)
    return EXIT_OK


def _progress(done: int, total: int) -> None:
    # a streamed file's size in items is not known before its end: the count alone
    print(f"\r  tagged and stored {done:,} items", end="", file=sys.stderr, flush=True)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from . import settings, store
    from .ingest import NO_DATE, indexes_deferred, ingest_paths
    from .learning import tagger_for
    from .tagging import languages, pool

    engine = store.open_engine()
    show = _progress if (args.progress or sys.stderr.isatty()) else None
    tagger = tagger_for(engine)  # built before the workers fork: they share it
    languages.load_all()
    gc.freeze()  # as in `tag`: the tagger's tables are never garbage
    # the indexes a first load defers are built while the snapshot reads the rows (store.deferred_indexes)
    with indexes_deferred(engine, args.dry_run) as indexes:
        result = ingest_paths(
            engine,
            args.files,
            tagger,
            dry_run=args.dry_run,
            progress=show,
            undated=args.date,
            workers=pool.workers_for(args.workers),
        )
        if show:
            print(file=sys.stderr)
        for rejection in result.rejected:
            print(f"rejected: {rejection}", file=sys.stderr)
        if any(r.reason == NO_DATE for r in result.rejected):
            print("hint: give the items that carry no date one with --date YYYY-MM-DD", file=sys.stderr)
        print(("dry run, nothing stored: would add " if args.dry_run else "") + result.summary(), flush=True)
        if result.new and not args.dry_run and not args.no_snapshot:
            from . import snapshot

            start = time.perf_counter()
            if indexes:
                indexes.build_meanwhile()
            made = snapshot.prepare(engine, settings.database_url())
            print(
                f"map snapshot ready for the dashboard ({time.perf_counter() - start:.1f} s)"
                if made
                else f"map snapshot not written: {snapshot.folder()} is not writable (the dashboard reads the database)",
                file=sys.stderr,
            )
    return EXIT_REJECTED if result.rejected else EXIT_OK


def _filters(args: argparse.Namespace):
    from .filters import Filters

    return Filters(
        start=args.date_from,
        end=args.date_to,
        topics=tuple(args.topic or ()),
        countries=tuple(c.upper() for c in args.country or ()),
        organisations=tuple(args.org or ()),
        tones=tuple(args.tone or ()),
        search=args.search or "",
        every_report=True,  # an export lists every stored report; its `story` column groups them
    )


def _cmd_export(args: argparse.Namespace) -> int:
    from . import store
    from .export import export

    filters = _filters(args)
    engine = store.open_engine()
    frames = filters.apply(store.load_frames(engine, filters.start, filters.end))
    out = export(frames, args.format)
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
        print(f"{len(frames.items)} items written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return EXIT_OK


def _cmd_retag(args: argparse.Namespace) -> int:
    from . import store
    from .accounts import cli_account
    from .corrections import retag
    from .learning import tagger_for

    engine = store.open_engine()
    report = retag(engine, tagger_for(engine), account=cli_account())
    print(report.summary())
    return EXIT_OK


def _cmd_stats(args: argparse.Namespace) -> int:
    from . import store
    from .accounts import changes_per_account
    from .markup import actor_name

    engine = store.open_engine()
    stats = store.stats(engine, top=args.top)
    changes = changes_per_account(engine)
    if args.json:
        record = {
            "items": stats.items,
            "stories": stats.stories,
            "first": stats.first.isoformat() if stats.first else None,
            "last": stats.last.isoformat() if stats.last else None,
            "actors": [{"actor": a, "items": n} for a, n in stats.actors],
            "pairs": [{"source": a, "target": b, "items": n} for a, b, n in stats.pairs],
            "changes": dict(changes),
        }
        print(json.dumps(record, ensure_ascii=False))
        return EXIT_OK
    print(f"items      {stats.items:,}")
    print(f"stories    {stats.stories:,}")
    print(f"dates      {stats.first or '-'} to {stats.last or '-'}")
    print("top actors " + "; ".join(f"{actor_name(a)} {n:,}" for a, n in stats.actors))
    print("top pairs  " + "; ".join(f"{actor_name(a)} -> {actor_name(b)} {n:,}" for a, b, n in stats.pairs))
    print("changes    " + ("; ".join(f"{account} {n:,}" for account, n in changes) or "-"))
    return EXIT_OK


def _cmd_users(args: argparse.Namespace) -> int:
    import getpass

    from . import accounts, store

    engine = store.open_engine()
    if args.action == "list":
        for name in accounts.users(engine):
            print(name)
        return EXIT_OK
    if not args.name:
        raise accounts.AccountError(f"mapdata users {args.action} needs an account name")
    if args.action == "remove":
        accounts.remove_user(engine, args.name)
        print(f"removed {args.name}", file=sys.stderr)
        return EXIT_OK
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise accounts.AccountError("the two passwords differ")
    accounts.add_user(engine, args.name, password)
    print(f"added {args.name}: an editor of the shared dashboard", file=sys.stderr)
    return EXIT_OK


def _cmd_sources(args: argparse.Namespace) -> int:
    from . import sources, store

    engine = store.open_engine()
    if args.action == "add":
        if not args.target:
            raise sources.SourceError("mapdata sources add needs the feed's URL")
        added = sources.add(engine, args.target, args.name or "", sources.parse_every(args.every))
        print(f"added {added.name}: {added.url}, every {sources.format_every(added.every)}", file=sys.stderr)
        return EXIT_OK
    if args.action == "list":
        rows = sources.all_sources(engine)
        if args.json:
            print(json.dumps([s.to_json() for s in rows], ensure_ascii=False, indent=1))
            return EXIT_OK
        for s in rows:
            state = "paused" if s.paused else f"due {_when(s.next_due)}"
            outcome = f"error: {s.last_error}" if s.last_error else f"ok {_when(s.last_success)}"
            print(
                f"{s.name}\t{s.url}\tevery {sources.format_every(s.every)}\t{state}\t{s.items_added} added\t{outcome}"
            )
        return EXIT_OK
    if not args.target:
        raise sources.SourceError(f"mapdata sources {args.action} needs a source's name")
    if args.action == "remove":
        sources.remove(engine, args.target)
    else:
        sources.set_paused(engine, args.target, args.action == "pause")
    done = {"remove": "removed", "pause": "paused", "resume": "resumed"}[args.action]
    print(f"{done} {args.target}", file=sys.stderr)
    return EXIT_OK


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"


def _cmd_watch(args: argparse.Namespace) -> int:
    import signal
    import threading

    from . import store
    from .watch import Watcher

    engine = store.open_engine()
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if not args.quiet else None
    with Watcher(engine, log=log) as watcher:
        if args.once:
            polls = watcher.poll_all()
            return EXIT_OK if all(p.ok for p in polls) else EXIT_REJECTED
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        print("watching the sources (Ctrl-C stops)", file=sys.stderr, flush=True)
        watcher.run(stop)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from . import settings

    app = settings.app_dir()
    options = []  # only what is given: Streamlit's own config (.streamlit/config.toml, STREAMLIT_SERVER_*) otherwise
    if args.port is not None:
        options += ["--server.port", str(args.port)]
    if args.address is not None:
        options += ["--server.address", args.address]
    if args.headless:
        options += ["--server.headless", "true"]
    if args.watch:
        os.environ["MAPDATA_WATCH"] = "1"  # read by the app's launcher, which starts the poller beside the server
    # The dashboard runs from its installed folder, where Streamlit finds its config and static/: the settings
    # that name files are made absolute first, so they still name the files this command was given.
    settings.pin_paths()
    # The app's own launcher runs Streamlit and warms its caches in one process, which replaces this one: signals
    # (Ctrl-C, a service manager's stop) reach the server itself.
    launcher = "import sys; sys.path.insert(0, ''); from pages.launch import serve; sys.exit(serve(sys.argv[1:]))"
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(app)
    os.execv(sys.executable, [sys.executable, "-c", launcher, *options])
    return EXIT_FATAL  # not reached: execv returns only by raising


def _day(value: str) -> date:
    """A YYYY-MM-DD argument."""
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from err


def _folds(value: str) -> int:
    """A number of cross-validation folds: 2 or more."""
    try:
        folds = int(value)
    except ValueError:
        folds = 0
    if folds < 2:
        raise argparse.ArgumentTypeError(f"the folds must be a whole number of 2 or more, not {value!r}")
    return folds


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="mapdata", description="Geopolitical news items to an interactive, offline map."
    )
    parser.add_argument("--version", action="version", version=f"mapdata {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    tag = sub.add_parser("tag", help="tag a feed file and print one JSON object per item")
    tag.add_argument("file", help="a feed: seed text, JSON Lines with id and text, CSV/TSV, JSON array, RSS or Atom")
    tag.add_argument("--workers", type=int, help="processes that tag (default: one per core)")
    tag.add_argument(
        "--lang",
        metavar="CODE",
        help="every item is in this language (ISO 639-1: en, ru, uk, pl, de, fr, es): no detection; by default "
        "each item's language is detected, a feed's declared language deciding for texts too short to tell",
    )
    tag.set_defaults(run=_cmd_tag)
    ev = sub.add_parser("evaluate", help="score the tagger against a labelled JSON Lines file")
    ev.add_argument(
        "gold", help="JSON Lines with text and gold countries (organisations, topics, tone, lead_actor optional)"
    )
    ev.add_argument(
        "--show-errors", action="store_true", help="also print every item whose countries or organisations differ"
    )
    ev.set_defaults(run=_cmd_evaluate)
    lrn = sub.add_parser(
        "learn", help="learn the topic and tone weights (learned_weights.csv in the data folder) from labelled files"
    )
    lrn.add_argument(
        "gold",
        nargs="*",
        help="JSON Lines with text and gold topics and/or tone (default: the labelled sets of data/briefs)",
    )
    lrn.add_argument(
        "--with-corrections",
        action="store_true",
        help="also learn from the items corrected or confirmed in the database, and keep the weights there "
        "(every tagger of that database then uses them; `mapdata retag` applies them to the stored items)",
    )
    lrn.add_argument(
        "--output",
        "-o",
        help="weights file to write (default: the one the tagger reads); with no files given, the English weights only",
    )
    lrn.add_argument(
        "--cross-validate",
        action="store_true",
        help="write nothing; score each file with weights learned from the other files (or the other folds), beside "
        "the rules alone",
    )
    lrn.add_argument(
        "--folds",
        type=_folds,
        metavar="N",
        help="with --cross-validate: hold the files out in N groups (file i in group i mod N), N fits instead of "
        "one per file; the default leaves one file out at a time",
    )
    lrn.set_defaults(run=_cmd_learn)
    ing = sub.add_parser("ingest", help="tag feed files and add their items to the database at MAPDATA_DB_URL")
    ing.add_argument(
        "files",
        nargs="+",
        help="feed files or http(s) feed URLs: seed text, CSV/TSV, JSON Lines, JSON array, RSS, Atom",
    )
    ing.add_argument("--dry-run", action="store_true", help="read and tag, report what would be added, store nothing")
    ing.add_argument(
        "--date",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the date of the items that carry none (else they are rejected with their file and line)",
    )
    ing.add_argument("--progress", action="store_true", help="show progress on long inputs even when not on a terminal")
    ing.add_argument("--workers", type=int, help="processes that tag (default: one per core)")
    ing.add_argument(
        "--no-snapshot",
        action="store_true",
        help="do not prepare the dashboard's on-disk snapshot of the data afterwards",
    )
    ing.set_defaults(run=_cmd_ingest)
    exp = sub.add_parser("export", help="write the stored items, filtered, as CSV, JSON Lines or GeoJSON")
    exp.add_argument("--format", choices=("csv", "jsonl", "geojson"), default="csv")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    exp.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD", help="first day")
    exp.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD", help="last day")
    exp.add_argument("--topic", action="append", choices=TOPICS, help="keep items with this topic (repeatable)")
    exp.add_argument("--country", action="append", metavar="XX", help="keep items involving this country (repeatable)")
    exp.add_argument(
        "--org", action="append", metavar="CODE", help="keep items involving this organisation (repeatable)"
    )
    exp.add_argument("--tone", action="append", choices=TONES, help="keep items of this tone (repeatable)")
    exp.add_argument("--search", metavar="TEXT", help="keep items whose text contains TEXT")
    exp.set_defaults(run=_cmd_export)
    ret = sub.add_parser("retag", help="re-tag every stored item after data/ changed; manual corrections are kept")
    ret.set_defaults(run=_cmd_retag)
    st = sub.add_parser("stats", help="items, date span, top actors and top pairs of the store, changes per account")
    st.add_argument("--top", type=int, default=10)
    st.add_argument("--json", action="store_true", help="print one JSON object: items, stories, dates, actors, ...")
    st.set_defaults(run=_cmd_stats)
    usr = sub.add_parser("users", help="the editors who may change data on a shared dashboard: add, remove, list")
    usr.add_argument("action", choices=("add", "remove", "list"))
    usr.add_argument("name", nargs="?", help="the account's name")
    usr.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    usr.set_defaults(run=_cmd_users)
    src = sub.add_parser("sources", help="the feeds `mapdata watch` polls: add, list, remove, pause, resume")
    src.add_argument("action", choices=("add", "list", "remove", "pause", "resume"))
    src.add_argument("target", nargs="?", help="the feed's URL (add) or the source's name (remove, pause, resume)")
    src.add_argument("--name", help="a name for the new source (default: from its URL)")
    src.add_argument("--every", default="15m", help="how often to poll it: 15m, 1h, 90s, 2d (default 15m)")
    src.add_argument("--json", action="store_true", help="list as JSON")
    src.set_defaults(run=_cmd_sources)
    wat = sub.add_parser("watch", help="poll the sources as they fall due, until stopped")
    wat.add_argument(
        "--once",
        action="store_true",
        help="poll every source that is not paused once, due or not, then exit: 0 all worked, 1 some failed",
    )
    wat.add_argument("--quiet", action="store_true", help="print nothing per poll")
    wat.set_defaults(run=_cmd_watch)
    serve = sub.add_parser(
        "serve", help="start the dashboard (streamlit run dashboard.py, with the data loaded at start)"
    )
    serve.add_argument("--port", type=int, help="port to listen on (default 8501)")
    serve.add_argument(
        "--address",
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 shares it on the network)",
    )
    serve.add_argument("--headless", action="store_true", help="do not open a browser")
    serve.add_argument("--watch", action="store_true", help="also poll the sources, in the dashboard's process")
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
