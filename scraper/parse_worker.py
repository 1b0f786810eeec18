"""Reading thread pages in a second process, so the scraper fetches the next page meanwhile.

Reading a page (its tree, then every post) is CPU work under the GIL: selectolax does not
release it (measured: two threads building trees take longer than one doing both), so only
another process overlaps it with fetching. The engine stays the pure reader it is: the
worker calls `Engine.read` on the response it is sent and sends the `Reading` back, or the
error, with the log records the reading made (re-emitted here, so warnings reach the
console and `--log-json` as before).

The worker ignores SIGINT and SIGTERM and runs in its own process group: the scraper
alone decides how a stop goes (scraper/cli/). It ends when the scraper closes its pipe,
which the kernel also does when the scraper dies, however it dies; at once, with nothing
left to write (`os._exit`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from .engines.base import Cursor, Engine, Reading, Response

log = logging.getLogger(__name__)

# The byte a started worker sends first: its modules are imported, it reads from now on.
_READY = b"R"
# A worker is started for a run with at least this many pages still to read. Starting one
# costs 0.23-0.32 s of CPU (an interpreter and the engines; measured), the reading of some
# 25 pages, all read here meanwhile: a shorter thread would be done before it is ready.
PARALLEL_FROM_PAGES = 30
_PIPE_BYTES = 1 << 20  # Linux's default limit for a pipe's buffer (/proc/sys/fs/pipe-max-size)
# Where the `scraper` package this process runs lives: the worker imports the same one.
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# Looks at the runnable tasks before a core counts as busy: the board that just answered, or
# a logger thread, may be runnable at one look.
_SAMPLES = 3


def spare_core(loadavg: Path = Path("/proc/loadavg")) -> bool:
    """Whether a CPU is idle enough for a worker to run beside the scraper. On a machine
    busy with other work the two only take turns on the same cores (measured on 2 cores at
    a load of 12-20: 30 % more wall time and 20 % more CPU time than reading in-process).

    Asked of the tasks runnable now (/proc/loadavg's fourth field, this thread included),
    a few times a millisecond apart, not of the load average: that is a minute's mean,
    still above 2 a minute after a build that used both cores, and on some machines never
    near 0 (a VM counting its host's waits): the worker was refused on an idle machine."""
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        return False
    try:
        for _ in range(_SAMPLES):
            if int(loadavg.read_text().split()[3].split("/")[0]) <= cores - 1:
                return True
            time.sleep(0.001)
        return False
    except (OSError, IndexError, ValueError):  # not Linux: the load average it is
        return os.getloadavg()[0] < cores - 0.5  # the scraper itself counts 1


# Workers at once in this process: one per core beside the scraper's own, however many
# threads its lanes (runner.py) read side by side; the other threads are read in-process.
_WORKER_SLOTS = threading.BoundedSemaphore(max(1, len(os.sched_getaffinity(0)) - 1))


def start_worker() -> ParseWorker | None:
    """A new worker if a core is spare and no other thread of this run holds its slot."""
    if not spare_core() or not _WORKER_SLOTS.acquire(blocking=False):
        return None
    try:
        return ParseWorker(slot=True)
    except BaseException:
        _WORKER_SLOTS.release()
        raise


class WorkerLost(Exception):
    """The worker process died or answered nothing readable: read in-process instead."""


class ParseWorker:
    """One worker process reading one page at a time: `submit`, then `result`."""

    def __init__(self, *, slot: bool = False) -> None:
        self._slot = slot  # holds one of _WORKER_SLOTS, given back by `close`
        self._process = subprocess.Popen(
            [sys.executable, "-m", "scraper.parse_worker",
             str(logging.getLogger("scraper").getEffectiveLevel())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_PACKAGE_ROOT,
            process_group=0,  # a Ctrl-C at the terminal reaches only the scraper
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        for pipe in (self._process.stdin, self._process.stdout):
            # A page (and its reading) fits in one write: no wait for the other side to
            # drain a 64 KiB pipe in turns, each a trip through a busy scheduler.
            with contextlib.suppress(OSError):
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        self._to_worker: IO[bytes] = self._process.stdin
        self._from_worker: IO[bytes] = self._process.stdout
        self._ready = False
        self.lost = False

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._process.pid

    @property
    def ready(self) -> bool:
        """Whether the worker has started and reads pages now (never waits for it)."""
        if self._ready or self.lost:
            return self._ready
        waiting, _, _ = select.select([self._from_worker], [], [], 0)
        if waiting:
            # Read through the file descriptor: nothing is buffered before this first byte.
            if os.read(self._from_worker.fileno(), 1) == _READY:
                self._ready = True
                log.debug("reading pages in process %d", self.pid)
            else:
                self.lost = True
                log.warning("the page-reading process did not start; reading pages here")
        return self._ready

    def submit(self, engine: Engine, response: Response, cursor: Cursor | None) -> None:
        """Send one response to read; `result` gives its reading."""
        try:
            self._to_worker.write(pickle.dumps((engine, response, cursor),
                                               pickle.HIGHEST_PROTOCOL))
            self._to_worker.flush()
        except OSError as error:
            self.lost = True
            raise WorkerLost(f"cannot send a page to the reading process: {error}") from None

    def answered(self) -> bool:
        """Whether the reading submitted last has come back (or the worker is gone), so that
        `result` would not wait for it."""
        waiting, _, _ = select.select([self._from_worker], [], [], 0)
        return bool(waiting)

    def result(self) -> Reading:
        """The reading of the response last submitted; its error raised as `read` raised it."""
        try:
            reading, error, records = pickle.load(self._from_worker)
        except Exception as error:  # EOF, a torn frame: the worker is gone
            self.lost = True
            raise WorkerLost(f"the page-reading process stopped: {error!r}") from None
        for record in records:
            logging.getLogger(record.name).handle(record)
        if error is not None:
            raise error
        assert isinstance(reading, Reading)
        return reading

    def close(self) -> None:
        """End the worker (it may be reading: its answer is dropped) and reap it."""
        for pipe in (self._to_worker, self._from_worker):
            with contextlib.suppress(OSError):  # a last flush into a worker already gone
                pipe.close()
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        finally:
            if self._slot:
                self._slot = False
                _WORKER_SLOTS.release()


class _Collected(logging.Handler):
    """Keeps the worker's log records for the answer, formatted (their args may not pickle)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = None
        self.records.append(record)


def _answer(engine: Engine, response: Response, cursor: Cursor | None,
            collected: _Collected) -> bytes:
    try:
        frame: tuple[Any, BaseException | None, list[logging.LogRecord]] = (
            engine.read(response, cursor), None, collected.records)
    except Exception as error:
        frame = (None, error, collected.records)
    try:
        answer = pickle.dumps(frame, pickle.HIGHEST_PROTOCOL)
        if frame[1] is not None:
            pickle.loads(answer)  # an error must load again, too
        return answer
    except Exception as unsendable:
        # An error whose constructor takes other arguments than its message cannot be
        # loaded again: send what it said instead.
        told = RuntimeError(f"{frame[1]!r} (not sent whole: {unsendable})")
        return pickle.dumps((None, told, collected.records), pickle.HIGHEST_PROTOCOL)
    finally:
        collected.records = []


def main() -> None:
    """The worker: read (engine, response, cursor) frames from stdin until it closes."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    collected = _Collected()
    root = logging.getLogger()
    root.handlers[:] = [collected]
    root.setLevel(int(sys.argv[1]) if len(sys.argv) > 1 else logging.WARNING)
    to_scraper, from_scraper = sys.stdout.buffer, sys.stdin.buffer
    sys.stdout = sys.stderr  # the pipe carries answers only
    try:
        to_scraper.write(_READY)
        to_scraper.flush()
        while True:
            try:
                engine, response, cursor = pickle.load(from_scraper)
            except EOFError:
                # Every answer is flushed as it is written and nothing else is kept: end
                # without the interpreter's teardown (its modules, the engine's caches),
                # which the scraper's `close` would wait for at the end of every thread.
                sys.stderr.flush()
                os._exit(0)
            to_scraper.write(_answer(engine, response, cursor, collected))
            to_scraper.flush()
    except BrokenPipeError:  # the scraper is gone: so is the point of this answer
        os._exit(0)  # no flush of stdout at exit, which would fail the same way


if __name__ == "__main__":
    main()
