"""Author pages and a thread's participants: every post of one person, across threads.

An author is one member of one board: the board's host plus their member id when the engine
read one (a renamed member stays one author), else their member URL, else the host plus the
name. Their page is `authors/<slug>-<hash>.html`: the slug (python-slugify, which
transliterates Arabic and Hebrew to ASCII or drops them) keeps the name readable where it
can, and the hash of the identity keeps two names that slugify alike, or to nothing, apart.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from slugify import slugify

from ..records import ArchivedPost, ArchivedThread, Author

if TYPE_CHECKING:
    from .views import ThreadView

log = logging.getLogger(__name__)

AUTHORS_DIR = "authors"
SLUG_MAX = 40
HASH_CHARS = 10
SNIPPET_CHARS = 200


def _member_url(author: Author) -> str:
    url = author.url or ""
    return url if url.startswith(("https://", "http://")) else ""


def author_identity(author: Author, thread_url: str) -> str:
    """Who wrote a post, as one string: `host member:<id>`, `host <member-url>` or
    `host name:<name>`."""
    host = urlsplit(thread_url).netloc.lower()
    if author.member_id:
        return f"{host} member:{author.member_id}"
    member = _member_url(author)
    return f"{host} {member}" if member else f"{host} name:{author.name}"


def author_page(author: Author, thread_url: str) -> str:
    """The author's page, from the site's root: `authors/<slug>-<hash>.html`.

    Both parts come from the identity alone, so a member renamed between posts keeps one
    page: a member's slug is their member id (`member-12`), anyone else's their name.
    """
    identity = author_identity(author, thread_url)
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:HASH_CHARS]
    source = f"member {author.member_id}" if author.member_id else author.name
    if not author.member_id and (member := _member_url(author)):
        source = urlsplit(member).path.rstrip("/").rsplit("/", 1)[-1]  # one URL, one slug
    slug = slugify(source, max_length=SLUG_MAX, word_boundary=True) or "author"
    return f"{AUTHORS_DIR}/{slug}-{digest}.html"


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a post's text on one line, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return f"{cut}…"


def _timestamp(iso: str | None) -> float | None:
    """The UTC instant of an ISO 8601 time (times carry the board's offset), or None."""
    try:
        return datetime.fromisoformat(iso).timestamp() if iso else None
    except ValueError:
        return None


def _oldest_first(iso: str | None) -> tuple[int, float]:
    stamp = _timestamp(iso)
    return (1, 0.0) if stamp is None else (0, stamp)


def _newest_first(iso: str | None) -> tuple[int, float]:
    stamp = _timestamp(iso)
    return (1, 0.0) if stamp is None else (0, -stamp)


@dataclass(frozen=True)
class Participant:
    """One author of a thread, as its participants list shows them."""

    name: str
    page: str  # their author page, from the site's root
    posts: int
    first_post: str | None  # ISO 8601
    last_post: str | None
    first_href: str  # their first post here: "<page file>#<anchor>", from the thread's folder


@dataclass(frozen=True)
class AuthorPost:
    """One post on an author's page."""

    thread_title: str
    thread_href: str  # the thread's first page, from the site's root
    href: str  # the post's page and anchor, from the site's root
    number: int
    published: str | None
    board_language: str
    snippet: str
    lang: str
    dir: str
    removed_upstream_at: str | None


@dataclass
class AuthorRecord:
    """Everything the site knows of one author, gathered thread by thread."""

    page: str
    name: str  # the name on their latest post
    host: str
    profile_url: str | None
    posts: list[AuthorPost] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)  # the language of each thread they wrote in


def _post_places(view: ThreadView) -> dict[str, str]:
    """Each post id's "<page file>#<anchor>" in the thread's folder."""
    return {post.id: f"{page.file}#{post.anchor}" for page in view.pages for post in page.posts}


def thread_participants(thread: ArchivedThread, view: ThreadView) -> list[Participant]:
    """The thread's authors, most posts first (then first to post), with their own counts."""
    places = _post_places(view)
    grouped: dict[str, list[ArchivedPost]] = {}
    for post in sorted(thread.posts, key=lambda p: p.position):
        grouped.setdefault(author_page(post.author, thread.thread.url), []).append(post)
    people = []
    for page, posts in grouped.items():
        times = sorted((p.published for p in posts if p.published), key=_oldest_first)
        people.append(
            Participant(
                name=posts[-1].author.name,
                page=page,
                posts=len(posts),
                first_post=times[0] if times else None,
                last_post=times[-1] if times else None,
                first_href=places.get(posts[0].id, ""),
            )
        )
    order = {page: index for index, page in enumerate(grouped)}
    return sorted(people, key=lambda p: (-p.posts, order[p.page]))


@dataclass(frozen=True)
class AuthorContribution:
    """One post of a thread as its author's page lists it, with what it says of the author.

    A thread's contributions are kept between builds (build_cache.py): an author page can be
    made again without reading the threads that did not change.
    """

    page: str
    name: str  # the name on this post
    host: str
    profile_url: str  # "" when the post links no member page
    post: AuthorPost
    lang: str  # the thread's language


def thread_author_posts(thread: ArchivedThread, view: ThreadView) -> list[AuthorContribution]:
    """The thread's posts for their authors' pages, in thread order."""
    places = _post_places(view)
    views = {post.id: post for page in view.pages for post in page.posts}
    summary = view.summary
    host = urlsplit(thread.thread.url).netloc.lower()
    contributions = []
    for post in sorted(thread.posts, key=lambda p: p.position):
        shown = views.get(post.id)
        contributions.append(
            AuthorContribution(
                page=author_page(post.author, thread.thread.url),
                name=post.author.name,
                host=host,
                profile_url=_member_url(post.author),
                post=AuthorPost(
                    thread_title=summary.title,
                    thread_href=summary.href,
                    href=f"{summary.href.rsplit('/', 1)[0]}/{places.get(post.id, 'index.html')}",
                    number=post.position,
                    published=post.published,
                    board_language=summary.board_language,
                    snippet=snippet(post.content_text),
                    lang=shown.lang if shown else summary.lang,
                    dir=shown.dir if shown else summary.dir,
                    removed_upstream_at=post.removed_upstream_at,
                ),
                lang=summary.lang,
            )
        )
    return contributions


@dataclass
class AuthorIndex:
    """Every author of the site, filled one thread at a time while the pages are written."""

    authors: dict[str, AuthorRecord] = field(default_factory=dict)

    def add(self, contributions: list[AuthorContribution]) -> None:
        """Add one thread's posts to their authors' records."""
        for item in contributions:
            record = self.authors.setdefault(
                item.page,
                AuthorRecord(page=item.page, name=item.name, host=item.host, profile_url=None),
            )
            record.name = item.name
            record.profile_url = item.profile_url or record.profile_url
            record.posts.append(item.post)
            record.langs.append(item.lang)

    def records(self) -> list[AuthorRecord]:
        """The authors by page, each with their posts newest first."""
        for record in self.authors.values():
            record.posts.sort(key=lambda p: _newest_first(p.published))
        return [self.authors[page] for page in sorted(self.authors)]
