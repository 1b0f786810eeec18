"""Hosts side by side: `scrape` and an unchanged `update` of threads on many hosts, against
the politeness floor.

Each host is a small XenForo-shaped board (demo forum pages, text-only posts: no images or
avatars, so every request is a page or robots.txt) on its own loopback address, 127.0.0.2,
127.0.0.3, ... (Linux routes all of 127/8 to lo), pages rendered once and served from
memory with ETags and 304s. The floor is what politeness alone costs: the most requests
any one host received times the delay. `forum-mirror` runs in a child process; its wall
time over the floor is the figure (goal: at most 1.5x, plus a few seconds of start-up).

With `--workers N`, the same commands run with `--queue --wait` on a throwaway redis-server
(tests/redis_server.py) and N `forum-mirror worker` processes, started and ready before the
clock starts; the CPU time is then the submitting command's plus the workers'.

    python -m benchmarks.schedule [--hosts 12 --threads 12 --pages 3 --delay 1]
                                  [--concurrency 4] [--workers 2 --worker-concurrency 16]
                                  [--processes N] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from benchmarks.report import Benchmark, Goal, Measurement, Plot, Sizes
from benchmarks.scrape import (
    PROFILER,
    Recorded,
    ReplayBoard,
    ReplayHandler,
    child_environment,
    forum_mirror,
    run_child,
    warm_up,
)
from scraper.demo_forum import pages
from scraper.demo_forum.seed import MOROCCO_TZ, SEED_THREAD, Member, Post, Text, Thread
from scraper.serve import LoopbackHTTPServer

ROOT = Path(__file__).resolve().parents[1]
POSTS_PER_PAGE = 5
STARTUP_SECONDS = 3.0  # "plus a few seconds of start-up" (interpreter, imports, first page)
WORKER_CONCURRENCY = 16  # threads of each queue worker
HEARTBEATS = "forum-mirror:__heartbeats__"  # Dramatiq's set of live workers (workqueue.py)
ROBOTS = b"User-agent: *\nAllow: /\n"


@dataclass(frozen=True)
class Case:
    """One measured layout: `threads` threads of `pages` pages spread over `hosts` hosts."""

    name: str
    hosts: int
    threads: int
    pages: int
    delay: float
    workers: int = 0  # queue workers on a shared Redis (`--queue --wait`); 0: one process


def small_thread(thread_id: int, pages_count: int) -> Thread:
    """A thread of `pages_count` full pages of short text posts by members without avatars."""
    member = Member(user_id=3001, username="عضو", slug="member", user_title="عضو",
                    joined=date(2015, 3, 1), message_count=12, reaction_score=3,
                    avatar_colors=("#1f477a", "#709edb"))
    start = datetime(2024, 5, 1, 9, 0, tzinfo=MOROCCO_TZ)
    posts = tuple(
        Post(post_id=thread_id * 100 + n, position=n, author=member,
             posted_at=start + timedelta(hours=n), edited_at=None,
             segments=(Text(f"مشاركة قصيرة رقم {n} في الموضوع {thread_id}"),), attachments=(),
             content_html=None, liked_by=())
        for n in range(1, pages_count * POSTS_PER_PAGE + 1))
    return dataclasses.replace(SEED_THREAD, thread_id=thread_id, slug=f"topic-{thread_id}",
                               title=f"موضوع {thread_id}", members=(member,), posts=posts)


class SmallBoard(ReplayBoard):
    """One host: its threads' pages rendered once and replayed from memory on `address`
    (the scrape benchmark's replay server, with its ETags and 304s)."""

    def __init__(self, address: str, thread_ids: Sequence[int], pages_count: int) -> None:
        handler = type("SmallBoardHandler", (ReplayHandler,), {"board": self})
        self._server = LoopbackHTTPServer((address, 0), handler)
        self.base_url = f"http://{address}:{self._server.server_address[1]}"
        self.requests = 0
        self._lock = threading.Lock()
        self.recorded = {"/robots.txt": _answer(ROBOTS, "text/plain")}
        self.thread_urls = []
        for thread_id in thread_ids:
            thread = small_thread(thread_id, pages_count)
            self.thread_urls.append(self.base_url + pages.thread_path(thread))
            for page in range(1, pages_count + 1):
                html = pages.render_thread_page(page, thread=thread, posts_per_page=POSTS_PER_PAGE,
                                                base_url=self.base_url)
                self.recorded[pages.thread_path(thread, page)] = _answer(
                    html.encode("utf-8"), "text/html; charset=utf-8")
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)


def _answer(body: bytes, content_type: str) -> Recorded:
    etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nETag: {etag}\r\n"
            f"Cache-Control: private, no-cache, max-age=0\r\nContent-Length: {len(body)}\r\n\r\n")
    not_modified = f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n"
    return Recorded(head.encode(), body, not_modified.encode(), etag)


