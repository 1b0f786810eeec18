"""Archive one thread: fetch its pages, read them with the engine, download assets, store.

This is the only stage that ties fetch, engine and archive together; each of those stays
ignorant of the others.
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Protocol
from urllib.parse import urlsplit

from . import __version__
from .archive import ThreadArchive
from .engines import Engine, engine_for_url
from .errors import (
    AccessBlocked,
    FetchFailed,
    ForumMirrorError,
    HttpStatusError,
    LayoutChanged,
    RobotsDisallowed,
    UnsupportedUrl,
)
from .fetch import Fetched, PoliteClient, Validators, WarcRecorder
from .fetch.charset import decode_body
from .localize import localize_urls
from .records import (
    ArchivedPost,
    ArchivedThread,
    AssetRef,
    Capture,
    PageCapture,
    ParsedPage,
    ParsedPost,
    PostImage,
    PostRevision,
    StoredAsset,
    ThreadMove,
)
from .urls import canonical_url, page_url, same_site, shown

log = logging.getLogger(__name__)

MAX_PAGES = 10_000  # a guard against pagination that never ends
MAX_PARALLEL_HOSTS = 4  # asset hosts fetched at once, each one request at a time
PERMANENT_REDIRECTS = frozenset({301, 308})  # a thread answering these has moved


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
    requests: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    warc_file: str = ""
    moved_to: str = ""  # the new URL, when this run found that the thread moved (301/308)


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
) -> ScrapeSummary:
    """Archive every page, post and asset of the thread at `url`; return what was done.

    With `from_last_page`, an archived thread is re-checked from its last known page (a
    conditional request) and only followed forward: an unchanged thread costs one request
    however long it is, and growth costs the new pages and the last known one. `key` names
    the archived thread when `url` is not its original one (see `archived_key`).
    """
    started = time.monotonic()
    requests_before, bytes_before = client.requests_made, client.bytes_received
    url = canonical_url(url)  # what is fetched and stored: never a password, one spelling
    engine = engine_for_url(url)
    key = key or engine.thread_key(url)
    existing = archive.load(key)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    warc_path = archive.warc_path(key, run_id)
    recorder = WarcRecorder(
        warc_path, warc_file_label=archive.relative(warc_path), settings=client.settings
    )
    try:
        start = engine.first_page_url(url)
        if from_last_page and existing is not None and existing.pages:
            start = _resume_url(existing, engine)
        pages = _fetch_pages(start, engine, client, recorder, observer, archive, existing)
        if ignored := pages[0].parsed.thread.ignored_canonical:
            log.warning("%s names %s as its canonical URL, on another site: ignored", start,
                        shown(ignored))
        known_assets = {u: a for a in (existing.assets if existing else []) for u in a.urls}
        assets, failed = _fetch_assets(pages, key, archive, client, recorder, known_assets,
                                       observer)
    except ForumMirrorError as error:
        recorder.close()
        if existing is None:  # nothing was archived before: leave nothing behind
            shutil.rmtree(archive.thread_dir(key), ignore_errors=True)
        elif thread_is_gone(error):
            # Everything archived stays; the thread only learns that the board lost it.
            existing.unavailable_since = existing.unavailable_since or utc_now()
            existing.unavailable_reason = str(error)
            existing.runs.append({"run_id": run_id, "finished_at": utc_now(),
                                  "scraper_version": __version__,
                                  "warc_file": archive.relative(warc_path),
                                  "unavailable": str(error)})
            archive.save(existing)
        raise
    recorder.close()

    archived_before = {a.sha256 for a in (existing.assets if existing else [])}
    if existing is not None:
        existing.unavailable_since, existing.unavailable_reason = None, ""
    thread, counts = _merge(existing, key, engine.name, pages, assets, archive)
    moves = _new_moves(thread, pages, engine)
    thread.moves.extend(moves)
    summary = ScrapeSummary(
        key=key,
        title=thread.thread.title,
        url=thread.thread.url,
        pages=len(pages),
        posts=len(thread.posts),
        new_posts=counts["new"],
        changed_posts=counts["changed"],
        removed_posts=counts["removed"],
        assets=len(thread.assets),
        new_assets=sum(1 for a in assets if a.sha256 not in archived_before),
        failed_assets=failed,
        requests=client.requests_made - requests_before,
        bytes_received=client.bytes_received - bytes_before,
        seconds=round(time.monotonic() - started, 2),
        warc_file=archive.relative(warc_path),
        moved_to=moves[-1].to_url if moves else "",
    )
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
        "requests": summary.requests,
        "settings": {"delay": client.settings.delay, "obey_robots": client.settings.obey_robots,
                     "user_agent": client.settings.user_agent},
    })
    archive.save(thread)
    return summary


def archived_key(url: str, archive: ThreadArchive) -> str:
    """The archive key of the thread at `url`: its own, or that of an archived thread that
    moved to `url` (so a moved thread keeps its one folder)."""
    engine = engine_for_url(url)
    key = engine.thread_key(url)
    if archive.thread_dir(key).is_dir():
        return key
    for thread in archive.threads():
        if any(_same_thread(engine, m.to_url, url) for m in thread.moves):
            return thread.key
    return key


def _same_thread(engine: Engine, first: str, second: str) -> bool:
    try:
        return engine.thread_key(first) == engine.thread_key(second)
    except UnsupportedUrl:  # not a thread URL of this engine
        return False


def _resume_url(existing: ArchivedThread, engine: Engine) -> str:
    """Where a re-check starts: the last known page, at the address it was last served from
    when that is the thread's current one (after a move, not the old URL again)."""
    capture = existing.pages[-1].capture
    if _same_thread(engine, capture.final_url, existing.thread.url):
        return capture.final_url
    return capture.url


