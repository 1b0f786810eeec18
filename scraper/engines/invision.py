"""Invision Community 4.x boards (IPS, formerly IP.Board): topic pages as guests see them.

What a page gives and where it comes from:

- Thread: the topic id from the page (`data-quotedata`'s `contentid`, the comment feed's
  `data-feedID="topic-N"`, `<link rel="canonical">`), else from the URL; the title from
  `h1.ipsType_pageTitle` (its prefix tag apart); the breadcrumb from `ul[data-role=
  "breadcrumbList"]`; the board language from `<html lang>`.
- Pages: the current page from `li.ipsPagination_active`, the last from the list's
  `data-pages`, the next from `li.ipsPagination_next a` (not when `_inactive`). IPS 4 prints
  no post numbers: a post's position is `(page - 1) * per_page + its place on the page`, with
  `per_page` from the list's `data-ipsPagination-perPage` (IPS's default, 25, where absent).
- Posts: `article[id="elComment_N"]`; the author from `.cAuthorPane_author`, the member id
  from the profile link (`/profile/N-name/`) or `data-quotedata`'s `userid`; the avatar unless
  it is a generated letter (inline SVG, `default_photo`, letter-avatar plugins); the post
  count from `.cAuthorPane_stats` where the theme shows it.
- Times: `<time datetime>` (UTC, `Z`) gives ISO 8601 with an offset; else a unix
  `data-time`/`data-timestamp`, else `data-quotedata`'s `timestamp`; only then the shown text,
  read by `dates.parse_shown_date` (Invision's title formats `TITLE_FORMATS` first, relative
  forms against the fetch time) as a naive ISO time: Invision does not state the zone it shows
  guests, so the zone is unknown. The edit line
  (`Edited <time> by NAME`, inside the content) gives `edited`, `edited_text`, `edited_by`.
- Content: `div[data-role="commentContent"]` turned into the canonical HTML of `canonical.py`:
  quotes (`blockquote.ipsQuote`, quoted post from `data-ipsquote-contentcommentid`), code
  (`pre.ipsCode`), spoilers (`.ipsSpoiler`), embeds (`.ipsEmbeddedVideo`, `.ipsEmbeddedOther`,
  tweets); attachments and lazy images (`data-src` over the `spacer.png` placeholder) at full
  size; signatures, reactions, ads and buttons are outside it or removed.

URLs: friendly (`/topic/ID-slug/`, `/page/N/`), unfriendly (`index.php?/topic/ID-slug/`), the
raw 4.x route (`index.php?app=forums&module=forums&controller=topic&id=ID`) and 3.x
(`index.php?showtopic=ID`). A 3.x post permalink (`section=findpost&pid=N`) names no topic:
`thread_id` raises ValueError and the page it leads to names it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import ClassVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import AssetRef, Author, Embed, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import canonical
from .base import (
    Engine,
    absolutize_urls,
    node_text,
    page_tree,
    unique_assets,
)
from .claims import URL_PATTERNS
from .dates import PageDates, iso_from_machine_time, iso_from_unix
from .walls import check_not_a_wall, page_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selectors:
    """Where Invision Community 4.x's default theme puts each part of a topic page."""

    post: str = 'article[id^="elComment_"]'
    # Copies of posts shown again above the thread ("recommended", "popular"): not posts here.
    post_copies: str = '[data-role="recommendedComments"], [data-role="popularComments"]'
    comment: str = '[data-commentid]'
    content: str = 'div[data-role="commentContent"]'
    author_link: str = ".cAuthorPane_author a[href], .ipsComment_author a.ipsType_break"
    author_name: str = "aside .cAuthorPane_author, .cAuthorPane_author, .ipsComment_author"
    avatar: str = ".cAuthorPane_photo img, .ipsUserPhoto img"
    post_count: str = '.cAuthorPane_stats a[href*="/content"], .cAuthorPane_info li.ipsType_light'
    published: str = ".ipsComment_meta time, .cAuthorPane_mobile time, time"
    edit_line: str = "[data-excludequote], .ipsEdited, [data-el='edited']"
    title: str = "h1.ipsType_pageTitle, h1.ipsType_pageTitle span.ipsType_break, h1"
    title_prefix: str = "a.ipsTag_prefix, .ipsBadge"
    breadcrumb_links: str = 'nav.ipsBreadcrumb_top ul[data-role="breadcrumbList"] li a[href]'
    breadcrumb_any: str = 'ul[data-role="breadcrumbList"] li a[href]'
    feed: str = "[data-feedid]"
    pagination: str = "ul.ipsPagination"
    page_active: str = "li.ipsPagination_active a, li.ipsPagination_active"
    page_numbers: str = "li.ipsPagination_page a, li.ipsPagination_last a"
    next_link: str = "li.ipsPagination_next:not(.ipsPagination_inactive) a[href]"
    quote: str = "blockquote.ipsQuote, blockquote[data-ipsquote]"
    quote_citation: str = ".ipsQuote_citation"
    quote_contents: str = ".ipsQuote_contents"
    code: str = "pre.ipsCode"
    spoiler: str = "div.ipsSpoiler, div.ipsStyle_spoiler"
    spoiler_header: str = ".ipsSpoiler_header"
    spoiler_contents: str = ".ipsSpoiler_contents"
    attach_link: str = "a.ipsAttachLink"
    # Embed wrappers, told apart by class in one document-order pass (tag, class).
    tweet_wrapper: tuple[str, str] = ("blockquote", "twitter-tweet")
    video_wrapper: tuple[str, str] = ("div", "ipsEmbeddedVideo")
    other_wrapper: tuple[str, str] = ("div", "ipsEmbeddedOther")
    other_frame_attribute: str = "data-embedcontent"  # a bare oEmbed iframe
    # Chrome a theme or plugin may put inside the content; removed before it is written.
    chrome: str = (
        "script, style, noscript, .ipsReact, .ipsItemControls, [data-role='commentControls'], "
        "[data-role='memberSignature'], .ipsAdvertisement, .cPostShareMenu, "
        "[data-role='reactionBar'], .ipsComment_controls"
    )
    # Walls: the sign-in menu in every guest page's header is no wall by itself.
    header_sign_in: str = "#elUserSignIn_menu, #elUserNav, #elMobileDrawer, #elGuestSignIn"
    error_box: str = "#elError"
    error_message: str = "#elErrorMessage"
    login_page: str = "body[data-pagecontroller='login'], body[data-pageController='login']"
    login_form: str = "form input[name='login__standard_submitted']"


