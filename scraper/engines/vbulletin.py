"""vBulletin 3.x and 4.x boards: thread pages (`showthread.php`) as the stock styles render them.

What a page gives and where it comes from:

- Thread: the id from the URL (`t=`, `threadid=`, the friendly `showthread.php?ID-slug`,
  `showthread.php/ID-slug` and `/threads/ID-slug` forms), else, for a post permalink
  (`showthread.php?p=N#postN`, `showpost.php?p=N`, which name no thread), from the page (its
  canonical link, the `t` form fields, the title link, the post counters). The title from
  vB4's `#pagetitle .threadtitle` or vB3's last navbit; the breadcrumb; `<html lang>`.
- Pages: the current and last page from vB4's `.pagination` or vB3's `div.pagenav` ("Page 1
  of 3" and the page links), the next page from its `rel="next"` link. Guests get
  `s=<32 hex>` in every link; every URL this engine returns is rebuilt without it. Relative
  links resolve against vB4's `<base href>`.
- Posts: vB4 `li.postcontainer#post_N` (postbit and postbit_legacy), vB3 `table#postN` (postbit
  and postbit_legacy); the position from the shown post counter (`a#postcountN[name=N]`, vB4's
  `a.postcounter` "#N", vB3's `<strong>N</strong>`); author name, member id (`u=`), profile,
  avatar (not the "unknown" placeholder), join date and post count; times.
- Times: vBulletin writes no machine-readable time. The shown text ("11-24-2021, 10:42 AM",
  the stock `m-d-Y` and `h:i A`) is read by `dates.parse_shown_date` with the board's formats
  (`date_formats`, PHP date() letters, stock ones by default) first, localized month names
  and "Today"/"Yesterday" (against the fetch time) after. The footer states the zone the times
  are shown in ("All times are GMT +1"); when it does, times carry that offset, else they are
  naive ISO 8601: zone unknown. Without the fetch time "Today"/"Yesterday" are left unresolved
  (`published` None, the words in `published_text`).
- Content: `post_message_N` turned into the canonical HTML of `canonical.py` (quotes with the
  quoted post id, code boxes, spoilers, video and tweet embeds), inline attachments and lazy
  images at full size, redirect wrappers unwrapped, URLs absolute and session-free, board
  classes gone.
- Attachments: inline ones and the post's attachment box, at `attachment.php?attachmentid=N`
  (thumbnails `&thumb=1` lead there).

Board markup lives in the selector tables below (`VB4`, `VB3`, the wall markers).
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import AssetRef, Author, Embed, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import canonical
from .base import (
    Engine,
    absolutize_urls,
    base_href,
    fill_positions,
    first_style_with_posts,
    node_text,
    one_line,
    page_tree,
    unique_assets,
    url_filename,
)
from .claims import URL_PATTERNS
from .dates import PageDates
from .walls import check_not_a_wall, page_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StyleSelectors:
    """Where one vBulletin generation's stock style puts each part of a thread page."""

    name: str
    posts_container: str  # present on every thread page, posts readable or not
    post: str  # one element per post
    message: str  # the message, inside a post
    author_link: str
    guest_name: str  # a guest's name (no profile link)
    avatar: str
    date: str  # the element holding the shown post date
    post_counter: str  # the shown "#N" (text)
    edit_note: str
    attachments: str  # the attachment box(es) of a post, outside the message
    user_extras: str  # "Join Date: ...", "Posts: ..." rows
    title: tuple[str, ...]  # tried in order
    breadcrumb: str
    pagination: str  # containers of the page links
    current_page: str
    page_links: str
    next_link: str


VB4 = StyleSelectors(
    name="vBulletin 4",
    posts_container="ol#posts",
    post='ol#posts > li.postcontainer[id^="post_"]',
    message='div[id^="post_message_"] > blockquote.postcontent',
    author_link=".username_container a.username, .userinfo a.username",
    guest_name=".username_container .username.guest, .userinfo .username.guest",
    avatar="a.postuseravatar img, a.postuseravatarlink img",
    date=".posthead .postdate .date, .posthead .date",
    post_counter=".posthead a.postcounter",
    edit_note="blockquote.postcontent.lastedited",
    attachments="div.attachments",
    user_extras="dl.userinfo_extra, dl.userstats",
    title=("#pagetitle .threadtitle a", "#pagetitle .threadtitle", "#breadcrumb .lastnavbit"),
    breadcrumb="#breadcrumb li.navbithome a[href], #breadcrumb li.navbit a[href]",
    pagination=".pagination_top .pagination, .pagination_bottom .pagination, div.pagination",
    current_page="span.selected a, span.selected",
    page_links="span a[href]",
    next_link='.pagination a[rel="next"]',
)
VB3 = StyleSelectors(
    name="vBulletin 3",
    posts_container="div#posts",
    post='div#posts table[id^="post"]:has(div[id^="post_message_"])',
    message='div[id^="post_message_"]',
    author_link="a.bigusername",
    guest_name='div[id^="postmenu_"]',
    avatar='a[href*="member.php"] > img[src]',
    date="td.thead div.normal:not([style])",
    post_counter='td.thead a[id^="postcount"]',
    edit_note='td[id^="td_post_"] > div.smallfont:has(em)',
    attachments="fieldset.fieldset",
    user_extras="td[nowrap] div.smallfont > div",
    title=("td.navbar strong", "title"),
    breadcrumb="span.navbar a[href]",
    pagination="div.pagenav",
    current_page="td.alt2 span strong, td.alt2 strong",
    page_links="a.smallfont[href]",
    next_link='div.pagenav a[rel="next"]',
)
STYLES = (VB4, VB3)

