"""`feed.atom`: the posts most recently archived, newest first, for feed readers.

Entries are ordered by when forum-mirror first saw each post (`first_seen_at`), not by when
it was published: a follower of the archive wants what is new *in the archive*. Each entry
links to the post's page and anchor. Its content is the post's plain text, escaped, as
`type="html"`: scraped markup never reaches a feed reader, and no relative image or quote
link can break there. Links are relative to the feed (it sits at the site's root) unless
the site's absolute address is configured; ids are always absolute, as Atom requires.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from urllib.parse import quote, urljoin

from feedgenerator import Atom1Feed

from ..records import ArchivedThread
from .output import write_if_changed
from .views import ThreadView, web_url

log = logging.getLogger(__name__)

FEED_FILE = "feed.atom"
DEFAULT_MAX_ENTRIES = 50


@dataclass(frozen=True)
class FeedEntry:
    id: str  # absolute: the board's URL of the post, or a name-based UUID
    title: str
    href: str  # the post's page and anchor, from the site's root
    first_seen_at: str
    published: str | None
    author: str
    text: str
    lang: str
    dir: str
    position: int


def parse_time(iso: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 (a time without offset is UTC), or None."""
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        log.warning("feed: not an ISO 8601 time: %r", iso)
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def thread_feed_entries(thread: ArchivedThread, view: ThreadView) -> list[FeedEntry]:
    """One entry per post of the thread."""
    summary = view.summary
    folder = summary.href.rsplit("/", 1)[0]
    shown = {post.id: (page.file, post) for page in view.pages for post in page.posts}
    entries = []
    for post in thread.posts:
        page_file, post_view = shown.get(post.id, ("index.html", None))
        anchor = post_view.anchor if post_view else ""
        entries.append(
            FeedEntry(
                id=web_url(post.source_url)
                or uuid.uuid5(uuid.NAMESPACE_URL, f"forum-mirror:{thread.key}/{post.id}").urn,
                title=f"{summary.title} #{post.position}",
                href=f"{folder}/{page_file}" + (f"#{anchor}" if anchor else ""),
                first_seen_at=post.first_seen_at or post.fetched_at,
                published=post.published,
                author=post.author.name,
                text=post.content_text,
                lang=post_view.lang if post_view else summary.lang,
                dir=post_view.dir if post_view else summary.dir,
                position=post.position,
            )
        )
    return entries


def newest_entries(entries: list[FeedEntry], limit: int) -> list[FeedEntry]:
    """The `limit` entries first seen last; ties by publication, then later posts first."""
    epoch = datetime.min.replace(tzinfo=UTC)

    def key(entry: FeedEntry) -> tuple[datetime, datetime, int]:
        return (
            parse_time(entry.first_seen_at) or epoch,
            parse_time(entry.published) or epoch,
            entry.position,
        )

    return sorted(entries, key=key, reverse=True)[:limit]


def entry_html(entry: FeedEntry) -> str:
    """The post's text as escaped HTML paragraphs in its own language and direction."""
    paragraphs = [p for p in entry.text.split("\n\n") if p.strip()]
    body = "".join(
        f"<p>{'<br>'.join(escape(line) for line in p.strip().splitlines())}</p>" for p in paragraphs
    )
    return f'<div lang="{escape(entry.lang)}" dir="{escape(entry.dir)}">{body}</div>'


def write_atom_feed(
    path: Path,
    entries: list[FeedEntry],
    *,
    title: str,
    language: str,
    base_url: str = "",
    feed_id: str = "",
) -> int:
    """Write the Atom feed of `entries` (already chosen and ordered) to `path`; returns count.

    `base_url` (absolute, ending in "/") makes every link absolute; `feed_id` defaults to
    the feed's absolute URL, or a UUID named after `title`.
    """

    def link(href: str) -> str:
        return urljoin(base_url, quote(href, safe="/#%")) if base_url else quote(href, safe="/#%")

    feed = Atom1Feed(
        title=title,
        link=link("index.html"),
        description="",
        language=language,
        feed_url=link(FEED_FILE),
        feed_guid=feed_id
        or (urljoin(base_url, FEED_FILE) if base_url else "")
        or uuid.uuid5(uuid.NAMESPACE_URL, f"forum-mirror-feed:{title}").urn,
    )
    for entry in entries:
        feed.add_item(
            title=entry.title,
            link=link(entry.href),
            description=None,
            author_name=entry.author or "?",
            pubdate=parse_time(entry.published),
            updateddate=parse_time(entry.first_seen_at),
            unique_id=entry.id,
            content=entry_html(entry),
        )
    write_if_changed(path, feed.writeString("utf-8").encode("utf-8"))
    return len(entries)
