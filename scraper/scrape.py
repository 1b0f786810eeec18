"""Archive one thread: fetch its pages, read them with the engine, download assets, store.

This is the only stage that ties fetch, engine and archive together; each of those stays
ignorant of the others.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import mimetypes
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import urlsplit

from . import __version__
from .archive import ThreadArchive
from .asset_index import AssetIndex
from .engines import (
    Engine,
    cookie_names,
    detect,
    engine_named,
    engines_claiming,
    url_thread_key,
)
from .engines.base import Cursor, Reading, Request, Response, held_utf8, utf8_text
from .engines.traps import crawler_trap
from .errors import (
    AccessBlocked,
    ArchiveError,
    FetchFailed,
    ForumMirrorError,
    HttpStatusError,
    Interrupted,
    LayoutChanged,
    RobotsDisallowed,
    ThreadIncomplete,
    UnsupportedUrl,
)
from .fetch import Fetched, PoliteClient, Validators, WarcRecorder
from .fetch.charset import decoded_body
from .forked import start_forked
from .localize import localize_urls
from .migrate import CURRENT_VERSION
from .parse_worker import PARALLEL_FROM_PAGES, ParseWorker, WorkerLost, start_worker
from .records import (
    ArchivedPost,
    ArchivedThread,
    AssetRef,
    Author,
    Capture,
    EarlierVersion,
    IncompleteRead,
    PageCapture,
    ParsedPage,
    ParsedPost,
    PostImage,
    PostRevision,
    StoredAsset,
    ThreadMove,
    to_dict,
)
from .thread_state import PageRead, ThreadStates, resume_url, same_thread
from .urls import canonical_url, origin_of, page_url, same_site, shown, thread_key

log = logging.getLogger(__name__)

# Guards against pagination that never ends: a run reads at most this many pages of a
# thread and spends at most this long on it, then stops, keeps what it read, and the next
# run goes on from there.
MAX_PAGES = 10_000
MAX_THREAD_SECONDS = 4 * 3600.0
MAX_PARALLEL_HOSTS = 4  # asset hosts fetched at once, each one request at a time
PERMANENT_REDIRECTS = frozenset({301, 308})  # a thread answering these has moved
# A thread's assets are indexed in a forked child (forked.py) from this many: a fork and
# its reaping cost a few milliseconds, what indexing a few assets costs in a thread.
FORK_INDEX_FROM_ASSETS = 20
# How long the end of a scrape waits for its forked asset index before it indexes the
# assets itself: far past the few milliseconds an asset takes.
INDEX_SECONDS = 30.0
# Archive-level WARC files of the first pages fetched to learn which thread a URL names.
PROBES_DIR = "probes"


class ScrapeObserver(Protocol):
    """Progress callbacks (the CLI draws them as progress bars)."""

    def page_done(self, page: ParsedPage) -> None: ...
    def assets_found(self, count: int) -> None: ...
    def asset_done(self, asset: AssetRef) -> None: ...


@dataclass
class ScrapeSummary:
    key: str
    title: str
    url: str
    pages: int = 0
    posts: int = 0
    new_posts: int = 0
    changed_posts: int = 0
    removed_posts: int = 0
    assets: int = 0
    new_assets: int = 0
    failed_assets: list[str] = field(default_factory=list)
    repaired_assets: list[str] = field(default_factory=list)  # paths restored this run
    requests: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    warc_file: str = ""
    moved_to: str = ""  # the new URL, when this run found that the thread moved (301/308)
    # False: an update found nothing new, and left the thread's folder as it was.
    changed: bool = True
    status: int | None = None  # the board's answer to an update's re-check (304: unchanged)
    engine: str = ""  # what read it (a generic engine or a profile is named in the summary)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def scrape_thread(
    url: str,
    archive: ThreadArchive,
    client: PoliteClient,
    observer: ScrapeObserver | None = None,
    *,
    from_last_page: bool = False,
    key: str | None = None,
    engine_name: str | None = None,
    max_pages: int = MAX_PAGES,
    max_seconds: float = MAX_THREAD_SECONDS,
    run_id: str | None = None,
    prefetched: Fetched | None = None,
    claim: Callable[[str], None] | None = None,
    earlier: Sequence[Fetched] = (),
    earlier_complete: bool = False,
    page_reads: Mapping[int, PageRead] | None = None,
) -> ScrapeSummary:
    """Archive every page, post and asset of the thread at `url`; return what was done.

    With `from_last_page`, an archived thread is re-checked from its last known page (a
    conditional request) and only followed forward: an unchanged thread costs one request
    however long it is, and growth costs the new pages and the last known one. `key` names
    the archived thread when `url` is not its original one (see `archived_key`).

    The engine is the archived thread's, else `engine_name`, else the only one claiming
    the URL; when the URL leaves it open (several engines claim it, none does, or it is a
    post permalink that names no thread) the first page decides, fetched once and read as
    the thread's first page (see `_identify`).

    A thread whose last run stopped early (`incomplete`) goes on from the page it stopped
    at. When a page after the first fails, or pagination misleads or does not end (after
    `max_pages` pages or `max_seconds`), the pages read are archived, the thread is marked
    incomplete, and `ThreadIncomplete` is raised with the exit code of the page's error.

    A re-check (`from_last_page`) that finds nothing new writes nothing into the thread's
    folder (`changed` is False in the summary): `prefetched` is then the answer to its
    first request, recorded elsewhere (the update run's WARC, runs.py). `earlier` are the
    answers of that re-check's revisits of earlier pages (recheck.py), recorded there too,
    merged with the pages read forward; `earlier_complete`: they are every page before the
    re-checked one, so the run read the whole thread and can tell which posts are gone;
    `page_reads` what those revisits read, for the thread's state.

    `claim(key)` is called once the thread's key is known, before anything is written into
    its folder (the runner takes the thread's lock there: runner.py).
    """
    started = time.monotonic()
    requests_before, bytes_before = client.requests_made, client.bytes_received
    url = canonical_url(url)  # what is fetched and stored: never a password, one spelling
    run_id = run_id or new_run_id()
    found = _identify(url, archive, client, run_id, key, engine_name, claim or _no_claim)
    engine, key, recorder, paths_before = found.engine, found.key, found.recorder, found.before
    existing = found.existing
    warc_path = recorder.path
    resuming = existing is not None and existing.incomplete is not None
    was_unavailable = existing is not None and existing.unavailable_since is not None
    info_before = existing.thread if existing is not None else None
    last_known = existing.pages[-1].number if existing is not None and existing.pages else 0
    early = _AssetPrefetch(key, archive, client, recorder, existing.assets if existing else [])
    try:
        start = _start(url, engine, existing, from_last_page)
        first_page = found.first_page
        if prefetched is not None and prefetched.capture.url == start.url:
            first_page = prefetched
        pages, stop = _fetch_pages(start, engine, client, recorder, observer, archive,
                                   existing, max_pages, max_seconds, first_page, early)
        # A page this run also read forward (an API engine's batch that grew) is newer than
        # its revisit.
        forward = {page.parsed.page_number for page in pages}
        read_again = _read_earlier(earlier, engine, archive, existing)
        revisited = [page for page in read_again if page.parsed.page_number not in forward]
        if stop is not None and not pages and (not resuming or thread_is_gone(stop.error)):
            # Nothing read: a failed first page fails the run, and a thread gone upstream
            # is gone whichever page a run starts at.
            raise stop.error
        if pages and (ignored := pages[0].parsed.thread.ignored_canonical):
            log.warning("%s names %s as its canonical URL, on another site: ignored",
                        start.url, shown(ignored))
        histories = _fetch_histories(pages, engine, client, recorder, existing)
        assets, failed, repaired = _fetch_assets(
            [*pages, *revisited], key, archive, client, recorder,
            existing.assets if existing else [], observer, early.done)
    except ForumMirrorError as error:
        early.close()  # its last files stored before any is removed
        recorder.close()
        if existing is None:  # nothing was archived before: leave nothing of this run behind
            _remove_new_paths(archive.thread_dir(key), paths_before)
        elif thread_is_gone(error):
            record_unavailable(existing, archive, run_id, archive.relative(warc_path), error)
        raise
    finally:
        early.close()
    # Every record is written now: the captures of this run learn their records' offsets,
    # and are merged while the WARC file is flushed to disk and put in place.
    sealing = recorder.closing()
    try:
        pages = [replace(page, capture=recorder.settled(page.capture)) for page in pages]
        whole = earlier_complete and len(read_again) == len(earlier)  # no page failed to read
        assets = [replace(asset, capture=recorder.settled(asset.capture)) for asset in assets]
        earlier_versions = {post_id: [_revision(version, recorder.settled(capture))
                                      for version, capture in versions]
                            for post_id, versions in histories.items()}

        archived_before = {a.sha256 for a in (existing.assets if existing else [])}
        if existing is not None:
            existing.unavailable_since, existing.unavailable_reason = None, ""
        thread, counts = _merge(existing, key, engine, [*pages, *revisited], assets, archive,
                                complete=stop is None and bool(pages)
                                and (pages[-1].complete or whole), histories=earlier_versions)
    finally:
        sealing.result()  # in place before anything names it (or left out, below)
    if pages:
        thread.cursor = pages[-1].cursor
    thread.incomplete = stop.record if stop is not None else None
    moves = _new_moves(thread, pages, engine)
    thread.moves.extend(moves)
    summary = ScrapeSummary(
        key=key,
        title=thread.thread.title,
        url=thread.thread.url,
        pages=len(pages) + len(revisited),
        posts=len(thread.posts),
        new_posts=counts["new"],
        changed_posts=counts["changed"],
        removed_posts=counts["removed"],
        assets=len(thread.assets),
        new_assets=sum(1 for a in assets if a.sha256 not in archived_before),
        failed_assets=failed,
        repaired_assets=repaired,
        requests=client.requests_made - requests_before,
        bytes_received=client.bytes_received - bytes_before,
        seconds=round(time.monotonic() - started, 2),
        warc_file=archive.relative(warc_path),
        moved_to=moves[-1].to_url if moves else "",
        engine=engine.name,
    )
    if (from_last_page and found.stored_version == CURRENT_VERSION and not was_unavailable
            and not resuming and stop is None and not any(counts.values())
            and not (summary.new_assets or failed or repaired or moves or summary.requests)
            and thread.thread == info_before
            and all(p.parsed.page_number <= last_known for p in pages)):
        # Nothing new, and nothing of this run in the thread's WARC file (its first answer
        # is recorded elsewhere): the folder stays as it was, byte for byte.
        _remove_new_paths(archive.thread_dir(key), paths_before)
        ThreadStates(archive).confirm(key, utc_now(), run_id, page_reads)
        summary.changed, summary.warc_file = False, ""
        return summary
    thread.runs.append({
        "run_id": run_id,
        "finished_at": thread.last_archived_at,
        "scraper_version": __version__,
        "warc_file": summary.warc_file,
        "pages": summary.pages,
        "new_posts": summary.new_posts,
        "changed_posts": summary.changed_posts,
        "removed_posts": summary.removed_posts,
        "new_assets": summary.new_assets,
        "failed_assets": failed,
        "repaired_assets": repaired,
        "requests": summary.requests,
        "settings": {"delay": client.settings.delay, "obey_robots": client.settings.obey_robots,
                     "user_agent": client.settings.user_agent},
        **({"incomplete": to_dict(stop.record)} if stop is not None else {}),
    })
    save_thread(archive, thread, run_id, page_reads)
    if stop is not None:
        raise ThreadIncomplete(
            f"{key}: stopped at page {stop.record.page} ({stop.record.url}): "
            f"{stop.record.reason}. The {len(pages)} page(s) read in this run are archived "
            f"({summary.posts} post(s) in all) and thread.json marks the thread incomplete; "
            f"the next scrape or update goes on from page {stop.record.page}.",
            stop.error,
        ) from stop.error
    return summary


def new_run_id() -> str:
    """A run's id: its UTC start time (docs/archive.md), which names its WARC files."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def save_thread(archive: ThreadArchive, thread: ArchivedThread, run_id: str,
                page_reads: Mapping[int, PageRead] | None = None) -> None:
    """Write the thread's `thread.json`, then its re-check state (thread_state.py, with the
    pages this run read again: `page_reads`), and meanwhile index its assets
    (asset_index.py), many in a forked child (forked.py), else in a thread: the index's
    small files are written while `thread.json` is encoded and flushed to disk (a long
    thread's 14 MB: 50-90 ms, at the end of every scrape). An entry points at an asset file
    and WARC record already on disk, which is all a lookup needs (it hashes the file again),
    so the index need not wait for `thread.json`."""
    states = ThreadStates(archive)
    states.note_moves(thread)
    index = AssetIndex(archive)
    forked = (start_forked(functools.partial(index.note, thread))
              if len(thread.assets) >= FORK_INDEX_FROM_ASSETS else None)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="asset-index") as indexing:
            indexed = (indexing.submit(index.note, thread)
                       if thread.assets and forked is None else None)
            archive.save(thread)
            states.record(thread, CURRENT_VERSION, checked_at=utc_now(), run_id=run_id,
                          reads=page_reads)
            if indexed is not None:
                indexed.result()
    finally:  # the child reaped, whatever happened here
        indexed_there = forked is not None and forked.succeeded(INDEX_SECONDS)
    if forked is not None and not indexed_there:
        log.debug("the forked asset index did not finish; indexing here")
        index.note(thread)


