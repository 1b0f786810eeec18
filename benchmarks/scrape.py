"""Scrape speed against a bare fetch loop and forum-dl, and the cost of an unchanged update.

A XenForo-shaped board (the demo forum with generated posts) is rendered once, recorded into
memory and replayed by a tiny loopback server, so the board is not what is measured. Then,
side by side in one run and each in its own child process (wall time and peak RSS):

- a bare httpx loop over exactly the URLs our scrape fetched (read from its archive),
- `forum-mirror scrape` at `--delay 0`, with robots.txt, the throttle, WARC and hashing on
  (these two `ROUNDS` times, in turn: the median run of each counts),
- forum-dl 0.3.0, when its virtual environment exists (`--forum-dl`, default
  /tmp/forumdl/bin/forum-dl; make it with `python -m venv /tmp/forumdl &&
  /tmp/forumdl/bin/pip install forum-dl==0.3.0 'pydantic<2'`).

And for threads of several lengths: what an `update` that finds nothing new costs (requests,
seconds). Run: `.venv/bin/python -m benchmarks.scrape [--pages 200] [--update-pages 10 100 1000]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import pickle
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx

from benchmarks.report import Benchmark, Goal, Measurement, Plot, Sizes, child_environment
from scraper.archive import ThreadArchive
from scraper.demo_forum import DemoForum, SeedPost, pages, seed
from scraper.demo_forum.seed import Attachment, Member, Text
from scraper.serve import LoopbackHTTPServer

ROOT = Path(__file__).resolve().parents[1]
FORUM_DL = Path("/tmp/forumdl/bin/forum-dl")
log = logging.getLogger(__name__)
MEMBERS = 37  # a long thread's regulars: their names, avatars and joined dates repeat
# Runs of forum-mirror and of the bare loop, taken in turn (the median of each counts): on
# this kind of machine one run of ours took from 1.44 to 1.93 s within a minute, the bare
# loop's 0.47-0.51 s, and a median of three moved the ratio by a tenth. forum-dl takes ten
# times as long and runs once.
ROUNDS = 5
# Issue 11 states its goals for a 200-page thread; shorter ones are run fewer times (their
# figures are for information only) to keep the quick run short.
GOAL_PAGES = 200
INFO_ROUNDS = 3
IMAGE_EVERY = 100  # one post in this many carries a photo

# The bare loop: one kept-alive httpx client, every URL in turn, the body read and dropped.
BARE_LOOP = """
import sys, httpx
urls = open(sys.argv[1], encoding="utf-8").read().split()
with httpx.Client(headers={"User-Agent": "bare-loop"}) as client:
    for url in urls:
        client.get(url).read()