# Chrome that stock styles or common plugins put inside a message; removed before the
# canonical HTML is written (signatures, likes, ads, buttons).
CONTENT_CHROME = (
    "script, style, noscript, .signature, .signaturecontainer, .vbseo_like_postbit, "
    ".vbseo_buttons, .postfoot, .postcontrols, .likes, .post_thanks_box, "
    "[id^='post_thanks_box'], .ad_block, [id^='ad_global']"
)
# Outgoing-link wrappers some boards add (path suffix, parameter holding the target).
REDIRECT_WRAPPERS = (("redirect.php", "url"), ("/redirect-to/", "redirect"),
                     ("/out.php", "url"), ("/link.php", "url"))
# Placeholders shown instead of a member's picture.
DEFAULT_AVATAR = lazy_regex(r"(?:/misc/unknown\.gif|/unknown\.(?:png|gif)|noavatar|"
                            r"default_avatar|/avatars/default)", re.IGNORECASE)
# Smilies are the board's own images, not the post's.
SMILIE = lazy_regex(r"/smilies/|/smiles/|/smileys/", re.IGNORECASE)

# Walls: vB4's STANDARD_ERROR (`div.standard_error`, with a login form for "no permission"),
# vB3's message page (a `td.panelsurround` panel under "vBulletin Message"), and the English
# texts of both for styles that move them.
WALL_LOGIN_FORM = 'form[action*="login.php"]'
WALL_VB4_ERROR = "div.standard_error"
WALL_VB3_PANEL = "td.panelsurround div.panel"
WALL_TEXTS = (
    "you are not logged in or you do not have permission to access this page",
    "invalid thread specified",
    "invalid post specified",
    "this forum requires that you register or login",
    "no thread specified",
    "the forum is currently closed",
)

# Detection markers (name, pattern on the raw page): for the lead's engine scoring.
DETECTION_MARKERS = (
    ("meta-generator", lazy_regex(r'<meta\s+name="generator"\s+content="vBulletin(?! ?[5-9])',
                                  re.I)),  # 5 and later are another engine (vbulletin5)
    ("js-SESSIONURL", lazy_regex(r"\bvar\s+SESSIONURL\s*=")),
    ("js-vb_disable_ajax", lazy_regex(r"\bvb_disable_ajax\b")),
    ("cookie-prefix-bb", lazy_regex(r"\bbb(?:sessionhash|lastvisit|lastactivity|userid|"
                                    r"password)\b|COOKIE_PREFIX\s*=\s*['\"]bb")),
    ("clientscript", lazy_regex(r"clientscript/vbulletin[_-]", re.I)),
    ("postbit-class", lazy_regex(r'class="[^"]*\b(?:postbit|postbitlegacy|postcontainer)\b')),
    ("post-message-id", lazy_regex(r'id="post_message_[0-9]+"')),
    ("html-id", lazy_regex(r'<html[^>]*\bid="vbulletin_html"', re.I)),
)

# The board's shown date formats (PHP date() letters), tried in order: vBulletin's stock "m-d-Y"
# and "h:i A" first, then formats boards commonly pick. Day-first boards (d-m-Y) are ambiguous
# with the stock order: pass their formats to VBulletin(date_formats=...).
STOCK_DATE_FORMATS = (
    "m-d-Y, h:i A", "m-d-Y h:i A", "m-d-Y, H:i", "d-m-Y, h:i A", "d-m-Y, H:i", "d.m.Y, H:i",
    "F jS, Y, h:i A", "F jS, Y h:i A", "M jS, Y, h:i A", "d F Y, H:i", "m-d-Y", "d-m-Y",
    "F jS, Y", "M Y", "F Y",
)
# "Last edited by NAME; DATE at TIME." (vB4) / "Last edited by NAME : DATE at TIME." (vB3)
EDIT_NOTE = lazy_regex(r"^(?P<label>.*?(?:\bby|بواسطة|על ידי|\bvon|\bpar|\bpor|\bdoor))\s+"
                       r"(?P<name>[^;:]+?)\s*[;:]\s+(?P<date>.+?)\.?\s*"
                       r"(?:(?:Reason|السبب|סיבה)\s*:.*)?$", re.S | re.I)
AT_WORDS = lazy_regex(r"\s+(?:at|في|ב-?|um|à|a las)\s+", re.I)
# The footer's zone: "GMT +2", "GMT -5", "GMT +5.5" (decimal hours), "GMT".
GMT_ZONE = lazy_regex(r"\bGMT(?:\s*[+-]\s*[0-9]{1,2}(?:\.[0-9]{1,2})?)?")
JOINED_LABELS = frozenset({"join date", "joined", "تاريخ التسجيل", "تاريخ الانضمام",
                           "תאריך הצטרפות", "registriert seit", "inscription"})