def _new_moves(thread: ArchivedThread, pages: list[_Page], engine: Engine) -> list[ThreadMove]:
    """Permanent redirects of this run from one thread URL to another, not yet recorded."""
    moves: list[ThreadMove] = []
    for page in pages:
        for from_url, status, to_url in page.redirects:
            if status not in PERMANENT_REDIRECTS or _same_thread(engine, from_url, to_url):
                continue  # a slug fix or page redirect within the thread is no move
            try:
                engine.thread_key(to_url)
            except UnsupportedUrl:
                continue  # sent away from any thread: parsing the page decides what it is
            known = [*thread.moves, *moves]
            if any(_same_thread(engine, m.from_url, from_url)
                   and _same_thread(engine, m.to_url, to_url) for m in known):
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
    redirects: tuple[tuple[str, int, str], ...] = ()  # hops of this fetch (Fetched.redirects)


def _fetch_pages(
    first_url: str, engine: Engine, client: PoliteClient, recorder: WarcRecorder,
    observer: ScrapeObserver | None, archive: ThreadArchive, existing: ArchivedThread | None,
) -> list[_Page]:
    """Every page of the thread; a page the board says is unchanged (304) is re-read from
    the WARC record it was archived from, so its provenance stays that first capture."""
    archived = {p.capture.url: p.capture for p in (existing.pages if existing else [])}
    for page in existing.pages if existing else []:  # a moved thread is asked at its new URL
        archived.setdefault(page.capture.final_url, page.capture)
    pages: list[_Page] = []
    seen: set[str] = set()
    next_url: str | None = first_url
    while next_url is not None:
        if next_url in seen or len(pages) >= MAX_PAGES:
            raise LayoutChanged(f"pagination loops back to {next_url}; stopping")
        seen.add(next_url)
        known = archived.get(next_url)
        validators = Validators(known.etag, known.last_modified) if known else None
        fetched = client.fetch(next_url, recorder, kind="page", validators=validators)
        if fetched.not_modified and known is not None:
            payload = archive.warc_payload(known.warc_file, known.warc_record_id)
            parsed = engine.parse_page(decode_body(payload), known.final_url)
            pages.append(_Page(parsed, known, fetched.redirects))
        else:
            parsed = engine.parse_page(fetched.text(), fetched.capture.final_url)
            pages.append(_Page(parsed, fetched.capture, fetched.redirects))
        if observer:
            observer.page_done(parsed)
        next_url = _next_page(parsed.next_url, pages[-1].capture.final_url)
    return pages


def _next_page(next_url: str | None, current: str) -> str | None:
    """The next page to fetch: a thread's pages come from its own site (allowing the board's
    http -> https or www. change), so a "next" link elsewhere ends the thread here."""
    if next_url is None:
        return None
    if not same_site(next_url, current):
        log.warning("%s links its next page to another site, %s: not followed", current,
                    shown(next_url))
        return None
    return page_url(next_url, current)  # canonical, without any user name or password


def _fetch_assets(
    pages: list[_Page], key: str, archive: ThreadArchive, client: PoliteClient,
    recorder: WarcRecorder, known: dict[str, StoredAsset], observer: ScrapeObserver | None,
) -> tuple[list[StoredAsset], list[str]]:
    """Download each referenced asset once; a failed asset is reported, not fatal.

    Hosts proceed in parallel (an image CDN need not wait for the board), each at its own
    polite pace: the client throttles per host, so one worker per host is all it takes.
    """
    refs: dict[str, AssetRef] = {}
    for page in pages:
        for post in page.parsed.posts:
            for ref in post.assets:
                refs.setdefault(ref.url, ref)
            if (avatar := _avatar_ref(post)) is not None:  # once per member (same URL)
                refs.setdefault(avatar.url, avatar)
    if observer:
        observer.assets_found(len(refs))
    stored: dict[str, StoredAsset] = {}  # by sha256
    by_host: dict[str, list[AssetRef]] = {}
    for url, ref in refs.items():
        if url in known:
            stored.setdefault(known[url].sha256, known[url])
            if observer:
                observer.asset_done(ref)
        else:
            by_host.setdefault(urlsplit(url).netloc, []).append(ref)

    def download(host_refs: list[AssetRef]) -> list[tuple[AssetRef, Fetched | None]]:
        results: list[tuple[AssetRef, Fetched | None]] = []
        for ref in host_refs:
            try:
                results.append((ref, client.fetch(ref.url, recorder, kind="asset")))
            except (FetchFailed, RobotsDisallowed) as error:
                log.warning("asset not archived: %s", error)
                results.append((ref, None))
            if observer:
                observer.asset_done(ref)
        return results

    failed: list[str] = []
    workers = max(1, min(len(by_host), MAX_PARALLEL_HOSTS))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assets") as pool:
        for results in pool.map(download, by_host.values()):
            for ref, fetched in results:
                if fetched is None:
                    failed.append(ref.url)
                    continue
                sha256, path = archive.store_asset(key, fetched.body, _extension(ref, fetched))
                asset = stored.get(sha256)
                if asset is None:
                    stored[sha256] = StoredAsset(
                        sha256=sha256, path=path, filename=ref.filename,
                        content_type=fetched.capture.content_type, bytes=len(fetched.body),
                        urls=[ref.url], capture=fetched.capture,
                    )
                elif ref.url not in asset.urls:
                    asset.urls.append(ref.url)
    return list(stored.values()), failed