def record_unavailable(thread: ArchivedThread, archive: ThreadArchive, run_id: str,
                       warc_file: str, error: ForumMirrorError) -> None:
    """The board says the thread is gone or walled off: everything archived stays, the
    thread only learns when the board first lost it, and why."""
    thread.unavailable_since = thread.unavailable_since or utc_now()
    thread.unavailable_reason = str(error)
    thread.runs.append({"run_id": run_id, "finished_at": utc_now(),
                        "scraper_version": __version__, "warc_file": warc_file,
                        "unavailable": str(error)})
    save_thread(archive, thread, run_id)


def archived_key(url: str, archive: ThreadArchive) -> str | None:
    """The archive key of the thread at `url`: its own, or that of an archived thread that
    moved to `url` (so a moved thread keeps its one folder); None when only the thread's
    page can name it (see `_identify`). Found in the state index, without reading threads."""
    return ThreadStates(archive).folder_of(url) or url_thread_key(url)


@dataclass
class _Identified:
    """Which engine reads a thread, its key, and the run's recorder in the thread's folder."""

    engine: Engine
    key: str
    recorder: WarcRecorder
    before: set[Path]  # the thread folder's paths before this run wrote anything
    first_page: Fetched | None = None  # already fetched to tell the engine or the key
    # The thread as archived (read once: a long thread's thread.json takes a while to read).
    existing: ArchivedThread | None = None
    stored_version: int = CURRENT_VERSION  # of its thread.json (an older one is upgraded)