SELECTORS = Selectors()

# The number of posts a topic page holds when the pagination does not say (IPS's default).
DEFAULT_PER_PAGE = 25
# Images that are the board's own (smilies) or the lazy-loading placeholder, not content.
EMOTICON = lazy_regex(r"/emoticons/|/emoji/", re.IGNORECASE)
SPACER = lazy_regex(r"/interface/js/spacer\.png$|^data:", re.IGNORECASE)
# Generated pictures standing in for a member without an uploaded photo.
PLACEHOLDER_AVATAR = lazy_regex(
    r"^data:|default_photo|/n2a/|avatars_letters|letter[-_]?avatar", re.IGNORECASE)
LAZY_ATTRIBUTES = ("data-src", "data-lazy-src", "data-original")
NUMBER = lazy_regex(r"[0-9]+")
# IPS stores uploads as NAME.EXT.<32 hex>.EXT (thumbnails NAME.thumb.EXT.<hash>.EXT).
UPLOAD_NAME = lazy_regex(r"^(?P<name>.+?)(?:\.thumb)?\.(?P<ext>[A-Za-z0-9]{1,5})\.[0-9a-f]{32}\."
                         r"[A-Za-z0-9]{1,5}$")
TOPIC_PATH = lazy_regex(r"/topic/(?P<id>[0-9]+)(?P<slug>-[^/?#&]*)?/?(?:page/(?P<page>[0-9]+)/?)?")
PROFILE_ID = lazy_regex(r"/profile/([0-9]+)(?:-|/|$)|[?&](?:showuser|id)=([0-9]+)")
TWEET_URL = lazy_regex(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/[^/]+/status/[0-9]+")
# What `detection_markers` looks for: (name, pattern) over the raw page.
MARKERS = (
    ("generator-meta", lazy_regex(r"<meta[^>]+name=[\"']generator[\"'][^>]+(?:invision|ips)",
                                  re.IGNORECASE)),
    ("ipsApp-body", lazy_regex(r"<body[^>]*class=[\"'][^\"']*\bipsApp\b", re.IGNORECASE)),
    ("core-app-controller", lazy_regex(r"data-controller=[\"'][^\"']*core\.front\.core\.app")),
    ("ipsComment", lazy_regex(r"class=[\"'][^\"']*\bipsComment\b")),
    ("ips-quote", lazy_regex(r"data-ipsquote", re.IGNORECASE)),
    ("ips-js", lazy_regex(r"\bipsDebug\b|\bipsSettings\b|ips\.setSetting")),
    ("ips4-cookie", lazy_regex(r"[\"']ips4_[\"']|\bips4_[a-z_]+=")),
    ("powered-by", lazy_regex(r"Powered by Invision|invisioncommunity\.com|invisionpower\.com",
                              re.IGNORECASE)),
)


# -- URLs ------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _query(url: str) -> tuple[tuple[str, str], ...]:
    """The URL's query pairs; `&amp;` pasted from page source is read. A friendly path after
    `index.php?` (`index.php?/topic/1-x/&page=2`) is the first, valueless pair."""
    query = urlsplit(url.replace("&amp;", "&")).query
    return tuple(parse_qsl(query, keep_blank_values=True))


def _parameter(url: str, name: str) -> str | None:
    for key, value in _query(url):
        if key.lower() == name and NUMBER.fullmatch(value):
            return value
    return None


def _route(url: str) -> str:
    """The friendly route of `url`: its path, or what follows `index.php?`."""
    parts = urlsplit(url.replace("&amp;", "&"))
    if parts.path.endswith("index.php") and parts.query.startswith("/"):
        return parts.query.split("&", 1)[0]
    return parts.path


def _topic_match(url: str) -> re.Match[str] | None:
    return TOPIC_PATH.search(unquote(_route(url)))


def _topic_id(url: str) -> str | None:
    """The topic id `url` names, in any of IPS's URL forms, or None."""
    match = _topic_match(url)
    if match is not None:
        return match.group("id")
    query = {key.lower(): value for key, value in _query(url)}
    if query.get("controller") == "topic" or query.get("showtopic"):
        for name in ("showtopic", "id"):
            if NUMBER.fullmatch(query.get(name, "")):
                return query[name]
    if NUMBER.fullmatch(query.get("showtopic", "")):
        return query["showtopic"]
    return None


def _board_root(url: str) -> tuple[str, str]:
    """(scheme://host, the board's folder) of a topic URL: `/forums` of `/forums/topic/...`."""
    parts = urlsplit(url)
    origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    if parts.path.endswith("index.php"):
        return origin, parts.path[: -len("index.php")].rstrip("/")
    route = unquote(parts.path)
    match = TOPIC_PATH.search(route)
    folder = route[: match.start()] if match is not None else route.rsplit("/", 1)[0]
    return origin, quote(folder.rstrip("/"))


def canonical_thread_url(url: str) -> str:
    """The topic's first page in the URL's own routing style, without page, session (`s`,
    `csrfKey`), highlight, sort, permalink parameters and fragment. The slug is kept (the board
    would redirect without it) and percent-encoded; 3.x `showtopic` and 4.x `controller=topic`
    URLs keep their form with only the topic id. ValueError when the URL names no topic."""
    topic = _topic_id(url)
    if topic is None:
        raise UnsupportedUrl(
            f"{url} names no Invision topic; its page does (parse_page(...).thread.id)")
    origin, folder = _board_root(url)
    match = _topic_match(url)
    if match is None:
        query = {key.lower(): value for key, value in _query(url)}
        if query.get("controller") == "topic":
            return (f"{origin}{folder}/index.php?app=forums&module=forums&controller=topic"
                    f"&id={topic}")
        return f"{origin}{folder}/index.php?showtopic={topic}"
    slug = quote(match.group("slug") or "", safe="-_.~%")
    path = f"/topic/{topic}{slug}/"
    route_prefix = unquote(_route(url))[: match.start()]
    if urlsplit(url).path.endswith("index.php"):
        return f"{origin}{folder}/index.php?{quote(route_prefix)}{path}"
    return f"{origin}{folder}{path}"


def clean_page_url(url: str) -> str:
    """A topic page URL without sessions, tokens, highlight, sort and fragment; the page kept
    (`/page/N/` or `page=N`)."""
    try:
        first = canonical_thread_url(url)
    except ValueError:
        return _without_sessions(url)
    match = _topic_match(url)
    page = (match.group("page") if match is not None else None) or _parameter(url, "page")
    if page is None or page == "1":
        return first
    if match is not None and match.group("page"):
        return f"{first}page/{page}/"
    return f"{first}{'&' if '?' in first else '?'}page={page}"


def _without_sessions(url: str) -> str:
    """`url` without IPS's session and token parameters (`s=`, `csrfKey=`) and fragment."""
    parts = urlsplit(url.replace("&amp;", "&"))
    if not parts.query:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    friendly = parts.query.startswith("/")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in ("s", "csrfkey")]
    query = urlencode(kept, safe="/")
    if friendly and kept and kept[0][1] == "":
        route = quote(kept[0][0], safe="/-_.~")
        query = route + ("&" + urlencode(kept[1:]) if kept[1:] else "")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class Invision(Engine):
    """Invision Community 4.x topic pages (default theme and themes built on it)."""
    summary = "Invision Community (IPS) 4.x"
    cookie_prefixes = ("ips4_",)

    name = "invision"
    pattern = URL_PATTERNS["invision"]
    example = "https://forum.example/topic/123-some-title/"
    marker_patterns = MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/topic/123-some-title/",
        "https://forum.example/topic/123-some-title/page/3/",
        "https://forum.example/topic/123-some-title/?page=3",
        "https://forum.example/forums/topic/123-some-title/?do=findComment&comment=456",
        "https://forum.example/topic/123-some-title/#comment-456",
        "https://forum.example/index.php?/topic/123-some-title/",
        "https://forum.example/index.php?/forums/topic/123-some-title/page/2/",
        "https://forum.example/index.php?app=forums&module=forums&controller=topic&id=123",
        "https://forum.example/index.php?showtopic=123&st=20",
        "https://forum.example/index.php?s=0123456789abcdef0123456789abcdef&showtopic=123",
        "https://forum.example/index.php?app=forums&module=forums&section=findpost&pid=456",
    )

    def thread_id(self, url: str) -> str:
        """The topic id `url` names; ValueError for a post permalink that names none."""
        return self.thread_id_named(url, _topic_id, (
            "an Invision post permalink: it does not name its topic; the topic id is on the "
            "page it leads to (parse_page(...).thread.id), or paste the topic's URL"))

    def first_page_url(self, url: str) -> str:
        """The topic's first page; a permalink naming no topic stays itself (session-free)."""
        try:
            return canonical_thread_url(url)
        except ValueError:
            return _without_sessions(url)

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        post_nodes = _post_nodes(tree)
        if not post_nodes:
            _raise_for_empty_page(tree, url)
        thread = _parse_thread(tree, url)
        page_number = _page_number(tree, url)
        per_page = _per_page(tree, page_number, len(post_nodes), url)
        dates = PageDates(thread.language, reference=fetched_at, formats=TITLE_FORMATS)
        posts = [
            _parse_post(node, url, (page_number - 1) * per_page + index + 1, dates)
            for index, node in enumerate(post_nodes)
        ]
        next_link = tree.css_first(SELECTORS.next_link)
        next_href = next_link.attributes.get("href") if next_link is not None else None
        return ParsedPage(
            thread=thread,
            page_number=page_number,
            posts=posts,
            next_url=clean_page_url(urljoin(url, next_href)) if next_href else None,
            last_page=_last_page(tree, page_number),
        )


