"""MyBB 1.8 boards: thread pages (`showthread.php`) as the default theme renders them to guests.

MyBB pages carry no machine-readable time and no time zone: a post's time is the text the
board shows in its own date and time format (`11-24-2021, 08:12 AM` for `m-d-Y` and `h:i A`,
MyBB's defaults, PHP date() letters read by `dates.parse_shown_date`) at the board's offset for
guests. `published` and `edited` are therefore naive ISO 8601 times: zone unknown (the page
names none). Recent posts are shown relatively ("Today, 10:42 AM", "5 minutes ago"); MyBB 1.8
puts the absolute date in the `title` of a span around the relative words, and the engine reads
that. Relative text without such a title is read against the page's fetch time; without one it
is left unresolved (`published` None, the text in `published_text`).

A post permalink (`showthread.php?pid=N#pidN`) does not name its thread: `thread_id` cannot
answer for it; the page it leads to can (`parse_page(...).thread.id`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

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
    page_tree,
    url_filename,
)
from .claims import URL_PATTERNS
from .dates import PageDates, php_date_pattern
from .walls import check_not_a_wall, page_title

log = logging.getLogger(__name__)

# What a MyBB page carries whatever its theme: detection scores pages by these.
_MARKERS = (
    ("my_post_key", lazy_regex(r"\bmy_post_key\b")),
    ("MyBB-js", lazy_regex(r"\bMyBB\.[a-zA-Z]+\(")),
    ("powered-by-mybb", lazy_regex(r"https?://(?:www\.)?mybb\.com/?[\"']", re.IGNORECASE)),
    ("showthread-links", lazy_regex(r"showthread\.php\?tid=[0-9]", re.IGNORECASE)),
)



@dataclass(frozen=True)
class Selectors:
    """Where MyBB 1.8's default templates (postbit, multipage, nav) put each thing."""

    post: str = 'div.post[id^="post_"]'
    posts_container: str = "#posts"
    author_link: str = ".author_information .largetext a"
    author_name: str = ".author_information .largetext"
    avatar: str = ".author_avatar img"
    post_number: str = ".post_head .float_right a"
    post_date: str = ".post_head .post_date"
    edit_note: str = ".post_head .post_edit .edited_post"
    body: str = ".post_body"
    attachments_scope: str = ".post_content"
    signature: str = ".signature"
    # Outside .post_body in the default theme; removed should a theme move them inside.
    chrome: str = 'script, .postbit_buttons, .post_controls, .post_meta, [class^="reputation"]'
    breadcrumb_links: str = ".navigation a[href]"
    breadcrumb_active: str = ".navigation .active"
    thread_head: str = "#content td.thead strong"
    thread_id_input: str = 'input[name="tid"]'
    page_current: str = ".pagination .pagination_current"
    page_numbers: str = ".pagination .pagination_page, .pagination .pagination_last"
    pages_label: str = ".pagination .pages"
    next_link: str = ".pagination a.pagination_next"
    quote: str = "blockquote.mycode_quote"
    code: str = "div.codeblock"
    spoiler: str = "div.spoiler"
    hotlinked_image: str = "img.mycode_img"
    video_frame: str = "iframe[src]"
    # Walls: MyBB's `error_nopermission` login form (the header's quick-login modal is on
    # every guest page and says nothing), its `error_inline` box, and `error` message pages.
    quick_login: str = "#quick_login"
    login_action: str = 'form input[name="action"][value="do_login"]'
    error_box: str = "div.error"
    message_table: str = "#content table.tborder"


SELECTORS = Selectors()