POSTS_LABELS = frozenset({"posts", "المشاركات", "مشاركات", "הודעות", "beiträge", "messages"})
_NUMBER = lazy_regex(r"[0-9]+")
_SESSION = lazy_regex(r"^[0-9a-f]{32}$", re.I)
_POST_ID = lazy_regex(r"^post_?([0-9]+)$")
_MEMBER_ID = lazy_regex(r"(?:[?&;]u(?:serid)?=|member\.php\?|/members/)([0-9]+)")
_QUOTED_POST = lazy_regex(r"[?&;]p=([0-9]+)|#post([0-9]+)")
_FRIENDLY_ROUTE = lazy_regex(r"^(?P<id>[0-9]+)(?:-[^/&;#]*)?(?:/page(?P<page>[0-9]+))?/?$")
_THREADS_PATH = lazy_regex(
    r"^(?P<root>.*?)/(?:threads|showthread\.php)/(?P<id>[0-9]+)(?:-[^/]*)?"
    r"(?:/page(?P<page>[0-9]+))?/?$")
_ATTACHMENT = lazy_regex(r"attachment\.php\?(?:[^#]*?[&;])?attachmentid=([0-9]+)", re.I)
# vBulletin's [video] writes YouTube's flash players (`/v/ID`) as well as its iframes.
_YOUTUBE = lazy_regex(r"^(?:https?:)?//(?:www\.)?youtube(?:-nocookie)?\.com/(?:embed|v)/"
                      r"([\w-]{6,})")
# The file name in a thumbnail's alt ("Click image for larger version. Name: x.jpg Views: 3
# Size: ... ID: ..."), as the English, Arabic and Hebrew language packs label it.
_NAME_IN_ALT = lazy_regex(r"(?:Name|الإسم|الاسم|שם)\s*:\s*(?P<name>.+?)\s*"
                          r"(?:(?:Views|مشاهدات|צפיות|Size|الحجم|גודל|ID|الرقم)\s*:|$)", re.S)
_IMAGE_FILE = lazy_regex(r"\.(?:jpe?g|png|gif|webp)(?:$|[?#])", re.I)
# Query parameters of a thread page worth keeping; everything else (s, sid, highlight,
# sort, order, pp, mode, goto, styleid, langid, ...) is dropped.
PAGE_PARAMETERS = ("t", "page")


class VBulletin(Engine):
    """vBulletin 3.x/4.x thread pages; the board's shown date formats are a setting."""
    summary = "vBulletin 3.x and 4.x"
    cookie_prefixes = ("bbsessionhash", "bblastvisit", "bb_")

    name = "vbulletin"
    pattern = URL_PATTERNS["vbulletin"]
    example = "https://forum.example/showthread.php?t=123"
    marker_patterns = DETECTION_MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/showthread.php?t=123",
        "https://forum.example/showthread.php?t=123&page=2",
        "https://forum.example/forum/showthread.php?s=0123456789abcdef0123456789abcdef&t=123",
        "https://forum.example/showthread.php?t=123&highlight=drone&sort=&order=#post456",
        "https://forum.example/showthread.php?123-some-title",
        "https://forum.example/showthread.php?123-some-title/page3",
        "https://forum.example/showthread.php/123-some-title/page3",
        "https://forum.example/threads/123-some-title/page2",
        "https://forum.example/showthread.php?t=123&p=456#post456",
        "https://forum.example/showthread.php?p=456#post456",
        "https://forum.example/showpost.php?p=456&postcount=7",
    )

    def __init__(self, date_formats: tuple[str, ...] = STOCK_DATE_FORMATS) -> None:
        self.date_formats = date_formats

    def thread_id(self, url: str) -> str:
        """The thread id a URL names; ValueError for a post permalink (p= only)."""
        return self.thread_id_named(url, thread_id_in_url, (
            "a vBulletin post permalink (p=): it does not name its thread; the thread id is on "
            "the page it leads to (parse_page(...).thread.id), or paste the thread's URL"))

    def first_page_url(self, url: str) -> str:
        """The thread's first page; a post permalink becomes `showthread.php?p=N`."""
        try:
            return canonical_thread_url(url)
        except ValueError:
            return clean_page_url(url)

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        style, post_nodes = first_style_with_posts(tree, STYLES)
        if not post_nodes:
            _raise_for_empty_page(tree, url)
        base = base_href(tree, url)  # vB4 pages carry <base href="BBURL/">
        thread = _parse_thread(tree, style, url, base)
        dates = PageDates(thread.language, reference=fetched_at, time_zone=_board_zone(tree),
                          formats=self.date_formats)
        page_number, last_page = _pages(tree, style, url)
        posts = [self._parse_post(node, style, base, dates) for node in post_nodes]
        shown = [_shown_position(node, style) for node in post_nodes]
        for post in fill_positions(posts, shown, (page_number - 1) * len(posts)):
            log.warning("post %s on %s shows no readable post number; position %d assumed",
                        post.id, url, post.position)
        next_link = tree.css_first(style.next_link)
        next_href = (next_link.attributes.get("href") or "") if next_link is not None else ""
        return ParsedPage(
            thread=thread,
            page_number=page_number,
            posts=posts,
            next_url=clean_page_url(urljoin(base, html_lib.unescape(next_href)))
            if next_href else None,
            last_page=last_page,
        )

    # -- posts -------------------------------------------------------------------------------

    def _parse_post(self, node: LexborNode, style: StyleSelectors, base: str,
                    dates: PageDates) -> ParsedPost:
        match = _POST_ID.match(node.attributes.get("id") or "")
        if match is None:
            raise LayoutChanged(f"a post on {base} has no id=\"post_N\" (vB4) or \"postN\" (vB3)")
        post_id = match.group(1)
        body = node.css_first(style.message)
        if body is None:
            raise LayoutChanged(f"post {post_id} on {base} has no message ({style.message})")

        date_node = node.css_first(style.date)
        published_text = one_line(date_node.text()) if date_node is not None else ""
        edited, edited_text, edited_by = _edit_note(node, style, dates)

        assets = _attachment_box_assets(node, style, base)
        absolutize_urls(body, base)
        for chrome in body.css(CONTENT_CHROME):
            chrome.decompose()
        canonical.drop_comments(body)  # "google_ad_section_start" markers, template comments
        inline = _canonical_attachments(body)
        _canonical_code(body)
        _canonical_spoilers(body)
        quotes = _canonical_quotes(body)  # before images: the quote header's icons go
        embeds = _take_embeds(body)
        images = _canonical_images(body)
        _clean_links(body)
        _drop_board_attributes(body)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions from the shown number
            author=_author(node, style, base, dates),
            published=dates.read(published_text),
            published_text=published_text,
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            edited=edited,
            edited_text=edited_text,
            edited_by=edited_by,
            quotes=quotes,
            embeds=embeds,
            assets=unique_assets(inline + assets + images),
        )