@dataclass(frozen=True)
class Timed:
    """One command of a case: its wall and CPU time, and the floor it is measured against."""

    command: str
    seconds: float
    cpu_seconds: float
    floor: float
    most_requests: int  # to one host
    requests: int  # to all hosts

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor if self.floor else float("inf")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (/proc/PID/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(boards: Sequence[SmallBoard]) -> Iterator[None]:
    """The boards served while inside; stopped all at once after, since each server takes
    up to its half-second poll to stop (one after the other, 20 boards took 5 s)."""
    with contextlib.ExitStack() as stack:
        for board in boards:
            stack.enter_context(board)
        stack.pop_all()
    try:
        yield
    finally:
        with ThreadPoolExecutor(len(boards) or 1) as pool:
            list(pool.map(lambda board: board.__exit__(None, None, None), boards))


@contextlib.contextmanager
def queue_workers(count: int, archive: Path, workdir: Path, concurrency: int,
                  pycache: Path | None = None, profile: bool = False
                  ) -> Iterator[tuple[list[str], list[int]]]:
    """A throwaway redis-server and `count` workers on it, ready (their heartbeats are in):
    the options a queued run adds, and the workers' pids. SIGTERMed at the end. `profile`:
    each worker runs under cProfile, its profile written to `workdir/workerN.prof`."""
    import redis

    from tests.redis_server import RedisServer

    with RedisServer() as server, contextlib.ExitStack() as stack:
        workers = []
        for n in range(count):
            log = stack.enter_context((workdir / f"worker{n}.log").open("wb"))
            argv = ["worker", "--queue", server.url(), "--archive", str(archive),
                    "--concurrency", str(concurrency)]
            workers.append(subprocess.Popen(
                [sys.executable, "-c", PROFILER, str(workdir / f"worker{n}.prof"), *argv]
                if profile else forum_mirror(*argv),
                cwd=ROOT, env=child_environment(pycache or workdir / "pycache"), stdout=log,
                stderr=subprocess.STDOUT))
        try:
            client = redis.Redis.from_url(server.url())
            deadline = time.monotonic() + 60
            while client.zcard(HEARTBEATS) < count:
                if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                    raise RuntimeError(f"the queue workers did not start: see {workdir}")
                time.sleep(0.05)
            client.close()
            yield ["--queue", server.url(), "--wait"], [w.pid for w in workers]
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


def measure_case(case: Case, workdir: Path, concurrency: int | None = None,
                 worker_concurrency: int = WORKER_CONCURRENCY, profile: bool = False,
                 processes: int | None = None, pycache: Path | None = None) -> list[Timed]:
    """Scrape the case's threads, then `update` them unchanged; both timed in a child (with
    `case.workers`, queued to that many workers, whose CPU time counts too). `profile`: the
    child runs under cProfile, its profile written to `workdir/COMMAND.prof` (and each queue
    worker's to `workdir/workerN.prof`, covering both commands). `processes`:
    the scrape's `--processes` (default: its own choice, two from 200 threads on).
    `pycache`: where the children's compiled modules are kept (`benchmarks.scrape.warm_up`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    archive = workdir / f"archive-{case.name.replace(' ', '-')}"
    per_host = -(-case.threads // case.hosts)
    ids = [range(1000 + h * per_host, 1000 + min((h + 1) * per_host, case.threads))
           for h in range(case.hosts)]
    boards = [SmallBoard(f"127.0.0.{2 + h}", ids[h], case.pages)
              for h in range(case.hosts) if ids[h]]
    # By round over the hosts, as a follow list mixes them.
    urls = [b.thread_urls[n] for n in range(per_host) for b in boards if n < len(b.thread_urls)]
    options = ["--archive", str(archive), "--delay", str(case.delay)]
    if concurrency is not None:
        options += ["--concurrency", str(concurrency)]
    measured = []
    pycache = warm_up(workdir, None, pycache)
    with contextlib.ExitStack() as stack:
        stack.enter_context(serving(boards))
        pids: list[int] = []
        if case.workers:
            queued, pids = stack.enter_context(
                queue_workers(case.workers, archive, workdir, worker_concurrency, pycache,
                              profile))
            options += queued
        spread = ["--processes", str(processes)] if processes is not None else []
        for command, argv in (("scrape", ["scrape", *urls, *spread]), ("update", ["update"])):
            for board in boards:
                board.take_count()
            workers_before = sum(map(_cpu_seconds, pids))
            tool = (["-c", PROFILER, str(workdir / f"{command}.prof")] if profile
                    else ["-m", "scraper.cli"])
            usage = run_child([sys.executable, *tool, *argv, *options],
                              workdir / f"{command}.log", pycache)
            if usage.exit_code != 0:
                output = (workdir / f"{command}.log").read_text("utf-8", "replace")
                raise RuntimeError(f"{command} of {case.name} exited {usage.exit_code}: "
                                   f"{output[-2000:]}")
            counts = [board.take_count() for board in boards]
            cpu = usage.cpu_seconds + sum(map(_cpu_seconds, pids)) - workers_before
            measured.append(Timed(command, usage.seconds, cpu, max(counts) * case.delay,
                                  max(counts), sum(counts)))
    threads = len(list((archive / "threads").glob("*/thread.json")))
    if threads != case.threads:
        raise RuntimeError(f"{case.name}: {threads} threads archived, not {case.threads}")
    return measured


def cases(sizes: Sizes) -> list[Case]:
    """The layouts a run measures: tiny ones for the test, the issue's for the others."""
    if sizes.posts_per_page < 20:  # benchmarks.report.TINY
        return [Case("6 threads on 3 hosts", 3, 6, 2, 0.05),
                Case("6 threads on 3 hosts, two workers", 3, 6, 2, 0.05, workers=2)]
    found = [Case("12 hosts", 12, 12, 3, 1.0), Case("100 threads on 20 hosts", 20, 100, 1, 0.2),
             Case("100 threads on 20 hosts, two workers", 20, 100, 1, 0.2, workers=2)]
    if max(sizes.posts) >= 100_000:  # --full: the 1,000 (about 2 minutes)
        found += [Case("1000 threads on 20 hosts", 20, 1000, 1, 0.2),
                  Case("1000 threads on 20 hosts, two workers", 20, 1000, 1, 0.2, workers=2)]
    return found


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """The suite's entry (benchmarks/report.py): each case's scrape and unchanged update,
    beside its floor."""
    found: list[Measurement] = []
    pycache = workdir / "pycache"  # forum-mirror compiled once for every case
    for case in cases(sizes):
        for timed in measure_case(case, workdir / case.name.replace(" ", "-"),
                                  pycache=pycache):
            size = case.threads
            name = f"queued {timed.command}" if case.workers else timed.command
            note = (f"{case.name}, {case.pages} page(s) each, --delay {case.delay:g}: "
                    f"{timed.ratio:.2f}x the floor alone, CPU {timed.cpu_seconds:.1f} s")
            found.append(Measurement(name, size, timed.seconds, requests=timed.requests,
                                     unit="threads", note=note))
            found.append(Measurement(f"{name} floor", size,
                                     timed.floor + STARTUP_SECONDS, requests=timed.most_requests,
                                     unit="threads",
                                     note="most requests to one host x delay, + start-up"))
    return found


BENCHMARK = Benchmark(
    "schedule",
    run,
    waits=True,  # on its polite delays: the floor is most of its time
    about="Threads on many hosts, each host a small board on its own loopback address "
          "(127.0.0.2, ...): `scrape` and an unchanged `update` in a child process, against "
          "the politeness floor (the most requests to one host times the delay) plus "
          f"{STARTUP_SECONDS:g} s of start-up. Quick: 12 hosts with one 3-page thread each at "
          "--delay 1, and 100 one-page threads on 20 hosts at --delay 0.2, in one process and "
          f"queued to two workers ({WORKER_CONCURRENCY} threads each) on a throwaway "
          "redis-server; --full adds 1,000 of each. A local scrape of 200 threads or more "
          "spreads its hosts over two processes (`--processes`, docs/scheduling.md).",
    plots=(Plot("Scheduled runs against their floor", "seconds",
                ("scrape", "scrape floor", "update", "update floor")),
           Plot("Queued runs (two workers) against their floor", "seconds",
                ("queued scrape", "queued scrape floor", "queued update",
                 "queued update floor"))),
    goals=(Goal("scrape at most 1.5x its floor (+ start-up)", "scrape", "seconds",
                over="scrape floor", at_most=1.5),
           Goal("unchanged update at most 1.5x its floor (+ start-up)", "update", "seconds",
                over="update floor", at_most=1.5),
           Goal("two workers' scrape at most 1.5x its floor (+ start-up)", "queued scrape",
                "seconds", over="queued scrape floor", at_most=1.5),
           Goal("two workers' unchanged update at most 1.5x its floor (+ start-up)",
                "queued update", "seconds", over="queued update floor", at_most=1.5)),
)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure one layout and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=12)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--workers", type=int, default=0,
                        help="queue workers on a throwaway redis-server (default: none, one "
                             "process)")
    parser.add_argument("--worker-concurrency", type=int, default=WORKER_CONCURRENCY)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=None,
                        help="the scrape's --processes (default: its own choice)")
    parser.add_argument("--profile", action="store_true",
                        help="run each command under cProfile (WORKDIR/scrape.prof, "
                             "update.prof, and each queue worker's workerN.prof): where "
                             "its CPU time goes")
    args = parser.parse_args(argv)
    case = Case("cli", args.hosts, args.threads, args.pages, args.delay, args.workers)
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for timed in measure_case(case, args.workdir, args.concurrency, args.worker_concurrency,
                              args.profile, args.processes):
        print(f"{timed.command:7} {timed.seconds:6.1f} s wall, {timed.cpu_seconds:5.1f} s CPU; "
              f"floor {timed.floor:5.1f} s ({timed.most_requests} requests to one host, "
              f"{timed.requests} in all): {timed.ratio:.2f}x")
    print(f"in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
