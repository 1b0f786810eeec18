"""Pages that stand in for a thread: login walls, error pages, anti-bot challenges.

Boards often serve these with status 200; they must never be archived as the thread.
Engines ask only about pages where they found no posts: challenge scripts are also
injected into ordinary pages by some proxies.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from ..errors import AccessBlocked

# Markers of the common anti-bot interstitials (Cloudflare, DDoS-Guard, Sucuri, hCaptcha).
CHALLENGE_MARKERS = re.compile(
    r"cf-browser-verification|challenge-platform|cf_chl_|__cf_chl|ddos-guard|"
    r"sucuri_cloudproxy|g-recaptcha|h-captcha|hcaptcha\.com",
    re.IGNORECASE,
)
CHALLENGE_TITLES = ("just a moment", "attention required", "ddos-guard", "checking your browser")


def page_title(tree: LexborHTMLParser) -> str:
    """The page's <title> text, "" when it has none."""
    node = tree.css_first("title")
    return node.text(strip=True) if node else ""


def wall(url: str, what: str, title: str) -> AccessBlocked:
    """The error for a page that is `what` ("a login wall") instead of the thread."""
    return AccessBlocked(
        f"{url} answered with {what} ({title or 'no title'}), not the thread; nothing was "
        "archived from it (the thread may need a login: see --help)")


def check_not_a_wall(tree: LexborHTMLParser, url: str) -> None:
    """Raise AccessBlocked when the page is a challenge, a login wall or an error page."""
    title = page_title(tree)
    html = tree.html or ""
    if CHALLENGE_MARKERS.search(html) or title.lower().startswith(CHALLENGE_TITLES):
        raise AccessBlocked(
            f"{url} answered with an anti-bot challenge ({title or 'no title'}), not the thread; "
            "nothing was archived from it (try again later, or from a browser session's cookies)"
        )
    if tree.css_first("form input[type=password]") is not None:
        raise AccessBlocked(
            f"{url} answered with a login form ({title or 'no title'}), not the thread; "
            "nothing was archived from it"
        )