def _no_claim(key: str) -> None:
    """A `claim` that takes nothing (a caller that holds what it needs already)."""


def _identify(url: str, archive: ThreadArchive, client: PoliteClient, run_id: str,
              key: str | None, engine_name: str | None, claim: Callable[[str], None]
              ) -> _Identified:
    """The engine and key of the thread at `url`, fetching its first page only when the URL
    cannot tell: that page is recorded (in the thread's WARC, or, when not even the key is
    known yet, in the archive's `probes/` WARC of the run) and becomes the first page read."""
    key = key or url_thread_key(url)
    if key is not None:
        claim(key)
    stored = archive.load_stored(key) if key is not None else None
    existing, version = stored if stored is not None else (None, CURRENT_VERSION)
    engine: Engine | None = None
    if existing is not None:
        engine = engine_named(existing.engine)  # an archived thread keeps its engine
        if engine_name and engine_name != engine.name:
            log.warning("%s was archived with the %s engine; keeping it, not %s", key,
                        engine.name, engine_name)
    elif engine_name:
        engine = engine_named(engine_name)
        if not engine.matches(url):
            key = None  # a shape the engine does not read: its page names the thread
    candidates = [engine] if engine is not None else engines_claiming(url)
    if engine is None and len(candidates) == 1:
        engine = candidates[0]
    if engine is not None and key is not None:
        return _Identified(engine, key, *_recorder(archive, key, run_id, client),
                           existing=existing, stored_version=version)
    # Only the first page can tell. Record it where it belongs when the key is known.
    in_thread = key is not None
    if key is not None:
        recorder, before = _recorder(archive, key, run_id, client)
    else:
        path = archive.root / PROBES_DIR / f"{run_id}.warc.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder, before = WarcRecorder(path, warc_file_label=archive.relative(path),
                                        settings=client.settings), set()
    # A URL of the engine's own shape starts at its thread's first page; any other (a forced
    # engine at a URL it does not claim) is read where it points.
    reader = engine or (candidates[0] if candidates else None)
    first_url = reader.first_page_url(url) if reader and reader.matches(url) else url
    try:
        fetched = client.fetch(first_url, recorder, kind="page",
                               accept=reader.accept if reader else None)
        chosen = engine or detect(fetched.text(), url, candidates or None,
                                  cookie_names(fetched.headers.get("set-cookie", "")))
        if key is None:
            page = chosen.parse_page(fetched.text(), fetched.capture.final_url,
                                     fetched_at=fetched.capture.fetched_at)
            key = thread_key(origin_of(url), page.thread.id)
    except ForumMirrorError:
        recorder.close()
        if in_thread and key is not None and existing is None:
            _remove_new_paths(archive.thread_dir(key), before)
        raise
    if in_thread:
        return _Identified(chosen, key, recorder, before, fetched, existing, version)
    recorder.close()  # the probe's own WARC: the evidence of how the thread was told
    fetched.capture = recorder.settled(fetched.capture)
    log.info("%s is thread %s of a %s board", shown(url), key, chosen.name)
    claim(key)
    stored = archive.load_stored(key)
    archived, version = stored if stored is not None else (None, CURRENT_VERSION)
    if archived is not None:
        chosen = engine_named(archived.engine)  # a permalink of a thread archived before
    return _Identified(chosen, key, *_recorder(archive, key, run_id, client), fetched, archived,
                       version)


def _recorder(archive: ThreadArchive, key: str, run_id: str, client: PoliteClient
              ) -> tuple[WarcRecorder, set[Path]]:
    """The run's WARC recorder in the thread's folder, and that folder's paths before it:
    a failed first run removes what it added, and no more (an earlier killed run may have
    left evidence there)."""
    before = _paths_in(archive.thread_dir(key))
    path = archive.warc_path(key, run_id)
    return WarcRecorder(path, warc_file_label=archive.relative(path),
                        settings=client.settings), before


def _start(url: str, engine: Engine, existing: ArchivedThread | None, from_last_page: bool
           ) -> Request:
    """The request a run starts with."""
    if existing is not None and existing.incomplete is not None:  # where the last run stopped
        return engine.resume_request(existing.incomplete.url, existing.incomplete.page,
                                     existing.cursor)
    if from_last_page and existing is not None and existing.pages:
        return recheck_start(engine, existing.cursor, resume_url(existing, engine),
                             existing.pages[-1].number)
    return engine.first_request(url)


