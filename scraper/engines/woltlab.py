"""WoltLab Burning Board (WBB 5.x on WoltLab Suite Core 3.x-6.x): thread pages as guests see them.

What a page gives and where it comes from:

- Thread: the thread id from the URL (`/thread/ID-slug/`, with `?pageNo=N` for page N, the
  board's folder before it; also the unrewritten `index.php?thread/ID-slug/`); a post
  permalink (`?postID=N#postN`) names the thread too. The title from `.contentTitle`, the
  breadcrumb from `.breadcrumbs`, `<html lang>`.
- Pages: `<link rel="next">` in the head (WSC writes it for every page but the last), and the
  pagination: WSC 6's `woltlab-core-pagination[page][count]`, WSC 3-5's `nav.pagination`
  (`data-pages`, its `li.active`).
- Posts: `article.wbbPost[data-post-id]`; the position from its shown number ("#N" in
  `.messageQuickOptions`); the author from `.messageAuthor` (`a.username`, member id from
  `data-object-id` or `/user/ID-name/`), the avatar, the "Posts" count of `.userCredits`.
- Times: `.messagePublicationTime time[datetime]` (ISO 8601 with the board's offset), its
  text as shown; the edit note `.wbbPostEditNote`.
- Content: `.messageText` made canonical: quotes (`blockquote.quoteBox`, the quoted post in
  its `cite` / title link `?postID=N#postN`, `.quoteBoxContent`), code (`.codeBox pre`),
  spoilers (`.spoilerBox`), players; attachments at full size: `/attachment/ID-name/`
  (thumbnails add `?thumbnail=1` or `?tiny=1`), named by the attachment list under the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape as html_unescape
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import LayoutChanged
from ..lazy_pattern import lazy_regex
from ..records import Author, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import canonical, post_content
from .base import (
    Cursor,
    Engine,
    Request,
    Response,
    absolutize_urls,
    board_number,
    fill_positions,
    node_text,
    one_line,
    page_tree,
)
from .claims import URL_PATTERNS
from .dates import iso_from_machine_time
from .walls import check_not_a_wall


@dataclass(frozen=True)
class Selectors:
    """Where WBB's threadPostList and WSC's message templates put each thing."""

    post: str = "article.wbbPost[data-post-id]"
    body: str = ".messageText"
    number: str = ".messageQuickOptions a, .messageHeader .messageNumber"
    author_link: str = ".messageAuthor a.username"
    author_name: str = ".messageAuthor .username"
    avatar: str = ".messageAuthor .userAvatar img"
    credits: str = ".userCredits dl"
    date: str = ".messagePublicationTime time[datetime], .messageHeader time[datetime]"
    edit_note: str = ".wbbPostEditNote"
    attachments: str = ".attachmentThumbnailList a[href], .attachmentFileList a[href]"
    title: str = ".contentTitle"
    breadcrumb: str = ".breadcrumbs a[href]"
    next_link: str = 'link[rel="next"][href]'
    pagination_6: str = "woltlab-core-pagination[count]"
    pagination: str = "nav.pagination[data-pages]"
    quote: str = "blockquote.quoteBox"
    quote_title: str = ".quoteBoxTitle"
    quote_content: str = ".quoteBoxContent"
    code: str = ".codeBox"
    spoiler: str = ".spoilerBox"
    chrome: str = ("script, style, noscript, .messageSignature, .toggleButton, "
                   ".codeBoxHeader, .quoteBoxIcon")


SELECTORS = Selectors()

_THREAD = lazy_regex(r"(?:^|/|\?/?)thread/(?P<id>[0-9]+)(?:-[^/?#&]*)?/?")
_MEMBER = lazy_regex(r"/user/([0-9]+)(?:-|/|$)")
_QUOTED_POST = lazy_regex(r"[?&]postID=([0-9]+)|#post([0-9]+)")
_ATTACHMENT = lazy_regex(r"/attachment/([0-9]+)(?:-[^/?#&]*)?/?$")
# Page-picking and session parameters: a thread page URL keeps none of them.
_DROPPED_PARAMETERS = frozenset({"pageNo", "postID", "s", "highlight", "objectIDs"})
# "Quote from NAME" in WSC's language packs, for the quoted author.
_QUOTE_FROM = lazy_regex(r"^(?:Quote from|Zitat von|اقتباس من|ציטוט של|Citation de|Cita de)\s+",
                         re.I)
_NEXT_LINK = lazy_regex(r"""<link\s+rel=["']next["']\s+href=["']([^"']+)["']""", re.I)
_POSTS_LABELS = frozenset({"posts", "beiträge", "المشاركات", "مشاركات", "הודעות", "messages"})

_DETECTION_MARKERS = (
    ("body-data-application-wbb", lazy_regex(r'<body[^>]*\bdata-application="wbb"')),
    ("body-tpl_wbb", lazy_regex(r'<body[^>]*\bid="tpl_wbb_')),
    ("wbbPost", lazy_regex(r'class="[^"]*\bwbbPost\b')),
    ("js-WCF_PATH", lazy_regex(r"\bWCF_PATH\s*=")),
    ("js-SECURITY_TOKEN", lazy_regex(r"\bSECURITY_TOKEN\s*=")),
    ("woltlab-link", lazy_regex(r'href="https?://(?:www\.)?woltlab\.com')),
)


def _split(url: str) -> tuple[str, str, list[tuple[str, str]]]:
    """(scheme://host + path, the unrewritten route in the query or "", other parameters)."""
    parts = urlsplit(url)
    unrewritten = parts.query.startswith(("thread/", "/thread/"))
    route, _, rest = parts.query.partition("&") if unrewritten else ("", "", parts.query)
    base = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
    return base, route, parse_qsl(rest, keep_blank_values=True)


def attachment_url(url: str) -> str | None:
    """`.../attachment/ID-name/` (no `thumbnail`/`tiny`) for a WSC attachment URL, else None."""
    parts = urlsplit(url)
    if _ATTACHMENT.search(parts.path) is None:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class WoltLab(Engine):
    """WoltLab Burning Board 5.x thread pages."""
    summary = "WoltLab Burning Board 5.x (WoltLab Suite Forum)"
    cookie_prefixes = ("wsc_", "wcf_", "wsc3", "wcf2")

    name = "woltlab"
    pattern = URL_PATTERNS["woltlab"]
    example = "https://forum.example/thread/123-some-title/"
    marker_patterns = _DETECTION_MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/thread/123-some-title/",
        "https://forum.example/thread/123-some-title/?pageNo=2",
        "https://forum.example/forum/thread/123-some-title/?postID=456#post456",
        "https://forum.example/forum/index.php?thread/123-some-title/&pageNo=3",
        "https://forum.example/thread/123/",
    )

    def first_page_url(self, url: str) -> str:
        if not self.matches(url):  # a URL of another shape (detected by its page)
            return urlunsplit(urlsplit(url)._replace(fragment=""))
        base, route, parameters = _split(url)
        kept = [(k, v) for k, v in parameters if k not in _DROPPED_PARAMETERS]
        query = "&".join(filter(None, (route, urlencode(kept))))
        return f"{base}?{query}" if query else base

    def next_request(self, response: Response, cursor: Cursor | None) -> Request | None:
        """The head's `<link rel="next">`, read from the raw page (the last page has none)."""
        found = _NEXT_LINK.search(response.text)
        if found is None:
            return None
        try:
            url = urlunsplit(urlsplit(urljoin(response.final_url, html_unescape(found.group(1))))
                             ._replace(fragment=""))
        except ValueError:
            return None  # `read` says what is wrong with it
        page = board_number(dict(_split(url)[2]).get("pageNo", ""))
        return Request(url, page) if page else None

    def member_id(self, profile_url: str | None) -> str | None:
        found = _MEMBER.search(profile_url or "")
        return found.group(1) if found else None

    def post_url(self, page_url: str, post_id: str) -> str:
        first = self.first_page_url(page_url)
        return f"{first}{'&' if '?' in first else '?'}postID={post_id}#post{post_id}"

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        nodes = tree.css(SELECTORS.post)
        if not nodes:
            check_not_a_wall(tree, url)
            raise LayoutChanged(f"found no posts ({SELECTORS.post}) on {url}: not a WoltLab "
                                "Burning Board thread page, or its style changed the markup")
        thread = self._thread(tree, url)
        current, last = _pages(tree, url)
        posts = [self._post(node, url) for node in nodes]
        shown = [board_number(n.text(strip=True).lstrip("#")) if (
            n := node.css_first(SELECTORS.number)) is not None else None for node in nodes]
        fill_positions(posts, shown, 0)
        next_link = tree.css_first(SELECTORS.next_link)
        next_url = None
        if next_link is not None and current < last:
            next_url = urlunsplit(urlsplit(urljoin(url, next_link.attributes.get("href") or ""))
                                  ._replace(fragment=""))
        return ParsedPage(thread=thread, page_number=current, posts=posts, next_url=next_url,
                          last_page=last)

    def _thread(self, tree: LexborHTMLParser, url: str) -> ThreadInfo:
        canonical_link = tree.css_first('link[rel="canonical"]')
        source = url if self.matches(url) else (
            (canonical_link.attributes.get("href") or "") if canonical_link is not None else "")
        found = _THREAD.search(urlsplit(source).path) or _THREAD.search(urlsplit(source).query)
        if found is None or not self.matches(source):
            raise LayoutChanged(f"neither {url} nor its canonical link names a WoltLab thread")
        return post_content.thread_info(tree, found.group("id"), self.first_page_url(source),
                                        SELECTORS.title, SELECTORS.breadcrumb)

    def _post(self, node: LexborNode, url: str) -> ParsedPost:
        post_id = node.attributes.get("data-post-id") or ""
        body = node.css_first(SELECTORS.body)
        if not post_id.isdecimal() or body is None:
            raise LayoutChanged(f"a post on {url} has no data-post-id or no content "
                                f"({SELECTORS.body})")
        absolutize_urls(node, url)
        quotes = _canonical_quotes(body)  # first: a quote header's images are no attachments
        listed = post_content.listed_attachments(node.css(SELECTORS.attachments),
                                                 attachment_url)
        assets = post_content.add_listed(
            post_content.take_assets(body, attachment_url, listed), listed)
        post_content.replace_code_blocks(body.css(SELECTORS.code),
                                         lambda block: block.css_first("pre") or block)
        _canonical_spoilers(body)
        embeds = post_content.finish(body, SELECTORS.chrome)
        date = node.css_first(SELECTORS.date)
        note = node.css_first(SELECTORS.edit_note)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions
            author=self._author(node),
            published=iso_from_machine_time(date.attributes.get("datetime") or "")
            if date is not None else None,
            published_text=one_line(date.text()) if date is not None else "",
            edited=iso_from_machine_time(edited.attributes.get("datetime") or "")
            if (edited := note.css_first("time[datetime]") if note is not None else None)
            else None,
            edited_text=one_line(note.text()) if note is not None else "",
            edited_by=one_line(editor.text()) if (
                editor := note.css_first("a.userLink") if note is not None else None) else "",
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            quotes=quotes,
            embeds=embeds,
            assets=assets,
        )

    def _author(self, node: LexborNode) -> Author:
        link = node.css_first(SELECTORS.author_link)
        count = None
        for box in node.css(SELECTORS.credits):
            for term in box.css("dt"):
                value = term.next
                while value is not None and value.tag != "dd":
                    value = value.next
                if value is not None and one_line(term.text()).lower() in _POSTS_LABELS:
                    count = board_number(value.text(strip=True))
        if link is None:  # a guest: a name, no profile
            name = node.css_first(SELECTORS.author_name)
            return Author(one_line(name.text()) if name is not None else "", message_count=count)
        profile = link.attributes.get("href") or ""
        avatar = node.css_first(SELECTORS.avatar)
        avatar_url = (avatar.attributes.get("src") or "") if avatar is not None else ""
        member = link.attributes.get("data-object-id") or link.attributes.get("data-user-id")
        return Author(
            name=one_line(link.text()), url=profile,
            avatar_url=avatar_url if "/images/avatars/" in avatar_url
            and "avatar-default" not in avatar_url else None,
            message_count=count,
            member_id=member if member and member.isdecimal() else self.member_id(profile))