# -- page structure --------------------------------------------------------------------------


def _post_nodes(tree: LexborHTMLParser) -> list[LexborNode]:
    """The topic's posts, once each, without the copies shown in "recommended" boxes."""
    copies = {n.mem_id for box in tree.css(SELECTORS.post_copies)
              for n in box.css(SELECTORS.post)}
    seen: set[str] = set()
    nodes = []
    for node in tree.css(SELECTORS.post):
        key = node.attributes.get("id") or ""
        if node.mem_id in copies or key in seen:
            continue
        seen.add(key)
        nodes.append(node)
    return nodes


def _raise_for_empty_page(tree: LexborHTMLParser, url: str) -> None:
    """A page without posts: IPS's login page or error page, another wall, or a new layout."""
    title = page_title(tree)
    if tree.css_first(SELECTORS.login_page) is not None or (
            tree.css_first(SELECTORS.error_box) is None
            and tree.css_first(f"#ipsLayout_mainArea {SELECTORS.login_form}") is not None):
        raise AccessBlocked(
            f"{url} answered with Invision's sign-in page ({title or 'login'}), not the topic; "
            "nothing was archived from it (the topic may need a login: see --cookies in --help)"
        )
    error = tree.css_first(SELECTORS.error_box)
    if error is not None:
        message_node = error.css_first(SELECTORS.error_message) or error
        message = " ".join(node_text(message_node).split())
        code = error.css_first("strong")
        shown = message + (f" [{code.text(strip=True)}]" if code is not None else "")
        raise AccessBlocked(
            f"{url} answered with an Invision error page ({shown or title}), not the topic; "
            "nothing was archived from it (the topic may be gone, moved, or need a login)"
        )
    for menu in tree.css(SELECTORS.header_sign_in):
        menu.decompose()  # every guest page has the header's sign-in form
    check_not_a_wall(tree, url)
    if detection_markers(tree.html or ""):
        raise LayoutChanged(
            f"found no posts ({SELECTORS.post}) on the Invision page {url}: the theme may have "
            "changed the post template (see SELECTORS in scraper/engines/invision.py)"
        )
    raise LayoutChanged(f"found no posts on {url}: not an Invision Community topic page "
                        "(the board may use another engine)")