def recheck_start(engine: Engine, cursor: Cursor | None, last_url: str, last_page: int
                  ) -> Request:
    """Where a re-check of a thread read to its end starts: where the engine's cursor says,
    else the last known page (`last_url`, see `resume_url`)."""
    if cursor:
        return engine.recheck_request(cursor)
    return Request(last_url, last_page)


def _paths_in(folder: Path) -> set[Path]:
    """The folder and everything in it; empty when it does not exist."""
    return {folder, *folder.rglob("*")} if folder.is_dir() else set()


def _remove_new_paths(folder: Path, before: set[Path]) -> None:
    """Delete what a failed run added to a thread folder, and nothing that was there before
    it: a killed earlier run's WARC file and assets are evidence."""
    for path in sorted(_paths_in(folder) - before, reverse=True):  # contents before folders
        # Cleaning up after an error: a leftover must not hide the error being reported.
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()


def _new_moves(thread: ArchivedThread, pages: list[_Page], engine: Engine) -> list[ThreadMove]:
    """Permanent redirects of this run from one thread URL to another, not yet recorded."""
    moves: list[ThreadMove] = []
    for page in pages:
        for from_url, status, to_url in page.redirects:
            if status not in PERMANENT_REDIRECTS or same_thread(engine, from_url, to_url):
                continue  # a slug fix or page redirect within the thread is no move
            try:
                engine.thread_key(from_url)
                engine.thread_key(to_url)
            except UnsupportedUrl:
                # A post permalink sending to its thread is no move; one sent away from any
                # thread: parsing the page decides what it is.
                continue
            known = [*thread.moves, *moves]
            if any(same_thread(engine, m.from_url, from_url)
                   and same_thread(engine, m.to_url, to_url) for m in known):
                continue
            log.warning("thread %s moved: %s answers %d to %s", thread.key, from_url, status,
                        to_url)
            moves.append(ThreadMove(from_url=from_url, to_url=to_url, status=status,
                                    detected_at=utc_now()))
    return moves


def thread_is_gone(error: ForumMirrorError) -> bool:
    """Whether the board says the thread itself is gone or walled off (not a passing fault)."""
    if isinstance(error, HttpStatusError):
        return error.status in (404, 410)
    return isinstance(error, AccessBlocked)


@dataclass
class _Page:
    parsed: ParsedPage
    capture: Capture
    redirects: tuple[tuple[str, int, str], ...]  # hops of this fetch (Fetched.redirects)
    cursor: Cursor  # the engine's, after reading this page
    complete: bool  # the engine has now read the thread from its start to its end
    next: Request | None


@dataclass
class _Stop:
    """Why and where a run stopped before the thread's last page."""

    record: IncompleteRead
    error: ForumMirrorError


def _archived_captures(existing: ArchivedThread | None) -> dict[str, Capture]:
    """The archived pages' captures by the URL they were asked for and served from (a moved
    thread's pages are asked for at its new URL)."""
    archived = {p.capture.url: p.capture for p in (existing.pages if existing else [])}
    for known_page in existing.pages if existing else []:
        archived.setdefault(known_page.capture.final_url, known_page.capture)
    return archived


def _answer(fetched: Fetched, known: Capture | None, archive: ThreadArchive) -> _Answer:
    """A page's answer with the capture it is read from: a 304 for an archived page is
    re-read from the WARC record it was archived from, so its provenance stays that first
    capture."""
    if fetched.not_modified and known is not None:
        body = archive.warc_payload(known.warc_file, known.warc_record_id, known.warc_offset)
        capture, (text, codec) = known, decoded_body(body)
    else:
        body, capture, (text, codec) = fetched.body, fetched.capture, fetched.decoded()
    return _Answer(fetched, capture, utf8_text(body, text) if codec == "utf-8" else text)


def _response(url: str, answer: _Answer) -> Response:
    """What the engine reads of a page's answer (asked for at `url`)."""
    capture = answer.capture
    return Response(url=url, final_url=capture.final_url, status=capture.status,
                    text=answer.text, headers=answer.fetched.headers,
                    fetched_at=capture.fetched_at)


def _page(answer: _Answer, reading: Reading) -> _Page:
    """A page read: its answer and what the engine read in it."""
    return _Page(reading.page, answer.capture, answer.fetched.redirects, reading.cursor,
                 reading.complete, reading.next)


def _read_earlier(answers: Sequence[Fetched], engine: Engine, archive: ThreadArchive,
                  existing: ArchivedThread | None) -> list[_Page]:
    """The revisited earlier pages of a re-check, read; one that cannot be read is left as
    archived (a revisit is a second look, not the thread's reading: the next run asks
    again). Each is read with the archived cursor: an API engine tells from it which batch
    a response is (paged HTML reads a page alone)."""
    archived = _archived_captures(existing)
    pages: list[_Page] = []
    for fetched in answers:
        url = fetched.capture.url
        try:
            answer = _answer(fetched, archived.get(url), archive)
            pages.append(_page(answer, engine.read(_response(url, answer),
                                                   existing.cursor if existing else None)))
        except Interrupted:
            raise
        except ForumMirrorError as error:
            log.warning("revisited page %s not merged: %s", shown(url), error)
    return pages


