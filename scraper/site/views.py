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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from markupsafe import Markup

from ..records import ArchivedPost, ArchivedThread, Embed, Link
from .content import ThreadLinks, post_anchor, render_post_body
from .dates import format_datetime
from .sanitize import ASSET_PATH, sanitize_post_html
from .searchterms import clitic_free_terms
from .textdir import TextDirection, detect

log = logging.getLogger(__name__)

AVATAR_TONES = 8
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi"})


@dataclass(frozen=True)
class TimeView:
    iso: str  # for <time datetime> and the exact time in its title
    text: str  # in the reader's terms


@dataclass(frozen=True)
class AttachmentView:
    path: str  # relative to the thread's folder (and page)
    filename: str
    sha256: str


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
    search_terms: str
    source_url: str | None
    fetched_at: str
    page_sha256: str
    warc_file: str
    warc_record_id: str


@dataclass(frozen=True)
class ThreadPage:
    number: int
    file: str  # "index.html" for the first page, "page-N.html" after
    posts: list[PostView]


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
    if lang:
        direction = "rtl" if lang.split("-")[0].lower() in RTL_LANGUAGES else "ltr"
    else:
        direction = detected.dir if detected else "auto"
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


def _thread_direction(thread: ArchivedThread, fallback_lang: str) -> tuple[TextDirection, str]:
    text = " ".join([thread.thread.title, *(post.content_text for post in thread.posts)])
    board = thread.thread.language
    detected = detect(text)
    if detected is None:
        lang = (board or fallback_lang).split("-")[0].lower()
        rtl = lang in RTL_LANGUAGES
        return TextDirection(lang, "rtl" if rtl else "ltr"), board or fallback_lang
    agrees = board.split("-")[0].lower() == detected.lang
    return detected, board if agrees else detected.lang


def _attachments(post: ArchivedPost, key: str, body: str) -> list[AttachmentView]:
    """The post's archived images that its body does not already show, once each."""
    prefix = f"threads/{key}/"
    shown: dict[str, AttachmentView] = {}
    for image in post.images:
        path = image.path.removeprefix(prefix)
        if ASSET_PATH.fullmatch(path) and f'"{path}"' not in body:
            shown.setdefault(path, AttachmentView(path, image.filename, image.sha256))
    return list(shown.values())


def _avatar_tone(name: str) -> int:
    # Stable across builds (unlike hash()), so an author keeps a colour.
    return hashlib.sha256(name.encode("utf-8")).digest()[0] % AVATAR_TONES


def build_thread_view(
    thread: ArchivedThread,
    *,
    posts_per_page: int,
    fallback_lang: str,
    render_embed: Callable[[EmbedView], str],
    translations_for: Callable[[str], gettext.NullTranslations],
) -> ThreadView:
    """The thread's pages of posts, bodies sanitized and rewritten for the site."""
    direction, html_lang = _thread_direction(thread, fallback_lang)
    translation = translations_for(direction.lang)
    posts = sorted(thread.posts, key=lambda post: post.position)
    page_count = max(1, math.ceil(len(posts) / posts_per_page))
    links = ThreadLinks(
        post_pages={
            post.id: page_file(index // posts_per_page + 1) for index, post in enumerate(posts)
        },
        assets=frozenset(a.path for a in thread.assets if ASSET_PATH.fullmatch(a.path)),
    )

    def post_view(number: int, post: ArchivedPost) -> PostView:
        own = detect(post.content_text) or direction
        body = render_post_body(
            sanitize_post_html(post.content_html, post.source_url),
            links=links,
            embeds=post.embeds,
            render_embed=lambda embed: render_embed(embed_view(embed)),
            direction=own,
            gettext=translation.gettext,
        )
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
            attachments=_attachments(post, thread.key, body),
            lang=own.lang,
            dir=own.dir,
            search_terms=" ".join(clitic_free_terms(post.content_text)),
            source_url=web_url(post.source_url),
            fetched_at=post.fetched_at,
            page_sha256=post.page_sha256,
            warc_file=post.warc_file,
            warc_record_id=post.warc_record_id,
        )

    views = [post_view(number, post) for number, post in enumerate(posts, start=1)]
    pages = [
        ThreadPage(n, page_file(n), views[(n - 1) * posts_per_page : n * posts_per_page])
        for n in range(1, page_count + 1)
    ]
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
    )
    return ThreadView(summary=summary, html_lang=html_lang, pages=pages)
