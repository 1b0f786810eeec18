"""Host lanes in more than one process: a local `scrape` of many threads on many hosts
uses more than one core.

A small thread costs some 20 ms of CPU time (its page read, its files written), all under
one interpreter's GIL: a thousand of them on twenty hosts took longer than their hosts'
delays (measured: 23.7 s of 26.7 s CPU time against a floor of 10.2 s). Their lanes
(runner.run_local: one per host, its threads one after another) are split between this
process and lane processes, each lane whole in one process, so each host's politeness
stays where it is kept: in its lane's one PoliteClient.

A lane process is `python -m scraper.lanes`: it reads its jobs (pickled) from stdin, runs
them as `run_local` does, and sends back each Outcome as it comes, and the log records
the work made (re-emitted here, so warnings, `--log-json` events and the console read as
from one process). The run's own process announces and folds every outcome, so the
summary, the JSON log and the exit code are those of one run. It ignores SIGINT and
SIGTERM and runs in its own process group: the run's process tells it to stop (its
StopRequest, with the signal's number), and when that process dies, however it dies, the
closed pipe ends the lane process at once (as a second Ctrl-C ends the run: `.part` files
are kept, see cli.stop_on_signals).

`update` stays in one process: its re-checks go into the run's WARC files, numbered by
the run (runs.py), and an unchanged update of a thousand threads is within its goal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from .archive import ThreadArchive
from .fetch.stop import StopRequest
from .jsonlog import events
from .runner import Outcome, ThreadJob, lanes_of, run_local
from .scrape import ScrapeObserver

log = logging.getLogger("scraper.lanes")  # not __main__ in a lane process

# `--processes auto` spreads lanes over two processes from this many threads on, on a
# machine with two cores or more: starting one costs 0.3-0.4 s of CPU time (an interpreter
# and the engines), the work of some 15-20 small threads; below a few hundred threads the
# hosts' delays, not the CPU, set a run's pace.
PROCESSES_FROM_THREADS = 200
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
# The loggers whose levels the run's process set (cli.main): a lane process logs as it does.
_LEVELS = ("", "scraper", "httpcore", "httpx")


def processes_for(asked: int | None, jobs: Sequence[ThreadJob]) -> int:
    """How many processes run `jobs`: `asked` (`--processes N`), else (auto) two for a run
    of at least PROCESSES_FROM_THREADS threads on a machine with a second core; never more
    than there are lanes (a lane is never split)."""
    lanes = len({job.origin for job in jobs})
    if asked is None:
        cores = len(os.sched_getaffinity(0))
        asked = 2 if cores > 1 and len(jobs) >= PROCESSES_FROM_THREADS else 1
    return max(1, min(asked, lanes))


def split_lanes(jobs: Sequence[ThreadJob], processes: int) -> list[list[ThreadJob]]:
    """The jobs in `processes` shares of whole lanes, the longest lane first to the share
    with the fewest threads; each share keeps the jobs' first-seen order."""
    shares: list[list[list[ThreadJob]]] = [[] for _ in range(processes)]
    for lane in sorted(lanes_of(jobs), key=len, reverse=True):
        min(shares, key=lambda share: sum(map(len, share))).append(lane)
    order = {id(job): n for n, job in enumerate(jobs)}
    return [sorted((job for lane in share for job in lane), key=lambda job: order[id(job)])
            for share in shares]


