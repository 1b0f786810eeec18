"""Workers on a shared Redis (scraper/queue.py, scraper/fetch/redis_throttle.py).

Each test runs a real, throwaway redis-server (conftest.py `redis_server`) and real worker
processes; the boards are real HTTP servers on 127.0.0.1 that record when each request
arrived, so politeness is measured where it matters: at the server.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import redis

from scraper.errors import FetchFailed
from scraper.fetch import FetchSettings, PoliteClient, WarcRecorder
from scraper.fetch.redis_throttle import RedisThrottle
from scraper.fetch.stop import StopRequest

from .fetch_server import FetchServer, Reply

ROOT = Path(__file__).resolve().parent.parent
PAGE = Reply(200, b"<html><body>page</body></html>", [("Content-Type", "text/html")])

# A process that fetches its URLs through a RedisThrottle (the workers' own throttle).
FETCHER = textwrap.dedent("""
    import sys
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
                              *[server.url(f"/{name}?n={n}") for n in range(6)]], cwd=ROOT)
            for name in ("a", "b")]
        assert [fetcher.wait(timeout=60) for fetcher in fetchers] == [0, 0]
        seen = server.requests
    assert len(seen) == 12
    # Both processes took turns (neither ran alone, one after the other) ...
    order = [request.path[1] for request in sorted(seen, key=lambda r: r.at)]
    assert order.count("a") == order.count("b") == 6
    assert order != sorted(order)
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
