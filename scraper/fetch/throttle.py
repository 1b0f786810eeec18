"""Per-host throttle: one request in flight per host, and a minimum gap between requests.

The gap is the larger of a floor (`delay`, or the site's Crawl-delay) and an adaptive
interval that autothrottle.py computes from the host's answers. A host that answered 429 or
503 is held off for the backoff, and one whose Retry-After is too long is blocked.

`Throttle` is the interface `PoliteClient` uses; `HostThrottle` keeps the state in this
process, `redis_throttle.RedisThrottle` in a Redis server shared by every worker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)


class Throttle(Protocol):
    """What `PoliteClient` asks of a throttle, per host."""

    def delay_for(self, host: str) -> float:
        """The floor of the gap between requests to `host`."""
        ...

    def adapt(self, host: str, interval: float) -> None:
        """Set the adaptive interval for `host`; the floor still holds when it is lower."""
        ...

    def raise_delay(self, host: str, delay: float) -> None:
        """Make the gap for `host` at least `delay` (a site's Crawl-delay); never lowers it."""
        ...

    def request_slot(self, host: str) -> AbstractContextManager[None]:
        """Wait for the host's turn, then hold it until the request is over."""
        ...

    def hold_off(self, host: str, seconds: float) -> None:
        """Send nothing to `host` for `seconds` from now (a backoff after 429/503)."""
        ...

    def block(self, host: str, seconds: float, message: str) -> None:
        """Refuse every request to `host` for `seconds`, saying `message` (Retry-After)."""
        ...

    def blocked(self, host: str) -> str | None:
        """Why `host` is blocked now, or None."""
        ...


@dataclass
class _HostSlot:
    delay: float  # the floor
    adaptive: float = 0.0
    # Held for the whole request, which is what keeps one request in flight per host.
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_end: float | None = None
    not_before: float = 0.0  # a backoff: no request starts before this


class HostThrottle:
    """Spaces requests to each host: the next starts at least the host's delay after the
    previous one ended.

    Hosts are independent. Time comes from a monotonic clock so that wall-clock jumps
    (NTP, DST) can neither stall the crawl nor burst it.
    """

    def __init__(
        self,
        delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._default_delay = delay
        self._clock = clock
        self._sleep = sleep
        self._slots: dict[str, _HostSlot] = {}
        self._slots_lock = threading.Lock()
        self._blocked: dict[str, tuple[float, str]] = {}  # host -> (clock until, why)

    def _slot(self, host: str) -> _HostSlot:
        with self._slots_lock:
            return self._slots.setdefault(host, _HostSlot(self._default_delay))

    def delay_for(self, host: str) -> float:
        """The floor of the gap between requests to `host`."""
        return self._slot(host).delay

    def adapt(self, host: str, interval: float) -> None:
        """Set the adaptive interval for `host`; the floor still holds when it is lower."""
        self._slot(host).adaptive = interval

    def raise_delay(self, host: str, delay: float) -> None:
        """Make the gap for `host` at least `delay` (a site's Crawl-delay); never lowers it."""
        slot = self._slot(host)
        if delay > slot.delay:
            log.info("%s asks for %.1f s between requests; using it", host, delay)
            slot.delay = delay

    @contextmanager
    def request_slot(self, host: str) -> Iterator[None]:
        """Wait for the host's turn, then hold it until the request is over."""
        slot = self._slot(host)
        with slot.lock:
            start = slot.not_before
            if slot.last_end is not None:
                start = max(start, slot.last_end + max(slot.delay, slot.adaptive))
            wait = start - self._clock()
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                # Counted from the end of the previous request, not its start: the server
                # received that one before it answered, so it sees at least the delay even
                # when connecting took a while.
                slot.last_end = self._clock()

    def hold_off(self, host: str, seconds: float) -> None:
        """Send nothing to `host` for `seconds` from now (a backoff after 429/503)."""
        slot = self._slot(host)
        slot.not_before = max(slot.not_before, self._clock() + seconds)

    def block(self, host: str, seconds: float, message: str) -> None:
        """Refuse every request to `host` for `seconds`, saying `message` (Retry-After)."""
        with self._slots_lock:
            self._blocked[host] = (self._clock() + seconds, message)

    def blocked(self, host: str) -> str | None:
        """Why `host` is blocked now, or None."""
        with self._slots_lock:
            until, message = self._blocked.get(host, (0.0, ""))
        return message if self._clock() < until else None
