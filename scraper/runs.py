"""The records of `update` runs, kept at archive level (docs/archive.md, "The runs folder").

    <root>/runs/<run-id>.json          what the run checked, what each board answered
    <root>/runs/<run-id>.warc.gz       its re-checks: the conditional requests and answers
    <root>/runs/<run-id>-<n>.warc.gz   ... its n-th, when it needed several: one per forum
                                       (a warcinfo names one forum's settings), and a new
                                       one after each check a thread.json points into

A thread's own folder changes only when a run changed the thread; the evidence of every
check, changed or not, is here, and so is the history of every run (`thread.json`'s `runs`
lists only the runs that changed it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .archive import ThreadArchive, write_json_file
from .fetch import FetchSettings, WarcRecorder
from .scrape import utc_now

RUNS_DIR = "runs"
RUN_FORMAT = "forum-mirror/run"
RUN_VERSION = 1


@dataclass
class CheckRecorder:
    """The WARC recorder of one forum's re-checks in a run, opened at its first record (a
    run that re-checks nothing leaves no WARC file)."""

    run: UpdateRun
    settings: FetchSettings
    _recorder: WarcRecorder | None = None

    def __call__(self) -> WarcRecorder:
        if self._recorder is None:
            path = self.run.next_warc_path(self.settings)
            self._recorder = WarcRecorder(path, warc_file_label=self.run.archive.relative(path),
                                          settings=self.settings)
        return self._recorder

    @property
    def warc_file(self) -> str:
        """The file the last record went to (relative to the archive root)."""
        return self().warc_file_label

    def seal(self) -> WarcRecorder | None:
        """Close the file now, so that a `thread.json` may point into it (whatever it points
        to exists: docs/archive.md); the next re-check opens another one. The closed
        recorder knows every record's offset (`settled`)."""
        closed, self._recorder = self._recorder, None
        if closed is not None:
            closed.close()
        return closed


@dataclass
class UpdateRun:
    """One `update` run: its re-check WARC files and, when it ends, its run record."""

    archive: ThreadArchive
    run_id: str
    started_at: str = field(default_factory=utc_now)
    threads: list[dict[str, Any]] = field(default_factory=list)
    warc_files: list[dict[str, Any]] = field(default_factory=list)
    _recorders: list[CheckRecorder] = field(default_factory=list)
    # Forums are re-checked side by side (runner.run_local): one change to the record at a time.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def forum(self, settings: FetchSettings) -> CheckRecorder:
        """The recorder of the re-checks of one forum's threads."""
        recorder = CheckRecorder(self, settings)
        with self._lock:
            self._recorders.append(recorder)
        return recorder

    def next_warc_path(self, settings: FetchSettings) -> Path:
        with self._lock:
            number = len(self.warc_files) + 1
            name = self.run_id if number == 1 else f"{self.run_id}-{number}"
            path = self.archive.root / RUNS_DIR / f"{name}.warc.gz"
            self.warc_files.append({"warc_file": self.archive.relative(path),
                                    "settings": {"delay": settings.delay,
                                                 "obey_robots": settings.obey_robots,
                                                 "user_agent": settings.user_agent}})
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def checked(self, key: str | None, url: str, outcome: str, **facts: Any) -> None:
        """One thread's entry: `outcome` is "unchanged", "changed", "failed",
        "unreadable" or "not_due" (skipped by its schedule); `facts` what the board
        answered and what the run did."""
        with self._lock:
            self.threads.append({"key": key, "url": url, "outcome": outcome, **facts})

    def finish(self, exit_code: int, totals: dict[str, Any]) -> Path:
        """Close the run's WARC files and write its record (atomically); its path."""
        with self._lock:
            recorders = list(self._recorders)
        for recorder in recorders:
            recorder.seal()
        record = {
            "format": RUN_FORMAT, "format_version": RUN_VERSION, "run_id": self.run_id,
            "command": "update", "started_at": self.started_at, "finished_at": utc_now(),
            "scraper_version": __version__, "exit_code": exit_code,
            "warc_files": self.warc_files, "threads": self.threads, "totals": totals,
        }
        path = self.archive.root / RUNS_DIR / f"{self.run_id}.json"
        write_json_file(path, record)
        return path


def run_records(archive: ThreadArchive) -> list[Path]:
    """Every run record of the archive, oldest first."""
    return sorted((archive.root / RUNS_DIR).glob("*.json"))
