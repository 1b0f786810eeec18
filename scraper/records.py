"""Plain typed records for threads, posts, assets and provenance: the one place each is defined.

Engines produce `ParsedPage`s (no I/O); the scraper adds `Capture`s (provenance of HTTP
exchanges) and `StoredAsset`s; the archive stores an `ArchivedThread` as JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """A titled link, e.g. one breadcrumb step."""

    title: str
    url: str


@dataclass(frozen=True)
class Author:
    """A post's author as the board shows them next to the post; extras default to unknown."""

    name: str
    url: str | None = None
    avatar_url: str | None = None  # the uploaded avatar on the board; None: a letter avatar
    avatar_path: str | None = None  # its archived copy, relative to the archive root
    joined_text: str = ""  # "Nov 2, 2019" as shown
    joined: str | None = None  # ISO date when the shown one could be read
    message_count: int | None = None
    member_id: str | None = None  # the board's own user id: stable when names change


@dataclass(frozen=True)
class Quote:
    """A post quoting another; `post_id` is None when the board does not say which post."""

    author: str
    post_id: str | None = None


@dataclass(frozen=True)
class Embed:
    """Third-party media kept as static data (no third-party script): e.g. a tweet."""

    kind: str  # "tweet", "video", ...
    url: str
    author: str = ""
    handle: str = ""
    date_text: str = ""
    text: str = ""
    lang: str = ""


@dataclass(frozen=True)
class AssetRef:
    """An image or attachment as a page references it, before it is downloaded."""

    url: str  # absolute URL of the full-size file
    filename: str
    kind: str = "attachment"  # "attachment" (board upload), "image" (hot-linked), "avatar"
    thumbnail_url: str | None = None


@dataclass
class ParsedPost:
    """One post as an engine reads it from a page; `content_html` still has remote asset URLs."""

    id: str
    position: int
    author: Author
    published: str | None  # ISO 8601 with offset
    published_text: str  # the date as the board showed it
    content_html: str
    content_text: str
    edited: str | None = None
    edited_text: str = ""
    edited_by: str = ""  # who edited the post last, where the board says so
    quotes: list[Quote] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    assets: list[AssetRef] = field(default_factory=list)
    # Where the board serves the post's earlier versions (an API's revisions), oldest first:
    # fetched when the post is first archived, they become its earlier revisions.
    history: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EarlierVersion:
    """One earlier version of a post, as the board's history of it shows it."""

    content_html: str  # canonical, like a post's
    content_text: str
    edited: str | None = None  # when this version was made, where the history says


@dataclass
class ThreadInfo:
    id: str
    url: str  # canonical URL of the thread's first page
    title: str
    prefix: str = ""
    breadcrumb: list[Link] = field(default_factory=list)
    language: str = ""  # the board's declared language, e.g. "ar-MA"
    # A <link rel=canonical> to another site, not trusted as the thread's URL ("" if none).
    ignored_canonical: str = ""


@dataclass
class ParsedPage:
    """What an engine reads from one thread page."""

    thread: ThreadInfo
    page_number: int
    posts: list[ParsedPost]
    next_url: str | None
    last_page: int | None = None
    # A "next" link whose href is no URL (`http://[::1/page-2`): pagination cannot go on.
    bad_next_href: str | None = None


@dataclass(frozen=True)
class Capture:
    """Provenance of one HTTP exchange, as recorded in the WARC file."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    fetched_at: str  # ISO 8601, UTC
    status: int
    content_type: str
    etag: str | None
    last_modified: str | None
    sha256: str  # of the (decoded) payload
    bytes: int
    warc_file: str  # relative to the archive root
    warc_record_id: str  # WARC-Record-ID of the response record
    scraper_version: str
    warc_offset: int | None = None  # where that record starts in the file (older: unknown)


@dataclass
class PageCapture:
    """A thread page as archived: its number and how it was fetched."""

    number: int
    capture: Capture


@dataclass
class StoredAsset:
    """A downloaded image or attachment, stored once by SHA-256 inside the thread's folder."""

    sha256: str
    path: str  # relative to the thread folder, e.g. "assets/<sha256>.jpg"
    filename: str  # name shown on the board
    content_type: str
    bytes: int
    urls: list[str]  # every URL it was seen under
    capture: Capture


@dataclass
class PostImage:
    """An image of a post, as export and the site use it."""

    url: str
    path: str  # relative to the archive root
    sha256: str
    content_type: str
    bytes: int
    filename: str


@dataclass
class PostRevision:
    """An earlier version of a post's content, kept when the board shows a newer one."""

    content_html: str
    content_text: str
    edited: str | None
    seen_at: str  # fetch time of the page that showed this version
    warc_file: str
    warc_record_id: str