def _parse_thread(tree: LexborHTMLParser, url: str) -> ThreadInfo:
    topic = _page_topic_id(tree) or _topic_id(url)
    if topic is None:
        raise LayoutChanged(f"{url} names no topic id, and neither does the page")
    title, prefix = _title(tree)
    if not title:
        raise LayoutChanged(f"no topic title (h1.ipsType_pageTitle or <title>) on {url}")
    canonical_link = tree.css_first("link[rel=canonical]")
    source = urljoin(url, canonical_link.attributes.get("href") or "") if (
        canonical_link is not None) else url
    if _topic_id(source) != topic:
        source = url if _topic_id(url) == topic else source
    try:
        thread_url = canonical_thread_url(source)
    except ValueError:
        origin, folder = _board_root(url)
        thread_url = f"{origin}{folder}/index.php?showtopic={topic}"
    html_node = tree.css_first("html")
    return ThreadInfo(
        id=topic,
        url=thread_url,
        title=title,
        prefix=prefix,
        breadcrumb=_breadcrumb(tree, url),
        language=(html_node.attributes.get("lang") or "") if html_node is not None else "",
    )


def _page_topic_id(tree: LexborHTMLParser) -> str | None:
    """The topic id the page names: a post's quote data, the comment feed, the canonical link."""
    for node in tree.css(f"{SELECTORS.comment}[data-quotedata]"):
        value = str(_quote_data(node).get("contentid", ""))
        if NUMBER.fullmatch(value):
            return value
    for node in tree.css(SELECTORS.feed):
        found = re.fullmatch(r"topic-([0-9]+)", node.attributes.get("data-feedid") or "")
        if found:
            return found.group(1)
    for selector in ("link[rel=canonical]", "meta[property='og:url']"):
        link = tree.css_first(selector)
        if link is not None:
            topic = _topic_id(link.attributes.get("href") or link.attributes.get("content") or "")
            if topic:
                return topic
    return None


