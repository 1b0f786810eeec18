"""The small interface every forum engine implements, and helpers engines share.

An engine is a pure reader. Given a thread URL it names the first request; given a response
(URL, final URL, status, headers, text) and its own cursor it returns a `Reading`: the posts
it read, the next request, its new cursor (engine-defined JSON, stored in thread.json), and
whether the thread is now read to its end. The scraper does every fetch and store, and asks
the engine where a re-check starts (`recheck_request`), so no other stage knows a board.

Most boards are paged HTML: such an engine implements `parse_page` and inherits the rest.
An engine over a JSON API (Discourse, Flarum) overrides `read` and `recheck_request`.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import unescape as html_unescape
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import UnsupportedUrl
from ..records import AssetRef, EarlierVersion, ParsedPage, ParsedPost
from ..urls import canonical_url, origin_of, page_url, shown, thread_key

# Attributes whose URLs are made absolute so the archive does not depend on the page's URL.
URL_ATTRIBUTES = ("href", "src", "data-src", "data-url")
# Elements whose text is code, styling or fallback markup, never the words a reader sees.
NON_TEXT_TAGS = ("script", "style", "template", "noscript", "iframe")
# Thousands separators in the counts boards print: `4,812`, `4.812`, `4 812`, `٤٬٨١٢`.
NUMBER_SEPARATORS = re.compile(r"[,.\s\u066c]")
# No page, post or member count is longer; int() refuses strings of over 4,300 digits.
MAX_NUMBER_DIGITS = 15


Cursor = dict[str, Any]  # an engine's own state between requests and runs (JSON-ready)
# An engine's signs in a page's raw HTML: (name, pattern), as `Engine.markers` reads them.
Markers = tuple[tuple[str, re.Pattern[str]], ...]


@dataclass(frozen=True)
class Request:
    """What an engine asks the scraper to fetch next."""

    url: str
    page: int  # the board's page (or batch) number this request reads, 1-based
    # The cursor the response is read with when this request starts a run (a re-check may
    # carry what the archive knows); later requests are read with the previous reading's.
    cursor: Cursor | None = None


@dataclass(frozen=True)
class Response:
    """One fetched answer, as an engine sees it (the scraper keeps the provenance)."""

    url: str  # asked for
    final_url: str  # after redirects
    status: int
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    fetched_at: str = ""  # ISO 8601 UTC, as the WARC records it (relative dates need it)

    def json(self) -> Any:
        """The body as JSON (API engines)."""
        return json.loads(self.text)


@dataclass
class Reading:
    """What an engine read from one response."""

    page: ParsedPage
    next: Request | None  # None: nothing more to fetch in this run
    cursor: Cursor
    complete: bool  # the thread is now read from its first post to its last


class Engine(ABC):
    """Reads one forum software's threads. Subclasses set the class attributes."""

    name: ClassVar[str]
    # Matches canonical thread URLs (urls.canonical_url); group "id" is the thread id.
    pattern: ClassVar[re.Pattern[str]]
    example: ClassVar[str]
    examples: ClassVar[tuple[str, ...]] = ()  # more URL forms users paste (tests route them)
    summary: ClassVar[str] = ""  # the software and versions it reads, for `forum-mirror engines`
    # The signs (generator meta, root ids, script globals) its pages carry, for `markers`.
    marker_patterns: ClassVar[Markers] = ()
    cookie_prefixes: ClassVar[tuple[str, ...]] = ()  # its default cookie names (a detection sign)
    # The Accept header of its thread requests: None sends none (a browser-like page fetch);
    # an API engine asks for what it reads ("application/json").
    accept: ClassVar[str | None] = None
    # A reader of markup any board may carry (schema.org): detection scores it only on a
    # page that shows no board engine's marker.
    generic: ClassVar[bool] = False

    @classmethod
    def matches(cls, url: str) -> bool:
        """Whether `url`, in canonical form, is a thread URL of this engine."""
        try:
            return cls.pattern.match(canonical_url(url)) is not None
        except UnsupportedUrl:
            return False

    def thread_id(self, url: str) -> str:
        """The thread's id in `url` (leading zeros dropped); `UnsupportedUrl` if none."""
        match = self.pattern.match(canonical_url(url))
        if match is None:
            raise UnsupportedUrl(f"{shown(url)} is not a {self.name} thread URL")
        return match.group("id").lstrip("0") or "0"

    def thread_id_named(self, url: str, read: Callable[[str], str | None],
                        permalink: str) -> str:
        """The thread id `read` finds in `url`, a URL this engine claims; `UnsupportedUrl` for
        any other URL, and, saying `permalink` (what `url` is instead), when it names none."""
        if not self.matches(url):
            raise UnsupportedUrl(f"{shown(url)} is not a {self.name} thread URL")
        found = read(url)
        if found is None:
            raise UnsupportedUrl(f"{url} is {permalink}")
        return found

    def thread_key(self, url: str) -> str:
        """A stable folder name for the thread, the same for every spelling of its URL."""
        return thread_key(origin_of(url), self.thread_id(url))

    @classmethod
    def markers(cls, html: str) -> list[str]:
        """Which of this engine's signs (generator meta, root ids, script globals) `html`
        carries: detection picks the engine whose page shows the most."""
        return [name for name, sign in cls.marker_patterns if sign.search(html)]

    @abstractmethod
    def first_page_url(self, url: str) -> str:
        """The URL of the thread's first page, whatever page `url` points to."""

    @abstractmethod
    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        """Read one thread page; raise LayoutChanged when it has no posts to read.

        `fetched_at` is when the page was fetched (ISO 8601 UTC, as the WARC records it):
        relative dates ("Yesterday", "منذ 3 ساعات") are read against it, and without it
        they stay unread (None), never read against this machine's clock.
        """

    def first_request(self, url: str) -> Request:
        """Where reading the thread at `url` starts."""
        return Request(self.first_page_url(url), 1)

    def read(self, response: Response, cursor: Cursor | None) -> Reading:
        """Read one response. Paged HTML: the page's posts, then its "next" link.

        The cursor remembers the page a run started at (None: this response starts it), so
        a run that began at page 1 and reached a page without "next" read the whole thread.
        """
        page = self.parse_page(response.text, response.final_url,
                               fetched_at=response.fetched_at or None)
        started_at = cursor["started_at"] if cursor else page.page_number
        following = Request(page.next_url, page.page_number + 1) if page.next_url else None
        return Reading(
            page=page,
            next=following,
            cursor={"page": page.page_number, "url": response.final_url,
                    "last_page": page.last_page, "started_at": started_at},
            complete=following is None and started_at == 1,
        )

    def next_request(self, response: Response, cursor: Cursor | None) -> Request | None:
        """A cheap guess at `read(response, cursor).next`, from the raw page alone (None: no
        guess). The scraper fetches the guess while `read` runs in another process, and uses
        it only when `read` asks for the same URL: a wrong guess costs a request, never a
        page. An engine whose next request needs the whole reading keeps this default."""
        return None

    def recheck_request(self, cursor: Cursor) -> Request:
        """Where a scheduled re-check starts: the last page read (a conditional request)."""
        return Request(str(cursor["url"]), int(cursor["page"]))

    def resume_request(self, url: str, page: int, cursor: Cursor | None) -> Request:
        """Where a run goes on after one that stopped at page `page` (`url`); `cursor` is the
        engine's after the last page that run read. Paged HTML starts afresh there: its
        reading then knows it did not start at page 1. An API engine whose batches only its
        cursor knows reads on with it."""
        return Request(url, page)

    def read_version(self, response: Response, cursor: Cursor | None) -> EarlierVersion | None:
        """An earlier version of a post from one of its `ParsedPost.history` URLs' answers
        (`cursor`: the engine's after the run's last page), or None when the answer holds
        none. Only engines that name history URLs are asked."""
        return None

    def canonical_content(self, content_html: str) -> str:
        """A post's content as an older archive stored it (the board's markup), in the
        canonical form this engine writes now (migrate.py); canonical content is unchanged."""
        return content_html

    def member_id(self, profile_url: str | None) -> str | None:
        """The board's member id in a profile URL, where the URL carries one."""
        return None

    def post_url(self, page_url: str, post_id: str) -> str:
        """The board's permalink of a post on the page at `page_url`."""
        return f"{page_url.split('#', 1)[0]}#post-{post_id}"


