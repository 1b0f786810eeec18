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
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .archive import ThreadArchive, UnreadableThread, atomic_write_bytes
from .config import (
    CONFIG_NAME,
    ForumSettings,
    MirrorConfig,
    add_thread,
    check_contact,
    default_config_path,
    load_config,
    user_agent,
    write_config,
)
from .engines import ENGINE_NAMES, ENGINES
from .errors import (
    ArchiveError,
    ConfigError,
    ForumMirrorError,
    Interrupted,
    LayoutChanged,
    VerifyFailed,
)
from .fetch import FetchSettings, PoliteClient
from .fetch.cookies import load_cookies
from .fetch.settings import seconds_problem
from .fetch.stop import StopRequest
from .jsonlog import event, json_log
from .lock import archive_lock
from .recheck import recheck_thread
from .records import AssetRef, ParsedPage
from .runs import UpdateRun
from .scrape import ScrapeSummary, archived_key, new_run_id, scrape_thread, thread_is_gone
from .serve import serve_directory
from .thread_state import ThreadState, ThreadStates
from .urls import origin_of

log = logging.getLogger("forum_mirror")
console = Console(stderr=True, soft_wrap=True)

DEFAULT_ARCHIVE = Path("content")
DEFAULT_OUTPUT = Path("output")
DEMO_FORUM_PORT = 8765
DEMO_SITE_PORT = 8000


class ProgressBars:
    """Draws scrape progress: pages (with the running post count) and assets."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.posts = 0
        self.pages = progress.add_task("pages (0 posts)", total=None)
        self.assets = progress.add_task("images and attachments", total=None, visible=False)

    def page_done(self, page: ParsedPage) -> None:
        self.posts += len(page.posts)
        self.progress.update(self.pages, advance=1, total=page.last_page or None,
                             description=f"pages ({self.posts} posts)")

    def assets_found(self, count: int) -> None:
        self.progress.update(self.pages, total=self.progress.tasks[self.pages].completed)
        self.progress.update(self.assets, total=count, visible=True)

    def asset_done(self, asset: AssetRef) -> None:
        self.progress.update(self.assets, advance=1)


def summary_paragraph(summary: ScrapeSummary) -> str:
    failed = (f" {len(summary.failed_assets)} asset(s) could not be fetched and keep their "
              "remote URL." if summary.failed_assets else "")
    return (
        f"Archived “{summary.title}” ({summary.url}) into threads/{summary.key}: "
        f"{summary.pages} page(s), {summary.posts} post(s) ({summary.new_posts} new, "
        f"{summary.changed_posts} changed, {summary.removed_posts} removed upstream), "
        f"{summary.assets} unique image(s)/attachment(s) "
        f"({summary.new_assets} new), {summary.requests} request(s), "
        f"{summary.bytes_received:,} bytes in {summary.seconds:.1f} s; "
        f"every exchange is in {summary.warc_file}.{failed}"
    )


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


def cmd_scrape(args: argparse.Namespace) -> int:
    archive = ThreadArchive(args.archive)
    config = read_config(args)
    started = time.monotonic()
    totals = RunTotals()
    archived = 0
    code = 0
    with archive_lock(args.archive), stop_on_signals() as stop:
        try:
            for urls in by_forum(args.urls).values():
                settings = fetch_settings(args, urls, config.for_url(urls[0]))
                with PoliteClient(settings, stop=stop) as client:
                    try:
                        for url in urls:
                            with _progress() as progress:
                                summary = scrape_thread(
                                    url, archive, client, ProgressBars(progress),
                                    key=archived_key(url, archive),
                                    engine_name=args.engine or config.for_url(url).engine)
                            totals.add(summary)
                            archived += 1
                            event("thread_archived", summary_paragraph(summary),
                                  **thread_fields(summary))
                            console.print(summary_paragraph(summary), highlight=False)
                            stop.check()  # also after the last thread, stopped in its assets
                    finally:
                        totals.count_traffic(client)
        except Interrupted as interrupted:
            report_interrupted(interrupted, archived, len(args.urls))
            code = interrupted.exit_code
    emit_summary("scrape", totals, len(args.urls), time.monotonic() - started, code)
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
    console.print(message, highlight=False)
    event("interrupted", message, logging.WARNING, signal=interrupted.signal_name,
          threads_done=done)


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
    requests: int = 0
    bytes_received: int = 0

    def add(self, summary: ScrapeSummary) -> None:
        self.new_posts += summary.new_posts
        self.edited_posts += summary.changed_posts
        self.removed_posts += summary.removed_posts
        self.new_assets += summary.new_assets
        self.moved_threads += bool(summary.moved_to)

    def count_traffic(self, client: PoliteClient) -> None:
        # From the client, so the requests of threads that failed count too.
        self.requests += client.requests_made
        self.bytes_received += client.bytes_received


def thread_fields(summary: ScrapeSummary) -> dict[str, object]:
    """A thread's summary as JSON log fields."""
    return {"thread": summary.key, "url": summary.url, "pages": summary.pages,
            "posts": summary.posts, "new_posts": summary.new_posts,
            "edited_posts": summary.changed_posts, "removed_posts": summary.removed_posts,
            "new_assets": summary.new_assets, "failed_assets": len(summary.failed_assets),
            "requests": summary.requests, "bytes": summary.bytes_received,
            "seconds": summary.seconds, "moved_to": summary.moved_to or None,
            "warc_file": summary.warc_file}


