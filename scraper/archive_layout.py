"""The archive's folder names and the stat-only fingerprint of a thread folder.

Standard library only: `forum-mirror build` reads them to tell that nothing changed
(site/unchanged.py) before it imports the archive's code, the engines or Pelican.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

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
    _fingerprint_into(digest, str(folder), "")
    return digest.hexdigest()


def _fingerprint_into(digest: Any, folder: str, prefix: str) -> None:
    """`files_fingerprint` of one folder, its files (by name) before its folders (by name),
    as `os.walk` went (the digests states hold were made so): by `os.scandir`, whose
    entries know their type, without a Path a file (a run writes the states of a thousand
    small threads)."""
    try:
        with os.scandir(folder) as scanned:
            entries = sorted(scanned, key=lambda entry: entry.name)
    except OSError:
        return  # gone: as os.walk, nothing to count
    folders = []
    for entry in entries:
        if entry.is_dir():
            if not entry.is_symlink():  # os.walk does not follow links to folders either
                folders.append(entry)
        elif not entry.name.startswith("."):
            stat = entry.stat()
            digest.update(f"{prefix}{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for entry in folders:
        _fingerprint_into(digest, entry.path, f"{prefix}{entry.name}/")
