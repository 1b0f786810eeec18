"""`about.html`: how and when each thread of the mirror was collected, from its run records.

Every scrape run leaves an entry in `thread.json`'s `runs` (see docs/archive.md): when it
finished, its WARC file, how many requests it made and the politeness settings it used.
The about page shows them per thread, so a reader can judge the copy without the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..records import ArchivedThread
from .views import ThreadSummary, web_url


@dataclass(frozen=True)
class RunSettings:
    """The politeness settings of a run, as recorded."""

    delay: float | None  # seconds between requests to a host
    obey_robots: bool | None
    user_agent: str


@dataclass(frozen=True)
class ThreadProvenance:
    """One thread's line on the about page."""

    title: str
    href: str  # its first page, from the site's root
    lang: str
    dir: str
    board_language: str
    source_url: str | None
    first_run: str  # ISO 8601
    last_run: str
    runs: int
    requests: int | None  # None when no run recorded its count
    warc_files: int
    scraper_versions: list[str]
    settings: RunSettings | None  # of the latest run that recorded them
    unavailable_since: str | None
    unavailable_reason: str
    moved_from: list[str]  # earlier URLs of the thread (301/308)


def _settings(runs: list[dict[str, Any]]) -> RunSettings | None:
    for run in reversed(runs):
        recorded = run.get("settings")
        if isinstance(recorded, dict):
            delay = recorded.get("delay")
            robots = recorded.get("obey_robots")
            return RunSettings(
                delay=float(delay) if isinstance(delay, int | float) else None,
                obey_robots=robots if isinstance(robots, bool) else None,
                user_agent=str(recorded.get("user_agent") or ""),
            )
    return None


def thread_provenance(thread: ArchivedThread, summary: ThreadSummary) -> ThreadProvenance:
    """What the about page says of `thread`, from its records alone."""
    runs = thread.runs
    finished = [str(run["finished_at"]) for run in runs if run.get("finished_at")]
    counted = [run["requests"] for run in runs if isinstance(run.get("requests"), int)]
    warc_files = {str(run["warc_file"]) for run in runs if run.get("warc_file")}
    # Older archives may lack run records: the posts and assets still name their WARC files.
    warc_files |= {post.warc_file for post in thread.posts if post.warc_file}
    warc_files |= {asset.capture.warc_file for asset in thread.assets if asset.capture.warc_file}
    versions = {str(run["scraper_version"]) for run in runs if run.get("scraper_version")}
    return ThreadProvenance(
        title=summary.title,
        href=summary.href,
        lang=summary.lang,
        dir=summary.dir,
        board_language=summary.board_language,
        source_url=web_url(thread.thread.url),
        first_run=thread.first_archived_at,
        last_run=finished[-1] if finished else thread.last_archived_at,
        runs=len(runs),
        requests=sum(counted) if counted else None,
        warc_files=len(warc_files),
        scraper_versions=sorted(versions | {thread.scraper_version}),
        settings=_settings(runs),
        unavailable_since=thread.unavailable_since,
        unavailable_reason=thread.unavailable_reason,
        moved_from=[move.from_url for move in thread.moves],
    )
