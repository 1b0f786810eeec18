"""Reading thread pages in a second process, so the scraper fetches the next page meanwhile.

Reading a page (its tree, then every post) is CPU work under the GIL: selectolax does not
release it (measured: two threads building trees take longer than one doing both), so only
another process overlaps it with fetching. The engine stays the pure reader it is: the
worker calls `Engine.read` on the response it is sent and sends the `Reading` back, or the
error, with the log records the reading made (re-emitted here, so warnings reach the
console and `--log-json` as before).

The worker is a fork of the scraper: it has the engine and its modules already, where a new
interpreter importing them took 0.23-0.32 s of CPU before its first page (measured on the
200-page benchmark), on a machine whose two cores the scrape keeps busy. The fork runs only
what this module gives it: it drops the scraper's file descriptors (its sockets, WARC and
lock files, the pipes of other workers, which would otherwise never see their end) and its
log handlers. A fork of a process with other threads (the WARC writer, other lanes) keeps
any lock one of them held at that moment held for good (render_worker.py forks only
without them): this one takes none of theirs but those Python renews in a child (logging's,
the import lock). Only a module that another thread was importing just then, and that a
page's reading imports for the first time (the modules of reading a page are imported by
the first page, read here), would stop it: then `result` gives up after `ANSWER_SECONDS`
and the page is read here.

The worker ignores SIGINT and SIGTERM and runs in its own process group: the scraper
alone decides how a stop goes (scraper/cli/). It ends when the scraper closes its pipe,
which the kernel also does when the scraper dies, however it dies; at once, with nothing
left to write (`os._exit`): it never returns into the scraper's code it was copied from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gc
import logging
import os
import pickle
import select
import signal
import threading
import time
from pathlib import Path
from typing import IO, Any, NoReturn

from .engines.base import Cursor, Engine, Reading, Response, held_utf8, utf8_text

log = logging.getLogger(__name__)

# The byte a started worker sends first: its modules are imported, it reads from now on.
_READY = b"R"
# A worker is started for a run with at least this many pages still to read: a second
# process on a second core pays for itself over many pages, not over a few.
PARALLEL_FROM_PAGES = 30
_PIPE_BYTES = 1 << 20  # Linux's default limit for a pipe's buffer (/proc/sys/fs/pipe-max-size)
_LENGTH_BYTES = 8  # each answer's length, before it
_REAP_SECONDS = 2.0  # how long `close` waits for the worker to end before killing it
# How long `result` waits for an answer before the page is read here instead: far past the
# reading of any page (a 10 MiB one takes about a second), and an end to a wait for a fork
# stuck on a lock (see above), which nothing else would end.
ANSWER_SECONDS = 60.0
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


class _Chained:
    """The cursor of a response queued behind another (`ParseWorker.queue`): the one the
    reading before it ends with, which the worker has when it comes to it."""


class ParseWorker:
    """One worker process reading one page at a time: `submit`, then `result`; `queue` puts
    a second page behind the one being read, so that the worker goes on to it at once."""

    def __init__(self, *, slot: bool = False) -> None:
        self._slot = slot  # holds one of _WORKER_SLOTS, given back by `close`
        # (the worker reads, the scraper writes), (the scraper reads, the worker writes)
        pipes = (*os.pipe(), *os.pipe())
        for written in (pipes[1], pipes[3]):
            # A page (and its reading) fits in one write: no wait for the other side to
            # drain a 64 KiB pipe in turns, each a trip through a busy scheduler.
            with contextlib.suppress(OSError):
                fcntl.fcntl(written, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        # The scraper's objects frozen across the fork: the worker's collections then never
        # walk (and copy, page by page) the scraper's memory (the `gc.freeze` recipe).
        collecting = gc.isenabled()
        gc.disable()
        gc.freeze()
        try:
            pid = os.fork()
        except BaseException:
            gc.unfreeze()
            if collecting:
                gc.enable()
            for fd in pipes:
                os.close(fd)
            raise
        if pid == 0:
            _serve(pipes[0], pipes[3])
        gc.unfreeze()
        if collecting:
            gc.enable()
        os.close(pipes[0])
        os.close(pipes[3])
        self._pid = pid
        # What the pipe to the worker holds without a wait: the requests whose answers are
        # not taken yet (`_sent`, their sizes) never exceed it (see `queue`).
        self._capacity = _pipe_bytes(pipes[1])
        self._sent: list[int] = []
        self._to_worker: IO[bytes] = os.fdopen(pipes[1], "wb")
        # Read as a file descriptor, an answer's exact length at a time: a buffered reader
        # could read the start of the next answer with this one, which `select` would then
        # not see (with a page queued, the scraper waited out ANSWER_SECONDS for it).
        self._from_worker = pipes[2]
        self._ready = False
        self.lost = False
        self.returncode: int | None = None  # the worker's exit status, once `close` reaped it

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._pid

    @property
    def ready(self) -> bool:
        """Whether the worker has started and reads pages now (never waits for it)."""
        if self._ready or self.lost:
            return self._ready
        waiting, _, _ = select.select([self._from_worker], [], [], 0)
        if waiting:
            # Read through the file descriptor: nothing is buffered before this first byte.
            if os.read(self._from_worker, 1) == _READY:
                self._ready = True
                log.debug("reading pages in process %d", self.pid)
            else:
                self.lost = True
                log.warning("the page-reading process did not start; reading pages here")
        return self._ready

    def submit(self, engine: Engine, response: Response, cursor: Cursor | None,
               utf8: bytes | None = None) -> None:
        """Send one response to read, with nothing else in flight; `result` gives its
        reading. `utf8`: the bytes its text was decoded from, when they are that text's
        UTF-8 (most pages; by default those the text holds, `utf8_text`): sent instead of
        the text, which pickling would encode again (0.2 ms of the scraper's time for a
        100 KB page in Arabic)."""
        assert not self._sent, "a reading is still to be taken: `result` or `discard` it"
        self._send(_request(engine, response, cursor, utf8))

    def queue(self, engine: Engine, response: Response, utf8: bytes | None = None) -> bool:
        """Send a response to read after the one in flight, with the cursor its reading
        ends with (the next page, fetched while that one is read); its reading comes from
        the `result` after that one's. False, and nothing sent, when the pipe could not
        hold both requests unread: the write could then wait for the worker, which may
        itself wait for the scraper to take a large answer."""
        assert len(self._sent) == 1, "`queue` goes behind exactly one reading in flight"
        request = _request(engine, response, _Chained, utf8)
        if self._sent[0] + len(request) > self._capacity:
            return False
        self._send(request)
        return True

    def _send(self, request: bytes) -> None:
        try:
            self._to_worker.write(request)
            self._to_worker.flush()
        except OSError as error:
            self.lost = True
            raise WorkerLost(f"cannot send a page to the reading process: {error}") from None
        self._sent.append(len(request))

    def answered(self) -> bool:
        """Whether the oldest reading in flight has come back (or the worker is gone), so
        that `result` would not wait for it."""
        return self._answer_within(0)

    def _answer_within(self, seconds: float) -> bool:
        waiting, _, _ = select.select([self._from_worker], [], [], seconds)
        return bool(waiting)

    def result(self) -> Reading:
        """The reading of the oldest response in flight; its error raised as `read` raised
        it, its log records logged here."""
        reading, error, records = self._taken()
        for record in records:
            logging.getLogger(record.name).handle(record)
        if error is not None:
            raise error
        assert isinstance(reading, Reading)
        return reading

    def discard(self) -> None:
        """Take the oldest reading in flight and drop it, error and log records too: a
        page queued on a guess that the reading before it did not confirm."""
        self._taken()

    def _taken(self) -> tuple[Reading | None, BaseException | None, list[logging.LogRecord]]:
        """The oldest answer in flight, as the worker sent it."""
        if not self._answer_within(ANSWER_SECONDS):
            self.lost = True
            raise WorkerLost(f"the page-reading process gave no answer in {ANSWER_SECONDS:g} s")
        collecting = gc.isenabled()
        # A reading is some 300 new objects, none in a cycle: a collection while they are
        # made walks the pages read so far, kept for the thread, for nothing (measured in
        # the 200-page benchmark: 0.78 -> 0.67 ms a page to take in the reading).
        gc.disable()
        try:
            size = int.from_bytes(_read_exactly(self._from_worker, _LENGTH_BYTES), "little")
            answer: tuple[Reading | None, BaseException | None, list[logging.LogRecord]] = (
                pickle.loads(_read_exactly(self._from_worker, size)))
        except Exception as error:  # EOF, a torn frame: the worker is gone
            self.lost = True
            raise WorkerLost(f"the page-reading process stopped: {error!r}") from None
        finally:
            if collecting:
                gc.enable()
        self._sent.pop(0)
        return answer

    def close(self) -> None:
        """End the worker (it may be reading: its answer is dropped) and reap it."""
        with contextlib.suppress(OSError):  # a last flush into a worker already gone
            self._to_worker.close()
        with contextlib.suppress(OSError):
            os.close(self._from_worker)
        try:
            self.returncode = reaped(self._pid, _REAP_SECONDS)
        finally:
            if self._slot:
                self._slot = False
                _WORKER_SLOTS.release()


def _request(engine: Engine, response: Response, cursor: Cursor | type[_Chained] | None,
             utf8: bytes | None) -> bytes:
    """The frame of one response to read (its text as `utf8`, given or held by the text)."""
    utf8 = held_utf8(response.text) if utf8 is None else utf8
    if utf8 is not None:
        response = dataclasses.replace(response, text="")
    return pickle.dumps((engine, response, cursor, utf8), pickle.HIGHEST_PROTOCOL)


def _read_exactly(fd: int, size: int) -> bytes:
    """`size` bytes from the pipe `fd`, and not one more; EOFError when it ends first."""
    parts = []
    while size:
        part = os.read(fd, min(size, _PIPE_BYTES))
        if not part:
            raise EOFError("the page-reading process's pipe ended inside an answer")
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _pipe_bytes(fd: int) -> int:
    """How many bytes the pipe `fd` holds (64 KiB where its size cannot be read)."""
    try:
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except OSError:
        return 1 << 16


def reaped(pid: int, seconds: float) -> int:
    """The exit status of child `pid`, killed if it has not ended within `seconds`."""
    deadline = time.monotonic() + seconds
    pause = 0.0005
    while True:
        reaped, status = os.waitpid(pid, os.WNOHANG)
        if reaped:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        time.sleep(pause)  # it ends as soon as it reads its pipe's end: within a few ms
        pause = min(pause * 2, 0.05)


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
            collected: _Collected) -> tuple[bytes, Cursor | None]:
    """The answer to send for one response, and the cursor its reading ends with (None when
    it failed: the scraper then drops the reading queued behind it)."""
    try:
        reading = engine.read(response, cursor)
        frame: tuple[Any, BaseException | None, list[logging.LogRecord]] = (
            reading, None, collected.records)
    except Exception as error:
        frame = (None, error, collected.records)
    try:
        answer = pickle.dumps(frame, pickle.HIGHEST_PROTOCOL)
        if frame[1] is not None:
            pickle.loads(answer)  # an error must load again, too
            return answer, None
        return answer, reading.cursor
    except Exception as unsendable:
        # An error whose constructor takes other arguments than its message cannot be
        # loaded again: send what it said instead.
        told = RuntimeError(f"{frame[1]!r} (not sent whole: {unsendable})")
        return pickle.dumps((None, told, collected.records), pickle.HIGHEST_PROTOCOL), None
    finally:
        collected.records = []


def _serve(reads: int, writes: int) -> NoReturn:
    """The worker, in the forked child: read the frames of `_request` from `reads`
    and answer each on `writes` until the scraper closes its end; never returns."""
    try:
        detach_child(reads, writes)
        collected = _Collected()
        # Every record goes to the answer, at the scraper's levels (the fork has them): not
        # to the scraper's handlers, whose console and files are the scraper's to write.
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if isinstance(logger, logging.Logger):
                logger.handlers = []
                logger.propagate = True
        logging.getLogger().handlers = [collected]
        gc.enable()  # the scraper's objects stay frozen (ParseWorker.__init__)
        to_scraper, from_scraper = os.fdopen(writes, "wb"), os.fdopen(reads, "rb")
        to_scraper.write(_READY)
        to_scraper.flush()
        ended_with: Cursor | None = None  # by the last reading: a queued page's cursor
        while True:
            try:
                engine, response, cursor, utf8 = pickle.load(from_scraper)
            except EOFError:
                # Every answer is flushed as it is written and nothing else is kept: end
                # without the interpreter's teardown (its modules, the engine's caches),
                # which the scraper's `close` would wait for at the end of every thread.
                os._exit(0)
            if utf8 is not None:
                response = dataclasses.replace(response, text=utf8_text(utf8))
            answer, ended_with = _answer(engine, response,
                                         ended_with if cursor is _Chained else cursor,
                                         collected)
            to_scraper.write(len(answer).to_bytes(_LENGTH_BYTES, "little"))
            to_scraper.write(answer)
            to_scraper.flush()
    except BrokenPipeError:  # the scraper is gone: so is the point of this answer
        os._exit(0)
    except BaseException:  # whatever it is: the scraper's code must not go on in this copy
        os._exit(1)


def detach_child(*kept_files: int) -> None:
    """In a fork of the scraper (this worker, forked.py's child): a process group of its own
    (a Ctrl-C at the terminal reaches only the scraper, which alone decides how a stop
    goes), SIGINT and SIGTERM ignored, the scraper's signal wakeup dropped, and every file
    descriptor of the scraper's closed but `kept_files` and stderr (stdin and stdout:
    /dev/null): a socket, lock, file or pipe the scraper closes must not stay open here,
    nor a lane's output pipe (lanes.py) wait for this process to end."""
    os.setpgid(0, 0)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)  # the scraper's, closed below
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    kept = sorted({0, 1, 2, *kept_files})
    for low, high in zip(kept, [*kept[1:], os.sysconf("SC_OPEN_MAX")], strict=True):
        os.closerange(low + 1, high)
