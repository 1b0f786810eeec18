"""Cookies for login-walled boards, read from a Netscape cookies.txt file.

The jar's own domain matching decides which host gets which cookie. Cookie values never
reach the WARC (warc.py drops Cookie and Set-Cookie headers), the archive or a log line.
"""

from __future__ import annotations

import http.cookiejar
import logging
from pathlib import Path

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
