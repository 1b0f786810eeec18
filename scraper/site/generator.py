"""The Pelican generator that writes the mirror: the index, each thread's pages, its assets."""

from __future__ import annotations

import logging
import shutil
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from jinja2 import Template
from pelican import signals
from pelican.generators import Generator
from pelican.writers import Writer

from .. import __version__
from ..archive import ThreadArchive, UnreadableThread
from ..archive_paths import path_inside
from ..errors import ArchiveError
from ..records import ArchivedThread
from . import i18n
from .activity import date_text
from .feed import DEFAULT_MAX_ENTRIES, FEED_FILE, write_atom_feed
from .offline_index import SearchData, write_search_files
from .pages import SitePages, thread_extras
from .sanitize import ASSET_PATH, unpublished_reason
from .sitemap import sitemap_base_url, write_sitemap
from .thread_zip import file_size_text, thread_zip_name, write_thread_zip
from .views import (
    ThreadExtras,
    ThreadSummary,
    ThreadView,
    build_thread_view,
    newest_first,
    page_file,
    page_window,
    text_direction,
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
        # Site-wide pages (pages.py): the sitemap lists every page Pelican writes.
        self.env.filters["file_size"] = file_size_text
        self.env.filters["reader_date"] = date_text
        self.written_pages: list[str] = []
        # Threads whose thread.json cannot be read: left out of the site, reported by the build.
        self.unreadable: list[UnreadableThread] = []
        signals.content_written.connect(self._page_written)

    def generate_output(self, writer: Writer) -> None:
        archive = ThreadArchive(self.path)
        embed_template = self.get_template("partials/embed")
        summaries: list[ThreadSummary] = []
        search = SearchData()
        site_pages = SitePages(
            feed_limit=int(self.settings.get("FEED_MAX_ENTRIES", DEFAULT_MAX_ENTRIES))
        )
        # One thread at a time, so a large archive is never all in memory.
        for thread in archive.scan_threads():
            if isinstance(thread, UnreadableThread):
                log.error("left out of the site: %s", thread.error)
                self.unreadable.append(thread)
                continue
            view = build_thread_view(
                thread,
                posts_per_page=int(
                    self.settings.get("THREAD_POSTS_PER_PAGE", DEFAULT_POSTS_PER_PAGE)
                ),
                fallback_lang=self.settings["DEFAULT_LANG"],
                render_embed=lambda embed: embed_template.render(embed=embed),
                # install, not just read: embed cards are rendered (with `_`) while the
                # thread view is built, in the thread's language.
                translations_for=lambda lang: i18n.install(self.env, self.translations_dir, lang),
                thread_dir=archive.thread_dir(thread.key),
            )
            extras = self._write_thread_zip(archive, thread, view)
            self._write_thread(writer, view, extras)
            copy_thread_assets(archive, thread, Path(self.output_path))
            summaries.append(view.summary)
            search.add_thread(view)
            site_pages.add_thread(thread, view)
        self._write_index(writer, summaries)
        self._write_search(writer, summaries, search)
        self._write_site_pages(writer, summaries, site_pages)

    def _write_thread(
        self, writer: Writer, view: ThreadView, extras: ThreadExtras | None = None
    ) -> None:
        template = self.get_template("thread")
        for page in view.pages:
            self._write_thread_file(
                writer,
                view,
                page.file,
                template,
                page=page,
                pagination=page_window(page.number, view.summary.page_count),
                extras=extras,
            )
        self._write_permalinks(writer, view)

    def _write_permalinks(self, writer: Writer, view: ThreadView) -> None:
        """`threads/<key>/posts/<id>.html` per post: a stable link that finds its page."""
        template = self.get_template("permalink")
        for page in view.pages:
            for post in page.posts:
                if post.permalink is not None:
                    self._write_thread_file(
                        writer,
                        view,
                        post.permalink,
                        template,
                        post=post,
                        permalink_target=f"../{page.file}#{post.anchor}",
                    )

    def _write_thread_file(
        self, writer: Writer, view: ThreadView, name: str, template: Template, **context: object
    ) -> None:
        """A file of the thread's folder, in the thread's language and direction."""
        summary = view.summary
        self._write_page(
            writer,
            f"threads/{summary.key}/{name}",
            template,
            summary.lang,
            html_lang=view.html_lang,
            html_dir=summary.dir,
            thread=summary,
            **context,
        )

    def _write_page(
        self,
        writer: Writer,
        name: str,
        template: Template,
        lang: str,
        *,
        html_lang: str | None = None,
        html_dir: str | None = None,
        **context: object,
    ) -> None:
        """Write one page in `lang`: its `_()` speak it, and `<html>` carries it and its dir."""
        i18n.install(self.env, self.translations_dir, lang)
        writer.write_file(
            name,
            template,
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            html_lang=html_lang or lang,
            html_dir=html_dir or text_direction(lang),
            lang=lang,
            **context,
        )

    def _write_index(self, writer: Writer, summaries: list[ThreadSummary]) -> None:
        # The index speaks the language most threads are written in.
        lang = self._site_lang(summaries)
        self._write_page(
            writer, "index.html", self.get_template("index"), lang, threads=newest_first(summaries)
        )

    def _write_search(
        self, writer: Writer, summaries: list[ThreadSummary], search: SearchData
    ) -> None:
        """`search.html` in the index's language, and the posts for search.js (search/)."""
        self._write_page(
            writer, "search.html", self.get_template("search"), self._site_lang(summaries)
        )
        write_search_files(Path(self.output_path), search)

    # --- Site-wide pages and per-thread extras (pages.py) ------------------------------------

    def _page_written(self, path: str, context: dict[str, object] | None = None) -> None:
        """Pelican's `content_written` signal: note each page for the sitemap."""
        if context and "permalink_target" in context:
            return  # a permalink stub only redirects (noindex): no page for the sitemap
        output = Path(self.output_path).resolve()
        written = Path(path).resolve()
        if written.suffix == ".html" and output in written.parents:
            self.written_pages.append(written.relative_to(output).as_posix())

    def _write_thread_zip(
        self, archive: ThreadArchive, thread: ArchivedThread, view: ThreadView
    ) -> ThreadExtras:
        """Zip the thread's archive folder next to its pages; the extras for its head."""
        name = thread_zip_name(thread.key)
        target = Path(self.output_path) / "threads" / thread.key / name
        size = write_thread_zip(archive.thread_dir(thread.key), target, thread.key)
        return thread_extras(thread, view, quote(name), size)

    def _site_lang(self, summaries: list[ThreadSummary]) -> str:
        """The language of site-wide pages: that of most threads."""
        langs = Counter(summary.lang for summary in summaries)
        return langs.most_common(1)[0][0] if langs else self.settings["DEFAULT_LANG"]

    def _write_site_pages(
        self, writer: Writer, summaries: list[ThreadSummary], pages: SitePages
    ) -> None:
        """`about.html`, `authors/*.html`, `feed.atom` and (with a public address) `sitemap.xml`."""
        output = Path(self.output_path)
        lang = self._site_lang(summaries)
        self._write_page(
            writer,
            "about.html",
            self.get_template("about"),
            lang,
            threads=pages.provenance,
            scraper_version=__version__,
        )
        template = self.get_template("author")
        for author in pages.authors.records():
            # An author's page speaks the language of most threads they wrote in.
            author_lang = Counter(author.langs).most_common(1)[0][0] if author.langs else lang
            self._write_page(writer, author.page, template, author_lang, author=author)
        catalog = i18n.install(self.env, self.translations_dir, lang)
        base_url = sitemap_base_url(self.settings)
        write_atom_feed(
            output / FEED_FILE,
            pages.feed,
            title=f"{self.settings['SITENAME']}: {catalog.gettext('Newly archived posts')}",
            language=lang,
            base_url=base_url,
        )
        if base_url:
            write_sitemap(output, base_url, self.written_pages)
        else:
            log.debug("no SITEMAP_BASE_URL: sitemap.xml needs absolute URLs, none written")


def copy_thread_assets(archive: ThreadArchive, thread: ArchivedThread, output: Path) -> int:
    """Copy the thread's stored assets next to its pages; returns how many were copied."""
    source = archive.thread_dir(thread.key)
    target = output / "threads" / thread.key
    copied = 0
    for asset in thread.assets:
        if not ASSET_PATH.fullmatch(asset.path):
            log.warning("%s: %s", thread.key, unpublished_reason(asset.path))
            continue
        destination = target / asset.path
        if destination.exists():
            continue  # files are named by their SHA-256: an existing one has the same bytes
        try:
            origin = path_inside(source, asset.path, thread.key, "asset path")
        except ArchiveError as error:  # a symlink out of the archive: never publish it
            log.warning("%s", error)
            continue
        if not origin.is_file():
            log.warning("%s: asset %s is missing from the archive", thread.key, asset.path)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, destination)
        copied += 1
    return copied
