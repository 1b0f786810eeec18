"""Simple Machines Forum (SMF 2.0 and 2.1, default themes): topic pages as guests see them.

What a page gives and where it comes from:

- Thread: the topic id from `topic=ID.OFFSET` in the URL (also the queryless form
  `index.php/topic,ID.OFFSET.html`), else, for a 2.1 post permalink (`index.php?msg=N`, which
  names no topic), from the page itself (`<link rel="canonical">`, the search form's topic
  field); the title from `#top_subject` (2.1) or the last step of the linktree; the linktree
  as breadcrumb; the language from `<html lang>` (2.1 only: SMF 2.0 writes just `dir`).
- Pages: `div.pagelinks` holds the current page (2.1 `span.current_page`, 2.0
  `[<strong>N</strong>]`) and `a.nav_page` / `a.navPages` links; the next page is the link
  numbered one more (2.1 also an arrow link). SMF 2.0's `<link rel="next">` is the next
  *topic*, so it is not used. Cookieless guests get `PHPSESSID=` in every link; every URL
  returned here is rebuilt without it.
- Posts: the id from `div.inner#msg_N`; the position from the shown reply number (2.1
  `span.page_number` "#N", 2.0 "« Reply #N on: ... »"; the first post of a topic shows none),
  reply N being position N + 1; where no number can be read it follows its neighbours, else
  the page's offset. Author name, `u=` member id, profile URL and avatar from `div.poster`.
- Times: SMF prints no machine-readable time and no time zone: the shown text (`November 24,
  2021, 08:12:00 AM`, `نوفمبر 24, 2021, 08:12:00 ص`, `24 נובמבר 2021, 10:42:00`) is read by
  `dates.parse_shown_date`, "Today at ..." against the fetch time (None without it), giving
  naive ISO 8601: zone unknown (the page does not state the board's display zone).
- Content: `div.inner` turned into the canonical HTML of `canonical.py`: quotes (2.0
  `div.quoteheader` + `blockquote`, 2.1 `blockquote > cite`) with the quoted post's id from
  the header link, code boxes, spoiler mods, iframe players as embeds, attachments at their
  full-size `action=dlattach;attach=N` URL; signatures, likes and buttons are outside it.
  SMF core wraps no outgoing links, so there is no redirect to unwrap.

Board markup lives in `SELECTORS` and the word lists below; a customised theme is usually a
change there, not new code.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import AssetRef, Author, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from . import canonical
from .base import (
    Engine,
    absolutize_urls,
    fill_positions,
    node_text,
    one_line,
    page_tree,
    url_filename,
)
from .claims import URL_PATTERNS
from .dates import PageDates
from .walls import check_not_a_wall, page_title

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selectors:
    """Where SMF 2.0 (Curve, core) and 2.1 default templates put each thing; first match wins."""

    body: str = 'div.inner[id^="msg_"]'
    posts_container: str = "#forumposts"
    poster: str = ".poster"
    author_link: str = '.poster h4 a[href*="action=profile"]'
    author_name: str = ".poster h4"
    avatar: str = ".poster img.avatar"
    message_count: str = ".poster li.postcount"
    post_number: str = ".keyinfo .page_number, .page_number"  # 2.1: "#N"
    date_21: str = ".keyinfo .postinfo a.smalltext"
    date_20: str = ".keyinfo div.smalltext"  # 2.0: "« <strong>Reply #N on:</strong> DATE »"
    modified: str = '[id^="modified_"]'
    attachment_box: str = '[id$="_footer"].attachments'
    linktree: str = ".navigate_section"
    title: str = "#top_subject"
    topic_fields: str = 'input[name="topic"], input[name="sd_topic"]'
    pagelinks: str = ".pagelinks"
    page_links: str = "a.nav_page, a.navPages"
    current_page_21: str = ".current_page"
    quote: str = 'blockquote[class*="bbc_"]'
    quote_header: str = "quoteheader"  # 2.0: a div before the blockquote
    quote_footer: str = "quotefooter"
    code: str = "code.bbc_code"
    code_header: str = "codeheader"
    image: str = "img"
    video_frame: str = "iframe[src]"
    # Chrome that mods or themes put inside the message; removed before it is kept.
    chrome: str = ("script, style, noscript, .signature, .quickbuttons, .smflikebutton, "
                   ".like_count, .under_message, .moderatorbar")
    # Walls: SMF's fatal error box (missing topic, no permission), the login form of
    # template_kick_guest and the maintenance page. 2.0's header puts a quick-login form
    # (#guest_form) on every guest page: it says nothing.
    fatal_error: str = "#fatal_error"
    fatal_message: str = "#fatal_error .padding, #fatal_error .windowbg"
    guest_form: str = "#guest_form"
    login_form: str = 'form#frmLogin, form[action*="action=login2"], #maintenance_mode'


SELECTORS = Selectors()

# Spoilers are no core BBCode; (wrapper, title inside it, body inside it) of common mods.
SPOILERS = (
    ("div.spoiler", ".spoilerheader, .spoiler_head, .spoiler-title", ".spoilerbody, "
     ".spoiler_body, .spoiler-body"),
    ("div.sp-wrap", ".sp-head", ".sp-body"),
)

ASCII_NUMBER = lazy_regex(r"[0-9]+")
MEMBER_ID = lazy_regex(r"[?;&]u=([0-9]+)")
ATTACH_ID = lazy_regex(r"[?;&]attach=([0-9]+)")
QUOTED_POST = lazy_regex(r"[?;&]msg=([0-9]+)|\.msg([0-9]+)|#msg([0-9]+)")
TOPIC_VALUE = lazy_regex(r"^([0-9]+)(?:\.([0-9]+|msg[0-9]+|new|from[0-9]+))?")
# PHPSESSID, the old `sesc`, and 2.x's random session variable name (`d41e8c7a2=...`).
SESSION_PARAMETER = lazy_regex(r"^(?:PHPSESSID|sesc|(?=[a-f]*[0-9])[a-f0-9]{5,12})=",
                               re.IGNORECASE)
DEFAULT_AVATAR = lazy_regex(r"/default_avatar\.(?:png|gif|jpe?g|svg)$", re.IGNORECASE)
# Words SMF's language packs put in a quote header ("Quote from: NAME on DATE") before the
# date, and in the edit note ("Last Edit: DATE by NAME") before the editor.
QUOTE_ON_WORDS = (" on ", " في ", " ב ", " am ", " le ", " el ", " op ", " il ")
EDIT_BY_WORDS = (" by ", " بواسطة ", " من قبل ", " על ידי ", " von ", " par ", " por ", " door ",
                 " da ")

# What an SMF page carries whatever its theme: detection scores pages by these.
_DETECTION_MARKERS = (
    ("generator meta", lazy_regex(r'<meta\s+name="generator"\s+content="(?:SMF|Simple Machines)',
                                  re.IGNORECASE)),
    ("smf_scripturl", lazy_regex(r"\bvar\s+smf_scripturl\s*=")),
    ("smf_theme_url", lazy_regex(r"\bvar\s+smf_theme_url\s*=")),
    ("smf_session_var", lazy_regex(r"\bvar\s+smf_session_(?:var|id)\s*=")),
    ("Powered by SMF", lazy_regex(r">\s*(?:Powered by )?SMF [0-9][^<]*</a>|>Powered by SMF")),
    ("simplemachines.org link", lazy_regex(r'href="https?://(?:www\.)?simplemachines\.org')),
    ("PHPSESSID", lazy_regex(r"[?&;]PHPSESSID=")),
    ("SMFCookie", lazy_regex(r"SMFCookie[0-9]*")),
    ("dlattach", lazy_regex(r"[?;]action=dlattach;")),
)


def _session_free_query(query: str) -> str | None:
    """The query without session parameters (SMF's `;` joins), or None when it had none."""
    tokens = [t for t in re.split(r"&amp;|[;&]", query) if t]
    kept = [t for t in tokens if not SESSION_PARAMETER.match(t)]
    if len(kept) == len(tokens):
        return None
    return ";".join(kept)


def strip_session(url: str) -> str:
    """`url` without PHPSESSID / sesc / session-var parameters; other URLs unchanged."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = _session_free_query(parts.query)
    if query is None:
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _script_path(path: str) -> str:
    """`/forum/index.php` for `/forum/index.php`, `/forum/index.php/topic,1.0.html`, `/forum/`."""
    found = re.search(r"^(.*?/index\.php)(?:/|$)", path)
    if found is not None:
        return found.group(1)
    return path.rsplit("/", 1)[0] + "/index.php"


def _parameters(url: str) -> dict[str, str]:
    """The SMF parameters of a URL: its query (`;`/`&`) or its queryless path part."""
    parts = urlsplit(html_lib.unescape(url))
    found: dict[str, str] = {}
    queryless = re.search(r"/index\.php/(.+?)(?:\.html)?$", parts.path)
    tokens: list[str] = []
    if queryless is not None:
        tokens += [t.replace(",", "=", 1) for t in queryless.group(1).split("/")]
    tokens += re.split(r"[;&]", parts.query)
    for token in tokens:
        key, _, value = token.partition("=")
        if key:
            found.setdefault(key, value)
    return found


def _topic_of(url: str) -> tuple[str, str] | None:
    """(topic id, the part after the dot: offset, `msgN`, `new`, ...) of a topic URL."""
    value = _parameters(url).get("topic", "")
    found = TOPIC_VALUE.match(value)
    if found is None:
        return None
    return found.group(1), found.group(2) or "0"


def _board_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{_script_path(parts.path)}"


def _thread_url(url: str, topic: str) -> str:
    return f"{_board_url(url)}?topic={topic}.0"


def canonical_thread_url(url: str) -> str:
    """`https://board/root/index.php?topic=ID.0` for any pasted URL of the topic.

    Offsets, `msgN` permalinks, `;all`, session ids, highlight and sort parameters and
    fragments go; the queryless form (`index.php/topic,ID.N.html`) becomes the query form,
    which every SMF board answers. A 2.1 post permalink (`index.php?msg=N`) raises
    ValueError: only its page says which topic it belongs to.
    """
    topic = _topic_of(url)
    if topic is None:
        if ASCII_NUMBER.fullmatch(_parameters(url).get("msg", "")):
            raise UnsupportedUrl(
                f"{url} is an SMF post permalink (msg=N): it does not name its topic; fetch it "
                "and read the topic id from the page (parse_page(...).thread.id)"
            )
        raise UnsupportedUrl(f"{url} is not an SMF topic URL (index.php?topic=N.0)")
    return _thread_url(url, topic[0])


def clean_page_url(url: str) -> str:
    """A topic page URL without session, highlight, sort parameters or fragment.

    The query form keeps only `topic=ID.OFFSET` (a permalink only `msg=N`); the queryless
    form keeps its path and loses its query.
    """
    parts = urlsplit(url)
    if "/index.php/" in parts.path:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    parameters = _parameters(url)
    key = "topic" if "topic" in parameters else "msg"
    query = f"{key}={parameters[key]}" if parameters.get(key) else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class SMF(Engine):
    """SMF 2.0 and 2.1 topic pages (default Curve/Curve2 themes, 2.0 core where cheap)."""
    summary = "SMF (Simple Machines Forum) 2.0 and 2.1"
    cookie_prefixes = ("SMFCookie",)

    name = "smf"
    pattern = URL_PATTERNS["smf"]
    example = "https://forum.example/index.php?topic=123.0"
    marker_patterns = _DETECTION_MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/index.php?topic=123.0",
        "https://forum.example/index.php?topic=123.40",
        "https://forum.example/community/index.php?topic=123.msg456#msg456",
        "https://forum.example/index.php?topic=123.0;all",
        "https://forum.example/index.php/topic,123.20.html",
        "https://forum.example/index.php?PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b&topic=123.0",
        "https://forum.example/index.php?msg=456",
        "https://forum.example/?topic=123.0",
    )

    def thread_id(self, url: str) -> str:
        """The topic id of a `topic=` URL; ValueError for a `msg=N` permalink (read the page)."""
        if not self.matches(url):
            raise UnsupportedUrl(f"{url} is not an SMF topic URL")
        topic = _topic_of(url)
        if topic is None:
            canonical_thread_url(url)  # raises the permalink's explanation
            raise UnsupportedUrl(f"{url} names no SMF topic")
        return topic[0]

    def first_page_url(self, url: str) -> str:
        """The topic's first page; a `msg=N` permalink stays itself (only its page knows more)."""
        try:
            return canonical_thread_url(url)
        except ValueError:
            return clean_page_url(strip_session(url))

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        bodies = tree.css(SELECTORS.body)
        if not bodies:
            _raise_for_empty_page(tree, url)
        thread = self._parse_thread(tree, url)
        pages = _pagination(tree, url)
        offset = _page_offset(tree, url)
        dates = PageDates(thread.language, reference=fetched_at)
        posts = []
        shown: list[int | None] = []
        for body in bodies:
            scope = _post_scope(body)
            posts.append(self._parse_post(scope, body, url, dates))
            shown.append(_shown_position(scope))
        for post in fill_positions(posts, shown, offset):
            if post is not posts[0] or offset:  # the topic's first post shows no number
                log.info("post %s on %s shows no readable reply number; position %d assumed",
                         post.id, url, post.position)
        return ParsedPage(
            thread=thread,
            page_number=pages.current,
            posts=posts,
            next_url=pages.next_url,
            last_page=pages.last,
        )

    # -- thread ---------------------------------------------------------------------------

    def _parse_thread(self, tree: LexborHTMLParser, url: str) -> ThreadInfo:
        topic = _topic_on_page(tree) or (_topic_of(url) or (None,))[0]
        if topic is None:
            raise LayoutChanged(f"{url} names no topic, and neither does the page "
                                "(no canonical link or topic field)")
        title = _title(tree)
        if not title:
            raise LayoutChanged(f"no topic title (#top_subject, linktree or <title>) on {url}")
        root = tree.css_first("html")
        language = ""
        if root is not None:
            language = root.attributes.get("lang") or root.attributes.get("xml:lang") or ""
        return ThreadInfo(
            id=topic,
            url=_thread_url(url, topic),
            title=title,
            breadcrumb=_breadcrumb(tree, url, topic),
            language=language,
        )

    # -- posts ----------------------------------------------------------------------------

    def _parse_post(self, scope: LexborNode, body: LexborNode, url: str,
                    dates: PageDates) -> ParsedPost:
        post_id = (body.attributes.get("id") or "").removeprefix("msg_")
        if not ASCII_NUMBER.fullmatch(post_id):
            raise LayoutChanged(f"a post on {url} has no id=\"msg_N\"")
        absolutize_urls(body, url)
        published_text = _shown_date(scope)
        edited_text, edited_by = _edit_note(scope)

        assets = _assets(scope, body)
        for unwanted in body.css(SELECTORS.chrome):
            unwanted.decompose()
        canonical.drop_comments(body)
        quotes = _canonical_quotes(body)
        _canonical_code(body)
        _canonical_spoilers(body)
        embeds = canonical.take_players(body, SELECTORS.video_frame)  # media mods' players
        _show_full_size(body)
        _clean_links(body)
        canonical.drop_board_classes(body)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions
            author=_author(scope, url),
            published=dates.read(published_text),
            published_text=published_text,
            edited=dates.read(edited_text),
            edited_text=edited_text,
            edited_by=edited_by,
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            quotes=quotes,
            embeds=embeds,
            assets=assets,
        )


