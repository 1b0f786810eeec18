"""One call run in a forked child while the caller goes on: the end of a scrape indexes the
thread's assets (asset_index.py, two small files an asset) there while it writes
`thread.json` here.

In a thread of the scraper's own, the index's hundreds of small writes and the encoding
of `thread.json` took turns on one GIL: the index ended 40-60 ms after the rest (measured
on the 200-page benchmark, 67 assets), on a machine whose second core sat idle by then.

The child is the scraper's copy, as parse_worker.py's is, with the same limits: a lock
that another thread held at the fork stays held in it, so the call must take none but
those Python renews in a child; one that waits anyway is killed after `seconds`, and the
caller makes the call itself (`succeeded` is False). It closes every file the scraper
has open but the standard streams (the call opens its own): the archive's lock, a socket
or a lane's pipe must not outlive the scraper in it. It never collects garbage (a
collection would walk, and so copy, every page of the scraper's objects), ignores the
terminal's signals (the scraper alone decides how a stop goes) and ends with `os._exit`,
never returning into the code it was copied from.
"""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Callable

from .parse_worker import reaped, spare_core


class ForkedCall:
    """A call running in a child process; `succeeded` waits for its end."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def succeeded(self, seconds: float) -> bool:
        """Whether the call returned, waiting at most `seconds` for it (then killed)."""
        return reaped(self.pid, seconds) == 0


def start_forked(call: Callable[[], object]) -> ForkedCall | None:
    """`call()` running in a forked child; None when no core is free for it (or the fork
    fails): the caller makes the call itself."""
    if not spare_core():
        return None
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        _run_child(call)
    return ForkedCall(pid)


def _run_child(call: Callable[[], object]) -> None:
    code = 1
    try:
        gc.disable()
        os.setpgid(0, 0)  # a Ctrl-C at the terminal reaches only the scraper
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
        signal.set_wakeup_fd(-1)  # the scraper's: a signal here must not wake it
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        call()
        code = 0
    finally:
        os._exit(code)
