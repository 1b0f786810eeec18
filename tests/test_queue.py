"""Workers on a shared Redis (scraper/queue.py, scraper/fetch/redis_throttle.py).

Each test runs a real, throwaway redis-server (conftest.py `redis_server`) and real worker
processes; the boards are real HTTP servers on 127.0.0.1 that record when each request
arrived, so politeness is measured where it matters: at the server.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from scraper.cli import build_parser, main
from scraper.demo_forum import DemoForum
from scraper.demo_forum.server import RequestLog
from scraper.errors import FetchFailed
from scraper.fetch import FetchSettings, PoliteClient, WarcRecorder
from scraper.fetch.redis_throttle import LocalTurns, RedisThrottle
from scraper.fetch.stop import StopRequest

from .fetch_server import FetchServer, Reply
from .redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
PAGE = Reply(200, b"<html><body>page</body></html>", [("Content-Type", "text/html")])

# A process that fetches its URLs through a RedisThrottle (the workers' own throttle).
FETCHER = textwrap.dedent("""
    import sys
    import time
    from pathlib import Path
    import redis
    from scraper.fetch import FetchSettings, PoliteClient, WarcRecorder
    from scraper.fetch.redis_throttle import RedisThrottle
    from scraper.fetch.stop import StopRequest

    url, delay, warc, *pages = sys.argv[1:]
    settings = FetchSettings(delay=float(delay), obey_robots=False, autothrottle=False,
                             allow_private_addresses=True)
    stop = StopRequest()
    throttle = RedisThrottle(redis.Redis.from_url(url), float(delay), lease_seconds=30,
                             sleep=stop.sleep)
    with PoliteClient(settings, stop=stop, throttle=throttle) as client, \\
            WarcRecorder(Path(warc), warc_file_label="x", settings=settings) as recorder:
        # Start together: on a loaded machine one interpreter can take longer to start
        # than the other's whole run, and then the two would never meet at the throttle.
        barrier = redis.Redis.from_url(url)
        barrier.rpush("fetchers-ready", 1)
        while barrier.llen("fetchers-ready") < 2:
            stop.sleep(0.01)
        print(time.monotonic(), flush=True)  # ready to fetch, on the server's clock
        for page in pages:
            client.fetch(page, recorder)
""")


def gaps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [later - earlier for earlier, later in itertools.pairwise(ordered)]


def test_two_processes_keep_the_delay_between_requests_to_one_host(
        redis_url: str, tmp_path: Path) -> None:
    delay = 0.15
    with FetchServer() as server:
        server.route("/a", PAGE)
        server.route("/b", PAGE)
        fetchers = [
            subprocess.Popen([sys.executable, "-c", FETCHER, redis_url, str(delay),
                              str(tmp_path / f"{name}.warc.gz"),
                              *[server.url(f"/{name}?n={n}") for n in range(6)]],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True)
            for name in ("a", "b")]
        ready_at = [float(fetcher.communicate(timeout=60)[0]) for fetcher in fetchers]
        assert [fetcher.returncode for fetcher in fetchers] == [0, 0]
        seen = server.requests
    assert len(seen) == 12
    assert sorted(request.path[1] for request in seen) == ["a"] * 6 + ["b"] * 6
    # Both processes wanted the host at once (both were ready before the second request
    # arrived), so neither ran alone; which of them wins each turn is up to the race ...
    assert max(ready_at) < sorted(request.at for request in seen)[1]
    # ... and no request came sooner than the delay after the one before, whoever sent it.
    assert min(gaps([request.at for request in seen])) >= delay - 0.005


def test_a_retry_after_block_and_a_backoff_hold_for_every_worker(
        redis_url: str, tmp_path: Path) -> None:
    client_one, client_two = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    stop = StopRequest()
    one = RedisThrottle(client_one, 0.0, lease_seconds=5, sleep=stop.sleep)
    two = RedisThrottle(client_two, 0.0, lease_seconds=5, sleep=stop.sleep)
    with FetchServer() as server:
        server.route("/busy", Reply(503, b"busy", [("Retry-After", "3600")]))
        server.route("/page", PAGE)
        settings = FetchSettings(delay=0.0, obey_robots=False, autothrottle=False,
                                 allow_private_addresses=True, max_retry_after=60)
        with PoliteClient(settings, throttle=one) as first, \
                PoliteClient(settings, throttle=two) as second, \
                WarcRecorder(tmp_path / "x.warc.gz", warc_file_label="x",
                             settings=settings) as recorder:
            try:
                first.fetch(server.url("/busy"), recorder)
            except FetchFailed as error:
                assert "Retry-After" in str(error)
            else:
                raise AssertionError("a Retry-After of an hour must stop the host")
            # The other worker does not even ask: the host said to wait an hour.
            try:
                second.fetch(server.url("/page"), recorder)
            except FetchFailed as error:
                assert "asked us to wait 3600 s" in str(error)
            else:
                raise AssertionError("the block must hold in every worker")
        assert [r.path for r in server.requests] == ["/busy"]
    # A backoff (429/503 with a short wait) holds the host off for the others too.
    held = time.monotonic()
    one.hold_off("example.org", 0.3)
    with two.request_slot("example.org"):
        assert time.monotonic() - held >= 0.29


# -- workers, end to end ----------------------------------------------------------------------

DELAY = 0.1
LEASE = 1.5  # seconds without a heartbeat before a worker's jobs go to another


def forum_mirror(*args: str) -> list[str]:
    """The command line of `forum-mirror ARGS` as a child process of this checkout."""
    return [sys.executable, "-m", "scraper.cli", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def start_worker(redis_url: str, archive: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        return subprocess.Popen(
            forum_mirror("worker", "--queue", redis_url, "--archive", str(archive),
                         "--concurrency", "1", "--lease", str(LEASE)),
            cwd=ROOT, env=env(), stdout=subprocess.DEVNULL, stderr=stderr)


def stop_worker(worker: subprocess.Popen[bytes]) -> int:
    """SIGTERM, and its exit code; a worker that does not stop is killed (and the test fails)."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        return worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
        raise