def _edit_note(node: LexborNode, style: StyleSelectors,
               dates: PageDates) -> tuple[str | None, str, str]:
    """(edited ISO time, the date as shown, the editor) of "Last edited by X; DATE"."""
    note = node.css_first(style.edit_note)
    if note is None:
        return None, "", ""
    text = one_line(note.text())
    found = EDIT_NOTE.match(text)
    if found is None:
        log.warning("unreadable vBulletin edit note %r", text)
        return None, text, ""
    shown = found.group("date").strip()
    return dates.read(AT_WORDS.sub(", ", shown)), shown, found.group("name").strip()


# -- URLs --------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _query(url: str) -> tuple[str, dict[str, str]]:
    """(friendly route, parameters) of a URL's query; `&amp;` pasted from page source is read.

    `showthread.php?123-slug/page2&s=...` has the route `123-slug/page2`. Cached: a page
    repeats the same profile and page links many times (callers must not change the dict).
    """
    query = html_lib.unescape(urlsplit(url).query).replace(";", "&")
    route = ""
    found: dict[str, str] = {}
    for index, part in enumerate(query.split("&")):
        if index == 0 and _FRIENDLY_ROUTE.match(part):
            route = part
            continue
        key, _, value = part.partition("=")
        found.setdefault(key, value)
    return route, found


def thread_id_in_url(url: str) -> str | None:
    """The thread id a vBulletin URL names (t=, threadid=, friendly forms), else None."""
    parts = urlsplit(url)
    path_form = _THREADS_PATH.match(parts.path)
    if path_form is not None:
        return path_form.group("id")
    route, query = _query(url)
    if route:
        found = _FRIENDLY_ROUTE.match(route)
        return found.group("id") if found is not None else None
    for key in ("t", "threadid"):
        if _NUMBER.fullmatch(query.get(key, "")):
            return query[key]
    return None


def _board_root(url: str) -> tuple[str, str, str]:
    """(scheme, host, folder of the board) of a thread URL."""
    parts = urlsplit(url)
    path_form = _THREADS_PATH.match(parts.path)
    root = path_form.group("root") if path_form is not None else parts.path.rsplit("/", 1)[0]
    return parts.scheme.lower(), parts.netloc.lower(), root


def canonical_thread_url(url: str) -> str:
    """`https://board/folder/showthread.php?t=ID` for any pasted URL of the thread.

    Pages, post anchors, session ids (`s=`, `sid`), highlight and sort parameters and
    fragments go; the friendly forms become `showthread.php?t=ID`, which every vBulletin 3
    and 4 board answers. A post permalink (`p=` only) raises ValueError.
    """
    thread = thread_id_in_url(url)
    if thread is None:
        raise UnsupportedUrl(f"{url} names no vBulletin thread (a post permalink, or not a "
                         "thread URL): read the thread id from its page")
    scheme, host, root = _board_root(url)
    return f"{scheme}://{host}{root}/showthread.php?t={thread}"


def clean_page_url(url: str) -> str:
    """A thread page URL without session, highlight, sort parameters or fragment.

    `showthread.php` keeps `t` and `page` (a permalink keeps its `p`; `showpost.php?p=N`
    becomes `showthread.php?p=N`, the thread page holding it); the friendly forms keep their
    route and drop the query.
    """
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), parts.netloc.lower()
    if _THREADS_PATH.match(parts.path):
        return urlunsplit((scheme, host, parts.path, "", ""))
    route, query = _query(url)
    path = parts.path
    if path.endswith("showpost.php"):
        path = path[: -len("showpost.php")] + "showthread.php"
    if route:
        return urlunsplit((scheme, host, path, route, ""))
    values = {"t": query.get("t") or query.get("threadid") or "", "page": query.get("page", "")}
    kept = [(key, values[key]) for key in PAGE_PARAMETERS if _NUMBER.fullmatch(values[key])]
    if not kept:
        post = query.get("p") or query.get("postid") or ""
        kept = [("p", post)] if _NUMBER.fullmatch(post) else []
    return urlunsplit((scheme, host, path, urlencode(kept), ""))