# -- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pages:
    current: int
    last: int
    next_url: str | None


def _pagination(tree: LexborHTMLParser, url: str) -> Pages:
    """Current and last page and the next page's URL, from the first `div.pagelinks`."""
    box = tree.css_first(SELECTORS.pagelinks)
    if box is None:
        only = _page_from_url(tree, url)
        return Pages(only, only, None)
    current = _current_page(box)
    numbered: dict[int, str] = {}
    next_arrow = None
    for link in box.css(SELECTORS.page_links):
        href = link.attributes.get("href") or ""
        text = link.text(strip=True)
        if (digits := ASCII_NUMBER.fullmatch(text)) is not None:
            numbered.setdefault(int(digits.group()), href)
        elif link.css_first(".next_page") is not None:
            next_arrow = href
    if current is None:
        current = _page_from_url(tree, url)
    target = next_arrow or numbered.get(current + 1)
    return Pages(
        current=current,
        last=max([current, *numbered]),
        next_url=clean_page_url(strip_session(urljoin(url, target))) if target else None,
    )


def _current_page(box: LexborNode) -> int | None:
    """2.1 `<span class="current_page">N</span>`; 2.0 `[<strong>N</strong>]` outside links."""
    node = box.css_first(SELECTORS.current_page_21)
    if node is None:
        node = next((s for s in box.css("strong")
                     if s.parent is not None and s.parent.tag != "a"), None)
    if node is None:
        return None
    digits = ASCII_NUMBER.fullmatch(node.text(strip=True).strip("[]"))
    return int(digits.group()) if digits else None


