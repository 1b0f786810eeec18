"""Paged engines whose pages may not number their posts (schema.org, selector profiles).

A board engine knows its page size or reads each post's shown number; a generic reader may
know neither. Such an engine counts instead: its cursor carries how many posts came before
the page it read (`first_index`) and before the next one (`next_index`), so a post with no
shown number is placed after the ones read before it, on this run's pages and on the next
run's re-check of the last page alike.
"""

from __future__ import annotations

from abc import abstractmethod

from ..records import ParsedPage
from .base import Cursor, Engine, Reading, Request, Response


class CountedPagesEngine(Engine):
    """An HTML engine that counts the posts of the pages it read (see the module)."""

    @abstractmethod
    def parse_counted(self, html: str, url: str, fetched_at: str | None,
                      first_index: int | None) -> ParsedPage:
        """Read one page; a post showing no number takes `first_index` + its place on the
        page (None: not known, the page's own guess)."""

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        return self.parse_counted(html, url, fetched_at, None)

    def read(self, response: Response, cursor: Cursor | None) -> Reading:
        if cursor and cursor.get("recheck"):  # the last page again: where it started before
            first_index: int | None = int(cursor["first_index"])
        elif cursor:
            first_index = int(cursor["next_index"])
        else:
            first_index = None
        page = self.parse_counted(response.text, response.final_url,
                                  response.fetched_at or None, first_index)
        if first_index is None:
            first_index = min((post.position for post in page.posts), default=1) - 1
        started_at = (cursor["started_at"] if cursor and not cursor.get("recheck")
                      else page.page_number)
        following = Request(page.next_url, page.page_number + 1) if page.next_url else None
        last_position = max((post.position for post in page.posts), default=first_index)
        return Reading(
            page=page,
            next=following,
            cursor={"page": page.page_number, "url": response.final_url,
                    "last_page": page.last_page, "started_at": started_at,
                    "first_index": first_index, "next_index": last_position},
            complete=following is None and started_at == 1,
        )

    def recheck_request(self, cursor: Cursor) -> Request:
        """The last page read, read with the count it had (its posts keep their places)."""
        if "first_index" not in cursor:
            return super().recheck_request(cursor)
        return Request(str(cursor["url"]), int(cursor["page"]),
                       cursor={**cursor, "recheck": True})
