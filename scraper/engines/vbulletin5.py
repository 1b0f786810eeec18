"""vBulletin 5 (Connect, 5.x and 6.x) topic pages, as the default style renders them to guests.

What a page gives and where it comes from:

- Thread: the node id from the URL (`/forum/CHANNEL/.../ID-slug[/pageN]`, the default
  channel URLs under the root channel `forum`; a `?p=N#postN` permalink keeps the topic's
  path, so it names the thread too); the title from the page-title widget's `h1`, the
  breadcrumb from `#breadcrumbs`, the language from `<html lang>`.
- Pages: the page toolbar's "Page N of M" (`input.js-pagenum`, `span.pagetotal`) and its
  next button (`a.js-pagenav-next-button`, hidden with `h-hide-imp` on the last page).
- Posts: `li.b-post[data-node-id]` in `ul.conversation-list` (the starter and its replies
  alike); the position from the shown `a.b-post__count` "#N"; the author from the post's
  `b-userinfo` block (`/member/ID-name` gives the member id), the avatar, "Posts:" count.
- Times: `data-node-publishdate` is the post's unix time: exact, in UTC. The shown text of
  `.b-post__timestamp time` is kept as `published_text`.
- Content: `.js-post__content-text` made canonical: quotes (`div.bbcode_container >
  div.bbcode_quote`, "Originally Posted by NAME" and a `?p=N#postN` link to the quoted
  post), code boxes (`pre.bbcode_code`), players, attachments at full size: vBulletin 5
  serves every upload at `filedata/fetch?id=N` (thumbnails add `&type=thumb`); the
  `b-post-attachments` list under the content names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import LayoutChanged
from ..lazy_pattern import lazy_regex
from ..records import Author, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import post_content
from .base import (
    Cursor,
    Engine,
    Request,
    Response,
    absolutize_urls,
    board_number,
    fill_positions,
    next_link_href,
    node_text,
    one_line,
    page_tree,
)
from .claims import NOT_OTHER_BOARDS, URL_PATTERNS
from .dates import iso_from_machine_time, iso_from_unix
from .walls import check_not_a_wall


@dataclass(frozen=True)
class Selectors:
    """Where vBulletin 5's default style puts each part of a topic page."""

    post: str = "ul.conversation-list > li.b-post[data-node-id]"
    body: str = ".js-post__content-text"
    count: str = "a.b-post__count"
    author_link: str = ".b-userinfo .author a[href]"
    author_name: str = ".b-userinfo .author"
    avatar: str = ".b-userinfo a.b-avatar img"
    extras: str = ".b-userinfo li.b-userinfo__additional-info"
    timestamp: str = ".b-post__timestamp time"
    attachments: str = ".b-post-attachments a[href]"
    title: str = ".page-title-widget h1"
    breadcrumb: str = "#breadcrumbs a.crumb-link[href]"
    current_page: str = "#thread-view-tab .pagenav-controls input.js-pagenum, input.js-pagenum"
    last_page: str = "#thread-view-tab .pagenav-controls .pagetotal, .pagenav-controls .pagetotal"
    next_button: str = "a.js-pagenav-next-button[href]"
    container: str = "div.bbcode_container"  # a quote's or a code box's
    quote_by: str = ".bbcode_postedby"
    quote_message: str = ".message"
    chrome: str = "script, style, noscript, .b-post-sm__signature, .signature, .axd"


SELECTORS = Selectors()

# The thread path: the root channel `forum`, sub-channels, then `ID-slug`, then `/pageN`
# (not another board's URL in a folder named `forum`: NOT_OTHER_BOARDS).
_THREAD_PATH = lazy_regex(
    r"^(?P<thread>(?:/[^?#]*)?/forum/" + NOT_OTHER_BOARDS
    + r"(?:[^/?#]+/)+(?P<id>[0-9]+)(?:-[^/?#]*)?)"
    r"(?:/page(?P<page>[0-9]+))?/?$")
_MEMBER = lazy_regex(r"/member/([0-9]+)(?:-|/|$)")
_QUOTED_POST = lazy_regex(r"[?&]p=([0-9]+)|#post([0-9]+)")
# "Originally Posted by" as the English, Arabic, Hebrew and German language packs word it.
_ORIGINALLY = lazy_regex(r"^(?:Originally Posted by|الرسالة الأصلية كتبت بواسطة|"
                         r"المشاركة الأصلية بواسطة|נכתב במקור על ידי|Zitat von)\s*", re.I)