def _page_offset(tree: LexborHTMLParser, url: str) -> int:
    """The index of the page's first post: the canonical link's or the URL's `topic=ID.N`."""
    for candidate in (_canonical_href(tree), url):
        topic = _topic_of(candidate) if candidate else None
        if topic is not None and ASCII_NUMBER.fullmatch(topic[1]):
            return int(topic[1])
    return 0


def _page_from_url(tree: LexborHTMLParser, url: str) -> int:
    """Page number from the offset and the page size the page links reveal; else 1."""
    offset = _page_offset(tree, url)
    if offset == 0:
        return 1
    sizes = set()
    for link in tree.css(f"{SELECTORS.pagelinks} {SELECTORS.page_links}"):
        topic = _topic_of(link.attributes.get("href") or "")
        if topic is not None and ASCII_NUMBER.fullmatch(topic[1]) and int(topic[1]) > 0:
            sizes.add(abs(int(topic[1]) - offset) or int(topic[1]))
    size = min(sizes) if sizes else 0
    return offset // size + 1 if size else 1


def _canonical_href(tree: LexborHTMLParser) -> str:
    node = tree.css_first('link[rel="canonical"]')
    return (node.attributes.get("href") or "") if node is not None else ""


def _topic_on_page(tree: LexborHTMLParser) -> str | None:
    """The topic id the page names: its canonical link, else its search form's topic field."""
    topic = _topic_of(_canonical_href(tree))
    if topic is not None:
        return topic[0]
    for field in tree.css(SELECTORS.topic_fields):
        value = (field.attributes.get("value") or "").strip()
        if ASCII_NUMBER.fullmatch(value):
            return value
    return None


