"""XenForo 1 boards (1.3-1.5, the default style and styles built on it): thread pages to guests.

What a page gives and where it comes from:

- Thread: the id from the URL (`threads/slug.ID/`, `threads/ID/`, with or without
  `index.php?` routing), else (a post permalink: `posts/N/`, `goto/post?id=N`, which name no
  thread) from the page itself (`<link rel="canonical">`, `og:url`, the page links); the title
  from `.titleBar h1` (thread prefix apart), the breadcrumb, the board language `<html lang>`.
- URLs: XenForo 1 pages set `<base href>` and write board-relative links (`threads/...`), so
  every URL is resolved against the base, not the page's URL. Session ids (`_xfToken`, `s`),
  highlight and sort parameters and fragments are dropped from every URL returned.
- Pages: current and last page from `.PageNav[data-page][data-last]`, the next page from
  `<link rel="next">`, else the PageNav link one page on ("Next >" is `a.text`).
- Posts (`li.message[id^=post-]`): the author from `data-author` and the profile link
  (`members/slug.ID/` gives the member id), avatar (not the `styles/.../avatar_*.png`
  placeholder), join date and message count from `.extraUserInfo`; the position from the shown
  `#N` (`a.postNumber`), else derived from the neighbours.
- Times: `abbr.DateTime[data-time]` (unix seconds, recent dates) gives ISO 8601 in UTC.
  Older dates are `span.DateTime[title]` with text only ("Apr 3, 2018 at 1:50 PM", in the
  board's language and its guests' time zone), read by `dates.parse_shown_date` (relative
  forms against the fetch time); XenForo 1 does not state its zone to guests, so those are
  naive ISO 8601: zone unknown.
  `published_text` is the text the post shows. The last edit is `.editDate`; XenForo 1 names no
  editor: a self-edit gives the author as `edited_by`, "a moderator" gives "".
- Content: `blockquote.messageText` in canonical form (`canonical.py`): quotes (with the quoted
  post id from the attribution link), code, spoilers, video embeds; images at full size
  (inline attachment thumbnails -> the attachment, proxied [IMG] -> `data-url`), links out of
  `proxy.php?link=` unwrapped; signatures, likes, ads and post controls are outside it.
- Attachments: inline images and the `.attachedFiles` list, each at `attachments/NAME.ID/`.

Board markup lives in the selector table `SELECTORS` and the marker tables below.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import AssetRef, Author, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import canonical
from .base import (
    Engine,
    absolutize_urls,
    base_href,
    fill_positions,
    node_text,
    page_tree,
    unique_assets,
    url_filename,
)
from .claims import URL_PATTERNS
from .dates import PageDates, iso_from_unix
from .walls import check_not_a_wall, page_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selectors:
    """Where XenForo 1's default templates (thread_view, post, message, page_nav) put things."""

    post: str = "li.message[id^='post-']"  # deleted-post placeholders are left out
    body: str = ".messageContent blockquote.messageText"
    attachments: str = ".messageContent .attachedFiles li.attachment"
    author_link: str = ".messageUserInfo a.username"
    author_name: str = ".messageUserInfo .username"
    avatar: str = ".messageUserInfo .avatarHolder img, .messageUserInfo .avatar img"
    avatar_span: str = ".messageUserInfo .avatar span.img[style]"
    extras: str = ".messageUserInfo .extraUserInfo dl"
    post_number: str = ".messageMeta .publicControls a.postNumber"
    post_date: str = ".messageMeta .privateControls .DateTime"
    edit_date: str = ".editDate"
    # Inside the message on customised boards; removed before the canonical HTML is written.
    chrome: str = (
        "script, style, noscript, .messageTextEndMarker, .signature, .likesSummary, "
        ".messageMeta, .quoteExpand, .adsense, .ad_message_body"
    )
    quote: str = ".bbCodeBlock.bbCodeQuote"
    code: str = ".bbCodeBlock.bbCodeCode, .bbCodeBlock.bbCodePHP, .bbCodeBlock.bbCodeHtml"
    spoiler: str = ".bbCodeSpoilerContainer"
    image: str = "img.bbCodeImage, img.LbImage, img[data-url], img[data-src], img[data-lazy-src]"
    smilie: str = "img.mceSmilie, img.mceSmilieSprite"
    title: str = ".titleBar h1"
    title_prefix: str = ".titleBar h1 .prefix"
    breadcrumb: str = "fieldset.breadcrumb"  # the first one: the top breadcrumb
    crumb: str = ".crumbs a.crumb"
    page_nav: str = ".PageNav[data-page]"
    page_links: str = ".PageNav nav a[href]"
    next_rel: str = "link[rel='next']"
    # Walls: the content template's name is the class of #content on every XenForo 1 page.
    content: str = "#content"
    login_form: str = "form#pageLogin"
    error_panel: str = ".errorPanel .errors"
    error_overlay: str = ".errorOverlay"


