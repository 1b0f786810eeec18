"""`forum-mirror build`: the archive through Pelican into a static site with its search index."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .unchanged import BuildRecord, KeptReport

if TYPE_CHECKING:
    from ..archive import UnreadableThread
    from .generator import ThreadSiteGenerator

log = logging.getLogger(__name__)

# Where builds before the search index served HTTP too put Pagefind's index: nothing loads
# it any more, so a rebuild of such a site removes it.
OLD_PAGEFIND_DIR = "pagefind"

# The settings and theme live at the repository's root, next to the `scraper` package.
DEFAULT_SETTINGS_FILE = Path(__file__).resolve().parents[2] / "pelicanconf.py"


@dataclass(frozen=True)
class BuildReport:
    threads: int
    posts: int
    pages: int  # HTML pages of the site (not permalink stubs), written or already current
    seconds: float
    unreadable: tuple[UnreadableThread, ...] = ()  # left out of the site
    # Nothing changed since the last full build (unchanged.py): the site was left as it was,
    # and Pelican was not started.
    unchanged: bool = False


@dataclass
class _ThreadGenerators:
    """Keeps our generator, from Pelican's `all_generators_finalized` signal, to read what it
    could not put in the site once the build is done."""

    found: list[ThreadSiteGenerator] = field(default_factory=list)

    def keep(self, generators: list[object]) -> None:
        from .generator import ThreadSiteGenerator

        self.found += [g for g in generators if isinstance(g, ThreadSiteGenerator)]


@dataclass
class _WrittenPages:
    """Counts what Pelican writes, from its `content_written` signal."""

    pages: int = 0
    posts: int = 0
    threads: set[str] = field(default_factory=set)

    def count(self, path: str, context: dict[str, Any] | None = None) -> None:
        if context and "permalink_target" in context:
            return  # a post's permalink stub only points at a page; it is no page itself
        self.pages += 1
        if context and "thread" in context and "page" in context:
            self.threads.add(context["thread"].key)
            self.posts += len(context["page"].posts)


def cache_folder(output: Path) -> Path:
    """Where builds of `output` keep what the next one can reuse: beside it, not in it, so
    publishing the folder publishes only the site."""
    resolved = output.resolve()
    return resolved.with_name(f".{resolved.name}.cache")


def _record(archive: Path, output: Path, settings_file: Path | None) -> BuildRecord:
    return BuildRecord(cache_folder(output), archive, output,
                       settings_file or DEFAULT_SETTINGS_FILE)  # fmt: skip


def unchanged_build(
    archive: Path, output: Path, settings_file: Path | None = None
) -> BuildReport | None:
    """The report of a build of `output` from `archive` when nothing changed since the last
    one (the site is current: nothing to do), else None. Imports nothing but the standard
    library, for the command line to answer before it loads the rest (cli/__init__.py)."""
    started = time.monotonic()
    kept = _record(archive, output, settings_file).kept_report()
    if kept is None:
        return None
    log.debug("nothing changed since the last build of %s", output)
    return BuildReport(kept.threads, kept.posts, kept.pages,
                       round(time.monotonic() - started, 3), unchanged=True)  # fmt: skip


def unchanged_message(output: Path, report: BuildReport) -> str:
    """What the command line says of a build that found nothing changed."""
    return (f"Nothing changed since the last build: {output}/ is current "
            f"({report.threads} thread(s), {report.posts} post(s)).")  # fmt: skip


def build_site(archive: Path, output: Path, settings_file: Path | None = None) -> BuildReport:
    """Write the static mirror of `archive` to `output`, with its search index.

    A thread whose thread.json cannot be read is left out and listed in the report's
    `unreadable`: one bad file does not keep the others from being published. When nothing
    changed since the last full build (unchanged.py), nothing is done and the report says so.
    """
    from ..archive import ThreadArchive

    started = time.monotonic()
    ThreadArchive(archive).require()
    settings_path = settings_file or DEFAULT_SETTINGS_FILE
    record = _record(archive, output, settings_path)
    kept = record.kept_report()
    if kept is not None:
        log.debug("nothing changed since the last build of %s", output)
        return BuildReport(kept.threads, kept.posts, kept.pages,
                           round(time.monotonic() - started, 3), unchanged=True)  # fmt: skip
    record.forget()
    report, settings = _build_with_pelican(archive, output, settings_path)
    report = dataclasses.replace(report, seconds=round(time.monotonic() - started, 3))
    if not report.unreadable:  # a thread left out must be reported again by the next build
        from .offline_index import SEARCH_DIR  # loaded by the build already

        # The files the build writes whole: the site-wide pages at the root, the search
        # manifest and the theme's static files.
        record.keep(Path(settings["THEME"]), ("", SEARCH_DIR), (settings["THEME_STATIC_DIR"],),
                    KeptReport(report.threads, report.posts, report.pages))  # fmt: skip
    log.debug("built %s: %s", output, report)
    return report


def _build_with_pelican(
    archive: Path, output: Path, settings_file: Path
) -> tuple[BuildReport, dict[str, Any]]:
    """The build itself, through Pelican and our plugin: its report and Pelican's settings."""
    # Imported here: Pelican's import alone costs more than a build that changes nothing.
    from pelican import Pelican, signals
    from pelican.log import console as pelican_console
    from pelican.settings import read_settings

    from .build_cache import CACHE_SETTING
    from .template_cache import TemplateCache

    settings = read_settings(
        str(settings_file),
        override={
            "PATH": str(archive.resolve()),
            "OUTPUT_PATH": str(output.resolve()),
            CACHE_SETTING: str(cache_folder(output)),
        },
    )
    templates = TemplateCache(cache_folder(output))
    settings["JINJA_ENVIRONMENT"] = {**settings["JINJA_ENVIRONMENT"], "bytecode_cache": templates}
    written = _WrittenPages()
    generators = _ThreadGenerators()
    signals.content_written.connect(written.count)
    signals.all_generators_finalized.connect(generators.keep)
    # Pelican prints its own "Done: Processed 0 articles" line; our CLI reports the build.
    pelican_console.quiet = True
    try:
        Pelican(settings).run()
    finally:
        pelican_console.quiet = False
        signals.content_written.disconnect(written.count)
        signals.all_generators_finalized.disconnect(generators.keep)
    # Threads whose pages Pelican's signals did not count here: left as they were, or
    # rendered by the worker process (render_worker.py).
    reused = [data for g in generators.found for data in (*g.reused, *g.rendered_elsewhere)]
    shutil.rmtree(output / OLD_PAGEFIND_DIR, ignore_errors=True)
    report = BuildReport(
        threads=len(written.threads | {data.summary.key for data in reused}),
        posts=written.posts + sum(data.search_count for data in reused),
        pages=written.pages + sum(g.pages_kept + g.pages_elsewhere for g in generators.found),
        seconds=0.0,
        unreadable=tuple(u for g in generators.found for u in g.unreadable),
    )
    return report, settings
