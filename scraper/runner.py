"""One thread's work, the same wherever it runs: in a local `scrape`/`update` or in a worker.

    ThreadJob   what to do for one thread (plain data: it may travel to another process)
    run_job     does it, holding the thread's lock; returns an Outcome, never raises a
                ForumMirrorError
    Outcome     what came of it (plain data too)
    RunFold     folds the outcomes of a run into its totals and exit code, as `scrape` and
                `update` report them (README.md, "Exit codes")
    announce    the JSON log events and console lines of one outcome, as it finishes

No argparse and no console here: the CLI (scraper/cli/) plans the jobs and prints; a queue
worker runs the same `run_job` and hands the Outcome back.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from .archive import ThreadArchive, UnreadableThread
from .engines import registered
from .engines.profile import PREFIX as PROFILE_PREFIX
from .engines.profile import is_profile_name
from .errors import ForumMirrorError, Interrupted, LayoutChanged
from .fetch import FetchSettings, PoliteClient
from .fetch.stop import StopRequest
from .jsonlog import event
from .lock import ThreadLocked, thread_lock
from .recheck import recheck_thread
from .runs import CheckRecorder, UpdateRun
from .schedule import NotDue
from .scrape import ScrapeObserver, ScrapeSummary, scrape_thread, thread_is_gone
from .urls import origin_of

log = logging.getLogger(__name__)

Command = Literal["scrape", "update"]
# "locked": another run was writing the thread, so this one left it alone.
Status = Literal["changed", "unchanged", "failed", "unavailable", "locked", "interrupted"]

# `update` exit codes beyond the errors' own (documented in README.md).
EXIT_PARTIAL_FAILURE = 10
EXIT_TOTAL_FAILURE = 11
# Hosts worked at once by default. A lane is a thread that mostly sleeps out its host's delay
# (one request at a time, seconds apart), so even a small machine carries dozens: the cores
# only parse and write between waits.
DEFAULT_CONCURRENCY = 32


@dataclass(frozen=True)
class ThreadJob:
    """One thread to scrape or re-check, with the fetch settings of its forum."""

    command: Command
    url: str
    key: str | None  # its archive key, when known before its first page (archived_key)
    engine_name: str | None  # the engine asked for (an archived thread keeps its own)
    settings: FetchSettings
    run_id: str = ""  # `update`: the run's id (its WARC files and record, runs.py)
    revisit: int = 0  # `update`: earlier pages read again besides the last (recheck.py)
    full: bool = False  # `update --full`: every page read again

    @property
    def origin(self) -> str:
        """The host (scheme://host[:port]) the job asks: one lane per origin, one request at
        a time at its delay."""
        return str(origin_of(self.url))

    def to_dict(self) -> dict[str, Any]:
        """The job as JSON-ready data (for a queue)."""
        # Field by field, not `asdict`: its deep copies were a worker's biggest cost per job
        # after the thread itself (the settings hold only plain values).
        settings = {f.name: getattr(self.settings, f.name) for f in fields(self.settings)}
        settings["allow_private_origins"] = sorted(self.settings.allow_private_origins)
        settings["cookies_file"] = (str(self.settings.cookies_file)
                                    if self.settings.cookies_file else None)
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "settings": settings}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThreadJob:
        """The job `to_dict` gave."""
        settings = dict(data["settings"])
        settings["allow_private_origins"] = frozenset(settings["allow_private_origins"])
        cookies = settings["cookies_file"]
        settings["cookies_file"] = Path(cookies) if cookies else None
        return cls(**{**data, "settings": FetchSettings(**settings)})


@dataclass
class Outcome:
    """What came of one ThreadJob."""

    job: ThreadJob
    status: Status
    summary: ScrapeSummary | None = None  # a thread archived or checked
    error: str = ""  # a failed thread's message, as the console shows it
    error_type: str = ""  # the error's class name (`--log-json` "error")
    exit_code: int = 0  # the error's own exit code
    http_status: int | None = None  # the board's answer, for an HTTP error
    requests: int = 0  # every request the job sent, robots.txt and failed ones too
    bytes_received: int = 0
    signal_name: str = ""  # "interrupted": by which signal

    @property
    def failed(self) -> bool:
        """Whether the thread counts as failed (exit codes 10/11)."""
        return self.status in ("failed", "unavailable", "locked")

    def to_dict(self, *, with_job: bool = True) -> dict[str, Any]:
        """The outcome as JSON-ready data (for a queue); without its job for a reader that
        has the job already (`from_dict(..., job=)`)."""
        data = {**{f.name: getattr(self, f.name) for f in fields(self)},
                "summary": asdict(self.summary) if self.summary is not None else None}
        if with_job:
            data["job"] = self.job.to_dict()
        else:
            del data["job"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], job: ThreadJob | None = None) -> Outcome:
        """The outcome `to_dict` gave; `job` when it was left out."""
        summary = data["summary"]
        return cls(**{**data, "job": job if job is not None else ThreadJob.from_dict(data["job"]),
                      "summary": ScrapeSummary(**summary) if summary is not None else None})


class ThreadClaim:
    """The thread locks one job holds: taken as each key becomes known, released together."""

    def __init__(self, root: Path, stack: contextlib.ExitStack) -> None:
        self.root, self.stack = root, stack
        self.keys: set[str] = set()

    def __call__(self, key: str) -> None:
        if key not in self.keys:
            self.stack.enter_context(thread_lock(self.root, key))  # ThreadLocked if taken
            self.keys.add(key)


def run_job(job: ThreadJob, archive: ThreadArchive, client: PoliteClient,
            recorder: CheckRecorder | None = None, observer: ScrapeObserver | None = None,
            stop: StopRequest | None = None) -> Outcome:
    """Do one job with `client` (made from `job.settings`, shared by the jobs of one origin),
    holding the thread's lock while it writes; `recorder` is the update run's WARC recorder
    for the re-checks of this forum (runs.py), needed for "update" jobs only; `stop` (the
    client's) is looked at before the thread starts."""
    requests_before, bytes_before = client.requests_made, client.bytes_received

    def outcome(status: Status, **facts: Any) -> Outcome:
        return Outcome(job, status, requests=client.requests_made - requests_before,
                       bytes_received=client.bytes_received - bytes_before, **facts)

    try:
        with contextlib.ExitStack() as stack:
            if stop is not None:
                stop.check()  # before each thread, not only inside it
            claim = ThreadClaim(archive.root, stack)
            if job.key is not None:
                claim(job.key)
            if job.command == "update":
                if recorder is None:
                    raise ValueError("an update job needs its run's CheckRecorder")
                summary = recheck_thread(job.url, archive, client, recorder, observer,
                                         key=job.key, run_id=job.run_id,
                                         engine_name=job.engine_name, claim=claim,
                                         revisit=job.revisit, full=job.full)
            else:
                summary = scrape_thread(job.url, archive, client, observer, key=job.key,
                                        engine_name=job.engine_name, claim=claim)
    except Interrupted as interrupted:
        return outcome("interrupted", error=str(interrupted), error_type="Interrupted",
                       exit_code=interrupted.exit_code, signal_name=interrupted.signal_name)
    except ForumMirrorError as error:
        status: Status = ("locked" if isinstance(error, ThreadLocked)
                          else "unavailable" if thread_is_gone(error) else "failed")
        return outcome(status, error=str(error), error_type=type(error).__name__,
                       exit_code=error.exit_code, http_status=getattr(error, "status", None))
    status = "changed" if summary.changed else "unchanged"
    return outcome(status, summary=summary)


@dataclass
class RunTotals:
    """What a run did, over all its threads (the summary line and the JSON summary)."""

    new_posts: int = 0
    edited_posts: int = 0
    removed_posts: int = 0
    new_assets: int = 0
    moved_threads: int = 0
    failed_threads: int = 0
    unavailable_threads: int = 0
    not_due_threads: int = 0  # skipped by their schedule (schedule.py)
    requests: int = 0
    bytes_received: int = 0

    def add(self, summary: ScrapeSummary) -> None:
        self.new_posts += summary.new_posts
        self.edited_posts += summary.changed_posts
        self.removed_posts += summary.removed_posts
        self.new_assets += summary.new_assets
        self.moved_threads += bool(summary.moved_to)


class JobFailed(ForumMirrorError):
    """A `scrape` thread failed: the run ends with its message and exit code, as the error
    itself would have ended it (the error may have been raised in another process)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.exit_code = outcome.exit_code
        self.error_type = outcome.error_type


@dataclass
class RunFold:
    """The outcomes of one run, folded as they arrive (in any order) into its totals and,
    at the end, its exit code."""

    command: Command
    threads: int  # how many the run set out to do, unreadable ones included
    run: UpdateRun | None = None  # `update`: each thread's entry goes into its record
    totals: RunTotals = field(default_factory=RunTotals)
    done: int = 0  # threads archived (scrape) or checked (update), failed ones too
    failures: list[Outcome] = field(default_factory=list)
    unreadable: list[UnreadableThread] = field(default_factory=list)
    interrupted: Interrupted | None = None

    def add_unreadable(self, bad: UnreadableThread) -> None:
        """An archived thread whose thread.json cannot be read: failed before any request."""
        log.error("%s", bad.error)
        self.unreadable.append(bad)
        self.done += 1
        self.totals.failed_threads += 1
        event("thread_failed", str(bad.error), logging.ERROR, thread=bad.path.parent.name,
              url=None, file=str(bad.path), error=type(bad.error).__name__,
              exit_code=bad.error.exit_code, unavailable=False, status=None)
        if self.run is not None:
            self.run.checked(bad.path.parent.name, "", "unreadable", error=str(bad.error))

    def add_not_due(self, skipped: NotDue) -> None:
        """A followed thread its schedule skips this run: no request, not counted as checked."""
        self.totals.not_due_threads += 1
        event("thread_not_due", f"{skipped.url} is not due until {skipped.due_at}",
              thread=skipped.key, url=skipped.url, last_checked=skipped.last_checked,
              due_at=skipped.due_at)
        if self.run is not None:
            self.run.checked(skipped.key, skipped.url, "not_due", due_at=skipped.due_at)

    def add(self, outcome: Outcome) -> None:
        """Count one outcome (announce it first: `announce`)."""
        self.totals.requests += outcome.requests
        self.totals.bytes_received += outcome.bytes_received
        if outcome.status == "interrupted":
            if self.interrupted is None:  # the signal may have come to another process
                self.interrupted = Interrupted(signal.Signals[outcome.signal_name])
            return
        self.done += 1
        if outcome.failed:
            self.failures.append(outcome)
            self.totals.failed_threads += 1
            self.totals.unavailable_threads += outcome.status == "unavailable"
            if self.run is not None:
                self.run.checked(outcome.job.key, outcome.job.url, "failed", error=outcome.error,
                                 status=outcome.http_status,
                                 unavailable=outcome.status == "unavailable",
                                 requests=outcome.requests)
            return
        assert outcome.summary is not None
        self.totals.add(outcome.summary)
        if self.run is not None:
            self.run.checked(outcome.summary.key, outcome.summary.url, outcome.status,
                             **run_fields(outcome.summary))

    def stopped(self, signum: int | None) -> None:
        """The run's stop request: a signal that came in the last thread's assets (which
        finished it) still stops the run."""
        if self.interrupted is None and signum is not None:
            self.interrupted = Interrupted(signum)

    def exit_code(self) -> int:
        """The run's exit code: the signal's, else 5 when a page layout was not recognised,
        else 9 when the only failures are threads another run was writing, else 11 (all
        failed) or 10 (some failed), else 0; a `scrape` raises its first failure instead
        (JobFailed), as it always has."""
        if self.interrupted is not None:
            return self.interrupted.exit_code
        if self.command == "scrape" and self.failures:
            raise JobFailed(self.failures[0])
        # By exit code: a thread that stopped at a page (ThreadIncomplete) carries that page's.
        codes = [f.exit_code for f in self.failures] + [u.error.exit_code for u in self.unreadable]
        if LayoutChanged.exit_code in codes:
            return LayoutChanged.exit_code
        if codes and all(f.status == "locked" for f in self.failures) and not self.unreadable:
            return ThreadLocked.exit_code  # as a locked archive: try again later
        if codes:
            return EXIT_TOTAL_FAILURE if len(codes) == self.threads else EXIT_PARTIAL_FAILURE
        return 0

    def summary_fields(self) -> dict[str, Any]:
        """The totals as the run record keeps them (runs.py)."""
        return {"threads_checked": self.done, **asdict(self.totals)}


def announce(outcome: Outcome, say: Callable[[str], None]) -> None:
    """Log one finished job as `scrape` and `update` always have: its JSON log event and
    its console line, given to `say`."""
    if outcome.status == "interrupted":
        return  # the run says once what a stop kept (cli.report_interrupted)
    url, key = outcome.job.url, outcome.job.key
    if outcome.failed:
        if outcome.job.command == "scrape":
            return  # a scrape ends with its first failure (RunFold.exit_code)
        log.error("%s: %s", url, outcome.error)
        event("thread_failed", outcome.error, logging.ERROR, thread=key, url=url,
              error=outcome.error_type, exit_code=outcome.exit_code,
              unavailable=outcome.status == "unavailable", status=outcome.http_status)
        return
    summary = outcome.summary
    assert summary is not None
    if outcome.job.command == "scrape":
        event("thread_archived", summary_paragraph(summary), **thread_fields(summary))
        say(summary_paragraph(summary))
        return
    if summary.moved_to:
        say(f"{url} moved to {summary.moved_to}; followed and recorded.")
    event("thread_checked", f"checked {summary.url}", **thread_fields(summary))


def summary_paragraph(summary: ScrapeSummary) -> str:
    """What `scrape` says of one archived thread."""
    failed = (f" {len(summary.failed_assets)} asset(s) could not be fetched and keep their "
              "remote URL." if summary.failed_assets else "")
    return (
        f"Archived “{summary.title}” ({summary.url}) into threads/{summary.key}: "
        f"{summary.pages} page(s), {summary.posts} post(s) ({summary.new_posts} new, "
        f"{summary.changed_posts} changed, {summary.removed_posts} removed upstream), "
        f"{summary.assets} unique image(s)/attachment(s) "
        f"({summary.new_assets} new), {summary.requests} request(s), "
        f"{summary.bytes_received:,} bytes in {summary.seconds:.1f} s; "
        f"every exchange is in {summary.warc_file}.{failed}{reader_note(summary.engine)}"
    )


def reader_note(engine: str) -> str:
    """What a summary says of a reader that is no board's own engine ("" for one that is)."""
    if is_profile_name(engine):
        return f" Read by the selector profile {engine.removeprefix(PROFILE_PREFIX)!r}."
    if engine and any(e.name == engine and e.generic for e in registered()):
        return (f" Read by the generic {engine} engine: no board engine knew the page, so "
                "only what its markup states was kept.")
    return ""


def update_summary_line(fold: RunFold, seconds: float) -> str:
    """The sentence that ends an `update` on the console."""
    totals = fold.totals
    return (f"Checked {fold.done} thread(s): {totals.new_posts} new post(s), "
            f"{totals.edited_posts} edited, {totals.removed_posts} removed upstream, "
            f"{totals.moved_threads} moved, {totals.failed_threads} failed "
            f"({totals.unavailable_threads} gone or walled off upstream); "
            + (f"{totals.not_due_threads} not due; " if totals.not_due_threads else "")
            + f"{totals.requests} request(s), {totals.bytes_received:,} bytes in "
            f"{seconds:.1f} s.")


def thread_fields(summary: ScrapeSummary) -> dict[str, object]:
    """A thread's summary as JSON log fields."""
    return {"thread": summary.key, "url": summary.url, "pages": summary.pages,
            "posts": summary.posts, "new_posts": summary.new_posts,
            "edited_posts": summary.changed_posts, "removed_posts": summary.removed_posts,
            "new_assets": summary.new_assets, "failed_assets": len(summary.failed_assets),
            "requests": summary.requests, "bytes": summary.bytes_received,
            "seconds": summary.seconds, "moved_to": summary.moved_to or None,
            "warc_file": summary.warc_file, "engine": summary.engine or None}


def run_fields(summary: ScrapeSummary) -> dict[str, object]:
    """What a run record keeps of a thread that was checked (runs.py)."""
    return {"status": summary.status, "requests": summary.requests,
            "new_posts": summary.new_posts, "edited_posts": summary.changed_posts,
            "removed_posts": summary.removed_posts, "new_assets": summary.new_assets,
            "moved_to": summary.moved_to or None, "warc_file": summary.warc_file or None}


def emit_summary(command: str, fold: RunFold, seconds: float, exit_code: int) -> None:
    """The last object of a JSON log: the run's totals and its exit code."""
    totals = fold.totals
    event("summary", f"{command} finished with exit code {exit_code}", command=command,
          threads_checked=fold.done if command == "update" else fold.threads,
          threads_failed=totals.failed_threads,
          threads_unavailable=totals.unavailable_threads, threads_moved=totals.moved_threads,
          threads_not_due=totals.not_due_threads,
          new_posts=totals.new_posts, edited_posts=totals.edited_posts,
          removed_posts=totals.removed_posts, new_assets=totals.new_assets,
          requests=totals.requests, bytes=totals.bytes_received, seconds=round(seconds, 2),
          exit_code=exit_code)


def lanes_of(jobs: Sequence[ThreadJob]) -> list[list[ThreadJob]]:
    """The jobs by origin, in first-seen order: each list is one lane, worked in order."""
    lanes: dict[str, list[ThreadJob]] = {}
    for job in jobs:
        lanes.setdefault(job.origin, []).append(job)
    return list(lanes.values())


def run_local(jobs: Sequence[ThreadJob], archive: ThreadArchive, *, stop: StopRequest,
              run: UpdateRun | None = None, concurrency: int = DEFAULT_CONCURRENCY,
              observing: Callable[[ThreadJob], AbstractContextManager[ScrapeObserver | None]]
              = lambda job: contextlib.nullcontext(),
              finished: Callable[[Outcome], None] = lambda outcome: None) -> None:
    """Run `jobs` in this process: one lane per origin, each with its own PoliteClient and
    its threads one after another, up to `concurrency` lanes at once (threads: the work
    waits on the network). `observing(job)` gives a job's progress observer; `finished` is
    called with each outcome as it comes, one call at a time. Returns when every lane has
    ended; a stop request ends each lane at its next request."""
    report_lock = threading.Lock()

    def work(lane: list[ThreadJob]) -> None:
        settings = lane[0].settings  # one forum's: the jobs of an origin share them
        recorder = run.forum(settings) if run is not None else None
        with PoliteClient(settings, stop=stop) as client:
            for job in lane:
                with observing(job) as observer:
                    outcome = run_job(job, archive, client, recorder, observer, stop)
                with report_lock:
                    finished(outcome)
                if outcome.status == "interrupted":
                    return

    lanes = lanes_of(jobs)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(lanes) or 1)),
                            thread_name_prefix="lane") as pool:
        pending = {pool.submit(work, lane) for lane in lanes}
        failed: BaseException | None = None
        while pending:
            # A timeout, so that the main thread runs its signal handlers promptly.
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None and failed is None:
                    failed = error
    if failed is not None:
        raise failed  # an internal error, or a client that could not be made (its cookies)
