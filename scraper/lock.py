"""One writer per archive: an advisory lock that the kernel drops when its process dies.

`flock` is tied to the open file, so a run killed with SIGKILL leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .archive import check_archive_root, remove_stale_temp_files
from .errors import ArchiveError, ArchiveLocked

LOCK_NAME = ".forum-mirror.lock"


@contextlib.contextmanager
def archive_lock(root: Path) -> Iterator[None]:
    """Hold the archive's lock for the duration; raise ArchiveLocked if another run has it,
    ArchiveError if the archive is no folder or cannot be written to."""
    check_archive_root(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _not_writable(root, error) from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ArchiveLocked(
                f"another forum-mirror run is writing to {root}; try again when it has finished"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # for humans; the lock is the flock
            remove_stale_temp_files(root)  # no other writer is alive: these are a killed run's
        except OSError as error:
            raise _not_writable(root, error) from error
        yield
    finally:
        os.close(fd)


def _not_writable(root: Path, error: OSError) -> ArchiveError:
    return ArchiveError(f"cannot write to the archive {root}: {error.strerror or error} "
                        f"({error.filename or root}); a run needs write access to it")
