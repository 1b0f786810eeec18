"""The `forum-mirror` command line: scrape, update, build, export, verify, demo, demo-forum."""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .archive import ThreadArchive, atomic_write_bytes
from .errors import ForumMirrorError, LayoutChanged, VerifyFailed
from .fetch import FetchSettings, PoliteClient
from .fetch.addresses import url_host
from .lock import archive_lock
from .records import AssetRef, ParsedPage
from .scrape import ScrapeSummary, scrape_thread

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


def fetch_settings(args: argparse.Namespace, thread_urls: list[str]) -> FetchSettings:
    """The fetch settings the command line asks for."""
    return FetchSettings(delay=args.delay, timeout=args.timeout,
                         max_retries=args.max_retries, obey_robots=not args.ignore_robots,
                         backoff_cap=args.backoff_cap, max_retry_after=args.max_retry_after,
                         max_page_bytes=args.max_page_bytes,
                         max_asset_bytes=args.max_asset_bytes,
                         max_download_seconds=args.max_download_seconds,
                         autothrottle=args.autothrottle,
                         autothrottle_max_delay=args.autothrottle_max_delay,
                         # The user named these threads, so they may be on a private network.
                         allow_private_hosts=frozenset(url_host(u) for u in thread_urls),
                         allow_private_addresses=args.allow_private_addresses,
                         cookies_file=args.cookies)


def cmd_scrape(args: argparse.Namespace) -> int:
    archive = ThreadArchive(args.archive)
    with archive_lock(args.archive), PoliteClient(fetch_settings(args, args.urls)) as client:
        for url in args.urls:
            with _progress() as progress:
                summary = scrape_thread(url, archive, client, ProgressBars(progress))
            console.print(summary_paragraph(summary), highlight=False)
    return 0


# `update` exit codes beyond the errors' own (documented in README.md).
EXIT_PARTIAL_FAILURE = 10
EXIT_TOTAL_FAILURE = 11


def cmd_update(args: argparse.Namespace) -> int:
    archive = ThreadArchive(args.archive)
    started = time.monotonic()
    with archive_lock(args.archive):
        urls = args.urls or [thread.thread.url for thread in archive.threads()]
        if not urls:
            raise ForumMirrorError(f"no threads archived in {args.archive}: scrape one first")
        summaries: list[ScrapeSummary] = []
        failures: list[ForumMirrorError] = []
        with PoliteClient(fetch_settings(args, urls)) as client:
            for url in urls:
                try:
                    with _progress() as progress:
                        summaries.append(scrape_thread(url, archive, client,
                                                       ProgressBars(progress),
                                                       from_last_page=True))
                except ForumMirrorError as error:
                    log.error("%s: %s", url, error)
                    failures.append(error)
        changed = sum(s.new_posts + s.changed_posts for s in summaries)
        console.print(
            f"Checked {len(urls)} thread(s): {sum(s.new_posts for s in summaries)} new post(s), "
            f"{sum(s.changed_posts for s in summaries)} edited, "
            f"{sum(s.removed_posts for s in summaries)} removed upstream, "
            f"{len(failures)} thread(s) failed; "
            f"{sum(s.requests for s in summaries)} request(s), "
            f"{sum(s.bytes_received for s in summaries):,} bytes in "
            f"{time.monotonic() - started:.1f} s.", highlight=False)
        if args.build and changed:
            cmd_build(args)
    if any(isinstance(f, LayoutChanged) for f in failures):
        return LayoutChanged.exit_code
    if failures:
        return EXIT_TOTAL_FAILURE if len(failures) == len(urls) else EXIT_PARTIAL_FAILURE
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .site.build import build_site  # Pelican loads slowly; only the build needs it

    with console.status("building the site with Pelican and Pagefind"):
        report = build_site(args.archive, args.output)
    console.print(
        f"Built {report.threads} thread(s), {report.posts} post(s) into {args.output}/ "
        f"in {report.seconds:.1f} s. Open {args.output}/index.html, or serve it with "
        f"`python -m http.server -d {args.output}` for search.", highlight=False)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .export import write_jsonl

    archive = ThreadArchive(args.archive)
    if not (args.archive / "threads").is_dir():
        raise ForumMirrorError(f"no archive at {args.archive} (expected {args.archive}/threads/)")
    if args.output == "-":
        count = write_jsonl(archive, sys.stdout)
    else:
        buffer = io.StringIO()
        count = write_jsonl(archive, buffer)
        atomic_write_bytes(Path(args.output), buffer.getvalue().encode("utf-8"))
    log.info("exported %d post(s)", count)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .verify import verify_archive

    if not (args.archive / "threads").is_dir():
        raise ForumMirrorError(f"no archive at {args.archive} (expected {args.archive}/threads/)")
    threads, problems = verify_archive(ThreadArchive(args.archive))
    for problem in problems:
        console.print(f"[red]problem:[/] {escape(str(problem))}", highlight=False)
    if problems:
        raise VerifyFailed(f"{len(problems)} problem(s) in {threads} thread(s) of {args.archive}")
    console.print(f"{threads} thread(s) verified: every asset, page and post matches its "
                  "WARC record and the schema.", highlight=False)
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
        cmd_scrape(args)
    cmd_build(args)
    if args.no_serve:
        return 0
    with serve_directory(args.output, args.port) as url:
        console.print(f"The mirror is served at {url} (Ctrl+C stops).", highlight=False)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