def _title(tree: LexborHTMLParser) -> str:
    node = tree.css_first(SELECTORS.title)
    if node is not None and node.text(strip=True):
        return node.text(strip=True)
    last = tree.css_first(f"{SELECTORS.linktree} li.last")
    if last is not None and last.text(strip=True):
        return last.text(strip=True)
    title = tree.css_first("title")
    return title.text(strip=True) if title is not None else ""


def _breadcrumb(tree: LexborHTMLParser, url: str, topic: str) -> list[Link]:
    """The linktree's steps above the topic (its last step, the topic itself, is left out)."""
    trail = tree.css_first(SELECTORS.linktree)
    if trail is None:
        return []
    links = []
    for anchor in trail.css("li a[href]"):
        href = strip_session(urljoin(url, anchor.attributes.get("href") or ""))
        found = _topic_of(href)
        if found is not None and found[0] == topic:
            continue
        links.append(Link(anchor.text(strip=True), href))
    return links


# -- one post -------------------------------------------------------------------------------


def _post_scope(body: LexborNode) -> LexborNode:
    """The element holding the whole post: the nearest ancestor with the poster column."""
    node = body.parent
    while node is not None and node.tag != "html":
        if node.css_first(SELECTORS.poster) is not None:
            return node
        node = node.parent
    return body


