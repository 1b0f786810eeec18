"""phpBB boards (3.0-3.3): topic pages as prosilver renders them to guests, subsilver2 where cheap.

What a page gives and where it comes from:

- Thread: the topic id from `t=` in the URL, else (a `p=N` post permalink, which names no
  topic) from the page itself (`<link rel="canonical">`, the topic title's link, the reply
  button); the title from `h2.topic-title` (3.0: the first `h2` linking to `viewtopic.php`);
  the breadcrumb; the board language from `<html lang>`.
- Pages: the current page and the last from the pagination list, the next page from its
  `rel="next"` link (3.0: the link numbered one more than the current page). Links carry the
  guest's `sid=`; every URL this engine returns is rebuilt without it.
- Posts: the id from `id="p123"`; the position from the page's first post index (`start=`,
  read from the canonical link or the URL) plus the post's place on the page, because phpBB
  prints no post numbers; the author's name, `u=` member id, profile URL and avatar; times.
- Times: `<time datetime>` (3.2+) gives ISO 8601 with the offset. Where it is missing (3.0,
  3.1, and every "Last edited" notice, which phpBB prints as text) the shown text is read by
  `dates.parse_shown_date`, phpBB's stock date formats (`STOCK_DATE_FORMATS`) first, relative
  forms against the fetch time, in the zone the footer states ("All times are <span
  title="Europe/Paris">UTC+01:00</span>", 3.0's "All times are UTC + 1 hour"); where the page
  states none they are naive ISO 8601: zone unknown.
- Content: the post's `.content` turned into the canonical HTML of `canonical.py` (quotes,
  code boxes, spoilers, video and tweet embeds), inline attachments as plain full-size
  `<img>`/`<a>`, all URLs absolute and sid-free; signatures and post buttons are outside it.
- Attachments: inline ones and the attachment box, each at its full-size URL
  `download/file.php?id=N` (thumbnails `&t=1` and `&mode=view` links lead there).

Board markup lives in the selector tables below (`PROSILVER`, `SUBSILVER2`, the wall markers),
so a customised style is usually one more table, not new code.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AccessBlocked, LayoutChanged
from ..lazy_pattern import lazy_regex
from ..records import AssetRef, Author, Embed, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import canonical
from .base import (
    Engine,
    absolutize_urls,
    first_style_with_posts,
    node_text,
    page_tree,
    unique_assets,
    url_filename,
)
from .claims import URL_PATTERNS
from .dates import PageDates, iso_from_machine_time
from .walls import check_not_a_wall

# What a phpBB page carries whatever its style: detection scores pages by these.
_MARKERS = (
    ("body#phpbb", lazy_regex(r"<body[^>]*\bid=[\"']?phpbb\b", re.IGNORECASE)),
    ("powered-by-phpbb", lazy_regex(r"https?://(?:www\.)?phpbb\.com/?[\"']", re.IGNORECASE)),
    ("viewtopic-links", lazy_regex(r"viewtopic\.php\?(?:[^\"']*&amp;)?[tp]=[0-9]", re.IGNORECASE)),
    ("phpbb-cookie", lazy_regex(r"phpbb[0-9]*_[a-z0-9]+_(?:u|sid|k)\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class StyleSelectors:
    """Where one phpBB style puts each part of a topic page (CSS selectors, first match wins)."""

    name: str
    post: str  # one element per post
    content: str  # the message, inside a post
    author: str  # the author's name (its text), inside a post
    profile_link: str  # the author's profile link, inside a post
    avatar: str
    published_time: str  # <time datetime> of the post
    date_line: str  # the element whose text holds the shown date (fallback)
    edited_notice: str
    attachbox: str  # the attachment box below the message
    posts_count: str | None  # "Posts: 123" in the author column (None: not marked up)
    joined: str | None  # "Joined: <date>" in the author column
    title: tuple[str, ...]  # tried in order
    breadcrumb: str  # the container of the breadcrumb links (first match)
    pagination: str  # every container of page links and the current page's number
    next_link: str


PROSILVER = StyleSelectors(
    name="prosilver",
    post="div.post[id^='p']",
    content="div.content",
    author="p.author strong, .postprofile .username, .postprofile .username-coloured",
    profile_link=(
        "p.author a[href*='mode=viewprofile'], .postprofile a[href*='mode=viewprofile']"
    ),
    avatar=".postprofile img.avatar, .postprofile dt > a > img, .postprofile dt > img",
    published_time="p.author time[datetime]",
    date_line="p.author",
    edited_notice="div.notice:not(.post_deleted_msg)",
    attachbox="dl.attachbox",
    posts_count="dd.profile-posts",
    joined="dd.profile-joined",
    title=("h2.topic-title", "#page-body > h2", "h2"),
    breadcrumb="#nav-breadcrumbs .breadcrumbs, ul.navlinks li.icon-home",
    pagination=".action-bar .pagination, .topic-actions .pagination, .pagination",
    next_link=".pagination a[rel='next'], fieldset.display-options a.right-box",
)
# subsilver2 (phpBB 3.0-3.2): one table per post, the id in <a name="pN">, no <time>.
SUBSILVER2 = StyleSelectors(
    name="subsilver2",
    post="table.tablebg:has(a[name^='p'])",
    content="div.postbody",
    author="b.postauthor",
    profile_link="a[href*='mode=viewprofile']",
    avatar="td.profile img[src*='avatar'], td.profile img.avatar",
    published_time="time[datetime]",
    date_line="td.gensmall > div + div",
    edited_notice="td.row3 span.gensmall, span.gensmall",
    attachbox="table.tablebg table.tablebg",
    posts_count=None,  # plain text in span.postdetails
    joined=None,
    title=("h2 a.titles", "h2"),
    breadcrumb="p.breadcrumbs",
    pagination="td.nav, td.gensmall[nowrap]",
    next_link="a[rel='next']",
)
STYLES = (PROSILVER, SUBSILVER2)

# Chrome that may sit inside a post's content on customised boards (reactions, thanks,
# buttons); removed before the canonical HTML is written.
CONTENT_CHROME = (
    "script, style, noscript, .signature, .post-buttons, .profile-icons, .button, "
    ".reactions, .reaction-bar, .post-reactions, .thanks, .postlike, .likes"
)
# Code boxes: 3.1+ `div.codebox > p + pre > code`, 3.0 `dl.codebox > dt + dd > code`.
CODE_BOXES = "div.codebox, dl.codebox"
# Spoilers are no core BBCode; these are the common extensions' markup:
# (wrapper, title inside it, body inside it). ABBC3 first, then generic custom BBCodes.
SPOILERS = (
    ("div.spoilwrapper", ".spoiltitle", ".spoilcontent"),
    ("div.spoiler", ".spoiler-title, .spoiler-header, .spoilertitle",
     ".spoiler-content, .spoiler-body, .spoilercontent"),
)
# "NAME wrote:" in the quote's <cite>, as phpBB's language packs write it.
WROTE = lazy_regex(
    r"\s*(?:wrote|hat geschrieben|a écrit|escribió|ha scritto|schreef|napisał\(a\)|"
    r"написал\(а\)|kirjoitti|skrev|yazdı|escreveu|كتب|כתב)\s*:\s*$",
    re.IGNORECASE,
)
# English texts of phpBB's walls, for styles that do not mark them up as prosilver does.
WALL_TEXTS = (
    "the board requires you to be registered and logged in",
    "you are not authorised to read this forum",
    "the requested topic does not exist",
    "the requested forum does not exist",
    "the requested post does not exist",
    "you must be registered and logged in",
    "the board is currently disabled",
)
# phpBB's stock date formats (its `dateformats` menu, PHP date() letters), the default first.
STOCK_DATE_FORMATS = ("D M d, Y g:i a", "D M d, Y H:i", "d M Y, H:i", "d M Y H:i",
                      "M jS, 'y, H:i", "F jS, Y, g:i a", "F jS, Y, H:i")
# 3.0's footer: "All times are UTC + 1 hour [ DST ]".
_UTC_HOURS = lazy_regex(r"\bUTC\s*(?:(?P<sign>[+-])\s*(?P<hours>[0-9]{1,2}(?:\.[0-9]{1,2})?)"
                        r"\s*hours?)?")
_NUMBER = lazy_regex(r"[0-9]+")
_SID = lazy_regex(r"^[0-9a-f]{32}$")
_ATTACH_PATH = "download/file.php"


class PhpBB(Engine):
    """phpBB 3.0-3.3 topic pages (prosilver, subsilver2 and prosilver-based styles)."""
    summary = "phpBB 3.0-3.3: prosilver, subsilver2 and styles like them"
    cookie_prefixes = ("phpbb3_", "phpbb_")

    name = "phpbb"
    pattern = URL_PATTERNS["phpbb"]
    example = "https://forum.example/viewtopic.php?t=123"
    marker_patterns = _MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/viewtopic.php?t=123",
        "https://forum.example/viewtopic.php?f=2&t=123",
        "https://forum.example/viewtopic.php?f=2&t=123&start=20",
        "https://forum.example/community/viewtopic.php?t=123&sid=0123456789abcdef0123456789abcdef",
        "https://forum.example/viewtopic.php?t=123&highlight=drone&sk=t&sd=a#p456",
        "https://forum.example/viewtopic.php?p=456#p456",
        "http://127.0.0.1:8082/viewtopic.php?t=2&start=4",
    )

    def thread_id(self, url: str) -> str:
        """The topic id of a `t=` URL; a `p=` permalink names no topic (read the page)."""
        return self.thread_id_named(url, lambda topic_url: _number_in(topic_url, "t"), (
            "a phpBB post permalink (p=): it does not name its topic; the topic id is on the "
            "page it leads to (parse_page(...).thread.id), or paste the topic's URL"))

    def first_page_url(self, url: str) -> str:
        """The topic's first page; for a `p=` permalink, the permalink itself (sid-free)."""
        return canonical_thread_url(url)

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        style, post_nodes = first_style_with_posts(tree, STYLES)
        if not post_nodes:
            check_not_a_phpbb_wall(tree, url)
            check_not_a_wall(tree, url)
            if not _looks_like_phpbb(tree):
                raise LayoutChanged(
                    f"{url} is not a phpBB page (no phpBB markup found); the board may use "
                    "another engine or a login wall"
                )
            raise LayoutChanged(
                f"found no posts on {url}: the phpBB style may be customised beyond what this "
                "engine reads (see PROSILVER in scraper/engines/phpbb.py), or the page is a "
                "login wall or error page"
            )
        thread = self._parse_thread(tree, style, url)
        pages = _pagination(tree, style, url, thread.id)
        start = _first_index(tree, url, pages)
        dates = PageDates(thread.language, reference=fetched_at, time_zone=_board_zone(tree),
                          formats=STOCK_DATE_FORMATS)
        posts = [
            self._parse_post(node, style, url, start + index + 1, dates)
            for index, node in enumerate(post_nodes)
        ]
        return ParsedPage(
            thread=thread,
            page_number=pages.current,
            posts=posts,
            next_url=pages.next_url,
            last_page=pages.last,
        )

    # -- thread --------------------------------------------------------------------------

    def _parse_thread(self, tree: LexborHTMLParser, style: StyleSelectors,
                      url: str) -> ThreadInfo:
        topic_id = _topic_id_on_page(tree, url)
        if topic_id is None:
            raise LayoutChanged(f"no topic id (t=) in {url} nor on the page")
        title = _title(tree, style)
        if not title:
            raise LayoutChanged(f"no topic title ({', '.join(style.title)}) on {url}")
        html_node = tree.css_first("html")
        language = ""
        if html_node is not None:
            language = (html_node.attributes.get("lang")
                        or html_node.attributes.get("xml:lang") or "")
        return ThreadInfo(
            id=topic_id,
            url=canonical_thread_url(_with_topic(url, topic_id)),
            title=title,
            breadcrumb=_breadcrumb(tree, style, url),
            language=language,
        )

    # -- posts ---------------------------------------------------------------------------

    def _parse_post(self, node: LexborNode, style: StyleSelectors, url: str, position: int,
                    dates: PageDates) -> ParsedPost:
        post_id = _post_id(node)
        if post_id is None:
            raise LayoutChanged(f"a post on {url} has no id (id=\"pN\" or <a name=\"pN\">)")
        body = node.css_first(style.content)
        if body is None:
            raise LayoutChanged(f"post {post_id} on {url} has no content ({style.content})")
        absolutize_urls(node, url)

        published_node = node.css_first(style.published_time)
        if published_node is not None:
            published_text = published_node.text(strip=True)
            published = iso_from_machine_time(published_node.attributes.get("datetime") or "")
        else:
            published_text = _shown_date_text(node.css_first(style.date_line))
            published = dates.read(published_text)
        edited, edited_text, edited_by = _edited(node, style, dates)

        assets = _attachbox_assets(node, style)
        for chrome in body.css(CONTENT_CHROME):
            chrome.decompose()
        inline_assets = _canonical_attachments(body)
        images = _hotlinked_images(body)
        _canonical_code(body)
        _canonical_spoilers(body)
        quotes = _canonical_quotes(body)
        embeds = _take_embeds(body)
        _strip_sids(body)
        return ParsedPost(
            id=post_id,
            position=position,
            author=_author(node, style, dates),
            published=published,
            published_text=published_text,
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            edited=edited,
            edited_text=edited_text,
            edited_by=edited_by,
            quotes=quotes,
            embeds=embeds,
            assets=unique_assets(inline_assets + assets + images),
        )