SELECTORS = Selectors()

# `#content` classes (XenForo 1 content templates) of pages that stand in for the thread.
WALL_TEMPLATES = {
    "error_with_login": "a login wall",
    "login": "a login wall",
    "login_with_error": "a login wall",
    "error": "an error page",
    "register_form": "a sign-up wall",
    "message_page": "a notice page",
}
THREAD_TEMPLATE = "thread_view"

# Page markers for the lead's engine detection: (name, pattern over the raw HTML).
DETECTION_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("generator-meta", lazy_regex(
        r"<meta[^>]+name=[\"']generator[\"'][^>]+content=[\"']XenForo[^\"'2]*(?:1\.|[\"'])",
        re.IGNORECASE)),
    ("html#XenForo", lazy_regex(r"<html\b[^>]*\bid=[\"']XenForo[\"']", re.IGNORECASE)),
    ("ol.messageList", lazy_regex(r"<ol\b[^>]*\bclass=[\"'][^\"']*\bmessageList\b")),
    ("li.message[data-author]", lazy_regex(
        r"<li\b[^>]*\bid=[\"']post-[0-9]+[\"'][^>]*\bclass=[\"']message\b[^>]*\bdata-author=")),
    ("XenForo-js", lazy_regex(
        r"js/xenforo/xenforo\.js|jQuery\.extend\(\s*true\s*,\s*XenForo\b|\bXenForo\.(?:node_name|"
        r"visitor|phrases|activate|register)\b")),
    ("xf_-cookie-prefix", lazy_regex(r"_cookieConfig\s*:\s*\{[^}]*prefix\s*:\s*[\"']xf_")),
    ("PageNav", lazy_regex(r"class=[\"']PageNav[\"'][^>]*\bdata-last=")),
    ("DateTime", lazy_regex(r"<(?:abbr|span)\b[^>]*class=[\"']DateTime[\"']")),
)

# The user extras' labels in XenForo's languages.
JOINED_LABELS = frozenset({"joined", "تاريخ التسجيل", "انضم", "التسجيل", "הצטרף", "inscrit",
                           "注册", "registriert"})
MESSAGES_LABELS = frozenset({"messages", "المشاركات", "مشاركات", "الرسائل", "הודעות",
                             "帖子", "beiträge"})
# "Last edited by a moderator" in a few languages (the other edit phrase is a self-edit).
MODERATOR_EDIT = lazy_regex(r"moderator|modérateur|مشرف|מנהל|版主", re.IGNORECASE)
# Query parameters that are sessions, tokens, highlights or sorting: never part of a page URL.
DROPPED_PARAMETERS = frozenset({"_xfToken", "s", "sid", "highlight", "order", "direction",
                                "_xfRequestUri", "_xfNoRedirect", "_xfResponseType"})

_NUMBER = lazy_regex(r"[0-9]+")
_POST_ID = lazy_regex(r"post-([0-9]+)")
_ROUTE_THREAD = lazy_regex(
    r"^threads/(?:[^/?#&]*\.)?(?P<id>[0-9]+)(?:/(?:page-(?P<page>[0-9]+))?)?(?=$|[/?#&])")
_ROUTE_POST = lazy_regex(r"^posts/(?P<post>[0-9]+)(?=$|[/?#&])")
_ROUTE_GOTO = lazy_regex(r"^goto/post(?=$|[/?#&])")
_MEMBER = lazy_regex(r"[/?]members/(?:[^/?#&]*\.)?([0-9]+)(?=/|$|[?#&])")
_AVATAR_CLASS = lazy_regex(r"\bAv([0-9]+)[sml]\b")
_ATTACHMENT = lazy_regex(r"(?:^|[/?])attachments/(?:[^/?#&]*\.)?([0-9]+)(?=/|$|[?#&])")
_DATA_ATTACHMENT = lazy_regex(r"/data/attachments/[0-9]+/([0-9]+)-[0-9a-f]+\.[a-z0-9]+$",
                              re.IGNORECASE)
