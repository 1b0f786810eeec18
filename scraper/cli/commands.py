"""The `forum-mirror` command line: scrape, update, add, build, export, verify, demo, ..."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rich.markup import escape

from .. import __version__
from ..archive import ThreadArchive, UnreadableThread, atomic_write_bytes
from ..config import (
    CONFIG_NAME,
    MAX_REVISIT,
    ForumSettings,
    MirrorConfig,
    add_thread,
    check_contact,
    default_config_path,
    load_config,
    user_agent,
    write_config,
)
from ..engines import ENGINE_NAMES, registered
from ..engines.profile import PREFIX as PROFILE_PREFIX
from ..errors import (
    ConfigError,
    ForumMirrorError,
    Interrupted,
    QueueUnavailable,
    VerifyFailed,
)
from ..fetch import FetchSettings
from ..fetch.cookies import load_cookies
from ..fetch.settings import seconds_problem
from ..fetch.stop import StopRequest
from ..jsonlog import event
from ..lanes import PROCESSES_FROM_THREADS, processes_for, run_spread
from ..lock import archive_lock
from ..recheck import DEFAULT_REVISIT
from ..records import AssetRef, ParsedPage
from ..runner import (
    DEFAULT_CONCURRENCY,
    Command,
    Outcome,
    RunFold,
    ThreadJob,
    announce,
    emit_summary,
    run_local,
    update_summary_line,
)
from ..runner import (
    EXIT_PARTIAL_FAILURE as EXIT_PARTIAL_FAILURE,  # re-exported: scripts and tests use them
)
from ..runner import (
    EXIT_TOTAL_FAILURE as EXIT_TOTAL_FAILURE,
)
from ..runs import UpdateRun
from ..schedule import NotDue, split_due
from ..scrape import archived_key, new_run_id
from ..thread_state import ThreadState, ThreadStates
from ..urls import canonical_url, origin_of
from . import DEFAULT_ARCHIVE, DEFAULT_OUTPUT
from .build import build_mirror, cmd_build
from .running import console, left_out, run_command

if TYPE_CHECKING:
    from rich.progress import Progress

log = logging.getLogger("forum_mirror")

DEMO_FORUM_PORT = 8765
DEMO_SITE_PORT = 8000
# `worker --lease`: well above the longest pause of a busy worker's heartbeats (about 1 s).
DEFAULT_LEASE_SECONDS = 60.0


class ThreadBars:
    """One thread's lines in the run's progress display: its host, pages (with the running
    post count) and assets."""

    def __init__(self, progress: Progress, job: ThreadJob) -> None:
        self.progress = progress
        url = urlsplit(job.url)
        self.label = f"{url.netloc} {url.path}"  # the host first: one line per host at work
        self.posts = self.pages_read = 0
        self.pages = progress.add_task(f"{self.label}: pages (0 posts)", total=None)
        self.assets = progress.add_task(f"{self.label}: images and attachments", total=None,
                                        visible=False)

    def page_done(self, page: ParsedPage) -> None:
        self.posts += len(page.posts)
        self.pages_read += 1
        self.progress.update(self.pages, advance=1, total=page.last_page or None,
                             description=f"{self.label}: pages ({self.posts} posts)")

    def assets_found(self, count: int) -> None:
        self.progress.update(self.pages, total=self.pages_read)
        self.progress.update(self.assets, total=count, visible=True)

    def asset_done(self, asset: AssetRef) -> None:
        self.progress.update(self.assets, advance=1)

    def close(self) -> None:
        self.progress.remove_task(self.pages)
        self.progress.remove_task(self.assets)


class RunProgress:
    """A run's progress display: the lines of each thread at work (one per host working),
    and the run's total."""

    def __init__(self, progress: Progress, threads: int) -> None:
        self.progress = progress
        self.total = progress.add_task("threads", total=threads)

    @contextlib.contextmanager
    def observing(self, job: ThreadJob) -> Iterator[ThreadBars]:
        """The observer of one job while it runs (`runner.run_local`)."""
        bars = ThreadBars(self.progress, job)
        try:
            yield bars
        finally:
            bars.close()
            self.progress.advance(self.total)


def say(message: str) -> None:
    """One plain line on the console (no markup, no highlighting: URLs and titles as they are)."""
    console.print(message, highlight=False, markup=False)


def fetch_settings(
    args: argparse.Namespace, thread_urls: list[str], forum: ForumSettings | None = None
) -> FetchSettings:
    """The fetch settings the command line asks for; options not given on the command line
    come from the forum's settings in the config file, then from the defaults."""
    forum = forum or ForumSettings()
    delay = args.delay if args.delay is not None else forum.delay
    return FetchSettings(delay=FetchSettings.delay if delay is None else delay,
                         user_agent=user_agent(args.contact or forum.contact),
                         timeout=args.timeout,
                         max_retries=args.max_retries, obey_robots=not args.ignore_robots,
                         backoff_cap=args.backoff_cap, max_retry_after=args.max_retry_after,
                         max_page_bytes=args.max_page_bytes,
                         max_asset_bytes=args.max_asset_bytes,
                         max_download_seconds=args.max_download_seconds,
                         autothrottle=args.autothrottle,
                         autothrottle_max_delay=args.autothrottle_max_delay,
                         # The user named these threads, so they may be on a private network
                         # (only their own origins: another port is another service).
                         allow_private_origins=frozenset(str(origin_of(u)) for u in thread_urls),
                         allow_private_addresses=args.allow_private_addresses,
                         cookies_file=args.cookies or forum.cookies)


