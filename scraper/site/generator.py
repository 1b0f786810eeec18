"""The Pelican generator that writes the mirror: the index, each thread's pages, its assets."""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from pathlib import Path

from pelican.generators import Generator
from pelican.writers import Writer

from ..archive import ThreadArchive
from ..records import ArchivedThread
from . import i18n
from .sanitize import ASSET_PATH
from .views import (
    RTL_LANGUAGES,
    ThreadSummary,
    ThreadView,
    build_thread_view,
    newest_first,
    page_file,
    page_window,
    time_view,
)

log = logging.getLogger(__name__)

DEFAULT_POSTS_PER_PAGE = 20  # when the settings have no THREAD_POSTS_PER_PAGE


class ThreadSiteGenerator(Generator):
    """Reads the archive at `PATH` and writes `index.html` and `threads/<key>/...`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Titles, names and embed texts are scraped: escaping must not hang on a setting.
        self.env.autoescape = True
        self.env.filters["reader_time"] = time_view
        self.env.globals["page_file"] = page_file
        self.translations_dir = Path(self.theme) / "translations"

    def generate_output(self, writer: Writer) -> None:
        archive = ThreadArchive(self.path)
        embed_template = self.get_template("partials/embed")
        summaries: list[ThreadSummary] = []
        # One thread at a time, so a large archive is never all in memory.
        for thread in archive.threads():
            view = build_thread_view(
                thread,
                posts_per_page=int(
                    self.settings.get("THREAD_POSTS_PER_PAGE", DEFAULT_POSTS_PER_PAGE)
                ),
                fallback_lang=self.settings["DEFAULT_LANG"],
                render_embed=lambda embed: embed_template.render(embed=embed),
                translations_for=lambda lang: i18n.translations(self.translations_dir, lang),
            )
            self._write_thread(writer, view)
            copy_thread_assets(archive, thread, Path(self.output_path))
            summaries.append(view.summary)
        self._write_index(writer, summaries)

    def _write_thread(self, writer: Writer, view: ThreadView) -> None:
        template = self.get_template("thread")
        summary = view.summary
        i18n.install(self.env, self.translations_dir, summary.lang)
        for page in view.pages:
            writer.write_file(
                f"threads/{summary.key}/{page.file}",
                template,
                self.context,
                relative_urls=self.settings["RELATIVE_URLS"],
                thread=summary,
                page=page,
                pagination=page_window(page.number, summary.page_count),
                html_lang=view.html_lang,
                html_dir=summary.dir,
                lang=summary.lang,
            )

    def _write_index(self, writer: Writer, summaries: list[ThreadSummary]) -> None:
        # The index speaks the language most threads are written in.
        langs = Counter(summary.lang for summary in summaries)
        lang = langs.most_common(1)[0][0] if langs else self.settings["DEFAULT_LANG"]
        i18n.install(self.env, self.translations_dir, lang)
        writer.write_file(
            "index.html",
            self.get_template("index"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            threads=newest_first(summaries),
            html_lang=lang,
            html_dir="rtl" if lang.split("-")[0] in RTL_LANGUAGES else "ltr",
            lang=lang,
        )


def copy_thread_assets(archive: ThreadArchive, thread: ArchivedThread, output: Path) -> int:
    """Copy the thread's stored assets next to its pages; returns how many were copied."""
    source = archive.thread_dir(thread.key)
    target = output / "threads" / thread.key
    copied = 0
    for asset in thread.assets:
        if not ASSET_PATH.fullmatch(asset.path):
            log.warning("%s: asset path %r is not an archive asset path", thread.key, asset.path)
            continue
        destination = target / asset.path
        if destination.exists():
            continue  # files are named by their SHA-256: an existing one has the same bytes
        origin = source / asset.path
        if not origin.is_file():
            log.warning("%s: asset %s is missing from the archive", thread.key, asset.path)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, destination)
        copied += 1
    return copied
