"""Adaptive per-host interval on top of the throttle's floor, after Scrapy's AutoThrottle.

A host that answers slowly is working hard, so we ask less often: the interval follows the
response latency, smoothed. A host that says it is overloaded (429, 503) gets twice the
interval at once. The floor (`delay`, or a larger Crawl-delay) always holds; the adaptive
part never goes above `max_delay`. No I/O: the client reports each answer and applies the
interval this returns to the throttle.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# Target interval = latency x this: with 1.0, one request's worth of server time per gap.
LATENCY_FACTOR = 1.0
# What an overload answer doubles from when the interval was (near) zero.
MIN_OVERLOAD_INTERVAL = 0.5


@dataclass
class _HostState:
    interval: float = 0.0  # smoothed from latencies, doubled by overload answers
    penalty: float = 0.0  # from 429s: kept for the rest of the run


@dataclass
class AutoThrottle:
    """Per-host adaptive intervals, in seconds between requests."""

    max_delay: float = 60.0
    _hosts: dict[str, _HostState] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, host: str, status: int, latency: float, floor: float) -> float:
        """Account for one answer from `host`; return the interval to use from now on."""
        with self._lock:
            state = self._hosts.setdefault(host, _HostState())
            current = max(floor, state.penalty, state.interval)
            if status in (429, 503):
                doubled = min(self.max_delay, max(2 * current, MIN_OVERLOAD_INTERVAL))
                if status == 429:  # the host told us we are too fast: remember it
                    state.penalty = max(state.penalty, doubled)
                state.interval = max(state.interval, doubled)
                log.info("%s answered %d; %.1f s between its requests from now on",
                         host, status, max(floor, doubled))
            else:
                previous = max(floor, state.interval)
                smoothed = (previous + latency * LATENCY_FACTOR) / 2
                if status >= 400:  # an error answer is no evidence that we may go faster
                    smoothed = max(smoothed, previous)
                state.interval = min(self.max_delay, max(floor, smoothed))
            return max(floor, state.penalty, state.interval)