def queued(redis_url: str, archive: Path) -> list[str]:
    """The options of a `--queue --wait` run on the test's archive and delay."""
    return ["--queue", redis_url, "--wait", "--archive", str(archive), "--delay", str(DELAY)]


def summary_of(log_json: Path) -> dict[str, Any]:
    lines = [json.loads(line) for line in log_json.read_text("utf-8").splitlines()]
    (summary,) = [line for line in lines if line["event"] == "summary"]
    return summary


def request_times(forums: list[DemoForum]) -> list[float]:
    return [request.time for forum in forums for request in forum.requests]


def thread_folders(archive: Path) -> list[Path]:
    return sorted(path.parent for path in (archive / "threads").glob("*/thread.json"))


def connected_to(port: int, workers: list[subprocess.Popen[bytes]]
                 ) -> subprocess.Popen[bytes] | None:
    """The worker with a TCP connection open to 127.0.0.1:`port` (read from /proc)."""
    for worker in workers:
        sockets = set()
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{worker.pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    sockets.add(target[8:-1])
        table = Path(f"/proc/{worker.pid}/net/tcp").read_text().splitlines()[1:]
        for line in table:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == port and fields[9] in sockets:
                return worker
    return None


def wait_for_workers(redis_url: str, count: int) -> None:
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 30
    while client.zcard("forum-mirror:__heartbeats__") < count:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    client.close()


def test_two_workers_polite_together_and_one_killed_mid_thread_loses_nothing(
        redis_url: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Two worker processes scrape three threads of one host; the one working on the first
    thread is SIGKILLed in the middle of it. The `--wait`ing scrape still reports all three,
    each archived once, and no request ever came sooner than the delay after the one before,
    whichever worker sent it. Then `update --queue --wait` exits as a local run would."""
    archive = tmp_path / "content"
    with contextlib.ExitStack() as stack:
        forums = [stack.enter_context(DemoForum()) for _ in range(3)]
        workers = [start_worker(redis_url, archive, tmp_path / f"worker{n}.log") for n in (1, 2)]
        stack.callback(lambda: [stop_worker(worker) for worker in workers])
        wait_for_workers(redis_url, 2)
        killed: list[tuple[float, subprocess.Popen[bytes]]] = []

        def on_request(request: RequestLog) -> None:
            # The fourth request for the first thread: its pages are read, its images not.
            if not killed and len(forums[0].requests) == 4:
                victim = connected_to(forums[0].port, workers)
                assert victim is not None
                victim.kill()
                killed.append((time.monotonic(), victim))

        forums[0].on_request = on_request
        log_json = tmp_path / "scrape.jsonl"
        assert main(["scrape", *[f.thread_url for f in forums], *queued(redis_url, archive),
                     "--log-json", str(log_json)]) == 0
        assert capfd.readouterr().err.count("Archived “") == 3  # a local scrape's lines
        assert summary_of(log_json)["exit_code"] == 0
        assert killed, "no worker was killed"
        killed_at, victim = killed[0]
        assert victim.wait(timeout=10) == -signal.SIGKILL
        # The first thread was taken up again once the dead worker's lease had passed.
        recovery = min(r.time for r in forums[0].requests if r.time > killed_at) - killed_at
        print(f"recovery after SIGKILL: {recovery:.2f} s (lease {LEASE} s)")
        assert LEASE <= recovery < LEASE + 10
        # No request sooner than the delay after the previous one, across both workers.
        times = request_times(forums)
        assert len(times) == 3 * 12 + 4  # and the killed attempt's four
        print(f"closest requests: {min(gaps(times)):.3f} s apart (delay {DELAY} s)")
        assert min(gaps(times)) >= DELAY - 0.005
        # Every thread archived exactly once: one folder each, whole, with one run.
        folders = thread_folders(archive)
        assert len(folders) == 3
        for folder in folders:
            thread = json.loads((folder / "thread.json").read_text("utf-8"))
            assert len(thread["posts"]) == 8 and len(thread["runs"]) == 1

        (survivor,) = [worker for worker in workers if worker is not victim]
        unchanged = tmp_path / "update.jsonl"
        assert main(["update", *queued(redis_url, archive), "--log-json", str(unchanged)]) == 0
        summary = summary_of(unchanged)
        assert (summary["exit_code"], summary["threads_checked"]) == (0, 3)
        forums[0].stop()  # one board gone: some threads failed
        partial = tmp_path / "partial.jsonl"
        assert main(["update", *queued(redis_url, archive), "--max-retries", "0",
                     "--log-json", str(partial)]) == 10
        summary = summary_of(partial)
        assert (summary["exit_code"], summary["threads_failed"]) == (10, 1)
        assert stop_worker(survivor) == 0
    assert main(["verify", "--archive", str(archive)]) == 0


def test_redis_away_is_one_line_exit_13_and_no_half_written_thread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "content"
    nowhere = RedisServer()  # its port, with no server on it
    nowhere.stop()
    assert main(["scrape", "http://127.0.0.1:9/threads/a.1/", "--queue", nowhere.url(),
                 "--archive", str(archive)]) == 13
    error = capsys.readouterr().err
    assert error.startswith("error: the queue at redis://127.0.0.1:")
    assert len(error.strip().splitlines()) == 1, error

    # Redis goes away while a worker is in the middle of a thread.
    with DemoForum() as forum, RedisServer() as server:
        worker = start_worker(server.url(), archive, tmp_path / "worker.log")
        try:
            wait_for_workers(server.url(), 1)
            forum.on_request = lambda request: (
                server.stop() if len(forum.requests) == 4 else None)
            assert main(["scrape", forum.thread_url, "--queue", server.url(), "--archive",
                         str(archive), "--delay", str(DELAY)]) == 0  # queued, not waited for
            assert worker.wait(timeout=30) == 13
        finally:
            stop_worker(worker)
        assert len(forum.requests) == 4  # no request without the shared delays
    lines = (tmp_path / "worker.log").read_text("utf-8").strip().splitlines()
    assert lines[-1].startswith("error: lost the queue at redis://127.0.0.1:"), lines
    # The thread stopped as at a stop signal, in its images: its pages were all read, so it
    # is saved whole, the images not fetched recorded as failed (the next run fetches them).
    (folder,) = thread_folders(archive)
    thread = json.loads((folder / "thread.json").read_text("utf-8"))
    assert len(thread["posts"]) == 8 and thread["runs"][0]["failed_assets"]
    assert main(["verify", "--archive", str(archive)]) == 0


def test_sigterm_lets_the_worker_finish_its_thread_then_exit_0(
        redis_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "content"
    with DemoForum() as forum:
        worker = start_worker(redis_url, archive, tmp_path / "worker.log")
        try:
            wait_for_workers(redis_url, 1)
            forum.on_request = lambda request: (
                worker.send_signal(signal.SIGTERM) if len(forum.requests) == 3 else None)
            assert main(["scrape", forum.thread_url, "--queue", redis_url, "--archive",
                         str(archive), "--delay", str(DELAY)]) == 0  # queued, not waited for
            assert worker.wait(timeout=30) == 0
        finally:
            stop_worker(worker)
        assert len(forum.requests) == 12  # the whole thread, after the signal too
    (folder,) = thread_folders(archive)
    thread = json.loads((folder / "thread.json").read_text("utf-8"))
    assert len(thread["posts"]) == 8 and thread.get("incomplete") is None
    assert thread["runs"][0]["failed_assets"] == []


def test_a_worker_waits_out_its_own_gap_before_asking_redis_and_redis_still_decides(
        redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    stop = StopRequest()
    delay = 0.1
    one = RedisThrottle(client, delay, lease_seconds=5, sleep=stop.sleep)
    two = RedisThrottle(client, delay, lease_seconds=5, sleep=stop.sleep)
    with one.request_slot("warm-up.example.org"):  # loads the scripts (a NOSCRIPT, once)
        pass
    client.config_resetstat()
    starts = []
    for _ in range(4):  # one worker's requests one after another, as a lane's
        with one.request_slot("example.org"):
            starts.append(time.monotonic())
    assert all(gap >= delay for gap in gaps(starts))
    # A turn costs two scripts (take, give back), not a third that only says how long to wait.
    assert client.info("commandstats")["cmdstat_evalsha"]["calls"] == 8
    # Nor a GET of the block before each request (PoliteClient asks `blocked` before each
    # try): the taking script looks at it.
    processed = client.info("stats")["total_commands_processed"]
    assert one.blocked("example.org") is None
    assert client.info("stats")["total_commands_processed"] == processed + 1  # the INFO
    # Another worker's request pushes the next start later than this worker knows: Redis's
    # time holds, not the local one.
    with two.request_slot("example.org"):
        other_ended = time.monotonic()
    with one.request_slot("example.org"):
        assert time.monotonic() - other_ended >= delay - 0.005


def test_the_threads_of_one_worker_queue_for_a_host_locally_not_by_polling_redis(
        redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    stop = StopRequest()
    delay = 0.05
    turns = LocalTurns()  # as QueueWorker shares it between its clients
    throttles = [RedisThrottle(client, delay, lease_seconds=5, sleep=stop.sleep, turns=turns)
                 for _ in range(2)]
    with throttles[0].request_slot("warm-up.example.org"):  # loads the scripts
        pass
    client.config_resetstat()
    spans: list[tuple[float, float]] = []

    def lane(throttle: RedisThrottle) -> None:
        for _ in range(3):
            with throttle.request_slot("example.org"):
                started = time.monotonic()
                time.sleep(0.01)  # a request in flight
                spans.append((started, time.monotonic()))

    threads = [threading.Thread(target=lane, args=(t,)) for t in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    spans.sort()
    assert len(spans) == 6
    assert all(later[0] - earlier[1] >= delay - 0.002
               for earlier, later in itertools.pairwise(spans))
    # Two scripts a turn: the thread waiting behind the other never polls the held lease.
    assert client.info("commandstats")["cmdstat_evalsha"]["calls"] == 12


def test_a_host_turn_is_renewed_while_held_and_free_once_its_holder_is_gone(
        redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    stop = StopRequest()
    one = RedisThrottle(client, 0.0, lease_seconds=0.3, sleep=stop.sleep)
    two = RedisThrottle(client, 0.0, lease_seconds=0.3, sleep=stop.sleep)
    lease = "forum-mirror:throttle:lease:example.org"
    acquired: list[float] = []

    def take_turn() -> None:
        with two.request_slot("example.org"):
            acquired.append(time.monotonic())

    with one.request_slot("example.org"):
        time.sleep(1.0)  # a slow request: three leases long
        waiter = threading.Thread(target=take_turn)
        waiter.start()
        time.sleep(0.2)
        assert not acquired  # the turn is still ours: the other worker waits
        released = time.monotonic()
    waiter.join(timeout=5)
    assert acquired and acquired[0] >= released
    client.delete(lease)
    # A worker killed mid-request leaves its lease: the host is free once it has run out.
    client.set(lease, "a dead worker's", px=300)
    started = time.monotonic()
    with two.request_slot("example.org"):
        assert time.monotonic() - started >= 0.25


def test_the_documented_worker_commands_parse_and_the_unit_verifies(tmp_path: Path) -> None:
    doc = (ROOT / "docs/scheduling.md").read_text("utf-8")
    section = doc.split("## Workers on a shared Redis", 1)[1]
    unit = ROOT / "contrib/systemd/forum-mirror-worker@.service"
    (exec_start,) = [line.split("=", 1)[1] for line in unit.read_text("utf-8").splitlines()
                     if line.startswith("ExecStart=")]
    commands = [match[1] for text in (section, exec_start) for match in re.finditer(
        r"(?:^|/)forum-mirror ((?:worker|update|scrape) [^>\n]*)", text, re.MULTILINE)]
    assert len(commands) == 5
    parsed = [build_parser().parse_args(shlex.split(command)) for command in commands]
    assert {args.command for args in parsed} == {"worker", "update", "scrape"}
    assert all(args.queue.startswith("redis://") for args in parsed)
    if shutil.which("systemd-analyze"):
        installed = Path(sys.executable).with_name("forum-mirror")
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text("utf-8").replace(
            "/opt/forum-mirror/.venv/bin/forum-mirror", str(installed)), "utf-8")
        verified = subprocess.run(["systemd-analyze", "verify", str(copy)],
                                  capture_output=True, text=True, timeout=60, check=False)
        assert verified.returncode == 0, verified.stderr


def test_wait_without_a_queue_is_a_bad_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["update", "--wait"])
    assert exit_.value.code == 2 and "--wait needs --queue" in capsys.readouterr().err


def test_a_message_holds_a_piece_of_one_host_lane_and_a_rerun_skips_the_jobs_done(
        redis_url: str, tmp_path: Path) -> None:
    """Jobs go out as pieces of each host's lane, the hosts' first pieces first; a message
    run again (its worker died after handing back some outcomes) runs only the others."""
    from scraper.archive import ThreadArchive
    from scraper.runner import ThreadJob
    from scraper.workqueue import QueueWorker, _done_key, _message, _outcomes_key, pieces

    settings = FetchSettings(delay=0, obey_robots=False, max_retries=0,
                             allow_private_addresses=True)

    def job(origin: str, n: int) -> ThreadJob:
        return ThreadJob("scrape", f"{origin}/threads/t.{n}/", None, "xenforo2", settings)

    a, b = "http://127.0.0.1:1", "http://127.0.0.1:2"
    jobs = [job(a, n) for n in range(12)] + [job(b, n) for n in range(100, 103)]
    cut = pieces(jobs, size=5)
    assert [[j.url.split("/")[2] for j in piece] for piece in cut] == [
        ["127.0.0.1:1"] * 5, ["127.0.0.1:2"] * 3, ["127.0.0.1:1"] * 5, ["127.0.0.1:1"] * 2]
    assert [j for piece in cut for j in piece if j.origin == a] == jobs[:12]  # in order

    with FetchServer() as server:  # answers 404 to every thread: each job fails at once
        entries = [("done-one", job(server.url(""), 1)), ("to-do", job(server.url(""), 2))]
        client = redis.Redis.from_url(redis_url)
        client.sadd(_done_key("b1"), "done-one")
        worker = QueueWorker(redis_url, ThreadArchive(tmp_path / "content"), concurrency=1,
                             lease_seconds=LEASE, stop=StopRequest())
        worker._run_message("b1", "done-one", _message(entries))
        pushed = [json.loads(item) for item in client.lrange(_outcomes_key("b1"), 0, -1)]
        assert [(p["job_id"], p["outcome"]["status"]) for p in pushed] == [("to-do", "unavailable")]
        assert [r.path for r in server.requests] == ["/threads/t.2/"]
        assert client.smembers(_done_key("b1")) == {b"done-one", b"to-do"}
        client.close()