"""


# --- the board ------------------------------------------------------------------------------


def members(count: int = MEMBERS) -> tuple[Member, ...]:
    """`count` members with their own joined dates; every other one uploaded an avatar."""
    return tuple(
        Member(
            user_id=2000 + number, username=f"عضو_{number}", slug=f"member_{number}",
            user_title="عضو نشيط", joined=date(2009, 1, 1) + timedelta(days=137 * number),
            message_count=100 + 37 * number, reaction_score=10 * number,
            avatar_colors=("#1f477a", "#709edb"),
            avatar_date=1637000000 + number if number % 2 else None,
        )
        for number in range(count)
    )


def generated_posts(total: int, image_every: int = IMAGE_EVERY) -> list[SeedPost]:
    """The posts after the seed thread's, for a thread of `total` posts: seed texts cycled,
    written by `members()` in turn, a photo of its own every `image_every` posts."""
    extra = total - len(seed.SEED_POSTS)
    if extra < 0:
        raise ValueError(f"a thread has at least the {len(seed.SEED_POSTS)} seed posts")
    texts = [v for k, v in sorted(vars(seed).items()) if k.startswith("_P") and isinstance(v, str)]
    people = members()
    posts = []
    for number in range(extra):
        attachments: tuple[Attachment, ...] = ()
        if number % image_every == image_every - 1:
            attachment_id = 500_000 + number
            # A name of its own: the demo forum draws every file name as a different JPEG.
            attachments = (Attachment(attachment_id, attachment_id, f"photo-{number}.jpg", 10),)
        posts.append(SeedPost(
            post_id=300_000 + number, author=people[number % len(people)],
            segments=(Text(f"{texts[number % len(texts)]} ({number})"),),
            attachments=attachments,
        ))
    return posts


def board_paths(forum: DemoForum) -> list[str]:
    """Every path a reader of the thread may ask for: robots.txt, the board and forum
    pages, the thread URL without its slash, each thread page, every attachment and
    thumbnail, every size of each avatar."""
    thread = forum.thread
    # The thread URL without its slash is where forum-dl starts (the board redirects it).
    paths = ["/robots.txt", "/", pages.forum_path(thread), pages.thread_path(thread).rstrip("/")]
    paths += [pages.thread_path(thread, page)
              for page in range(1, pages.page_count(thread, forum.posts_per_page) + 1)]
    for post in thread.posts:
        for attachment in post.attachments:
            paths += [pages.attachment_path(attachment), pages.thumbnail_path(attachment)]
    paths += [pages.avatar_path(member, size) for member in thread.members
              if member.avatar_date is not None for size in AVATAR_SIZES]
    return paths


AVATAR_SIZES = ("s", "m", "l", "h")
# Hop-by-hop and per-response headers the replay writes itself.
_OWN_HEADERS = frozenset({"content-length", "date", "connection", "keep-alive"})


@dataclass(frozen=True)
class Recorded:
    """One recorded answer, ready to send: status line and headers, then the body."""

    head: bytes
    body: bytes
    not_modified: bytes | None  # the 304 answer, for a response with an ETag
    etag: str | None


def _record(response: httpx.Response, old_base: str, new_base: str) -> Recorded:
    # Pages link with absolute URLs: point them at the replay server instead.
    body = response.content.replace(old_base.encode(), new_base.encode())
    lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    for name, value in response.headers.multi_items():
        if name.lower() not in _OWN_HEADERS:
            lines.append(f"{name}: {value.replace(old_base, new_base)}")
    lines.append(f"Content-Length: {len(body)}")
    etag = response.headers.get("etag")
    not_modified = None
    if etag is not None:
        validators = [f"ETag: {etag}"]
        if "last-modified" in response.headers:
            validators.append(f"Last-Modified: {response.headers['last-modified']}")
        not_modified = "\r\n".join(["HTTP/1.1 304 Not Modified", *validators, "", ""]).encode()
    return Recorded("\r\n".join([*lines, "", ""]).encode("latin-1"), body, not_modified, etag)


_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept alive, as the board is
    disable_nagle_algorithm = True  # one write per answer; no wait for a delayed ACK
    board: ReplayBoard  # set on the per-board subclass

    def do_GET(self) -> None:
        self.board.count()
        found = self.board.recorded.get(self.path.split("?", 1)[0])
        if found is None:
            self.wfile.write(_NOT_FOUND)
        elif found.not_modified and found.etag and found.etag in self.headers.get(
                "If-None-Match", ""):
            self.wfile.write(found.not_modified)
        else:
            self.wfile.write(found.head + found.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: a request per line would cost more than the answer."""


