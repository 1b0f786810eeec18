"""What the templates show, built from archive records: threads cut into pages of posts.

Every scraped string stays a plain `str` here (the templates escape it); only post bodies,
sanitized and rewritten, are `Markup`. Times stay ISO 8601: the `reader_time` filter
formats them in the language of the page that shows them.
"""

from __future__ import annotations

import gettext
import hashlib
import logging
import math
import pickle
import re
from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from ..records import ArchivedPost, ArchivedThread, Embed, Link
from .activity import ActivityChart
from .authors import Participant, author_page
from .content import ThreadLinks, post_anchor, render_post_body
from .dates import format_datetime
from .imagesize import ImageSize, thread_image_sizes
from .sanitize import ASSET_PATH, sanitize_post_html
from .searchterms import post_search_text
from .textdir import LetterCounts, TextDirection, detect, letter_counts, most_letters

log = logging.getLogger(__name__)

AVATAR_TONES = 8
PICKLE = pickle.HIGHEST_PROTOCOL
SAFE_POST_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi"})
PERMALINK_DIR = "posts"  # in a thread's folder: a file per post (permalink_file)


def text_direction(lang: str) -> str:
    """`rtl` for a language tag written right to left (`ar-MA`, `he`), else `ltr`."""
    return "rtl" if lang.split("-")[0].lower() in RTL_LANGUAGES else "ltr"


@dataclass(frozen=True)
class TimeView:
    iso: str  # for <time datetime> and the exact time in its title
    text: str  # in the reader's terms


@dataclass(frozen=True)
class AttachmentView:
    path: str  # relative to the thread's folder (and page)
    filename: str
    sha256: str
    width: int | None = None  # the file's pixels, for <img width height>: no layout shift
    height: int | None = None


@dataclass(frozen=True)
class RevisionView:
    """An earlier version of a post, for its provenance panel."""

    anchor: str  # id of its <details>
    seen_at: str  # ISO 8601: fetch time of the page that showed this version
    edited: str | None  # the board's "last edited" time of that version
    warc_file: str
    warc_record_id: str
    body: Markup  # sanitized like the current body


@dataclass(frozen=True)
class PostView:
    id: str
    anchor: str
    number: int
    author_name: str
    author_url: str | None
    avatar_letter: str
    avatar_tone: int
    published: str | None  # ISO 8601, shown through the `reader_time` filter
    published_text: str
    edited: str | None
    edited_text: str
    removed_upstream_at: str | None
    body: Markup
    attachments: list[AttachmentView]  # images the body does not show inline
    lang: str
    dir: str
    search_text: str  # plain text the search indexes (search/offline-index.js, Pagefind)
    source_url: str | None
    fetched_at: str
    page_sha256: str
    warc_file: str
    warc_record_id: str
    warc_offset: int | None  # where that record starts in the file (None: older archives)
    avatar_path: str | None = None  # the archived uploaded avatar, relative to the thread folder
    joined: str | None = None  # ISO date the author joined the board
    joined_text: str = ""  # as the board showed it, when it could not be read
    message_count: int | None = None
    permalink: str | None = None  # "posts/<id>.html", a stable file that finds the post's page
    revisions: list[RevisionView] = field(default_factory=list)  # oldest first
    author_page: str | None = None  # "authors/<slug>-<hash>.html", from the site's root


@dataclass(frozen=True)
class ThreadPage:
    number: int
    file: str  # "index.html" for the first page, "page-N.html" after
    posts: list[PostView]
    # A digest of what its posts' views were made from (PostViewCache): equal digests,
    # equal posts (a stand-in for them where they would cost more to compare).
    posts_digest: bytes = b""


@dataclass(frozen=True)
class ThreadSummary:
    """A thread as the index lists it; times stay ISO until the index's language is known."""

    key: str
    href: str  # from the site's root
    title: str
    prefix: str
    breadcrumb: list[Link]  # url "" where it is not a web link
    board_url: str | None
    lang: str
    dir: str
    board_language: str
    post_count: int
    page_count: int
    first_post: str | None
    last_post: str | None
    last_archived: str
    unavailable_since: str | None  # the board lost the thread (404/410, walled) at this time
    forum: str = ""  # the last breadcrumb step: the forum the thread is in
    moved_to: str | None = None  # where the thread lives since the board last moved it...
    moved_at: str | None = None  # ...and when a run first followed it
    last_checked: str = ""  # ISO 8601: the last run that looked at it (found it or not)
    incomplete_page: int | None = None  # the board's page the last run could not read...
    incomplete_at: str | None = None  # ...and when it stopped there


