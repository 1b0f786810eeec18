"""The fetch layer against a scripted server on 127.0.0.1: politeness measured at the server."""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper import PROJECT_URL, __version__
from scraper.errors import FetchFailed, RobotsDisallowed
from scraper.fetch import FetchSettings, PoliteClient, Validators, WarcRecorder
from scraper.fetch.autothrottle import AutoThrottle
from scraper.fetch.charset import decode_body
from scraper.fetch.retry import RetryAfterTooLong, RetryPolicy, parse_retry_after
from scraper.fetch.robots import RobotsRules
from scraper.fetch.throttle import HostThrottle
from tests.fetch_server import Disconnect, FetchServer, Reply, SeenRequest

# The client stamps a request's start before connecting, the server when its headers have
# arrived; the two differ by local connection latency, well under this.
CLOCK_SLACK = 0.01

ARABIC = "مرحبا بكم في المنتدى المغربي"


def fast_settings(**overrides: Any) -> FetchSettings:
    """Settings that keep tests quick but still exercise every layer."""
    values: dict[str, Any] = {
        "delay": 0.02,
        "timeout": 5.0,
        "max_retries": 2,
        "backoff_base": 0.02,
        "backoff_cap": 0.1,
        "allow_private_addresses": True,  # the test servers run on 127.0.0.1
    }
    return FetchSettings(**{**values, **overrides})


def gaps(requests: list[SeenRequest]) -> list[float]:
    return [b.at - a.at for a, b in itertools.pairwise(requests)]


@dataclass
class WarcEntry:
    type: str
    uri: str
    warc: dict[str, str]
    http: dict[str, str]  # lower-case names
    status_line: str
    payload: bytes  # as stored (still content-encoded)


def read_warc(path: Path) -> list[WarcEntry]:
    """Every record of a WARC file, failing the test if any digest does not match."""
    entries = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests=True):
            payload = record.raw_stream.read()
            assert record.digest_checker.passed is not False, record.digest_checker.problems
            http = record.http_headers
            entries.append(
                WarcEntry(
                    type=record.rec_type,
                    uri=record.rec_headers.get_header("WARC-Target-URI") or "",
                    warc=dict(record.rec_headers.headers),
                    http={k.lower(): v for k, v in http.headers} if http else {},
                    status_line=f"{http.protocol} {http.statusline}" if http else "",
                    payload=payload,
                )
            )
    return entries