class ReplayBoard:
    """The demo board with `posts` posts in pages of `posts_per_page`, rendered once and
    replayed from memory on 127.0.0.1 (with ETags and 304s, as the board answers).

    `save` keeps what it recorded and its port, and `saved` replays that on the same port
    (its pages link to it, and so does an archive scraped from it), so that the suite's
    set-up can render a board once, beside another benchmark (`prepare`)."""

    def __init__(self, posts: int, posts_per_page: int, image_every: int = IMAGE_EVERY,
                 *, _saved: Path | None = None) -> None:
        handler = type("BoardReplayHandler", (ReplayHandler,), {"board": self})
        self.requests = 0
        self._lock = threading.Lock()
        if _saved is not None:
            with _saved.open("rb") as file:
                port, self.thread_url, self.pages, self.recorded = pickle.load(file)
            self._server = LoopbackHTTPServer(("127.0.0.1", port), handler)
            self.base_url = f"http://127.0.0.1:{port}"
        else:
            self._server = LoopbackHTTPServer(("127.0.0.1", 0), handler)
            self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
            with DemoForum(posts_per_page=posts_per_page,
                           extra_posts=generated_posts(posts, image_every)) as forum, \
                    httpx.Client(base_url=forum.base_url) as client:
                self.thread_url = self.base_url + pages.thread_path(forum.thread)
                self.pages = pages.page_count(forum.thread, posts_per_page)
                self.recorded = {
                    path.split("?", 1)[0]: _record(client.get(path), forum.base_url,
                                                   self.base_url)
                    for path in board_paths(forum)
                }
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def save(self, path: Path) -> None:
        """Keep the recording and the port for `saved` (written whole, then renamed)."""
        temporary = path.with_suffix(".partial")
        with temporary.open("wb") as file:
            pickle.dump((self._server.server_address[1], self.thread_url, self.pages,
                         self.recorded), file, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)

    @classmethod
    def saved(cls, folder: Path, posts: int, posts_per_page: int) -> ReplayBoard:
        """The board of this shape that `save` kept in `folder`, on its port; rendered anew
        (and kept) when there is none or another program has taken the port meanwhile."""
        path = folder / f"board-{posts}x{posts_per_page}.pickle"
        if path.exists():
            try:
                return cls(posts, posts_per_page, _saved=path)
            except OSError:  # the port is taken: a new one, and a new recording
                log.info("board %s: its port is taken, rendered again", path)
        board = cls(posts, posts_per_page)
        board.save(path)
        return board

    def count(self) -> None:
        with self._lock:
            self.requests += 1

    def take_count(self) -> int:
        """Requests served since the last call."""
        with self._lock:
            count, self.requests = self.requests, 0
        return count

    def __enter__(self) -> ReplayBoard:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # `shutdown` waits for the serving loop to look at its flag, which it does each
        # half second (its poll) or as a connection comes in: one does, so that it stops
        # at once instead of 0-0.5 s later (boards stop ten times a run).
        stopping = threading.Thread(target=self._server.shutdown)
        stopping.start()
        while stopping.is_alive():
            with contextlib.suppress(OSError), socket.create_connection(
                    self._server.server_address[:2], timeout=1):
                pass
            stopping.join(0.01)
        self._server.server_close()
        self._thread.join(timeout=5)


# `python -c PROFILER OUT ARGS...`: `forum-mirror ARGS` with every thread profiled, in CPU time (`-m
# cProfile` sees only the main thread, and the lanes are threads), merged into OUT.
PROFILER = """
import atexit, cProfile, pstats, runpy, sys, threading, time
out, sys.argv = sys.argv[1], ["forum-mirror", *sys.argv[2:]]
profiles = [cProfile.Profile(time.thread_time)]
def start(*_):
    profiles.append(cProfile.Profile(time.thread_time))
    profiles[-1].enable()
def dump():
    for profile in profiles:
        profile.disable()
    pstats.Stats(*profiles).dump_stats(out)
threading.setprofile(start)
atexit.register(dump)
profiles[0].enable()
runpy.run_module("scraper.cli", run_name="__main__")
"""


# --- child processes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One tool's run of the same job: wall time, peak RSS, requests the board served."""

    tool: str
    usage: ChildUsage
    requests: int
    note: str = ""


# Peak RSS of a child as its parent sees it (wait4) also counts the memory of whoever forked
# it, up to its exec: this benchmark holds the whole board. A small launcher in between, a
# fresh interpreter, forks the tool from a small process instead.
LAUNCHER = """
import os, shutil, sys
command = sys.argv[2:]
pid = os.posix_spawn(shutil.which(command[0]) or command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss * 1024} {os.waitstatus_to_exitcode(status)} "
              f"{usage.ru_utime + usage.ru_stime}")
"""


@dataclass(frozen=True)
class ChildUsage:
    seconds: float  # wall time
    cpu_seconds: float  # user + system: less shaken than wall time by a busy machine
    peak_rss_bytes: int
    exit_code: int