_DEFAULT_AVATAR = lazy_regex(r"/avatars/avatar_(?:male_|female_)?[sml]\.(?:png|gif|jpe?g)$",
                             re.IGNORECASE)
_BACKGROUND_URL = lazy_regex(r"url\(\s*['\"]?([^'\")]+)")


# -- URLs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    """A XenForo 1 URL split into the board root (with `index.php?` if used) and its route."""

    root: str  # e.g. "https://board.example/forum/" or ".../forum/index.php?"
    route: str  # e.g. "threads/slug.123/page-2"
    query: tuple[tuple[str, str], ...]  # the parameters besides the route


@lru_cache(maxsize=4096)
def _split(url: str) -> _Route | None:
    """The board root and route of a thread or post URL, else None. Cached: pages repeat links."""
    parts = urlsplit(html_lib.unescape(url.strip()))
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
    if parts.path.endswith("/index.php") and parts.query:
        route, _, rest = parts.query.partition("&")
        if "=" in route:
            return None
        root = f"{origin}{parts.path}?"
    else:
        match = re.search(r"(?:^|/)(threads|posts|goto)/", parts.path)
        if match is None:
            return None
        start = match.start(1)
        root, route, rest = origin + parts.path[:start], parts.path[start:], parts.query
        if parts.query and route.startswith("goto/"):
            route = f"{route}?{parts.query}"
            rest = parts.query
    query = tuple(parse_qsl(rest, keep_blank_values=True))
    return _Route(root=root if root.endswith(("/", "?")) else root + "/", route=route,
                  query=query)


def _thread_of(route: _Route) -> tuple[str, int | None] | None:
    match = _ROUTE_THREAD.match(route.route)
    if match is None:
        return None
    page = match.group("page")
    return match.group("id"), int(page) if page else None


def _post_of(route: _Route) -> str | None:
    """The post id of a permalink route (`posts/N/`, `goto/post?id=N`), else None."""
    match = _ROUTE_POST.match(route.route)
    if match is not None:
        return match.group("post")
    if _ROUTE_GOTO.match(route.route):
        value = dict(route.query).get("id", "")
        return value if _NUMBER.fullmatch(value) else None
    return None


def canonical_thread_url(url: str) -> str:
    """`https://board/root/threads/ID/` (or `root/index.php?threads/ID/`) for any thread URL.

    Slugs, pages, post anchors, session, highlight and sort parameters and fragments go; the
    slug-less form is the one every XenForo 1 board answers (with a slug fix when it likes). A
    post permalink (`posts/N/`, `goto/post?id=N`) raises ValueError: only its page names the
    thread.
    """
    route = _split(url)
    thread = _thread_of(route) if route is not None else None
    if route is None or thread is None:
        if route is not None and _post_of(route) is not None:
            raise UnsupportedUrl(
                f"{url} is a XenForo post permalink: it does not name its thread; fetch it and "
                "read the thread id from the page (parse_page(...).thread.id)"
            )
        raise UnsupportedUrl(f"{url} is not a XenForo 1 thread URL (threads/slug.ID/)")
    return f"{route.root}threads/{thread[0]}/"


def clean_page_url(url: str) -> str:
    """A thread page or permalink URL without fragment, session, highlight or sort parameters."""
    route = _split(url)
    if route is None:
        return without_session(url)
    kept = [(k, v) for k, v in route.query if k not in DROPPED_PARAMETERS]
    if route.route.startswith("goto/"):
        post = _post_of(route)
        joiner = "&" if route.root.endswith("?") else "?"
        return f"{route.root}goto/post{joiner}id={post}" if post else route.root + "goto/post"
    if route.root.endswith("?"):
        return route.root + route.route + (f"&{urlencode(kept)}" if kept else "")
    return route.root + route.route + (f"?{urlencode(kept)}" if kept else "")