# The board's default avatar (setting "useravatar") is not the member's picture.
DEFAULT_AVATAR = lazy_regex(r"/default_avatar\.(?:png|gif|jpe?g|svg)$", re.IGNORECASE)
MEMBER_ID = lazy_regex(r"(?:[?&]uid=|/user-)([0-9]+)")
POST_ID = lazy_regex(r"^post_([0-9]+)$")
QUOTED_POST = lazy_regex(r"[?&]pid=([0-9]+)|#pid([0-9]+)|-post-([0-9]+)\.html")
ATTACHMENT = lazy_regex(r"attachment\.php\?(?:[^#]*&)?aid=([0-9]+)")
THUMBNAIL = lazy_regex(r"attachment\.php\?(?:[^#]*&)?thumbnail=([0-9]+)")
SEO_THREAD = lazy_regex(
    r"^thread-(?P<id>[0-9]+)(?:-(?:page-(?P<page>[0-9]+)|post-(?P<post>[0-9]+)|"
    r"lastpost|newpost|nextnewest|nextoldest))?\.html$"
)
ASCII_NUMBER = lazy_regex(r"[0-9]+")
YEAR = lazy_regex(r"[0-9]{4}")
# Query parameters of showthread.php that name the thread or its page; everything else
# (pid, highlight, mode, action, sortby, order, datecut, sid, my_post_key, ...) is dropped.
THREAD_PARAMETERS = ("tid", "page")


def canonical_thread_url(url: str) -> str:
    """`https://board/root/showthread.php?tid=ID` for any pasted URL of the thread.

    Pages, post anchors, highlight, display mode, sort and session parameters and fragments
    go; SEO forms (`thread-ID-page-N.html`) become the `showthread.php` form, which every
    MyBB board answers. A post permalink (`?pid=N` only) raises ValueError: only its page
    says which thread it belongs to.
    """
    return _thread_url(url, _tid(url))


def _thread_url(url: str, tid: str) -> str:
    """The first page of thread `tid` on the board (and folder) `url` belongs to."""
    parts = urlsplit(url)
    root = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{root}/showthread.php?tid={tid}"


def _tid(url: str) -> str:
    parts = urlsplit(url)
    segment = parts.path.rsplit("/", 1)[-1]
    seo = SEO_THREAD.match(segment)
    if seo is not None:
        return seo.group("id")
    if segment == "showthread.php":
        query = parse_qs(parts.query)
        tid = (query.get("tid") or [""])[0].strip()
        if ASCII_NUMBER.fullmatch(tid):
            return tid
        if query.get("pid"):
            raise UnsupportedUrl(
                f"{url} is a MyBB post permalink (pid): it does not name its thread; "
                "fetch it and read the thread id from the page (parse_page(...).thread.id)"
            )
    raise UnsupportedUrl(f"{url} is not a MyBB thread URL (showthread.php?tid=N or thread-N.html)")


