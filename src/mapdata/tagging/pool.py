"""Tagging a stream of items on every core: batches go to forked worker processes that share the tagger the
parent built, and come back in order.

Only the command line uses workers (`mapdata tag`, `mapdata ingest`): forking a process that runs threads (the
dashboard's server) is unsafe, so the library's default is one process. Fork also means the workers start with the
tagger already built (building it takes half a second) and pay nothing to receive it.

The workers run under an executor, not a `multiprocessing.Pool`: a worker that dies (killed, out of memory) loses
its batch, which a Pool never reports, so `mapdata tag`, `ingest` and `learn` waited for it for ever; the executor
fails every pending batch at once, and map_batches says what happened (WorkerError).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from ..errors import WorkerError
from ..feeds.base import runs
from ..models import Item

BATCH = 1000  # items per task: large enough that sending a batch costs little next to tagging it
PARENT_CHECK = 0.5  # seconds between a worker's looks at whether its parent is still there
T = TypeVar("T")
B = TypeVar("B")  # a batch: a list of items, or what a worker turns into one (feeds.iter_batches)


def cores() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_for(requested: int | None) -> int:
    """How many worker processes to use: `requested`, else one per core; one where fork is not available."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, requested if requested is not None else cores())


def forked_executor(workers: int) -> ProcessPoolExecutor:
    """An executor of `workers` forked processes that end when this process ends, however it ends. Killed by SIGKILL
    or the out-of-memory killer, a parent left its workers behind for ever, each holding its copy of the tagger
    (270 MB at ingest) and waiting for work: a forked child holds both ends of the executor's pipes, so it never
    reads their end."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )


def _end_with_parent(parent: int) -> None:
    """In a worker: a thread that ends the process once its parent is gone (it is then another process's child)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="mapdata-parent-watch", daemon=True).start()


def batches(items: Iterable[Item], size: int = BATCH) -> Iterator[list[Item]]:
    """Consecutive lists of `size` items (the last may be shorter; before a reading error, an Unfinished one)."""
    return runs(items, size)


def map_batches(work: Callable[[B], T], items: Iterable[B], workers: int = 1) -> Iterator[T]:
    """`work(batch)` for every batch, in order, on `workers` forked processes (in this one when it is 1 or there is
    a single batch). `work` must be a module-level function; it runs in a copy of this process, so what this process
    built before the call (the default tagger) is there. At most two batches per worker are in flight: memory does
    not grow with the input. When reading the input fails part way, every batch read before is finished and given
    first, then the error is raised. When a worker dies, the batches before its are given, then WorkerError is
    raised."""
    it = iter(items)
    first = next(it, None)
    if first is None:
        return
    if workers <= 1:
        yield work(first)
        yield from map(work, it)
        return
    try:
        second = next(it, None)
    except Exception:
        yield work(first)
        raise
    if second is None:
        yield work(first)
        return
    pool = forked_executor(workers)
    finished = False
    try:
        pending: deque[Future] = deque(pool.submit(work, batch) for batch in (first, second))
        failure: Exception | None = None
        reading = True
        while pending:
            if reading and len(pending) < 2 * workers:
                try:
                    batch = next(it, None)
                    if batch is not None:
                        pending.append(pool.submit(work, batch))
                        continue
                except BrokenProcessPool as err:  # a worker died: what finished before it is still given
                    failure, reading = _died(err), False
                    continue
                except Exception as err:  # reading failed: finish what was read, then raise
                    failure, reading = err, False
                    continue
                reading = False  # nothing more to read
            try:
                done = pending.popleft().result()
            except BrokenProcessPool as err:
                raise _died(err) from err
            yield done
        finished = True
        if failure is not None:
            raise failure
    finally:
        if not finished:
            # stopped early (a worker's error, Ctrl-C, or the reader of the results went away): a batch a worker
            # has begun is stopped too, as a Pool stopped it, rather than waited for (a fold of `learn` takes minutes)
            _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _died(err: BrokenProcessPool) -> WorkerError:
    failure = WorkerError(
        "a worker process ended before its work was done (killed, out of memory, or unable to send its result back?)"
    )
    failure.__cause__ = err
    return failure


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the executor's worker processes (Python 3.14 has a method for it; before, its table of them)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