_DETECTION_MARKERS = (
    ("meta-generator-5", lazy_regex(r'<meta\s+name="generator"\s+content="vBulletin [5-9]', re.I)),
    ("body-vb-page-body", lazy_regex(r'<body[^>]*\bid="vb-page-body"')),
    ("b-post-node", lazy_regex(r'data-node-id="[0-9]+"[^>]*class="b-post\b|'
                               r'class="b-post\b[^"]*"[^>]*data-node-id=')),
    ("conversation-list", lazy_regex(r'class="conversation-list\b')),
    ("js-pageData", lazy_regex(r"\bvar\s+pageData\s*=")),
    ("filedata-fetch", lazy_regex(r"/filedata/fetch\?")),
)


def _thread_path(url: str) -> re.Match[str] | None:
    return _THREAD_PATH.match(urlsplit(url).path)


def attachment_url(url: str) -> str | None:
    """`.../filedata/fetch?id=N` (thumbnail and cache parameters dropped) for an upload URL."""
    parts = urlsplit(url)
    if not parts.path.endswith("/filedata/fetch"):
        return None
    ids = parse_qs(parts.query).get("id")
    if not ids or not (ids[0].isascii() and ids[0].isdecimal()):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"id={ids[0]}", ""))


class VBulletin5(Engine):
    """vBulletin 5/6 topic pages (the default style)."""
    summary = "vBulletin 5.x and 6.x (vBulletin Connect)"
    cookie_prefixes = ()  # `bb_` cookies are vBulletin 3/4's too: they tell nothing apart

    name = "vbulletin5"
    pattern = URL_PATTERNS["vbulletin5"]
    example = "https://forum.example/forum/general/123-some-title"
    marker_patterns = _DETECTION_MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/forum/general/123-some-title",
        "https://forum.example/forum/general/123-some-title/page2",
        "https://forum.example/forum/general/news/123-some-title/page3#post456",
        "https://forum.example/forum/general/123-some-title?p=456#post456",
        "https://forum.example/community/forum/general/123-some-title/",
    )

    def first_page_url(self, url: str) -> str:
        found = _thread_path(url)
        parts = urlsplit(url)
        if found is None:  # a URL of another shape (detected by its page): read where it points
            return urlunsplit(parts._replace(fragment=""))
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}{found.group('thread')}"

    def next_request(self, response: Response, cursor: Cursor | None) -> Request | None:
        """The next button's page, read from the raw page (the last page's is `#`)."""
        href = next_link_href(response.text, "js-pagenav-next-button")
        if not href or href.startswith("#"):
            return None
        try:
            url = urlunsplit(urlsplit(urljoin(response.final_url, href))._replace(
                query="", fragment=""))
        except ValueError:
            return None  # `read` says what is wrong with it
        found = _thread_path(url)
        return Request(url, int(found.group("page"))) if found and found.group("page") else None

    def member_id(self, profile_url: str | None) -> str | None:
        found = _MEMBER.search(urlsplit(profile_url or "").path)
        return found.group(1) if found else None

    def post_url(self, page_url: str, post_id: str) -> str:
        """`?p=N#postN` on the topic's page (any page of it leads to the post)."""
        parts = urlsplit(page_url)
        return urlunsplit(parts._replace(query=f"p={post_id}", fragment=f"post{post_id}"))

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        nodes = tree.css(SELECTORS.post)
        if not nodes:
            check_not_a_wall(tree, url)
            raise LayoutChanged(f"found no posts ({SELECTORS.post}) on {url}: not a vBulletin 5 "
                                "topic page, or its style changed the post markup")
        thread = self._thread(tree, url)
        in_url = _thread_path(url)
        current = _number(tree.css_first(SELECTORS.current_page), "value") or int(
            in_url.group("page") if in_url is not None and in_url.group("page") else 1)
        last = _number(tree.css_first(SELECTORS.last_page)) or current
        posts = [self._post(node, url) for node in nodes]
        fill_positions(posts, [_number(node.css_first(SELECTORS.count)) for node in nodes],
                       0)
        return ParsedPage(thread=thread, page_number=current, posts=posts,
                          next_url=_next_url(tree, thread.url, current, last), last_page=last)

    def _thread(self, tree: LexborHTMLParser, url: str) -> ThreadInfo:
        source = url if _thread_path(url) is not None else _canonical_link(tree)
        found = _thread_path(source)
        if found is None:
            raise LayoutChanged(f"neither {url} nor its canonical link is a vBulletin 5 topic URL")
        return post_content.thread_info(tree, found.group("id"), self.first_page_url(source),
                                        SELECTORS.title, SELECTORS.breadcrumb)

    def _post(self, node: LexborNode, url: str) -> ParsedPost:
        post_id = node.attributes.get("data-node-id") or ""
        body = node.css_first(SELECTORS.body)
        if not post_id.isdecimal() or body is None:
            raise LayoutChanged(f"a post on {url} has no node id or no content "
                                f"({SELECTORS.body})")
        absolutize_urls(node, url)
        shown = node.css_first(SELECTORS.timestamp)
        quotes = _canonical_quotes(body)  # first: a quote header's images are no attachments
        listed = post_content.listed_attachments(node.css(SELECTORS.attachments),
                                                 attachment_url)
        assets = post_content.add_listed(
            post_content.take_assets(body, attachment_url, listed), listed)
        post_content.replace_code_blocks(_containers(body, "pre", "bbcode_code"),
                                         lambda block: block.css_first("pre.bbcode_code") or block)
        embeds = post_content.finish(body, SELECTORS.chrome)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions
            author=self._author(node),
            published=_published(node, shown),
            published_text=one_line(shown.text()) if shown is not None else "",
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            quotes=quotes,
            embeds=embeds,
            assets=assets,
        )

    def _author(self, node: LexborNode) -> Author:
        link = node.css_first(SELECTORS.author_link)
        avatar = node.css_first(SELECTORS.avatar)
        avatar_url = (avatar.attributes.get("src") or "") if avatar is not None else ""
        if "default_avatar" in avatar_url or not avatar_url.startswith("http"):
            avatar_url = ""
        count = None
        for extra in node.css(SELECTORS.extras):
            label = extra.css_first("label")
            value = extra.css_first("span")
            if label is not None and value is not None and label.text(strip=True).rstrip(
                    ":").lower() in ("posts", "المشاركات", "مشاركات", "הודעות"):
                count = board_number(value.text(strip=True))
        if link is None:  # a guest's post: a name, no profile
            name = node.css_first(SELECTORS.author_name)
            return Author(one_line(name.text()) if name is not None else "",
                          message_count=count)
        profile = link.attributes.get("href") or ""
        return Author(name=one_line(link.text()), url=profile, avatar_url=avatar_url or None,
                      message_count=count, member_id=self.member_id(profile))


