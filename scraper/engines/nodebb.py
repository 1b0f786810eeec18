"""NodeBB 1.x-3.x topics, read over its read API (`/api/topic/...`), as its own client does.

What the API gives and where it comes from (NodeBB's `public/openapi/read/topic/topic_id.yaml`
and the `ajaxify-data` real topic pages preload):

- Thread URLs: `/topic/ID/slug`, `/topic/ID/slug/N` (N: a post's index, not a page) and
  `/topic/ID`, under the forum's `relative_path` folder. Pages are
  `/api/topic/ID/slug?page=N`: the topic (`tid`, `title`, `slug` as `ID/slug`), its
  `posts` for that page and `pagination` (`currentPage`, `pageCount`). Without a slug the
  first request is the HTML page `/topic/ID` (NodeBB redirects it to the slugged URL; its
  API answers a redirect as a JSON string instead), read from its preloaded
  `script#ajaxify-data`, which is the same document.
- Posts: `pid`, `index` (0 for the topic's first post: position index + 1), `timestampISO`,
  `editedISO` ("" when never edited), `content` (HTML), `deleted`, and `user` (`uid`,
  `username`, `userslug`, `displayname`, `picture`). Deleted posts (`deleted: 1`, shown
  to moderators only) are left out; guest posts (uid 0) name no member.
- Content: the markdown plugin's HTML into the canonical form: the Quote button writes
  "@name said in [title](/post/PID):" before a `<blockquote>`: that paragraph names the
  quoted post and its author and is dropped; uploads under `/assets/uploads/` are
  attachments, emoji images (`img.emoji`) their character, iframe players static embeds.
- Re-check: NodeBB's API answers carry an ETag, so a re-check asks for the last page read
  conditionally: an unchanged thread costs one request answered 304.

A post's permalink is NodeBB's `/post/PID`, which leads to it on its page.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from selectolax.lexbor import LexborNode

from ..errors import LayoutChanged
from ..lazy_pattern import lazy_regex
from ..records import Author, ParsedPage, ParsedPost, Quote, ThreadInfo
from ..urls import canonical_url, page_url, shown
from .api_posts import as_dict, as_int, as_list, as_text, canonical_post, json_document, text_of
from .base import Engine, Markers, one_line
from .claims import URL_PATTERNS
from .dates import iso_from_machine_time

UPLOAD_PATHS = ("/assets/uploads/",)
PAYLOAD_SCRIPT = "ajaxify-data"
MARKERS: Markers = (
    ("ajaxify-data", lazy_regex(r'<script[^>]+id="ajaxify-data"')),
    ("nodebb body class", lazy_regex(r'<body[^>]+class="[^"]*\bpage-topic-[0-9]')),
    ("nodebb config", lazy_regex(r'"relative_path"\s*:|nodebb-plugin-|nodebb-theme-')),
)
_THREAD = URL_PATTERNS["nodebb"]


class NodeBB(Engine):
    """NodeBB topics over `/api/topic/ID/slug?page=N`."""

    name = "nodebb"
    summary = "NodeBB 1.x-3.x (read API)"
    pattern = _THREAD
    example = "https://forum.example/topic/123/some-title"
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/topic/123/some-title",
        "https://forum.example/topic/123/some-title/7",
        "https://forum.example/topic/123",
        "https://forum.example/forum/topic/123/some-title?page=2",
        "https://forum.example/api/topic/123/some-title?page=2",
    )
    marker_patterns = MARKERS
    cookie_prefixes = ("express.sid",)

    def first_page_url(self, url: str) -> str:
        """Page 1 from the API; a URL of another shape (a page the scraper told by its
        markers) stays itself: its ajaxify-data is read."""
        match = _THREAD.match(canonical_url(url))
        if match is None:
            return canonical_url(url)
        root, topic, slug = match.group("root"), self.thread_id(url), match.group("slug")
        if slug is None:
            return f"{root}/topic/{topic}"  # its HTML page: the slug is in its data
        return api_page_url(root, f"{topic}/{slug}", 1)

    def member_id(self, profile_url: str | None) -> str | None:
        return None  # profiles are `/user/SLUG`: the id comes from the API (Author.member_id)

    def post_url(self, page_url: str, post_id: str) -> str:
        return f"{_root(page_url)}/post/{post_id}"

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        document = json_document(html, url, PAYLOAD_SCRIPT)
        topic = as_text(document.get("tid"))
        slug = as_text(document.get("slug"))
        if not topic.isdigit() or not slug.startswith(f"{topic}/"):
            raise LayoutChanged(f"{shown(url)} is no NodeBB topic answer (no tid and slug)")
        root = _root(url, as_text(document.get("relative_path")))
        pagination = as_dict(document.get("pagination"))
        number = as_int(pagination.get("currentPage")) or 1
        pages = as_int(pagination.get("pageCount")) or number
        posts = [post for item in as_list(document.get("posts"))
                 if (post := _post(as_dict(item), root, url)) is not None]
        if not posts:
            raise LayoutChanged(f"{shown(url)}: page {number} of the topic shows no posts")
        thread = ThreadInfo(id=topic, url=f"{root}/topic/{slug}",
                            title=one_line(text_of(document, "titleRaw", "title")))
        following = api_page_url(root, slug, number + 1) if number < pages else None
        return ParsedPage(thread=thread, page_number=number, posts=posts,
                          next_url=following, last_page=pages)


def api_page_url(root: str, slug: str, number: int) -> str:
    """Page `number` of the topic whose NodeBB slug (`ID/title`) is `slug`, from its API."""
    return f"{root}/api/topic/{quote(slug, safe='/%')}?page={number}"


def _root(url: str, relative_path: str = "") -> str:
    """The forum's root URL: the origin and NodeBB's `relative_path` (read from the answer,
    else from the URL's path before /topic/ or /api/)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if relative_path.startswith("/"):
        return origin + relative_path.rstrip("/")
    found = re.match(r"^(.*?)(?:/api)?/(?:topic|post)/", parts.path)
    return origin + (found.group(1) if found else "")


def _post(item: dict[str, Any], root: str, url: str) -> ParsedPost | None:
    """One post of the answer; None for a deleted one (its content is not for guests)."""
    post_id = as_text(item.get("pid"))
    index = as_int(item.get("index"))
    if not post_id.isdigit() or index is None:
        raise LayoutChanged(f"{shown(url)}: a post without a numeric pid and index")
    if as_int(item.get("deleted")):
        return None
    user = as_dict(item.get("user"))
    uid = as_text(user.get("uid")) or as_text(item.get("uid"))
    slug = as_text(user.get("userslug"))
    picture = as_text(user.get("picture"))
    author = Author(
        name=text_of(user, "displayname", "username") or "Guest",
        url=f"{root}/user/{quote(slug)}" if slug and uid not in ("", "0") else None,
        avatar_url=page_url(picture, f"{root}/") if picture else None,
        member_id=uid if uid not in ("", "0") else None)
    content = canonical_post(as_text(item.get("content")), f"{root}/", _read_quote,
                             UPLOAD_PATHS)
    created, edited = as_text(item.get("timestampISO")), as_text(item.get("editedISO"))
    return ParsedPost(
        id=post_id, position=index + 1, author=author,
        published=iso_from_machine_time(created) if created else None,
        published_text=created, content_html=content.html, content_text=content.text,
        edited=iso_from_machine_time(edited) if edited else None, edited_text=edited,
        edited_by=text_of(as_dict(item.get("editor")), "displayname", "username")
        if edited else "",
        quotes=content.quotes, embeds=content.embeds, assets=content.assets)


_QUOTED_POST = lazy_regex(r"/post/([0-9]{1,15})(?:[/?#]|$)")


def _read_quote(block: LexborNode) -> tuple[Quote, LexborNode] | None:
    """A quote the Quote button wrote: the paragraph before it, "@name said in
    [title](/post/PID):", names the post; that paragraph is dropped."""
    before = block.prev
    while before is not None and before.tag == "-text" and not (before.text() or "").strip():
        before = before.prev
    if before is None or before.tag != "p":
        return None
    links = before.css("a[href]")
    target = _QUOTED_POST.search(links[-1].attributes.get("href") or "") if links else None
    if target is None or not (before.text() or "").rstrip().endswith(":"):
        return None
    author = links[0].text(strip=True).removeprefix("@") if len(links) > 1 else ""
    before.decompose()
    return Quote(author=author, post_id=target.group(1)), block


__all__ = ["NodeBB", "api_page_url"]