def run_fields(summary: ScrapeSummary) -> dict[str, object]:
    """What a run record keeps of a thread that was checked (runs.py)."""
    return {"status": summary.status, "requests": summary.requests,
            "new_posts": summary.new_posts, "edited_posts": summary.changed_posts,
            "removed_posts": summary.removed_posts, "new_assets": summary.new_assets,
            "moved_to": summary.moved_to or None, "warc_file": summary.warc_file or None}


def emit_summary(command: str, totals: RunTotals, threads: int, seconds: float,
                 exit_code: int) -> None:
    """The last object of a JSON log: the run's totals and its exit code."""
    event("summary", f"{command} finished with exit code {exit_code}", command=command,
          threads_checked=threads, threads_failed=totals.failed_threads,
          threads_unavailable=totals.unavailable_threads, threads_moved=totals.moved_threads,
          new_posts=totals.new_posts, edited_posts=totals.edited_posts,
          removed_posts=totals.removed_posts, new_assets=totals.new_assets,
          requests=totals.requests, bytes=totals.bytes_received, seconds=round(seconds, 2),
          exit_code=exit_code)


# `update` exit codes beyond the errors' own (documented in README.md).
EXIT_PARTIAL_FAILURE = 10
EXIT_TOTAL_FAILURE = 11


def update_targets(args: argparse.Namespace, archive: ThreadArchive, config: MirrorConfig
                   ) -> tuple[list[tuple[str, str | None]], list[UnreadableThread]]:
    """(URL, archive key) of each thread to check: those named, else every archived thread
    plus the config's threads not archived yet; and the archived threads that cannot be read.
    The key is None for a URL that only its page can name (a post permalink)."""
    if args.urls:
        return [(url, archived_key(url, archive)) for url in args.urls], []
    targets: dict[str, tuple[str, str | None]] = {}  # by key, else by URL
    unreadable: dict[str, UnreadableThread] = {}  # by folder name
    states = ThreadStates(archive)
    # Each thread's small state file, not its thread.json (read only where the state is stale).
    for thread in states.followed():
        if isinstance(thread, UnreadableThread):
            unreadable[thread.path.parent.name] = thread
        elif isinstance(thread, ThreadState):
            targets[thread.key] = (thread.url, thread.key)
        else:
            targets[thread.key] = (thread.thread.url, thread.key)
    states.mark_indexed()  # every folder's moves are known now
    for url in config.threads:
        key = archived_key(url, archive)
        if key not in unreadable:  # already failed: it must not be scraped over
            targets.setdefault(key or url, (url, key))
    return list(targets.values()), list(unreadable.values())