@dataclass(frozen=True)
class ThreadExtras:
    """The head of a thread's first page: its activity, its people, its archive to download."""

    activity: ActivityChart | None
    participants: list[Participant]
    download_file: str  # the zip, relative to the thread's folder
    download_bytes: int


@dataclass(frozen=True)
class ThreadView:
    summary: ThreadSummary
    html_lang: str  # the board's tag (ar-MA) when it agrees with the text, else the detected one
    pages: list[ThreadPage]


@dataclass(frozen=True)
class EmbedView:
    kind: str
    url: str | None
    author: str
    handle: str
    date_text: str
    text: str
    lang: str
    dir: str


def page_file(number: int) -> str:
    """The file name of a thread's page `number` (1-based)."""
    return "index.html" if number == 1 else f"page-{number}.html"


def thread_href(key: str) -> str:
    """A thread's first page, from the site's root."""
    return f"threads/{quote(key)}/index.html"


def web_url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL a page may link to, else None."""
    return url if url and url.startswith(("https://", "http://")) else None


def time_view(iso: str | None, lang: str, board_language: str) -> TimeView | None:
    """`iso` for a `<time>` element, or None when the board gave no usable time."""
    if not iso:
        return None
    try:
        return TimeView(iso, format_datetime(iso, lang, board_language))
    except ValueError:
        log.warning("not an ISO 8601 time: %r", iso)
        return None


def newest_first(summaries: list[ThreadSummary]) -> list[ThreadSummary]:
    """Threads by their last post, most recent first; threads without dates last."""

    def last_post(summary: ThreadSummary) -> datetime:
        try:
            return datetime.fromisoformat(summary.last_post or "")
        except ValueError:
            return datetime.min.replace(tzinfo=UTC)

    return sorted(summaries, key=last_post, reverse=True)


def page_window(current: int, total: int, radius: int = 2) -> list[int | None]:
    """Page numbers to link: first, last and those near `current`; None marks a gap."""
    shown = sorted({1, total, *range(max(1, current - radius), min(total, current + radius) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


def embed_view(embed: Embed) -> EmbedView:
    """An embed as its static card shows it, in its own language and direction."""
    detected = detect(embed.text)
    lang = embed.lang or (detected.lang if detected else "")
    own_dir = detected.dir if detected else "auto"
    direction = text_direction(lang) if lang else own_dir
    return EmbedView(
        kind=embed.kind,
        url=web_url(embed.url),
        author=embed.author,
        handle=embed.handle,
        date_text=embed.date_text,
        text=embed.text,
        lang=lang,
        dir=direction,
    )


def _thread_direction(
    thread: ArchivedThread, fallback_lang: str, post_counts: list[LetterCounts]
) -> tuple[TextDirection, str]:
    """The thread's direction from its title's letters and its posts' (`post_counts`, each
    post's letter_counts: the posts' own directions come from them too)."""
    title = letter_counts(thread.thread.title)
    counts = tuple(sum(column) for column in zip(title, *post_counts, strict=True))
    board = thread.thread.language
    detected = most_letters(counts)
    if detected is None:
        lang = (board or fallback_lang).split("-")[0].lower()
        return TextDirection(lang, text_direction(lang)), board or fallback_lang
    agrees = board.split("-")[0].lower() == detected.lang
    return detected, board if agrees else detected.lang


def _attachments(
    post: ArchivedPost, key: str, body: str, sizes: Mapping[str, ImageSize]
) -> list[AttachmentView]:
    """The post's archived images that its body does not already show, once each."""
    prefix = f"threads/{key}/"
    shown: dict[str, AttachmentView] = {}
    for image in post.images:
        path = image.path.removeprefix(prefix)
        if ASSET_PATH.fullmatch(path) and f'"{path}"' not in body:
            size = sizes.get(path)
            shown.setdefault(
                path,
                AttachmentView(
                    path,
                    image.filename,
                    image.sha256,
                    width=size.width if size else None,
                    height=size.height if size else None,
                ),
            )
    return list(shown.values())


def permalink_file(post_id: str) -> str | None:
    """The stable file of a post's permalink, relative to its thread's folder.

    None when the id could not be a safe file name (the board's ids are digits).
    """
    return f"{PERMALINK_DIR}/{post_id}.html" if SAFE_POST_ID.fullmatch(post_id) else None


def _avatar_path(post: ArchivedPost, key: str, assets: Set[str]) -> str | None:
    path = (post.author.avatar_path or "").removeprefix(f"threads/{key}/")
    return path if path in assets else None


def _avatar_tone(name: str) -> int:
    # Stable across builds (unlike hash()), so an author keeps a colour.
    return hashlib.sha256(name.encode("utf-8")).digest()[0] % AVATAR_TONES


