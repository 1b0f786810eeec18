"""One call run in a forked child while the caller goes on: the end of a scrape indexes the
thread's assets (asset_index.py, two small files an asset) there while it writes
`thread.json` here.

In a thread of the scraper's own, the index's hundreds of small writes and the encoding
of `thread.json` took turns on one GIL: the index ended 40-60 ms after the rest (measured
on the 200-page benchmark, 67 assets), on a machine whose second core sat idle by then.

The child is the scraper's copy, as parse_worker.py's is, with the same limits: a lock
that another thread held at the fork stays held in it, so the call must take none but
those Python renews in a child; one that waits anyway is killed after `seconds`, and the
caller makes the call itself (`succeeded` is False). It leaves the scraper's files and
signals as the worker does (`parse_worker.detach_child`: the call opens its own files),
never collects garbage (a collection would walk, and so copy, every page of the
scraper's objects) and ends with `os._exit`, never returning into the code it was copied
from.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

from .parse_worker import detach_child, reaped, spare_core


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
        detach_child()
        call()
        code = 0
    finally:
        os._exit(code)
