"""Flarum 1.x discussions, read over its JSON:API as a guest's browser reads them.

What the API gives and where it comes from (Flarum's serializers and controllers):

- Thread URLs: `/d/ID-slug` and `/d/ID-slug/N` (N: a post number), under any folder the
  forum is installed in; `/d/ID` alone works too (Flarum adds the slug).
- Page 1 is `/api/discussions/ID`: `data` is the discussion (`title`, `slug`), and its
  `relationships.posts` lists the id of every post the guest may see, in post-number order
  (the stream); `included` carries the first 20 posts and their users. Page N after it
  is `/api/posts?filter[discussion]=ID&sort=number&page[offset]=20*(N-1)&page[limit]=20`,
  the 20 posts of the stream from there (`links.next` while more follow), the way Flarum's
  own list endpoint pages. A page's number is read from its URL alone, so a revisit of an
  earlier page (read with no cursor) files its posts where they were.
- Posts: `included`/`data` entries of type `posts` with `number`, `createdAt`, `editedAt`,
  `contentType` and, for comments, `contentHtml`; `relationships.user` names the author in
  `included` (`displayName`, `username`, `slug`, `avatarUrl`). Entries arrive in any order
  (real answers list post numbers out of order): a page's posts are sorted by number. A
  post's position is its number, which event posts also take (gaps are normal).
- Event posts (`discussionTagged`, `discussionRenamed`, `discussionStickied`,
  `discussionLocked`, ...) are not content: they are kept in the cursor's `events`, stored
  in thread.json (`cursor.events`: id, number, type, createdAt, user id and the event's
  `content`), never as posts.
- Content: `contentHtml` into the canonical form: a `<blockquote>` opening with a
  `a.PostMention[data-id]` (what the Quote button writes, flarum/mentions) quotes that
  post; uploads under `/assets/files/` (fof/upload) are attachments; twemoji images become
  their character; s9e MediaEmbed players become static embeds.
- Re-check: Flarum sends no validators, so a re-check asks for the discussion again (one
  request) and compares its stream with the ids already read: only pages holding new ids
  are fetched. Edits on page 1 show in that answer; edits further on are found by the
  revisits of earlier pages (their URLs are stable).

An HTML discussion page is read too, from the `script#flarum-json-payload` it preloads
(`apiDocument`: the same document as `/api/discussions/ID`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

from selectolax.lexbor import LexborNode

from ..errors import LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import Author, ParsedPage, ParsedPost, Quote, ThreadInfo
from ..urls import canonical_url, shown
from .api_posts import (
    as_dict,
    as_int,
    as_list,
    as_text,
    canonical_post,
    json_document,
    text_of,
    without_mention,
)
from .base import Cursor, Engine, Markers, Reading, Request, Response, one_line
from .claims import URL_PATTERNS
from .dates import iso_from_machine_time

PAGE_SIZE = 20  # posts of the stream in `included` and in each posts page (Flarum's own)
UPLOAD_PATHS = ("/assets/files/",)  # fof/upload's public files
PAYLOAD_SCRIPT = "flarum-json-payload"
MARKERS: Markers = (
    ("flarum-json-payload", lazy_regex(r'<script[^>]+id="flarum-json-payload"')),
    ("flarum-loading", lazy_regex(r'id="flarum-loading"')),
    ("flarum app", lazy_regex(r"flarum\.core\.app|var flarum = \{")),
)
_THREAD = URL_PATTERNS["flarum"]


class Flarum(Engine):
    """Flarum 1.x discussions over `/api/discussions/ID` and `/api/posts`."""

    name = "flarum"
    summary = "Flarum 1.x (JSON:API)"
    pattern = _THREAD
    example = "https://forum.example/d/123-some-title"
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/d/123-some-title",
        "https://forum.example/d/123-some-title/5",
        "https://forum.example/d/123",
        "https://forum.example/forum/d/123-some-title?page=2",
        "https://forum.example/api/discussions/123",
    )
    marker_patterns = MARKERS
    cookie_prefixes = ("flarum_",)

    def thread_id(self, url: str) -> str:
        return self._parts(url)[1]

    def first_page_url(self, url: str) -> str:
        """The discussion's API answer; a URL of another shape (a page the scraper told by
        its markers) stays itself: its preloaded payload is read."""
        if not self.matches(url):
            return canonical_url(url)
        root, discussion = self._parts(url)
        return f"{root}/api/discussions/{discussion}"

    def recheck_request(self, cursor: Cursor) -> Request:
        """The discussion again: its stream tells which posts are new (Flarum sends no
        validators, so nothing cheaper can tell)."""
        return Request(str(cursor["discussion_url"]), 1, cursor=cursor)

    def post_url(self, page_url: str, post_id: str) -> str:
        """The post's own API resource: Flarum's web permalinks name post numbers, not ids."""
        root = _api_root(page_url)
        return f"{root}/api/posts/{post_id}" if root else super().post_url(page_url, post_id)

    def member_id(self, profile_url: str | None) -> str | None:
        return None  # profiles are `/u/SLUG`: the id comes from the API (Author.member_id)

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        return _read_answer(html, url).page

    def read(self, response: Response, cursor: Cursor | None) -> Reading:
        answer = _read_answer(response.text, response.final_url)
        page = answer.page
        read_before = {as_text(i) for i in as_list(cursor.get("read"))} if cursor else set()
        events = _merged(as_list(cursor.get("events")) if cursor else [], answer.events)
        if answer.stream is not None:  # the discussion: a run starts here
            stream, skipped = answer.stream, False
        else:  # a posts page: the run started at the discussion, unless no cursor says so
            stream = [as_text(i) for i in as_list(cursor.get("stream"))] if cursor else []
            skipped = bool(cursor.get("skipped", True)) if cursor else True
            if stream:  # posts added since the discussion was read join its stream
                listed = set(stream)
                stream += [post_id for post_id in answer.ids if post_id not in listed]
        read_now = read_before | set(answer.ids)
        root, discussion = answer.root, page.thread.id
        following: Request | None = None
        if stream:
            unread = next((index for index, post_id in enumerate(stream)
                           if index >= page.page_number * PAGE_SIZE
                           and post_id not in read_now), None)
            if unread is not None:
                number = unread // PAGE_SIZE + 1
                skipped = skipped or number != page.page_number + 1
                following = Request(posts_page_url(root, discussion, number), number)
        elif answer.more:  # a page read with no cursor (a resumed run): follow the API
            following = Request(posts_page_url(root, discussion, page.page_number + 1),
                                page.page_number + 1)
        if not page.thread.title and cursor:  # a posts page without its discussion
            page.thread.title = as_text(cursor.get("title"))
            page.thread.url = as_text(cursor.get("thread_url")) or page.thread.url
        page.next_url = following.url if following else None
        if stream:
            page.last_page = (len(stream) - 1) // PAGE_SIZE + 1
        new_cursor: Cursor = {
            "discussion_url": f"{root}/api/discussions/{discussion}",
            "title": page.thread.title, "thread_url": page.thread.url,
            "url": response.final_url, "page": page.page_number, "last_page": page.last_page,
            "stream": stream, "read": sorted(read_now, key=_id_order), "skipped": skipped,
            "events": events,
        }
        # Whole only when this run read every page from the discussion to the last (a
        # re-check that skips pages read before cannot tell which posts are gone).
        return Reading(page=page, next=following, cursor=new_cursor,
                       complete=following is None and not skipped
                       and page.page_number == page.last_page)

    def _parts(self, url: str) -> tuple[str, str]:
        """The forum's root URL (scheme, host and folder) and the discussion id in `url`."""
        try:
            match = _THREAD.match(canonical_url(url))
        except UnsupportedUrl:
            match = None
        if match is None:
            raise UnsupportedUrl(f"{shown(url)} is not a Flarum discussion URL")
        discussion = (match.group("id") or match.group("api_id")).lstrip("0") or "0"
        return match.group("root"), discussion