def cmd_update(args: argparse.Namespace) -> int:
    archive = ThreadArchive(args.archive)
    config = read_config(args)
    started = time.monotonic()
    totals = RunTotals()
    with archive_lock(args.archive), stop_on_signals() as stop:
        run = UpdateRun(archive, new_run_id())
        targets, unreadable = update_targets(args, archive, config)
        if not targets and not unreadable:
            raise ForumMirrorError(f"no threads archived in {args.archive} or listed in "
                                   f"{config.path}: scrape or add one first")
        keys = dict(targets)
        failures: list[ForumMirrorError] = []
        checked = 0
        interrupted: Interrupted | None = None
        for bad in unreadable:
            log.error("%s", bad.error)
            failures.append(bad.error)
            checked += 1
            totals.failed_threads += 1
            event("thread_failed", str(bad.error), logging.ERROR, thread=bad.path.parent.name,
                  url=None, file=str(bad.path), error=type(bad.error).__name__,
                  exit_code=bad.error.exit_code, unavailable=False, status=None)
            run.checked(bad.path.parent.name, "", "unreadable", error=str(bad.error))
        for urls in by_forum(list(keys)).values():
            settings = fetch_settings(args, urls, config.for_url(urls[0]))
            recorder = run.forum(settings)
            with PoliteClient(settings, stop=stop) as client:
                for url in urls:
                    requests_before = client.requests_made
                    try:
                        stop.check()  # before each thread, not only inside them
                        with _progress() as progress:
                            summary = recheck_thread(
                                url, archive, client, recorder, ProgressBars(progress),
                                key=keys[url], run_id=run.run_id,
                                engine_name=args.engine or config.for_url(url).engine)
                    except Interrupted as error:
                        interrupted = error
                        break
                    except ForumMirrorError as error:
                        log.error("%s: %s", url, error)
                        failures.append(error)
                        totals.failed_threads += 1
                        totals.unavailable_threads += thread_is_gone(error)
                        event("thread_failed", str(error), logging.ERROR, thread=keys[url],
                              url=url, error=type(error).__name__, exit_code=error.exit_code,
                              unavailable=thread_is_gone(error),
                              status=getattr(error, "status", None))
                        run.checked(keys[url], url, "failed", error=str(error),
                                    status=getattr(error, "status", None),
                                    unavailable=thread_is_gone(error),
                                    requests=client.requests_made - requests_before)
                        checked += 1
                        continue
                    checked += 1
                    totals.add(summary)
                    run.checked(summary.key, summary.url,
                                "changed" if summary.changed else "unchanged",
                                **run_fields(summary))
                    if summary.moved_to:
                        console.print(f"{url} moved to {summary.moved_to}; followed and "
                                      "recorded.", highlight=False)
                    event("thread_checked", f"checked {summary.url}", **thread_fields(summary))
                totals.count_traffic(client)
            if interrupted is not None:
                break
        if interrupted is None and stop.signum is not None:  # in the last thread's assets
            interrupted = Interrupted(stop.signum)
        if interrupted is not None:
            report_interrupted(interrupted, checked, len(targets))
        seconds = time.monotonic() - started
        console.print(
            f"Checked {checked} thread(s): {totals.new_posts} new post(s), "
            f"{totals.edited_posts} edited, {totals.removed_posts} removed upstream, "
            f"{totals.moved_threads} moved, {totals.failed_threads} failed "
            f"({totals.unavailable_threads} gone or walled off upstream); "
            f"{totals.requests} request(s), {totals.bytes_received:,} bytes in "
            f"{seconds:.1f} s.", highlight=False)
        site_missing = not (args.output / "index.html").is_file()  # a first scheduled run
        if (args.build and interrupted is None
                and (totals.new_posts + totals.edited_posts or site_missing)):
            build_mirror(args)  # threads it cannot read already count as failed above
        code = 0
        if interrupted is not None:
            code = interrupted.exit_code
        # By exit code: a thread that stopped at a page (ThreadIncomplete) carries that page's.
        elif any(f.exit_code == LayoutChanged.exit_code for f in failures):
            code = LayoutChanged.exit_code
        elif failures:
            code = (EXIT_TOTAL_FAILURE if len(failures) == len(targets) + len(unreadable)
                    else EXIT_PARTIAL_FAILURE)
        run.finish(code, {"threads_checked": checked, **asdict(totals)})
    emit_summary("update", totals, checked, time.monotonic() - started, code)
    return code


