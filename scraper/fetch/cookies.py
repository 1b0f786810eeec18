"""Cookies: those of a Netscape cookies.txt file (login-walled boards), and those the boards
set, sent back as a browser would.

The jar's own domain matching decides which host gets which cookie. Cookie values never
reach the WARC (warc.py drops Cookie and Set-Cookie headers), the archive or a log line.
"""

from __future__ import annotations

import email.message
import http.client
import http.cookiejar
import logging
import threading
import time
import urllib.request
from pathlib import Path

import httpx

from ..errors import CookiesFileError

log = logging.getLogger(__name__)


def load_cookies(path: Path) -> http.cookiejar.MozillaCookieJar:
    """The unexpired cookies of the Netscape cookies.txt file at `path`."""
    jar = http.cookiejar.MozillaCookieJar(str(path))
    try:
        # Login sessions are session cookies, which browsers and curl export with expiry 0:
        # keep them for this run, and drop only what has really expired.
        jar.load(ignore_discard=True, ignore_expires=True)
    except FileNotFoundError:
        raise CookiesFileError(
            f"cookies file {path} does not exist; export the board's cookies from your "
            "browser in Netscape cookies.txt format"
        ) from None
    except http.cookiejar.LoadError as error:
        raise CookiesFileError(
            f"{path} is not a Netscape cookies.txt file ({error}); export the cookies "
            "again in that format (it starts with '# Netscape HTTP Cookie File')"
        ) from None
    except OSError as error:
        raise CookiesFileError(
            f"cannot read cookies file {path}: {error.strerror or error}"
        ) from None
    except UnicodeDecodeError:
        raise CookiesFileError(
            f"{path} is not a Netscape cookies.txt file (it is not text); export the "
            "cookies again in that format"
        ) from None
    for cookie in list(jar):
        if cookie.expires == 0:
            cookie.expires, cookie.discard = None, True
    jar.clear_expired_cookies()
    domains = sorted({cookie.domain for cookie in jar})
    if not domains:
        log.warning("%s holds no unexpired cookies; requests are sent without any", path)
    else:
        log.info("sending cookies from %s to %s", path, ", ".join(domains))
    return jar


class SessionCookies:
    """A cookie jar as `PoliteClient` uses it: the Cookie header for each request, and the
    Set-Cookie headers of each answer, both decided by `http.cookiejar` itself.

    httpx would do the same (its own copy of the jar) for every request, at 0.15-0.3 ms
    each, in slow Python. Most of that repeats work: a board sets the same cookie on every
    page (XenForo's CSRF cookie) and sends the same Cookie header back. So a Set-Cookie
    exactly like the last one handled, for the same folder of the same site, is not handled
    again (unless it has a Max-Age, which counts from now), and a site's Cookie header is
    worked out once while every cookie is for the whole site (`path=/`) and none expires.
    Anything else changes the jar and starts over.
    """

    def __init__(self, jar: http.cookiejar.CookieJar | None = None) -> None:
        self._jar = jar if jar is not None else http.cookiejar.CookieJar()
        self._lock = threading.Lock()  # asset downloads fetch from several threads
        self._headers: dict[tuple[str, str, int | None], str | None] = {}  # by site
        self._whole_sites = True  # every cookie's path is "/"
        self._first_expiry = 0
        self._last_set: tuple[object, ...] | None = None
        self._jar_changed()

    def _jar_changed(self) -> None:
        self._headers.clear()
        cookies = list(self._jar)
        self._whole_sites = all(cookie.path == "/" for cookie in cookies)
        self._first_expiry = min((cookie.expires for cookie in cookies
                                  if cookie.expires is not None), default=2**63)

    def header_for(self, url: httpx.URL) -> str | None:
        """The Cookie header for a request of `url`, if any."""
        site = (url.scheme, url.host, url.port)
        with self._lock:
            # The jar's own clock: a cookie expires at its whole second.
            cached = self._whole_sites and int(time.time()) < self._first_expiry
            if cached and site in self._headers:
                return self._headers[site]
            request = urllib.request.Request(str(url))
            self._jar.add_cookie_header(request)  # it drops expired cookies, too
            header = request.unredirected_hdrs.get("Cookie")
            if not cached:
                self._jar_changed()
            if self._whole_sites and int(time.time()) < self._first_expiry:
                self._headers[site] = header
            return header

    def extract(self, url: httpx.URL, set_cookie: list[str], set_cookie2: list[str]) -> None:
        """Keep the cookies an answer to `url` sets (its Set-Cookie and Set-Cookie2 headers)."""
        if not set_cookie:
            return  # the jar reads Set-Cookie2 only beside Set-Cookie (RFC 2965 is off)
        # Where a cookie without Domain and Path attributes applies: the site and folder.
        path = url.raw_path.partition(b"?")[0]
        key = (url.scheme, url.host, url.port, path[: path.rfind(b"/") + 1], set_cookie,
               set_cookie2)
        with self._lock:
            if key == self._last_set and not any(
                    "max-age" in value.lower() for value in set_cookie + set_cookie2):
                return  # the jar holds what these headers set, as they set it
            headers = email.message.Message()
            for name, values in (("Set-Cookie", set_cookie), ("Set-Cookie2", set_cookie2)):
                for value in values:
                    headers[name] = value  # appended, not replaced
            self._jar.extract_cookies(_Answer(headers),  # type: ignore[arg-type]
                                      urllib.request.Request(str(url)))
            self._last_set = key
            self._jar_changed()


class _Answer:
    """An answer's cookie headers, as `http.cookiejar` reads a response (`info()`)."""

    def __init__(self, headers: email.message.Message) -> None:
        self._headers = headers

    def info(self) -> email.message.Message:
        return self._headers


class NoCookies(http.cookiejar.CookieJar):
    """The jar httpx is given: it keeps nothing, since `SessionCookies` keeps the cookies
    and says which to send (httpx would read every answer's cookies into its own jar)."""

    def extract_cookies(self, response: http.client.HTTPResponse,
                        request: urllib.request.Request) -> None:
        """Nothing: see `SessionCookies.extract`."""