def clean_page_url(url: str) -> str:
    """A thread page URL without fragment, session, sort or highlight parameters.

    `showthread.php` keeps `tid` and `page` (a post permalink keeps its `pid`); SEO page
    URLs (`thread-ID-page-N.html`) keep no query at all.
    """
    parts = urlsplit(url)
    if parts.path.endswith("/showthread.php") or parts.path == "showthread.php":
        query = parse_qs(parts.query)
        names = THREAD_PARAMETERS if query.get("tid") else ("pid",)  # a permalink keeps its pid
        kept = [(name, query[name][0]) for name in names if query.get(name)]
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), ""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class MyBB(Engine):
    """MyBB 1.8 thread pages; the board's date and time formats are settings (MyBB's defaults)."""
    summary = "MyBB 1.8"
    cookie_prefixes = ("mybbuser", "mybb[")

    name = "mybb"
    pattern = URL_PATTERNS["mybb"]
    example = "https://forum.example/showthread.php?tid=123"
    marker_patterns = _MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/showthread.php?tid=123",
        "https://forum.example/showthread.php?tid=123&page=4",
        "https://forum.example/forum/showthread.php?tid=123&pid=456#pid456",
        "https://forum.example/showthread.php?pid=456#pid456",
        "https://forum.example/showthread.php?tid=123&highlight=drone&mode=threaded",
        "https://forum.example/thread-123.html",
        "https://forum.example/thread-123-page-2.html",
        "https://forum.example/thread-123-post-456.html#pid456",
    )

    def __init__(self, date_format: str = "m-d-Y", time_format: str = "h:i A",
                 datetime_separator: str = ", ") -> None:
        self.date_format = date_format
        self.time_format = time_format
        self.datetime_separator = datetime_separator
        # The board's date with its time, then the date alone (an edit note may show no time).
        self.date_formats = (f"{date_format}{datetime_separator}{time_format}", date_format)

    def thread_id(self, url: str) -> str:
        """The thread id of a `tid` or SEO URL; ValueError for a post permalink (`pid` only)."""
        return _tid(url)

    def first_page_url(self, url: str) -> str:
        """The thread's first page; a post permalink stays itself (only its page knows more)."""
        try:
            return canonical_thread_url(url)
        except ValueError:
            return clean_page_url(url)

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        post_nodes = tree.css(SELECTORS.post)
        if not post_nodes:
            _raise_for_empty_page(tree, url)
        thread = self._parse_thread(tree, url)
        dates = PageDates(thread.language, reference=fetched_at, formats=self.date_formats)
        page_number = _page_number(tree, url)
        posts = [self._parse_post(node, url, dates) for node in post_nodes]
        shown = [self._shown_position(node) for node in post_nodes]
        for post in fill_positions(posts, shown, (page_number - 1) * len(posts)):
            log.warning("post %s on %s shows no readable #N; position %d assumed",
                        post.id, url, post.position)
        next_link = tree.css_first(SELECTORS.next_link)
        next_href = next_link.attributes.get("href") if next_link is not None else None
        return ParsedPage(
            thread=thread,
            page_number=page_number,
            posts=posts,
            next_url=clean_page_url(urljoin(url, next_href)) if next_href else None,
            last_page=_last_page(tree, page_number),
        )

    # -- thread ---------------------------------------------------------------------------

    def _parse_thread(self, tree: LexborHTMLParser, url: str) -> ThreadInfo:
        tid = _page_thread_id(tree)
        if tid is None:
            try:
                tid = _tid(url)
            except ValueError as error:
                raise LayoutChanged(f"{url} names no thread id, and neither does the page "
                                    "(no tid field or post link)") from error
        title_node = tree.css_first("title")
        active = tree.css_first(SELECTORS.breadcrumb_active)
        title = (title_node.text(strip=True) if title_node else "") or (
            active.text(strip=True) if active else "")
        if not title:
            raise LayoutChanged(f"no thread title (<title> or .navigation .active) on {url}")
        head = tree.css_first(SELECTORS.thread_head)
        head_text = head.text(strip=True) if head is not None else ""
        prefix = head_text[: -len(title)].strip() if head_text.endswith(title) else ""
        html_node = tree.css_first("html")
        return ThreadInfo(
            id=tid,
            url=_thread_url(url, tid),
            title=title,
            prefix=prefix,
            breadcrumb=[Link(a.text(strip=True), urljoin(url, a.attributes.get("href") or ""))
                        for a in tree.css(SELECTORS.breadcrumb_links)],
            language=(html_node.attributes.get("lang") or "") if html_node else "",
        )

    # -- posts ----------------------------------------------------------------------------

    @staticmethod
    def _shown_position(node: LexborNode) -> int | None:
        """The `#N` post number; digits other than ASCII ones (superscripts) do not count."""
        for anchor in node.css(SELECTORS.post_number):
            text = anchor.text(strip=True)
            if text.startswith("#"):
                digits = "".join(ASCII_NUMBER.findall(text))  # "#1,234" -> 1234
                if digits:
                    return int(digits)
        return None

    def _parse_post(self, node: LexborNode, url: str, dates: PageDates) -> ParsedPost:
        match = POST_ID.match(node.attributes.get("id") or "")
        if match is None:
            raise LayoutChanged(f"a post on {url} has no id=\"post_N\"")
        post_id = match.group(1)
        body = node.css_first(SELECTORS.body)
        if body is None:
            raise LayoutChanged(f"post {post_id} on {url} has no .post_body content")
        # Only the post's own part: the buttons and author chrome hold dozens of links.
        absolutize_urls(node.css_first(SELECTORS.attachments_scope) or body, url)

        published_node = node.css_first(SELECTORS.post_date)
        published, published_text = (_time(published_node, dates)
                                      if published_node is not None else (None, ""))
        edit_note = node.css_first(SELECTORS.edit_note)
        edited, edited_text, edited_by = None, "", ""
        if edit_note is not None and edit_note.text(strip=True):
            edited, edited_text = _time(edit_note, dates)
            editor = edit_note.css_first("a")
            edited_by = editor.text(strip=True) if editor is not None else ""

        assets = _assets(node, body)
        for unwanted in body.css(f"{SELECTORS.signature}, {SELECTORS.chrome}"):
            unwanted.decompose()
        canonical.drop_comments(body)  # the templates' "start: postbit_..." markers
        quotes = _canonical_quotes(body)
        _canonical_code(body)
        _canonical_spoilers(body)
        embeds = canonical.take_players(body, SELECTORS.video_frame)  # [video] players
        _show_full_size_attachments(body)
        canonical.drop_board_classes(body)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions from the shown #N
            author=_author(node, url),
            published=published,
            published_text=published_text,
            edited=edited,
            edited_text=edited_text,
            edited_by=edited_by,
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            quotes=quotes,
            embeds=embeds,
            assets=assets,
        )