def cmd_add(args: argparse.Namespace) -> int:
    config = load_config(args.config or default_config_path(args.archive))  # may be new
    cookies = args.cookies.resolve() if args.cookies else None
    if cookies is not None:
        load_cookies(cookies)  # a bad cookies file fails now, not at 3 a.m. in cron
    settings = ForumSettings(delay=args.delay, contact=args.contact, cookies=cookies,
                             engine=args.engine)
    changed = [add_thread(config, url, settings) for url in args.urls]
    if any(changed):
        write_config(config)
        console.print(f"{config.path}: now follows {len(config.threads)} thread(s); "
                      "`forum-mirror update` checks them.", highlight=False)
    else:
        console.print(f"{config.path} already had this; nothing changed.", highlight=False)
    return 0


def build_mirror(args: argparse.Namespace) -> list[UnreadableThread]:
    """Build the site and say so; the threads left out because they cannot be read."""
    from .site.build import build_site  # Pelican loads slowly; only the build needs it

    with console.status("building the site and its search index with Pelican"):
        report = build_site(args.archive, args.output)
    console.print(
        f"Built {report.threads} thread(s), {report.posts} post(s) into {args.output}/ "
        f"in {report.seconds:.1f} s. Open {args.output}/index.html (search works from "
        f"file:// too), or publish the folder as it is.", highlight=False)
    return list(report.unreadable)


def cmd_build(args: argparse.Namespace) -> int:
    unreadable = build_mirror(args)
    if unreadable:
        raise left_out(unreadable, "the site")
    return 0


def left_out(unreadable: Sequence[UnreadableThread], what: str) -> ArchiveError:
    """The error ending a command that handled every thread but these."""
    files = ", ".join(str(thread.path) for thread in unreadable)
    return ArchiveError(f"{len(unreadable)} thread(s) cannot be read and were left out of "
                        f"{what}: {files}")


def cmd_export(args: argparse.Namespace) -> int:
    from .export import write_jsonl

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
    from .verify import verify_archive

    threads, problems = verify_archive(ThreadArchive(args.archive))
    for problem in problems:
        console.print(f"[red]problem:[/] {escape(str(problem))}", highlight=False)
    if problems:
        raise VerifyFailed(f"{len(problems)} problem(s) in {threads} thread(s) of {args.archive}")
    console.print(f"{threads} thread(s) verified: every asset, page and post matches its "
                  "WARC record and the schema.", highlight=False)
    return 0


def engine_rows() -> list[dict[str, object]]:
    """What `forum-mirror engines` lists, one row per engine."""
    return [{"name": e.name, "reads": e.summary, "example": e.example,
             "examples": list(e.examples) or [e.example]} for e in ENGINES]


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
    return 0