def _fetch_pages(
    first: Request, engine: Engine, client: PoliteClient,
    recorder: WarcRecorder, observer: ScrapeObserver | None, archive: ThreadArchive,
    existing: ArchivedThread | None, max_pages: int, max_seconds: float,
    prefetched: Fetched | None = None, early_assets: _AssetPrefetch | None = None,
) -> tuple[list[_Page], _Stop | None]:
    """The thread's pages from `first` on, as the engine asks for them, and why reading
    stopped early (None: the engine asked for nothing more). A page the board says is
    unchanged (304) is re-read from the WARC record it was archived from, so its
    provenance stays that first capture. `prefetched` is the answer to `first` when
    telling the engine or the thread needed it already.

    A long thread is read in a second process (parse_worker.py) while the page its engine
    guesses comes next (`Engine.next_request`) is fetched. The guess is used only when the
    reading asks for that same URL; when the page before it fails, the page fetched ahead
    is not read, and stays in the WARC file as every exchange does. The page fetched ahead
    also goes to the worker at once, behind the one it reads (`ParseWorker.queue`), so the
    worker goes on to it without waiting for the scraper to take the reading before it and
    send the next; a queued page that the reading before it does not ask for is dropped
    unread (`discard`), and a page after a failed one is never taken. While the worker still
    reads after that, the assets of the pages read so far are downloaded (`early_assets`,
    one at a time, the worker's answer checked between them): the time a long thread spent
    waiting on its reading, its assets no longer take after its last page.
    """
    archived = _archived_captures(existing)
    pages: list[_Page] = []
    read_urls: set[str] = set()  # asked for and landed on, by the pages read
    next_url, first_number, cursor = first.url, first.page, first.cursor
    deadline = time.monotonic() + max_seconds
    worker: ParseWorker | None = None
    ahead: tuple[str, _Answer | ForumMirrorError] | None = None  # fetched while reading
    # Fetched ahead and sent to the worker behind the page it reads (`ParseWorker.queue`):
    # read as soon as that one is, if its reading asks for this URL next.
    queued: tuple[str, _Answer, Response] | None = None

    def stop(error: ForumMirrorError, page: int, url: str) -> tuple[list[_Page], _Stop]:
        record = IncompleteRead(page=page, url=url, reason=str(error),
                                error=type(error).__name__, detected_at=utc_now())
        return pages, _Stop(record, error)

    def fetch(url: str, fetched: Fetched | None = None) -> _Answer:
        """The page at `url` (`fetched` already: `prefetched`), read from its archived
        record when the board answers that it has not changed."""
        known = archived.get(url)
        if fetched is None:
            validators = Validators(known.etag, known.last_modified) if known else None
            fetched = client.fetch(url, recorder, kind="page", validators=validators,
                                   accept=engine.accept)
        return _answer(fetched, known, archive)

    def lose(worker: ParseWorker, lost: WorkerLost) -> None:
        """Stop using a worker that failed: the pages are read here from now on."""
        log.warning("%s; reading pages here", lost)
        worker.close()

    def fetch_ahead(response: Response, seen: set[str]) -> None:
        """Fetch the engine's guess at the next page, if the loop would fetch that URL."""
        nonlocal ahead
        guess = engine.next_request(response, cursor)
        if guess is None or len(pages) + 1 >= max_pages or time.monotonic() >= deadline:
            return
        url, _ = _next_page_url(guess.url, response.final_url, 0)
        if url is None or url in seen:
            return
        try:
            ahead = url, fetch(url)
        except ForumMirrorError as error:  # raised if the page is asked for (a stop, too)
            ahead = url, error

    try:
        while True:
            number = pages[-1].parsed.page_number + 1 if pages else first_number
            if pages and len(pages) >= max_pages:
                return stop(LayoutChanged(f"read {max_pages:,} pages in this run, the limit "
                                          "for one run; the thread goes on after them"),
                            number, next_url)
            if pages and time.monotonic() >= deadline:
                return stop(LayoutChanged(f"read pages for {max_seconds:,.0f} s, the limit "
                                          "for one run; the thread goes on after them"),
                            number, next_url)
            last = pages[-1] if pages else None
            if last is not None and next_url in read_urls:
                return stop(LayoutChanged(f"the next link of page {last.parsed.page_number} "
                                          f"leads back to {next_url}, a page this run already "
                                          "read"),
                            last.parsed.page_number, last.capture.url)
            try:
                reading = None
                if queued is not None and queued[0] == next_url:
                    _, answer, response = queued  # the worker is reading it already
                else:
                    if queued is not None:  # a guess the reading before it did not confirm
                        assert worker is not None
                        queued = None
                        try:
                            worker.discard()
                        except WorkerLost as lost:
                            lose(worker, lost)
                            worker = None
                    if ahead is not None and ahead[0] == next_url:
                        found = ahead[1]
                        if isinstance(found, ForumMirrorError):
                            raise found
                        answer = found
                    else:
                        answer = fetch(next_url, None if pages else prefetched)
                    response = _response(next_url, answer)
                ahead = None
                capture = answer.capture
                if worker is not None and (queued is not None or worker.ready):
                    try:
                        if queued is None:
                            worker.submit(engine, response, cursor)
                        queued = None
                        fetch_ahead(response, read_urls | {next_url, capture.url,
                                                           capture.final_url})
                        if ahead is not None and isinstance(ahead[1], _Answer):
                            after = _response(*ahead)
                            if worker.queue(engine, after):
                                queued, ahead = (ahead[0], ahead[1], after), None
                        while (early_assets is not None and not worker.answered()
                               and early_assets.download_next()):
                            pass
                        reading = worker.result()
                    except WorkerLost as lost:
                        lose(worker, lost)
                        worker = None
                        if queued is not None:  # read here when its turn comes
                            ahead, queued = (queued[0], queued[1]), None
                page = _page(answer, reading or engine.read(response, cursor))
            except Interrupted:
                raise  # the user stopped the run: no fault of the board's to record
            except ForumMirrorError as error:
                return stop(error, number, next_url)
            if last is not None and page.parsed.page_number <= last.parsed.page_number:
                return stop(LayoutChanged(f"the next link of page {last.parsed.page_number} "
                                          f"leads to {next_url}, which shows page "
                                          f"{page.parsed.page_number} again"),
                            last.parsed.page_number, last.capture.url)
            pages.append(page)
            if early_assets is not None:
                early_assets.add(page.parsed.posts)
            cursor = page.cursor
            read_urls.update((next_url, page.capture.url, page.capture.final_url))
            if observer:
                observer.page_done(page.parsed)
            if page.parsed.bad_next_href is not None:
                return stop(LayoutChanged(f"the next link of page {page.parsed.page_number} is "
                                          f"not a URL ({page.parsed.bad_next_href!r})"),
                            page.parsed.page_number, page.capture.url)
            if page.next is None:
                return pages, None
            canonical_next, refused = _next_page_url(page.next.url, page.capture.final_url,
                                                     page.parsed.page_number)
            if canonical_next is None:
                assert refused is not None
                return stop(refused, page.parsed.page_number, page.capture.url)
            next_url = canonical_next
            if worker is None and len(pages) == 1 and _worth_a_worker(page, engine, response):
                worker = start_worker()  # it starts while the next pages are read here
    finally:
        if worker is not None:
            worker.close()


@dataclass(frozen=True)
class _Answer:
    """A page fetched: the exchange, the capture it is read from (an archived one after a
    304), and its text."""

    fetched: Fetched
    capture: Capture
    text: str  # holding the bytes it was decoded from when they are its UTF-8 (Utf8Text)

    @property
    def utf8(self) -> bytes | None:
        return held_utf8(self.text)


