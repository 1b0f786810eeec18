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
import pickle
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
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
    # Asked three times per post (its heading, the participants, the author pages), and
    # slugify is slow: a thread has far fewer authors than posts.
    return _author_page(author.name, author.url, author.member_id, thread_url)


@lru_cache(maxsize=4096)
def _author_page(name: str, url: str | None, member_id: str | None, thread_url: str) -> str:
    author = Author(name=name, url=url, member_id=member_id)
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


class AuthorStore:
    """Every author's posts, kept on disk between builds: an SQLite file in the build cache.

    An author page needs one line per post across every thread, which held in memory grows
    with the archive (100,000 lines at 100,000 posts). Here a thread's lines are replaced
    when the thread is rebuilt, and only the authors whose lines changed are marked to be
    rendered again; a page is read back one author at a time. The marks are stored too, so
    a build stopped half-way still renders them next time.
    """

    def __init__(self, path: Path, signature: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a lost cache only costs a full build
        self._db.executescript(_SCHEMA)
        kept = self._db.execute("SELECT value FROM meta WHERE name = 'signature'").fetchone()
        if kept is None or kept[0] != signature:
            # Another theme, settings or code: every thread is read again, and so every
            # author is marked.
            self._db.executescript("DELETE FROM threads; DELETE FROM posts;")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('signature', ?)", (signature,))

    @classmethod
    def reader(cls, path: Path) -> AuthorStore:
        """The store at `path` opened to read only (`record`), as another process may."""
        store = cls.__new__(cls)
        store.path = path
        store._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        return store

    def close(self) -> None:
        self._db.close()

    def has_thread(self, key: str, fingerprint: str) -> bool:
        """Whether the store holds the thread's posts as of `fingerprint`."""
        row = self._db.execute("SELECT fingerprint FROM threads WHERE key = ?", (key,)).fetchone()
        return row is not None and row[0] == fingerprint

    def replace_thread(
        self, key: str, fingerprint: str | None, contributions: list[AuthorContribution]
    ) -> None:
        """Keep the thread's posts instead of those it had; mark the authors whose lines
        changed. Without a fingerprint the thread is rebuilt by every build."""
        rows = [
            (item.page, key, index, item.name, item.host, item.profile_url, item.lang,
             pickle.dumps(item.post))
            for index, item in enumerate(contributions)
        ]  # fmt: skip
        with self._transaction():
            before = self._thread_digests(key)
            self._db.execute("DELETE FROM posts WHERE thread = ?", (key,))
            self._db.executemany("INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            # From the rows, in position order, as the store would give them back: reading
            # the thread's rows again cost as much as writing them.
            after = _page_digests((page, name, url, lang, entry)
                                  for page, _, _, name, _, url, lang, entry in rows)  # fmt: skip
            self._mark({page for page in before.keys() | after.keys()
                        if before.get(page) != after.get(page)})  # fmt: skip
            self._db.execute(
                "INSERT OR REPLACE INTO threads VALUES (?, ?)", (key, fingerprint or "")
            )

    def keep_only(self, keys: set[str]) -> None:
        """Forget the threads that are no longer in the archive (or no longer readable)."""
        gone = [row[0] for row in self._db.execute("SELECT key FROM threads")
                if row[0] not in keys]  # fmt: skip
        for key in gone:
            with self._transaction():
                self._mark(set(self._thread_digests(key)))
                self._db.execute("DELETE FROM posts WHERE thread = ?", (key,))
                self._db.execute("DELETE FROM threads WHERE key = ?", (key,))

    def pages(self) -> list[str]:
        """Every author's page, sorted."""
        return [row[0] for row in self._db.execute("SELECT DISTINCT page FROM posts ORDER BY page")]

    def stale(self) -> set[str]:
        """The author pages marked to be rendered again."""
        return {row[0] for row in self._db.execute("SELECT page FROM stale")}

    def rendered(self, page: str) -> None:
        """`page` is written as the store holds it now."""
        self._db.execute("DELETE FROM stale WHERE page = ?", (page,))

    def record(self, page: str) -> AuthorRecord | None:
        """The author of `page`, with their posts newest first; None when they have none."""
        record: AuthorRecord | None = None
        for name, host, profile_url, lang, entry in self._db.execute(
            "SELECT name, host, profile_url, lang, entry FROM posts WHERE page = ?"
            " ORDER BY thread, position",
            (page,),
        ):
            if record is None:
                record = AuthorRecord(page=page, name=name, host=host, profile_url=None)
            record.name = name  # the name on their latest post
            record.profile_url = profile_url or record.profile_url
            record.posts.append(pickle.loads(entry))
            record.langs.append(lang)
        if record is not None:
            record.posts.sort(key=lambda p: _newest_first(p.published))
        return record

    def _thread_digests(self, key: str) -> dict[str, bytes]:
        """Per author page, a digest of the thread's lines for it."""
        return _page_digests(self._db.execute(
            "SELECT page, name, profile_url, lang, entry FROM posts WHERE thread = ?"
            " ORDER BY position",
            (key,),
        ))  # fmt: skip

    def _mark(self, pages: set[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO stale VALUES (?)", [(p,) for p in pages])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _page_digests(rows: Iterable[tuple[str, str, str, str, bytes]]) -> dict[str, bytes]:
    """Per author page, a digest of a thread's `rows` for it (page, name, profile URL,
    language, pickled AuthorPost), in position order."""
    digests: dict[str, Any] = {}
    for page, name, profile_url, lang, entry in rows:
        digest = digests.setdefault(page, hashlib.sha256())
        digest.update(repr((name, profile_url, lang)).encode())
        digest.update(entry)
    return {page: digest.digest() for page, digest in digests.items()}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS threads (key TEXT PRIMARY KEY, fingerprint TEXT);
CREATE TABLE IF NOT EXISTS posts (page TEXT, thread TEXT, position INTEGER, name TEXT,
    host TEXT, profile_url TEXT, lang TEXT, entry BLOB);
CREATE INDEX IF NOT EXISTS posts_page ON posts (page, thread, position);
CREATE INDEX IF NOT EXISTS posts_thread ON posts (thread);
CREATE TABLE IF NOT EXISTS stale (page TEXT PRIMARY KEY);
"""
