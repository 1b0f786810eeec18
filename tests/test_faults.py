"""A misbehaving server: each fault ends in the data or in a clear error, never in a bad archive."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.demo_forum import DemoForum, SeedPost
from scraper.errors import FetchFailed
from scraper.fetch import FetchSettings, PoliteClient, WarcRecorder
from scraper.scrape import scrape_thread

from .fetch_server import FetchServer, Reply

FAST = FetchSettings(delay=0.0, max_retries=2, backoff_base=0.01, backoff_cap=0.05, timeout=5,
                     allow_private_addresses=True)


@dataclass
class ResetMidBody(Reply):
    """Promise a body, send half of it, then drop the connection."""

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body[: len(self.body) // 2])
        handler.wfile.flush()
        handler.close_connection = True


@pytest.fixture
def server() -> Iterator[FetchServer]:
    with FetchServer() as running:
        running.route("/robots.txt", Reply(status=404))
        yield running


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[WarcRecorder]:
    with WarcRecorder(tmp_path / "run.warc.gz", warc_file_label="run.warc.gz",
                      settings=FAST) as warc:
        yield warc


def test_reset_mid_body_is_retried_then_succeeds(server: FetchServer, recorder: WarcRecorder
                                                 ) -> None:
    body = "<p>المغرب</p>".encode() * 1000
    server.fail_then_succeed("/page", ResetMidBody(body=body), 1, Reply(body=body))
    with PoliteClient(FAST) as client:
        fetched = client.fetch(server.url("/page"), recorder)
    assert fetched.body == body
    assert len(server.requests_to("/page")) == 2


def test_reset_mid_body_every_time_fails_clearly(server: FetchServer, recorder: WarcRecorder
                                                 ) -> None:
    server.route("/page", ResetMidBody(body=b"x" * 10_000))
    with PoliteClient(FAST) as client, pytest.raises(FetchFailed, match="/page"):
        client.fetch(server.url("/page"), recorder)
    assert len(server.requests_to("/page")) == FAST.max_retries + 1


def test_gzip_bomb_is_stopped_at_the_size_cap(server: FetchServer, recorder: WarcRecorder
                                              ) -> None:
    bomb = gzip.compress(b"\0" * (64 * 2**20))  # 64 MiB of zeros in about 64 KiB
    assert len(bomb) < 2**20
    server.route("/bomb", Reply(body=bomb, headers=[("Content-Encoding", "gzip"),
                                                    ("Content-Type", "text/html")]))
    settings = FetchSettings(delay=0, max_retries=0, max_page_bytes=2**20,
                             allow_private_addresses=True)
    with PoliteClient(settings) as client, pytest.raises(FetchFailed, match="limit"):
        client.fetch(server.url("/bomb"), recorder)


def test_redirect_loop_stops_after_five_hops(server: FetchServer, recorder: WarcRecorder
                                             ) -> None:
    server.route("/a", Reply(status=302, headers=[("Location", "/b")]))
    server.route("/b", Reply(status=302, headers=[("Location", "/a")]))
    with PoliteClient(FAST) as client, pytest.raises(FetchFailed, match="redirects more than 5"):
        client.fetch(server.url("/a"), recorder)
    assert len(server.requests) - 1 <= 6  # robots.txt, then at most 6 hops


@pytest.mark.parametrize("charset", ["windows-1256", "iso-8859-6"])
def test_old_arabic_charsets_decode(server: FetchServer, recorder: WarcRecorder, charset: str
                                    ) -> None:
    text = "آفاق التعاون العسكري بين المغرب و إسرائيل"
    server.route("/old", Reply(body=f"<p>{text}</p>".encode(charset),
                               headers=[("Content-Type", f"text/html; charset={charset}")]))
    with PoliteClient(FAST) as client:
        assert text in client.fetch(server.url("/old"), recorder).text()


def test_meta_charset_is_used_when_the_header_names_none(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    text = "المنتدى"
    body = f'<html><head><meta charset="windows-1256"></head><p>{text}</p>'.encode("cp1256")
    server.route("/meta", Reply(body=body, headers=[("Content-Type", "text/html")]))
    with PoliteClient(FAST) as client:
        assert text in client.fetch(server.url("/meta"), recorder).text()


def test_an_asset_that_keeps_failing_is_reported_and_the_thread_still_archived(
    server: FetchServer, tmp_path: Path
) -> None:
    server.route("/broken.jpg", ResetMidBody(body=b"\xff\xd8\xff" + b"x" * 5000))
    html = f'<img class="bbImage" src="{server.url("/broken.jpg")}" alt="broken.jpg">'
    with DemoForum(host="localhost", extra_posts=[SeedPost(content_html=html)]) as forum, \
            PoliteClient(FAST) as client:
        summary = scrape_thread(forum.thread_url, ThreadArchive(tmp_path), client)
    assert summary.failed_assets == [server.url("/broken.jpg")]
    thread = ThreadArchive(tmp_path).load(summary.key)
    assert thread is not None and len(thread.posts) == 9
    last = thread.posts[-1]
    assert last.images == []  # nothing pretends to be archived
    assert server.url("/broken.jpg") in last.content_html  # the site turns it into a link
    assert thread.runs[-1]["failed_assets"] == [server.url("/broken.jpg")]


def test_mislabelled_charset_gives_way_to_the_one_that_fits(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    text = "متجدد آفاق التعاون"
    body = f'<html><head><meta charset="windows-1256"></head><p>{text}</p>'.encode("cp1256")
    server.route("/mislabelled", Reply(body=body, headers=[("Content-Type",
                                                           "text/html; charset=utf-8")]))
    with PoliteClient(FAST) as client:
        assert text in client.fetch(server.url("/mislabelled"), recorder).text()


@dataclass
class Trickle(Reply):
    """Promise a body and send it one byte every `pause` seconds."""

    pause: float = 0.05

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        for byte in self.body:
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:  # the client gave up, as it should
                return
            time.sleep(self.pause)


def test_trickling_server_is_cut_off_by_the_total_download_limit(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/slow", Trickle(body=b"x" * 1000))  # 50 s at this pace
    settings = FetchSettings(delay=0, max_retries=1, backoff_base=0.01, timeout=5,
                             max_download_seconds=0.5, allow_private_addresses=True)
    started = time.monotonic()
    with PoliteClient(settings) as client, pytest.raises(FetchFailed, match="too slowly"):
        client.fetch(server.url("/slow"), recorder)
    assert time.monotonic() - started < 5
    assert len(server.requests_to("/slow")) == 2  # the first try and one retry