def without_session(url: str) -> str:
    """`url` without XenForo's session and token parameters (and nothing else changed)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(html_lib.unescape(parts.query), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k not in DROPPED_PARAMETERS]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def _thread_page_url(root: str, thread_id: str, page: int) -> str:
    return f"{root}threads/{thread_id}/" + (f"page-{page}" if page > 1 else "")


# -- engine ----------------------------------------------------------------------------------


class XenForo1(Engine):
    """XenForo 1.x thread pages (default style and styles that keep its markup)."""
    summary = "XenForo 1.x (html#XenForo, ol.messageList)"
    cookie_prefixes = ("xf_",)

    name = "xenforo1"
    pattern = URL_PATTERNS["xenforo1"]
    example = "https://forum.example/threads/some-title.123/"
    marker_patterns = DETECTION_MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/threads/some-title.123/",
        "https://forum.example/threads/123/",
        "https://forum.example/threads/some-title.123/page-4",
        "https://forum.example/community/threads/some-title.123/page-2#post-4567",
        "https://forum.example/index.php?threads/some-title.123/",
        "https://forum.example/index.php?threads/some-title.123/page-2&_xfToken=1,2,abc",
        "https://forum.example/threads/some-title.123/?highlight=drone&s=0f3a",
        "https://forum.example/posts/4567/",
        "https://forum.example/goto/post?id=4567#post-4567",
    )

    def thread_id(self, url: str) -> str:
        """The thread id a thread URL names; ValueError for a post permalink (read its page)."""
        route = _split(url)
        thread = _thread_of(route) if route is not None else None
        if thread is not None:
            return thread[0].lstrip("0") or "0"  # as every engine: `x.007` is thread 7
        return canonical_thread_url(url)  # raises the right ValueError

    def first_page_url(self, url: str) -> str:
        """The thread's first page; a post permalink stays itself (only its page knows more)."""
        try:
            return canonical_thread_url(url)
        except ValueError:
            return clean_page_url(url)

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        post_nodes = _post_nodes(tree)
        if not post_nodes:
            _raise_for_empty_page(tree, url)
        base = base_href(tree, url)  # XenForo 1 sets <base href>
        thread = self._parse_thread(tree, url, base)
        dates = PageDates(thread.language, reference=fetched_at)
        page_number, last_page = _pages(tree, url)
        posts = [self._parse_post(node, url, base, dates) for node in post_nodes]
        shown = [_shown_position(node) for node in post_nodes]
        for post in fill_positions(posts, shown, (page_number - 1) * len(posts)):
            log.warning("post %s on %s shows no readable #N; position %d assumed",
                        post.id, url, post.position)
        return ParsedPage(
            thread=thread,
            page_number=page_number,
            posts=posts,
            next_url=_next_url(tree, base, thread, page_number, last_page),
            last_page=last_page,
        )

    # -- thread ----------------------------------------------------------------------------

    def _parse_thread(self, tree: LexborHTMLParser, url: str, base: str) -> ThreadInfo:
        route = _split(url)
        thread = _thread_of(route) if route is not None else None
        thread_id = thread[0] if thread is not None else _page_thread_id(tree, base)
        if thread_id is None:
            raise LayoutChanged(f"{url} names no thread id, and neither does the page "
                                "(no canonical link or thread links)")
        title_node = tree.css_first(SELECTORS.title)
        prefix_node = tree.css_first(SELECTORS.title_prefix)
        prefix = prefix_node.text(strip=True) if prefix_node is not None else ""
        if prefix_node is not None:
            prefix_node.decompose()
        title = title_node.text(strip=True) if title_node is not None else ""
        if not title:
            head = tree.css_first("title")
            title = (head.text(strip=True).rsplit(" | ", 1)[0] if head is not None else "")
        if not title:
            raise LayoutChanged(f"no thread title ({SELECTORS.title}) on {url}")
        root = (route.root if route is not None else None) or _board_root(base)
        html_node = tree.css_first("html")
        return ThreadInfo(
            id=thread_id,
            url=f"{root}threads/{thread_id}/",
            title=title,
            prefix=prefix,
            breadcrumb=_breadcrumb(tree, base),
            language=(html_node.attributes.get("lang") or "") if html_node is not None else "",
        )

    # -- posts -----------------------------------------------------------------------------

    def _parse_post(self, node: LexborNode, url: str, base: str, dates: PageDates) -> ParsedPost:
        match = _POST_ID.fullmatch(node.attributes.get("id") or "")
        if match is None:
            raise LayoutChanged(f"a post on {url} has no id=\"post-N\"")
        post_id = match.group(1)
        body = node.css_first(SELECTORS.body)
        if body is None:
            raise LayoutChanged(f"post {post_id} on {url} has no {SELECTORS.body}")
        content = node.css_first(".messageContent") or body
        absolutize_urls(content, base)

        published_node = node.css_first(SELECTORS.post_date)
        published, published_text = (_time(published_node, dates)
                                     if published_node is not None else (None, ""))
        author = _author(node, base, dates)
        edited, edited_text, edited_by = _edited(node, author.name, dates)

        assets = _attachment_list(node)
        for unwanted in body.css(SELECTORS.chrome):
            unwanted.decompose()
        canonical.drop_comments(body)
        inline = _canonical_images(body)
        quotes = _canonical_quotes(body)
        _canonical_code(body)
        _canonical_spoilers(body)
        embeds = canonical.take_players(body, "iframe[src], object[data]",
                                        drop_unreadable=True)  # [MEDIA] players
        _clean_links(body)
        _drop_board_attributes(body)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions from the shown #N
            author=author,
            published=published,
            published_text=published_text,
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            edited=edited,
            edited_text=edited_text,
            edited_by=edited_by,
            quotes=quotes,
            embeds=embeds,
            assets=unique_assets(inline + assets),
        )