def _shown_position(scope: LexborNode) -> int | None:
    """Position from the shown reply number: "#N" (2.1), "Reply #N" (2.0) is post N + 1."""
    node = scope.css_first(SELECTORS.post_number)
    if node is None:
        strong = scope.css_first(f"{SELECTORS.date_20} strong")
        node = strong if strong is not None and "#" in strong.text() else None
    if node is None:
        return None
    text = node.text(strip=True)
    found = re.search(r"#\s*([0-9][0-9,.\s]*)", text)
    if found is None:
        return None
    return int("".join(ASCII_NUMBER.findall(found.group(1)))) + 1


def _author(scope: LexborNode, page_url: str) -> Author:
    link = scope.css_first(SELECTORS.author_link)
    count = scope.css_first(SELECTORS.message_count)
    digits = "".join(ASCII_NUMBER.findall(count.text())) if count is not None else ""
    message_count = int(digits) if digits else None
    if link is None:  # a guest's post: a name without a profile
        name = scope.css_first(SELECTORS.author_name)
        return Author(name.text(strip=True) if name is not None else "",
                      message_count=message_count)
    profile = strip_session(urljoin(page_url, link.attributes.get("href") or ""))
    member = MEMBER_ID.search(profile)
    avatar = scope.css_first(SELECTORS.avatar)
    avatar_url = strip_session(urljoin(page_url, avatar.attributes.get("src") or "")) if (
        avatar is not None) else ""
    if DEFAULT_AVATAR.search(urlsplit(avatar_url).path) or not avatar_url.startswith(
            ("http://", "https://")):
        avatar_url = ""
    return Author(
        name=link.text(strip=True),
        url=profile,
        avatar_url=avatar_url or None,
        message_count=message_count,
        member_id=member.group(1) if member else None,
    )