def read_config(args: argparse.Namespace) -> MirrorConfig:
    """The config file `--config` names (it must exist), else `<archive>/forum-mirror.toml`."""
    if getattr(args, "config", None) is not None:  # `demo` has no --config
        return load_config(args.config, required=True)
    return load_config(default_config_path(args.archive))


def by_forum(urls: list[str]) -> dict[str, list[str]]:
    """Thread URLs grouped by origin, in first-seen order: each forum gets its own settings.

    `UnsupportedUrl` for an unusable URL (say, one with a password), before any request."""
    groups: dict[str, list[str]] = {}
    for url in urls:
        groups.setdefault(str(origin_of(url)), []).append(url)
    return groups


def plan_jobs(args: argparse.Namespace, config: MirrorConfig, command: Command,
              targets: list[tuple[str, str | None]], run_id: str = "") -> list[ThreadJob]:
    """The jobs of a run: (URL, archive key) of each thread, with its forum's settings.

    `UnsupportedUrl` for an unusable URL (say, one with a password), before any request."""
    keys = dict(targets)
    forced = forced_reader(args, config)
    jobs = []
    for urls in by_forum(list(keys)).values():
        settings = fetch_settings(args, urls, config.for_url(urls[0]))
        for url in urls:
            forum = config.for_url(url)
            update = command == "update"
            jobs.append(ThreadJob(command, url, keys[url], forced or forum.reader,
                                  settings, run_id,
                                  revisit=revisit_count(args, forum) if update else 0,
                                  full=update and args.full))
    return jobs


def forced_reader(args: argparse.Namespace, config: MirrorConfig) -> str | None:
    """The engine `--engine NAME` or `--profile NAME` names (`profile:NAME`), else None;
    ConfigError when the config file has no such profile."""
    profile = getattr(args, "profile", None)
    if profile is None:
        engine: str | None = getattr(args, "engine", None)
        return engine
    if profile not in config.profiles:
        raise ConfigError(f"{config.path}: no profile {profile!r} for --profile (defined: "
                          f"{', '.join(config.profiles) or 'none'}; see docs/profiles.md)")
    return PROFILE_PREFIX + str(profile)


def run_jobs(args: argparse.Namespace, jobs: list[ThreadJob], archive: ThreadArchive,
             stop: StopRequest, fold: RunFold, run: UpdateRun | None = None,
             config_path: Path | None = None) -> None:
    """Run the jobs here, host beside host, announcing and folding each outcome; a `scrape`
    of many threads in more than one process (`--processes`, lanes.py)."""
    def finished(outcome: Outcome) -> None:
        announce(outcome, say)
        fold.add(outcome)

    processes = (processes_for(getattr(args, "processes", 1), jobs) if run is None else 1)
    with _progress(len(jobs)) as observing:
        if processes > 1:
            log.info("%d thread(s) in %d processes", len(jobs), processes)
            run_spread(jobs, archive, stop=stop, processes=processes,
                       concurrency=args.concurrency, config_path=config_path,
                       observing=observing, finished=finished)
        else:
            run_local(jobs, archive, stop=stop, run=run, concurrency=args.concurrency,
                      observing=observing, finished=finished)
    fold.stopped(stop.signum)


def run_queued(args: argparse.Namespace, jobs: list[ThreadJob], stop: StopRequest,
               fold: RunFold) -> bool:
    """Hand the jobs to the workers on `--queue`; with `--wait`, announce and fold each
    outcome as a worker hands it back, as `run_jobs` does. False when they were only queued."""
    import secrets

    from ..workqueue import JobQueue, shown_queue

    queue = JobQueue(args.queue)
    try:
        batch = queue.submit(jobs, f"{new_run_id()}-{secrets.token_hex(3)}")
        where = shown_queue(args.queue)
        if not args.wait:
            message = (f"Queued {len(jobs)} thread(s) on {where} (batch {batch.batch_id}); "
                       "`forum-mirror worker` archives them.")
            say(message)
            event("summary", message, command=args.command, threads_queued=len(jobs),
                  batch=batch.batch_id, exit_code=fold.exit_code())
            return False
        say(f"Queued {len(jobs)} thread(s) on {where}; waiting for the workers.")
        try:
            for outcome in queue.outcomes(batch, stop):
                announce(outcome, say)
                fold.add(outcome)
        except QueueUnavailable:
            raise
        except Interrupted:
            say("The threads not done yet stay queued: the workers go on with them.")
        fold.stopped(stop.signum)
    finally:
        queue.close()
    return True