def warc_payload_digest(payload: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[FetchServer]:
    with FetchServer() as srv:
        srv.route("/robots.txt", Reply(404))
        yield srv


@pytest.fixture
def warc_path(tmp_path: Path) -> Path:
    return tmp_path / "warc" / "run.warc.gz"


@pytest.fixture
def recorder(warc_path: Path) -> Iterator[WarcRecorder]:
    with WarcRecorder(
        warc_path, warc_file_label="warc/run.warc.gz", settings=FetchSettings()
    ) as rec:
        yield rec


def html(text: str = "<p>hi</p>") -> Reply:
    return Reply(200, text.encode(), [("Content-Type", "text/html; charset=utf-8")])


# --- throttle ---------------------------------------------------------------------------


def test_gap_between_requests_to_one_host_is_at_least_delay(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    for n in range(3):
        server.route(f"/p{n}", html())
    with PoliteClient(fast_settings(delay=0.2)) as client:
        for n in range(3):
            client.fetch(server.url(f"/p{n}"), recorder)
    seen = server.requests
    assert [r.path for r in seen] == ["/robots.txt", "/p0", "/p1", "/p2"]
    assert min(gaps(seen)) >= 0.2 - CLOCK_SLACK, gaps(seen)


def test_crawl_delay_larger_than_delay_wins(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nCrawl-delay: 0.4\n"))
    server.route("/a", html())
    server.route("/b", html())
    with PoliteClient(fast_settings(delay=0.05)) as client:
        client.fetch(server.url("/a"), recorder)
        client.fetch(server.url("/b"), recorder)
    seen = server.requests
    assert len(seen) == 3
    assert min(gaps(seen)) >= 0.4 - CLOCK_SLACK, gaps(seen)


def test_one_request_in_flight_per_host(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route("/slow1", Reply(200, b"1", delay=0.3))
    server.route("/slow2", Reply(200, b"2", delay=0.3))
    with PoliteClient(fast_settings(delay=0.0)) as client:
        threads = [
            threading.Thread(target=client.fetch, args=(server.url(path), recorder))
            for path in ("/slow1", "/slow2")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    slow = [r for r in server.requests if r.path.startswith("/slow")]
    assert len(slow) == 2
    # The second may only start once the first (0.3 s to answer) is over.
    assert slow[1].at - slow[0].at >= 0.3 - CLOCK_SLACK


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_throttle_hosts_are_independent_and_delay_only_rises() -> None:
    clock = FakeClock()
    throttle = HostThrottle(1.0, clock=clock, sleep=clock.sleep)
    with throttle.request_slot("a.example"):
        pass
    with throttle.request_slot("b.example"):
        pass
    assert clock.now == 0.0  # another host does not wait
    with throttle.request_slot("a.example"):
        pass
    assert clock.now == pytest.approx(1.0)
    throttle.raise_delay("a.example", 3.0)
    throttle.raise_delay("a.example", 0.5)
    assert throttle.delay_for("a.example") == 3.0
    assert throttle.delay_for("b.example") == 1.0


# --- autothrottle -----------------------------------------------------------------------


def test_after_a_429_later_gaps_to_that_host_are_larger(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    delay = 0.05
    server.fail_then_succeed("/busy", Reply(429, headers=[("Retry-After", "0")]), 1, html())
    for path in ("/before1", "/before2", "/after1", "/after2", "/after3"):
        server.route(path, html())
    with PoliteClient(fast_settings(delay=delay)) as client:
        for path in ("/before1", "/before2", "/busy", "/after1", "/after2", "/after3"):
            client.fetch(server.url(path), recorder)
    seen = [r for r in server.requests if r.path != "/robots.txt"]
    assert [r.path for r in seen] == [
        "/before1", "/before2", "/busy", "/busy", "/after1", "/after2", "/after3"
    ]
    before, after = gaps(seen[:2]), gaps(seen[3:])
    assert min(gaps(seen)) >= delay - CLOCK_SLACK, gaps(seen)  # the floor holds throughout
    assert max(before) < 0.3, before
    # A 429 doubles the interval (from at least 0.5 s) for the rest of the run.
    assert min(after) >= 0.5 - CLOCK_SLACK, after


def test_slow_answers_widen_the_gap_and_autothrottle_can_be_off(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/slow", Reply(200, b"slow", delay=0.6))
    server.route("/fast1", html())
    server.route("/fast2", html())

    def gap_after_slow_answers(settings: FetchSettings) -> float:
        with PoliteClient(settings) as client:
            for path in ("/slow", "/slow", "/fast1", "/fast2"):
                client.fetch(server.url(path), recorder)
        fast1, fast2 = server.requests[-2:]
        assert (fast1.path, fast2.path) == ("/fast1", "/fast2")
        return fast2.at - fast1.at

    # Smoothed toward the 0.6 s latency twice, then halfway back toward ~0: about 0.23 s.
    assert gap_after_slow_answers(fast_settings(delay=0.05)) >= 0.18
    assert gap_after_slow_answers(fast_settings(delay=0.05, autothrottle=False)) < 0.15


def test_autothrottle_interval_keeps_floor_cap_and_429_penalty() -> None:
    auto = AutoThrottle(max_delay=4.0)
    assert auto.observe("a", 200, latency=0.0, floor=1.0) == 1.0  # never below the floor
    assert auto.observe("a", 200, latency=3.0, floor=1.0) == pytest.approx(2.0)  # smoothed
    assert auto.observe("a", 429, latency=0.0, floor=1.0) == pytest.approx(4.0)  # doubled
    assert auto.observe("a", 429, latency=0.0, floor=1.0) == 4.0  # capped at max_delay
    for _ in range(10):  # fast answers do not undo a 429
        assert auto.observe("a", 200, latency=0.0, floor=1.0) == 4.0
    assert auto.observe("b", 503, latency=0.0, floor=1.0) == 2.0  # hosts are independent
    for _ in range(10):  # a 503 is not remembered: fast answers bring the gap back down
        interval = auto.observe("b", 200, latency=0.0, floor=1.0)
    assert interval == 1.0
    assert auto.observe("c", 200, latency=10.0, floor=6.0) == 6.0  # a Crawl-delay beats the cap
    assert auto.observe("d", 500, latency=0.0, floor=0.0) == 0.0
    auto.observe("d", 200, latency=2.0, floor=0.0)
    assert auto.observe("d", 500, latency=0.0, floor=0.0) == 1.0  # errors never speed us up


# --- robots.txt -------------------------------------------------------------------------


def test_robots_disallow_raises_and_no_request_reaches_the_path(
    server: FetchServer, recorder: WarcRecorder, warc_path: Path
) -> None:
    # Our own group wins over `*`, which would refuse everything.
    server.route(
        "/robots.txt",
        Reply(200, b"User-agent: *\nDisallow: /\n\nUser-agent: forum-mirror\nDisallow: /private\n"),
    )
    server.route("/public", html())
    url = server.url("/private/thread-1")
    with PoliteClient(fast_settings()) as client:
        with pytest.raises(RobotsDisallowed) as caught:
            client.fetch(url, recorder)
        client.fetch(server.url("/public"), recorder)
    message = str(caught.value)
    assert f"robots.txt at {server.url('/robots.txt')} disallows {url} for forum-mirror" in message
    assert not server.requests_to("/private/thread-1")
    assert len(server.requests_to("/robots.txt")) == 1  # once per host per client
    recorder.close()
    decisions = {e.uri: e.payload for e in read_warc(warc_path) if e.type == "metadata"}
    assert b"robots-decision: disallowed" in decisions[url]
    assert b"robots-decision: allowed" in decisions[server.url("/public")]


def test_each_robots_decision_is_recorded_right_before_the_exchange_it_allowed(
    server: FetchServer, recorder: WarcRecorder, warc_path: Path
) -> None:
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private\n"))
    for page in ("/a", "/b"):
        server.route(page, html())
    with PoliteClient(fast_settings()) as client:
        for page in ("/a", "/b"):
            client.fetch(server.url(page), recorder)
        recorder.record_metadata(server.url("/c"), {"note": "deferred, then closed"},
                                 deferred=True)
    recorder.close()
    entries = [(e.type, e.uri) for e in read_warc(warc_path)]
    for page in ("/a", "/b"):
        url = server.url(page)
        at = entries.index(("metadata", url))
        assert entries[at + 1:at + 3] == [("request", url), ("response", url)]
    # A deferred record with nothing written after it is written when the file closes.
    assert entries[-1] == ("metadata", server.url("/c"))


def test_the_warc_writer_runs_below_the_scrapers_priority(recorder: WarcRecorder) -> None:
    """Compression waits for the scraper and its parse worker (warc.WRITER_NICENESS)."""
    from scraper.fetch.warc import WRITER_NICENESS

    def niceness(thread_id: int) -> int:  # /proc's stat: field 19, after the name's ")"
        stat = Path(f"/proc/self/task/{thread_id}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[16])

    record = recorder.record_metadata("http://example.org/", {"note": "written by the writer"})
    deadline = time.monotonic() + 10
    while recorder.offset_of(record) is None and time.monotonic() < deadline:
        time.sleep(0.01)  # written: the writer set its priority before its first record
    writer = recorder._thread.native_id
    assert writer is not None
    mine = niceness(threading.get_native_id())
    assert niceness(writer) == min(19, mine + WRITER_NICENESS) > mine


def test_closing_gives_every_offset_at_once_then_puts_the_file_in_place(
    recorder: WarcRecorder, warc_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [recorder.record_metadata(f"http://example.org/{n}", {"n": str(n)},
                                        deferred=n == 4) for n in range(5)]
    # The rename held until the test says: `closing` returns before the file is in place.
    renaming, real_replace = threading.Event(), os.replace

    def held_replace(source: Any, target: Any) -> None:
        renaming.wait(10)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", held_replace)
    sealing = recorder.closing()
    assert all(recorder.offset_of(record) is not None for record in records)
    assert not sealing.done() and not warc_path.exists()
    with pytest.raises(ValueError, match="already closed"):
        recorder.record_metadata("http://example.org/late", {"n": "late"})
    renaming.set()
    sealing.result(10)
    assert warc_path.exists() and not warc_path.with_name(warc_path.name + ".part").exists()
    assert [e.uri for e in read_warc(warc_path) if e.type == "metadata"] == [
        f"http://example.org/{n}" for n in range(5)]
    recorder.close()  # closed already: nothing more to do


def test_a_warc_file_that_cannot_be_put_in_place_fails_its_first_close(
    recorder: WarcRecorder, warc_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(source: Any, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        recorder.close()
    recorder.close()  # said once; the .part file stays, as evidence
    assert not warc_path.exists() and warc_path.with_name(warc_path.name + ".part").exists()


def test_robots_404_allows_everything(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route("/robots.txt", Reply(404))
    server.route("/anything", html())
    with PoliteClient(fast_settings()) as client:
        assert client.fetch(server.url("/anything"), recorder).capture.status == 200


def test_robots_5xx_refuses_everything(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route("/robots.txt", Reply(503))
    server.route("/page", html())
    with (
        PoliteClient(fast_settings(max_retries=1)) as client,
        pytest.raises(RobotsDisallowed, match=r"answered 503.*disallowed \(RFC 9309\)"),
    ):
        client.fetch(server.url("/page"), recorder)
    assert not server.requests_to("/page")


def test_obey_robots_false_skips_robots_and_says_so(server: FetchServer, tmp_path: Path) -> None:
    settings = fast_settings(obey_robots=False)
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /\n"))
    server.route("/page", html())
    path = tmp_path / "x.warc.gz"
    with (
        WarcRecorder(path, warc_file_label="x.warc.gz", settings=settings) as rec,
        PoliteClient(settings) as client,
    ):
        client.fetch(server.url("/page"), rec)
    assert not server.requests_to("/robots.txt")
    warcinfo = read_warc(path)[0]
    assert warcinfo.type == "warcinfo"
    assert b"robots: ignore (obey_robots=False)" in warcinfo.payload


def test_robots_rules_use_request_rate_when_stricter() -> None:
    rules = RobotsRules.from_response(
        "http://x/robots.txt", 200, b"User-agent: *\nCrawl-delay: 2\nRequest-rate: 1/5\n"
    )
    assert rules.crawl_delay() == 5.0
    assert RobotsRules.from_response("http://x/robots.txt", 410, b"").allows("http://x/a")
    assert not RobotsRules.from_response("http://x/robots.txt", 500, b"").allows("http://x/a")


# --- retries ----------------------------------------------------------------------------


def test_503_twice_then_200_succeeds_and_every_try_is_recorded(
    server: FetchServer, recorder: WarcRecorder, warc_path: Path
) -> None:
    server.fail_then_succeed("/flaky", Reply(503, b"busy"), 2, html("<p>ok</p>"))
    with PoliteClient(fast_settings(max_retries=4)) as client:
        fetched = client.fetch(server.url("/flaky"), recorder)
    assert fetched.body == b"<p>ok</p>"
    assert len(server.requests_to("/flaky")) == 3
    recorder.close()
    entries = [e for e in read_warc(warc_path) if e.uri == server.url("/flaky")]
    responses = [e for e in entries if e.type == "response"]
    assert [r.status_line.split()[1] for r in responses] == ["503", "503", "200"]
    assert len([e for e in entries if e.type == "request"]) == 3
    assert responses[-1].warc["WARC-Record-ID"] == fetched.capture.warc_record_id


def test_retries_exhausted_says_the_last_status(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/down", Reply(502))
    with (
        PoliteClient(fast_settings(max_retries=2)) as client,
        pytest.raises(FetchFailed, match=r"after 3 tries: last status 502"),
    ):
        client.fetch(server.url("/down"), recorder)
    assert len(server.requests_to("/down")) == 3


def test_429_retry_after_is_waited_out(server: FetchServer, recorder: WarcRecorder) -> None:
    server.fail_then_succeed("/busy", Reply(429, headers=[("Retry-After", "1")]), 1, html())
    with PoliteClient(fast_settings()) as client:
        client.fetch(server.url("/busy"), recorder)
    first, second = server.requests_to("/busy")
    assert second.at - first.at >= 1.0


def test_retry_after_beyond_max_fails_the_host_at_once(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/busy", Reply(503, headers=[("Retry-After", "3600")]))
    server.route("/other", html())
    started = time.monotonic()
    with PoliteClient(fast_settings(max_retry_after=900)) as client:
        with pytest.raises(FetchFailed, match=r"wait 3600 s .*max_retry_after=900"):
            client.fetch(server.url("/busy"), recorder)
        with pytest.raises(FetchFailed, match="3600"):
            client.fetch(server.url("/other"), recorder)
    assert time.monotonic() - started < 1.0
    assert len(server.requests_to("/busy")) == 1
    assert not server.requests_to("/other")


def test_connection_refused_fails_with_a_clear_message(recorder: WarcRecorder) -> None:
    port = unused_port()
    with (
        PoliteClient(fast_settings(max_retries=1)) as client,
        pytest.raises(FetchFailed, match=rf"^cannot connect to 127\.0\.0\.1:{port}: .*tried 2"),
    ):
        client.fetch(f"http://127.0.0.1:{port}/thread", recorder)


def test_dropped_connection_is_retried(
    server: FetchServer, recorder: WarcRecorder, warc_path: Path
) -> None:
    server.fail_then_succeed("/drop", Disconnect(), 1, html())
    with PoliteClient(fast_settings()) as client:
        assert client.fetch(server.url("/drop"), recorder).capture.status == 200
    recorder.close()
    errors = [e for e in read_warc(warc_path) if b"fetch-error" in e.payload]
    assert len(errors) == 1 and errors[0].type == "metadata"


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(max_retries=9, backoff_base=1.0, backoff_cap=8.0, max_retry_after=60)
    for retry_number, ceiling in [(0, 1.0), (2, 4.0), (6, 8.0)]:
        waits = [policy.backoff(retry_number) for _ in range(200)]
        assert min(waits) >= 0 and max(waits) <= ceiling
        assert max(waits) > ceiling / 2  # jittered over the whole range, not a constant
    with pytest.raises(RetryAfterTooLong):
        policy.wait_before_retry(0, "61")


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Sun, 01 Nov 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None


# --- statuses, redirects, size caps -----------------------------------------------------


def test_error_status_fails_with_status_and_url(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    url = server.url("/gone")
    with (
        PoliteClient(fast_settings()) as client,
        pytest.raises(FetchFailed, match=rf"^{url} answered 404 Not Found$"),
    ):
        client.fetch(url, recorder)
    assert len(server.requests_to("/gone")) == 1  # a 404 is not retried


def test_redirects_are_followed_and_every_hop_recorded(
    server: FetchServer, recorder: WarcRecorder, warc_path: Path
) -> None:
    server.route("/old", Reply(301, headers=[("Location", "/new")]))
    server.route("/new", html("<p>moved</p>"))
    server.route("/loop", Reply(302, headers=[("Location", "/loop")]))
    with PoliteClient(fast_settings()) as client:
        fetched = client.fetch(server.url("/old"), recorder)
        with pytest.raises(FetchFailed, match="redirects more than 5 times"):
            client.fetch(server.url("/loop"), recorder)
    assert fetched.capture.url == server.url("/old")
    assert fetched.capture.final_url == server.url("/new")
    assert fetched.body == b"<p>moved</p>"
    recorder.close()
    responses = [e.uri for e in read_warc(warc_path) if e.type == "response"]
    assert server.url("/old") in responses and server.url("/new") in responses


def test_body_over_the_cap_fails_and_caps_depend_on_kind(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    big = b"x" * 5000
    server.route("/big", Reply(200, big))
    server.route("/big-chunked", Reply(200, big, chunked=True))
    settings = fast_settings(max_page_bytes=1000, max_asset_bytes=10_000)
    with PoliteClient(settings) as client:
        for path in ("/big", "/big-chunked"):
            with pytest.raises(FetchFailed, match=r"larger than the .* limit for pages"):
                client.fetch(server.url(path), recorder)
        assert client.fetch(server.url("/big"), recorder, kind="asset").body == big


# --- WARC -------------------------------------------------------------------------------


def test_warc_validates_and_holds_every_kind_of_record(
    server: FetchServer, warc_path: Path
) -> None:
    page = "<p>" + "compressible " * 50 + "</p>"
    compressed = gzip.compress(page.encode())  # once: gzip stamps the current time
    server.route(
        "/gz",
        Reply(
            200,
            compressed,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),
                ("Set-Cookie", "session=secret-token; Path=/"),
            ],
        ),
    )
    server.route("/chunked", Reply(200, b"1a\r\nnot chunk framing", chunked=True))
    settings = fast_settings()
    recorder = WarcRecorder(warc_path, warc_file_label="warc/run.warc.gz", settings=settings)
    part = warc_path.with_name(warc_path.name + ".part")
    with PoliteClient(settings) as client:
        fetched = client.fetch(server.url("/gz"), recorder)
        chunked = client.fetch(server.url("/chunked"), recorder)
        assert part.exists() and not warc_path.exists()  # written under .part until closed
        recorder.close()
    assert warc_path.exists() and not part.exists()
    assert server.requests_to("/chunked")[0].headers.get("cookie") == "session=secret-token"

    check = subprocess.run(
        [str(Path(sys.executable).with_name("warcio")), "check", "-v", str(warc_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout

    entries = read_warc(warc_path)
    assert entries[0].type == "warcinfo"
    assert {"warcinfo", "request", "response", "metadata"} <= {e.type for e in entries}
    assert entries[0].warc["WARC-Type"] == "warcinfo"
    assert b"format: WARC File Format 1.1" in entries[0].payload
    assert f"software: forum-mirror/{__version__}".encode() in entries[0].payload

    gz_response = next(e for e in entries if e.type == "response" and e.uri.endswith("/gz"))
    assert gz_response.payload == compressed  # raw bytes as received
    assert gz_response.warc["WARC-Payload-Digest"] == warc_payload_digest(gz_response.payload)
    assert "set-cookie" not in gz_response.http
    gz_request = next(e for e in entries if e.type == "request" and e.uri.endswith("/gz"))
    assert gz_request.warc["WARC-Concurrent-To"] == gz_response.warc["WARC-Record-ID"]
    assert fetched.body == page.encode()
    assert fetched.capture.sha256 == hashlib.sha256(page.encode()).hexdigest()
    assert fetched.capture.warc_file == "warc/run.warc.gz"
    assert fetched.capture.fetched_at == gz_response.warc["WARC-Date"]
    assert fetched.capture.fetched_at.endswith("Z")

    # De-chunked by httpx, so stored without chunked framing that readers would re-apply.
    chunked_response = next(
        e for e in entries if e.uri.endswith("/chunked") and e.type == "response"
    )
    assert chunked_response.payload == chunked.body == b"1a\r\nnot chunk framing"
    assert "transfer-encoding" not in chunked_response.http

    with gzip.open(warc_path) as everything:
        assert b"secret-token" not in everything.read()


def test_user_agent_sent_is_the_projects(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route("/page", html())
    with PoliteClient(fast_settings()) as client:
        client.fetch(server.url("/page"), recorder)
    expected = f"forum-mirror/{__version__} (+{PROJECT_URL})"
    assert FetchSettings().user_agent == expected
    assert {r.headers["user-agent"] for r in server.requests} == {expected}


def test_counters_count_requests_and_bytes(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route("/page", Reply(200, b"12345"))
    with PoliteClient(fast_settings()) as client:
        client.fetch(server.url("/page"), recorder)
        assert client.requests_made == 2  # robots.txt and the page
        assert client.bytes_received == 5  # the fixture's robots.txt 404 has no body


# --- conditional requests ---------------------------------------------------------------


def test_conditional_request_sends_validators_and_handles_304(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    etag, modified = '"v1"', "Sun, 01 Nov 2026 10:00:00 GMT"
    server.route("/thread", Reply(304, headers=[("ETag", etag)]))
    with PoliteClient(fast_settings()) as client:
        fetched = client.fetch(
            server.url("/thread"), recorder, validators=Validators(etag, modified)
        )
    sent = server.requests_to("/thread")[0].headers
    assert sent["if-none-match"] == etag
    assert sent["if-modified-since"] == modified
    assert fetched.not_modified
    assert fetched.body == b""
    assert fetched.capture.etag == etag
    assert fetched.capture.last_modified == modified


# --- charset ----------------------------------------------------------------------------


def test_windows_1256_body_decodes_to_arabic(server: FetchServer, recorder: WarcRecorder) -> None:
    server.route(
        "/ar",
        Reply(200, ARABIC.encode("cp1256"), [("Content-Type", "text/html; charset=windows-1256")]),
    )
    with PoliteClient(fast_settings()) as client:
        assert client.fetch(server.url("/ar"), recorder).text() == ARABIC


def test_charset_from_header_then_meta_then_utf8() -> None:
    # ISO-8859-6 because the windows-1256 fallback would misread it: a declaration must win.
    iso = ARABIC.encode("iso-8859-6")
    assert decode_body(iso, "text/html; charset=ISO-8859-6") == ARABIC
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-6">'
    assert decode_body(meta.encode() + iso, "text/html").endswith(ARABIC)
    assert decode_body(b"<meta charset=iso-8859-6>" + iso, "text/html").endswith(ARABIC)
    assert decode_body(f"<meta charset='utf-8'>{ARABIC}".encode(), None).endswith(ARABIC)
    assert decode_body(ARABIC.encode(), "text/html") == ARABIC
    assert decode_body(ARABIC.encode(), "text/html; charset=bogus-label") == ARABIC


# --- https ------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[FetchServer, Path]]:
    """The scripted server behind TLS with a fresh self-signed certificate for 127.0.0.1,
    and that certificate's file (trusted by nobody unless a test says so)."""
    import shutil
    import ssl

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl makes the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv = FetchServer()
    srv._httpd.socket = context.wrap_socket(srv._httpd.socket, server_side=True)
    srv.route("/robots.txt", Reply(404))
    srv.route("/page", html())
    with srv:
        yield srv, cert


def test_https_certificate_is_verified(tls_server: tuple[FetchServer, Path],
                                       recorder: WarcRecorder,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The TLS transport, made only when an https:// URL is first fetched, verifies as
    httpx's default does: an unknown certificate is refused, one the environment's CA file
    (SSL_CERT_FILE) trusts is accepted."""
    srv, cert = tls_server
    url = srv.url("/page").replace("http://", "https://")
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    with PoliteClient(fast_settings(max_retries=0)) as client, \
            pytest.raises(FetchFailed, match="CERTIFICATE_VERIFY_FAILED"):
        client.fetch(url, recorder)
    assert srv.requests_to("/page") == []
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with PoliteClient(fast_settings()) as client:
        assert client.fetch(url, recorder).body == b"<p>hi</p>"
    assert len(srv.requests_to("/page")) == 1