class Utf8Text(str):
    """A page's text holding the UTF-8 bytes it was decoded from (`utf8_text`): `page_tree`
    parses those, where the parser would encode the text again (0.2 ms of a 100 KB page,
    a twelfth of building its tree, on every page of a long thread)."""

    utf8: bytes


def utf8_text(utf8: bytes, text: str | None = None) -> str:
    """`utf8` decoded (`text`, when already done), holding its bytes for `page_tree`."""
    held = Utf8Text(utf8.decode("utf-8") if text is None else text)
    held.utf8 = utf8
    return held


def held_utf8(text: str) -> bytes | None:
    """The UTF-8 bytes `text` was decoded from, when it holds them (`utf8_text`)."""
    return text.utf8 if isinstance(text, Utf8Text) else None


def page_tree(html: str) -> LexborHTMLParser:
    """The tree of a page's HTML, parsed from its UTF-8 bytes when the text holds them."""
    utf8 = held_utf8(html)
    return LexborHTMLParser(html if utf8 is None else utf8)


def next_link_href(html: str, link_class: str) -> str | None:
    """The unescaped href of the first `<a>` whose class list has `link_class`, read from the
    raw page with a regex, without building its tree: for `Engine.next_request`, whose
    guess the full reading checks (so an odd spelling of the tag only costs the guess)."""
    for tag in re.finditer(r"<a\s[^>]*" + re.escape(link_class) + r"[^>]*>", html):
        classes = _QUOTED_ATTRIBUTE["class"].search(tag.group(0))
        if classes is None or link_class not in classes.group(2).split():
            continue
        href = _QUOTED_ATTRIBUTE["href"].search(tag.group(0))
        return html_unescape(href.group(2)) if href is not None else None
    return None


