"""The archive's folder names and the stat-only fingerprint of a thread folder.

Standard library only: `forum-mirror build` reads them to tell that nothing changed
(site/unchanged.py) before it imports the archive's code, the engines or Pelican.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

THREADS_DIR = "threads"
STATE_DIR = "state"  # the re-check state beside threads/ (thread_state.py)
THREAD_FILE = "thread.json"


def thread_files(root: Path) -> list[Path]:
    """Every thread's `thread.json` in the archive at `root`, in folder-name order, none of
    them read."""
    base = root / THREADS_DIR
    return sorted(base.glob(f"*/{THREAD_FILE}")) if base.is_dir() else []


def files_fingerprint(folder: Path) -> str:
    """A digest of every file in a thread folder by name, size and mtime (its files are
    written by rename, never in place: a change gives a new mtime). No file is read;
    temporary files of killed runs (`.<name>.*.tmp`) do not count."""
    digest = hashlib.sha256()
    for root, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root, name)
            stat = path.stat()
            digest.update(f"{path.relative_to(folder).as_posix()}\0{stat.st_size}\0"
                          f"{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