class LaneProcess:
    """One lane process, given its jobs; each outcome goes to `finished` (called from a
    reader thread of its own: the caller serialises)."""

    def __init__(self, jobs: Sequence[ThreadJob], archive: ThreadArchive, *, concurrency: int,
                 config_path: Path | None, finished: Callable[[Outcome], None]) -> None:
        self._finished = finished
        self._process = subprocess.Popen(
            [sys.executable, "-m", "scraper.lanes",
             *(str(logging.getLogger(name).getEffectiveLevel()) for name in _LEVELS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_PACKAGE_ROOT,
            process_group=0,  # a Ctrl-C at the terminal reaches only the run's process
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to_lanes: IO[bytes] = self._process.stdin
        self._from_lanes: IO[bytes] = self._process.stdout
        self._told_stop = False
        self.failure: BaseException | None = None  # the process's own error, or its loss
        self._send(("run", list(jobs), str(archive.root), concurrency,
                    str(config_path) if config_path else None))
        self._reader = threading.Thread(target=self._read, name="lanes-reader", daemon=True)
        self._reader.start()

    def _send(self, frame: tuple[Any, ...]) -> None:
        with contextlib.suppress(OSError):  # gone: its reader says so
            self._to_lanes.write(pickle.dumps(frame, pickle.HIGHEST_PROTOCOL))
            self._to_lanes.flush()

    def _read(self) -> None:
        try:
            while True:
                kind, value = pickle.load(self._from_lanes)
                if kind == "log":
                    (events if value.name == events.name
                     else logging.getLogger(value.name)).handle(value)
                elif kind == "outcome":
                    self._finished(value)
                elif kind == "error":
                    self.failure = RuntimeError(f"lane process {self._process.pid}: {value}")
                    return
                else:  # "done"
                    return
        except Exception as error:  # EOF, a torn frame: the process is gone
            self.failure = RuntimeError(f"lane process {self._process.pid} stopped: {error!r}")

    def stop(self, signum: int) -> None:
        """Ask the process to stop as this one does: at each lane's next request."""
        if not self._told_stop:
            self._told_stop = True
            self._send(("stop", signum))

    def done(self) -> bool:
        """Whether every outcome is in (or the process is gone)."""
        return not self._reader.is_alive()

    def wait(self, seconds: float) -> None:
        """Wait at most `seconds` for the last outcome."""
        self._reader.join(seconds)

    def close(self) -> None:
        """Wait for the last outcome, end the process's input and reap it."""
        self._reader.join()
        with contextlib.suppress(OSError):
            self._to_lanes.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        with contextlib.suppress(OSError):
            self._from_lanes.close()


def run_spread(jobs: Sequence[ThreadJob], archive: ThreadArchive, *, stop: StopRequest,
               processes: int, concurrency: int, config_path: Path | None,
               observing: Callable[[ThreadJob], AbstractContextManager[ScrapeObserver | None]],
               finished: Callable[[Outcome], None]) -> None:
    """`run_local` over `processes` processes: this one works the first share of lanes
    (with its progress observers), lane processes the others (without: their threads count
    in the run's total as each ends, their pages go uncounted). `finished` is called one
    outcome at a time, from any process's; a stop request reaches every process. Returns
    when every lane ended."""
    shares = split_lanes(jobs, processes)
    report_lock = threading.Lock()

    def one_at_a_time(outcome: Outcome) -> None:
        with report_lock:
            finished(outcome)

    def from_elsewhere(outcome: Outcome) -> None:
        with observing(outcome.job):  # counted in the run's total as a job done here is
            pass
        one_at_a_time(outcome)

    others: list[LaneProcess] = []
    try:
        for share in shares[1:]:
            others.append(LaneProcess(share, archive, concurrency=concurrency,
                                      config_path=config_path, finished=from_elsewhere))
        ended = threading.Event()

        def tell_stop() -> None:  # a signal handler cannot write to a pipe safely
            while not ended.wait(0.05):
                if stop.signum is not None:
                    for other in others:
                        other.stop(stop.signum)
                    return

        teller = threading.Thread(target=tell_stop, name="lanes-stop", daemon=True)
        teller.start()
        try:
            run_local(shares[0], archive, stop=stop, concurrency=concurrency,
                      observing=observing, finished=one_at_a_time)
            for other in others:
                while not other.done():
                    other.wait(0.2)  # in steps: the main thread runs signal handlers between
        finally:
            ended.set()
            teller.join()
    except BaseException:
        for other in others:  # this process failed: the others stop too
            other.stop(signal.SIGTERM)
        raise
    finally:
        for other in others:
            other.close()
    for other in others:
        if other.failure is not None:
            raise other.failure


class _Forwarded(logging.Handler):
    """Sends each log record to the run's process at once, formatted (args may not pickle)."""

    def __init__(self, send: Callable[[tuple[str, Any]], None]) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = None
        self._send(("log", record))


def main() -> None:
    """A lane process: its jobs from stdin, each outcome and log record to stdout."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    to_run, from_run = sys.stdout.buffer, sys.stdin.buffer
    sys.stdout = sys.stderr  # the pipe carries frames only
    lock = threading.Lock()

    def send(frame: tuple[str, Any]) -> None:
        data = pickle.dumps(frame, pickle.HIGHEST_PROTOCOL)
        try:
            with lock:
                to_run.write(data)
                to_run.flush()
        except OSError:  # the run's process is gone: so is the point of going on
            os._exit(1)

    root = logging.getLogger()
    root.handlers[:] = [_Forwarded(send)]
    events.handlers[:] = root.handlers  # the JSON log's events, which the run's process writes
    for name, level in zip(_LEVELS, sys.argv[1:], strict=True):
        logging.getLogger(name).setLevel(int(level))
    _, jobs, archive_root, concurrency, config_path = pickle.load(from_run)
    stop = StopRequest()
    log.info("lane process %d: %d thread(s) of %d host(s)", os.getpid(), len(jobs),
             len(lanes_of(jobs)))

    def listen() -> None:
        while True:
            try:
                _, signum = pickle.load(from_run)
            except Exception:  # EOF: the run's process died (or a second signal ended it)
                os._exit(1)
            stop.request(signum)

    threading.Thread(target=listen, name="lanes-stop", daemon=True).start()
    try:
        if config_path is not None:
            from .config import load_config

            load_config(Path(config_path))  # its selector profiles, which threads may name
        run_local(jobs, ThreadArchive(Path(archive_root)), stop=stop, concurrency=concurrency,
                  finished=lambda outcome: send(("outcome", outcome)))
    except Exception as error:  # a bug, or a client that could not be made: the run says so
        log.exception("lane process failed")
        send(("error", f"{type(error).__name__}: {error}"))
        os._exit(1)
    send(("done", None))
    # Not through the interpreter's shutdown: the thread listening on stdin holds its lock.
    os._exit(0)


if __name__ == "__main__":
    main()
