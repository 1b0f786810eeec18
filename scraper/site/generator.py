"""The Pelican generator that writes the mirror: the index, each thread's pages, its assets."""

from __future__ import annotations

import gc
import gettext
import hashlib
import logging
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from jinja2 import Template
from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator
from pelican.utils import get_relative_path, path_to_url
from pelican.writers import Writer

from .. import __version__
from ..archive import ThreadArchive, UnreadableThread
from ..archive_paths import path_inside
from ..errors import ArchiveError
from ..records import ArchivedThread
from ..thread_state import ThreadStates
from . import i18n
from .activity import date_text
from .authors import AUTHORS_DIR, AuthorContribution, AuthorStore, thread_author_posts
from .build_cache import (
    CACHE_SETTING,
    BuildCache,
    FragmentCache,
    build_signature,
    folder_fingerprint,
    keep_fragments_of,
)
from .feed import DEFAULT_MAX_ENTRIES, FEED_FILE, write_atom_feed
from .offline_index import (
    OFFLINE_INDEX_FILE,
    SEARCH_CACHE_DIR,
    SEARCH_DIR,
    KeptPosts,
    SearchData,
    SearchPost,
    thread_search_posts,
    write_search_files,
)
from .output import inodes, remove_all_but, sync_folder, write_linked
from .pages import SitePages, ThreadSiteData, thread_extras, thread_site_data
from .render_worker import (
    DEFAULT_WORKER_MIN_BYTES,
    WORKER_SETTING,
    RenderWorker,
    fork_pays,
    worker_pays,
)
from .sanitize import ASSET_PATH, unpublished_reason
from .sitemap import sitemap_base_url, write_sitemap
from .size_text import SizeText, kept_file
from .template_cache import TemplateCache
from .thread_zip import thread_zip_name, write_thread_zip
from .views import (
    PERMALINK_DIR,
    ThreadExtras,
    ThreadPage,
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
# What the worker process renders with (threads' pages and author pages).
WORKER_TEMPLATES = ("thread", "partials/posts", "partials/embed", "permalink", "author")
# The author pages to render are shared out in about this many groups (RenderWorker.share):
# enough that the two processes end close together, few enough to cost no time in round trips.
AUTHOR_GROUPS = 64


class ThreadSiteGenerator(Generator):
    """Reads the archive at `PATH` and writes `index.html` and `threads/<key>/...`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Titles, names and embed texts are scraped: escaping must not hang on a setting.
        self.env.autoescape = True
        # The theme does not change during a build: without this, every `{% include %}` of
        # a post checks its template file on disk.
        self.env.auto_reload = False
        # Compiling the theme's templates took most of a second of every build. A build
        # through build_site gives every generator's environment the cache (its settings).
        if self.env.bytecode_cache is None:
            self.env.bytecode_cache = TemplateCache(self._cache_folder())
        self.env.filters["reader_time"] = time_view
        self.env.globals["reader_time"] = time_view  # as author.html calls it
        self.env.globals["page_file"] = page_file
        self.translations_dir = Path(self.theme) / "translations"
        # Site-wide pages (pages.py): the sitemap lists every page Pelican writes.
        self.env.filters["file_size"] = SizeText(kept_file(self._cache_folder())).text
        self.env.filters["reader_date"] = date_text
        self.written_pages: list[str] = []
        # Threads whose thread.json cannot be read: left out of the site, reported by the build.
        self.unreadable: list[UnreadableThread] = []
        # Threads unchanged since the last build, whose pages were left as they were.
        self.reused: list[ThreadSiteData] = []
        # Threads the worker process rendered (render_worker.py): its signals stayed there.
        self.rendered_elsewhere: list[ThreadSiteData] = []
        self.pages_elsewhere = 0  # HTML pages the worker wrote (threads' and authors')
        self.pages_kept = 0  # HTML pages left as the last build wrote them, not rendered
        self._installed_lang: str | None = None  # the language `_()` speaks now
        # Each thread of the site and its folder's fingerprint (build_cache.py), in order.
        self.thread_states: list[tuple[str, str | None]] = []
        self._signature = ""  # the build cache's (build_cache.build_signature)
        # Whether a thread's pages may be written by a child (`_fork_writer`), and those.
        self._fork_pages = False
        self._page_writers: list[tuple[int, str]] = []
        signals.content_written.connect(self._page_written)

    def generate_output(self, writer: Writer) -> None:
        sync_folder(
            Path(self.theme) / "static", Path(self.output_path) / self.settings["THEME_STATIC_DIR"]
        )
        archive = ThreadArchive(self.path)
        # An update that found a thread unchanged leaves its folder as it was; when it
        # checked is in the archive's state (thread_state.py), read here for every thread.
        states = ThreadStates(archive)
        cache = BuildCache(self._cache_folder(), build_signature(self.settings, Path(self.theme)))
        self._signature = cache.signature  # before the worker forks: it renders with it
        site = SitePages(
            feed_limit=int(self.settings.get("FEED_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)),
            # Each thread's words, kept for the next build (offline_index.ThreadTerms).
            search=SearchData(cache.folder / SEARCH_CACHE_DIR),
        )
        authors = cache.author_store()
        try:
            planned = self._plan_threads(archive, cache, authors)
            # What lives to the end of the output (Pelican, its templates, the kept threads'
            # site data) is frozen until then: the full collections that rendering sets off
            # walk only what it makes. One that walked it all took 14-19 ms of a one-thread
            # rebuild of 1,000-10,000 posts, and in a fork's parent dirtied the pages the
            # fork shares (measured, gc.callbacks). Garbage is still freed as it comes;
            # cycles among the frozen objects wait for `unfreeze`, in a process that builds
            # again (the tests, a scheduled job).
            gc.freeze()
            to_render = [path for path, _, data in planned if data is None]

            def render_thread(path: Path) -> RenderedThread | UnreadableThread:
                return self._render_thread(writer, archive, path, site.feed_limit)

            tasks: dict[str, Callable[[Any], object]] = {
                "thread": render_thread,
                "authors": lambda job: self._render_author_pages(writer, authors.path, *job),
            }
            min_bytes = int(self.settings.get(WORKER_SETTING, DEFAULT_WORKER_MIN_BYTES))
            start = worker_pays(to_render, min_bytes)
            if start:
                # Loaded (compiled, in a first build) before the fork: the worker then has
                # them as this process has, instead of compiling them again beside it.
                for name in WORKER_TEMPLATES:
                    self.get_template(name)
            with RenderWorker(tasks, start=start) as worker:
                # One thread to render: its pages on the second core (`_fork_writer`).
                self._fork_pages = (worker.pool is None and len(to_render) == 1
                                    and fork_pays(to_render[0], min_bytes))  # fmt: skip
                self._write_threads(planned, worker, render_thread, states, cache, site,
                                    authors)  # fmt: skip
                self._write_index(writer, site.summaries)
                # The worker renders the author pages while this process writes the search
                # files, then both do.
                author_pages = self._start_author_pages(worker, authors, site)
                self._write_search(writer, site.summaries, site.search, cache)
                self._write_site_pages(writer, site, author_pages)
                self.finish_writers(cache)
        finally:
            gc.unfreeze()
            self._fork_pages = False
            if self._page_writers:  # something failed here: the child's result is moot
                for pid, key in self._page_writers:
                    os.waitpid(pid, 0)
                    cache.forget_thread(key)
                self._page_writers = []
            authors.close()

    def _write_threads(
        self,
        planned: list[tuple[Path, str | None, ThreadSiteData | None]],
        worker: RenderWorker,
        render: Callable[[Path], RenderedThread | UnreadableThread],
        states: ThreadStates,
        cache: BuildCache,
        site: SitePages,
        authors: AuthorStore,
    ) -> None:
        """Each thread's pages, one thread at a time, so a large archive is never all in
        memory; a thread whose folder is as the last build saw it is not read at all
        (build_cache.py). Big enough a rebuild renders threads on two cores
        (render_worker.py); the site-wide pages take them in the archive's order either way."""
        to_render = [path for path, _, data in planned if data is None]
        rendered = worker.in_order("thread", to_render, render)
        seen: set[str] = set()
        for path, fingerprint, data in planned:
            key = path.parent.name
            if data is not None:
                self.reused.append(data)
                self.written_pages += data.pages
                self.pages_kept += len(data.pages)
            else:
                result, elsewhere = next(rendered)
                if isinstance(result, UnreadableThread):
                    log.error("left out of the site: %s", result.error)
                    self.unreadable.append(result)
                    continue
                data = result.data
                if elsewhere or result.pages_elsewhere:
                    # The worker's writes sent their `content_written` signals there.
                    self.rendered_elsewhere.append(data)
                    self.written_pages += data.pages
                    self.pages_elsewhere += len(data.pages)
                authors.replace_thread(key, fingerprint, result.author_posts)
                if fingerprint:
                    cache.keep_thread(key, fingerprint, data)
            seen.add(key)
            self.thread_states.append((key, fingerprint))
            site.add(_last_checked(data, states.last_checked(key)))
        next(rendered, None)  # the end of the worker's share: it logs what it did
        authors.keep_only(seen)
        keep_fragments_of(cache.folder, seen)
        self._remove_threads_gone({path.parent.name for path, _, _ in planned})

    def _remove_threads_gone(self, in_archive: set[str]) -> None:
        """Delete the pages of threads no longer in the archive (a thread whose thread.json
        cannot be read is still there: its pages stay until it is readable again)."""
        folder = Path(self.output_path) / "threads"
        if not folder.is_dir():
            return
        for entry in os.scandir(folder):
            if entry.name not in in_archive and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
                log.info("removed the pages of %s: the thread is no longer in the archive",
                         entry.name)

    def _plan_threads(
        self, archive: ThreadArchive, cache: BuildCache, authors: AuthorStore
    ) -> list[tuple[Path, str | None, ThreadSiteData | None]]:
        """Each thread.json with its folder's fingerprint and, when the last build's pages
        of it can stay as they are, what that build kept of it."""
        planned: list[tuple[Path, str | None, ThreadSiteData | None]] = []
        for path in archive.thread_files():
            key = path.parent.name
            try:
                fingerprint: str | None = folder_fingerprint(path.parent, cache.signature)
            except OSError:
                fingerprint = None  # reading it will say what is wrong
            data = cache.thread(key, fingerprint) if fingerprint else None
            if data is not None and not (
                fingerprint is not None
                and authors.has_thread(key, fingerprint)
                and self._pages_present(data)
            ):
                data = None
            if data is not None:
                data = self._kept_or_read_again(archive, path, data)
            planned.append((path, fingerprint, data))
        return planned

    def _cache_folder(self) -> Path:
        return Path(self.settings.get(CACHE_SETTING) or self.settings["CACHE_PATH"])

    def _pages_present(self, data: ThreadSiteData) -> bool:
        """Whether the thread's pages are still in the output (someone may have deleted them)."""
        output = Path(self.output_path)
        return all((output / page).is_file() for page in data.pages)

    def _render_thread(
        self, writer: Writer, archive: ThreadArchive, path: Path, feed_limit: int
    ) -> RenderedThread | UnreadableThread:
        """Read the thread.json at `path` and write the thread's pages, zip and assets; what
        the site-wide pages and its authors' pages need of it. Runs in either process."""
        try:
            thread = archive.read_thread_file(path)
        except ArchiveError as error:
            return UnreadableThread(path, error)
        fragments = FragmentCache(self._cache_folder(), thread.key, self._signature)
        view = self._thread_view(archive, thread, fragments)
        forked = self._fork_pages and threading.active_count() == 1 and self._fork_writer(
            thread.key, lambda: self._write_thread_files(writer, archive, thread, view, fragments)
        )  # fmt: skip
        if not forked:
            self._write_thread_files(writer, archive, thread, view, fragments)
        return RenderedThread(
            thread_site_data(thread, view, feed_limit),
            thread_author_posts(thread, view),
            pages_elsewhere=forked,
        )

    def _thread_view(
        self, archive: ThreadArchive, thread: ArchivedThread, fragments: FragmentCache | None
    ) -> ThreadView:
        """The thread as its pages show it (with the post views kept in `fragments`)."""
        embed_template = self.get_template("partials/embed")
        return build_thread_view(
            thread,
            posts_per_page=int(self.settings.get("THREAD_POSTS_PER_PAGE", DEFAULT_POSTS_PER_PAGE)),
            fallback_lang=self.settings["DEFAULT_LANG"],
            render_embed=lambda embed: embed_template.render(embed=embed),
            # install, not just read: embed cards are rendered (with `_`) while the
            # thread view is built, in the thread's language.
            translations_for=self._install_language,
            thread_dir=archive.thread_dir(thread.key),
            cache=fragments.views if fragments is not None else None,
        )

    def _kept_or_read_again(
        self, archive: ThreadArchive, path: Path, data: ThreadSiteData
    ) -> ThreadSiteData:
        """`data` taken from the build cache, whose search posts, if their file there
        cannot be read when they are needed, are taken from the thread.json at `path`
        again (a warning says so; the next build renders the thread anew)."""
        kept = data.search_posts
        if not isinstance(kept, KeptPosts):
            return data

        def read() -> list[SearchPost]:
            try:
                return kept.read()
            except OSError as error:
                log.warning("%s: reading the thread again", error)
                return thread_search_posts(
                    self._thread_view(archive, archive.read_thread_file(path), None))[1]

        return replace(data, search_posts=replace(kept, read=read))

    def _write_thread_files(
        self,
        writer: Writer,
        archive: ThreadArchive,
        thread: ArchivedThread,
        view: ThreadView,
        fragments: FragmentCache,
    ) -> None:
        """The thread's zip, pages, permalink files and assets (and what the next build may
        take of them from the cache)."""
        extras = self._write_thread_zip(archive, thread, view)
        self._write_thread(writer, view, fragments, extras)
        fragments.keep_views()
        fragments.keep_parts()
        copy_thread_assets(archive, thread, Path(self.output_path))
        # What an earlier build wrote for posts or pages the thread no longer has goes.
        written = {page.file for page in view.pages}
        written.update(post.permalink for page in view.pages for post in page.posts
                       if post.permalink is not None)
        written.add(thread_zip_name(thread.key))
        written.update(asset.path for asset in thread.assets if ASSET_PATH.fullmatch(asset.path))
        remove_all_but(Path(self.output_path) / "threads" / thread.key, written)

    def _fork_writer(self, key: str, write: Callable[[], None]) -> bool:
        """Run `write` (thread `key`'s files) in a forked child while this process goes on
        with the site-wide pages; False if no child could be started.

        A rebuild after one thread changed has no worker (render_worker.py: too little to
        render) and would use one core only: the thread's view is made here, then a child
        writes its pages (what they need is all in the view) while this process writes the
        index, search files, author pages and feed from the same view. `finish_writers`
        waits for it. The child writes nothing but the thread's own files.
        """
        try:
            pid = os.fork()
        except OSError as error:
            log.debug("no child for %s's pages (%s): writing them here", key, error)
            return False
        if pid == 0:  # the child: write, and leave without running this process's exits
            code = 1
            try:
                write()
                code = 0
            except BaseException:
                log.exception("writing the pages of %s failed", key)
            finally:
                os._exit(code)
        self._page_writers.append((pid, key))
        return True

    def finish_writers(self, cache: BuildCache) -> None:
        """Wait for the children writing threads' pages (`_fork_writer`); raise if one failed
        (whose thread the next build renders again)."""
        failed = []
        for pid, key in self._page_writers:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                failed.append(key)
                cache.forget_thread(key)
        self._page_writers = []
        if failed:
            raise OSError(f"the pages of {', '.join(failed)} could not be written (see above)")

    def _write_thread(
        self,
        writer: Writer,
        view: ThreadView,
        fragments: FragmentCache,
        extras: ThreadExtras | None = None,
    ) -> None:
        template = self.get_template("thread")
        summary = view.summary
        for page in view.pages:
            self._write_thread_file(
                writer,
                view,
                page.file,
                template,
                page=page,
                pagination=page_window(page.number, summary.page_count),
                extras=extras,
                posts_html=self._page_posts(fragments, summary, page),
            )
        self._write_permalinks(view)

    def _page_posts(
        self, fragments: FragmentCache, summary: ThreadSummary, page: ThreadPage
    ) -> Markup:
        """The posts of a thread's `page` as its file shows them (partials/posts.html), kept
        between builds: every page of a thread shows its post count, so a post added to the
        last page changes each page's head, but only the last one's posts."""
        context = {
            "lang": summary.lang,
            "board_language": summary.board_language,
            "SITEURL": self._site_url(f"threads/{summary.key}/{page.file}"),
        }

        def render() -> str:
            self._install_language(summary.lang)
            template = self.get_template("partials/posts")
            return str(template.render({"posts": page.posts, **context}))

        # The posts by the digest of what their views were made from (equal digests, equal
        # views: views.PostViewCache), which costs less than pickling the views themselves.
        inputs = (page.posts_digest, context)
        # Our template's output, scraped text escaped in it.
        return Markup(fragments.get(inputs, render))

    def _site_url(self, path: str) -> str:
        """SITEURL as Pelican's writer gives it to the page at `path` (from the site's root)."""
        if self.settings["RELATIVE_URLS"]:
            return str(path_to_url(get_relative_path(path)))
        return str(self.context.get("SITEURL", ""))

    def _write_permalinks(self, view: ThreadView) -> None:
        """`threads/<key>/posts/<id>.html` per post: a stable link that finds its page.

        The posts of a page share one file (permalink.html says why), written here rather
        than by Pelican's writer: its bytes go to every post's name at once (output.py).
        """
        template = self.get_template("permalink")
        folder = Path(self.output_path) / "threads" / view.summary.key / PERMALINK_DIR
        held = inodes(folder)  # once for the thread: a listing per page grew with the thread
        for page in view.pages:
            names = [post.permalink for post in page.posts if post.permalink is not None]
            if not names:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            html = self._render_thread_file(view, names[0], template, page=page)
            files = [name.removeprefix(f"{PERMALINK_DIR}/") for name in names]
            write_linked(folder, files, html.encode("utf-8"), held)

    def _render_thread_file(
        self, view: ThreadView, name: str, template: Template, **context: object
    ) -> str:
        """A file of the thread's folder rendered as Pelican's writer renders a page (the same
        context, SITEURL relative to the file), but returned instead of written."""
        summary = view.summary
        path = f"threads/{summary.key}/{name}"
        self._install_language(summary.lang)
        site_url = self._site_url(path)
        return template.render(
            {
                **self.context,
                "SITEURL": site_url,
                "localsiteurl": site_url,
                "output_file": path,
                "html_lang": view.html_lang,
                "html_dir": summary.dir,
                "lang": summary.lang,
                "thread": summary,
                **context,
            }
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
        self._install_language(lang)
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

    def _install_language(self, lang: str) -> gettext.NullTranslations:
        """Make `_()` speak `lang`; installing costs more than a page, so only on a change."""
        if lang != self._installed_lang:
            i18n.install(self.env, self.translations_dir, lang, self._cache_folder())
            self._installed_lang = lang
        return i18n.translations(self.translations_dir, lang, self._cache_folder())

    def _write_index(self, writer: Writer, summaries: list[ThreadSummary]) -> None:
        # The index speaks the language most threads are written in.
        lang = self._site_lang(summaries)
        self._write_page(
            writer, "index.html", self.get_template("index"), lang, threads=newest_first(summaries)
        )

    def _write_search(
        self,
        writer: Writer,
        summaries: list[ThreadSummary],
        search: SearchData,
        cache: BuildCache,
    ) -> None:
        """`search.html` in the index's language, and the posts for search.js (search/)."""
        self._write_page(
            writer, "search.html", self.get_template("search"), self._site_lang(summaries)
        )
        # The search data comes from the threads alone: with every thread as the last build
        # saw it, the files would come out the same, and making them costs a tenth of a
        # full build (at 100,000 posts, most of an unchanged one).
        state = self._threads_state()
        manifest = Path(self.output_path) / SEARCH_DIR / OFFLINE_INDEX_FILE
        if state is not None and cache.state("search") == state and manifest.is_file():
            log.debug("every thread unchanged: search files kept")
            return
        # A thread's posts files hold its posts alone: those of a thread as the last search
        # files saw it are kept, not made again (offline_index.write_search_files).
        fingerprints = {
            thread.file_id: fingerprint
            for thread, (_, fingerprint) in zip(search.threads, self.thread_states, strict=True)
        }
        kept = cache.search_fingerprints()
        write_search_files(
            Path(self.output_path),
            search,
            keep={key for key, value in fingerprints.items() if value and kept.get(key) == value},
        )
        cache.keep_search_fingerprints(fingerprints)
        cache.keep_state("search", state)

    def _threads_state(self) -> str | None:
        """A digest of every thread's fingerprint, in order; None if one has none."""
        if any(fingerprint is None for _, fingerprint in self.thread_states):
            return None
        return hashlib.sha256(repr(self.thread_states).encode()).hexdigest()

    # --- Site-wide pages and per-thread extras (pages.py) ------------------------------------

    def _page_written(self, path: str, context: dict[str, object] | None = None) -> None:
        """Pelican's `content_written` signal: note each page for the sitemap."""
        if context and "permalink_target" in context:
            return  # a permalink stub only redirects (noindex): no page for the sitemap
        # Pelican's writer names the file by joining the page's name to the same output
        # folder: text compares them (resolving both was a tenth of writing a page).
        folder = os.path.join(os.path.abspath(self.output_path), "")
        written = os.path.abspath(path)
        if written.endswith(".html") and written.startswith(folder):
            self.written_pages.append(written[len(folder) :].replace(os.sep, "/"))

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
        self, writer: Writer, pages: SitePages, author_pages: Callable[[], None]
    ) -> None:
        """`about.html`, `authors/*.html` (`author_pages` waits for them), `feed.atom` and
        (with a public address) `sitemap.xml`."""
        output = Path(self.output_path)
        lang = self._site_lang(pages.summaries)
        self._write_page(
            writer,
            "about.html",
            self.get_template("about"),
            lang,
            threads=pages.provenance,
            scraper_version=__version__,
        )
        author_pages()
        catalog = self._install_language(lang)
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

    def _start_author_pages(
        self, worker: RenderWorker, authors: AuthorStore, site: SitePages
    ) -> Callable[[], None]:
        """Start rendering each author's page that a thread changed (or whose file is gone),
        in the worker if there is one; what renders those it has not taken yet here, waits
        for the rest and marks them rendered."""
        stale = authors.stale()
        pages = authors.pages()
        to_render = [page for page in pages
                     if page in stale or not (Path(self.output_path) / page).is_file()]  # fmt: skip
        kept = len(pages) - len(to_render)
        rendering = set(to_render)
        lang = self._site_lang(site.summaries)
        # In groups, so that a site of many authors is not a round trip to the worker each.
        size = max(1, len(to_render) // AUTHOR_GROUPS)
        groups = [(to_render[at : at + size], lang) for at in range(0, len(to_render), size)]
        waiting = worker.share("authors", groups)

        def finish() -> None:
            done: list[str] = []
            for rendered, elsewhere in waiting():
                group = cast(list[str], rendered)
                done += group
                if elsewhere:
                    self.written_pages += group  # their signals were sent in the worker
                    self.pages_elsewhere += len(group)
            self.written_pages += [page for page in pages if page not in rendering]
            self.pages_kept += kept
            for page in done:
                authors.rendered(page)
            for page in stale.difference(pages):
                authors.rendered(page)  # an author whose every post left the archive
            remove_all_but(Path(self.output_path) / AUTHORS_DIR,
                           {page.removeprefix(f"{AUTHORS_DIR}/") for page in pages})

        return finish

    def _render_author_pages(
        self, writer: Writer, store_path: Path, pages: list[str], lang: str
    ) -> list[str]:
        """Write the author pages `pages`, reading one author at a time from the store at
        `store_path` (a connection of this process's own); those written."""
        template = self.get_template("author")
        written = []
        with closing(AuthorStore.reader(store_path)) as authors:
            for page in pages:
                author = authors.record(page)
                if author is None:
                    continue
                # An author's page speaks the language of most threads they wrote in.
                langs = Counter(author.langs).most_common(1)
                self._write_page(writer, page, template, langs[0][0] if langs else lang,
                                 author=author)  # fmt: skip
                written.append(page)
        return written


@dataclass(frozen=True)
class RenderedThread:
    """What rendering a thread gives the rest of the build (sent back by the worker)."""

    data: ThreadSiteData
    author_posts: list[AuthorContribution]
    # Its pages are written by a child process (`_fork_writer`), whose signals stay there.
    pages_elsewhere: bool = False


def _last_checked(data: ThreadSiteData, checked: str) -> ThreadSiteData:
    """`data` saying the thread was last checked at `checked`, when that is later than its
    own run records say (ISO 8601 UTC times compare as text)."""
    if checked <= data.summary.last_checked:
        return data
    return replace(data, summary=replace(data.summary, last_checked=checked),
                   provenance=replace(data.provenance, last_run=checked))


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
