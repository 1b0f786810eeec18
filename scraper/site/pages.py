"""What the site-wide pages need, gathered one thread at a time while thread pages are written.

The index, the search data, the Atom feed and the about page each need something of every
thread. The generator takes it from each thread as a `ThreadSiteData` (kept between builds,
so an unchanged thread is not read again: build_cache.py), hands it to `SitePages.add` and
writes those pages at the end. The archive is never held whole in memory: only a summary
per thread, the feed's newest entries and the search data are kept. Author pages, which
need a line per post, read theirs from disk (authors.AuthorStore).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import ArchivedThread
from .about import ThreadProvenance, thread_provenance
from .activity import activity_chart
from .authors import thread_participants
from .feed import DEFAULT_MAX_ENTRIES, FeedEntry, newest_entries, thread_feed_entries
from .offline_index import (
    KeptPosts,
    SearchData,
    SearchPost,
    SearchThread,
    posts_digest,
    thread_search_posts,
)
from .views import ThreadExtras, ThreadSummary, ThreadView


def thread_extras(
    thread: ArchivedThread, view: ThreadView, download_file: str, download_bytes: int
) -> ThreadExtras:
    """The chart, participants and download link shown at the head of a thread."""
    return ThreadExtras(
        activity=activity_chart(
            (post.published for post in thread.posts), rtl=view.summary.dir == "rtl"
        ),
        participants=thread_participants(thread, view),
        download_file=download_file,
        download_bytes=download_bytes,
    )


@dataclass(frozen=True)
class ThreadSiteData:
    """All the site-wide pages take from one thread, and the pages the thread has."""

    summary: ThreadSummary
    search_thread: SearchThread
    # Their `thread` is 0: SitePages.add numbers them. Taken from the build cache, they
    # stay in their file there until a build needs them (`KeptPosts`).
    search_posts: list[SearchPost] | KeptPosts
    # offline_index.posts_digest of them, kept with them: every build that writes any page
    # hashed every thread's text again for it (0.15 s of one at 100,000 posts).
    search_digest: str
    feed: list[FeedEntry]  # the thread's newest entries only: the feed takes no more
    provenance: ThreadProvenance
    pages: list[str]  # the thread's HTML pages (not permalink stubs), from the site's root

    @property
    def search_count(self) -> int:
        """How many search posts the thread has."""
        posts = self.search_posts
        return posts.count if isinstance(posts, KeptPosts) else len(posts)


def thread_site_data(
    thread: ArchivedThread, view: ThreadView, feed_limit: int = DEFAULT_MAX_ENTRIES
) -> ThreadSiteData:
    """What the site-wide pages need of `thread`, shown as `view`."""
    search_thread, search_posts = thread_search_posts(view)
    folder = view.summary.href.rsplit("/", 1)[0]
    return ThreadSiteData(
        summary=view.summary,
        search_thread=search_thread,
        search_posts=search_posts,
        search_digest=posts_digest(search_posts),
        feed=newest_entries(thread_feed_entries(thread, view), feed_limit),
        provenance=thread_provenance(thread, view.summary),
        pages=[f"{folder}/{page.file}" for page in view.pages],
    )


@dataclass
class SitePages:
    """The site-wide pages' data, filled by `add`."""

    feed_limit: int = DEFAULT_MAX_ENTRIES
    summaries: list[ThreadSummary] = field(default_factory=list)
    search: SearchData = field(default_factory=SearchData)
    feed: list[FeedEntry] = field(default_factory=list)
    provenance: list[ThreadProvenance] = field(default_factory=list)

    def add(self, data: ThreadSiteData) -> None:
        """Take one thread's part of the site-wide pages."""
        self.summaries.append(data.summary)
        self.search.add(data.search_thread, data.search_posts, data.search_digest)
        self.feed = newest_entries([*self.feed, *data.feed], self.feed_limit)
        self.provenance.append(data.provenance)