def run_child(argv: Sequence[str], log: Path, pycache: Path | None = None) -> ChildUsage:
    """Run `argv` from the project root, its output to `log`, and say what it used. The
    compiled modules go to `pycache` (default: next to `log`, in `pycache/`): warm them up
    with a first run (`warm_up`)."""
    usage = log.with_suffix(".rusage")
    started = time.perf_counter()
    with log.open("wb") as output:
        subprocess.run([sys.executable, "-c", LAUNCHER, str(usage), *argv], cwd=ROOT,
                       env=child_environment(pycache or log.parent / "pycache"),
                       stdout=output, stderr=subprocess.STDOUT, check=True)
    seconds = time.perf_counter() - started
    peak, code, cpu = usage.read_text().split()
    return ChildUsage(seconds, float(cpu), int(peak), int(code))


def forum_mirror(*args: str, profile: Path | None = None) -> list[str]:
    """The command line of `forum-mirror ARGS` from this tree; with `profile`, every thread
    profiled in CPU time into that file (a scrape runs in a thread of its own: runner.py)."""
    tool = ["-c", PROFILER, str(profile)] if profile else ["-m", "scraper.cli"]
    return [sys.executable, *tool, *args]


def fetched_urls(archive: Path) -> list[str]:
    """What a scrape fetched, from its archive: robots.txt, each page, each asset."""
    urls: list[str] = []
    for thread in ThreadArchive(archive).threads():
        urls += [robots_url(thread.thread.url)]
        urls += [page.capture.url for page in thread.pages]
        urls += [url for asset in thread.assets for url in asset.urls]
    return urls


def robots_url(url: str) -> str:
    split = httpx.URL(url)
    return str(split.copy_with(path="/robots.txt", query=None, fragment=None))


# --- the measurements -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScrapeComparison:
    pages: int
    posts: int
    urls: int  # fetched by our scrape (the bare loop fetches the same)
    runs: tuple[Run, ...]

    def run(self, tool: str) -> Run | None:
        return next((r for r in self.runs if r.tool == tool), None)


def warm_up(work: Path, forum_dl: Path | None, pycache: Path | None = None) -> Path:
    """Start each tool once, so that every measured run finds its modules compiled in
    `pycache` (default `work/pycache`), which it returns. A tool already started with that
    folder is not started again: the measurements of a run share one."""
    pycache = pycache or work / "pycache"
    pycache.mkdir(parents=True, exist_ok=True)
    tools = [("forum-mirror", forum_mirror("--help")),
             # httpx imports httpcore (and h11) only as it makes a client's transport: make one.
             ("httpx", [sys.executable, "-c", "import httpx; httpx.Client().close()"])]
    if forum_dl is not None and forum_dl.exists():
        tools.append(("forum-dl", [str(forum_dl), "--version"]))
    for name, argv in tools:
        warmed = pycache / f"{name}.warmed"
        if not warmed.exists():
            run_child(argv, work / "warm-up.log", pycache)
            warmed.touch()
    return pycache


def compare_scrape(pages_count: int, posts_per_page: int, work: Path, *,
                   forum_dl: Path | None = FORUM_DL, profile: Path | None = None,
                   pycache: Path | None = None, rounds: int = ROUNDS) -> ScrapeComparison:
    """Scrape a thread of `pages_count` pages with forum-mirror and the bare loop, in turn,
    `rounds` times (each forum-mirror run into a new archive), then with forum-dl (when
    `forum_dl` exists), against one replayed board; each tool's median run stands for it.
    `pycache`: see `warm_up`."""
    work.mkdir(parents=True, exist_ok=True)
    posts = pages_count * posts_per_page
    ours: list[Run] = []
    bare: list[Run] = []
    pycache = warm_up(work, forum_dl, pycache)
    with ReplayBoard.saved(work, posts, posts_per_page) as board:
        url_file = work / "urls.txt"
        for round_number in range(1 if profile else rounds):
            archive = work / f"archive-{round_number}"
            shutil.rmtree(archive, ignore_errors=True)
            usage = run_child(
                forum_mirror("scrape", board.thread_url, "--archive", str(archive), "--delay",
                             "0", profile=profile),
                work / "forum-mirror.log", pycache)
            ours.append(Run("forum-mirror", usage, board.take_count()))
            if round_number == 0:
                urls = fetched_urls(archive)
                url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
            usage = run_child([sys.executable, "-c", BARE_LOOP, str(url_file)],
                              work / "bare.log", pycache)
            bare.append(Run("bare httpx loop", usage, board.take_count()))
        runs = [_median_run(ours), _median_run(bare)]
        if forum_dl is not None and forum_dl.exists():
            output = work / "forum-dl"
            output.mkdir(exist_ok=True)
            usage = run_child(
                [str(forum_dl), "-f", "jsonl", "-o", str(output / "posts.jsonl"),
                 "--files-output", str(output / "files"), board.thread_url],
                work / "forum-dl.log", pycache)
            found = _forum_dl_posts(output / "posts.jsonl")
            runs.append(Run("forum-dl 0.3.0", usage, board.take_count(), f"{found} posts written"))
    return ScrapeComparison(pages_count, posts, len(urls), tuple(runs))