def _title(tree: LexborHTMLParser) -> tuple[str, str]:
    """(title, prefix): the page heading without its prefix tag; else <title> before " - "."""
    heading = tree.css_first(SELECTORS.title)
    if heading is not None:
        prefix_node = heading.css_first(SELECTORS.title_prefix)
        prefix = prefix_node.text(strip=True) if prefix_node is not None else ""
        for badge in heading.css(f"{SELECTORS.title_prefix}, .ipsType_light, i"):
            badge.decompose()
        text = " ".join(heading.text(separator=" ").split())
        if text:
            return text, prefix
    title = tree.css_first("title")
    return (title.text(strip=True).rsplit(" - ", 1)[0] if title is not None else ""), ""


def _breadcrumb(tree: LexborHTMLParser, url: str) -> list[Link]:
    anchors = tree.css(SELECTORS.breadcrumb_links) or tree.css(SELECTORS.breadcrumb_any)
    links: list[Link] = []
    for anchor in anchors:
        text = " ".join(anchor.text(separator=" ").split())
        href = _without_sessions(urljoin(url, anchor.attributes.get("href") or ""))
        if text and all(link.url != href for link in links):  # top and bottom trails
            links.append(Link(text, href))
    return links


def _number(text: str | None) -> int | None:
    """An ASCII number (`1,234` and `1.234` too); superscripts and other digits are not."""
    digits = re.sub(r"[,.\s\u066c]", "", text or "")
    return int(digits) if NUMBER.fullmatch(digits) else None


def _page_number(tree: LexborHTMLParser, url: str) -> int:
    for node in tree.css(SELECTORS.page_active):
        number = _number(node.attributes.get("data-page")) or _number(node.text(strip=True))
        if number:
            return number
    match = _topic_match(url)
    page = (match.group("page") if match is not None else None) or _parameter(url, "page")
    return int(page) if page and int(page) > 0 else 1


def _last_page(tree: LexborHTMLParser, page_number: int) -> int:
    numbers = [page_number]
    for box in tree.css(SELECTORS.pagination):
        value = _number(box.attributes.get("data-pages"))
        if value:
            numbers.append(value)
    for anchor in tree.css(SELECTORS.page_numbers):
        value = _number(anchor.attributes.get("data-page")) or _number(anchor.text(strip=True))
        if value:
            numbers.append(value)
    return max(numbers)


def _per_page(tree: LexborHTMLParser, page_number: int, on_page: int, url: str) -> int:
    """How many posts a full page holds: the pagination's own figure, else IPS's default."""
    for box in tree.css(SELECTORS.pagination):
        value = _number(box.attributes.get("data-ipspagination-perpage"))
        if value:
            return value
    if page_number > 1:
        log.warning("no posts-per-page figure on %s; IPS's default %d assumed for positions",
                    url, DEFAULT_PER_PAGE)
        return DEFAULT_PER_PAGE
    return max(on_page, 1)


# -- posts -----------------------------------------------------------------------------------