# -- page structure --------------------------------------------------------------------------


def _post_nodes(tree: LexborHTMLParser) -> list[LexborNode]:
    """The page's posts once each, in page order (deleted-post placeholders left out)."""
    nodes = tree.css(SELECTORS.post)
    return [n for n in nodes if "placeholder" not in (n.attributes.get("class") or "").split()]


def _board_root(base: str) -> str:
    """The board root of a `<base href>` (the folder XenForo 1 is installed in)."""
    parts = urlsplit(base)
    folder = parts.path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{folder}"


def _page_thread_id(tree: LexborHTMLParser, base: str) -> str | None:
    """The thread id the page names: its canonical link, og:url, page or permalink links."""
    candidates = [
        (tree.css_first("link[rel='canonical']"), "href"),
        (tree.css_first("meta[property='og:url']"), "content"),
        (tree.css_first(SELECTORS.page_nav), "data-baseurl"),
        (tree.css_first(".messageMeta a.datePermalink, .messageMeta a.postNumber"), "href"),
    ]
    for node, attribute in candidates:
        value = (node.attributes.get(attribute) or "") if node is not None else ""
        route = _split(urljoin(base, value)) if value else None
        thread = _thread_of(route) if route is not None else None
        if thread is not None:
            return thread[0]
    return None


def _breadcrumb(tree: LexborHTMLParser, base: str) -> list[Link]:
    trail = tree.css_first(SELECTORS.breadcrumb)
    if trail is None:
        return []
    links = []
    for anchor in trail.css(SELECTORS.crumb):
        name = anchor.css_first("[itemprop=title]") or anchor
        text = name.text(strip=True)
        if text:
            links.append(Link(text, without_session(urljoin(base, anchor.attributes.get("href")
                                                            or ""))))
    return links


def _int_attribute(node: LexborNode | None, name: str) -> int | None:
    value = (node.attributes.get(name) or "").strip() if node is not None else ""
    return int(value) if _NUMBER.fullmatch(value) else None


def _pages(tree: LexborHTMLParser, url: str) -> tuple[int, int]:
    """(current page, last page) from the PageNav, else the URL; one page without a PageNav."""
    nav = tree.css_first(SELECTORS.page_nav)
    current = _int_attribute(nav, "data-page")
    if current is None and nav is not None:
        shown = nav.css_first("a.currentPage")
        text = shown.text(strip=True) if shown is not None else ""
        current = int(text) if _NUMBER.fullmatch(text) else None
    if current is None:
        route = _split(url)
        thread = _thread_of(route) if route is not None else None
        current = (thread[1] if thread is not None else None) or 1
    last = _int_attribute(nav, "data-last")
    if last is None:
        numbers = [current]
        for anchor in tree.css(SELECTORS.page_links):
            text = anchor.text(strip=True)
            if _NUMBER.fullmatch(text):
                numbers.append(int(text))
        last = max(numbers)
    return current, max(last, current)


def _next_url(tree: LexborHTMLParser, base: str, thread: ThreadInfo, page: int,
              last: int) -> str | None:
    """The next page (session-free), or None on the last page."""
    if page >= last:
        return None
    candidates = [tree.css_first(SELECTORS.next_rel)]
    candidates += [a for a in tree.css(SELECTORS.page_links) if "text" in (
        a.attributes.get("class") or "").split()]
    for candidate in candidates:
        href = (candidate.attributes.get("href") or "") if candidate is not None else ""
        route = _split(urljoin(base, href)) if href else None
        target = _thread_of(route) if route is not None else None
        if target is not None and target[0] == thread.id and (target[1] or 1) == page + 1:
            return clean_page_url(urljoin(base, href))
    route = _split(thread.url)
    root = route.root if route is not None else _board_root(base)
    return _thread_page_url(root, thread.id, page + 1)