def _time(node: LexborNode, dates: PageDates) -> tuple[str | None, str]:
    """(ISO time, the date as shown) of a post date or an edit note."""
    shown, absolute = _date_texts(node)
    for php_format in dates.formats:
        found = php_date_pattern(php_format).search(absolute)
        if found is not None:
            # Text around the date is the same in both forms (labels, "by"): cut it off.
            tail = len(absolute) - found.end()
            return dates.read(found.group()), shown[found.start(): len(shown) - tail].strip()
    shown = shown.strip().strip("()").strip()
    if YEAR.search(absolute):  # an absolute date in another format or language
        return dates.read(absolute.strip().strip("()")), shown
    return dates.read(shown), shown  # relative, without a title: against the fetch time


def _raise_for_empty_page(tree: LexborHTMLParser, url: str) -> None:
    """A page without posts: a MyBB wall, another wall, or a layout we do not know."""
    title = page_title(tree)
    for modal in tree.css(SELECTORS.quick_login):
        modal.decompose()  # the header's login modal is on every guest page
    if tree.css_first(SELECTORS.login_action) is not None:
        raise AccessBlocked(
            f"{url} answered with MyBB's login page (no permission for guests: {title}), not "
            "the thread; nothing was archived from it (the thread may need a login: see --help)"
        )
    box = tree.css_first(SELECTORS.error_box)
    message = node_text(box) if box is not None else _board_message(tree)
    if message:
        raise AccessBlocked(
            f"{url} answered with a MyBB error page ({message.splitlines()[0]}), not the "
            "thread; nothing was archived from it (check the URL; the thread may be gone)"
        )
    if tree.css_first(SELECTORS.posts_container) is not None:
        raise LayoutChanged(f"found no posts ({SELECTORS.post}) on the MyBB thread page {url}: "
                            "the board's theme may have changed the postbit")
    check_not_a_wall(tree, url)
    raise LayoutChanged(f"found no posts on {url}: not a MyBB 1.8 thread page "
                        "(the board may use another engine or theme)")


def _board_message(tree: LexborHTMLParser) -> str:
    """The text of MyBB's `error` template: one table with one heading and one message cell."""
    for table in tree.css(SELECTORS.message_table):
        cells = table.css("td.trow1")
        if len(table.css("td.thead")) == 1 and len(cells) == 1:
            return node_text(cells[0])
    return ""


def _page_thread_id(tree: LexborHTMLParser) -> str | None:
    """The thread id the page itself names: its search or language form, else a post link."""
    for field in tree.css(SELECTORS.thread_id_input):
        value = (field.attributes.get("value") or "").strip()
        if ASCII_NUMBER.fullmatch(value):
            return value
    for anchor in tree.css(SELECTORS.post_number):
        found = re.search(r"[?&]tid=([0-9]+)|thread-([0-9]+)-post-",
                          anchor.attributes.get("href") or "")
        if found:
            return found.group(1) or found.group(2)
    return None