_QUOTED_ATTRIBUTE = {name: re.compile(rf"""\s{name}\s*=\s*(["'])(.*?)\1""", re.IGNORECASE)
                     for name in ("class", "href")}


def absolutize_urls(node: LexborNode, base_url: str) -> None:
    """Rewrite URLs under `node` as absolute ones (`absolute_url`), in place.

    A URL that cannot be read is removed, leaving its text (a link becomes a dead link):
    nothing could fetch it, and the page's WARC record keeps it as the board sent it.
    """
    for element in node.css(_URL_SELECTOR):
        attributes = element.attrs  # lookups; `.attributes` would build a dict of them all
        for attribute in URL_ATTRIBUTES:
            value = attributes.get(attribute)
            if value:
                absolute = absolute_url(value, base_url)
                if absolute is None:
                    del element.attrs[attribute]
                elif absolute != value:  # most links of a page are absolute already
                    element.attrs[attribute] = absolute


def absolute_url(value: str, base_url: str) -> str | None:
    """A URL attribute's value as `absolutize_urls` rewrites it: made absolute
    (urls.page_url), None when it cannot be read; fragments, data:, javascript: and
    mailto: URLs as they are."""
    if not value or value.startswith(_KEPT_URL_PREFIXES):
        return value
    return page_url(value, base_url)


_URL_SELECTOR = ", ".join(f"[{attribute}]" for attribute in URL_ATTRIBUTES)
_KEPT_URL_PREFIXES = ("#", "data:", "javascript:", "mailto:")