def _last_checked(thread: ArchivedThread) -> str:
    """When a run last looked at the thread: its latest run record, else its last archiving."""
    finished = [str(run["finished_at"]) for run in thread.runs if run.get("finished_at")]
    return finished[-1] if finished else thread.last_archived_at


# A lookup a post's view made in its thread's links (ThreadLinks): what was looked up, in
# which of them ("page", "asset", "size"; with "*", the whole of it) and the answer.
Lookup = tuple[str, str, object]
KeptView = tuple[tuple[Lookup, ...], PostView]


@dataclass
class PostViewCache:
    """Post views of one thread kept between builds, so that a thread that got a post does
    not render its other posts again (sanitizing and rewriting a body costs most of a view).

    A view is kept under a digest of its post and of what of the thread it was made with
    (`salt`, its direction, key and URL), with the lookups it made in the thread's links:
    it is taken again only while each of those gives the same answer (a quote of a post
    that moved to another page is made again, as is one of a post archived since).
    """

    salt: bytes = b""  # what else the views depend on: code, theme, settings
    before: Mapping[bytes, KeptView] = field(default_factory=dict)
    now: dict[bytes, KeptView] = field(default_factory=dict)
    made: int = 0  # views made in this build (not taken from `before`)


def _answer(links: ThreadLinks, kind: str, key: str) -> object:
    if kind == "page":
        return links.post_pages.get(key)
    if kind == "size":
        return links.image_sizes.get(key)
    if kind == "asset":
        return key in links.assets
    if kind == "page*":
        return tuple(sorted(links.post_pages.items()))
    if kind == "size*":
        return tuple(sorted(links.image_sizes.items()))
    return tuple(sorted(links.assets))  # "asset*"


