"""A build on two cores: a forked worker process renders some threads while the build's own
process renders the others (their results come back in the archive's order), then the
author pages, which the build's own process joins in once it has written the search files.

Rendering a thread (its pages, permalink files, zip and assets) needs only the thread and the
generator's Jinja environment, theme and settings; what the rest of the build takes from it
is small (`ThreadSiteData` and its authors' lines). The worker is forked, not spawned: it
then starts with the generator as it is (environment, translations, Pelican's context and
writer), which a spawned process would have to rebuild by importing Pelican and running its
plugins again (about a second). Forking is only safe while this process runs no other
thread (a lock held by one would stay held in the child), so with another thread alive, or
with too little to render to pay for a second process, everything is rendered here.

Whatever the worker writes goes through the same atomic, skip-unchanged writes. The build
cache and the author store are written by the build's own process only; the worker reads
the author store through a read-only connection of its own.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

log = logging.getLogger(__name__)

WORKER_SETTING = "THREAD_RENDER_WORKER_MIN_BYTES"
# Below this much thread.json to render (about 600 posts), a second process costs more than
# it saves: forking and sending the results back take some tens of milliseconds.
DEFAULT_WORKER_MIN_BYTES = 2**20
NEVER_BYTES = 2**62  # THREAD_RENDER_WORKER_MIN_BYTES that means: no second process ever
# A lone thread's pages written by a forked child send no results back, so this share of
# what pays for a worker pays for the fork: a 40-post thread (68 kB) rebuilt 25-95 ms sooner
# forked in four A/B runs of 15-30 rounds; for a 3-post one (5 kB) it was a toss-up.
FORK_SHARE = 16

Item = TypeVar("Item")
Result = TypeVar("Result")

# What the forked worker can be asked to run, by name: set before the fork, so the child has
# them as the parent had them (closures over the generator cannot be pickled, and need not be).
_TASKS: dict[str, Callable[[Any], object]] = {}


def _run_task(name: str, argument: object) -> object:
    return _TASKS[name](argument)


def _worker_signals() -> None:
    """The worker leaves signals to the build's process: Ctrl-C reaches the whole process
    group, and the build's own SIGTERM handler (the CLI's) would make the SIGTERM that ends
    the worker a traceback. The build stops the worker itself (`RenderWorker.__exit__`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def worker_pays(paths: Sequence[Path], min_bytes: int) -> bool:
    """Whether a worker process is worth starting for rendering `paths` (thread.json files)."""
    if len(paths) < 2 or threading.active_count() > 1:
        return False
    return sum(map(file_bytes, paths)) >= min_bytes


def fork_pays(path: Path, min_bytes: int) -> bool:
    """Whether the pages of the one thread to render (`path`, its thread.json) are worth a
    forked writer (generator._fork_writer), unless the settings allow no second process."""
    return min_bytes < NEVER_BYTES and file_bytes(path) >= min_bytes // FORK_SHARE


class RenderWorker:
    """One forked process for a build's rendering, or none (`start` False): then every task
    runs in this process. Close it (a `with` block) to stop the process."""

    def __init__(self, tasks: dict[str, Callable[[Any], object]], start: bool) -> None:
        global _TASKS
        self.tasks = tasks
        self.pool: Pool | None = None
        if start:
            _TASKS = tasks
            self.pool = multiprocessing.get_context("fork").Pool(1, initializer=_worker_signals)
        self.threads_in_worker = 0

    def __enter__(self) -> RenderWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        global _TASKS
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None
            _TASKS = {}

    def in_order(
        self, name: str, paths: Sequence[Path], render: Callable[[Path], Result]
    ) -> Iterator[tuple[Result, bool]]:
        """`render(path)` of each path, in order, and whether the worker rendered it (its
        task `name` is `render`): its results are pickled back, and Pelican's signals for
        the files it wrote were sent in that process, not this one."""
        if self.pool is None:
            yield from ((render(path), False) for path in paths)
            return
        # A large thread is not queued behind the one the worker renders (see _Scheduler).
        scheduler = _Scheduler(name, paths, render, self.pool,
                               lambda path: file_bytes(path) <= QUEUED_MAX_BYTES)
        yield from scheduler.results()
        self.threads_in_worker += scheduler.in_worker
        log.debug("%d of %d threads rendered by a worker process", scheduler.in_worker,
                  len(paths))  # fmt: skip

    def share(self, name: str, items: Sequence[object]) -> Callable[[], list[tuple[object, bool]]]:
        """Run task `name` on each of `items`, the worker starting on them now while this
        process does other work; what it returns runs here those the worker has not taken
        yet and gives each result, in order, with whether the worker ran it. Without a
        worker they all run when the results are asked for.

        The author pages start this way while this process writes the search files: the
        worker alone took longer than the search files, and this process then sat waiting."""
        task = self.tasks[name]
        if self.pool is None:
            return lambda: [(task(item), False) for item in items]
        scheduler = _Scheduler(name, items, task, self.pool, lambda item: True)
        return lambda: list(scheduler.results())


# The largest thread.json queued in the worker behind the thread it renders.
QUEUED_MAX_BYTES = 2**18


class _Scheduler(Generic[Item, Result]):
    """Hands out `items` in order to the worker (from now on) and to this process (as its
    `results` are read), whichever is free; the results come back in order.

    The worker is sent its next item as soon as it finishes one (from the pool's result
    thread, `_worker_done`), not when this process comes by between two renders of its own:
    a thread waiting in the worker's queue while this process had nothing left to render
    kept this process idle at the end of the threads (seconds at 100,000 posts). An item
    `queued` allows waits in the worker's queue behind the one it works on, so that it does
    not wait for the round trip; another is only sent when the worker is free.
    """

    AHEAD = 2  # at most this many items in the worker: the one it works on, and the next

    def __init__(self, name: str, items: Sequence[Item], run: Callable[[Item], Result],
                 pool: Pool, queued: Callable[[Item], bool]) -> None:
        self.name = name
        self.items = items
        self.run = run
        self.pool = pool
        self.queued = queued
        self.done: dict[int, tuple[Result, bool]] = {}  # by index: result, by the worker?
        self.lock = threading.Lock()  # `next`, `sent`, `busy`: the result thread sends too
        self.next = 0  # the first item nobody took yet
        self.sent: dict[int, AsyncResult[object]] = {}  # the worker's, by index
        self.busy = 0  # items sent to the worker and not finished yet
        self.in_worker = 0
        with self.lock:
            self._send()

    def _send(self) -> None:
        """Give the worker its next items (with `lock` held)."""
        while self.next < len(self.items) and (self.busy == 0 or (
                self.busy < self.AHEAD and self.queued(self.items[self.next]))):  # fmt: skip
            self.sent[self.next] = self.pool.apply_async(
                _run_task, (self.name, self.items[self.next]),
                callback=self._worker_done, error_callback=self._worker_done,
            )  # fmt: skip
            self.next += 1
            self.busy += 1

    def _worker_done(self, _result: object) -> None:
        with self.lock:
            self.busy -= 1
            self._send()

    def results(self) -> Iterator[tuple[Result, bool]]:
        for wanted in range(len(self.items)):
            while wanted not in self.done:
                with self.lock:
                    pending = self.sent.get(wanted)
                    mine = None
                    if (pending is None or not pending.ready()) and self.next < len(self.items):
                        # Rather than wait for the worker, run the next item here (its
                        # result waits in `done` until its turn).
                        mine = self.next
                        self.next += 1
                if mine is not None:
                    self.done[mine] = (self.run(self.items[mine]), False)
                elif pending is not None:
                    # What the worker's copy of `run` returned: a `Result`.
                    self.done[wanted] = (cast(Result, pending.get()), True)
                    with self.lock:
                        del self.sent[wanted]
                    self.in_worker += 1
            yield self.done.pop(wanted)


def file_bytes(path: Path) -> int:
    """The size of a thread.json, 0 if it cannot be read (reading it will say why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0
