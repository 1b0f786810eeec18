"""Threads rendered on two cores: a forked worker process renders some while the build's own
process renders the others, and the results come back in the archive's order.

Rendering a thread (its pages, permalink files, zip and assets) needs only the thread and the
generator's Jinja environment, theme and settings; what the rest of the build takes from it
is small (`ThreadSiteData` and its authors' lines). The worker is forked, not spawned: it
then starts with the generator as it is (environment, translations, Pelican's context and
writer), which a spawned process would have to rebuild by importing Pelican and running its
plugins again (about a second). Forking is only safe while this process runs no other
thread (a lock held by one would stay held in the child), so with another thread alive, or
with too little to render to pay for a second process, every thread is rendered here.

Whatever the worker writes goes through the same atomic, skip-unchanged writes; what the
site-wide pages and the build cache need (SQLite included) is handled by this process only.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Generic, TypeVar, cast

log = logging.getLogger(__name__)

WORKER_SETTING = "THREAD_RENDER_WORKER_MIN_BYTES"
# Below this much thread.json to render (about 600 posts), a second process costs more than
# it saves: forking and sending the results back take some tens of milliseconds.
DEFAULT_WORKER_MIN_BYTES = 2**20

Result = TypeVar("Result")

# The forked worker's render function: set before the fork, so the child has it as the
# parent had it (a closure over the generator cannot be pickled, and need not be).
_render_in_worker: Callable[[Path], object] | None = None


def _run_task(path: Path) -> object:
    if _render_in_worker is None:  # only a worker forked by `render_in_order` runs tasks
        raise RuntimeError("no render function in this worker")
    return _render_in_worker(path)


def worker_pays(paths: Sequence[Path], min_bytes: int) -> bool:
    """Whether a worker process is worth starting for rendering `paths` (thread.json files)."""
    if len(paths) < 2 or threading.active_count() > 1:
        return False
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue  # reading it will say what is wrong
    return total >= min_bytes


class _Scheduler(Generic[Result]):
    """Hands out `paths` in order, one at a time to the worker, the rest to this process."""

    def __init__(
        self, paths: Sequence[Path], render: Callable[[Path], Result], pool: Pool | None
    ) -> None:
        self.paths = paths
        self.render = render
        self.pool = pool
        self.done: dict[int, tuple[Result, bool]] = {}  # by index: result, by the worker?
        self.next = 0  # the first path nobody took yet
        self.sent: tuple[int, AsyncResult[object]] | None = None  # the worker's task
        self.in_worker = 0

    def _send(self) -> None:
        if self.pool is not None and self.sent is None and self.next < len(self.paths):
            self.sent = (self.next, self.pool.apply_async(_run_task, (self.paths[self.next],)))
            self.next += 1

    def _collect(self, wait: bool) -> None:
        if self.sent is not None and (wait or self.sent[1].ready()):
            index, pending = self.sent
            self.sent = None
            # What the worker's copy of `render` returned: a `Result`.
            self.done[index] = (cast(Result, pending.get()), True)
            self.in_worker += 1

    def results(self) -> Iterator[tuple[Result, bool]]:
        for wanted in range(len(self.paths)):
            while wanted not in self.done:
                self._collect(wait=False)
                self._send()
                if self.next < len(self.paths):
                    # Rather than wait for the worker, render the next thread here (its
                    # result waits in `done` until its turn).
                    index = self.next
                    self.next += 1
                    self.done[index] = (self.render(self.paths[index]), False)
                else:
                    self._collect(wait=True)
            yield self.done.pop(wanted)


def render_in_order(
    paths: Sequence[Path],
    render: Callable[[Path], Result],
    use_worker: bool,
) -> Generator[tuple[Result, bool], None, None]:
    """`render(path)` of each path, in order, and whether the worker rendered it (close the
    generator when done, e.g. with contextlib.closing, to stop the worker): with
    `use_worker`, a forked process renders some of them (its results are pickled back, and
    Pelican's signals for the files it wrote were sent in that process, not this one)."""
    global _render_in_worker
    if not use_worker:
        yield from ((render(path), False) for path in paths)
        return
    _render_in_worker = render
    pool = multiprocessing.get_context("fork").Pool(1)
    scheduler = _Scheduler(paths, render, pool)
    try:
        yield from scheduler.results()
    finally:
        # Reached when the caller closes this generator (contextlib.closing), done or not.
        pool.terminate()
        pool.join()
        _render_in_worker = None
        log.debug("%d of %d threads rendered by a worker process", scheduler.in_worker,
                  len(paths))  # fmt: skip