def cmd_demo_forum(args: argparse.Namespace) -> int:
    from .demo_forum import serve_forever

    serve_forever(args.port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo_forum import DemoForum

    with DemoForum(port=args.forum_port) as forum:
        console.print(f"Demo forum running at {forum.base_url}/", highlight=False)
        args.urls = [forum.thread_url]
        code = cmd_scrape(args)
        if code:
            return code
    cmd_build(args)
    if args.no_serve:
        return 0
    with serve_directory(args.output, args.port) as url:
        console.print(f"The mirror is served at {url} (Ctrl+C stops).", highlight=False)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


@contextlib.contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        yield progress


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
        command.add_argument("--engine", choices=ENGINE_NAMES, default=None, metavar="NAME",
                             help="the forum software, for a URL whose shape or page cannot "
                                  "tell (see `forum-mirror engines`); an archived thread keeps "
                                  "its own (default: the forum's engine in the config file, "
                                  "else the URL, else the first page)")

    def config_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--config", type=Path, default=None, metavar="FILE",
                             help="config file: threads to follow and per-forum delay, "
                                  f"contact and cookies (default: ARCHIVE/{CONFIG_NAME})")

    def log_json_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--log-json", type=log_file, default=None, metavar="FILE",
                             help="also write JSON Lines logs for schedulers to FILE (appended), "
                                  "'-' for standard output; the last line is the run's summary "
                                  "(default: none)")

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
    log_json_option(scrape)
    scrape.set_defaults(handler=cmd_scrape)

    update = commands.add_parser(
        "update", help="re-check archived threads (for cron)",
        description="Re-check every archived thread and every thread of the config file (or "
                    "the URLs given): an unchanged thread costs one conditional request; new "
                    "pages and posts are added, edits keep their earlier revisions, a moved "
                    "thread (301) is followed and the move recorded. Exit codes: 0 success, "
                    "10 some threads failed, 11 all failed, 5 a page layout was not "
                    "recognised, 9 archive locked, 12 bad config file, 130/143 stopped by "
                    "Ctrl-C/SIGTERM.")
    update.add_argument("urls", nargs="*", metavar="URL",
                        help="thread URL(s) to check (default: every archived thread and "
                             "every thread of the config file)")
    archive_option(update)
    config_option(update)
    output_option(update)
    fetch_options(update)
    log_json_option(update)
    engine_option(update)
    update.add_argument("--build", action="store_true",
                        help="rebuild the site when something changed or it is not built "
                             "yet (default: no)")
    update.set_defaults(handler=cmd_update)

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
    demo.set_defaults(handler=cmd_demo, engine=None)

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


def retry_count(text: str) -> int:
    """An argparse type: retries, 0 to 100 (the backoff doubles with each, and overflows a
    float past 1023)."""
    return _integer(text, 0, 100)


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
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    if not args.verbose:  # our own notes, without every library's chatter
        logging.getLogger("scraper").setLevel(logging.INFO)
    # httpcore's debug trace dumps every response's headers, Set-Cookie values included;
    # -v logs each request itself (scraper.fetch.client), without them.
    logging.getLogger("httpcore").setLevel(logging.INFO)
    # SIGTERM ends any command as Ctrl-C does (scrape and update stop gracefully instead).
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        with json_log(getattr(args, "log_json", None)):
            return _run(args)
    except OSError as error:  # only opening or closing the JSON log: _run catches the rest
        console.print(f"[bold red]error:[/] cannot write the JSON log {escape(args.log_json)}: "
                      f"{escape(str(error))}", highlight=False)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _run(args: argparse.Namespace) -> int:
    """Run the command; any error ends in one line on the console and the JSON summary."""
    try:
        return args.handler(args)  # type: ignore[no-any-return]
    except KeyboardInterrupt:
        return _failed(args, Interrupted(signal.SIGINT))
    except ForumMirrorError as error:
        return _failed(args, error)
    except Exception as unexpected:
        hint = "the traceback follows" if args.verbose else "run with -v for the traceback"
        internal = ForumMirrorError(f"internal error: {type(unexpected).__name__}: "
                                    f"{unexpected}; {hint}")
        code = _failed(args, internal, type(unexpected).__name__)
        if args.verbose:  # the plain traceback: rich's shows local values, cookies among them
            console.print(escape(traceback.format_exc().rstrip()), highlight=False)
        return code


def _failed(args: argparse.Namespace, error: ForumMirrorError, name: str | None = None) -> int:
    console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    event("summary", str(error), logging.ERROR, command=args.command,
          error=name or type(error).__name__, exit_code=error.exit_code)
    return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
