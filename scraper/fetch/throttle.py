"""Per-host throttle: one request in flight per host and a minimum gap between request starts."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable


class HostThrottle:
    """Hosts are independent; callers hold `slot(host)` for the whole request."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._last_start: dict[str, float] = {}
        self._guard = threading.Lock()

    def lock(self, host: str) -> threading.Lock:
        with self._guard:
            return self._locks[host]

    def wait_turn(self, host: str, interval: float) -> None:
        """Sleep until `interval` seconds have passed since the last request to `host` started.

        Call with `lock(host)` held, so that one request at a time is in flight per host.
        """
        last = self._last_start.get(host)
        if last is not None:
            remaining = last + interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last_start[host] = self._clock()