def cmd_worker(args: argparse.Namespace) -> int:
    from ..workqueue import QueueWorker, shown_queue, worker_signals

    if not args.verbose:
        # Its consumers log each lost connection to Redis, which the worker reports itself.
        logging.getLogger("dramatiq").setLevel(logging.CRITICAL + 1)
    archive = ThreadArchive(args.archive)
    load_config(default_config_path(args.archive))  # its selector profiles, which jobs name
    stop = StopRequest()

    def finished(outcome: Outcome) -> None:
        said = outcome.error or (f"{outcome.summary.new_posts} new post(s)"
                                 if outcome.summary is not None else "")
        say(f"{outcome.job.command} {outcome.job.url}: {outcome.status} ({said}; "
            f"{outcome.requests} request(s))")

    with archive_lock(args.archive):
        worker = QueueWorker(args.queue, archive, concurrency=args.concurrency,
                             lease_seconds=args.lease, stop=stop, finished=finished)
        previous = {s: signal.signal(s, worker_signals(worker))
                    for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            say(f"Working for {shown_queue(args.queue)} into {args.archive}, "
                f"{args.concurrency} thread(s) at a time; SIGTERM stops after them.")
            worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    say(f"Stopped after {worker.jobs_done} thread(s).")
    return 128 + stop.signum if stop.signum is not None else 0


def cmd_scrape(args: argparse.Namespace) -> int:
    archive = ThreadArchive(args.archive)
    config = read_config(args)
    started = time.monotonic()
    fold = RunFold("scrape", len(args.urls))
    with archive_lock(args.archive), stop_on_signals() as stop:
        jobs = plan_jobs(args, config, "scrape",
                         [(url, archived_key(url, archive)) for url in args.urls])
        if args.queue is None:
            run_jobs(args, jobs, archive, stop, fold, config_path=config.path)
        elif not run_queued(args, jobs, stop, fold):
            return 0
        if fold.interrupted is not None:
            report_interrupted(fold.interrupted, fold.done, len(args.urls))
        code = fold.exit_code()  # raises a thread's failure (JobFailed)
    emit_summary("scrape", fold, time.monotonic() - started, code)
    return code


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """While open, the first SIGINT or SIGTERM stops the run gracefully: no new request is
    sent, what is complete is kept (see `scrape_thread`); a second one exits at once."""
    stop = StopRequest()

    def on_signal(signum: int, frame: object) -> None:
        if stop.requested:
            # Every archive file is written to a temporary file and renamed into place, so
            # leaving now keeps the previous file; the next run removes the temporary one, and
            # the unfinished WARC stays as `.part`, holding what this run fetched.
            show_cursor = b"\x1b[?25h" if console.is_terminal else b""  # progress bars hid it
            os.write(2, show_cursor + b"\nstopped at once\n")
            os._exit(128 + signum)
        stop.request(signum)
        console.print(f"{signal.Signals(signum).name}: finishing the request in flight, then "
                      "stopping; press Ctrl+C again to stop at once", highlight=False)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def report_interrupted(interrupted: Interrupted, done: int, total: int) -> None:
    """Say what a stopped run kept."""
    message = (f"{interrupted}: {done} of {total} thread(s) done; the others keep their earlier "
               "archive. Run the same command again to finish.")
    console.print(message, highlight=False, markup=False)
    event("interrupted", message, logging.WARNING, signal=interrupted.signal_name,
          threads_done=done)


def update_targets(args: argparse.Namespace, archive: ThreadArchive, config: MirrorConfig
                   ) -> tuple[list[tuple[str, str | None]], list[UnreadableThread]]:
    """(URL, archive key) of each thread to check: those named, else every archived thread
    plus the config's threads not archived yet; and the archived threads that cannot be read.
    The key is None for a URL that only its page can name (a post permalink)."""
    if args.urls:
        return named_targets(args.urls, archive, config), []
    targets: dict[str, tuple[str, str | None]] = {}  # by key, else by URL
    unreadable: dict[str, UnreadableThread] = {}  # by folder name
    states = ThreadStates(archive)
    # Each thread's small state file, not its thread.json (read only where the state is stale).
    for thread in states.followed():
        if isinstance(thread, UnreadableThread):
            unreadable[thread.path.parent.name] = thread
            continue
        check_profile(config, thread.key, thread.engine)
        if isinstance(thread, ThreadState):
            targets[thread.key] = (thread.url, thread.key)
        else:
            targets[thread.key] = (thread.thread.url, thread.key)
    states.mark_indexed()  # every folder's moves are known now
    for url in config.threads:
        key = archived_key(url, archive)
        if key not in unreadable:  # already failed: it must not be scraped over
            targets.setdefault(key or url, (url, key))
    return list(targets.values()), list(unreadable.values())


def named_targets(urls: list[str], archive: ThreadArchive, config: MirrorConfig
                  ) -> list[tuple[str, str | None]]:
    """(URL, archive key) of each thread named on the command line. A URL whose shape no
    engine reads as that thread (a selector profile's) is looked up among the archived
    threads' URLs, so its thread keeps its engine (and a profile gone is exit 12)."""
    states = ThreadStates(archive)
    archived: dict[str, tuple[str, str]] | None = None  # canonical URL -> (key, engine)
    named: list[tuple[str, str | None]] = []
    for url in urls:
        key = archived_key(url, archive)
        state = states.current(key) if key is not None else None
        found = (key, state.engine) if key is not None and state is not None else None
        if found is None:
            if archived is None:
                archived = {canonical_url(t.url if isinstance(t, ThreadState) else t.thread.url):
                            (t.key, t.engine) for t in states.followed()
                            if not isinstance(t, UnreadableThread)}
            found = archived.get(canonical_url(url))
        if found is not None:
            check_profile(config, found[0], found[1])
            key = found[0]
        named.append((url, key))
    return named


def check_profile(config: MirrorConfig, key: str, engine: str) -> None:
    """ConfigError (exit 12, before any request) when thread `key` was archived with a
    selector profile the config file no longer defines."""
    if engine.startswith(PROFILE_PREFIX) and engine.removeprefix(PROFILE_PREFIX) not in (
            config.profiles):
        name = engine.removeprefix(PROFILE_PREFIX)
        raise ConfigError(f"{config.path}: thread {key} was archived with the selector profile "
                          f"{name!r}, which this file no longer defines: add its "
                          f"[profiles.{name}] table back (see contrib/profiles/)")


def revisit_count(args: argparse.Namespace, forum: ForumSettings) -> int:
    """How many earlier pages of each thread an update reads again: `--revisit`, else the
    forum's `revisit`, else the default."""
    if args.revisit is not None:
        return int(args.revisit)
    return DEFAULT_REVISIT if forum.revisit is None else forum.revisit


def cmd_update(args: argparse.Namespace) -> int:
    archive = ThreadArchive(args.archive)
    config = read_config(args)
    started = time.monotonic()
    with archive_lock(args.archive), stop_on_signals() as stop:
        run = UpdateRun(archive, new_run_id())
        targets, unreadable = update_targets(args, archive, config)
        if not targets and not unreadable:
            raise ForumMirrorError(f"no threads archived in {args.archive} or listed in "
                                   f"{config.path}: scrape or add one first")
        not_due: list[NotDue] = []
        if not args.urls:  # a thread named on the command line is always checked
            targets, not_due = split_due(targets, ThreadStates(archive),
                                         lambda url: config.for_url(url).schedule())
        fold = RunFold("update", len(targets) + len(unreadable), run)
        for skipped in not_due:
            fold.add_not_due(skipped)
        for bad in unreadable:
            fold.add_unreadable(bad)
        jobs = plan_jobs(args, config, "update", targets, run.run_id)
        if args.queue is None:
            run_jobs(args, jobs, archive, stop, fold, run)
        elif not run_queued(args, jobs, stop, fold):
            return fold.exit_code()  # the unreadable threads' (10, 11), else 0
        if fold.interrupted is not None:
            report_interrupted(fold.interrupted, fold.done, len(targets))
        say(update_summary_line(fold, time.monotonic() - started))
        site_missing = not (args.output / "index.html").is_file()  # a first scheduled run
        if (args.build and fold.interrupted is None
                and (fold.totals.new_posts + fold.totals.edited_posts or site_missing)):
            build_mirror(args)  # threads it cannot read already count as failed above
        code = fold.exit_code()
        run.finish(code, fold.summary_fields())
    emit_summary("update", fold, time.monotonic() - started, code)
    return code


def cmd_add(args: argparse.Namespace) -> int:
    config = load_config(args.config or default_config_path(args.archive))  # may be new
    cookies = args.cookies.resolve() if args.cookies else None
    if cookies is not None:
        load_cookies(cookies)  # a bad cookies file fails now, not at 3 a.m. in cron
    if args.profile is not None and args.profile not in config.profiles:
        forced_reader(args, config)  # raises: the message names the profiles there are
    settings = ForumSettings(delay=args.delay, contact=args.contact, cookies=cookies,
                             engine=args.engine, profile=args.profile)
    changed = [add_thread(config, url, settings) for url in args.urls]
    if any(changed):
        write_config(config)
        console.print(f"{config.path}: now follows {len(config.threads)} thread(s); "
                      "`forum-mirror update` checks them.", highlight=False)
    else:
        console.print(f"{config.path} already had this; nothing changed.", highlight=False)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..export import write_jsonl

    archive = ThreadArchive(args.archive)
    if args.output == "-":
        report = write_jsonl(archive, sys.stdout)
    else:
        buffer = io.StringIO()
        report = write_jsonl(archive, buffer)
        atomic_write_bytes(Path(args.output), buffer.getvalue().encode("utf-8"))
    log.info("exported %d post(s)", report.posts)
    if report.unreadable:
        raise left_out(report.unreadable, "the export")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from ..verify import verify_archive

    load_config(default_config_path(args.archive))  # the profiles its threads were read by
    threads, problems = verify_archive(ThreadArchive(args.archive))
    for problem in problems:
        console.print(f"[red]problem:[/] {escape(str(problem))}", highlight=False)
    if problems:
        raise VerifyFailed(f"{len(problems)} problem(s) in {threads} thread(s) of {args.archive}")
    console.print(f"{threads} thread(s) verified: every asset, page and post matches its "
                  "WARC record and the schema.", highlight=False)
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from ..engines import engine_named
    from ..fetch import PoliteClient
    from ..probe import probe, report_lines

    config = read_config(args)
    forum = config.for_url(args.url)
    forced = forced_reader(args, config)
    named = forced or forum.reader
    why = ("named on the command line" if forced else
           f"named for this forum in {config.path}" if named else "")
    settings = fetch_settings(args, [args.url], forum)
    with PoliteClient(settings) as client:
        report = probe(args.url, client, engine_named(named) if named else None, why)
    if args.json:
        sys.stdout.write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write("".join(line + "\n" for line in report_lines(report)))
    return 0


def engine_rows() -> list[dict[str, object]]:
    """What `forum-mirror engines` lists, one row per engine."""
    return [{"name": e.name, "reads": e.summary, "example": e.example,
             "examples": list(e.examples) or [e.example]} for e in registered()]


# A board no engine knows: the mechanism, after the engines (not a row of `--json`, whose
# names scripts pass to --engine).
PROFILE_LINE = ("and any board through a selector profile: [profiles.NAME] in forum-mirror.toml, "
                "then --profile NAME or [forums.\"host\"] profile = \"NAME\" (docs/profiles.md; "
                "see it with forum-mirror probe URL --profile NAME)")


def cmd_engines(args: argparse.Namespace) -> int:
    rows = engine_rows()
    if args.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return 0
    width = max(len(str(row["name"])) for row in rows)
    for row in rows:  # plain lines: URLs stay whole for copying, whatever the terminal
        sys.stdout.write(f"{row['name']:<{width}}  {row['reads']}\n")
        for example in row["examples"]:  # type: ignore[attr-defined]
            sys.stdout.write(f"{'':<{width}}    {example}\n")
    sys.stdout.write(PROFILE_LINE + "\n")
    return 0


def cmd_demo_forum(args: argparse.Namespace) -> int:
    from ..demo_forum import serve_forever

    serve_forever(args.port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo_forum import DemoForum

    with DemoForum(port=args.forum_port) as forum:
        console.print(f"Demo forum running at {forum.base_url}/", highlight=False)
        args.urls = [forum.thread_url]
        code = cmd_scrape(args)
        if code:
            return code
    cmd_build(args)
    if args.no_serve:
        return 0
    from ..serve import serve_directory

    with serve_directory(args.output, args.port) as url:
        console.print(f"The mirror is served at {url} (Ctrl+C stops).", highlight=False)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


@contextlib.contextmanager
def _progress(threads: int) -> Iterator[Callable[[ThreadJob],
                                                 AbstractContextManager[ThreadBars | None]]]:
    """The progress observer of each job of a run of `threads`: bars on a terminal. Not
    on a log file or a pipe (cron), where the transient bars show nothing, while their
    refresh thread would still take the GIL ten times a second from the scrape."""
    if not console.is_terminal:
        yield lambda job: contextlib.nullcontext()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        yield RunProgress(progress, threads).observing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forum-mirror",
        description="Preserve forum threads with provenance and publish a static mirror.",
    )
    parser.add_argument("--version", action="version", version=f"forum-mirror {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = FetchSettings()

    def archive_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE, metavar="DIR",
                             help="archive folder (default: %(default)s)")

    def fetch_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--delay", type=non_negative, default=None, metavar="SECONDS",
                             help="minimum seconds between requests to one host; a larger "
                                  "robots.txt Crawl-delay wins (default: the forum's delay "
                                  f"in the config file, else {defaults.delay})")
        contact_option(command)
        command.add_argument("--timeout", type=positive_seconds, default=defaults.timeout,
                             metavar="SECONDS", help="per-request timeout (default: %(default)s)")
        command.add_argument("--max-retries", type=retry_count, default=defaults.max_retries,
                             metavar="N", help="retries on 429/5xx/connection errors, with "
                                               "backoff and Retry-After (default: %(default)s)")
        command.add_argument("--backoff-cap", type=non_negative, default=defaults.backoff_cap,
                             metavar="SECONDS", help="longest backoff between retries "
                                                     "(default: %(default)s)")
        command.add_argument("--max-retry-after", type=non_negative,
                             default=defaults.max_retry_after,
                             metavar="SECONDS", help="a longer Retry-After stops that host for "
                                                     "this run instead of waiting "
                                                     "(default: %(default)s)")
        command.add_argument("--max-page-bytes", type=byte_limit,
                             default=defaults.max_page_bytes,
                             metavar="BYTES", help="size cap of a page, after decompression "
                                                   "(default: %(default)s)")
        command.add_argument("--max-asset-bytes", type=byte_limit,
                             default=defaults.max_asset_bytes,
                             metavar="BYTES", help="size cap of an image or attachment "
                                                   "(default: %(default)s)")
        command.add_argument("--max-download-seconds", type=positive_seconds,
                             default=defaults.max_download_seconds, metavar="SECONDS",
                             help="total time one download may take, against servers that "
                                  "trickle bytes (default: %(default)s)")
        command.add_argument("--ignore-robots", action="store_true",
                             default=not defaults.obey_robots,
                             help="fetch what robots.txt disallows, only with the site owner's "
                                  "permission; recorded in the WARC and thread.json "
                                  "(default: obey robots.txt)")
        command.add_argument("--autothrottle", action=argparse.BooleanOptionalAction,
                             default=defaults.autothrottle,
                             help="ask slow hosts, and hosts that answer 429/503, less often; "
                                  "never faster than --delay (default: %(default)s)")
        command.add_argument("--autothrottle-max-delay", type=non_negative,
                             default=defaults.autothrottle_max_delay, metavar="SECONDS",
                             help="most seconds the autothrottle waits between requests to "
                                  "one host (default: %(default)s)")
        command.add_argument("--allow-private-addresses", action="store_true",
                             default=defaults.allow_private_addresses,
                             help="also fetch from hosts on private, loopback or link-local "
                                  "addresses that a page links to (default: only the origins, "
                                  "scheme, host and port, of the thread URLs given)")
        command.add_argument("--cookies", type=Path, default=defaults.cookies_file,
                             metavar="FILE",
                             help="Netscape cookies.txt to send to the domains it names, for "
                                  "boards behind a login; never stored in the archive or WARC "
                                  "(default: the forum's cookies in the config file, else none)")

    def contact_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--contact", type=contact_text, default=None, metavar="CONTACT",
                             help="your e-mail address or URL, sent in the User-Agent so a "
                                  "board's admins can reach you (default: the forum's contact "
                                  "in the config file, else none)")

    def engine_option(command: argparse.ArgumentParser) -> None:
        which = command.add_mutually_exclusive_group()
        which.add_argument("--engine", choices=ENGINE_NAMES, default=None, metavar="NAME",
                           help="the forum software, for a URL whose shape or page cannot "
                                "tell (see `forum-mirror engines`); an archived thread keeps "
                                "its own (default: the forum's engine in the config file, "
                                "else the URL, else the first page)")
        which.add_argument("--profile", default=None, metavar="NAME",
                           help="read the board with the selector profile [profiles.NAME] of "
                                "the config file (docs/profiles.md) instead of an engine "
                                "(default: the forum's profile in the config file, if any)")

    def config_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--config", type=Path, default=None, metavar="FILE",
                             help="config file: threads to follow and per-forum delay, "
                                  f"contact and cookies (default: ARCHIVE/{CONFIG_NAME})")

    def log_json_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--log-json", type=log_file, default=None, metavar="FILE",
                             help="also write JSON Lines logs for schedulers to FILE (appended), "
                                  "'-' for standard output; the last line is the run's summary "
                                  "(default: none)")

    def concurrency_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--concurrency", type=concurrency_count,
                             default=DEFAULT_CONCURRENCY, metavar="N",
                             help="hosts worked at the same time, each one request at a time "
                                  "at its delay and its threads one after another "
                                  "(default: %(default)s)")

    def queue_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--queue", type=queue_url, default=None, metavar="URL",
                             help="hand one job per thread to the workers on this Redis "
                                  "(redis://HOST:PORT/DB; see `forum-mirror worker`) instead "
                                  "of fetching here (default: fetch here)")
        command.add_argument("--wait", action="store_true",
                             help="with --queue: wait for the workers, and report and exit as "
                                  "a run here does (default: queue the jobs and exit)")

    def output_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, metavar="DIR",
                             help="site folder (default: %(default)s)")

    scrape = commands.add_parser("scrape", help="archive threads (every page, post, image)",
                                 description="Archive threads politely, with provenance and WARC.")
    scrape.add_argument("urls", nargs="+", metavar="URL", help="thread URL(s)")
    engine_option(scrape)
    archive_option(scrape)
    config_option(scrape)
    fetch_options(scrape)
    concurrency_option(scrape)
    scrape.add_argument("--processes", type=processes_count, default=None, metavar="N",
                        help="processes the hosts are spread over, each host in one (default: "
                             f"two from {PROCESSES_FROM_THREADS} threads on, on a machine with "
                             "two cores or more, else one)")
    queue_options(scrape)
    log_json_option(scrape)
    scrape.set_defaults(handler=cmd_scrape)

    update = commands.add_parser(
        "update", help="re-check archived threads (for cron)",
        description="Re-check every archived thread and every thread of the config file (or "
                    "the URLs given): its last page and the --revisit least recently read "
                    "earlier ones are asked for conditionally, so an unchanged thread costs "
                    "a few requests however long it is; threads not due by their forum's "
                    "check_every/adaptive schedule are skipped; new pages and posts are "
                    "added, edits keep their earlier revisions, a moved "
                    "thread (301) is followed and the move recorded. Exit codes: 0 success, "
                    "10 some threads failed, 11 all failed, 5 a page layout was not "
                    "recognised, 9 archive or thread locked by another run, 12 bad config "
                    "file, 130/143 stopped by Ctrl-C/SIGTERM.")
    update.add_argument("urls", nargs="*", metavar="URL",
                        help="thread URL(s) to check (default: every archived thread and "
                             "every thread of the config file)")
    archive_option(update)
    config_option(update)
    output_option(update)
    fetch_options(update)
    concurrency_option(update)
    queue_options(update)
    log_json_option(update)
    engine_option(update)
    update.add_argument("--build", action="store_true",
                        help="rebuild the site when something changed or it is not built "
                             "yet (default: no)")
    update.add_argument("--revisit", type=revisit_pages, metavar="N",
                        help="earlier pages of each thread to read again besides the last "
                             "(the least recently read; conditional requests), so edits on "
                             f"any page are found (default: {DEFAULT_REVISIT}, or the "
                             "config's `revisit`)")
    update.add_argument("--full", action="store_true",
                        help="read every page of each thread again (conditional requests), "
                             "not only the last and the least recently read")
    update.set_defaults(handler=cmd_update)

    worker = commands.add_parser(
        "worker", help="archive the threads queued on a shared Redis",
        description="Take thread jobs from the queue that `scrape`/`update --queue` fill, one "
                    "thread per job, politely across all workers (each host's delay is kept "
                    "in Redis), until SIGTERM: then finish the threads in progress and exit 0. "
                    "A worker that dies loses nothing: its threads go to another worker once "
                    "its lease has passed. Exit codes: 13 Redis cannot be reached or went "
                    "away, 9 archive locked.")
    worker.add_argument("--queue", type=queue_url, required=True, metavar="URL",
                        help="the Redis of the queue: redis://HOST:PORT/DB (also rediss://, "
                             "unix://)")
    archive_option(worker)
    worker.add_argument("--concurrency", type=concurrency_count, default=DEFAULT_CONCURRENCY,
                        metavar="N", help="threads worked at the same time (default: "
                                          "%(default)s)")
    worker.add_argument("--lease", type=positive_seconds, default=DEFAULT_LEASE_SECONDS,
                        metavar="SECONDS",
                        help="a worker silent this long is taken for dead and its threads are "
                             "given to others; the same on every worker (default: "
                             "%(default)s)")
    worker.set_defaults(handler=cmd_worker)

    add = commands.add_parser(
        "add", help="follow a thread: add it to the config file",
        description="Add thread URL(s) to the config file, which `update` reads, and set its "
                    "forum's delay, contact and cookies when given. Adding a thread already "
                    "listed changes nothing. The file is rewritten in canonical form "
                    "(comments are not kept).")
    add.add_argument("urls", nargs="+", metavar="URL", help="thread URL(s)")
    archive_option(add)
    config_option(add)
    engine_option(add)
    add.add_argument("--delay", type=non_negative, default=None, metavar="SECONDS",
                     help="seconds between requests to this forum (default: leave as is)")
    contact_option(add)
    add.add_argument("--cookies", type=Path, default=None, metavar="FILE",
                     help="Netscape cookies.txt for this forum (default: leave as is)")
    add.set_defaults(handler=cmd_add)

    build = commands.add_parser("build", help="build the static mirror with Pelican",
                                description="Build the static, searchable mirror of the archive.")
    archive_option(build)
    output_option(build)
    build.set_defaults(handler=cmd_build)

    export = commands.add_parser("export", help="export posts for other tools",
                                 description="Export every post as one JSON object per line.")
    export.add_argument("--format", choices=["jsonl"], default="jsonl",
                        help="output format (default: %(default)s)")
    export.add_argument("-o", "--output", type=new_file, default="-", metavar="FILE",
                        help="output file, '-' for standard output (default: %(default)s)")
    archive_option(export)
    export.set_defaults(handler=cmd_export)

    verify = commands.add_parser("verify", help="check the archive against its evidence",
                                 description="Re-hash every asset and page, check every post "
                                             "against the WARC record it came from and the "
                                             "archive against its JSON Schema; exit 8 on any "
                                             "problem.")
    archive_option(verify)
    verify.set_defaults(handler=cmd_verify)

    demo = commands.add_parser("demo", help="demo forum -> scrape -> build -> serve",
                               description="Start the bundled demo forum, archive its thread, "
                                           "build the mirror and serve it on 127.0.0.1.")
    archive_option(demo)
    output_option(demo)
    fetch_options(demo)
    demo.set_defaults(delay=0.2)
    demo.add_argument("--port", type=port_number, default=DEMO_SITE_PORT,
                      help="port for the mirror (default: %(default)s)")
    demo.add_argument("--forum-port", type=port_number, default=DEMO_FORUM_PORT,
                      help="port for the demo forum (default: %(default)s)")
    demo.add_argument("--no-serve", action="store_true", help="stop after the build")
    demo.set_defaults(handler=cmd_demo, engine=None, concurrency=1, queue=None, wait=False)

    probe = commands.add_parser(
        "probe", help="show what a scrape of a thread would archive, archiving nothing",
        description="Fetch the thread's first page (and an API engine's first answer) "
                    "politely, as a scrape would, write nothing to the archive, and show the "
                    "engine chosen and why (the markers it saw, the other engines' scores), "
                    "the thread's title and id, each post found (id, author, time as read and "
                    "as shown, first words, images), the next page and warnings (posts "
                    "without ids, times that did not parse). Exit codes as scrape's: 2, 3, 4, "
                    "5, 7, 12.")
    probe.add_argument("url", metavar="URL", help="a thread URL")
    engine_option(probe)
    archive_option(probe)
    config_option(probe)
    fetch_options(probe)
    probe.add_argument("--json", action="store_true",
                       help="one JSON object, for scripts (default: lines to read)")
    probe.set_defaults(handler=cmd_probe)

    engines = commands.add_parser(
        "engines", help="list the forum engines and the URLs each reads",
        description="List the forum engines: name, the software and versions each reads, and "
                    "example thread URLs (any page or post permalink of a thread works too).")
    engines.add_argument("--json", action="store_true",
                         help="one JSON array, for scripts (default: a table)")
    engines.set_defaults(handler=cmd_engines)

    demo_forum = commands.add_parser("demo-forum", help="serve only the demo forum",
                                     description="Serve the bundled demo XenForo forum on "
                                                 "127.0.0.1 until interrupted.")
    demo_forum.add_argument("--port", type=port_number, default=DEMO_FORUM_PORT,
                            help="port (default: %(default)s)")
    demo_forum.set_defaults(handler=cmd_demo_forum)
    return parser


