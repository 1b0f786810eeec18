"""Hosts side by side (`--concurrency`) and per-thread locks, with real boards on several
loopback addresses (Linux routes all of 127/8 to lo) and real `forum-mirror` processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.cli import main
from scraper.demo_forum import DemoForum
from scraper.errors import ArchiveLocked
from scraper.lock import ThreadLocked, archive_lock, thread_lock
from scraper.runner import Outcome, ThreadJob
from scraper.scrape import archived_key
from tests.fetch_server import FetchServer, Reply

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = Reply(429, b"slow down", [("Retry-After", "3600"), ("Content-Type", "text/plain")])


def forum_mirror(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """`forum-mirror ARGS --log-json LOG` in a child process of this tree."""
    return subprocess.Popen([sys.executable, "-m", "scraper.cli", *args, "--log-json", str(log)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def events(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def wait_for_event(log: Path, name: str, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists():
            found = [e for e in events(log) if e["event"] == name]
            if found:
                return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {name} event in {timeout} s")


def blocked_board() -> FetchServer:
    """A board on 127.0.0.2 that answers everything with 429 and Retry-After: 3600."""
    board = FetchServer("127.0.0.2")
    board.route("/robots.txt", BLOCKED)
    board.route("/threads/blocked.5/", BLOCKED)
    return board


def test_a_blocked_host_does_not_hold_up_another(tmp_path: Path) -> None:
    # The blocked host is first in the list; waiting its Retry-After out (the cap raised
    # above it) would hold a one-host-at-a-time run for an hour.
    log = tmp_path / "log.jsonl"
    with blocked_board() as blocked, DemoForum(host="127.0.0.3") as normal:
        started = time.monotonic()
        run = forum_mirror("scrape", blocked.url("/threads/blocked.5/"), normal.thread_url,
                           "--archive", str(tmp_path / "archive"), "--delay", "0.1",
                           "--max-retry-after", "7200", log=log)
        try:
            archived = wait_for_event(log, "thread_archived", timeout=60)
            took = time.monotonic() - started
            assert archived["url"] == normal.thread_url
            assert run.poll() is None  # the blocked host's lane still waits
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=20) == 143  # the wait ends at once
        finally:
            run.kill()
            run.wait()
    assert took < 30  # in its own time: the 3600 s are not in it
    assert len(blocked.requests) == 1  # robots.txt, once: then the host waits alone
    summary = events(log)[-1]
    assert summary["event"] == "summary" and summary["exit_code"] == 143


def test_a_host_over_the_retry_after_cap_fails_fast_and_the_others_finish(
        tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with blocked_board() as blocked, DemoForum(host="127.0.0.3") as normal:
        code = main(["scrape", blocked.url("/threads/blocked.5/"), normal.thread_url,
                     "--archive", str(tmp_path / "archive"), "--delay", "0",
                     "--log-json", str(log)])
    assert code == 4  # the blocked thread's failure, as a scrape has always ended
    (archived,) = [e for e in events(log) if e["event"] == "thread_archived"]
    assert archived["url"] == normal.thread_url
    assert [e["error"] for e in events(log) if e["event"] == "summary"] == ["FetchFailed"]


def test_runs_on_different_threads_proceed_together(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    with DemoForum(host="127.0.0.4") as first, DemoForum(host="127.0.0.5") as second:
        runs = [forum_mirror("scrape", forum.thread_url, "--archive", str(archive),
                             "--delay", "0.3", log=log)
                for forum, log in zip((first, second), logs, strict=True)]
        try:
            codes = [run.wait(timeout=120) for run in runs]
        finally:
            for run in runs:
                run.kill()
                run.wait()
    assert codes == [0, 0]
    spans = [(e[0]["time"], e[-1]["time"]) for e in map(events, logs)]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]  # at the same time
    assert len(list(ThreadArchive(archive).threads())) == 2


def test_a_thread_another_run_writes_is_left_alone(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    log = tmp_path / "log.jsonl"
    with DemoForum(host="127.0.0.6") as forum:
        assert main(["scrape", forum.thread_url, "--archive", str(archive), "--delay", "0"]) == 0
        key = archived_key(forum.thread_url, ThreadArchive(archive))
        assert key is not None
        folder = archive / "threads" / key
        before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        with thread_lock(archive, key):  # as another run holds it (flock: per open file)
            code = main(["update", "--archive", str(archive), "--delay", "0",
                         "--log-json", str(log)])
        assert code == 9
        assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
        (failed,) = [e for e in events(log) if e["event"] == "thread_failed"]
        assert failed["error"] == "ThreadLocked" and failed["exit_code"] == 9
        assert "another forum-mirror run is writing this thread" in str(failed["message"])
        # Released: the next run checks it.
        assert main(["update", "--archive", str(archive), "--delay", "0"]) == 0


def test_a_whole_archive_lock_keeps_every_run_out_and_a_shared_one_lets_them_in(
        tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with (archive_lock(archive, exclusive=True),
          pytest.raises(ArchiveLocked, match=r"holds .* alone"), archive_lock(archive)):
        pass
    with (archive_lock(archive), archive_lock(archive),  # two runs at once
          pytest.raises(ArchiveLocked, match="another forum-mirror run is writing"),
          archive_lock(archive, exclusive=True)):
        pass


def test_locks_of_a_killed_process_vanish_with_it(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\n"
         "from scraper.lock import archive_lock, thread_lock\n"
         "with archive_lock(Path(sys.argv[1]), exclusive=True), "
         "thread_lock(Path(sys.argv[1]), 'x-1'):\n"
         "    print('held', flush=True)\n    time.sleep(600)\n", str(archive)],
        cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(ArchiveLocked, match="another forum-mirror run"), archive_lock(archive):
            pass
        with pytest.raises(ThreadLocked, match="writing this thread"), thread_lock(archive, "x-1"):
            pass
    finally:
        holder.kill()
        holder.wait()
    with archive_lock(archive, exclusive=True), thread_lock(archive, "x-1"):
        pass  # both free again


def test_jobs_and_outcomes_travel_as_plain_data() -> None:
    # A queue worker gets the job as JSON and hands the outcome back the same way.
    from scraper.fetch import FetchSettings
    from scraper.scrape import ScrapeSummary

    settings = FetchSettings(delay=2.5, allow_private_origins=frozenset({"http://127.0.0.2:1"}),
                             cookies_file=Path("/tmp/cookies.txt"))
    job = ThreadJob("update", "http://127.0.0.2:1/threads/a.1/", "127.0.0.2_1-1", None,
                    settings, "20260101T000000000000Z")
    assert ThreadJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job
    outcome = Outcome(job, "changed", ScrapeSummary(key="k", title="t", url=job.url, pages=2),
                      requests=3)
    assert Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
