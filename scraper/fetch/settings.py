"""Fetch settings: one named knob per politeness concern, each with a sane default."""

from __future__ import annotations

from dataclasses import dataclass

from .. import PROJECT_URL, __version__

DEFAULT_USER_AGENT = f"forum-mirror/{__version__} (+{PROJECT_URL})"
ROBOTS_TOKEN = "forum-mirror"  # the product token robots.txt groups are matched against


@dataclass
class FetchSettings:
    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 1.0  # min seconds between request starts per host; larger Crawl-delay wins
    timeout: float = 30.0
    max_retries: int = 4  # retries after the first try (connection errors, timeouts, 429, 5xx)
    backoff_base: float = 1.0  # exponential backoff with full jitter ...
    backoff_cap: float = 60.0  # ... capped at this many seconds
    max_retry_after: float = 900.0  # a longer Retry-After gives up on the host for this run
    obey_robots: bool = True
    max_page_bytes: int = 20 * 2**20
    max_asset_bytes: int = 100 * 2**20
    max_redirects: int = 5
