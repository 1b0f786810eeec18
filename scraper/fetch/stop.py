"""A shared "stop requested" state: the CLI's signal handler sets it, the client obeys it.

`PoliteClient` checks it before every request (pages, robots.txt, assets, retries) and
sleeps on it, so a stop signal ends a throttle or backoff wait at once instead of after it.
"""

from __future__ import annotations

import time

from ..errors import Interrupted

# How often a sleeper looks at the state. A signal handler cannot safely wake a
# threading.Event (its lock is not reentrant, and the handler runs on the main thread, which
# may hold it), so sleepers poll a plain attribute instead.
_POLL_SECONDS = 0.05


class StopRequest:
    """Whether a stop signal arrived, and which one."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def request(self, signum: int) -> None:
        """Ask every request not yet sent not to be sent (safe to call from a signal handler)."""
        self.signum = signum

    @property
    def requested(self) -> bool:
        """Whether a stop was asked for."""
        return self.signum is not None

    def check(self) -> None:
        """Raise `Interrupted` if a stop was asked for."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or raise `Interrupted` as soon as a stop is asked for."""
        deadline = time.monotonic() + seconds
        while True:
            self.check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, _POLL_SECONDS))