def _median_run(runs: list[Run]) -> Run:
    """The run of median wall time (the later of the two middle ones), noting the others'
    times: on a shared machine one run of a tool can take half as long again as the next."""
    by_time = sorted(runs, key=lambda run: run.usage.seconds)
    chosen = by_time[len(runs) // 2]
    if len(runs) == 1:
        return chosen
    spread = f"{by_time[0].usage.seconds:.2f}–{by_time[-1].usage.seconds:.2f} s"
    return replace(chosen, note=", ".join(filter(None, [
        chosen.note, f"median of {len(runs)} runs in turn with the other tool's ({spread})"])))


def _forum_dl_posts(path: Path) -> int:
    if not path.exists():
        return 0
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if json.loads(line).get("type") == "post")


@dataclass(frozen=True)
class UpdateCost:
    """An `update` of an archived thread of `pages` pages that found nothing new."""

    pages: int
    requests: int  # counted by the board
    seconds: float  # the command's own summary (interpreter start-up excluded)
    wall_seconds: float
    cpu_seconds: float
    new_posts: int


SCRAPED = "scraped"  # marks an update's folder whose archive holds the whole thread


@contextmanager
def _scraped_board(count: int, folder: Path, posts_per_page: int,
                   pycache: Path) -> Iterator[ReplayBoard]:
    """The board of a thread of `count` pages, serving, with its thread scraped into
    `folder/archive`: what an update is timed against. `prepare` leaves both in `folder`;
    with none there (or the board's port taken since), they are made now."""
    folder.mkdir(parents=True, exist_ok=True)
    posts = max(count * posts_per_page, len(seed.SEED_POSTS))
    with ReplayBoard.saved(folder, posts, posts_per_page) as board:
        marker = folder / SCRAPED
        if not (marker.exists() and marker.read_text() == board.base_url):
            archive = folder / "archive"
            shutil.rmtree(archive, ignore_errors=True)
            scraped = run_child(forum_mirror("scrape", board.thread_url, "--archive",
                                             str(archive), "--delay", "0"),
                                folder / "scrape.log", pycache)
            if scraped.exit_code != 0:
                raise RuntimeError(f"scrape of {count} pages failed: see {folder}/scrape.log")
            marker.write_text(board.base_url)
            board.take_count()
        yield board