def _shown_position(node: LexborNode) -> int | None:
    """The `#N` post number; digits other than ASCII ones (superscripts) do not count."""
    link = node.css_first(SELECTORS.post_number)
    text = link.text(strip=True) if link is not None else ""
    digits = "".join(_NUMBER.findall(text)) if text.startswith("#") else ""
    return int(digits) if digits else None


# -- authors and dates -----------------------------------------------------------------------


def _author(node: LexborNode, base: str, dates: PageDates) -> Author:
    link = node.css_first(SELECTORS.author_link)
    name_node = link or node.css_first(SELECTORS.author_name)
    name = node.attributes.get("data-author") or (
        name_node.text(strip=True) if name_node is not None else "")
    href = (link.attributes.get("href") or "") if link is not None else ""
    profile = without_session(urljoin(base, href)) if href else None
    member = _MEMBER.search(profile) if profile else None
    member_id = member.group(1) if member else None
    if member_id is None and profile:
        avatar_link = node.css_first(".messageUserInfo a.avatar[class]")
        found = _AVATAR_CLASS.search(avatar_link.attributes.get("class") or "") if (
            avatar_link is not None) else None
        member_id = found.group(1) if found and found.group(1) != "0" else None
    joined_text, joined, messages = _user_extras(node, dates)
    return Author(
        name=name,
        url=profile,
        avatar_url=_avatar_url(node, base),
        joined_text=joined_text,
        joined=joined,
        message_count=messages,
        member_id=member_id,
    )


def _avatar_url(node: LexborNode, base: str) -> str | None:
    """The uploaded avatar as shown; None for XenForo's default placeholder."""
    image = node.css_first(SELECTORS.avatar)
    source = ""
    if image is not None:
        source = (image.attributes.get("src") or image.attributes.get("data-src") or "")
    else:
        span = node.css_first(SELECTORS.avatar_span)
        found = _BACKGROUND_URL.search(span.attributes.get("style") or "") if span else None
        source = found.group(1) if found else ""
    url = urljoin(base, source.strip()) if source else ""
    if not url.startswith(("http://", "https://")) or _DEFAULT_AVATAR.search(urlsplit(url).path):
        return None
    return url


def _user_extras(node: LexborNode, dates: PageDates) -> tuple[str, str | None, int | None]:
    """(joined as shown, joined ISO date, message count) from `.extraUserInfo`."""
    joined_text, joined, messages = "", None, None
    for pair in node.css(SELECTORS.extras):
        term, value = pair.css_first("dt"), pair.css_first("dd")
        if term is None or value is None:
            continue
        label = term.text(strip=True).rstrip(":：").strip().casefold()
        text = value.text(strip=True)
        if label in JOINED_LABELS and not joined_text:
            joined_text = text
            shown = dates.read(text)
            joined = shown[:10] if shown else None
        elif label in MESSAGES_LABELS and messages is None:
            digits = re.sub(r"[,.\s\u066c\u00a0\u202f']", "", text)
            messages = int(digits) if _NUMBER.fullmatch(digits) else None
    return joined_text, joined, messages


def _time(node: LexborNode, dates: PageDates) -> tuple[str | None, str]:
    """(ISO time, the text shown) of a `.DateTime`: unix `data-time` first, then its title."""
    shown = re.sub(r"\s+", " ", node.text().replace("\xa0", " ")).strip()
    unix = (node.attributes.get("data-time") or "").strip()
    if _NUMBER.fullmatch(unix):
        return iso_from_unix(unix), shown
    title = re.sub(r"\s+", " ", node.attributes.get("title") or "").strip()
    return dates.read(title or shown), shown


def _edited(node: LexborNode, author: str, dates: PageDates) -> tuple[str | None, str, str]:
    """(edited time, its text as shown, the editor) from `.editDate`, or (None, "", "")."""
    note = node.css_first(SELECTORS.edit_date)
    if note is None:
        return None, "", ""
    stamp = note.css_first(".DateTime")
    if stamp is None:
        text = re.sub(r"\s+", " ", note.text()).strip()
        date_text = text.split(":", 1)[-1].strip()
        return dates.read(date_text), date_text, ""
    edited, edited_text = _time(stamp, dates)
    label = re.sub(r"\s+", " ", note.text()).strip()
    return edited, edited_text, "" if MODERATOR_EDIT.search(label) else author


