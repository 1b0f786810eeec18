"""Who may write what: a shared lock on the archive held by every run, and one exclusive
lock per thread while a run writes that thread. The kernel drops both when their process
dies.

`flock` is tied to the open file, so a run killed with SIGKILL leaves no stale lock behind.
Runs on different threads hold the archive lock together (shared) and proceed side by side;
two runs never write one thread (its lock is exclusive). Work that must be alone in the
archive (removing the temporary files of killed runs) needs the archive lock exclusively:
a run that finds no other run takes it so for that moment, then shares it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .archive import check_archive_root, remove_stale_temp_files
from .archive_paths import check_key
from .errors import ArchiveError, ArchiveLocked
from .thread_state import STATE_DIR

LOCK_NAME = ".forum-mirror.lock"
THREAD_LOCKS_DIR = "locks"  # under state/: <root>/state/locks/<key>.lock


class ThreadLocked(ArchiveLocked):
    """Another run is writing this thread (its lock is held); exit code 9, as a locked
    archive."""


@contextlib.contextmanager
def archive_lock(root: Path, *, exclusive: bool = False) -> Iterator[None]:
    """Hold the archive's lock for the duration: shared with other runs, or `exclusive`
    (alone). Raise ArchiveLocked if it cannot be had now, ArchiveError if the archive is no
    folder or cannot be written to."""
    check_archive_root(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _not_writable(root, error) from error
    try:
        try:
            # Alone for a moment when no one else is in: the temporary files left now can
            # only be those of killed runs.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            if exclusive:
                raise ArchiveLocked(f"another forum-mirror run is writing to {root}; try again "
                                    "when it has finished") from None
            alone = False
        try:
            if alone:
                remove_stale_temp_files(root)  # no other writer is alive: a killed run's
            if not exclusive:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another run took it alone between our two calls (or holds it alone now).
            raise ArchiveLocked(f"another forum-mirror run holds {root} alone (a whole-archive "
                                "operation); try again when it has finished") from None
        except OSError as error:
            raise _not_writable(root, error) from error
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def thread_lock(root: Path, key: str) -> Iterator[None]:
    """Hold the lock of thread `key` while writing it; ThreadLocked if another run holds it."""
    folder = root / STATE_DIR / THREAD_LOCKS_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / f"{check_key(key, root)}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _not_writable(root, error) from error
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ThreadLocked(f"{key}: another forum-mirror run is writing this thread; it "
                               "was left to that run (the next run checks it again)") from None
        yield
    finally:
        os.close(fd)


def _not_writable(root: Path, error: OSError) -> ArchiveError:
    return ArchiveError(f"cannot write to the archive {root}: {error.strerror or error} "
                        f"({error.filename or root}); a run needs write access to it")