def without_session(url: str) -> str:
    """`url` without vBulletin's session parameters (`s=<32 hex>`, empty `s=`, `sid`)."""
    parts = urlsplit(url)
    if not parts.query or ("s=" not in parts.query and "sid=" not in parts.query):
        return url
    pieces = html_lib.unescape(parts.query).replace(";", "&").split("&")
    kept = [p for p in pieces if p and not (
        p.startswith("sid=") or (p.startswith("s=") and (p == "s=" or _SESSION.match(p[2:]))))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


# -- thread and pages --------------------------------------------------------------------------


def _parse_thread(tree: LexborHTMLParser, style: StyleSelectors, url: str,
                  base: str) -> ThreadInfo:
    thread = thread_id_in_url(url) or _thread_id_on_page(tree, base)
    if thread is None:
        raise LayoutChanged(f"{url} names no thread id, and neither does the page (no "
                            "canonical link, t field or thread link)")
    title = ""
    for selector in style.title:
        node = tree.css_first(selector)
        if node is not None and (title := node.text(strip=True)):
            break
    if not title:
        raise LayoutChanged(f"no thread title ({', '.join(style.title)}) on {url}")
    last = tree.css_first("#breadcrumb .lastnavbit")
    last_text = last.text(strip=True) if last is not None else ""
    prefix = last_text[: -len(title)].strip() if last_text.endswith(title) else ""
    html_node = tree.css_first("html")
    scheme, host, root = _board_root(url)
    return ThreadInfo(
        id=thread,
        url=f"{scheme}://{host}{root}/showthread.php?t={thread}",
        title=title,
        prefix=prefix,
        breadcrumb=_breadcrumb(tree, style, base),
        language=(html_node.attributes.get("lang") or "") if html_node is not None else "",
    )


def _thread_id_on_page(tree: LexborHTMLParser, base: str) -> str | None:
    """The thread id the page names (for a permalink URL): canonical link, forms, links."""
    for selector, attribute in (("link[rel=canonical]", "href"), ('input[name="t"]', "value"),
                                ('input[name="threadid"]', "value"),
                                ('input[name="searchthreadid"]', "value"),
                                ("#pagetitle .threadtitle a", "href"),
                                ('td.navbar a[href*="showthread.php"]', "href"),
                                ("a.postcounter", "href")):
        for node in tree.css(selector):
            value = html_lib.unescape(node.attributes.get(attribute) or "").strip()
            if attribute == "value":
                if _NUMBER.fullmatch(value):
                    return value
                continue
            found = thread_id_in_url(urljoin(base, value)) if value else None
            if found is not None:
                return found
    return None


def _breadcrumb(tree: LexborHTMLParser, style: StyleSelectors, base: str) -> list[Link]:
    links = []
    for anchor in tree.css(style.breadcrumb):
        title = anchor.text(strip=True)
        if not title:
            image = anchor.css_first("img[alt]")
            title = (image.attributes.get("alt") or "") if image is not None else ""
        href = urljoin(base, html_lib.unescape(anchor.attributes.get("href") or ""))
        links.append(Link(title, without_session(href)))
    return links


def _pages(tree: LexborHTMLParser, style: StyleSelectors, url: str) -> tuple[int, int]:
    """(this page's number, the last page's), from the page links, "Page N of M", the URL."""
    current: int | None = None
    numbers: list[int] = []
    for box in tree.css(style.pagination):
        node = box.css_first(style.current_page)
        digits = _NUMBER.fullmatch(node.text(strip=True)) if node is not None else None
        if current is None and digits is not None:
            current = int(digits.group())
        for anchor in box.css(style.page_links):
            if (digits := _NUMBER.fullmatch(anchor.text(strip=True))) is not None:
                numbers.append(int(digits.group()))
        for anchor in box.css("a[href]"):  # the "Last" link names the last page in its URL
            href = html_lib.unescape(anchor.attributes.get("href") or "")
            if "page" in href and not href.startswith("javascript:"):
                numbers.append(_page_in_url(urljoin(url, href)))
        # "Page 1 of 3" (vB4's popup control, vB3's vbmenu_control): ASCII digits only.
        label = box.css_first("a.popupctrl, td.vbmenu_control")
        found = re.search(r"([0-9]+)\D+([0-9]+)", label.text(strip=True)) if label else None
        if found is not None:
            current = current or int(found.group(1))
            numbers.append(int(found.group(2)))
    if current is None:
        current = _page_in_url(url)
    return current, max([current, *numbers])


def _page_in_url(url: str) -> int:
    parts = urlsplit(url)
    path_form = _THREADS_PATH.match(parts.path)
    if path_form is not None and path_form.group("page"):
        return int(path_form.group("page"))
    route, query = _query(url)
    found = _FRIENDLY_ROUTE.match(route) if route else None
    if found is not None and found.group("page"):
        return int(found.group("page"))
    page = query.get("page", "")
    return int(page) if _NUMBER.fullmatch(page) else 1


def _board_zone(tree: LexborHTMLParser) -> str | None:
    """The zone the page's times are shown in: the footer's "All times are GMT +2"."""
    footer = tree.css_first("#footer_time, div.footer_time")
    lines = [footer] if footer is not None else tree.css("div.smallfont[align=center]")  # vB3
    for line in lines:
        if (found := GMT_ZONE.search(line.text(strip=True))) is not None:
            return found.group()
    return None


# -- posts -------------------------------------------------------------------------------------


def _shown_position(node: LexborNode, style: StyleSelectors) -> int | None:
    """The shown post number: `a#postcountN[name=N]`, else the counter's text (#1,234)."""
    anchor = node.css_first('a[id^="postcount"][name]')
    if anchor is not None and (digits := _NUMBER.fullmatch(anchor.attributes.get("name") or "")):
        return int(digits.group())
    counter = node.css_first(style.post_counter)
    if counter is not None:
        digits_text = "".join(_NUMBER.findall(counter.text(strip=True)))
        if digits_text:
            return int(digits_text)
    return None


def _author(node: LexborNode, style: StyleSelectors, base: str, dates: PageDates) -> Author:
    link = node.css_first(style.author_link)
    if link is None:
        guest = node.css_first(style.guest_name)
        return Author(guest.text(strip=True) if guest is not None else "")
    href = without_session(urljoin(base, html_lib.unescape(link.attributes.get("href") or "")))
    member = _MEMBER_ID.search(href)
    member_id = member.group(1) if member is not None else None
    avatar = node.css_first(style.avatar)
    avatar_url = ""
    if avatar is not None:
        source = avatar.attributes.get("data-src") or avatar.attributes.get("src") or ""
        avatar_url = without_session(urljoin(base, html_lib.unescape(source)))
    if DEFAULT_AVATAR.search(avatar_url) or not avatar_url.startswith(("http://", "https://")):
        avatar_url = ""
    joined_text, joined, count = _user_extras(node, style, dates)
    return Author(
        name=link.text(strip=True),
        url=_profile_url(href, member_id),
        avatar_url=avatar_url or None,
        joined_text=joined_text,
        joined=joined,
        message_count=count,
        member_id=member_id,
    )


def _profile_url(href: str, member_id: str | None) -> str:
    """`member.php?u=N` (query form) or the friendly profile URL without its query."""
    parts = urlsplit(href)
    if member_id is not None and parts.path.endswith("member.php") and "u=" in parts.query:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, f"u={member_id}", ""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _user_extras(node: LexborNode, style: StyleSelectors, dates: PageDates
                 ) -> tuple[str, str | None, int | None]:
    """(join date shown, as ISO date, post count) from `dt`/`dd` pairs or "Label: value"."""
    pairs: list[tuple[str, str]] = []
    for box in node.css(style.user_extras):
        terms = box.css("dt")
        if terms:
            for term in terms:
                sibling = term.next
                while sibling is not None and sibling.tag != "dd":
                    sibling = sibling.next
                if sibling is not None:
                    pairs.append((term.text(strip=True), sibling.text(strip=True)))
        else:
            label, _, value = one_line(box.text()).partition(":")
            if value:
                pairs.append((label, value.strip()))
    joined_text, joined, count = "", None, None
    for label, value in pairs:
        key = label.rstrip(":").strip().casefold()
        if key in JOINED_LABELS and not joined_text:
            joined_text = value
            shown = dates.read(value)
            joined = shown[:10] if shown else None
        elif key in POSTS_LABELS and count is None:
            digits = "".join(_NUMBER.findall(value))
            count = int(digits) if digits else None
    return joined_text, joined, count


# -- content -----------------------------------------------------------------------------------


def attachment_url(url: str) -> str | None:
    """`.../attachment.php?attachmentid=N` of an attachment link or thumbnail, else None."""
    found = _ATTACHMENT.search(html_lib.unescape(url))
    if found is None:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path,
                       f"attachmentid={found.group(1)}", ""))