def node_text(node: LexborNode) -> str:
    """Readable plain text of an element: line breaks kept, blank runs collapsed.

    Read from a copy of the element, marked up in place (a newline after each `<br>` and
    block), not by serialising and parsing it again: that cost a new document per post.
    """
    if node.tag in NON_TEXT_TAGS:
        return ""
    copy = node.clone()
    # One walk for both kinds, from the last: an element is marked before the hidden one
    # around it goes (so none is touched once freed), and a mark inside goes with it. The
    # elements are picked by tag in Python: a selector of 17 tags cost more to compile at
    # each call than this walk over a post's few elements (measured).
    for element in reversed([e for e in copy.traverse() if e.tag in _TEXT_MARKUP_TAGS]):
        if element.tag in NON_TEXT_TAGS:
            element.decompose()
        else:
            element.insert_after("\n")
    return readable(copy.text(separator="") or "")


def readable(text: str) -> str:
    """An element's text (its text nodes joined, a newline after each break and block) as
    `node_text` gives it: lines stripped, blank runs collapsed."""
    lines = [line.strip() for line in text.replace("\xa0", " ").splitlines()]
    if "" in lines:
        # A run of blank lines is one: a line is kept when it or the one before has text (a
        # regex over the joined text cost more than all the rest, at each character).
        lines = [line for line, before in zip(lines, ["-", *lines], strict=False)
                 if line or before]
    return "\n".join(lines).strip()


# The elements whose text is not read, then those a line ends after: a break, and the
# blocks that end a paragraph of text.
_TEXT_MARKUP_TAGS = frozenset(
    (*NON_TEXT_TAGS, "br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
     "tr"))


def board_number(text: str) -> int | None:
    """A page number, post number or count as the board prints it (`4,812`, `١٢`), or None.

    `isdecimal`, not `isdigit`: superscripts (`1²`) are digits that int() refuses, while
    Arabic-Indic digits are decimals that int() reads.
    """
    digits = NUMBER_SEPARATORS.sub("", text)
    if digits.isdecimal() and len(digits) <= MAX_NUMBER_DIGITS:
        return int(digits)
    return None


def one_line(text: str) -> str:
    """`text` as one line: each run of white space (non-breaking spaces too) one space."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def url_filename(url: str) -> str:
    """The last segment of a URL's path: the name a hot-linked file goes by."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def base_href(tree: LexborHTMLParser, url: str) -> str:
    """What the page's relative links resolve against: its `<base href>`, else its URL."""
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    return urljoin(url, href) if href else url


class _PostSelector(Protocol):
    @property
    def post(self) -> str: ...


Style = TypeVar("Style", bound=_PostSelector)


def first_style_with_posts(tree: LexborHTMLParser,
                           styles: Sequence[Style]) -> tuple[Style, list[LexborNode]]:
    """The first of a board's `styles` whose `post` selector finds posts, and those posts;
    the first style and no posts when none does."""
    for style in styles:
        nodes = tree.css(style.post)
        if nodes:
            return style, nodes
    return styles[0], []


def fill_positions(posts: list[ParsedPost], shown: list[int | None],
                   first_index: int) -> list[ParsedPost]:
    """Set each post's position to its `shown` number (None: unreadable) and return the posts
    whose position was assumed instead: such a post follows its nearest numbered neighbour
    (the one before it first); on a page showing no number, it is the post `first_index` +
    its place on the page (`first_index`: how many posts come before the page)."""
    assumed = []
    for index, post in enumerate(posts):
        number = shown[index]
        if number is not None:
            post.position = number
            continue
        before = next(((i, n) for i, n in reversed(list(enumerate(shown[:index])))
                       if n is not None), None)
        after = next(((i, n) for i, n in enumerate(shown) if i > index and n is not None), None)
        if before is not None:
            post.position = before[1] + index - before[0]
        elif after is not None:
            post.position = max(1, after[1] - (after[0] - index))
        else:
            post.position = first_index + index + 1
        assumed.append(post)
    return assumed


def unique_assets(assets: list[AssetRef]) -> list[AssetRef]:
    """`assets` without repeats: the first reference to each URL is kept, in order."""
    seen: dict[str, AssetRef] = {}
    for asset in assets:
        seen.setdefault(asset.url, asset)
    return list(seen.values())