def posts_page_url(root: str, discussion: str, number: int) -> str:
    """Page `number` (2 or more) of a discussion's posts, as Flarum's list endpoint pages."""
    return (f"{root}/api/posts?filter%5Bdiscussion%5D={quote(discussion)}&sort=number"
            f"&page%5Boffset%5D={(number - 1) * PAGE_SIZE}&page%5Blimit%5D={PAGE_SIZE}")


@dataclass
class _Answer:
    """One API answer read."""

    page: ParsedPage
    root: str  # the forum's root URL
    ids: list[str]  # of every post read in it, comments and events, in number order
    events: list[Cursor]  # the event posts' records
    stream: list[str] | None  # every post id of the discussion (None: a posts page)
    more: bool  # the answer says more posts follow it


def _api_root(url: str) -> str | None:
    """The forum's root URL, from one of its API URLs (None for another URL)."""
    match = re.match(r"^(https?://[^?#]*?)/api/(?:discussions|posts)(?:[/?#]|$)", url)
    return match.group(1) if match else None


def _read_answer(text: str, url: str) -> _Answer:
    document = json_document(text, url, PAYLOAD_SCRIPT)
    if "apiDocument" in document:  # an HTML page's preloaded payload
        document = as_dict(document.get("apiDocument"))
    data = document.get("data")
    included = [as_dict(item) for item in as_list(document.get("included"))]
    users = {as_text(item.get("id")): as_dict(item.get("attributes"))
             for item in included if item.get("type") == "users"}
    root = _api_root(url) or _web_root(url)
    if isinstance(data, dict) and data.get("type") == "discussions":
        discussion = as_text(data.get("id"))
        stream = [as_text(as_dict(ref).get("id")) for ref in
                  as_list(as_dict(as_dict(data.get("relationships")).get("posts")).get("data"))]
        stream = [post_id for post_id in stream if post_id]
        first = set(stream[:PAGE_SIZE])
        entries = [item for item in included if item.get("type") == "posts"
                   and as_text(item.get("id")) in first]
        attributes = as_dict(data.get("attributes"))
        number, more = 1, len(stream) > PAGE_SIZE
    elif isinstance(data, list):
        entries = [as_dict(item) for item in data if as_dict(item).get("type") == "posts"]
        query = parse_qs(urlsplit(url).query)
        discussion = (query.get("filter[discussion]") or [""])[0] or next(
            (as_text(as_dict(as_dict(as_dict(e.get("relationships")).get("discussion"))
                             .get("data")).get("id")) for e in entries), "")
        offset = as_int((query.get("page[offset]") or ["0"])[0]) or 0
        number, stream = offset // PAGE_SIZE + 1, None
        more = bool(as_text(as_dict(document.get("links")).get("next")))
        attributes = _discussion_attributes(included, discussion)
    else:
        raise LayoutChanged(f"{shown(url)} is no Flarum discussion or posts answer "
                            "(no `data` discussion or list of posts)")
    if not discussion.isdigit():
        raise LayoutChanged(f"{shown(url)} names no discussion id")
    entries.sort(key=lambda item: (as_int(as_dict(item.get("attributes")).get("number"))
                                   or 0, _id_order(as_text(item.get("id")))))
    posts, events = [], []
    for entry in entries:
        post = _post(entry, users, root, url)
        if isinstance(post, ParsedPost):
            posts.append(post)
        else:
            events.append(post)
    if not posts and not events and number == 1:
        raise LayoutChanged(f"{shown(url)}: the discussion shows no posts")
    thread = ThreadInfo(id=discussion, url=_web_url(root, discussion,
                                                    as_text(attributes.get("slug"))),
                        title=one_line(as_text(attributes.get("title"))))
    page = ParsedPage(thread=thread, page_number=number, posts=posts, next_url=None)
    return _Answer(page, root, [as_text(e.get("id")) for e in entries], events, stream, more)