def _avatar_ref(post: ParsedPost) -> AssetRef | None:
    """The author's uploaded avatar as an asset to download, if the board shows one."""
    url = post.author.avatar_url
    if not url:
        return None
    name = PurePosixPath(urlsplit(url).path).name or "avatar"
    return AssetRef(url=url, filename=f"avatar-{name}", kind="avatar")


def _extension(ref: AssetRef, fetched: Fetched) -> str:
    suffix = PurePosixPath(ref.filename).suffix.lower()
    if 1 < len(suffix) <= 6 and suffix[1:].isalnum():
        return suffix
    content_type = fetched.capture.content_type.split(";")[0].strip()
    return mimetypes.guess_extension(content_type) or ".bin"


def _merge(
    existing: ArchivedThread | None, key: str, engine_name: str, pages: list[_Page],
    assets: list[StoredAsset], archive: ThreadArchive,
) -> tuple[ArchivedThread, dict[str, int]]:
    """Fold this run into the archived thread: add new posts, keep earlier revisions."""
    now = utc_now()
    latest = pages[0].parsed.thread
    thread = existing or ArchivedThread(
        key=key, engine=engine_name, thread=latest, first_archived_at=now,
        last_archived_at=now, scraper_version=__version__,
    )
    thread.thread = latest
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
    for page in pages:
        page_captures[page.parsed.page_number] = PageCapture(page.parsed.page_number, page.capture)
        for parsed in page.parsed.posts:
            fresh = _archived_post(parsed, page, by_url, key, archive)
            old = posts.get(parsed.id)
            if old is None:
                counts["new"] += 1
                posts[parsed.id] = fresh
            elif old.content_html != fresh.content_html:
                counts["changed"] += 1
                revision = PostRevision(old.content_html, old.content_text, old.edited,
                                        old.fetched_at, old.warc_file, old.warc_record_id)
                posts[parsed.id] = replace(fresh, first_seen_at=old.first_seen_at,
                                           revisions=[*old.revisions, revision])
            else:  # unchanged: keep when it was first seen, refresh where it was seen last
                posts[parsed.id] = replace(fresh, first_seen_at=old.first_seen_at,
                                           revisions=old.revisions)
    # Only a run that read the thread from its first page to its last can tell that a post
    # is gone; it stays archived, marked with when it was first missed.
    counts["removed"] = 0
    if pages[0].parsed.page_number == 1 and pages[-1].parsed.next_url is None:
        seen = {parsed.id for page in pages for parsed in page.parsed.posts}
        for post_id, post in posts.items():
            if post_id in seen:
                post.removed_upstream_at = None
            elif post.removed_upstream_at is None:
                post.removed_upstream_at = now
                counts["removed"] += 1
    thread.pages = [page_captures[n] for n in sorted(page_captures)]
    thread.posts = sorted(posts.values(), key=lambda p: (p.position, p.id))
    return thread, counts


def _archived_post(
    parsed: ParsedPost, page: _Page, by_url: dict[str, StoredAsset], key: str,
    archive: ThreadArchive,
) -> ArchivedPost:
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
            url=ref.url, path=archive.relative(archive.thread_dir(key) / asset.path),
            sha256=asset.sha256, content_type=asset.content_type, bytes=asset.bytes,
            filename=ref.filename,
        ))
    capture = page.capture
    author = parsed.author
    if author.avatar_url and (avatar := by_url.get(author.avatar_url)) is not None:
        local = archive.relative(archive.thread_dir(key) / avatar.path)
        author = replace(author, avatar_path=local)
    return ArchivedPost(
        id=parsed.id, position=parsed.position, author=author,
        published=parsed.published, published_text=parsed.published_text,
        edited=parsed.edited, edited_text=parsed.edited_text,
        content_html=localize_urls(parsed.content_html, local),
        content_text=parsed.content_text, quotes=parsed.quotes, embeds=parsed.embeds,
        images=images, page=page.parsed.page_number,
        source_url=f"{capture.final_url.split('#', 1)[0]}#post-{parsed.id}",
        fetched_at=capture.fetched_at, page_sha256=capture.sha256,
        warc_file=capture.warc_file, warc_record_id=capture.warc_record_id,
        first_seen_at=capture.fetched_at,
    )