def _page_number(tree: LexborHTMLParser, url: str) -> int:
    current = tree.css_first(SELECTORS.page_current)
    if current is not None and (digits := ASCII_NUMBER.search(current.text(strip=True))):
        return int(digits.group())
    parts = urlsplit(url)
    seo = SEO_THREAD.match(parts.path.rsplit("/", 1)[-1])
    if seo is not None and seo.group("page"):
        return int(seo.group("page"))
    page = (parse_qs(parts.query).get("page") or [""])[0]
    return int(page) if ASCII_NUMBER.fullmatch(page) else 1


def _last_page(tree: LexborHTMLParser, page_number: int) -> int:
    """The highest page number shown; a thread without pagination has one page."""
    numbers = [page_number]
    for node in tree.css(SELECTORS.page_numbers):
        if (digits := ASCII_NUMBER.fullmatch(node.text(strip=True))) is not None:
            numbers.append(int(digits.group()))
    label = tree.css_first(SELECTORS.pages_label)  # "Pages (3):"
    if label is not None and (digits := ASCII_NUMBER.search(label.text(strip=True))):
        numbers.append(int(digits.group()))
    return max(numbers)


def _author(node: LexborNode, page_url: str) -> Author:
    link = node.css_first(SELECTORS.author_link)
    if link is None:  # a guest's post: a name without a profile
        name_node = node.css_first(SELECTORS.author_name)
        return Author(name_node.text(strip=True) if name_node is not None else "")
    profile = urljoin(page_url, link.attributes.get("href") or "")
    member = MEMBER_ID.search(profile)
    avatar = node.css_first(SELECTORS.avatar)
    avatar_url = urljoin(page_url, avatar.attributes.get("src") or "") if avatar else ""
    if DEFAULT_AVATAR.search(urlsplit(avatar_url).path) or not avatar_url.startswith(
            ("http://", "https://")):
        avatar_url = ""
    return Author(
        name=link.text(strip=True),
        url=profile or None,
        avatar_url=avatar_url or None,
        member_id=member.group(1) if member else None,
    )


def _date_texts(node: LexborNode) -> tuple[str, str]:
    """The text of a date element as shown, and with relative words replaced by their title.

    `<span title="11-24-2021">Today</span>, 10:42 AM` gives ("Today, 10:42 AM",
    "11-24-2021, 10:42 AM"). An edit note ends at the editor's profile link.
    """
    shown: list[str] = []
    absolute: list[str] = []
    for child in node.iter(include_text=True):
        if child.tag == "-text":
            text = child.text(deep=False)
            shown.append(text)
            absolute.append(text)
            continue
        if child.tag == "a":
            break
        if "post_edit" in (child.attributes.get("class") or ""):
            continue
        text = child.text()
        shown.append(text)
        absolute.append(child.attributes.get("title") or text)
    return "".join(shown).replace("\xa0", " "), "".join(absolute).replace("\xa0", " ")


# -- content ------------------------------------------------------------------------------


def _assets(post: LexborNode, body: LexborNode) -> list[AssetRef]:
    """Attachments at full size (inline and in the box under the post), then linked images."""
    found: dict[str, AssetRef] = {}
    scope = post.css_first(SELECTORS.attachments_scope) or post
    for element in scope.css('a[href*="attachment.php"], img[src*="attachment.php"]'):
        if element.tag == "a":
            href = element.attributes.get("href") or ""
            if ATTACHMENT.search(href) is None:
                continue
            image = element.css_first("img")
            name = _attachment_name(image) if image is not None else element.text(strip=True)
            thumbnail = image.attributes.get("src") if image is not None else None
            found.setdefault(clean_attachment_url(href), AssetRef(
                url=clean_attachment_url(href), filename=name, kind="attachment",
                thumbnail_url=thumbnail if thumbnail and THUMBNAIL.search(thumbnail) else None,
            ))
        elif element.parent is None or element.parent.tag != "a":
            src = element.attributes.get("src") or ""
            if ATTACHMENT.search(src) is not None:  # a small image shown at full size
                found.setdefault(clean_attachment_url(src), AssetRef(
                    url=clean_attachment_url(src), filename=_attachment_name(element)))
    for image in body.css(SELECTORS.hotlinked_image):
        src = image.attributes.get("src") or ""
        if src.startswith(("http://", "https://")):
            found.setdefault(src, AssetRef(
                url=src, filename=url_filename(src), kind="image"))
    return list(found.values())


