"""A local `scrape` over two processes (`--processes`, scraper/lanes.py): each host's lane
whole in one of them, one run's console, JSON log and exit code; a stop reaches both.
Real boards on loopback addresses and real `forum-mirror` processes."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from benchmarks.schedule import SmallBoard
from scraper.cli import ThreadJob
from scraper.fetch import FetchSettings
from scraper.lanes import processes_for, split_lanes
from tests.test_hosts_side_by_side import events, forum_mirror, wait_for_event


@contextlib.contextmanager
def boards(hosts: int, threads: int) -> Iterator[list[SmallBoard]]:
    """`hosts` boards of `threads` one-page threads each, on 127.0.0.2, 127.0.0.3, ..."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(SmallBoard(f"127.0.0.{2 + h}",
                                              range(100 * h, 100 * h + threads), 1))
               for h in range(hosts)]


def urls_of(found: list[SmallBoard]) -> list[str]:
    return [url for board in found for url in board.thread_urls]


def lane_processes(log: Path) -> list[dict[str, object]]:
    return [e for e in events(log) if e.get("logger") == "scraper.lanes"]


def test_a_scrape_in_two_processes_is_one_run(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with boards(3, 2) as found:
        run = forum_mirror("scrape", *urls_of(found), "--archive", str(tmp_path / "archive"),
                           "--delay", "0.05", "--processes", "2", log=log)
        output, _ = run.communicate(timeout=60)
        counts = [board.take_count() for board in found]
    assert run.returncode == 0, output.decode()
    assert counts == [3, 3, 3]  # robots.txt and two pages: each host asked once for each
    archived = [e["url"] for e in events(log) if e["event"] == "thread_archived"]
    assert sorted(archived) == sorted(urls_of(found))  # every thread, announced by the run
    assert output.decode().count("Archived “") == 6
    assert len(list((tmp_path / "archive" / "threads").glob("*/thread.json"))) == 6
    # The second process worked one host (of three: the split is by whole hosts) and its
    # log records came through the run's JSON log.
    (lanes,) = lane_processes(log)
    assert "2 thread(s) of 1 host(s)" in str(lanes["message"])
    summary = events(log)[-1]
    assert summary["event"] == "summary"
    assert (summary["exit_code"], summary["threads_checked"], summary["requests"]) == (0, 6, 9)


def test_a_stop_reaches_the_lane_process(tmp_path: Path) -> None:
    # Two hosts, one per process, three threads each half a second apart: SIGTERM after the
    # first thread ends both lanes at their next request.
    log = tmp_path / "log.jsonl"
    with boards(2, 3) as found:
        run = forum_mirror("scrape", *urls_of(found), "--archive", str(tmp_path / "archive"),
                           "--delay", "0.5", "--processes", "2", log=log)
        try:
            wait_for_event(log, "thread_archived", timeout=60)
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=20) == 143
        finally:
            run.kill()
            run.wait()
        counts = [board.take_count() for board in found]
    assert lane_processes(log)  # the second process ran
    assert all(count < 4 for count in counts)  # neither host's lane went on to the end
    assert [e["event"] for e in events(log)][-2:] == ["interrupted", "summary"]
    assert not list((tmp_path / "archive").rglob("*.part"))  # each stopped lane closed its WARC


def job(url: str) -> ThreadJob:
    return ThreadJob("scrape", url, None, None, FetchSettings())


def test_lanes_are_split_whole_and_by_their_threads() -> None:
    jobs = [job(f"http://{host}.example/threads/t.{n}/")
            for n, host in enumerate("aaaabbcab")]
    shares = split_lanes(jobs, 2)
    # a (5 threads) to one share; b (3) and c (1) to the other, in the order they came.
    assert [[j.url[7] for j in share] for share in shares] == [list("aaaaa"), list("bbcb")]
    assert processes_for(None, jobs) == 1  # a few threads: one process
    assert processes_for(5, jobs) == 3  # never more than there are hosts
    assert processes_for(None, jobs * 30) == (2 if len(os.sched_getaffinity(0)) > 1 else 1)

