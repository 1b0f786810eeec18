"""Which followed threads an `update` checks (docs/scheduling.md, "Checking less often").

By default every followed thread is checked on every run. A forum's `check_every` (in
`forum-mirror.toml`, or `[defaults]`) makes a thread checked less than that long ago "not
due": the run skips it without a request and says so. With `adaptive = true` the interval
follows the thread's quiet time instead: a quarter of the time between the last change a
run found and the last check, never less than `check_every` and never more than
`max_interval` (default 7 days). A thread quiet for four weeks is then checked about weekly;
one that just changed is due again after `check_every`. Only a thread's state is read
(`last_checked`, `last_changed`: thread_state.py), and a thread named on the command line is
always checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from .thread_state import ThreadStates, read_time

DEFAULT_MAX_INTERVAL = 7 * 86400.0
# The share of a thread's quiet time it waits before its next check (adaptive schedule).
QUIET_SHARE = 0.25
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*")


def parse_duration(value: object) -> float | None:
    """Seconds from "90s", "30m", "6h", "7d", "2w" or a plain number of seconds; None when
    `value` is none of these."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if not isinstance(value, str) or not (match := _DURATION_RE.fullmatch(value)):
        return None
    return float(match[1]) * _UNITS[match[2] or "s"]


def duration_text(seconds: float) -> str:
    """`seconds` in the largest unit that divides it ("6h", "7d"), as the config writes it."""
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class Schedule:
    """How often one forum's threads are checked."""

    check_every: float = 0.0  # seconds; 0: on every run
    adaptive: bool = False
    max_interval: float = DEFAULT_MAX_INTERVAL

    @property
    def every_run(self) -> bool:
        """Whether every thread is due on every run (the default)."""
        return self.check_every <= 0 and not self.adaptive

    def interval(self, last_checked: str, last_changed: str) -> float:
        """Seconds from a thread's last check to its next one."""
        if not self.adaptive:
            return self.check_every
        quiet = max(0.0, read_time(last_checked) - read_time(last_changed))
        return max(self.check_every, min(self.max_interval, quiet * QUIET_SHARE))

    def due_at(self, last_checked: str, last_changed: str) -> float:
        """When a thread is due (POSIX time): its last check plus its interval."""
        return read_time(last_checked) + self.interval(last_checked, last_changed)


@dataclass(frozen=True)
class NotDue:
    """A followed thread this run skips: checked recently enough for its schedule."""

    key: str
    url: str
    last_checked: str
    due_at: str  # UTC ISO 8601


def split_due(targets: list[tuple[str, str | None]], states: ThreadStates,
              schedule_of: Callable[[str], Schedule], now: float | None = None,
              ) -> tuple[list[tuple[str, str | None]], list[NotDue]]:
    """The (URL, key) targets that are due now, and those that are not. A thread without a
    state (never checked, or not archived yet) is due."""
    now = datetime.now(UTC).timestamp() if now is None else now
    due: list[tuple[str, str | None]] = []
    skipped: list[NotDue] = []
    for url, key in targets:
        schedule = schedule_of(url)
        state = states.read(key) if key is not None and not schedule.every_run else None
        if state is None or not state.last_checked:
            due.append((url, key))
            continue
        due_at = schedule.due_at(state.last_checked, state.last_changed)
        if due_at <= now:
            due.append((url, key))
        else:
            skipped.append(NotDue(state.key, url, state.last_checked,
                                  datetime.fromtimestamp(due_at, UTC).isoformat(
                                      timespec="seconds")))
    return due, skipped
