"""One writer per archive: an advisory lock that the kernel drops when its process dies.

`flock` is tied to the open file, so a run killed with SIGKILL leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .archive import remove_stale_temp_files
from .errors import ArchiveLocked

LOCK_NAME = ".forum-mirror.lock"


@contextlib.contextmanager
def archive_lock(root: Path) -> Iterator[None]:
    """Hold the archive's lock for the duration; raise ArchiveLocked if another run has it."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveLocked(
                f"another forum-mirror run is writing to {root}; try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for humans; the lock itself is the flock
        remove_stale_temp_files(root)  # no other writer is alive: these are a killed run's
        yield
    finally:
        os.close(fd)