def clean_attachment_url(url: str) -> str:
    """`.../attachment.php?aid=N` without anything else a board appended (sessions)."""
    found = ATTACHMENT.search(url)
    if found is None:
        return url
    return url[: found.start()] + f"attachment.php?aid={found.group(1)}"


def _attachment_name(image: LexborNode) -> str:
    """The file name in a thumbnail's title: "Filename: X&#13;Size: ..." (label translated)."""
    title = image.attributes.get("title") or ""
    first_line = re.split(r"[\r\n]", title, maxsplit=1)[0]
    name = first_line.partition(":")[2].strip() or first_line.strip()
    return name or image.attributes.get("alt") or ""


def _show_full_size_attachments(body: LexborNode) -> None:
    """Inline thumbnails show the full-size file: the archive keeps only that one."""
    for link in body.css('a[href*="attachment.php"]'):
        href = link.attributes.get("href") or ""
        if ATTACHMENT.search(href) is None:
            continue
        for image in link.css("img"):
            image.attrs["src"] = clean_attachment_url(href)
            image.attrs["alt"] = _attachment_name(image)
            if "title" in image.attrs:
                del image.attrs["title"]


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """MyBB quotes as canonical quotes (innermost first, so nesting survives), in page order."""
    blocks = body.css(SELECTORS.quote)
    quotes = [_quote_of(block) for block in blocks]
    canonical.replace_quotes(blocks, quotes, _quote_content)
    return quotes


def _quote_content(block: LexborNode) -> LexborNode:
    cite = block.css_first("cite")
    if cite is not None:
        cite.decompose()
    return block


def _quote_of(block: LexborNode) -> Quote:
    """`<cite><span> (date)</span>NAME Wrote: <a href="...?pid=N#pidN"></a></cite>`."""
    cite = block.css_first("cite")
    if cite is None:
        return Quote(author="")
    words = "".join(child.text(deep=False) for child in cite.iter(include_text=True)
                    if child.tag == "-text")
    # The words end with the board's translated "Wrote:"; a quote without author only has
    # "Quote:".
    author = re.sub(r"\s*\S+:\s*$", "", words.replace("\xa0", " ")).strip()
    post_id = None
    for anchor in cite.css("a[href]"):
        if found := QUOTED_POST.search(anchor.attributes.get("href") or ""):
            post_id = next(group for group in found.groups() if group)
    return Quote(author=author, post_id=post_id)


def _canonical_code(body: LexborNode) -> None:
    """`div.codeblock` (Code:, PHP Code:) as a canonical code block of plain text."""
    for block in body.css(SELECTORS.code):
        code = block.css_first("code") or block.css_first(".body") or block
        canonical.replace_with_html(block, canonical.code_html(canonical.code_text(code)))


def _canonical_spoilers(body: LexborNode) -> None:
    """Spoiler plugins' `div.spoiler` (MyBB core has none): a title part and a body part."""
    for block in reversed(body.css(SELECTORS.spoiler)):
        title_node = block.css_first('[class*="title"], [class*="header"], [class*="head"]')
        inner = block.css_first('[class*="body"], [class*="content"]')
        title = title_node.text(strip=True) if title_node is not None else ""
        if title_node is not None and inner is None:
            title_node.decompose()
        content = inner if inner is not None else block
        for toggle in content.css("input, button"):
            toggle.decompose()
        canonical.replace_with_html(block, canonical.spoiler_html(
            title, (content.inner_html or "").strip()))