@dataclass
class ArchivedPost:
    """A post in the archive: what the engine read, local image paths, and where it came from."""

    id: str
    position: int
    author: Author
    published: str | None
    published_text: str
    edited: str | None
    edited_text: str
    content_html: str  # asset URLs rewritten to archive-relative paths; NOT sanitized
    content_text: str
    quotes: list[Quote]
    embeds: list[Embed]
    images: list[PostImage]
    page: int
    source_url: str
    fetched_at: str
    page_sha256: str
    warc_file: str
    warc_record_id: str
    first_seen_at: str
    warc_offset: int | None = None  # of that record in its file: the board's own markup
    revisions: list[PostRevision] = field(default_factory=list)  # oldest first
    removed_upstream_at: str | None = None  # first run that read the whole thread without it


@dataclass
class ThreadMove:
    """The board answered a thread's URL with a permanent redirect to another thread URL."""

    from_url: str  # the URL asked for
    to_url: str  # where the board sent us (later runs use it)
    status: int  # 301 or 308
    detected_at: str  # UTC ISO 8601, the run that first followed it


@dataclass
class IncompleteRead:
    """A run stopped before the thread's last page: what it read is archived, the rest not."""

    page: int  # the board's page the next run starts from
    url: str  # ... and its URL
    reason: str  # why the run stopped there, as the error message said it
    error: str  # the error's class: FetchFailed, HttpStatusError, LayoutChanged, ...
    detected_at: str  # UTC ISO 8601, the run that stopped


@dataclass
class ArchivedThread:
    """Everything the archive knows about one thread (one `thread.json`)."""

    key: str  # folder name under threads/, stable for a thread
    engine: str
    thread: ThreadInfo
    first_archived_at: str
    last_archived_at: str
    scraper_version: str
    pages: list[PageCapture] = field(default_factory=list)
    posts: list[ArchivedPost] = field(default_factory=list)
    assets: list[StoredAsset] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    unavailable_since: str | None = None  # first run that found it gone (404/410) or walled
    unavailable_reason: str = ""
    moves: list[ThreadMove] = field(default_factory=list)  # oldest first
    incomplete: IncompleteRead | None = None  # the last run stopped early; None: read to the end
    # The engine's own state after the last page it read (engines/base.py `Reading`):
    # where a scheduled re-check starts. None in archives written before it existed.
    cursor: dict[str, Any] | None = None


def to_dict(record: Any) -> Any:
    """A record as plain JSON-ready data: records and dicts as dicts, lists and tuples as
    lists, everything else as it is.

    Not `dataclasses.asdict`, which deep-copies every value it meets: for a 4,000-post
    thread that copying was most of the time spent saving it, and the values here are
    strings and numbers, which need no copy.
    """
    if isinstance(record, str | int | float | None):  # most values: no lookups for them
        return record
    names = _FIELD_NAMES.get(type(record))
    if names is not None:
        return {name: to_dict(getattr(record, name)) for name in names}
    if isinstance(record, list | tuple):
        return [to_dict(item) for item in record]
    if isinstance(record, dict):
        return {key: to_dict(value) for key, value in record.items()}
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        _FIELD_NAMES[type(record)] = tuple(f.name for f in dataclasses.fields(record))
        return to_dict(record)
    return record


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # each record type's fields, in order


def thread_from_dict(data: dict[str, Any]) -> ArchivedThread:
    """Rebuild an `ArchivedThread` from its JSON form."""

    def capture(d: dict[str, Any]) -> Capture:
        return Capture(**d)

    thread = data["thread"]
    return ArchivedThread(
        key=data["key"],
        engine=data["engine"],
        thread=ThreadInfo(
            **{**thread, "breadcrumb": [Link(**b) for b in thread["breadcrumb"]]}
        ),
        first_archived_at=data["first_archived_at"],
        last_archived_at=data["last_archived_at"],
        scraper_version=data["scraper_version"],
        pages=[PageCapture(p["number"], capture(p["capture"])) for p in data["pages"]],
        posts=[
            ArchivedPost(
                **{
                    **p,
                    "author": Author(**p["author"]),
                    "quotes": [Quote(**q) for q in p["quotes"]],
                    "embeds": [Embed(**e) for e in p["embeds"]],
                    "images": [PostImage(**i) for i in p["images"]],
                    "revisions": [PostRevision(**r) for r in p.get("revisions", [])],
                }
            )
            for p in data["posts"]
        ],
        assets=[
            StoredAsset(**{**a, "capture": capture(a["capture"])}) for a in data["assets"]
        ],
        runs=list(data.get("runs", [])),
        unavailable_since=data.get("unavailable_since"),
        unavailable_reason=data.get("unavailable_reason", ""),
        moves=[ThreadMove(**m) for m in data.get("moves", [])],
        incomplete=IncompleteRead(**data["incomplete"]) if data.get("incomplete") else None,
        cursor=data.get("cursor"),
    )