def _quote_data(node: LexborNode) -> dict[str, object]:
    """The comment's `data-quotedata` JSON (userid, username, timestamp, contentid, ...)."""
    try:
        data = json.loads(node.attributes.get("data-quotedata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _parse_post(node: LexborNode, url: str, position: int, dates: PageDates) -> ParsedPost:
    found = re.fullmatch(r"elComment_([0-9]+)", node.attributes.get("id") or "")
    if found is None:
        raise LayoutChanged(f"a post on {url} has no id=\"elComment_N\"")
    post_id = found.group(1)
    body = node.css_first(SELECTORS.content)
    if body is None:
        raise LayoutChanged(f"post {post_id} on {url} has no content ({SELECTORS.content})")
    comment = node.css_first(SELECTORS.comment)
    data = _quote_data(comment) if comment is not None else {}
    absolutize_urls(body, url)

    published, published_text = _published(node, body, data, dates)
    edited, edited_text, edited_by = _edited(body, dates)
    removed: list[LexborNode] = []
    for chrome in _select(body, SELECTORS.chrome):
        if not any(_inside(chrome, other) for other in removed):
            removed.append(chrome)
    for chrome in removed:
        chrome.decompose()
    _show_lazy_images(body)
    quotes = _canonical_quotes(body)
    _canonical_code(body)
    _canonical_spoilers(body)
    embeds = _take_embeds(body, url)
    assets = _canonical_attachments(body) + _hotlinked_images(body)
    _unwrap_redirects(body)
    _drop_board_markup(body)
    return ParsedPost(
        id=post_id,
        position=position,
        author=_author(node, data, url),
        published=published,
        published_text=published_text,
        edited=edited,
        edited_text=edited_text,
        edited_by=edited_by,
        content_html=(body.inner_html or "").strip(),
        content_text=node_text(body),
        quotes=quotes,
        embeds=embeds,
        assets=unique_assets(assets),
    )


def _author(node: LexborNode, data: dict[str, object], page_url: str) -> Author:
    link = node.css_first(SELECTORS.author_link)
    name_node = link or node.css_first(SELECTORS.author_name)
    name = " ".join(name_node.text(separator=" ").split()) if name_node is not None else ""
    if not name:
        name = str(data.get("username") or "")
    profile = _without_sessions(urljoin(page_url, link.attributes.get("href") or "")) if (
        link is not None) else None
    member_id = None
    if profile:
        found = PROFILE_ID.search(unquote(profile))
        member_id = next((g for g in found.groups() if g), None) if found else None
    if member_id is None and NUMBER.fullmatch(str(data.get("userid") or "")) and str(
            data.get("userid")) != "0":
        member_id = str(data["userid"])
    image = node.css_first(SELECTORS.avatar)
    avatar = ""
    if image is not None:
        avatar = urljoin(page_url, image.attributes.get("data-src")
                         or image.attributes.get("src") or "")
    if PLACEHOLDER_AVATAR.search(avatar) or not avatar.startswith(("http://", "https://")):
        avatar = ""
    return Author(
        name=name,
        url=profile or None,
        avatar_url=avatar or None,
        message_count=_post_count(node),
        member_id=member_id,
    )


def _post_count(node: LexborNode) -> int | None:
    """The author's post count: `title="381 posts"` or the link's text."""
    for element in node.css(SELECTORS.post_count):
        for text in (element.attributes.get("title"), element.text(strip=True)):
            found = re.match(r"\s*([0-9][0-9,.\s\u066c\u00a0]*)", text or "")
            if found is not None:
                digits = re.sub(r"[,.\s\u066c\u00a0]", "", found.group(1))
                if NUMBER.fullmatch(digits):
                    return int(digits)
    return None


def _machine_time(element: LexborNode) -> str | None:
    """ISO 8601 of a `<time>`: its `datetime`, else a unix `data-time`/`data-timestamp`."""
    machine = (element.attributes.get("datetime") or "").strip()
    if machine:
        return iso_from_machine_time(machine)
    for attribute in ("data-time", "data-timestamp"):
        unix = element.attributes.get(attribute) or ""
        if NUMBER.fullmatch(unix):
            return iso_from_unix(unix)
    return None


def _published(node: LexborNode, body: LexborNode, data: dict[str, object],
               dates: PageDates) -> tuple[str | None, str]:
    """(ISO time, the text shown) of the post: machine time first, the shown text last."""
    element = None
    for candidate in node.css(SELECTORS.published):
        if not _inside(candidate, body):
            element = candidate
            break
    text = " ".join(element.text(separator=" ").split()) if element is not None else ""
    machine = _machine_time(element) if element is not None else None
    if machine:
        return machine, text
    timestamp = str(data.get("timestamp") or "")
    if NUMBER.fullmatch(timestamp):
        return iso_from_unix(timestamp), text
    shown = (element.attributes.get("title") or text) if element is not None else ""
    return dates.read(shown), text


# A `<time>`'s title as Invision writes it (`11/24/21 08:12  PM`, PHP date() letters); Arabic
# packs say ص/م.
TITLE_FORMATS = ("m/d/y h:i A", "m/d/Y h:i A", "d/m/y H:i", "m/d/y H:i")


def _select(node: LexborNode, selector: str) -> list[LexborNode]:
    """`node.css(selector)` with each element once (a list of selectors can repeat one)."""
    seen: set[int] = set()
    found = []
    for element in node.css(selector):
        if element.mem_id not in seen:
            seen.add(element.mem_id)
            found.append(element)
    return found


def _inside(node: LexborNode, ancestor: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id == ancestor.mem_id:
            return True
        parent = parent.parent
    return False


def _edited(body: LexborNode, dates: PageDates) -> tuple[str | None, str, str]:
    """(edited time, its date as shown, the editor) from the edit line, which is then removed.

    `<span data-excludequote><strong>Edited <time ...>DATE</time> by NAME</strong><br>reason`:
    the words around the time are the board's language; the editor is what follows the time
    after one word ("by", "بواسطة", "von")."""
    for line in _select(body, SELECTORS.edit_line):
        element = line.css_first("time")
        if element is None:
            continue
        shown = " ".join(element.text(separator=" ").split())
        machine = _machine_time(element) or dates.read(element.attributes.get("title") or shown)
        holder = line.css_first("strong") or line
        after = []
        seen_time = False
        for child in holder.iter(include_text=True):
            if child.mem_id == element.mem_id:
                seen_time = True
            elif seen_time:
                after.append(child.text(deep=True) if child.tag != "-text" else (
                    child.text_content or ""))
        words = " ".join("".join(after).split()).split(" ", 1)
        editor = words[1].strip() if len(words) > 1 else ""
        line.decompose()
        return machine, shown, editor
    return None, "", ""


# -- content ---------------------------------------------------------------------------------


def _show_lazy_images(body: LexborNode) -> None:
    """Lazy images show their real file: `data-src` (and kin) over the spacer placeholder."""
    for image in body.css("img"):
        for attribute in LAZY_ATTRIBUTES:
            real = image.attributes.get(attribute)
            if real and not real.startswith("data:"):
                image.attrs["src"] = real
                break
    for frame in body.css("iframe[data-embed-src]"):
        frame.attrs["src"] = frame.attributes.get("data-embed-src") or ""


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """IPS quotes as canonical quotes (innermost first, so nesting survives), in page order."""
    blocks = [b for b in _select(body, SELECTORS.quote)
              if canonical.QUOTE_CLASS not in (b.attributes.get("class") or "")]
    quotes = []
    for block in blocks:
        post_id = block.attributes.get("data-ipsquote-contentcommentid") or ""
        author = (block.attributes.get("data-ipsquote-username")
                  or block.attributes.get("data-cite") or "")
        quotes.append(Quote(author=author.strip(),
                            post_id=post_id if NUMBER.fullmatch(post_id) else None))
    canonical.replace_quotes(blocks, quotes, _quote_content)
    return quotes


def _quote_content(block: LexborNode) -> LexborNode:
    """The quoted words: `.ipsQuote_contents`, else the quote without its citation."""
    inner = block.css_first(SELECTORS.quote_contents)
    if inner is None:
        for citation in block.css(SELECTORS.quote_citation):
            citation.decompose()
        return block
    if (holder := block.css_first(SELECTORS.quote_citation)) is not None:
        holder.decompose()
    return inner


def _canonical_code(body: LexborNode) -> None:
    """`pre.ipsCode` (prettified or not) as a canonical code block of plain text."""
    for block in body.css(SELECTORS.code):
        markup = re.sub(r"<br\s*/?>", "\n", block.inner_html or "", flags=re.IGNORECASE)
        text_node = LexborHTMLParser(f"<pre>{markup}</pre>").css_first("pre")
        text = text_node.text(deep=True) if text_node is not None else ""
        canonical.replace_with_html(block, canonical.code_html(
            text.replace("\xa0", " ").strip("\n")))


def _canonical_spoilers(body: LexborNode) -> None:
    for block in reversed(_select(body, SELECTORS.spoiler)):
        header = block.css_first(SELECTORS.spoiler_header)
        title = header.text(strip=True) if header is not None else ""
        if header is not None:
            header.decompose()
        inner = block.css_first(SELECTORS.spoiler_contents) or block
        canonical.replace_with_html(block, canonical.spoiler_html(
            title or "Spoiler", (inner.inner_html or "").strip()))


def _embed_target(source: str) -> str:
    """The URL an IPS embed iframe shows: `controller=embed&url=X` gives X."""
    parts = urlsplit(source.replace("&amp;", "&"))
    pairs = dict(parse_qsl(parts.query))
    target = pairs.get("url", "")
    if pairs.get("controller") == "embed" and target.startswith(("http://", "https://")):
        return target
    return urljoin("https:", source) if source.startswith("//") else source


def _embed_kind(node: LexborNode) -> str | None:
    """Which kind of embed wrapper `node` is ("tweet", "video", "other"), or None."""
    classes = (node.attributes.get("class") or "").split()
    for kind, (tag, class_name) in (("tweet", SELECTORS.tweet_wrapper),
                                    ("video", SELECTORS.video_wrapper),
                                    ("other", SELECTORS.other_wrapper)):
        if node.tag == tag and class_name in classes:
            return kind
    if node.tag == "iframe" and node.attributes.get(SELECTORS.other_frame_attribute) is not None:
        return "other"
    return None


def _take_embeds(body: LexborNode, page_url: str) -> list[Embed]:
    """Videos, oEmbed iframes and tweets as static embeds with placeholders, in page order;
    no third-party player or script is kept."""
    wrappers: list[tuple[LexborNode, str]] = []
    for node in body.css("blockquote, div, iframe"):  # one selector: document order
        kind = _embed_kind(node)
        if kind is not None and not any(_inside(node, outer) for outer, _ in wrappers):
            wrappers.append((node, kind))
    embeds: list[Embed] = []
    for wrapper, kind in wrappers:
        embed = _tweet(wrapper) if kind == "tweet" else _framed_embed(wrapper, kind, page_url)
        canonical.place_embed(wrapper, embed, embeds)
    for frame in body.css("iframe, object, embed"):
        frame.decompose()
    return embeds


def _framed_embed(wrapper: LexborNode, kind: str, page_url: str) -> Embed | None:
    """A video player or an oEmbed iframe (`controller=embed&url=X`) as a static link."""
    frame = wrapper if wrapper.tag == "iframe" else wrapper.css_first("iframe, video source")
    source = (frame.attributes.get("src") or "") if frame is not None else ""
    if (video_id := canonical.youtube_video_id(source)) is not None:
        return canonical.youtube_embed(video_id)
    target = _embed_target(urljoin(page_url, source)) if source else ""
    if not target.startswith(("http://", "https://")):
        return None
    if kind == "video":
        return Embed(kind="video", url=target, handle=urlsplit(target).netloc)
    return Embed(kind="tweet" if TWEET_URL.match(target) else "link", url=target)


def _tweet(blockquote: LexborNode) -> Embed:
    """A tweet's oEmbed blockquote; its link without the query IPS's embed appends."""
    tweet = canonical.tweet_embed(blockquote)
    return dataclasses.replace(tweet, url=tweet.url.split("?", 1)[0])


def upload_filename(url: str) -> str:
    """The name a member gave an upload: `photo.jpg.<hash>.jpg` -> `photo.jpg`."""
    last = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    found = UPLOAD_NAME.match(last)
    return f"{found.group('name')}.{found.group('ext')}" if found else last


def _canonical_attachments(body: LexborNode) -> list[AssetRef]:
    """Attachments (`a.ipsAttachLink`) as plain full-size `<img>` (images) or `<a>` (files)."""
    found = []
    for link in body.css(SELECTORS.attach_link):
        full = link.attributes.get("data-fullurl") or link.attributes.get("href") or ""
        if not full.startswith(("http://", "https://")):
            continue
        full = _without_sessions(full) if "attachment.php" in full else full
        image = link.css_first("img")
        if image is not None:
            thumbnail = image.attributes.get("src") or ""
            if thumbnail == full or SPACER.search(thumbnail):
                thumbnail = ""
            name = upload_filename(full)
            found.append(AssetRef(url=full, filename=name, kind="attachment",
                                  thumbnail_url=thumbnail or None))
            canonical.replace_with_html(link, f'<img src="{escape(full)}" alt="{escape(name)}">')
        else:
            name = " ".join(link.text(separator=" ").split()) or upload_filename(full)
            found.append(AssetRef(url=full, filename=name, kind="attachment"))
            canonical.replace_with_html(link, f'<a href="{escape(full)}">{escape(name)}</a>')
    return found


def _hotlinked_images(body: LexborNode) -> list[AssetRef]:
    """Images posted by URL; one inside an "Enlarge image" link shows the linked file."""
    found = []
    for image in body.css("img"):
        source = image.attributes.get("src") or ""
        if (image.attributes.get("data-emoticon") is not None or EMOTICON.search(source)
                or SPACER.search(source) or not source.startswith(("http://", "https://"))):
            continue
        parent = image.parent
        if parent is not None and parent.tag == "a":
            target = parent.attributes.get("href") or ""
            if target.startswith(("http://", "https://")) and (
                    parent.attributes.get("data-ipslightbox") is not None
                    or re.search(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|\?)", target, re.I)):
                source = target
                image.attrs["src"] = target
                canonical.replace_with_html(parent, image.html or "")
        found.append(AssetRef(url=source, filename=upload_filename(source), kind="image"))
    return found


def _unwrap_redirects(body: LexborNode) -> None:
    """Links through IPS's redirect controller (`controller=redirect&url=X`) point at X."""
    for anchor in body.css("a[href*='controller=redirect']"):
        href = (anchor.attributes.get("href") or "").replace("&amp;", "&")
        target = canonical.unwrap_redirect(href, "index.php", "url")
        if target != href:
            anchor.attrs["href"] = target


def _drop_board_markup(body: LexborNode) -> None:
    """Keep only canonical classes and data: the site reads no IPS class or attribute."""
    for element in body.css("*"):
        attributes = dict(element.attributes)
        canonical.keep_canonical_classes(element)
        for name in attributes:
            if (name.startswith("data-") and name not in canonical.DATA_ATTRIBUTES) or name in (
                    "contenteditable", "onclick", "loading"):
                del element.attrs[name]
        for attribute in ("href", "src"):
            value = element.attributes.get(attribute)
            if value and ("csrfKey=" in value or re.search(r"[?&]s=[0-9a-f]{32}", value)):
                element.attrs[attribute] = _without_sessions(value)


detection_markers = Invision.markers  # which of Invision Community's page markers `html` carries