def _shown_date(scope: LexborNode) -> str:
    """The post date as shown: 2.1's date link, or 2.0's "« Reply #N on: DATE »" line."""
    node = scope.css_first(SELECTORS.date_21)
    if node is not None:
        return one_line(node.text())
    node = scope.css_first(SELECTORS.date_20)
    if node is None:
        return ""
    label = node.css_first("strong")
    text = node.text()
    if label is not None:
        text = text.replace(label.text(), "", 1)
    return one_line(text).strip("«»").strip()


def _edit_note(scope: LexborNode) -> tuple[str, str]:
    """(date as shown, editor) from "« Last Edit: DATE by NAME »"; ("", "") when unedited."""
    node = scope.css_first(SELECTORS.modified)
    text = one_line(node.text()).strip("«»").strip() if node is not None else ""
    if not text:
        return "", ""
    text = text.split(": ", 1)[-1]
    for word in EDIT_BY_WORDS:
        date, found, editor = text.rpartition(word)
        if found:
            return date.strip(), editor.strip()
    return text, ""


# -- content --------------------------------------------------------------------------------


def clean_attachment_url(url: str) -> str:
    """`.../index.php?action=dlattach;[topic=T.0;]attach=N`: no session, `;image`, `;thumb`."""
    parts = urlsplit(strip_session(html_lib.unescape(url)))
    tokens = [t for t in re.split(r"[;&]", parts.query)
              if t.partition("=")[0] in ("action", "topic", "attach", "type")]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, ";".join(tokens), ""))