@contextlib.contextmanager
def serve_directory(directory: Path, port: int) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 in a background thread; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("site: " + format, *args)


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
        command.add_argument("--delay", type=float, default=defaults.delay, metavar="SECONDS",
                             help="minimum seconds between requests to one host; a larger "
                                  "robots.txt Crawl-delay wins (default: %(default)s)")
        command.add_argument("--timeout", type=float, default=defaults.timeout,
                             metavar="SECONDS", help="per-request timeout (default: %(default)s)")
        command.add_argument("--max-retries", type=int, default=defaults.max_retries,
                             metavar="N", help="retries on 429/5xx/connection errors, with "
                                               "backoff and Retry-After (default: %(default)s)")
        command.add_argument("--backoff-cap", type=float, default=defaults.backoff_cap,
                             metavar="SECONDS", help="longest backoff between retries "
                                                     "(default: %(default)s)")
        command.add_argument("--max-retry-after", type=float, default=defaults.max_retry_after,
                             metavar="SECONDS", help="a longer Retry-After stops that host for "
                                                     "this run instead of waiting "
                                                     "(default: %(default)s)")
        command.add_argument("--max-page-bytes", type=int, default=defaults.max_page_bytes,
                             metavar="BYTES", help="size cap of a page, after decompression "
                                                   "(default: %(default)s)")
        command.add_argument("--max-asset-bytes", type=int, default=defaults.max_asset_bytes,
                             metavar="BYTES", help="size cap of an image or attachment "
                                                   "(default: %(default)s)")
        command.add_argument("--max-download-seconds", type=float,
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
        command.add_argument("--autothrottle-max-delay", type=float,
                             default=defaults.autothrottle_max_delay, metavar="SECONDS",
                             help="most seconds the autothrottle waits between requests to "
                                  "one host (default: %(default)s)")
        command.add_argument("--allow-private-addresses", action="store_true",
                             default=defaults.allow_private_addresses,
                             help="also fetch from hosts on private, loopback or link-local "
                                  "addresses that a page links to (default: only the hosts "
                                  "of the thread URLs given)")
        command.add_argument("--cookies", type=Path, default=defaults.cookies_file,
                             metavar="FILE",
                             help="Netscape cookies.txt to send to the domains it names, for "
                                  "boards behind a login; never stored in the archive or WARC "
                                  "(default: no cookies)")

    def output_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, metavar="DIR",
                             help="site folder (default: %(default)s)")

    scrape = commands.add_parser("scrape", help="archive threads (every page, post, image)",
                                 description="Archive threads politely, with provenance and WARC.")
    scrape.add_argument("urls", nargs="+", metavar="URL", help="thread URL(s)")
    archive_option(scrape)
    fetch_options(scrape)
    scrape.set_defaults(handler=cmd_scrape)

    update = commands.add_parser(
        "update", help="re-check archived threads (for cron)",
        description="Re-check every archived thread (or the URLs given): an unchanged thread "
                    "costs one conditional request; new pages and posts are added, edits keep "
                    "their earlier revisions. Exit codes: 0 success, 10 some threads failed, "
                    "11 all failed, 5 a page layout was not recognised, 9 archive locked.")
    update.add_argument("urls", nargs="*", metavar="URL",
                        help="thread URL(s) to check (default: every archived thread)")
    archive_option(update)
    output_option(update)
    fetch_options(update)
    update.add_argument("--build", action="store_true",
                        help="rebuild the site when something changed (default: no)")
    update.set_defaults(handler=cmd_update)

    build = commands.add_parser("build", help="build the static mirror with Pelican",
                                description="Build the static, searchable mirror of the archive.")
    archive_option(build)
    output_option(build)
    build.set_defaults(handler=cmd_build)

    export = commands.add_parser("export", help="export posts for other tools",
                                 description="Export every post as one JSON object per line.")
    export.add_argument("--format", choices=["jsonl"], default="jsonl",
                        help="output format (default: %(default)s)")
    export.add_argument("-o", "--output", default="-", metavar="FILE",
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
    demo.add_argument("--port", type=int, default=DEMO_SITE_PORT,
                      help="port for the mirror (default: %(default)s)")
    demo.add_argument("--forum-port", type=int, default=DEMO_FORUM_PORT,
                      help="port for the demo forum (default: %(default)s)")
    demo.add_argument("--no-serve", action="store_true", help="stop after the build")
    demo.set_defaults(handler=cmd_demo)

    demo_forum = commands.add_parser("demo-forum", help="serve only the demo forum",
                                     description="Serve the bundled demo XenForo forum on "
                                                 "127.0.0.1 until interrupted.")
    demo_forum.add_argument("--port", type=int, default=DEMO_FORUM_PORT,
                            help="port (default: %(default)s)")
    demo_forum.set_defaults(handler=cmd_demo_forum)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    if not args.verbose:  # our own notes, without every library's chatter
        logging.getLogger("scraper").setLevel(logging.INFO)
    try:
        return args.handler(args)
    except ForumMirrorError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