class _RecordedMapping(Mapping[str, Any]):
    """One of the thread's mappings as a post's render sees it: each lookup noted."""

    def __init__(self, kind: str, links: ThreadLinks, seen: list[Lookup]) -> None:
        self._kind = kind
        self._links = links
        self._seen = seen

    def _note(self, key: str) -> object:
        answer = _answer(self._links, self._kind, key)
        self._seen.append((self._kind, key, answer))
        return answer

    def __getitem__(self, key: str) -> Any:
        answer = self._note(key)
        if answer is None:  # no value of these mappings is None
            raise KeyError(key)
        return answer

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._note(key) is not None

    def __iter__(self) -> Iterator[str]:
        self._seen.append((f"{self._kind}*", "", _answer(self._links, f"{self._kind}*", "")))
        return iter(self._links.post_pages if self._kind == "page" else self._links.image_sizes)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _RecordedSet(Set[str]):
    """The thread's assets as a post's render sees them: each lookup noted."""

    def __init__(self, links: ThreadLinks, seen: list[Lookup]) -> None:
        self._links = links
        self._seen = seen

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        answer = key in self._links.assets
        self._seen.append(("asset", key, answer))
        return answer

    def __iter__(self) -> Iterator[str]:
        self._seen.append(("asset*", "", _answer(self._links, "asset*", "")))
        return iter(self._links.assets)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def build_thread_view(
    thread: ArchivedThread,
    *,
    posts_per_page: int,
    fallback_lang: str,
    render_embed: Callable[[EmbedView], str],
    translations_for: Callable[[str], gettext.NullTranslations],
    thread_dir: Path | None = None,
    cache: PostViewCache | None = None,
) -> ThreadView:
    """The thread's pages of posts, bodies sanitized and rewritten for the site.

    `thread_dir` is the thread's folder in the archive, where image sizes are read from.
    The views of `cache` whose posts are unchanged are taken from it (and every view of
    this build put in its `now`).
    """
    cache = cache if cache is not None else PostViewCache()
    posts = sorted(thread.posts, key=lambda post: post.position)
    post_counts = [letter_counts(post.content_text) for post in posts]
    direction, html_lang = _thread_direction(thread, fallback_lang, post_counts)
    translation = translations_for(direction.lang)
    page_count = max(1, math.ceil(len(posts) / posts_per_page))
    assets = frozenset(a.path for a in thread.assets if ASSET_PATH.fullmatch(a.path))
    links = ThreadLinks(
        post_pages={
            post.id: page_file(index // posts_per_page + 1) for index, post in enumerate(posts)
        },
        assets=assets,
        image_sizes=thread_image_sizes(thread_dir, assets) if thread_dir else {},
    )

    def render(
        content_html: str, post: ArchivedPost, own: TextDirection, links: ThreadLinks
    ) -> str:
        return render_post_body(
            sanitize_post_html(content_html, post.source_url),
            links=links,
            # An earlier version without an embed placeholder does not get the current embeds.
            embeds=post.embeds if "fm-embed" in content_html else [],
            render_embed=lambda embed: render_embed(embed_view(embed)),
            direction=own,
            gettext=translation.gettext,
        )

    def post_view(number: int, post: ArchivedPost, links: ThreadLinks) -> PostView:
        """The view of `post` (the `number`th); what it reads of the thread's links, it
        reads through `links` (which note it)."""
        own = most_letters(post_counts[number - 1]) or direction
        body = render(post.content_html, post, own, links)
        revisions = [
            RevisionView(
                anchor=f"{post_anchor(post.id)}-version-{index}",
                seen_at=revision.seen_at,
                edited=revision.edited,
                warc_file=revision.warc_file,
                warc_record_id=revision.warc_record_id,
                # nh3 output, then rewritten by our own code only (as the current body)
                body=Markup(
                    render(
                        revision.content_html, post, detect(revision.content_text) or own, links
                    )
                ),
            )
            for index, revision in enumerate(post.revisions, start=1)
        ]
        name = post.author.name
        return PostView(
            id=post.id,
            anchor=post_anchor(post.id),
            number=post.position or number,
            author_name=name,
            author_url=web_url(post.author.url),
            avatar_letter=name[:1].upper() or "?",
            avatar_tone=_avatar_tone(name),
            published=post.published,
            published_text=post.published_text,
            edited=post.edited,
            edited_text=post.edited_text,
            removed_upstream_at=post.removed_upstream_at,
            body=Markup(body),  # nh3 output, then rewritten by our own code only
            attachments=_attachments(post, thread.key, body, links.image_sizes),
            lang=own.lang,
            dir=own.dir,
            search_text=post_search_text(post),
            source_url=web_url(post.source_url),
            fetched_at=post.fetched_at,
            page_sha256=post.page_sha256,
            warc_file=post.warc_file,
            warc_record_id=post.warc_record_id,
            warc_offset=post.warc_offset,
            avatar_path=_avatar_path(post, thread.key, links.assets),
            joined=post.author.joined,
            joined_text=post.author.joined_text,
            message_count=post.author.message_count,
            permalink=permalink_file(post.id),
            revisions=revisions,
            author_page=author_page(post.author, thread.thread.url),
        )

    # Everything of the thread a view depends on but its post and the links' answers.
    salt = hashlib.sha256(
        cache.salt + pickle.dumps((direction, thread.key, thread.thread.url), PICKLE)
    ).digest()
    views: list[PostView] = []
    made_from: list[bytes] = []  # each view's post digest and lookups
    for number, post in enumerate(posts, start=1):
        key = hashlib.sha256(salt + pickle.dumps((number, post), PICKLE)).digest()
        kept = cache.before.get(key)
        if kept is not None and all(_answer(links, *lookup[:2]) == lookup[2]
                                    for lookup in kept[0]):  # fmt: skip
            lookups, view = kept
        else:
            seen: list[Lookup] = []
            recorded = ThreadLinks(
                post_pages=_RecordedMapping("page", links, seen),
                assets=_RecordedSet(links, seen),
                image_sizes=_RecordedMapping("size", links, seen),
            )
            view = post_view(number, post, recorded)
            lookups = tuple(seen)
            cache.made += 1
        cache.now[key] = (lookups, view)
        views.append(view)
        made_from.append(key + pickle.dumps(lookups, PICKLE))
    pages = []
    for n in range(1, page_count + 1):
        start, end = (n - 1) * posts_per_page, n * posts_per_page
        digest = hashlib.sha256(b"".join(made_from[start:end])).digest()
        pages.append(ThreadPage(n, page_file(n), views[start:end], digest))
    summary = ThreadSummary(
        key=thread.key,
        href=thread_href(thread.key),
        title=thread.thread.title,
        prefix=thread.thread.prefix,
        breadcrumb=[Link(c.title, web_url(c.url) or "") for c in thread.thread.breadcrumb],
        board_url=web_url(thread.thread.url),
        lang=direction.lang,
        dir=direction.dir,
        board_language=thread.thread.language,
        post_count=len(posts),
        page_count=page_count,
        first_post=posts[0].published if posts else None,
        last_post=posts[-1].published if posts else None,
        last_archived=thread.last_archived_at,
        unavailable_since=thread.unavailable_since,
        forum=thread.thread.breadcrumb[-1].title if thread.thread.breadcrumb else "",
        moved_to=web_url(thread.thread.url) if thread.moves else None,
        moved_at=thread.moves[-1].detected_at if thread.moves else None,
        last_checked=_last_checked(thread),
        incomplete_page=thread.incomplete.page if thread.incomplete else None,
        incomplete_at=thread.incomplete.detected_at if thread.incomplete else None,
    )
    return ThreadView(summary=summary, html_lang=html_lang, pages=pages)