def _web_url(root: str, discussion: str, slug: str) -> str:
    """The discussion's web URL: Flarum 1.x slugs start with the id (`7-some-title`),
    older ones do not."""
    if slug == discussion or slug.startswith(f"{discussion}-"):
        return f"{root}/d/{quote(slug, safe='-%')}"
    return f"{root}/d/{discussion}" + (f"-{quote(slug, safe='-%')}" if slug else "")


def _web_root(url: str) -> str:
    """The forum's root URL from a discussion's web URL (an HTML page read)."""
    match = _THREAD.match(url)
    if match is None:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return match.group("root")


def _discussion_attributes(included: list[dict[str, Any]], discussion: str) -> dict[str, Any]:
    """The discussion's attributes as a posts page includes them (`include=discussion`)."""
    for item in included:
        if item.get("type") == "discussions" and as_text(item.get("id")) == discussion:
            return as_dict(item.get("attributes"))
    return {}


def _post(entry: dict[str, Any], users: dict[str, dict[str, Any]], root: str,
          url: str) -> ParsedPost | Cursor:
    """A comment post as a ParsedPost; an event post as its record (for the cursor)."""
    post_id = as_text(entry.get("id"))
    attributes = as_dict(entry.get("attributes"))
    user_ref = as_dict(as_dict(as_dict(entry.get("relationships")).get("user")).get("data"))
    user_id = as_text(user_ref.get("id"))
    number = as_int(attributes.get("number"))
    if not post_id.isdigit() or number is None:
        raise LayoutChanged(f"{shown(url)}: a post without a numeric id and number")
    created = as_text(attributes.get("createdAt"))
    content_type = as_text(attributes.get("contentType"))
    if content_type != "comment":
        return {"id": post_id, "number": number, "type": content_type, "createdAt": created,
                "user_id": user_id or None, "content": attributes.get("content")}
    user = users.get(user_id, {})
    slug = as_text(user.get("slug")) or as_text(user.get("username"))
    author = Author(
        name=text_of(user, "displayName", "username") or "[deleted]",
        url=f"{root}/u/{quote(slug)}" if slug else None,
        avatar_url=as_text(user.get("avatarUrl")) or None,
        member_id=user_id or None)
    content = canonical_post(as_text(attributes.get("contentHtml")), f"{root}/",
                             _read_quote, UPLOAD_PATHS)
    edited = as_text(attributes.get("editedAt"))
    return ParsedPost(
        id=post_id, position=number, author=author,
        published=iso_from_machine_time(created) if created else None,
        published_text=created, content_html=content.html, content_text=content.text,
        edited=iso_from_machine_time(edited) if edited else None, edited_text=edited,
        quotes=content.quotes, embeds=content.embeds, assets=content.assets)


def _read_quote(block: LexborNode) -> tuple[Quote, LexborNode] | None:
    """A quote the Quote button wrote: `> @"Name"#pID` renders as a PostMention first."""
    mention = block.css_first("a.PostMention[data-id]")
    if mention is None:
        return None
    first = block.css_first("p")
    if first is None or first.css_first("a.PostMention[data-id]") is None:
        return None
    post_id = as_text(mention.attributes.get("data-id"))
    author = mention.text(strip=True).removeprefix("@")
    without_mention(block, mention)
    return Quote(author=author, post_id=post_id if post_id.isdigit() else None), block


def _merged(known: list[Any], found: list[Cursor]) -> list[Cursor]:
    """The event posts recorded so far and those just read, one record per id, by number."""
    events = {as_text(as_dict(e).get("id")): as_dict(e) for e in known}
    events.update((as_text(e["id"]), e) for e in found)
    return sorted(events.values(), key=lambda e: (as_int(e.get("number")) or 0,
                                                  _id_order(as_text(e.get("id")))))


def _id_order(post_id: str) -> tuple[int, str]:
    return (int(post_id), "") if post_id.isdigit() else (0, post_id)


__all__ = ["Flarum", "posts_page_url"]
