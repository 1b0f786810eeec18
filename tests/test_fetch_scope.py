"""What `forum-mirror scrape` may reach, and with what: robots.txt opt-out, private addresses,
cookies. Run through the CLI against servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import ipaddress
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scraper.cli import main
from scraper.demo_forum import DemoForum, SeedPost
from scraper.errors import CookiesFileError, FetchFailed
from scraper.fetch import FetchSettings, PoliteClient, WarcRecorder
from scraper.fetch.addresses import PrivateAddressGuard, non_public_kind
from scraper.fetch.cookies import load_cookies

from .fetch_server import FetchServer, Reply
from .test_fetch import read_warc, recorder, server, warc_path

__all__ = ["recorder", "server", "warc_path"]  # fixtures shared with test_fetch.py

# Not a real image: the archive stores whatever bytes an asset URL answers with.
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64

DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def thread_json(archive: Path) -> dict:
    (path,) = (archive / "threads").glob("*/thread.json")
    return json.loads(path.read_text("utf-8"))


def test_ignore_robots_archives_and_says_so_in_the_provenance(tmp_path: Path) -> None:
    with DemoForum(robots_txt=DISALLOW_ALL) as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path), "--delay", "0",
                     "--ignore-robots"])
        paths = [r.path for r in forum.requests]
    assert code == 0
    assert "/robots.txt" not in paths
    thread = thread_json(tmp_path)
    assert thread["posts"]
    assert [run["settings"]["obey_robots"] for run in thread["runs"]] == [False]
    warcinfo = read_warc(tmp_path / thread["runs"][0]["warc_file"])[0]
    assert warcinfo.type == "warcinfo"
    assert b"robots: ignore (obey_robots=False)" in warcinfo.payload


def test_robots_are_obeyed_without_the_flag(tmp_path: Path) -> None:
    with DemoForum(robots_txt=DISALLOW_ALL) as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path), "--delay", "0"])
        paths = [r.path for r in forum.requests]
    assert code == 3
    assert paths == ["/robots.txt"]


# --- private addresses ------------------------------------------------------------------


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request was sent to {request.url}")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.255.255.1/x", "10.255.255.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://127.0.0.1:9/", "127.0.0.1 is a loopback address"),
        ("http://[::1]:9/", "::1 is a loopback address"),
        ("http://[::ffff:192.168.0.1]/", "::ffff:c0a8:1 is a private address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("http://0.0.0.0/", "0.0.0.0 is a"),
        ("http://localhost:9/", "localhost resolves to"),
    ],
)
def test_non_public_addresses_are_refused_before_any_request(
    url: str, why: str, recorder: WarcRecorder
) -> None:
    with (
        PoliteClient(FetchSettings(), transport=httpx.MockTransport(no_network)) as client,
        pytest.raises(FetchFailed) as caught,
    ):
        client.fetch(url, recorder)
    message = str(caught.value)
    assert message.startswith(f"refusing {url}: ")
    assert why in message
    assert message.endswith("; pass --allow-private-addresses if you mean it")
    assert client.requests_made == 0


def test_public_addresses_pass_the_guard() -> None:
    guard = PrivateAddressGuard(frozenset())
    guard.check("http://93.184.215.14/thread")
    guard.check("https://[2606:4700::1111]/")
    assert non_public_kind(ipaddress.ip_address("100.64.0.1")) == "non-public"  # carrier NAT
    assert non_public_kind(ipaddress.ip_address("8.8.8.8")) is None


def test_loopback_works_for_allowed_hosts_and_with_allow_all(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/page", Reply(200, b"ok"))
    with PoliteClient(FetchSettings(delay=0)) as client, pytest.raises(FetchFailed):
        client.fetch(server.url("/page"), recorder)
    assert server.requests == []  # not even robots.txt
    allowed = FetchSettings(delay=0, allow_private_origins=frozenset({server.origin}))
    with PoliteClient(allowed) as client:
        assert client.fetch(server.url("/page"), recorder).body == b"ok"
    with PoliteClient(FetchSettings(delay=0, allow_private_addresses=True)) as client:
        assert client.fetch(server.url("/page"), recorder).body == b"ok"
    assert [r.path for r in server.requests] == ["/robots.txt", "/page"] * 2


def test_a_redirect_to_a_private_address_is_refused(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/go", Reply(302, headers=[("Location", "http://169.254.169.254/secret")]))
    settings = FetchSettings(delay=0, allow_private_origins=frozenset({server.origin}))
    with (
        PoliteClient(settings) as client,
        pytest.raises(FetchFailed, match=r"^refusing http://169\.254\.169\.254/secret: "),
    ):
        client.fetch(server.url("/go"), recorder)
    assert client.requests_made == 2  # robots.txt and /go, nothing more


@pytest.fixture
def loopback_cdn() -> Iterator[FetchServer]:
    with FetchServer() as cdn:
        cdn.route("/robots.txt", Reply(404))
        cdn.route("/a.png", Reply(200, PNG, [("Content-Type", "image/png")]))
        yield cdn


@pytest.mark.parametrize("allow_all", [False, True])
def test_scrape_allows_the_threads_host_and_refuses_other_private_ones(
    allow_all: bool, loopback_cdn: FetchServer, tmp_path: Path
) -> None:
    # The forum is on 127.0.0.1, the image it links to on localhost: another host.
    image = loopback_cdn.url("/a.png").replace("127.0.0.1", "localhost")
    post = SeedPost(content_html=f'<img class="bbImage" src="{image}" alt="a">')
    with DemoForum(extra_posts=[post]) as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path), "--delay", "0"]
                    + (["--allow-private-addresses"] if allow_all else []))
    assert code == 0
    thread = thread_json(tmp_path)
    failed = thread["runs"][0]["failed_assets"]
    if allow_all:
        assert failed == []
        assert [r.path for r in loopback_cdn.requests] == ["/robots.txt", "/a.png"]
    else:
        assert failed == [image]
        assert loopback_cdn.requests == []


# --- cookies ----------------------------------------------------------------------------

SECRET = "s3cr3t-session-value"


def cookies_txt(path: Path, *lines: tuple[str, str, str], expires: int = 0) -> Path:
    """A Netscape cookies.txt of (domain, name, value); expiry 0 marks session cookies."""
    rows = [f"{domain}\tFALSE\t/\tFALSE\t{expires}\t{name}\t{value}"
            for domain, name, value in lines]
    path.write_text("# Netscape HTTP Cookie File\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def every_archived_byte(root: Path) -> bytes:
    """Every file under `root`, gzip members decompressed, joined."""
    data = b""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        data += gzip.decompress(raw) if path.name.endswith(".gz") else raw
    return data


def test_cookies_reach_matching_hosts_only_and_never_the_archive_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    cookies = cookies_txt(tmp_path / "cookies.txt", ("127.0.0.1", "xf_session", SECRET),
                          ("board.example", "other_board", "not-for-this-board"))
    archive = tmp_path / "archive"
    with DemoForum() as forum:
        code = main(["--verbose", "scrape", forum.thread_url, "--archive", str(archive),
                     "--delay", "0", "--cookies", str(cookies)])
        sent = [r.headers.get("Cookie") for r in forum.requests]
    assert code == 0
    assert len(sent) >= 8, sent
    for cookie in sent:  # the board's own Set-Cookie (xf_csrf) joins ours after a while
        assert f"xf_session={SECRET}" in cookie.split("; ")
        assert "not-for-this-board" not in cookie
    stored = every_archived_byte(archive)
    assert b"cookies_file" in stored  # the warcinfo says cookies were used ...
    assert SECRET.encode() not in stored  # ... but not which
    assert str(cookies).encode() not in stored
    out, err = capsys.readouterr()
    assert SECRET not in caplog.text + out + err


def test_a_cookie_for_one_host_is_not_sent_to_another(
    server: FetchServer, recorder: WarcRecorder, tmp_path: Path
) -> None:
    server.route("/page", Reply(200, b"ok"))
    settings = FetchSettings(
        delay=0, allow_private_addresses=True,
        cookies_file=cookies_txt(tmp_path / "c.txt", ("127.0.0.1", "session", SECRET)),
    )
    with PoliteClient(settings) as client:
        client.fetch(server.url("/page"), recorder)
        client.fetch(server.url("/page").replace("127.0.0.1", "localhost"), recorder)
    cookies = [r.headers.get("cookie") for r in server.requests_to("/page")]
    assert cookies == [f"session={SECRET}", None]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist; export the board's cookies"),
        ("session=abc\n", "is not a Netscape cookies.txt file"),
        (b"\x89PNG\x00\xff", "is not a Netscape cookies.txt file"),
    ],
    ids=["missing", "not-cookies-txt", "binary"],
)
def test_unusable_cookies_file_fails_clearly_before_any_request(
    content: str | bytes | None, message: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cookies.txt"
    if isinstance(content, str):
        path.write_text(content, "utf-8")
    elif content is not None:
        path.write_bytes(content)
    with DemoForum() as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path / "a"),
                     "--cookies", str(path)])
        requests = forum.requests
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert str(path) in err.replace("\n", "") and message in err.replace("\n", " ")
    assert requests == []


def test_unreadable_cookies_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(CookiesFileError, match=r"cannot read cookies file .*: Is a directory"):
        load_cookies(tmp_path)


def test_expired_cookies_are_dropped_and_session_ones_kept(tmp_path: Path) -> None:
    expired = cookies_txt(tmp_path / "old.txt", ("127.0.0.1", "old", "x"), expires=1)
    assert list(load_cookies(expired)) == []
    kept = load_cookies(cookies_txt(tmp_path / "new.txt", ("127.0.0.1", "session", SECRET)))
    assert [(c.name, c.value) for c in kept] == [("session", SECRET)]
