"""Telling, before Pelican is even imported, that a build would change nothing.

Importing Pelican and starting it cost most of a second: more than all the rest of a rebuild
in which no thread changed (build_cache.py then skips every thread). So each full build
leaves a record of what it was built from and of what it left in the output, and the next
build compares before anything else:

- the inputs: the settings file (by content), this package's code, the theme and the
  libraries that render pages (their files by size, mtime, ctime and inode), the archive,
  output and Python in use;
- the archive: every thread folder (thread_state.files_fingerprint, the same check by which
  `update` trusts a folder unchanged, plus its thread.json's inode and ctime, which a rename
  or `touch` cannot leave as they were) and the archive's state folder, whose mtime changes
  whenever a thread's state file is written (by rename);
- the output: every folder (a file deleted, added or renamed in one changes its mtime) and the
  files of the few folders the build rewrites whole (the site root, the theme's static files,
  the search manifest's folder), by size, mtime, ctime and inode.

All as recorded: the site is what a full build would write, and the build stops there. Any
difference, or a record that cannot be read, means the full build, which drops the record
first and writes a new one only when it is done and every thread could be read. Linux (6.13
and later) gives a change right after a stat a new timestamp; on an older kernel a change in
the same clock tick as the record could go unseen (thread.json's inode still changes).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

# Only the standard library and these: the check runs before the CLI imports the rest of
# the package (cli/__init__.py), and that import costs more than the check.
from .. import __version__
from ..archive_layout import STATE_DIR, THREADS_DIR, files_fingerprint, thread_files

log = logging.getLogger(__name__)

RECORD_FILE = "unchanged.json"  # in the build cache's folder (build_cache.py)
RECORD_FORMAT = 1
CODE_ROOT = Path(__file__).resolve().parents[1]  # the scraper package: the plugin's code
# What renders the pages besides this package: upgrading one rebuilds the site.
LIBRARIES = ("pelican", "jinja2", "markupsafe", "nh3", "selectolax", "slugify")


@dataclass(frozen=True)
class KeptReport:
    """What the last full build reported: what an unchanged build says it left as it was."""

    threads: int
    posts: int
    pages: int


def _stat_text(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _inputs_digest(settings_file: Path, archive: Path, output: Path, theme: Path) -> str:
    digest = hashlib.sha256(
        f"{RECORD_FORMAT}\0{__version__}\0{sys.version}\0{archive}\0{output}\0".encode()
    )
    digest.update(settings_file.read_bytes())
    for folder, pattern in ((CODE_ROOT, "*.py"), (theme, "*")):
        for path in sorted(folder.rglob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{path}\0{_stat_text(path)}\n".encode())
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        digest.update(f"{name}\0{_stat_text(Path(origin)) if origin else '-'}\n".encode())
    return digest.hexdigest()


def archive_digest(archive: Path) -> str:
    """A digest of every thread folder of `archive` and of its state folder, by stat only."""
    digest = hashlib.sha256()
    for path in thread_files(archive):
        folder = path.parent
        digest.update(f"{folder.name}\0{_stat_text(path)}\0{files_fingerprint(folder)}\n".encode())
    states = archive / STATE_DIR / THREADS_DIR  # thread_state.ThreadStates
    digest.update(_stat_text(states).encode() if states.is_dir() else b"-")
    return digest.hexdigest()


def _output_entries(output: Path, files_in: Sequence[str], trees: Sequence[str]) -> list[str]:
    """The output's folders, the files directly in the folders `files_in` and every file
    under the folders `trees` (relative paths; "" is the output itself)."""
    entries = ["."]
    folders_of_files = {Path(folder) for folder in files_in}
    tree_roots = {Path(folder) for folder in trees}
    for root, folders, files in os.walk(output):
        here = Path(root).relative_to(output)
        folders.sort()
        entries += [(here / name).as_posix() for name in folders]
        if here in folders_of_files or tree_roots.intersection((here, *here.parents)):
            entries += [(here / name).as_posix() for name in sorted(files)]
    return entries


def _output_digest(output: Path, entries: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(f"{entry}\0{_stat_text(output / entry)}\n".encode())
    return digest.hexdigest()


class BuildRecord:
    """The record of the last full build of `output` from `archive`, kept in `folder`."""

    def __init__(self, folder: Path, archive: Path, output: Path, settings_file: Path) -> None:
        self.path = folder / RECORD_FILE
        self.archive = archive.resolve()
        self.output = output.resolve()
        self.settings_file = settings_file.resolve()
        # Taken before the build reads the archive: a thread that changes during the build
        # makes the next one a full build again.
        try:
            self.archive_state: str | None = archive_digest(self.archive)
        except OSError:
            self.archive_state = None  # a folder changing under us: no record this time

    def kept_report(self) -> KeptReport | None:
        """The last full build's report, when nothing it was built from or left has changed
        since; None when anything did (or no usable record is there)."""
        try:
            kept = json.loads(self.path.read_bytes())
            if kept["format"] != RECORD_FORMAT or kept["archive"] != self.archive_state:
                return None
            theme = Path(kept["theme"])
            if kept["inputs"] != _inputs_digest(self.settings_file, self.archive, self.output,
                                                theme):  # fmt: skip
                return None
            if kept["output"] != _output_digest(self.output, kept["entries"]):
                return None
            return KeptReport(**kept["report"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            if not isinstance(error, FileNotFoundError):
                log.debug("no usable record of the last build (%s): building", error)
            return None

    def forget(self) -> None:
        """Drop the record: from now until a full build is done, the site may not match it."""
        self.path.unlink(missing_ok=True)

    def keep(
        self, theme: Path, files_in: Sequence[str], trees: Sequence[str], report: KeptReport
    ) -> None:
        """Record a full build that is done: its inputs, the archive as it started, and the
        output it left (its folders, and the files the build writes whole: those directly
        in `files_in` and all under `trees`)."""
        if self.archive_state is None:
            return
        entries = _output_entries(self.output, files_in, trees)
        record = {
            "format": RECORD_FORMAT,
            "inputs": _inputs_digest(self.settings_file, self.archive, self.output, theme),
            "theme": str(theme),
            "archive": self.archive_state,
            "entries": entries,
            "output": _output_digest(self.output, entries),
            "report": asdict(report),
        }
        from ..archive import atomic_write_bytes  # loaded by the build already

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(record).encode("utf-8"))