def _attachment_name(link: LexborNode | None, image: LexborNode | None) -> str:
    if image is not None:
        alt = image.attributes.get("alt") or image.attributes.get("title") or ""
        named = _NAME_IN_ALT.search(alt)  # "Click image for larger version. Name: x.jpg ..."
        if named is not None:
            return named.group("name").strip()
        if alt:
            return alt.strip()
    return link.text(strip=True) if link is not None else ""


def _attachment_asset(link: LexborNode | None, image: LexborNode | None) -> AssetRef | None:
    candidates = [(link.attributes.get("href") or "") if link is not None else "",
                  (image.attributes.get("src") or "") if image is not None else ""]
    full = next((u for u in map(attachment_url, candidates) if u), None)
    if full is None:
        return None
    thumbnail = None
    if image is not None and link is not None:
        source = without_session(html_lib.unescape(image.attributes.get("src") or ""))
        thumbnail = source if source and attachment_url(source) and source != full else None
    return AssetRef(url=full, filename=_attachment_name(link, image), kind="attachment",
                    thumbnail_url=thumbnail)


def _attachment_box_assets(node: LexborNode, style: StyleSelectors, base: str) -> list[AssetRef]:
    """Attachments listed under the message (thumbnails, images, files)."""
    found = []
    for box in node.css(style.attachments):
        absolutize_urls(box, base)
        for element in box.css('a[href*="attachment.php"], img[src*="attachment.php"]'):
            if element.tag == "img" and element.parent is not None and element.parent.tag == "a":
                continue  # read with its link
            link = element if element.tag == "a" else None
            image = element.css_first("img") if link is not None else element
            asset = _attachment_asset(link, image)
            if asset is not None:
                found.append(asset)
    return found


