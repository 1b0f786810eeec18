"""What the site-wide pages need, gathered one thread at a time while thread pages are written.

The author pages, the Atom feed and the about page each need something of every thread; the
generator hands each thread to `SitePages.add_thread` and writes those pages at the end, so
the archive is still read only once and never held whole in memory (only the feed's newest
entries and one short line per post for the author pages are kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import ArchivedThread
from .about import ThreadProvenance, thread_provenance
from .activity import activity_chart
from .authors import AuthorIndex, thread_participants
from .feed import DEFAULT_MAX_ENTRIES, FeedEntry, newest_entries, thread_feed_entries
from .views import ThreadExtras, ThreadView


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


@dataclass
class SitePages:
    """The site-wide pages' data, filled by `add_thread`."""

    feed_limit: int = DEFAULT_MAX_ENTRIES
    authors: AuthorIndex = field(default_factory=AuthorIndex)
    feed: list[FeedEntry] = field(default_factory=list)
    provenance: list[ThreadProvenance] = field(default_factory=list)

    def add_thread(self, thread: ArchivedThread, view: ThreadView) -> None:
        """Take what the author pages, the feed and the about page need of `thread`."""
        self.authors.add_thread(thread, view)
        self.feed = newest_entries([*self.feed, *thread_feed_entries(thread, view)],
                                   self.feed_limit)  # fmt: skip
        self.provenance.append(thread_provenance(thread, view.summary))
