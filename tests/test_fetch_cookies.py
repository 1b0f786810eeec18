"""The cookies sent back are the jar's own choice, whatever `SessionCookies` skips redoing."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx

from scraper.fetch.cookies import SessionCookies

BOARD = "http://127.0.0.1:8000"


def url(path: str, base: str = BOARD) -> httpx.URL:
    return httpx.URL(base + path)


def test_a_cookie_set_again_or_changed_is_sent_as_last_set() -> None:
    cookies = SessionCookies()
    assert cookies.header_for(url("/threads/x.1/")) is None
    for page in range(2, 5):  # the board's CSRF cookie, on every page
        cookies.extract(url(f"/threads/x.1/page-{page}"), ["xf_csrf=one; path=/; HttpOnly"], [])
        assert cookies.header_for(url(f"/threads/x.1/page-{page + 1}")) == "xf_csrf=one"
    cookies.extract(url("/threads/x.1/page-5"), ["xf_csrf=two; path=/"], [])
    assert cookies.header_for(url("/threads/x.1/page-6")) == "xf_csrf=two"
    cookies.extract(url("/data/avatars/1.jpg"), ["xf_csrf=one; path=/"], [])
    cookies.extract(url("/threads/x.1/page-6"), ["xf_csrf=two; path=/"], [])  # back again
    assert cookies.header_for(url("/threads/x.1/page-7")) == "xf_csrf=two"
    cookies.extract(url("/threads/x.1/page-7"), ["xf_csrf=gone; path=/; Max-Age=0"], [])
    assert cookies.header_for(url("/threads/x.1/page-8")) is None
    assert cookies.header_for(url("/", "http://127.0.0.2:8000")) is None  # host-only


def test_paths_and_expiry_are_the_jars_rules() -> None:
    cookies = SessionCookies()
    cookies.extract(url("/forum/thread/1"), ["site=1; path=/", "forum=2; path=/forum"], [])
    assert cookies.header_for(url("/forum/thread/2")) == "forum=2; site=1"
    assert cookies.header_for(url("/other")) == "site=1"
    later = formatdate(time.time() + 3600, usegmt=True)
    cookies.extract(url("/x"), [f"dated=3; path=/; Expires={later}"], [])
    assert cookies.header_for(url("/forum/y")) == "forum=2; site=1; dated=3"
    past = formatdate(time.time() - 3600, usegmt=True)
    cookies.extract(url("/x"), [f"site=1; path=/; Expires={past}"], [])  # deletes it
    assert cookies.header_for(url("/forum/y")) == "forum=2; dated=3"