def _published(node: LexborNode, shown: LexborNode | None) -> str | None:
    """The unix time vBulletin 5 puts on the post, else its `<time datetime>`: the board's
    local time with no zone (naive ISO 8601)."""
    unix = node.attributes.get("data-node-publishdate")
    if unix:
        return iso_from_unix(unix)
    machine = (shown.attributes.get("datetime") or "") if shown is not None else ""
    return iso_from_machine_time(machine) if machine else None


def _canonical_link(tree: LexborHTMLParser) -> str:
    link = tree.css_first('link[rel="canonical"]')
    return (link.attributes.get("href") or "") if link is not None else ""


def _number(node: LexborNode | None, attribute: str | None = None) -> int | None:
    if node is None:
        return None
    text = (node.attributes.get(attribute) or "") if attribute else node.text(strip=True)
    return board_number(text.lstrip("#"))


def _next_url(tree: LexborHTMLParser, thread_url: str, current: int, last: int) -> str | None:
    """The next button's page, where it is shown (the last page hides it); else page N + 1."""
    if current >= last:
        return None
    for button in tree.css(SELECTORS.next_button):
        href = urljoin(thread_url, button.attributes.get("href") or "")
        if "h-hide-imp" in (button.attributes.get("class") or "").split():
            continue
        if _thread_path(href) is not None:
            return urlunsplit(urlsplit(href)._replace(query="", fragment=""))
    return f"{thread_url}/page{current + 1}"


def _containers(body: LexborNode, tag: str, kind: str) -> list[LexborNode]:
    """The `div.bbcode_container` boxes whose own child is a `tag.kind` (a quote, a code box)."""
    return [box for box in body.css(SELECTORS.container)
            if any(child.tag == tag and kind in (child.attributes.get("class") or "").split()
                   for child in box.iter())]


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    return post_content.canonical_quotes(_containers(body, "div", "bbcode_quote"), _quote_of,
                                         SELECTORS.quote_message)


def _quote_of(block: LexborNode) -> Quote:
    """"Originally Posted by NAME" with a `?p=N#postN` link, or a quote of nobody named."""
    posted_by = block.css_first(SELECTORS.quote_by)
    if posted_by is None:
        return Quote(author="")
    name = posted_by.css_first("strong")
    author = one_line(name.text()) if name is not None else _ORIGINALLY.sub(
        "", one_line(posted_by.text()))
    post_id = None
    for link in posted_by.css("a[href]"):
        if found := _QUOTED_POST.search(link.attributes.get("href") or ""):
            post_id = found.group(1) or found.group(2)
    return Quote(author=author, post_id=post_id)


detection_markers = VBulletin5.markers  # which of vBulletin 5's page markers `html` carries