def _pages(tree: LexborHTMLParser, url: str) -> tuple[int, int]:
    """(current page, last page): WSC 6's pagination element, WSC 3-5's nav, else the URL."""
    in_url = dict(_split(url)[2]).get("pageNo", "1")
    current = board_number(in_url) or 1
    modern = tree.css_first(SELECTORS.pagination_6)
    if modern is not None:
        page = board_number(modern.attributes.get("page") or "") or current
        return page, max(page, board_number(modern.attributes.get("count") or "") or page)
    nav = tree.css_first(SELECTORS.pagination)
    if nav is not None:
        active = nav.css_first("li.active")
        page = (board_number(active.text(strip=True)) if active is not None else None) or current
        return page, max(page, board_number(nav.attributes.get("data-pages") or "") or page)
    return current, current


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    return post_content.canonical_quotes(body.css(SELECTORS.quote), _quote_of,
                                         SELECTORS.quote_content)


def _quote_of(block: LexborNode) -> Quote:
    """The quoted post from the quote's `cite` or title link, the author from its title."""
    title = block.css_first(SELECTORS.quote_title)
    author = _QUOTE_FROM.sub("", one_line(title.text())) if title is not None else ""
    links = [block.attributes.get("cite") or ""]
    if title is not None:
        links += [a.attributes.get("href") or "" for a in title.css("a[href]")]
    post_id = None
    for link in links:
        if found := _QUOTED_POST.search(link):
            post_id = found.group(1) or found.group(2)
            break
    return Quote(author=author, post_id=post_id)


def _canonical_spoilers(body: LexborNode) -> None:
    for box in reversed(body.css(SELECTORS.spoiler)):
        toggle = box.css_first(".jsSpoilerToggle, .spoilerBoxHeader")
        content = box.css_first(".spoilerBoxContent") or box
        canonical.replace_with_html(box, canonical.spoiler_html(
            one_line(toggle.text()) if toggle is not None else "",
            (content.inner_html or "").strip()))


detection_markers = WoltLab.markers  # which of WoltLab's page markers `html` carries