def _canonical_attachments(body: LexborNode) -> list[AssetRef]:
    """Inline attachments (thumbnails linking to the file) as full-size `<img>` or `<a>`."""
    found: list[AssetRef] = []
    for element in body.css('a[href*="attachment.php"], img[src*="attachment.php"]'):
        if element.parent is None:
            continue
        if element.tag == "img" and element.parent.tag == "a" and attachment_url(
                element.parent.attributes.get("href") or ""):
            continue  # replaced with its link
        link = element if element.tag == "a" else None
        image = element.css_first("img") if link is not None else element
        asset = _attachment_asset(link, image)
        if asset is None:
            continue
        found.append(asset)
        name = html_lib.escape(asset.filename)
        canonical.replace_with_html(element, f'<img src="{asset.url}" alt="{name}">'
                                    if image is not None else f'<a href="{asset.url}">{name}</a>')
    return found


def _canonical_images(body: LexborNode) -> list[AssetRef]:
    """Posted images: lazy ones get their real source; thumbnails linking to a larger image
    show it; hot-linked images are assets (smilies are the board's, not the post's)."""
    found = []
    for image in body.css("img"):
        source = (image.attributes.get("data-src") or image.attributes.get("data-url")
                  or image.attributes.get("data-lazy-src") or image.attributes.get("src") or "")
        parent = image.parent
        if parent is not None and parent.tag == "a":
            target = parent.attributes.get("href") or ""
            if _IMAGE_FILE.search(target) and target.startswith(("http://", "https://")):
                source = target
        if not source.startswith(("http://", "https://")) or SMILIE.search(source):
            continue
        if attachment_url(source) is not None:
            continue
        for attribute in ("data-src", "data-url", "data-lazy-src"):
            if attribute in image.attributes:
                del image.attrs[attribute]
        image.attrs["src"] = source
        name = url_filename(source)
        found.append(AssetRef(url=source, filename=name, kind="image"))
    return found


def _canonical_code(body: LexborNode) -> None:
    """vB4 `div.bbcode_container > pre.bbcode_code` (and PHP/HTML boxes), vB3
    `div > div.smallfont + pre.alt2` (or `div.alt2 > code`) as canonical code blocks."""
    for code in body.css("pre.bbcode_code, div.bbcode_code"):
        parent = code.parent
        box = parent if parent is not None and "bbcode_container" in (
            parent.attributes.get("class") or "") else code
        canonical.replace_with_html(box, canonical.code_html(canonical.code_text(code)))
    for code in body.css("pre.alt2, div.alt2 > code"):
        holder = code if code.tag == "pre" else code.parent
        if holder is None or holder.parent is None:
            continue
        box = holder.parent if holder.parent.tag == "div" and holder.parent != body else holder
        canonical.replace_with_html(box, canonical.code_html(canonical.code_text(code)))


def _canonical_spoilers(body: LexborNode) -> None:
    """Spoilers are no stock BBCode: the common custom ones, a `div.spoiler` with title and
    body parts, and the "Show" button over a hidden `div` (vB3/4 spoiler BBCode)."""
    for block in reversed(body.css("div.spoiler, div.bbcode_spoiler")):
        title_node = block.css_first('[class*="title"], [class*="head"], .bbcode_description')
        inner = block.css_first('[class*="body"], [class*="content"]')
        title = title_node.text(strip=True) if title_node is not None else ""
        for toggle in block.css("input, button"):
            toggle.decompose()
        canonical.replace_with_html(block, canonical.spoiler_html(
            title.rstrip(":") or "Spoiler", ((inner or block).inner_html or "").strip()))
    for button in body.css('input[type="button"][onclick*="display"]'):
        header = button.parent
        box = header.parent if header is not None else None
        if header is None or box is None or box == body:
            continue
        hidden = box.css_first('div[style*="display: none"], div[style*="display:none"]')
        title = re.sub(r"\s*:\s*$", "", one_line(header.text()).replace(
            button.attributes.get("value") or "", "")).strip()
        canonical.replace_with_html(box, canonical.spoiler_html(
            title or "Spoiler", ((hidden.inner_html or "") if hidden is not None else "").strip()))


def _quoted_post(block: LexborNode) -> str | None:
    for anchor in block.css('a[href*="p="], a[href*="#post"]'):
        found = _QUOTED_POST.search(html_lib.unescape(anchor.attributes.get("href") or ""))
        if found is not None:
            return found.group(1) or found.group(2)
    return None


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """vB4 `div.bbcode_container > div.bbcode_quote` and vB3 `div > table td.alt2` quotes as
    canonical quotes, innermost first (so nesting survives); records in page order."""
    order = {node: index for index, node in enumerate(body.traverse())}
    found: list[tuple[int, Quote]] = []
    for quote_node in reversed(body.css("div.bbcode_quote")):
        parent = quote_node.parent
        box = parent if parent is not None and "bbcode_container" in (
            parent.attributes.get("class") or "") else quote_node
        posted_by = quote_node.css_first(".bbcode_postedby")
        author, post_id = "", None
        if posted_by is not None:
            name = posted_by.css_first("strong")
            author = name.text(strip=True) if name is not None else ""
            post_id = _quoted_post(posted_by)
        message = quote_node.css_first(".message")
        if message is None:
            message = quote_node.css_first(".quote_container") or quote_node
            for chrome in message.css(".bbcode_quote_container, .bbcode_postedby"):
                chrome.decompose()
        found.append((order.get(box, 0), Quote(author, post_id)))
        canonical.replace_with_html(box, canonical.quote_html(
            author, post_id, (message.inner_html or "").strip()))
    for cell in reversed(body.css("table td.alt2")):
        table = cell.parent
        while table is not None and table.tag != "table":
            table = table.parent
        if table is None or table.parent is None:
            continue
        box = table.parent if table.parent.tag == "div" and table.parent != body else table
        header = cell.css_first("div:not([style])")
        italic = cell.css_first('div[style*="italic"]')
        author, post_id = "", None
        if header is not None and italic is not None:
            name = header.css_first("strong")
            author = name.text(strip=True) if name is not None else ""
            post_id = _quoted_post(header)
            inner = italic.inner_html or ""
        else:
            inner = cell.inner_html or ""
        found.append((order.get(box, 0), Quote(author, post_id)))
        canonical.replace_with_html(box, canonical.quote_html(author, post_id, inner.strip()))
    return [quote for _, quote in sorted(found, key=lambda pair: pair[0])]