# -- attachments and images ------------------------------------------------------------------


def attachment_url(url: str) -> str | None:
    """The full-size URL of an attachment link (`attachments/NAME.ID/`), session-free, or None."""
    parts = urlsplit(url)
    if _ATTACHMENT.search(parts.path) is not None:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    if parts.path.endswith("/index.php") and _ATTACHMENT.search("?" + parts.query):
        return urlunsplit((parts.scheme, parts.netloc, parts.path,
                           parts.query.split("&", 1)[0], ""))
    return None


def _attachment_list(node: LexborNode) -> list[AssetRef]:
    """The attachments listed under the message (`attached_files`), then removed."""
    found = []
    for item in node.css(SELECTORS.attachments):
        link = item.css_first(".attachmentInfo .filename a[href]") or item.css_first("a[href]")
        full = attachment_url(link.attributes.get("href") or "") if link is not None else None
        if full is None:
            continue
        thumb = item.css_first(".thumbnail img")
        name = link.text(strip=True) if link is not None else ""
        found.append(AssetRef(
            url=full,
            filename=name or item.attributes.get("title") or (
                (thumb.attributes.get("alt") or "") if thumb is not None else ""),
            kind="attachment",
            thumbnail_url=(thumb.attributes.get("src") or None) if thumb is not None else None,
        ))
    box = node.css_first(".messageContent .attachedFiles")
    if box is not None:
        box.decompose()
    return found


def _real_source(image: LexborNode) -> str:
    """The image itself, not a lazy-load placeholder nor XenForo's image proxy."""
    for attribute in ("data-url", "data-src", "data-lazy-src"):
        value = (image.attributes.get(attribute) or "").strip()
        if value.startswith(("http://", "https://")):
            return value
    source = (image.attributes.get("src") or "").strip()
    return canonical.unwrap_redirect(source, "proxy.php", "image")


def _canonical_images(body: LexborNode) -> list[AssetRef]:
    """Images at full size as plain `<img src alt>`; their assets (smilies are the board's)."""
    found: list[AssetRef] = []
    for smilie in body.css(SELECTORS.smilie):
        alt = smilie.attributes.get("alt") or ""
        canonical.replace_with_html(smilie, html_lib.escape(alt, quote=False))
    for image in body.css(SELECTORS.image):
        parent = image.parent
        link = parent if parent is not None and parent.tag == "a" else None
        link_target = attachment_url(link.attributes.get("href") or "") if link else None
        source = _real_source(image)
        full = link_target or attachment_url(source) or _data_attachment(source) or source
        if not full.startswith(("http://", "https://")):
            continue
        is_attachment = link_target is not None or attachment_url(full) is not None
        shown = (image.attributes.get("src") or "").strip()  # a thumbnail, when it is one
        alt = image.attributes.get("alt") or ""
        if alt in ("[IMG]", "[\u200bIMG]"):
            alt = ""
        name = alt or url_filename(full)
        found.append(AssetRef(
            url=full, filename=name, kind="attachment" if is_attachment else "image",
            thumbnail_url=shown if is_attachment and shown.startswith("http") and shown != full
            else None,
        ))
        replacement = f'<img src="{html_lib.escape(full)}" alt="{html_lib.escape(alt)}">'
        canonical.replace_with_html(link if link_target is not None and link else image,
                                    replacement)
    return found


def _data_attachment(url: str) -> str | None:
    """A thumbnail file (`data/attachments/0/123-hash.jpg`) -> its attachment page URL."""
    parts = urlsplit(url)
    found = _DATA_ATTACHMENT.search(parts.path)
    if found is None:
        return None
    root = parts.path[: found.start()] + "/"
    return urlunsplit((parts.scheme, parts.netloc, f"{root}attachments/{found.group(1)}/", "", ""))


# -- canonical content -----------------------------------------------------------------------