def queue_url(text: str) -> str:
    """An argparse type: a Redis URL for `--queue`."""
    parts = urlsplit(text)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        raise argparse.ArgumentTypeError(
            f"must be a Redis URL such as redis://127.0.0.1:6379/0, not {text}")
    return text


def non_negative(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more (see `seconds_problem`)."""
    return _seconds(text, positive=False)


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0 (see `seconds_problem`)."""
    return _seconds(text, positive=True)


def _seconds(text: str, *, positive: bool) -> float:
    value = float(text)  # argparse turns a ValueError into "invalid ... value"
    problem = seconds_problem(value, positive=positive)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem}, not {text}")
    return value


def _integer(text: str, low: int, high: int | None = None) -> int:
    value = int(text)
    if value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise argparse.ArgumentTypeError(f"must be a whole number {span}, not {text}")
    return value


def revisit_pages(text: str) -> int:
    return _integer(text, 0, MAX_REVISIT)


def retry_count(text: str) -> int:
    """An argparse type: retries, 0 to 100 (the backoff doubles with each, and overflows a
    float past 1023)."""
    return _integer(text, 0, 100)


def processes_count(text: str) -> int:
    """An argparse type: processes for a run's hosts, 1 to 16."""
    return _integer(text, 1, 16)


def concurrency_count(text: str) -> int:
    """An argparse type: hosts at once, 1 to 256 (each is a thread and a connection pool)."""
    return _integer(text, 1, 256)


def byte_limit(text: str) -> int:
    """An argparse type: a size cap in bytes, at least 1."""
    return _integer(text, 1)


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    return _integer(text, 0, 65535)


def new_file(text: str) -> str:
    """An argparse type: '-' (standard output) or a file to write, in a folder that exists."""
    path = Path(text)
    if text == "-":
        return text
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; name a file in it, such as "
                                         f"{path / 'posts.jsonl'}")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist; create it "
                                         "first or name a file in another folder")
    return text


def log_file(text: str) -> str:
    """An argparse type: '-' or a JSON log file to append to (its folders are created)."""
    if text != "-" and Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; name a file in it, such as "
                                         f"{Path(text) / 'forum-mirror.jsonl'}")
    return text


def contact_text(text: str) -> str:
    """An argparse type: a contact that fits in a User-Agent header."""
    try:
        return check_contact(text, "--contact")
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "wait", False) and args.queue is None:
        parser.error("--wait needs --queue")
    return run_command(args)