def _take_embeds(body: LexborNode) -> list[Embed]:
    """Video players ([video], YouTube iframes/objects) and tweets as static embeds."""
    embeds: list[Embed] = []
    for tweet in body.css("blockquote.twitter-tweet"):
        status = None
        for anchor in tweet.css("a[href]"):
            if "/status/" in (anchor.attributes.get("href") or ""):
                status = anchor
        paragraph = tweet.css_first("p")
        canonical.place_embed(tweet, Embed(
            kind="tweet", url=(status.attributes.get("href") or "") if status else "",
            date_text=status.text(strip=True) if status is not None else "",
            text=node_text(paragraph) if paragraph is not None else "",
            lang=(paragraph.attributes.get("lang") or "") if paragraph is not None else ""),
            embeds)
    for player in body.css("iframe, object, embed"):
        if player.parent is None:
            continue
        source = player.attributes.get("src") or player.attributes.get("data") or ""
        if player.tag == "object" and not source:
            movie = player.css_first('param[name="movie"]')
            source = (movie.attributes.get("value") or "") if movie is not None else ""
        canonical.place_embed(player, canonical.video_embed(source, players=_YOUTUBE), embeds)
    return embeds


def _clean_links(body: LexborNode) -> None:
    """Links and images without session ids, outgoing links without the redirect wrapper."""
    for element in body.css("[href], [src]"):
        for attribute in ("href", "src"):
            value = element.attributes.get(attribute)
            if not value:
                continue
            cleaned = without_session(value)
            for suffix, parameter in REDIRECT_WRAPPERS:
                cleaned = canonical.unwrap_redirect(cleaned, suffix, parameter)
            if cleaned != value:
                element.attrs[attribute] = cleaned


def _drop_board_attributes(body: LexborNode) -> None:
    """Keep only the canonical `fm-` classes; drop event handlers and vB's image chrome."""
    for element in body.css("[class], [onclick], [onload], [border]"):
        canonical.keep_canonical_classes(element)
        for attribute in ("onclick", "onload", "border"):
            if attribute in element.attributes:
                del element.attrs[attribute]


# -- walls and detection -----------------------------------------------------------------------


def _raise_for_empty_page(tree: LexborHTMLParser, url: str) -> None:
    """A page without readable posts: a vBulletin wall, a changed layout, or another engine."""
    check_not_a_vbulletin_wall(tree, url)
    for style in STYLES:
        if tree.css_first(style.posts_container) is not None:
            raise LayoutChanged(
                f"found no readable posts on {url}, though it is a {style.name} thread page "
                f"({style.posts_container}): the style may be customised beyond what this "
                "engine reads (see VB4/VB3 in scraper/engines/vbulletin.py)")
    check_not_a_wall(tree, url)
    if detection_markers(tree.html or ""):
        raise LayoutChanged(
            f"found no posts on {url}: it is a vBulletin page, but not a thread page this "
            "engine can read (a customised style, or not showthread.php)")
    raise LayoutChanged(f"{url} is not a vBulletin thread page (no vBulletin markup found); "
                        "the board may use another engine")


def check_not_a_vbulletin_wall(tree: LexborHTMLParser, url: str) -> None:
    """Raise AccessBlocked for vBulletin's no-permission/login page and its message pages."""
    title = page_title(tree)
    error = tree.css_first(WALL_VB4_ERROR) or tree.css_first(WALL_VB3_PANEL)
    message = one_line(error.text()) if error is not None else ""
    if error is not None and (error.css_first(WALL_LOGIN_FORM) is not None
                              or "permission" in message.lower()):
        raise AccessBlocked(
            f"{url} answered with vBulletin's login wall ({title or 'no permission'}), not the "
            "thread; nothing was archived from it (the thread may need a login: see --cookies "
            "in --help)")
    if error is not None:
        raise AccessBlocked(
            f"{url} answered with a vBulletin error page ({message[:160] or title}), not the "
            "thread; nothing was archived from it (the thread may be gone, moved, or need a "
            "login)")
    text = (tree.body.text(separator=" ") if tree.body is not None else "").lower()
    for marker in WALL_TEXTS:
        if marker in text:
            raise AccessBlocked(f"{url} answered with a vBulletin notice (\"{marker}\"), not "
                                "the thread; nothing was archived from it")


detection_markers = VBulletin.markers  # which of vBulletin's page markers `html` holds