def _next_page_url(url: str, page_url_: str, number: int
                   ) -> tuple[str | None, LayoutChanged | None]:
    """The next page's URL as the loop fetches it, or why it is not followed (page `number`'s
    next link leads to another site, to no fetchable URL or into a crawler trap)."""
    if not same_site(url, page_url_):
        # A thread's pages come from its own site (the board's http -> https or www.
        # change allowed): a "next" link elsewhere is not this thread.
        return None, LayoutChanged(f"the next link of page {number} leads to another site, "
                                   f"{shown(url)}; not followed")
    canonical_next = page_url(url, page_url_)
    if canonical_next is None:
        return None, LayoutChanged(f"the next link of page {number} is not a URL this scraper "
                                   "can fetch")
    if (trap := crawler_trap(canonical_next)) is not None:
        return None, LayoutChanged(f"the next link of page {number} is {trap}, not the thread "
                                   f"({shown(canonical_next)}); not followed")
    return canonical_next, None


def _worth_a_worker(page: _Page, engine: Engine, response: Response) -> bool:
    """Whether to read the rest of the thread in a second process: its engine can guess the
    next page (the guess for this page came true) and many pages are left to read
    (`start_worker` then asks for a free CPU)."""
    last_page = page.parsed.last_page
    if last_page is None or last_page - page.parsed.page_number < PARALLEL_FROM_PAGES:
        return False
    guess = engine.next_request(response, page.cursor)
    return guess is not None and page.next is not None and guess.url == page.next.url


def _fetch_assets(
    pages: list[_Page], key: str, archive: ThreadArchive, client: PoliteClient,
    recorder: WarcRecorder, archived: list[StoredAsset], observer: ScrapeObserver | None,
    early: Mapping[str, _Downloaded | None] | None = None,
) -> tuple[list[StoredAsset], list[str], list[str]]:
    """Download each referenced asset once: (assets, URLs that failed, paths repaired).

    A failed asset is reported, not fatal. An archived asset whose file is missing or no
    longer hashes to its SHA-256 is fetched again, wherever in the thread it is, so any
    run repairs it. Hosts proceed in parallel (an image CDN need not wait for the board),
    each at its own polite pace: the client throttles per host, so one worker per host is
    all it takes.

    A stop request (Ctrl-C, SIGTERM) fails the assets not downloaded yet, without a request:
    what was read is saved, and a later run fetches them.

    `early`: the assets downloaded (None: failed) while the pages were read
    (`_AssetPrefetch`), taken as they are, without a second request.
    """
    early = early or {}
    intact: dict[str, StoredAsset] = {}
    damaged_assets: list[StoredAsset] = []
    for archived_asset in archived:
        if archive.asset_intact(key, archived_asset):
            intact.update(dict.fromkeys(archived_asset.urls, archived_asset))
        else:
            damaged_assets.append(archived_asset)
    damaged = {u: a for a in damaged_assets for u in a.urls if u not in intact}
    refs: dict[str, AssetRef] = {}
    for page in pages:
        _add_refs(page.parsed.posts, refs)
    for lost in damaged_assets:  # also those on pages this run did not read
        urls = [u for u in lost.urls if damaged.get(u) is lost]
        if urls and not any(u in refs for u in urls):
            refs[urls[0]] = AssetRef(url=urls[0], filename=lost.filename)
    if observer:
        observer.assets_found(len(refs))
    stored: dict[str, StoredAsset] = {}  # by sha256
    by_host: dict[str, list[AssetRef]] = {}
    index = AssetIndex(archive)
    linked = 0
    for url, ref in refs.items():
        if url in intact:
            stored.setdefault(intact[url].sha256, intact[url])
        elif (url not in damaged and url not in early
              and (reused := index.reuse(url, key)) is not None):
            # Archived under another thread: linked here, with that download's provenance.
            linked += 1
            if (known := stored.get(reused.sha256)) is None:
                stored[reused.sha256] = replace(reused, filename=ref.filename)
            elif url not in known.urls:
                known.urls.append(url)
        else:
            by_host.setdefault(urlsplit(url).netloc, []).append(ref)
            continue
        if observer:
            observer.asset_done(ref)
    if linked:
        log.info("%s: %d asset(s) already archived under other threads, linked", key, linked)

    def download(host_refs: list[AssetRef]) -> list[tuple[AssetRef, _Downloaded | None]]:
        results: list[tuple[AssetRef, _Downloaded | None]] = []
        for ref in host_refs:
            if ref.url in early:
                results.append((ref, early[ref.url]))
                if observer:
                    observer.asset_done(ref)
                continue
            try:
                body, capture = _download(ref, damaged.get(ref.url), archive, client, recorder)
            except (FetchFailed, RobotsDisallowed) as error:
                log.warning("asset not archived: %s", error)
                results.append((ref, None))
            except Interrupted:
                results += [(rest, None) for rest in host_refs[len(results):]]
                break
            else:
                # Stored as it comes, by the writer: writing (and syncing) one file
                # overlaps the download of the next.
                repair = damaged.get(ref.url)
                extension = (PurePosixPath(repair.path).suffix if repair
                             else _extension(ref, capture.content_type))
                results.append((ref, _Downloaded(
                    capture, len(body), writer.submit(archive.store_asset, key, body, extension))))
            if observer:
                observer.asset_done(ref)
        return results

    failed: list[str] = []
    repaired: list[str] = []
    workers = max(1, min(len(by_host), MAX_PARALLEL_HOSTS))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="asset-writer") as writer, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assets") as pool:
        for results in pool.map(download, by_host.values()):
            for ref, result in results:
                if result is None:
                    failed.append(ref.url)
                    continue
                capture = result.capture
                sha256, path = result.stored.result()
                repair = damaged.get(ref.url)
                if repair is not None and sha256 == repair.sha256:
                    log.info("repaired %s from %s", repair.path, ref.url)
                    repaired.append(repair.path)
                    stored.setdefault(sha256, repair)
                    continue
                if repair is not None:
                    log.warning("%s now serves other bytes: %s stays missing from the archive",
                                ref.url, repair.path)
                asset = stored.get(sha256)
                if asset is None:
                    stored[sha256] = StoredAsset(
                        sha256=sha256, path=path, filename=ref.filename,
                        content_type=capture.content_type, bytes=result.size,
                        urls=[ref.url], capture=capture,
                    )
                elif ref.url not in asset.urls:
                    asset.urls.append(ref.url)
    return list(stored.values()), failed, repaired