def _assets(scope: LexborNode, body: LexborNode) -> list[AssetRef]:
    """Attachments at full size (inline, then the box under the post), then hotlinked images."""
    found: dict[str, AssetRef] = {}
    names: dict[str, str] = {}
    thumbs: dict[str, str] = {}
    box = scope.css_first(SELECTORS.attachment_box)
    box_links = box.css('a[href*="dlattach"]') if box is not None else []
    for link in box_links:
        attach = ATTACH_ID.search(link.attributes.get("href") or "")
        if attach is None:
            continue
        thumb = link.css_first("img[id^='thumb_']")
        if thumb is not None:
            thumbs[attach.group(1)] = strip_session(thumb.attributes.get("src") or "")
        elif link.text(strip=True):
            names.setdefault(attach.group(1), one_line(link.text()))
    for image in body.css(SELECTORS.image):
        source = _image_source(image)
        if "dlattach" not in source:
            continue
        wrapper = image.parent if image.parent is not None and image.parent.tag == "a" else None
        full = (wrapper.attributes.get("href") or "") if wrapper is not None else ""
        full = clean_attachment_url(full if "dlattach" in full else source)
        attach = ATTACH_ID.search(full)
        key = attach.group(1) if attach else full
        name = image.attributes.get("alt") or image.attributes.get("title") or names.get(key, "")
        thumb_src = strip_session(source) if wrapper is not None else None
        found.setdefault(key, AssetRef(url=full, filename=name, thumbnail_url=thumb_src))
    for link in box_links:
        attach = ATTACH_ID.search(link.attributes.get("href") or "")
        if attach is None or attach.group(1) in found or attach.group(1) not in names:
            continue
        full = clean_attachment_url(link.attributes.get("href") or "")
        found[attach.group(1)] = AssetRef(url=full, filename=names[attach.group(1)],
                                          thumbnail_url=thumbs.get(attach.group(1)))
    for image in body.css(SELECTORS.image):
        full = _full_image(image)
        if full.startswith(("http://", "https://")) and "dlattach" not in full:
            found.setdefault(full, AssetRef(
                url=full, filename=url_filename(full), kind="image"))
    return list(found.values())


def _image_source(image: LexborNode) -> str:
    """The image's real source: lazy-loading attributes first, then `src`."""
    for attribute in ("data-src", "data-url", "data-lazy-src", "src"):
        value = image.attributes.get(attribute)
        if value and not value.startswith("data:"):
            return value
    return ""


