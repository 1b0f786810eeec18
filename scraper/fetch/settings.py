"""Settings of the fetch layer: one named knob per politeness concern, with a sane default."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .. import PROJECT_URL, __version__

# The product token robots.txt groups are matched against; the full User-Agent carries it.
USER_AGENT_TOKEN = "forum-mirror"
# The most any setting in seconds may be: far above any sensible wait, and small enough for
# every sleep, timeout and socket call to accept (inf, or 1e300, makes them overflow).
MAX_SECONDS = 7 * 24 * 3600.0


def seconds_problem(value: float, *, positive: bool = False) -> str | None:
    """What is wrong with `value` as a setting in seconds, or None: it must be finite, at
    least 0 (above 0 when `positive`) and at most MAX_SECONDS. NaN fails every comparison,
    so it would switch waits off rather than fail."""
    if math.isfinite(value) and (value > 0 if positive else value >= 0) and value <= MAX_SECONDS:
        return None
    low = "more than 0" if positive else "0 or more"
    return f"must be a number of seconds, {low} and at most {MAX_SECONDS:g}"


@dataclass
class FetchSettings:
    """How politely and how patiently `PoliteClient` fetches."""

    user_agent: str = f"{USER_AGENT_TOKEN}/{__version__} (+{PROJECT_URL})"
    delay: float = 1.0  # min seconds from a request's end to the next start (or Crawl-delay)
    timeout: float = 30.0
    max_retries: int = 4  # retries after the first try: connection errors, timeouts, 429, 5xx
    backoff_base: float = 1.0  # exponential backoff with full jitter ...
    backoff_cap: float = 60.0  # ... capped at this many seconds
    max_retry_after: float = 900.0  # a longer Retry-After fails the host instead of sleeping
    obey_robots: bool = True
    autothrottle: bool = True  # widen the gap for slow or overloaded hosts (never below delay)
    autothrottle_max_delay: float = 60.0  # ... up to this many seconds
    # Origins (canonical "scheme://host[:port]", urls.Origin) that may be on private,
    # loopback or link-local addresses (addresses.py): the CLI adds the thread URLs' own.
    allow_private_origins: frozenset[str] = frozenset()
    allow_private_addresses: bool = False  # allow them all
    cookies_file: Path | None = None  # Netscape cookies.txt, for boards behind a login
    max_page_bytes: int = 20 * 2**20
    max_asset_bytes: int = 100 * 2**20
    max_download_seconds: float = 300.0  # whole body, against servers that trickle bytes

    def max_bytes(self, kind: str) -> int:
        """The body size cap for a fetch of `kind` ("page" or "asset")."""
        if kind == "page":
            return self.max_page_bytes
        if kind == "asset":
            return self.max_asset_bytes
        raise ValueError(f"unknown fetch kind {kind!r}: use 'page' or 'asset'")