@dataclass(frozen=True)
class _Downloaded:
    """An asset downloaded: where from, how large, and its storing (sha256 and path)."""

    capture: Capture
    size: int
    stored: Future[tuple[str, str]]  # ThreadArchive.store_asset's answer


def _add_refs(posts: Iterable[ParsedPost], refs: dict[str, AssetRef], *,
              warn: bool = True) -> None:
    """Add the assets `posts` reference to `refs`, by URL (the first reference kept), each
    author's avatar once per member; an asset URL that is a crawler trap is left out (with
    a warning, when `warn`)."""
    for post in posts:
        for ref in post.assets:
            if (trap := crawler_trap(ref.url)) is not None:
                if warn:
                    log.warning("not fetching %s for post %s: it is %s", shown(ref.url),
                                post.id, trap)
                continue
            refs.setdefault(ref.url, ref)
        if post.author.avatar_url not in refs and (avatar := _avatar_ref(post)) is not None:
            refs[avatar.url] = avatar  # once per member (same URL)


class _AssetPrefetch:
    """The assets of the pages read so far, downloaded while the page loop would only wait
    for the parse worker (`_fetch_pages`), in the order the pages reference them.

    Only assets new to this thread, that no other thread of the archive holds (those are
    linked, not downloaded: `_fetch_assets`): an archived one, intact or to repair, is left
    to `_fetch_assets`, which checks it first. A download that fails is recorded as failed
    as `_fetch_assets` would; any other error, or a stop request, ends these early downloads
    and leaves the asset to `_fetch_assets`, which meets the error where it always did.
    The client's per-host throttle spaces these requests as any others. Each is stored by
    a writer thread of its own (as `_fetch_assets` stores its downloads), so that the pages'
    loop does not wait for the file to reach the disk; `close` waits for the last."""

    def __init__(self, key: str, archive: ThreadArchive, client: PoliteClient,
                 recorder: WarcRecorder, archived: list[StoredAsset]) -> None:
        self._key, self._archive, self._client, self._recorder = key, archive, client, recorder
        self._archived = {url for asset in archived for url in asset.urls}
        self._refs: dict[str, AssetRef] = {}
        self._queue: deque[AssetRef] = deque()
        self._index = AssetIndex(archive)
        self._ended = False
        self.done: dict[str, _Downloaded | None] = {}  # by URL; None: the download failed
        self._writer: ThreadPoolExecutor | None = None  # made at the first download

    def close(self) -> None:
        """Wait until every download is stored (or failed to be: its `stored` says)."""
        if self._writer is not None:
            self._writer.shutdown(wait=True)

    def add(self, posts: Iterable[ParsedPost]) -> None:
        """Queue the assets of a page read."""
        known = len(self._refs)
        _add_refs(posts, self._refs, warn=False)  # _fetch_assets warns, once
        self._queue.extend(ref for ref in itertools.islice(self._refs.values(), known, None)
                           if ref.url not in self._archived)

    def download_next(self) -> bool:
        """Download the next queued asset; False when none is left to download."""
        while self._queue and not self._ended:
            ref = self._queue.popleft()
            if self._index.find(ref.url) is not None:
                continue  # archived under another thread: linked by _fetch_assets
            try:
                body, capture = _download(ref, None, self._archive, self._client,
                                          self._recorder)
            except (FetchFailed, RobotsDisallowed) as error:
                log.warning("asset not archived: %s", error)
                self.done[ref.url] = None
            except ForumMirrorError:  # Interrupted among them: _fetch_assets' to handle
                self._ended = True
                return False
            else:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(1, thread_name_prefix="early-asset-writer")
                stored = self._writer.submit(self._archive.store_asset, self._key, body,
                                             _extension(ref, capture.content_type))
                self.done[ref.url] = _Downloaded(capture, len(body), stored)
            return True
        return False


def _download(ref: AssetRef, damaged: StoredAsset | None, archive: ThreadArchive,
              client: PoliteClient, recorder: WarcRecorder) -> tuple[bytes, Capture]:
    """An asset's bytes and the capture they come from. A damaged archived copy is asked
    for conditionally; on 304 its bytes come back from the WARC record it was archived
    from, which stays its provenance."""
    if damaged is not None:
        capture = damaged.capture
        fetched = client.fetch(ref.url, recorder, kind="asset",
                               validators=Validators(capture.etag, capture.last_modified))
        if not fetched.not_modified:
            return fetched.body, fetched.capture
        try:
            body = archive.warc_payload(capture.warc_file, capture.warc_record_id,
                                        capture.warc_offset)
        except ArchiveError as error:
            log.warning("%s; fetching %s again in full", error, ref.url)
        else:
            if hashlib.sha256(body).hexdigest() == damaged.sha256:
                return body, capture
            log.warning("the WARC record of %s no longer holds its bytes; fetching it again "
                        "in full", damaged.path)
    fetched = client.fetch(ref.url, recorder, kind="asset")
    return fetched.body, fetched.capture


def _avatar_ref(post: ParsedPost) -> AssetRef | None:
    """The author's uploaded avatar as an asset to download, if the board shows one."""
    url = post.author.avatar_url
    if not url:
        return None
    name = PurePosixPath(urlsplit(url).path).name or "avatar"
    return AssetRef(url=url, filename=f"avatar-{name}", kind="avatar")


def _extension(ref: AssetRef, content_type: str) -> str:
    suffix = PurePosixPath(ref.filename).suffix.lower()
    if 1 < len(suffix) <= 6 and suffix[1:].isalnum():
        return suffix
    content_type = content_type.split(";")[0].strip()
    return mimetypes.guess_extension(content_type) or ".bin"