def _full_image(image: LexborNode) -> str:
    """A hotlinked image at full size: the link around it when it leads to the same picture."""
    source = _image_source(image)
    link = image.parent if image.parent is not None and image.parent.tag == "a" else None
    href = (link.attributes.get("href") or "") if link is not None else ""
    if href and re.search(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", href, re.IGNORECASE):
        return href
    return source


def _show_full_size(body: LexborNode) -> None:
    """Images show their full-size file (attachments and lazy or linked thumbnails)."""
    for image in body.css(SELECTORS.image):
        source = _image_source(image)
        if "dlattach" in source:
            link = image.parent if image.parent is not None and image.parent.tag == "a" else None
            href = (link.attributes.get("href") or "") if link is not None else ""
            full = clean_attachment_url(href if "dlattach" in href else source)
            if link is not None:
                link.attrs["href"] = full
                for attribute in ("onclick", "id"):
                    if attribute in link.attrs:
                        del link.attrs[attribute]
        else:
            full = _full_image(image)
        image.attrs["src"] = full
        for attribute in ("data-src", "data-url", "data-lazy-src", "id", "title", "width",
                          "height", "loading", "onclick", "align"):
            if attribute in image.attrs:
                del image.attrs[attribute]


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """SMF quotes as canonical quotes (innermost first, so nesting survives), in page order."""
    blocks = body.css(SELECTORS.quote)
    headers = {block.mem_id: _quote_header(block) for block in blocks}
    quotes = [_quote_of(headers[block.mem_id]) for block in blocks]

    def content_of(block: LexborNode) -> LexborNode:
        footer = _sibling_element(block, forward=True)
        if footer is not None and SELECTORS.quote_footer in (footer.attributes.get("class") or ""):
            footer.decompose()
        if (header := headers[block.mem_id]) is not None:
            header.decompose()
        return block

    canonical.replace_quotes(blocks, quotes, content_of)
    return quotes


def _quote_header(block: LexborNode) -> LexborNode | None:
    """2.1: the quote's own `<cite>`; 2.0: the `div.quoteheader` just before the blockquote."""
    cite = block.css_first("cite")
    if cite is not None and cite.parent is not None and cite.parent.tag == "blockquote":
        return cite
    before = _sibling_element(block, forward=False)
    if before is not None and SELECTORS.quote_header in (before.attributes.get("class") or ""):
        return before
    return None


def _sibling_element(node: LexborNode, *, forward: bool) -> LexborNode | None:
    """The element just before or after `node`, across blank text; None past other text."""
    sibling: LexborNode | None = node.next if forward else node.prev
    while sibling is not None and sibling.tag in ("-text", "-comment"):
        if sibling.tag == "-text" and (sibling.text() or "").strip():
            return None
        sibling = sibling.next if forward else sibling.prev
    return sibling


def _quote_of(header: LexborNode | None) -> Quote:
    """"Quote from: NAME on DATE" (translated) with a link to the quoted post, or "Quote"."""
    if header is None:
        return Quote(author="")
    text = one_line(header.text())
    author = text.split(": ", 1)[1] if ": " in text else ""
    for word in QUOTE_ON_WORDS:
        name, found, date = author.rpartition(word)
        if found and ASCII_NUMBER.search(date):
            author = name
            break
    post_id = None
    for anchor in header.css("a[href]"):
        if found_id := QUOTED_POST.search(anchor.attributes.get("href") or ""):
            post_id = next(group for group in found_id.groups() if group)
    return Quote(author=author.strip(), post_id=post_id)


def _canonical_code(body: LexborNode) -> None:
    """`div.codeheader` + `code.bbc_code` as one canonical code block of plain text."""
    for block in body.css(SELECTORS.code):
        header = _sibling_element(block, forward=False)
        if header is not None and SELECTORS.code_header in (header.attributes.get("class") or ""):
            header.decompose()
        canonical.replace_with_html(block, canonical.code_html(canonical.code_text(block)))


def _canonical_spoilers(body: LexborNode) -> None:
    """Spoiler mods' markup (SMF core has none): a title part and a hidden body part."""
    for wrapper, title_selector, body_selector in SPOILERS:
        for block in reversed(body.css(wrapper)):
            title_node = block.css_first(title_selector)
            inner = block.css_first(body_selector)
            title = ""
            if title_node is not None:
                for toggle in title_node.css("input, button"):
                    title = title or toggle.attributes.get("value") or ""
                    toggle.decompose()
                title = title_node.text(strip=True) or title
            content = inner if inner is not None else block
            canonical.replace_with_html(block, canonical.spoiler_html(
                title, (content.inner_html or "").strip()))


def _clean_links(body: LexborNode) -> None:
    """Links inside the message without the guest's session id; no script links."""
    for element in body.css("[href], [src]"):
        for attribute in ("href", "src"):
            value = element.attributes.get(attribute)
            if value:
                element.attrs[attribute] = strip_session(value)
        for attribute in ("onclick", "target"):
            if attribute in element.attrs:
                del element.attrs[attribute]


# -- walls ----------------------------------------------------------------------------------


def _raise_for_empty_page(tree: LexborHTMLParser, url: str) -> None:
    """A page without posts: an SMF wall, another wall, or a layout we do not know."""
    title = page_title(tree)
    if tree.css_first(SELECTORS.fatal_error) is not None:
        message = tree.css_first(SELECTORS.fatal_message)
        text = one_line(message.text()) if message is not None else title
        raise AccessBlocked(
            f"{url} answered with an SMF error page ({text or title}), not the topic; nothing "
            "was archived from it (check the URL; the topic may be gone or need a login)"
        )
    for form in tree.css(SELECTORS.guest_form):
        form.decompose()  # 2.0's header login form is on every guest page
    if tree.css_first(SELECTORS.login_form) is not None:
        raise AccessBlocked(
            f"{url} answered with SMF's login page ({title or 'login'}), not the topic; "
            "nothing was archived from it (the board may need a login: see --help)"
        )
    if tree.css_first(SELECTORS.posts_container) is not None:
        raise LayoutChanged(f"found no posts ({SELECTORS.body}) on the SMF topic page {url}: "
                            "the board's theme may have changed the post markup")
    check_not_a_wall(tree, url)
    raise LayoutChanged(f"found no posts on {url}: not an SMF 2.0/2.1 topic page "
                        "(the board may use another engine or theme)")


detection_markers = SMF.markers  # which of SMF's page markers `html` carries