def _quote_of(block: LexborNode) -> Quote:
    """`.bbCodeQuote[data-author]` and its attribution link `goto/post?id=N#post-N`."""
    author = (block.attributes.get("data-author") or "").strip()
    post_id = None
    attribution = block.css_first(".attribution")
    if attribution is not None:
        for anchor in attribution.css("a[href]"):
            href = html_lib.unescape(anchor.attributes.get("href") or "")
            found = re.search(r"goto/post\?(?:[^#]*&)?id=([0-9]+)|#post-([0-9]+)$|"
                              r"posts/([0-9]+)", href)
            if found is not None:
                post_id = next(group for group in found.groups() if group)
                break
        if not author:
            author = re.sub(r"\s*\S+:\s*$", "", attribution.text(deep=False).strip())
    return Quote(author=author, post_id=post_id)


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """XenForo quotes as canonical quotes, innermost first (nesting survives); page order."""
    blocks = body.css(SELECTORS.quote)
    quotes = [_quote_of(block) for block in blocks]
    canonical.replace_quotes(blocks, quotes, lambda block: block.css_first(
        ".quoteContainer > .quote") or block.css_first("blockquote.quoteContainer") or block)
    return quotes


def _canonical_code(body: LexborNode) -> None:
    for block in body.css(SELECTORS.code):
        code = block.css_first("pre") or block.css_first(".code") or block
        canonical.replace_with_html(block, canonical.code_html(canonical.code_text(code)))


def _canonical_spoilers(body: LexborNode) -> None:
    """XenForo's [SPOILER] (`bb_code_tag_spoiler`): a button with the title, then the text."""
    for block in reversed(body.css(SELECTORS.spoiler)):
        button = block.css_first("button, .bbCodeSpoilerButton")
        title = button.text(strip=True) if button is not None else ""
        inner = block.css_first(".bbCodeSpoilerText") or block
        canonical.replace_with_html(block, canonical.spoiler_html(
            title or "Spoiler", (inner.inner_html or "").strip()))


def _clean_links(body: LexborNode) -> None:
    """Links to their targets: `proxy.php?link=` unwrapped, XenForo sessions dropped."""
    for anchor in body.css("a[href]"):
        href = anchor.attributes.get("href") or ""
        target = canonical.unwrap_redirect(href, "proxy.php", "link")
        anchor.attrs["href"] = without_session(target)


def _drop_board_attributes(body: LexborNode) -> None:
    """Keep only the canonical `fm-` classes and data: the site reads no XenForo markup."""
    for element in body.css("[class], [data-proxy-href], [data-url], [data-src], [target]"):
        for attribute in list(element.attributes):
            if (attribute.startswith("data-") and attribute not in canonical.DATA_ATTRIBUTES) or (
                    attribute == "target"):
                del element.attrs[attribute]
        canonical.keep_canonical_classes(element)


# -- walls -----------------------------------------------------------------------------------


def _raise_for_empty_page(tree: LexborHTMLParser, url: str) -> None:
    """A page without posts: a XenForo 1 wall, another wall, or a layout we do not know."""
    title = page_title(tree)
    content = tree.css_first(SELECTORS.content)
    template = (content.attributes.get("class") or "").split() if content is not None else []
    login = tree.css_first(SELECTORS.login_form)
    if login is not None or any(WALL_TEMPLATES.get(t) == "a login wall" for t in template):
        panel = tree.css_first(SELECTORS.error_panel)
        reason = node_text(panel) if panel is not None else title
        raise AccessBlocked(
            f"{url} answered with XenForo's login wall ({reason or 'log in or sign up'}), not "
            "the thread; nothing was archived from it (the thread may need a login: see "
            "--cookies in --help)"
        )
    overlay = tree.css_first(SELECTORS.error_overlay)
    known = next((WALL_TEMPLATES[t] for t in template if t in WALL_TEMPLATES), None)
    if overlay is not None or known is not None:
        label = overlay.css_first("label") if overlay is not None else None
        message = node_text(label or overlay) if overlay is not None else title
        raise AccessBlocked(
            f"{url} answered with {known or 'an error page'} ({message or title}), not the "
            "thread; nothing was archived from it (the thread may be gone, moved, or need a "
            "login)"
        )
    if THREAD_TEMPLATE in template or tree.css_first("ol#messageList") is not None:
        raise LayoutChanged(
            f"found no posts ({SELECTORS.post}) on the XenForo 1 thread page {url}: the "
            "board's style may have changed the message template"
        )
    check_not_a_wall(tree, url)
    if not detection_markers(tree.html or ""):
        raise LayoutChanged(f"{url} is not a XenForo 1 page (no XenForo 1 markup found); the "
                            "board may use another engine")
    raise LayoutChanged(f"found no posts on {url}: the XenForo 1 layout may have changed")


detection_markers = XenForo1.markers  # the names of this engine's page markers in `html`
