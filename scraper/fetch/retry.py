"""When to try a request again, and how long to wait first: exponential backoff, Retry-After."""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .settings import FetchSettings

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class RetryAfterTooLong(Exception):
    """The server asked us to wait longer than `max_retry_after` seconds."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Retry-After of {seconds:.0f} s")
        self.seconds = seconds


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` value asks for (delay-seconds or HTTP-date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class RetryPolicy:
    """Retry decisions for one client; `rng` is injectable so tests can pin the jitter."""

    max_retries: int
    backoff_base: float
    backoff_cap: float
    max_retry_after: float
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> RetryPolicy:
        """The policy `settings` describe."""
        return cls(
            settings.max_retries,
            settings.backoff_base,
            settings.backoff_cap,
            settings.max_retry_after,
        )

    @staticmethod
    def retryable_status(status: int) -> bool:
        """Whether an answer with `status` is worth another try."""
        return status in RETRYABLE_STATUSES

    def backoff(self, retry_number: int) -> float:
        """Full-jitter backoff before retry `retry_number` (0 for the first retry).

        Full jitter (uniform from zero) spreads out clients that failed together, so they
        do not hammer a recovering server in lockstep.
        """
        ceiling = min(self.backoff_cap, self.backoff_base * 2**retry_number)
        return self.rng.uniform(0, ceiling)

    def wait_before_retry(
        self, retry_number: int, retry_after: str | None = None, now: datetime | None = None
    ) -> float:
        """Seconds to wait before retry `retry_number`: the server's Retry-After, else backoff.

        Raises `RetryAfterTooLong` rather than sleeping for hours. The per-host delay is
        enforced on top of this by the throttle.
        """
        asked = parse_retry_after(retry_after, now)
        if asked is None:
            return self.backoff(retry_number)
        if asked > self.max_retry_after:
            raise RetryAfterTooLong(asked)
        return asked