def prepare_updates(page_counts: Sequence[int], work: Path, posts_per_page: int = 1,
                    pycache: Path | None = None) -> None:
    """`update_costs`' set-up, each thread rendered and scraped, left in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    pycache = warm_up(work, None, pycache)
    for count in page_counts:
        with _scraped_board(count, work / f"update-{count}", posts_per_page, pycache):
            pass


def update_costs(page_counts: Sequence[int], work: Path, posts_per_page: int = 1,
                 pycache: Path | None = None) -> list[UpdateCost]:
    """For each length: scrape the thread (unless `prepare_updates` did), then time an
    `update` that finds it unchanged. `pycache`: see `warm_up`."""
    costs = []
    work.mkdir(parents=True, exist_ok=True)
    pycache = warm_up(work, None, pycache)
    for count in page_counts:
        folder = work / f"update-{count}"
        archive = folder / "archive"
        with _scraped_board(count, folder, posts_per_page, pycache) as board:
            events = folder / "update.jsonl"
            updated = run_child(
                forum_mirror("update", board.thread_url, "--archive", str(archive),
                             "--delay", "0", "--log-json", str(events)),
                folder / "update.log", pycache)
            if updated.exit_code != 0:
                raise RuntimeError(f"update of {count} pages failed: see {folder}/update.log")
            summary = [json.loads(line) for line in events.read_text("utf-8").splitlines()][-1]
            costs.append(UpdateCost(board.pages, board.take_count(), summary["seconds"],
                                    updated.seconds, updated.cpu_seconds, summary["new_posts"]))
    return costs


# --- the command line -----------------------------------------------------------------------


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def scrape_table(result: ScrapeComparison) -> str:
    """The comparison as a text table, with the ratios the goals are stated in."""
    bare = result.run("bare httpx loop")
    ours = result.run("forum-mirror")
    lines = [f"scrape: {result.pages} pages, {result.posts} posts, {result.urls} URLs",
             f"{'tool':<18} {'seconds':>8} {'CPU s':>7} {'peak RSS':>9} {'requests':>8} "
             f"{'exit':>4}"]
    for run in result.runs:
        use = run.usage
        lines.append(f"{run.tool:<18} {use.seconds:>8.2f} {use.cpu_seconds:>7.2f} "
                     f"{_mib(use.peak_rss_bytes):>9} {run.requests:>8} {use.exit_code:>4}  "
                     f"{run.note}".rstrip())
    # CPU seconds beside wall time: on a busy machine they are the steadier figure (ours
    # include the page-reading process's, a child of the scrape).
    if bare and ours:
        lines.append(f"forum-mirror / bare loop: {ours.usage.seconds / bare.usage.seconds:.1f}x "
                     f"wall time (goal <= 3x), "
                     f"{ours.usage.cpu_seconds / bare.usage.cpu_seconds:.1f}x CPU time")
    forum_dl = result.run("forum-dl 0.3.0")
    if forum_dl and ours:
        lines.append(f"forum-dl / forum-mirror: {forum_dl.usage.seconds / ours.usage.seconds:.1f}x "
                     f"wall time (goal >= 10x), "
                     f"{forum_dl.usage.cpu_seconds / ours.usage.cpu_seconds:.1f}x CPU time")
    return "\n".join(lines)


def update_table(costs: Sequence[UpdateCost]) -> str:
    lines = ["unchanged update",
             f"{'pages':>6} {'requests':>8} {'seconds':>8} {'wall s':>7} {'CPU s':>6}"]
    lines += [f"{c.pages:>6} {c.requests:>8} {c.seconds:>8.2f} {c.wall_seconds:>7.2f} "
              f"{c.cpu_seconds:>6.2f}" for c in costs]
    return "\n".join(lines)


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="bench-scrape-") as temp:
        yield Path(temp)


# The suite's set-up (`Benchmark.prepare`, beside a benchmark that mostly waits), in two
# parts that may run at once: what `run` finds in `workdir`. Nothing of it is timed: in
# `run` it took a third of the benchmark's time (the 1,000-page board rendered, its 1,000
# pages scraped).


def prepare_boards(sizes: Sizes, workdir: Path) -> None:
    """Each board the tools scrape rendered and recorded, and every tool warmed up
    (forum-dl's start-up, compiling its modules, took 1-2 s)."""
    warm_up(workdir, FORUM_DL if sizes.forum_dl_pages else None, workdir / "pycache")
    for pages_count in sizes.pages:
        folder = workdir / f"scrape-{pages_count}"
        folder.mkdir(parents=True, exist_ok=True)
        posts = pages_count * sizes.posts_per_page
        with ReplayBoard.saved(folder, posts, sizes.posts_per_page):
            pass


def prepare_threads(sizes: Sizes, workdir: Path) -> None:
    """Each thread an update is timed on, its board rendered and the thread scraped."""
    prepare_updates(sizes.update_pages, workdir / "update", pycache=workdir / "pycache")


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """The suite's entry (benchmarks/report.py): every thread length of `sizes.pages` scraped
    by each tool, and an unchanged update of every length of `sizes.update_pages`."""
    found: list[Measurement] = []
    pycache = workdir / "pycache"  # every tool compiled once for the whole benchmark
    for pages_count in sizes.pages:
        result = compare_scrape(
            pages_count, sizes.posts_per_page, workdir / f"scrape-{pages_count}",
            forum_dl=FORUM_DL if pages_count in sizes.forum_dl_pages else None, pycache=pycache,
            rounds=ROUNDS if pages_count >= GOAL_PAGES else INFO_ROUNDS)
        # CPU seconds beside the wall time: on a busy machine they are the steadier figure.
        found += [Measurement(r.tool, pages_count, r.usage.seconds, r.usage.peak_rss_bytes,
                              requests=r.requests, unit="pages",
                              note=", ".join(filter(None, [f"CPU {r.usage.cpu_seconds:.2f} s",
                                                           r.note])))
                  for r in result.runs]
    for cost in update_costs(sizes.update_pages, workdir / "update", pycache=pycache):
        found.append(Measurement("unchanged update", cost.pages, cost.seconds,
                                 requests=cost.requests, unit="pages",
                                 note=f"{cost.new_posts} new posts"))
    return found


BENCHMARK = Benchmark(
    "scrape",
    run,
    prepare=(prepare_threads, prepare_boards),
    about="A 20-posts-a-page thread replayed by a loopback board (pages pre-rendered): "
          "forum-mirror at --delay 0 (robots, throttle, WARC, hashing on) against a bare "
          f"httpx loop over the same URLs, each {ROUNDS} times in turn at {GOAL_PAGES} pages "
          f"({INFO_ROUNDS} below; the median run of each is shown), and forum-dl 0.3.0 once "
          "(when /tmp/forumdl has it; the quick run only at 200 pages); then an unchanged "
          "`update` of threads of growing length. The goals are issue 11's, stated for a "
          "200-page thread: at 10 pages, Python's start-up is most of every tool's time, so "
          "those figures are shown for information only.",
    plots=(Plot("Scrape time against thread length", "seconds",
                ("forum-mirror", "bare httpx loop", "forum-dl 0.3.0")),
           Plot("Requests of an unchanged update", "requests", ("unchanged update",))),
    goals=(Goal("a 200-page scrape at most 3x a bare httpx loop", "forum-mirror", "seconds",
                over="bare httpx loop", at_most=3.0, at=GOAL_PAGES),
           Goal("forum-dl at least 10x slower than forum-mirror on 200 pages", "forum-dl 0.3.0",
                "seconds", over="forum-mirror", at_least=10.0, at=GOAL_PAGES),
           # The last page and two revisited earlier ones (recheck.DEFAULT_REVISIT).
           Goal("an unchanged update costs robots.txt plus 3 page requests", "unchanged update",
                "requests", at_most=4)),
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run both measurements and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--posts-per-page", type=int, default=20)
    parser.add_argument("--update-pages", type=int, nargs="*", default=[10, 100, 1000],
                        help="thread lengths for the unchanged update (none: skip it)")
    parser.add_argument("--forum-dl", type=Path, default=FORUM_DL)
    parser.add_argument("--no-forum-dl", action="store_true")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="runs of forum-mirror and the bare loop, in turn (the median counts)")
    parser.add_argument("--profile", type=Path, help="write forum-mirror's cProfile stats here")
    parser.add_argument("--workdir", type=Path, help="keep the archives here (default: a temp)")
    args = parser.parse_args(argv)
    with _workdir(args.workdir) as work:
        result = compare_scrape(args.pages, args.posts_per_page, work / "scrape",
                                forum_dl=None if args.no_forum_dl else args.forum_dl,
                                profile=args.profile, rounds=args.rounds)
        print(scrape_table(result))
        if args.update_pages:
            print(update_table(update_costs(args.update_pages, work)))


if __name__ == "__main__":
    main()
