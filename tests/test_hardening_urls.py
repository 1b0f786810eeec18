"""URLs a careless user or a hostile board can hand us (issue 9, cases 7, 9, 10, 12, 15):
credentials, other origins, malformed URLs and several spellings of one thread.

The end-to-end tests run the CLI against servers on 127.0.0.1 and look at what the servers
saw and what the archive holds; the properties (Hypothesis) throw any string at the one
place URLs are canonicalised and thread keys made.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scraper.cli import main
from scraper.demo_forum import SEED_THREAD, DemoForum, SeedPost, pages
from scraper.engines import engines_claiming, url_thread_key
from scraper.errors import FetchFailed, UnsupportedUrl
from scraper.fetch import FetchSettings, PoliteClient, WarcRecorder
from scraper.urls import MAX_THREAD_KEY_LENGTH, canonical_url, page_url, same_site

from .fetch_server import FetchServer, Reply
from .test_fetch import read_warc, recorder, server, warc_path
from .test_fetch_scope import PNG, every_archived_byte, thread_json

__all__ = ["recorder", "server", "warc_path"]  # fixtures shared with test_fetch.py

PASSWORD = "hunter2-not-for-disk"
KEY_RULE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # the rule archive readers enforce too
PAGE_1 = pages.thread_path(SEED_THREAD, 1)
PAGE_2 = pages.thread_path(SEED_THREAD, 2)


def with_userinfo(url: str, userinfo: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{userinfo}@{rest}"


def scrape(*args: str) -> int:
    return main(["scrape", *args, "--delay", "0", "--max-retries", "0"])


def html_reply(body: str) -> Reply:
    return Reply(200, body.encode(), [("Content-Type", "text/html; charset=utf-8")])


# --- 7: credentials in a URL ------------------------------------------------------------


@pytest.mark.parametrize("command", ["scrape", "add", "update"])
def test_a_thread_url_with_a_password_is_refused_before_anything_happens(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    archive = tmp_path / "archive"
    with DemoForum() as forum:
        url = with_userinfo(forum.thread_url, f"member:{PASSWORD}")
        code = main([command, url, "--archive", str(archive)])
        requests = list(forum.requests)
    out, err = capsys.readouterr()
    assert code == 2
    assert requests == []
    assert "--cookies" in err and len(err.strip().splitlines()) == 1
    assert PASSWORD not in out + err + caplog.text
    assert PASSWORD.encode() not in every_archived_byte(tmp_path)
    assert not (archive / "threads").exists() and not (archive / "forum-mirror.toml").exists()


def test_credentials_in_urls_on_a_page_are_never_sent_nor_stored(tmp_path: Path) -> None:
    with FetchServer() as cdn:
        cdn.route("/robots.txt", Reply(404))
        cdn.route("/a.png", Reply(200, PNG, [("Content-Type", "image/png")]))
        image = with_userinfo(cdn.url("/a.png"), f"cdn:{PASSWORD}")
        link = with_userinfo(cdn.url("/page"), f"who:{PASSWORD}")
        post = SeedPost(content_html=f'<img class="bbImage" src="{image}" alt="a.png">'
                                     f'<a href="{link}">a link</a>')
        with DemoForum(extra_posts=[post]) as forum:
            code = scrape(forum.thread_url, "--archive", str(tmp_path),
                          "--allow-private-addresses")
        seen = cdn.requests_to("/a.png")
    assert code == 0
    assert len(seen) == 1 and "authorization" not in seen[0].headers
    thread = thread_json(tmp_path)
    assert PASSWORD not in json.dumps(thread, ensure_ascii=False)
    (stored,) = [a for a in thread["assets"] if a["filename"] == "a.png"]
    assert stored["urls"] == [cdn.url("/a.png")]
    last = thread["posts"][-1]["content_html"]
    assert f'href="{cdn.url("/page")}"' in last and "a link" in last
    # The WARC keeps the board's page as it was sent; no request or target URI has it.
    for entry in read_warc(tmp_path / thread["runs"][0]["warc_file"]):
        assert PASSWORD not in entry.uri + json.dumps(entry.http)
        if entry.type in ("request", "metadata", "warcinfo"):
            assert PASSWORD.encode() not in entry.payload


# --- 9: the private-address allowance is the thread's origin, not its host -------------


def test_another_port_of_the_threads_host_is_not_allowed(tmp_path: Path) -> None:
    with FetchServer() as other_service:
        other_service.route("/robots.txt", Reply(404))
        other_service.route("/a.png", Reply(200, PNG, [("Content-Type", "image/png")]))
        image = other_service.url("/a.png")  # 127.0.0.1, as the forum, on another port
        post = SeedPost(content_html=f'<img class="bbImage" src="{image}" alt="a.png">')
        with DemoForum(extra_posts=[post]) as forum:
            code = scrape(forum.thread_url, "--archive", str(tmp_path))
            board_assets = [r for r in forum.requests if r.path.startswith("/attachments/")]
    assert code == 0
    assert other_service.requests == []
    thread = thread_json(tmp_path)
    assert thread["runs"][0]["failed_assets"] == [image]
    assert board_assets and len(thread["assets"]) >= len(board_assets)  # own origin: fetched


# --- 10: "next" and canonical links to another origin ----------------------------------


def test_a_next_link_to_another_origin_is_not_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FetchServer() as board, FetchServer() as elsewhere:
        elsewhere.route(PAGE_2, html_reply(
            pages.render_thread_page(2, base_url=elsewhere.origin)))
        page_1 = pages.render_thread_page(1, base_url=board.origin).replace(
            f'<a href="{PAGE_2}" class="pageNav-jump pageNav-jump--next">',
            f'<a href="{elsewhere.url(PAGE_2)}" class="pageNav-jump pageNav-jump--next">')
        assert elsewhere.url(PAGE_2) in page_1
        board.route("/robots.txt", Reply(404))
        board.route(PAGE_1, html_reply(page_1))
        code = scrape(board.url(PAGE_1), "--archive", str(tmp_path))
        asked_elsewhere = elsewhere.requests
    assert code == 5  # a pagination fault: what was read is kept, marked incomplete
    assert asked_elsewhere == []
    thread = thread_json(tmp_path)
    assert [p["number"] for p in thread["pages"]] == [1]
    assert len(thread["posts"]) == pages.DEFAULT_POSTS_PER_PAGE
    assert thread["incomplete"]["page"] == 1
    assert f"leads to another site, {elsewhere.url(PAGE_2)}" in thread["incomplete"]["reason"]


def test_a_canonical_link_to_another_origin_is_ignored_and_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FetchServer() as board, FetchServer() as elsewhere:
        board.route("/robots.txt", Reply(404))
        for number, path in ((1, PAGE_1), (2, PAGE_2)):  # every page names the other site
            elsewhere.route(path, html_reply(pages.render_thread_page(
                number, base_url=elsewhere.origin)))
            page = pages.render_thread_page(number, base_url=board.origin).replace(
                f'<link rel="canonical" href="{board.url(path)}" />',
                f'<link rel="canonical" href="{elsewhere.url(path)}" />')
            assert elsewhere.url(path) in page
            board.route(path, html_reply(page))
        assert scrape(board.url(PAGE_1), "--archive", str(tmp_path)) == 0
        out, err = capsys.readouterr()
        assert main(["update", "--archive", str(tmp_path), "--delay", "0"]) == 0
        assert main(["verify", "--archive", str(tmp_path)]) == 0  # the schema knows the field
        asked_elsewhere = elsewhere.requests
        last_page_checks = board.requests_to(PAGE_2)
    assert asked_elsewhere == []
    assert len(last_page_checks) == 2  # the scrape, then the update's re-check from there
    thread = thread_json(tmp_path)
    assert thread["thread"]["url"] == board.url(PAGE_1)
    # As the board wrote it on the page read last (the update's re-check of page 2).
    assert thread["thread"]["ignored_canonical"] == elsewhere.url(PAGE_2)
    assert f"({board.url(PAGE_1)})" in out + err  # the summary names the board's own URL


# --- 12: malformed URLs on a page -------------------------------------------------------


def test_malformed_urls_in_a_post_are_kept_as_text_and_the_thread_is_archived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FetchServer() as cdn:
        long_url = cdn.url("/" + "a" * 70_000 + ".png")
        post = SeedPost(content_html=(
            '<img class="bbImage" src="http://[::1/x.png" alt="unbalanced.png">'
            '<a href="http://xn--/x.png">dead punycode link</a>'
            f'<img class="bbImage" src="{long_url}" alt="long.png">'
            '<a href="http://[::1/x">dead ipv6 link</a> and text after'))
        with DemoForum(extra_posts=[post]) as forum:
            code = scrape(forum.thread_url, "--archive", str(tmp_path),
                          "--allow-private-addresses")
        asked = cdn.requests
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in out + err
    assert asked == []
    thread = thread_json(tmp_path)
    last = thread["posts"][-1]
    assert "dead punycode link" in last["content_text"] and "text after" in last["content_text"]
    assert "xn--/" not in last["content_html"] and "[::1/" not in last["content_html"]
    assert "a" * 1000 not in json.dumps(thread)
    assert "<a>dead punycode link</a>" in last["content_html"]
    assert len(thread["posts"]) == len(SEED_THREAD.posts) + 1


@pytest.mark.parametrize(
    "url",
    ["http://xn--/x.png", "http://127.0.0.1:1/" + "a" * 70_000, "http://[::1/x.png",
     "http://user:pw@127.0.0.1:1/x.png", "http://a_b.example/x.png"],
    ids=["bad-punycode", "70-kB", "unbalanced-bracket", "userinfo", "underscore"],
)
def test_the_client_refuses_an_unfetchable_url_with_fetch_failed(
    url: str, server: FetchServer, recorder: WarcRecorder
) -> None:
    with PoliteClient(FetchSettings(delay=0, allow_private_addresses=True)) as client:
        with pytest.raises(FetchFailed, match=r"^(not fetched|cannot fetch)"):
            client.fetch(url, recorder)
        assert client.requests_made == 0


def test_a_redirect_to_a_malformed_location_fails_as_a_fetch(
    server: FetchServer, recorder: WarcRecorder
) -> None:
    server.route("/go", Reply(302, headers=[("Location", "http://xn--/x")]))
    server.route("/creds", Reply(302, headers=[("Location", server.url("/x").replace(
        "http://", f"http://u:{PASSWORD}@"))]))
    settings = FetchSettings(delay=0, max_retries=0, allow_private_addresses=True)
    with PoliteClient(settings) as client:
        with pytest.raises(FetchFailed, match="redirects to an unreadable URL"):
            client.fetch(server.url("/go"), recorder)
        with pytest.raises(FetchFailed, match="carries a user name or password") as caught:
            client.fetch(server.url("/creds"), recorder)
    assert PASSWORD not in str(caught.value)
    assert [r.path for r in server.requests] == ["/robots.txt", "/go", "/creds"]


# --- 15: one folder per thread, however its URL is spelled -----------------------------


def test_spellings_of_one_thread_url_share_one_folder(tmp_path: Path) -> None:
    with DemoForum() as forum:
        port = forum.port
        spellings = [
            forum.thread_url.replace("http://", "HTTP://"),
            forum.thread_url.replace("127.0.0.1", "127.0.0.1."),
            forum.thread_url.replace("http://", "hTTp://") + "#post-1",
        ]
        code = scrape(*spellings, "--archive", str(tmp_path))
        thread_pages = [r for r in forum.requests if r.path == PAGE_1]
    assert code == 0
    assert [p.name for p in (tmp_path / "threads").iterdir()] == [f"127.0.0.1_{port}-2741"]
    assert len(thread_pages) == 3  # each spelling fetched, all from the one canonical URL
    thread = thread_json(tmp_path)
    assert thread["thread"]["url"] == forum.thread_url
    assert len(thread["runs"]) == 3


@pytest.mark.parametrize(
    "spelling",
    ["http://bücher.example/threads/t.1/", "HTTP://BÜCHER.Example:80/threads/t.1/",
     "http://xn--bcher-kva.example./threads/t.01/page-2#post-3",
     "http://XN--BCHER-KVA.EXAMPLE:/threads/1/"],
)
def test_idn_punycode_default_port_and_trailing_dot_give_one_key(spelling: str) -> None:
    assert url_thread_key(spelling) == "xn--bcher-kva.example-1"
    https = spelling.replace(":80/", ":443/").replace("http", "https", 1).replace(
        "HTTP", "HTTPS", 1)
    assert url_thread_key(https) == "xn--bcher-kva.example-1"


# --- properties -------------------------------------------------------------------------

SCHEMES = st.sampled_from(["http", "https", "HTTP", "HtTpS", "ftp", "", "javascript", "h"])
USERINFO = st.sampled_from(["", "", "", "user@", "user:pw@", "@", ":@", "a@b@"])
HOSTS = st.one_of(
    st.sampled_from([
        "forum.example", "FORUM.Example", "bücher.example", "xn--bcher-kva.example", "xn--",
        "xn--zz", "127.0.0.1", "127.1", "0x7f.0.0.1", "[::1]", "[::1", "::1]", "[fe80::1%25x]",
        "localhost.", "a..b", "-x.example", "x_y.example", "١٢٣.example", "", ".", "ex ample",
        "ab\uff0ecom", "İstanbul.tr", "\u200b", "a" * 64 + ".example", ("a" * 60 + ".") * 5,
        "[::ffff:192.168.0.1]", "%41.example", "h\\evil", "faß.de",
    ]),
    st.text(max_size=30),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda address: f"[{address}]"),
)
PORTS = st.one_of(st.just(""), st.integers(-1, 70_000).map(lambda p: f":{p}"),
                  st.text(max_size=6).map(lambda t: f":{t}"))
THREAD_IDS = st.one_of(
    st.integers(0, 10**40).map(str),
    st.text(alphabet="0123456789١٢٣²", min_size=1, max_size=250),
)
PATHS = st.one_of(
    st.builds(lambda slug, thread_id, rest: f"/threads/{slug}.{thread_id}/{rest}",
              st.text(max_size=12), THREAD_IDS,
              st.sampled_from(["", "page-2", "page-2/#post-5", "?x=1", "#f"])),
    st.text(max_size=40),
)
URLS = st.one_of(
    st.builds(lambda scheme, userinfo, host, port, path: f"{scheme}://{userinfo}{host}{port}{path}",
              SCHEMES, USERINFO, HOSTS, PORTS, PATHS),
    st.text(max_size=80),
)
PROPERTY = settings(max_examples=1500, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(URLS)
@example("http://forum.example/threads/ #.0/")  # a bare space that ended the path
def test_property_canonical_url_is_a_clean_http_url_or_unsupported(url: str) -> None:
    try:
        canonical = canonical_url(url)
    except UnsupportedUrl as error:
        assert str(error)
        return
    parts = urlsplit(canonical)
    assert parts.scheme in ("http", "https")
    assert "@" not in parts.netloc and parts.fragment == ""
    assert parts.netloc == parts.netloc.lower() and parts.netloc.isascii()
    assert canonical_url(canonical) == canonical  # canonical form is a fixed point


@PROPERTY
@given(URLS)
def test_property_any_string_gives_a_valid_thread_key_or_unsupported(url: str) -> None:
    try:
        claiming = engines_claiming(url)
    except UnsupportedUrl as error:
        assert str(error)
        return
    for engine in claiming:  # every engine whose URL shape it has
        try:
            key = engine.thread_key(url)
        except UnsupportedUrl as error:  # e.g. a post permalink: only its page names it
            assert str(error)
            continue
        assert KEY_RULE.match(key) and len(key) <= MAX_THREAD_KEY_LENGTH
        assert "/" not in key and os.sep not in key and key not in (".", "..")


NAMES = st.sampled_from([("forum.example", "forum.example"), ("bücher.example",
                         "xn--bcher-kva.example"), ("127.0.0.1", "127.0.0.1"),
                         ("מרוקו.co.il", "xn--9dbaz1bd.co.il"), ("[::1]", "[::1]")])


@PROPERTY
@given(NAMES, st.sampled_from(["http", "https"]), st.one_of(st.none(), st.integers(1, 65535)),
       st.integers(0, 10**9), st.data())
def test_property_every_spelling_of_a_thread_url_gives_one_key(
    name: tuple[str, str], scheme: str, port: int | None, thread_id: int, data: st.DataObject,
) -> None:
    unicode_host, ascii_host = name
    default = {"http": 80, "https": 443}[scheme]
    plain = f"{scheme}://{ascii_host}{'' if port is None else f':{port}'}/threads/t.{thread_id}/"
    key = url_thread_key(plain)
    host = data.draw(st.sampled_from([unicode_host, ascii_host, ascii_host.upper()]))
    if not host.endswith("]") and data.draw(st.booleans()):
        host += "."
    port_part = f":{port}" if port is not None else data.draw(
        st.sampled_from(["", ":", f":{default}"]))
    variant = (f"{data.draw(st.sampled_from([scheme, scheme.upper()]))}://{host}{port_part}"
               f"/threads/{data.draw(st.sampled_from(['t.', 'other-slug.', '']))}"
               f"{'0' * data.draw(st.integers(0, 3))}{thread_id}/"
               f"{data.draw(st.sampled_from(['', 'page-3', '#post-1', 'page-2#x']))}")
    assert url_thread_key(variant) == key


@PROPERTY
@given(st.one_of(URLS, st.text(max_size=40)), st.sampled_from([
    "http://forum.example/threads/t.1/", "https://[::1]:8443/a/b", "http://127.0.0.1:8765/"]))
def test_property_urls_on_a_page_never_raise_and_never_keep_a_password(
    value: str, base: str
) -> None:
    absolute = page_url(value, base)
    if absolute is not None and urlsplit(absolute).scheme in ("http", "https"):
        assert "@" not in urlsplit(absolute).netloc
        assert page_url(absolute, base) == absolute
    assert same_site(value, base) in (True, False)
    if absolute is not None and same_site(value, base):
        assert same_site(base, value)


def test_urls_read_once_resolve_as_on_every_page() -> None:
    """Root paths and host spellings are read once per site: the answers stay per page."""
    for page in ("http://Forum.Example:80/threads/a.1/", "http://forum.example/threads/b.2/page-7"):
        assert page_url("/members/x.5/", page) == "http://forum.example/members/x.5/"
    # A relative path still resolves against the page it is on, not against the site root.
    assert page_url("page-2", "http://forum.example/threads/a.1/") == (
        "http://forum.example/threads/a.1/page-2")
    assert page_url("page-2", "http://forum.example/threads/b.2/") == (
        "http://forum.example/threads/b.2/page-2")
    assert page_url("/a/../b", "http://forum.example/threads/a.1/") == "http://forum.example/b"
    # A refused host is refused every time, not only the first (refusals are not kept).
    for _ in range(2):
        assert page_url("http://forum.example:99999/x", "http://forum.example/") is None
        with pytest.raises(UnsupportedUrl, match="port"):
            canonical_url("http://forum.example:99999/threads/1/")