# -- URLs ------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _query(url: str) -> Mapping[str, str]:
    """The URL's query (first value wins); `&amp;` pasted from page source is read. Cached:
    a page repeats the same profile and page links many times."""
    query = html_lib.unescape(urlsplit(url).query).replace(";", "&")
    found: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        found.setdefault(key, value)
    return found


def canonical_thread_url(url: str) -> str:
    """The topic's first-page URL: only `f` and `t` kept (sid, highlight, sort, view, start,
    fragment dropped), in that order; a `p=` permalink keeps only `p`."""
    parts = urlsplit(url)
    query = _query(url)
    kept = [(key, query[key]) for key in ("f", "t") if _NUMBER.fullmatch(query.get(key, ""))]
    if not any(key == "t" for key, _ in kept) and _NUMBER.fullmatch(query.get("p", "")):
        kept = [("p", query["p"])]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path,
                       urlencode(kept), ""))


def _page_url(url: str, start: int) -> str:
    """A page of the topic: its canonical URL plus `start=` (left out for the first page)."""
    first = canonical_thread_url(url)
    return f"{first}&start={start}" if start > 0 else first


def _with_topic(url: str, topic_id: str) -> str:
    """`url` naming topic `topic_id` (a `p=` permalink becomes the topic's URL)."""
    parts = urlsplit(url)
    query = _query(url)
    kept = [("f", query["f"])] if _NUMBER.fullmatch(query.get("f", "")) else []
    return urlunsplit((parts.scheme, parts.netloc, parts.path,
                       urlencode([*kept, ("t", topic_id)]), ""))