def _merge(
    existing: ArchivedThread | None, key: str, engine: Engine, pages: list[_Page],
    assets: list[StoredAsset], archive: ThreadArchive, *, complete: bool,
    histories: Mapping[str, list[PostRevision]] | None = None,
) -> tuple[ArchivedThread, dict[str, int]]:
    """Fold this run into the archived thread: add new posts, keep earlier revisions.

    `complete`: the run read on to the thread's last page (else it stopped early).
    `histories`: the earlier versions the board keeps of posts new to the archive (oldest
    first), their earlier revisions from the start.
    """
    now = utc_now()
    thread = existing or ArchivedThread(
        key=key, engine=engine.name, thread=pages[0].parsed.thread, first_archived_at=now,
        last_archived_at=now, scraper_version=__version__,
    )
    if pages:  # a resumed run that read nothing new keeps what it knew
        thread.thread = pages[0].parsed.thread
    thread.last_archived_at = now
    thread.scraper_version = __version__

    all_assets = {a.sha256: a for a in thread.assets}
    for asset in assets:
        if asset.sha256 in all_assets:
            merged = all_assets[asset.sha256]
            merged.urls.extend(u for u in asset.urls if u not in merged.urls)
        else:
            all_assets[asset.sha256] = asset
    thread.assets = list(all_assets.values())
    by_url = {u: a for a in thread.assets for u in a.urls}

    page_captures = {p.number: p for p in thread.pages}
    posts = {p.id: p for p in thread.posts}
    counts = {"new": 0, "changed": 0}
    read: set[str] = set()
    authors: dict[Author, Author] = {}  # as shown, with their avatar's archived path
    for page in pages:
        page_captures[page.parsed.page_number] = PageCapture(page.parsed.page_number, page.capture)
        for parsed in page.parsed.posts:
            if parsed.id in read:
                # Shown again on a later page (page boundaries shift while posts are added):
                # the same post, never an edit of itself.
                continue
            read.add(parsed.id)
            # Each post built once, with what it keeps of its archived self (a thread of
            # 4,000 new posts paid a second copy of each for its revisions).
            fresh = _archived_post(parsed, page, by_url, key, archive, engine, authors)
            old = posts.get(parsed.id)
            if old is None:
                counts["new"] += 1
                fresh.revisions = list((histories or {}).get(parsed.id, []))
            elif old.content_html != fresh.content_html:
                counts["changed"] += 1
                revision = PostRevision(old.content_html, old.content_text, old.edited,
                                        old.fetched_at, old.warc_file, old.warc_record_id)
                fresh.first_seen_at = old.first_seen_at
                fresh.revisions = [*old.revisions, revision]
            else:  # unchanged: keep when it was first seen, refresh where it was seen last
                fresh.first_seen_at = old.first_seen_at
                fresh.revisions = old.revisions
            posts[parsed.id] = fresh
    # Only a run that read the thread from its first page to its last can tell that a post
    # is gone; it stays archived, marked with when it was first missed.
    counts["removed"] = 0
    if complete:
        for post_id, post in posts.items():
            if post_id in read:
                post.removed_upstream_at = None
            elif post.removed_upstream_at is None:
                post.removed_upstream_at = now
                counts["removed"] += 1
    thread.pages = [page_captures[n] for n in sorted(page_captures)]
    thread.posts = sorted(posts.values(), key=lambda p: (p.position, p.id))
    return thread, counts


def _archived_post(
    parsed: ParsedPost, page: _Page, by_url: dict[str, StoredAsset], key: str,
    archive: ThreadArchive, engine: Engine, authors: dict[Author, Author],
) -> ArchivedPost:
    """The archived form of a post read on `page`. `authors`: the authors with their
    avatar's path made so far (a member's posts share one: a thread of 4,000 posts by a
    few dozen members made a copy of the author for each)."""
    local: dict[str, str] = {}
    images: list[PostImage] = []
    for ref in parsed.assets:
        asset = by_url.get(ref.url)
        if asset is None:
            continue  # not archived (download failed): the HTML keeps the remote URL
        local[ref.url] = asset.path
        if ref.thumbnail_url:
            local[ref.thumbnail_url] = asset.path
        images.append(PostImage(
            url=ref.url, path=_archive_path(archive, key, asset.path),
            sha256=asset.sha256, content_type=asset.content_type, bytes=asset.bytes,
            filename=ref.filename,
        ))
    capture = page.capture
    author = parsed.author
    if author.avatar_url and (avatar := by_url.get(author.avatar_url)) is not None:
        with_path = authors.get(author)
        if with_path is None:
            with_path = authors[author] = replace(
                author, avatar_path=_archive_path(archive, key, avatar.path))
        author = with_path
    return ArchivedPost(
        id=parsed.id, position=parsed.position, author=author,
        published=parsed.published, published_text=parsed.published_text,
        edited=parsed.edited, edited_text=parsed.edited_text,
        content_html=localize_urls(parsed.content_html, local),
        content_text=parsed.content_text, quotes=parsed.quotes, embeds=parsed.embeds,
        images=images, page=page.parsed.page_number,
        source_url=engine.post_url(capture.final_url, parsed.id),
        fetched_at=capture.fetched_at, page_sha256=capture.sha256,
        warc_file=capture.warc_file, warc_record_id=capture.warc_record_id,
        warc_offset=capture.warc_offset,
        first_seen_at=capture.fetched_at,
    )


def _fetch_histories(pages: list[_Page], engine: Engine, client: PoliteClient,
                     recorder: WarcRecorder, existing: ArchivedThread | None
                     ) -> dict[str, list[tuple[EarlierVersion, Capture]]]:
    """The earlier versions the board serves of posts this run archives for the first time
    (`ParsedPost.history`: an API's revisions, from before our first capture), each with the
    capture it was read from. One that cannot be fetched or read is left out, with a
    warning: the post itself is archived all the same."""
    archived = {post.id for post in existing.posts} if existing else set()
    cursor = pages[-1].cursor if pages else None
    found: dict[str, list[tuple[EarlierVersion, Capture]]] = {}
    for page in pages:
        for post in page.parsed.posts:
            if post.id in archived or post.id in found or not post.history:
                continue
            versions = found[post.id] = []
            for url in post.history:
                try:
                    fetched = client.fetch(url, recorder, kind="page", accept=engine.accept)
                    version = engine.read_version(
                        Response(url=url, final_url=fetched.capture.final_url,
                                 status=fetched.capture.status, text=fetched.text(),
                                 headers=fetched.headers,
                                 fetched_at=fetched.capture.fetched_at), cursor)
                except Interrupted:
                    raise
                except ForumMirrorError as error:
                    log.warning("earlier version of post %s not archived: %s", post.id, error)
                    continue
                if version is not None:
                    versions.append((version, fetched.capture))
    return {post_id: versions for post_id, versions in found.items() if versions}


def _revision(version: EarlierVersion, capture: Capture) -> PostRevision:
    """An earlier version read from the board's history, with where it was read."""
    return PostRevision(version.content_html, version.content_text, version.edited,
                        capture.fetched_at, capture.warc_file, capture.warc_record_id)


@functools.lru_cache(maxsize=1024)
def _archive_path(archive: ThreadArchive, key: str, path: str) -> str:
    """A thread's asset `path` as the archive names it: the same few for thousands of posts."""
    return archive.relative(archive.thread_dir(key) / path)