def without_sid(url: str) -> str:
    """`url` without phpBB's session id (`sid=` of 32 hex digits); everything else kept."""
    parts = urlsplit(url)
    if "sid=" not in parts.query:
        return url
    pairs = parse_qsl(parts.query.replace("&amp;", "&"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not (k == "sid" and _SID.match(v))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def _number_in(url: str, parameter: str) -> str | None:
    value = _query(url).get(parameter, "")
    return value if _NUMBER.fullmatch(value) else None


def _topic_id_on_page(tree: LexborHTMLParser, url: str) -> str | None:
    topic = _number_in(url, "t")
    if topic is not None:
        return topic
    for selector in ("link[rel=canonical]", "h2.topic-title a", "h2 a[href*='viewtopic.php']",
                     "a[href*='posting.php'][href*='mode=reply']"):
        node = tree.css_first(selector)
        if node is not None:
            topic = _number_in(node.attributes.get("href") or "", "t")
            if topic is not None:
                return topic
    hidden = tree.css_first("input[type=hidden][name=t]")
    value = (hidden.attributes.get("value") or "") if hidden is not None else ""
    return value if _NUMBER.fullmatch(value) else None


# -- page structure --------------------------------------------------------------------------


def _post_id(node: LexborNode) -> str | None:
    match = re.fullmatch(r"p([0-9]+)", node.attributes.get("id") or "")
    if match is None:
        anchor = node.css_first("a[name^='p']")
        name = (anchor.attributes.get("name") or "") if anchor is not None else ""
        match = re.fullmatch(r"p([0-9]+)", name)
    return match.group(1) if match else None


def _looks_like_phpbb(tree: LexborHTMLParser) -> bool:
    body = tree.css_first("body#phpbb")
    html = tree.html or ""
    return body is not None or "phpBB" in html or "viewtopic.php" in html


def _title(tree: LexborHTMLParser, style: StyleSelectors) -> str:
    for selector in style.title:
        node = tree.css_first(selector)
        if node is not None and node.text(strip=True):
            return node.text(strip=True)
    title = tree.css_first("title")
    return title.text(strip=True).split(" - ")[0] if title is not None else ""


def _breadcrumb(tree: LexborHTMLParser, style: StyleSelectors, url: str) -> list[Link]:
    trail = tree.css_first(style.breadcrumb)
    if trail is None:
        return []
    links = []
    for anchor in trail.css("a[href]"):
        name = anchor.css_first("[itemprop=name]") or anchor
        text = name.text(strip=True)
        if text:
            links.append(Link(text, without_sid(urljoin(url, anchor.attributes["href"] or ""))))
    return links


@dataclass(frozen=True)
class _Pages:
    current: int
    last: int | None
    next_url: str | None
    per_page: int | None  # from the links' start= steps, when the page shows them


def _pagination(tree: LexborHTMLParser, style: StyleSelectors, url: str,
                topic_id: str) -> _Pages:
    """Current page, last page, next page URL (sid-free) and posts per page."""
    numbered: dict[int, str] = {}  # page number -> its link ("" for the current page)
    current: int | None = None
    starts: list[int] = []
    for box in tree.css(style.pagination):  # above and below the posts: the same numbers
        for item in box.css("a, span, strong"):
            label = item.text(strip=True)
            if not _NUMBER.fullmatch(label):
                continue
            href = item.attributes.get("href") if item.tag == "a" else None
            if href:
                numbered[int(label)] = urljoin(url, href)  # a link wins over a plain number
                start = _number_in(href, "start")
                if start is not None and int(start) > 0:
                    starts.append(int(start) // max(int(label) - 1, 1))
            elif item.tag == "span" and (item.parent is not None and "active" in (
                    item.parent.attributes.get("class") or "")):
                current = int(label)
            else:
                numbered.setdefault(int(label), "")
    per_page = min(starts) if starts else None
    if current is None:
        current = _current_from_start(url, per_page) or _unlinked(numbered) or 1
    next_link = tree.css_first(style.next_link)
    next_href = next_link.attributes.get("href") if next_link is not None else None
    target = urljoin(url, next_href) if next_href else numbered.get(current + 1) or None
    next_url = None
    if target:
        start = _number_in(target, "start")
        next_url = _page_url(_with_topic(target, topic_id), int(start) if start else 0)
    last = max([*numbered, current]) if numbered or next_url is None else None
    return _Pages(current=current, last=last, next_url=next_url, per_page=per_page)


def _current_from_start(url: str, per_page: int | None) -> int | None:
    start = _number_in(url, "start")
    if start is None or not per_page:
        return None
    return int(start) // per_page + 1


def _unlinked(numbered: dict[int, str]) -> int | None:
    """The page number shown without a link (3.0 prints the current page in <strong>)."""
    plain = [number for number, href in numbered.items() if not href]
    return min(plain) if plain else None


def _first_index(tree: LexborHTMLParser, url: str, pages: _Pages) -> int:
    """How many posts come before this page: `start=` of the canonical link or the URL."""
    canonical_link = tree.css_first("link[rel=canonical]")
    for source in (canonical_link.attributes.get("href") or "" if canonical_link else "", url):
        start = _number_in(source, "start")
        if start is not None and _number_in(source, "t") is not None:
            return int(start)
    if pages.per_page:
        return (pages.current - 1) * pages.per_page
    return 0


# -- authors and dates -------------------------------------------------------------------------


def _author(node: LexborNode, style: StyleSelectors, dates: PageDates) -> Author:
    name_node = node.css_first(style.author)
    name = name_node.text(strip=True) if name_node is not None else ""
    link = node.css_first(style.profile_link)
    profile = without_sid(link.attributes.get("href") or "") if link is not None else None
    member_id = _number_in(profile, "u") if profile else None
    joined_text = _labelled_value(node.css_first(style.joined)) if style.joined else ""
    joined = dates.read(joined_text)
    posts_text = (_labelled_value(node.css_first(style.posts_count)).replace(",", "")
                  if style.posts_count else "")
    return Author(
        name=name,
        url=profile or None,
        avatar_url=_avatar_url(node, style),
        joined_text=joined_text,
        joined=joined[:10] if joined else None,
        message_count=int(posts_text) if _NUMBER.fullmatch(posts_text) else None,
        member_id=member_id,
    )


def _labelled_value(node: LexborNode | None) -> str:
    """`<dd><strong>Joined:</strong> VALUE</dd>` -> VALUE."""
    if node is None:
        return ""
    text = node.text(strip=True)
    label = node.css_first("strong")
    if label is not None:
        text = text.removeprefix(label.text(strip=True))
    return text.strip()


def _avatar_url(node: LexborNode, style: StyleSelectors) -> str | None:
    image = node.css_first(style.avatar)
    source = (image.attributes.get("src") or image.attributes.get("data-src") or ""
              if image is not None else "")
    return without_sid(source) if source.startswith(("http://", "https://")) else None


def _shown_date_text(line: LexborNode | None) -> str:
    """The date in "by NAME » DATE" (3.0/3.1) or "Posted: DATE" (subsilver2)."""
    if line is None:
        return ""
    text = line.text(separator=" ")
    for part in line.css("strong, b, a, span.responsive-hide"):
        shown = part.text(separator=" ")
        if shown.strip():
            text = text.replace(shown, " ", 1)
    text = text.rsplit("»", 1)[-1]
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip(" :")


def _board_zone(tree: LexborHTMLParser) -> str | None:
    """The zone the page's times are shown in, where the footer states it: 3.1+ writes
    `All times are <span title="Europe/Paris">UTC+01:00</span>` (the title names the zone,
    its rules included), 3.0 "All times are UTC + 1 hour"."""
    span = tree.css_first("li.rightside > span[title]")
    if span is not None and (zone := (span.attributes.get("title") or "").strip()):
        return zone
    for line in tree.css("#page-footer li.rightside, td.gensmall"):  # prosilver, subsilver2
        if (found := _UTC_HOURS.search(line.text())) is not None:
            return f"UTC{found['sign']}{found['hours']}" if found["sign"] else "UTC"
    return None


# "Last edited by NAME on DATE, edited N times in total." (phpBB's EDITED_TIMES_TOTAL)
_EDITED_ENGLISH = lazy_regex(r"\bon\s+(?P<date>.+?),\s*edited\s+[0-9]+\s+times?\s+in total",
                             re.IGNORECASE)
_EDITOR = ("a.username, a.username-coloured, span.username, span.username-coloured, "
           "a[href*='mode=viewprofile']")


def _starts_with_break(node: LexborNode) -> bool:
    """phpBB's "Last bumped by" notice starts with <br>; the edit notice with text."""
    for child in node.iter(include_text=True):
        if child.is_text_node and not (child.text_content or "").strip():
            continue
        return child.tag == "br"
    return False


def _edited(node: LexborNode, style: StyleSelectors,
            dates: PageDates) -> tuple[str | None, str, str]:
    """(edited time, its date as shown, the editor's name), or (None, "", "")."""
    for notice in node.css(style.edited_notice):
        editor = notice.css_first(_EDITOR)
        if editor is None or _starts_with_break(notice):
            continue
        editor_name = editor.text(strip=True)
        machine = notice.css_first("time[datetime]")
        if machine is not None:
            return (iso_from_machine_time(machine.attributes.get("datetime") or ""),
                    machine.text(strip=True), editor_name)
        reason = notice.css_first("strong")
        text = re.sub(r"\s+", " ", notice.text(separator=" ").replace("\xa0", " ")).strip()
        if reason is not None and reason.text(strip=True):
            text = text.split(reason.text(strip=True), 1)[0].strip()
        match = _EDITED_ENGLISH.search(text)
        if match is not None:
            date_text = match.group("date").strip()
        else:  # another language: after the editor's name and one word, up to the last comma
            after = text.split(editor_name, 1)[-1].strip()
            date_text = after.split(" ", 1)[-1].rsplit(",", 1)[0].strip()
        return dates.read(date_text), date_text, editor_name
    return None, "", ""


# -- attachments and images ------------------------------------------------------------------


def attachment_url(url: str) -> str | None:
    """The full-size URL of a phpBB attachment link or thumbnail (`file.php?id=N`), else None."""
    parts = urlsplit(url)
    if not parts.path.endswith(_ATTACH_PATH):
        return None
    attach_id = _number_in(url, "id")
    if attach_id is None:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"id={attach_id}", ""))


def _file_asset(file_node: LexborNode) -> tuple[AssetRef, bool] | None:
    """One `dl.file`/`dl.thumbnail` (prosilver) or attachment cell: (asset, is an image)."""
    image = file_node.css_first("img")
    link = file_node.css_first("a[href*='file.php']")
    candidates = [
        (link.attributes.get("href") or "") if link is not None else "",
        (image.attributes.get("src") or "") if image is not None else "",
    ]
    full = next((u for u in map(attachment_url, candidates) if u), None)
    if full is None:
        return None
    name = ""
    if image is not None:
        name = image.attributes.get("alt") or ""
    if not name and link is not None:
        name = link.text(strip=True)
    if not name:
        caption = file_node.css_first("dd")
        name = caption.text(strip=True).split(" (", 1)[0] if caption is not None else ""
    thumbnail = None
    if image is not None and link is not None:
        source = without_sid(image.attributes.get("src") or "")
        thumbnail = source if source != full else None
    return AssetRef(url=full, filename=name, kind="attachment",
                    thumbnail_url=thumbnail), image is not None


def _attachbox_assets(node: LexborNode, style: StyleSelectors) -> list[AssetRef]:
    """Attachments listed under the post, then the box removed from the tree."""
    found = []
    box = node.css_first(style.attachbox)
    if box is None:
        return []
    items = box.css("dl.file, dl.thumbnail") or box.css("td")
    for item in items:
        asset = _file_asset(item)
        if asset is not None:
            found.append(asset[0])
    return found


def _canonical_attachments(body: LexborNode) -> list[AssetRef]:
    """Inline attachments as plain full-size `<img>` (images) or `<a>` (files)."""
    found: list[AssetRef] = []

    def replacement(file_node: LexborNode) -> str:
        result = _file_asset(file_node)
        if result is None:
            return ""
        asset, is_image = result
        found.append(asset)
        name = html_lib.escape(asset.filename)
        return (f'<img src="{asset.url}" alt="{name}">' if is_image
                else f'<a href="{asset.url}">{name}</a>')

    for wrapper in body.css("div.inline-attachment"):
        files = wrapper.css("dl.file, dl.thumbnail")
        if files:
            canonical.replace_with_html(wrapper, "".join(replacement(f) for f in files))
    for file_node in body.css("dl.file, dl.thumbnail"):
        canonical.replace_with_html(file_node, replacement(file_node))
    return found


def _hotlinked_images(body: LexborNode) -> list[AssetRef]:
    """[img] images posted from elsewhere (smilies are the board's own: left out)."""
    found = []
    for image in body.css("img"):
        source = image.attributes.get("src") or ""
        classes = image.attributes.get("class") or ""
        if "smilies" in classes or not source.startswith(("http://", "https://")):
            continue
        if attachment_url(source) is not None:
            continue
        name = url_filename(source)
        found.append(AssetRef(url=source, filename=name, kind="image"))
    return found


# -- canonical content -----------------------------------------------------------------------


def _code_text(node: LexborNode) -> str:
    """Code as plain text: `<br>` are line breaks (3.0 writes them), nbsp are spaces."""
    markup = re.sub(r"<br\s*/?>", "\n", node.inner_html or "", flags=re.IGNORECASE)
    text = LexborHTMLParser(f"<pre>{markup}</pre>").css_first("pre")
    return (text.text(deep=True) if text is not None else "").replace("\xa0", " ")


def _canonical_code(body: LexborNode) -> None:
    for box in body.css(CODE_BOXES):
        code = box.css_first("code")
        canonical.replace_with_html(box, canonical.code_html(
            _code_text(code) if code is not None else ""))


def _canonical_spoilers(body: LexborNode) -> None:
    for wrapper_selector, title_selector, body_selector in SPOILERS:
        for wrapper in body.css(wrapper_selector):
            title_node = wrapper.css_first(title_selector)
            inner = wrapper.css_first(body_selector)
            title = ""
            if title_node is not None:
                button = title_node.css_first("input[value]")
                title = (button.attributes.get("value") or "" if button is not None
                         else title_node.text(strip=True))
            canonical.replace_with_html(wrapper, canonical.spoiler_html(
                title or "Spoiler", (inner.inner_html or "") if inner is not None else ""))


def _quoted_post_id(block: LexborNode, cite: LexborNode | None) -> str | None:
    sources = [block.attributes.get("cite") or ""]
    if cite is not None:
        marked = cite.css_first("[data-post-id]")
        if marked is not None:
            value = marked.attributes.get("data-post-id") or ""
            if _NUMBER.fullmatch(value):
                return value
        sources += [a.attributes.get("href") or "" for a in cite.css("a[href*='viewtopic.php']")]
    for source in sources:
        match = re.search(r"[?&;]p=([0-9]+)", html_lib.unescape(source)) or re.search(
            r"#p([0-9]+)$", source)
        if match is not None:
            return match.group(1)
    return None


def _quote_author(cite: LexborNode | None) -> str:
    if cite is None:
        return ""
    for extra in cite.css(".responsive-hide, a[data-post-id], a[href*='viewtopic.php']"):
        extra.decompose()
    profile = cite.css_first("a[href*='memberlist.php'], a.postlink")
    text = profile.text(strip=True) if profile is not None else cite.text(strip=True)
    stripped = WROTE.sub("", text)
    if stripped == text and text.endswith(":"):  # an unknown language: drop its last word
        stripped = text.rsplit(" ", 1)[0] if " " in text else ""
    return stripped.strip()


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """phpBB quotes (3.0-3.3) as canonical quotes, innermost first; records in page order."""
    blocks = [b for b in body.css("blockquote")
              if canonical.QUOTE_CLASS not in (b.attributes.get("class") or "")]
    quotes: list[Quote] = []
    for block in reversed(blocks):
        holder = block.css_first("blockquote > div") or block
        cite = holder.css_first("cite") or block.css_first("cite")
        post_id = _quoted_post_id(block, cite)
        author = _quote_author(cite)
        if cite is not None:
            cite.decompose()
        quotes.append(Quote(author=author, post_id=post_id))
        canonical.replace_with_html(block, canonical.quote_html(
            author, post_id, (holder.inner_html or "").strip()))
    quotes.reverse()
    return quotes


_TWEET_IFRAME = lazy_regex(r"twitter[^#]*#([0-9]+)")


def _take_embeds(body: LexborNode) -> list[Embed]:
    """s9e media embeds (phpBB 3.2+) as static embeds with placeholders; other iframes dropped."""
    embeds: list[Embed] = []
    for wrapper in body.css("[data-s9e-mediaembed]"):
        if wrapper.parent is None:
            continue  # inside a wrapper already replaced
        site = wrapper.attributes.get("data-s9e-mediaembed") or ""
        frame = wrapper if wrapper.tag == "iframe" else wrapper.css_first("iframe")
        source = (frame.attributes.get("src") or frame.attributes.get("data-s9e-mediaembed-src")
                  or "") if frame is not None else ""
        tweet = _TWEET_IFRAME.search(source) if site == "twitter" else None
        if tweet is not None and canonical.youtube_video_id(source) is None:
            embed: Embed | None = Embed(kind="tweet",
                                        url=f"https://twitter.com/i/status/{tweet.group(1)}")
        else:
            embed = canonical.video_embed(source, site)
        canonical.place_embed(wrapper, embed, embeds)
    for frame in body.css("iframe, object, embed"):
        frame.decompose()
    return embeds


def _strip_sids(body: LexborNode) -> None:
    for element in body.css("[href], [src]"):
        for attribute in ("href", "src"):
            value = element.attributes.get(attribute)
            if value and "sid=" in value:
                element.attrs[attribute] = without_sid(value)
        if "onclick" in element.attributes:
            del element.attrs["onclick"]


# -- walls -----------------------------------------------------------------------------------


def check_not_a_phpbb_wall(tree: LexborHTMLParser, url: str) -> None:
    """Raise AccessBlocked for phpBB's login page and its information/error message pages."""
    login = tree.css_first("form#login")
    if login is not None:
        heading = login.css_first("h2")
        explain = heading.text(strip=True) if heading is not None else "login form"
        raise AccessBlocked(
            f"{url} answered with phpBB's login wall ({explain}), not the topic; nothing was "
            "archived from it (the topic may need a login: see --cookies in --help)"
        )
    message = tree.css_first("#message")
    if message is not None:
        title = message.css_first("h2")
        text = message.css_first("p")
        shown = " ".join(n.text(strip=True) for n in (title, text) if n is not None)
        raise AccessBlocked(
            f"{url} answered with a phpBB error page ({shown or 'a message panel'}), not the "
            "topic; nothing was archived from it (the topic may be gone, moved, or need a login)"
        )
    page_text = (tree.body.text(separator=" ") if tree.body is not None else "").lower()
    for marker in WALL_TEXTS:
        if marker in page_text:
            raise AccessBlocked(
                f"{url} answered with a phpBB notice (\"{marker}\"), not the topic; nothing was "
                "archived from it"
            )
