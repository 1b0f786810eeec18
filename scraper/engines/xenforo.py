"""XenForo 2 boards (2.0-2.3): thread pages as the default style renders them to guests.

Times: `<time datetime>` (with its offset) first, then its unix `data-time` (UTC); a `<time>`
without either is read from its title or text by `dates.parse_shown_date` in the board's
language, relative forms ("Today at 10:42") against the fetch time. XenForo 2 does not state
its zone to guests, so those times (and the members' joined dates) are naive ISO 8601: zone
unknown.

Attributes are read with `node.attrs.get` (one lookup), not `node.attributes` (a new dict of
all of them at each access, ten times the cost): the names asked for are lower case, where
the two agree.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import LayoutChanged, UnsupportedUrl
from ..records import AssetRef, Author, Embed, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from ..urls import canonical_url, page_url, same_site, shown
from .base import (
    Cursor,
    Engine,
    Request,
    Response,
    absolute_url,
    absolutize_urls,
    board_number,
    next_link_href,
    node_text,
    page_tree,
    readable,
)
from .canonical import (
    code_html,
    place_embed,
    quote_html,
    replace_with_html,
    spoiler_html,
    tweet_embed,
    unwrap_redirect,
    video_embed,
    youtube_embed,
    youtube_video_id,
)
from .claims import URL_PATTERNS
from .dates import PageDates, iso_from_machine_time, iso_from_unix
from .walls import check_not_a_wall, page_title, wall

# What a XenForo 2 page carries: detection scores pages by these.
_MARKERS = (
    ("html#XF", re.compile(r"<html[^>]*\bid=[\"']?XF\b")),
    ("data-xf-init", re.compile(r"\bdata-xf-init=")),
    ("XF.config", re.compile(r"\bXF\.(?:config|ready|extendObject)\b")),
    ("message--post", re.compile(r"\bmessage--post\b")),
)


class XenForo2(Engine):
    summary = "XenForo 2.0-2.3 (html#XF)"
    cookie_prefixes = ("xf_",)
    name = "xenforo2"
    pattern = URL_PATTERNS["xenforo2"]
    example = "https://forum.example/threads/some-title.123/"
    marker_patterns = _MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/threads/some-title.123/",
        "https://forum.example/threads/123/page-4",
        "https://forum.example/community/index.php?threads/some-title.123/",
        "https://forum.example/posts/4567/",
        "https://forum.example/goto/post?id=4567",
    )

    def thread_id(self, url: str) -> str:
        match = self.pattern.match(canonical_url(url))
        if match is not None and match.group("id") is None:
            raise UnsupportedUrl(f"{shown(url)} is a post permalink: its page names the thread")
        return super().thread_id(url)

    def canonical_content(self, content_html: str) -> str:
        return _canonical_html(content_html)

    def member_id(self, profile_url: str | None) -> str | None:
        return _member_id(profile_url)

    def first_page_url(self, url: str) -> str:
        page_suffix = re.compile(r"page-\d+/?(?=$|[?#])")
        return page_suffix.sub("", url.split("#", 1)[0])

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        reading = _PageReading.of(tree)
        post_nodes = reading.posts
        spans: list[tuple[int, int]] = []
        if not _contents_end_in_place(reading.ends, html, post_nodes):
            # A post left an element open (a <td>, a <template>) or closed too many, and the
            # page after it went into its content: parse each content on its own instead.
            spans = _ContentSpans.of(html)
            isolated = LexborHTMLParser(_without(html, spans))
            isolated_posts = isolated.css("article.message--post")
            if len(isolated_posts) == len(spans):
                tree, post_nodes = isolated, isolated_posts
            else:
                spans = []  # the contents' ends are not all found: read the page as it is
        if not post_nodes:
            _check_not_a_xenforo_wall(tree, url)
            check_not_a_wall(tree, url)
        root = _document_element(tree)
        if not ((root is not None and root.attrs.get("id") == "XF")
                or tree.css_first("html#XF") is not None):
            raise LayoutChanged(
                f"{url} is not a XenForo 2 page (no <html id=\"XF\">); "
                "the board may use another engine or a login wall"
            )
        dates = PageDates((root.attrs.get("lang") or "") if root else "", reference=fetched_at)
        if spans:
            posts = [self._parse_post(node, url, html[start:end], dates, _PostParts.of(node))
                     for node, (start, end) in zip(post_nodes, spans, strict=True)]
        else:
            page_parts = reading.parts or [_PostParts.of(node) for node in post_nodes]
            posts = [self._parse_post(node, url, None, dates, parts)
                     for node, parts in zip(post_nodes, page_parts, strict=True)]
        if not posts:
            raise LayoutChanged(
                f"found no posts on {url}: the XenForo layout may have changed, "
                "or the page is a login wall or error page"
            )
        heads = _PageHeads(tree)
        nav = heads.nav
        next_link = nav.first("pagenav", ".pageNav a.pageNav-jump--next")
        next_href = (next_link.attrs.get("href") or "") if next_link else None
        next_url = bad_next_href = None
        if next_href is not None:
            try:
                next_url = urljoin(url, next_href)
            except ValueError:  # e.g. "http://[::1/page-2": the scraper stops there and says so
                bad_next_href = next_href
        thread = self._parse_thread(tree, heads, url)
        if heads.held_nav:  # a page navigation went with the title's labels
            nav = _PageNav.of(tree)
        return ParsedPage(
            thread=thread,
            page_number=self._page_number(nav, url),
            posts=posts,
            next_url=next_url,
            last_page=self._last_page(nav),
            bad_next_href=bad_next_href,
        )

    def next_request(self, response: Response, cursor: Cursor | None) -> Request | None:
        href = next_link_href(response.text, "pageNav-jump--next")
        try:
            url = urljoin(response.final_url, href) if href else None
        except ValueError:
            return None  # `read` says what is wrong with it
        if url is None:
            return None
        shown_page = re.search(r"/page-([0-9]+)", urlsplit(url).path)
        return Request(url, int(shown_page.group(1)) if shown_page else 0)

    def _parse_thread(self, tree: LexborHTMLParser, heads: _PageHeads, url: str) -> ThreadInfo:
        title_node = heads.title
        if title_node is None:
            raise LayoutChanged(f"no thread title (h1.p-title-value) on {url}")
        prefix = " ".join(label.text(strip=True) for label in title_node.css(".label"))
        heads.remove(tree, title_node.css(".label, .label-append"))
        canonical = heads.canonical
        href = canonical.attrs.get("href") if canonical else None
        canonical_url = page_url(href, url) if href else None
        ignored_canonical = ""
        if canonical_url is not None and not same_site(canonical_url, url):
            # Another site cannot name this thread: its URL would lead later runs (config,
            # private-address allowance, the mirror's "original thread" link) to that site.
            ignored_canonical, canonical_url = canonical_url, None
        html_node = _document_element(tree)
        return ThreadInfo(
            id=self.thread_id(url),
            url=self.first_page_url(canonical_url or url),
            title=title_node.text(strip=True),
            prefix=prefix,
            breadcrumb=self._breadcrumb(heads.trail, url),
            language=(html_node.attrs.get("lang") or "") if html_node else "",
            ignored_canonical=ignored_canonical,
        )

    @staticmethod
    def _breadcrumb(trail: LexborNode | None, url: str) -> list[Link]:
        if trail is None:
            return []
        links = []
        for anchor in trail.css("li a"):
            name = anchor.css_first("[itemprop=name]") or anchor
            href = page_url(anchor.attrs.get("href") or "", url)
            links.append(Link(name.text(strip=True), href or ""))
        return links

    @staticmethod
    def _page_number(nav: _PageNav, url: str) -> int:
        current = nav.first("pagenav-page--current", ".pageNav-page--current a")
        shown = board_number(current.text(strip=True)) if current is not None else None
        if shown is not None:
            return shown
        match = re.search(r"/page-(\d+)", urlsplit(url).path)
        return (board_number(match.group(1)) if match else None) or 1

    @staticmethod
    def _last_page(nav: _PageNav) -> int | None:
        # Each link may be found twice (in a navigation inside another): the most is the same.
        links = nav.every("pagenav-main", ".pageNav-main .pageNav-page a")
        numbers = [n for n in (board_number(a.text(strip=True)) for a in links) if n is not None]
        return max(numbers) if numbers else None

    def _parse_post(self, node: LexborNode, url: str, content: str | None,
                    dates: PageDates, parts: _PostParts) -> ParsedPost:
        """One post; `content` is the source of its content when it was cut from the page."""
        content_key = node.attrs.get("data-content") or ""
        if not content_key.startswith("post-"):
            raise LayoutChanged(f"a post on {url} has no data-content=\"post-ID\"")
        post_id = content_key.removeprefix("post-")
        body = parts.body
        if body is None:
            raise LayoutChanged(f"post {post_id} on {url} has no .bbWrapper content")
        if content is not None:
            body = _parsed_content(content)
        content_html = body.inner_html or ""
        plain = _is_plain(body, content_html)
        # Only the URLs that are read: the content's, the attachments' and the author's
        # (the post's permalinks, share and reaction links are never kept).
        if not plain:
            absolutize_urls(body, url)
        for attachments in parts.attachments:
            absolutize_urls(attachments, url)

        name_link = parts.name_link
        author_name = node.attrs.get("data-author") or (
            name_link.text(strip=True) if name_link else ""
        )
        author_href = name_link.attrs.get("href") if name_link else None
        author_url = absolute_url(author_href, url) if author_href is not None else None
        author = Author(author_name, author_url, avatar_url=_avatar_url(parts.avatar, url),
                        member_id=_member_id(author_url), **_user_extras(parts.pairs, dates))

        published_node = parts.published
        edited_node = parts.edited
        published_text = published_node.text(strip=True) if published_node else ""
        edited_text = edited_node.text(strip=True) if edited_node else ""

        assets = self._assets(None if plain else body, parts.files)
        # Most posts embed, quote and box nothing: one query for all of them, not three.
        marked_up = not plain and body.css_first(_MARKED_UP) is not None
        embeds = self._take_embeds(body) if marked_up else []
        quotes = self._quotes(body) if marked_up else []
        if not plain:
            canonicalize(body, blocks=marked_up)
        return ParsedPost(
            id=post_id,
            # Read after the content's boxes are rewritten, which may have made new links.
            position=self._position(
                node.css(_POST_PARTS["anchors"]) if marked_up else parts.anchors, post_id),
            author=author,
            published=self._time(published_node, dates),
            published_text=published_text,
            edited=self._time(edited_node, dates),
            edited_text=edited_text,
            content_html=(content_html if plain else body.inner_html or "").strip(),
            content_text=_plain_text(content_html) if plain else node_text(body),
            quotes=quotes,
            embeds=embeds,
            assets=assets,
        )

    @staticmethod
    def _time(node: LexborNode | None, dates: PageDates) -> str | None:
        if node is None:
            return None
        machine = node.attrs.get("datetime")
        if machine:
            return iso_from_machine_time(machine)
        if unix := node.attrs.get("data-time"):
            return iso_from_unix(unix)
        return dates.read(node.attrs.get("title") or node.text(strip=True))

    @staticmethod
    def _position(anchors: list[LexborNode], post_id: str) -> int:
        for anchor in anchors:
            position = board_number(anchor.text(strip=True).lstrip("#"))
            if position is not None:
                return position
        raise LayoutChanged(f"post {post_id} shows no post number (#N)")

    @staticmethod
    def _quotes(body: LexborNode) -> list[Quote]:
        quotes = []
        for block in body.css("blockquote.bbCodeBlock--quote"):
            source = block.attrs.get("data-source") or ""
            match = re.search(r"post:\s*(\d+)", source)
            quotes.append(
                Quote(author=block.attrs.get("data-quote") or "",
                      post_id=match.group(1) if match else None)
            )
        return quotes

    @staticmethod
    def _assets(body: LexborNode | None, files: list[LexborNode]) -> list[AssetRef]:
        """Full-size images and attachments: inline images first, then the attachment list
        (`files`, its items). `body` None: the content holds no image."""
        found: dict[str, AssetRef] = {}
        for image in body.css("img.bbImage") if body is not None else ():
            link = image.parent if image.parent is not None and image.parent.tag == "a" else None
            full = (link.attrs.get("href") if link else None) or image.attrs.get(
                "data-url") or image.attrs.get("src") or ""
            if not full or full.startswith("data:"):
                continue
            is_attachment = "/attachments/" in full
            filename = image.attrs.get("alt") or image.attrs.get("title") or ""
            found.setdefault(full, AssetRef(
                url=full,
                filename=filename or urlsplit(full).path.rstrip("/").rsplit("/", 1)[-1],
                kind="attachment" if is_attachment else "image",
            ))
        for item in files:
            link = item.css_first("a.file-preview") or item.css_first("a[href]")
            if link is None or not link.attrs.get("href"):
                continue
            full = link.attrs["href"] or ""
            thumb = item.css_first("img")
            name = item.css_first(".file-name")
            found.setdefault(full, AssetRef(
                url=full,
                filename=name.text(strip=True) if name else (
                    thumb.attrs.get("alt") or "" if thumb else ""),
                kind="attachment",
                thumbnail_url=thumb.attrs.get("src") if thumb else None,
            ))
        return list(found.values())

    @staticmethod
    def _take_embeds(body: LexborNode) -> list[Embed]:
        """Replace embedded tweets with placeholders and keep them as static data."""
        embeds: list[Embed] = []
        if body.css_first(_EMBEDDED) is None:  # most posts embed nothing: one query, not three
            return embeds
        for wrapper in body.css("blockquote.twitter-tweet"):
            outer = wrapper
            while outer.parent is not None and outer.parent is not body and (
                    "bbMedia" in (outer.parent.attrs.get("class") or "")):
                outer = outer.parent
            place_embed(outer, tweet_embed(wrapper), embeds)
        # Videos: s9e's media embeds (span[data-s9e-mediaembed]) and XenForo's own
        # bbMediaWrapper. Kept as a link only: the mirror never loads a third-party player.
        for wrapper in body.css("span[data-s9e-mediaembed], div.bbMediaWrapper"):
            if wrapper.parent is None:
                continue  # inside a wrapper already replaced
            video = _video(wrapper)
            if video is not None:
                place_embed(wrapper, video, embeds)
        for script in body.css("script"):
            script.decompose()
        return embeds


# Outgoing links as XenForo wraps them: the board's redirect and its link proxy.
_LINK_WRAPPERS = (("/redirect/", "to"), ("/proxy.php", "link"))
_MEMBER_ID = re.compile(r"/members/(?:[^/?#]*\.)?([0-9]+)/?(?:[?#]|$)")


# XenForo's own templates for pages that are not the thread a guest asked for.
_WALL_TEMPLATES = {"login": "a login wall", "error": "an error page",
                   "message_page": "a notice page", "register_form": "a sign-up wall"}


def _check_not_a_xenforo_wall(tree: LexborHTMLParser, url: str) -> None:
    root = tree.css_first("html")
    template = (root.attrs.get("data-template") or "") if root else ""
    if template in _WALL_TEMPLATES:
        raise wall(url, _WALL_TEMPLATES[template], page_title(tree) or template)


def _member_id(profile_url: str | None) -> str | None:
    """The member id in a XenForo profile URL (`/members/name.12/` -> "12")."""
    match = _MEMBER_ID.search(profile_url or "")
    return match.group(1) if match else None


def canonicalize(body: LexborNode, *, blocks: bool = True) -> None:
    """Turn a post's XenForo markup into the canonical form (engines/canonical.py), in place.

    Innermost quotes first, so a quote inside a quote keeps its nesting. `blocks=False`:
    the caller found no quote, code box, spoiler or their chrome in `body`.
    """
    if blocks and body.css_first(_BLOCKS) is not None:  # most posts have none: one query
        _canonical_blocks(body)
    for element in body.css("a[href], img[data-src], img[data-url]"):
        if element.tag == "a":
            given = element.attrs.get("href")
            href = given or ""
            for path, parameter in _LINK_WRAPPERS:
                href = unwrap_redirect(href, path, parameter)
            if href != given:
                element.attrs["href"] = href  # a board's link wrapper, or a valueless href
            continue
        attributes = element.attrs
        real = attributes.get("data-url") or attributes.get("data-src") or ""
        if real.startswith(("http://", "https://")):
            element.attrs["src"] = real  # lazy images show a placeholder until scripts run


_ATTACHMENTS = "section.message-attachments"
# What `_take_embeds` replaces or drops.
_EMBEDDED = "blockquote.twitter-tweet, span[data-s9e-mediaembed], div.bbMediaWrapper, script"
_QUOTES = "blockquote.bbCodeBlock--quote, blockquote[data-quote]"
_CHROME = ".bbCodeBlock-expandLink, .js-expandLink, .bbCodeBlock-sourceJump"
_BLOCKS = f"{_QUOTES}, div.bbCodeBlock--code, div.bbCodeSpoiler, {_CHROME}"
# Whatever `_take_embeds`, `XenForo2._quotes` or `_canonical_blocks` would change.
_MARKED_UP = f"{_EMBEDDED}, {_BLOCKS}"


def _canonical_blocks(body: LexborNode) -> None:
    """Quotes, code blocks and spoilers in the canonical form; the board's chrome dropped."""
    for quote in reversed(body.css(_QUOTES)):
        source = quote.attrs.get("data-source") or ""
        match = re.search(r"post:\s*([0-9]+)", source)
        inner = quote.css_first(".bbCodeBlock-expandContent") or quote.css_first(
            ".bbCodeBlock-content")
        replace_with_html(quote, quote_html(quote.attrs.get("data-quote") or "",
                                            match.group(1) if match else None,
                                            ((inner or quote).inner_html or "").strip()))
    for block in body.css("div.bbCodeBlock--code"):
        code = block.css_first("code") or block.css_first("pre")
        replace_with_html(block, code_html(code.text(deep=True) if code is not None else ""))
    for spoiler in body.css("div.bbCodeSpoiler"):
        title = spoiler.css_first(".bbCodeSpoiler-button-title")
        content = spoiler.css_first(".bbCodeBlock-content") or spoiler.css_first(
            ".bbCodeSpoiler-content")
        replace_with_html(spoiler, spoiler_html(
            title.text(strip=True) if title is not None else "Spoiler",
            (content.inner_html or "") if content is not None else ""))
    for chrome in body.css(_CHROME):
        chrome.decompose()  # "Click to expand..." and jump arrows need the board's JavaScript


def _canonical_html(content_html: str) -> str:
    """Stored XenForo post HTML in the canonical form (for archives of format version 1)."""
    body = LexborHTMLParser(f"<body>{content_html}</body>").body
    if body is None:  # pragma: no cover - lexbor always gives a body
        return content_html
    canonicalize(body)
    return (body.inner_html or "").strip()


# The user extras' labels XenForo prints in its languages (the order is the board's choice).
_JOINED_LABELS = frozenset({"joined", "تاريخ التسجيل", "انضم", "التسجيل", "הצטרף", "inscrit"})
_MESSAGES_LABELS = frozenset({"messages", "المشاركات", "مشاركات", "الرسائل", "הודעות"})


def _contents_end_in_place(ends: int, html: str, posts: list[LexborNode]) -> bool:
    """Whether, as parsed, every post's content ends where XenForo ends it (`ends` of them
    do), and no post took in the posts after it (an unclosed table can, while the ends
    still look right)."""
    return ends == html.count("js-selectToQuoteEnd") and not _nested(posts)


def _nested(posts: list[LexborNode]) -> bool:
    """Whether one of `posts` is inside another. Children of one element are not; else a
    walk up from each post: the selector `article.message--post article.message--post`
    tried every article's ancestors across the whole page, 6 % of reading one (measured)."""
    parents = {post.parent.mem_id if post.parent is not None else 0 for post in posts}
    if len(parents) <= 1 and 0 not in parents:
        return False
    ids = {post.mem_id for post in posts}
    for post in posts:
        parent = post.parent
        while parent is not None:
            if parent.mem_id in ids:
                return True
            parent = parent.parent
    return False


class _ContentSpans(HTMLParser):
    """Where the posts' contents are in a page's source, found by reading it as tags.

    XenForo writes a post's content between `<article class="message-body"><div
    class="bbWrapper">` and the `</div>` just before `<div class="js-selectToQuoteEnd">`.
    A tree builder lets unbalanced content take in the page; a flat run of tags does not.
    """

    # Tags after an unclosed <style> or <script> in a post are still the page's own.
    CDATA_CONTENT_ELEMENTS = ()  # type: ignore[misc]  # typeshed marks it Final

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.spans: list[tuple[int, int]] = []
        self.reliable = True
        self._html = html
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", html))]
        self._in_body_tag = False  # the last start tag opened article.message-body
        self._start: int | None = None

    @classmethod
    def of(cls, html: str) -> list[tuple[int, int]]:
        """(start, end) of every post's content, in page order; [] when not all are found."""
        reader = cls(html)
        reader.feed(html)
        reader.close()
        return reader.spans if reader.reliable and reader._start is None else []

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """`<![CDATA[` and the like as HTML reads them: a bogus comment up to the next `>`.

        (html.parser would look for `]]>`, reading the page after an unclosed one as text,
        or refuse some with an AssertionError.)
        """
        end = self.rawdata.find(">", i)
        return -1 if end < 0 else end + 1

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._start is None and self._in_body_tag and tag == "div" and "bbWrapper" in classes:
            self._start = self._offset() + len(self.get_starttag_text() or "")
        elif self._start is not None and tag == "div" and "js-selectToQuoteEnd" in classes:
            # The content ends at the board's own </div> before this, found in the source:
            # read as tags, an unclosed "<![CDATA[" in the content can take that </div> in,
            # and a span ending at the content's own </div> left the rest (say
            # "<svg><![CDATA[", which swallows all after it) in the page's frame.
            end = self._offset()
            close = self._html.rfind("</div>", self._start, end)
            self.spans.append((self._start, close if close >= 0 else end))
            self._start = None
        elif self._start is not None and tag == "article" and "message--post" in classes:
            self.reliable = False  # a post began inside another's content
        self._in_body_tag = tag == "article" and "message-body" in classes


def _without(html: str, spans: list[tuple[int, int]]) -> str:
    """`html` with the text of `spans` cut out."""
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(html[last:start])
        last = end
    pieces.append(html[last:])
    return "".join(pieces)


def _parsed_content(content: str) -> LexborNode:
    """A post's content parsed on its own, as a <body> (so a leading <style> stays in it)."""
    body = LexborHTMLParser("<body>" + content).body
    assert body is not None  # the parser makes one for "<body>"
    return body


def _document_element(tree: LexborHTMLParser) -> LexborNode | None:
    """`tree.css_first("html")` without a walk over the page: the document's element, the
    first in page order, is the <html> HTML parsing always makes."""
    root = tree.root
    return root if root is not None and root.tag == "html" else tree.css_first("html")


class _PageHeads:
    """The thread's title, canonical link and breadcrumb trail, and the elements of its page
    navigation (`_PageNav`): one query over the page for all, not one each. The three are
    told apart by their tags, and from the navigation's by their classes."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.title: LexborNode | None = None
        self.canonical: LexborNode | None = None
        self.trail: LexborNode | None = None
        self.held_nav = False  # the title held page navigation markup, now removed
        self.nav = _PageNav()
        if not self._read(tree):
            self.title = self.canonical = self.trail = None
            self._take(tree, ("h1", "link", "ul"))
            self.nav = _PageNav.of(tree)

    def _read(self, tree: LexborHTMLParser) -> bool:
        """False when an element found could be both a head and the navigation's."""
        roots = self.nav.roots
        previous = 0
        for element in tree.css(_HEADS_QUERY):
            mem_id = element.mem_id
            if mem_id == previous:  # of two of the navigation's classes
                continue
            previous = mem_id
            classes = (element.attrs.get("class") or "").lower()
            tag = element.tag or ""
            head = _HEADS.get(tag)
            if head is not None and (head[2] in classes if head[2] else "canonical" in (
                    element.attrs.get("rel") or "").lower()):
                if "pagenav" in classes:
                    return False
                if getattr(self, head[0]) is None:
                    setattr(self, head[0], element)
            elif "pagenav" in classes:
                roots.append((element, classes.split()))
            else:
                return False
        return True

    def _take(self, tree: LexborHTMLParser, tags: tuple[str, ...]) -> None:
        for element in tree.css(", ".join(_HEADS[tag][1] for tag in tags)):
            tag = element.tag or ""
            name = _HEADS[tag][0] if tag in tags else None
            if name is not None and getattr(self, name) is None:
                setattr(self, name, element)

    def remove(self, tree: LexborHTMLParser, labels: list[LexborNode]) -> None:
        """Remove the title's `labels`; the canonical link, the trail and the navigation are
        then looked for again where the title's markup held one (as they would be found once
        it is gone)."""
        markup = (self.title.html or "").lower() if labels and self.title is not None else ""
        for label in labels:
            label.decompose()
        self.held_nav = "pagenav" in markup
        if "<link" in markup or "p-breadcrumbs" in markup:
            self.canonical = self.trail = None
            self._take(tree, ("link", "ul"))


# tag: (what it is, its selector, the class it has, lower case; "" for the link, by `rel`)
_HEADS = {"h1": ("title", "h1.p-title-value", "p-title-value"),
          "link": ("canonical", "link[rel=canonical]", ""),
          "ul": ("trail", "ul.p-breadcrumbs", "p-breadcrumbs")}
_NAV_ROOTS = ".pageNav, .pageNav-page--current, .pageNav-main"
_HEADS_QUERY = ", ".join([*(selector for _, selector, _ in _HEADS.values()), _NAV_ROOTS])


class _PageNav:
    """The page navigation's links, looked for inside the navigation's own elements (found
    by one query over the page) instead of by three queries over the page."""

    def __init__(self) -> None:
        # The elements of `_NAV_ROOTS` (and maybe others: `first` and `every` need no more
        # than all of those), in page order, with their classes in lower case.
        self.roots: list[tuple[LexborNode, list[str]]] = []

    @classmethod
    def of(cls, tree: LexborHTMLParser) -> _PageNav:
        nav = cls()
        previous = 0
        for element in tree.css(_NAV_ROOTS):
            if element.mem_id != previous:  # an element of two of the classes comes twice
                nav.roots.append((element, (element.attrs.get("class") or "").lower().split()))
            previous = element.mem_id
        return nav

    def first(self, root_class: str, selector: str) -> LexborNode | None:
        """`tree.css_first(selector)`, whose first element is of class `root_class` (lower
        case): the first match in the first such element (in page order) holding one."""
        for root, classes in self.roots:
            if root_class in classes:
                found = root.css_first(selector)
                if found is not None:
                    return found
        return None

    def every(self, root_class: str, selector: str) -> list[LexborNode]:
        """`tree.css(selector)` as `first` reads it, an element twice where one root is in
        another."""
        return [found for root, classes in self.roots if root_class in classes
                for found in root.css(selector)]


class _PostParts:
    """The elements of one post that are read (None or [] where it has none)."""

    __slots__ = (
        "anchors",
        "attachments",
        "avatar",
        "body",
        "edited",
        "files",
        "name_link",
        "pairs",
        "published",
    )

    def __init__(self) -> None:
        self.body: LexborNode | None = None
        self.attachments: list[LexborNode] = []
        self.name_link: LexborNode | None = None
        self.avatar: LexborNode | None = None
        self.pairs: list[LexborNode] = []
        self.published: LexborNode | None = None
        self.edited: LexborNode | None = None
        self.anchors: list[LexborNode] = []
        self.files: list[LexborNode] = []

    @classmethod
    def of(cls, node: LexborNode) -> _PostParts:
        """The parts of `node`, each found by its own query in the post."""
        parts = cls()
        parts.body = node.css_first(_POST_PARTS["body"])
        parts.attachments = node.css(_POST_PARTS["attachments"])
        parts.name_link = node.css_first(_POST_PARTS["name_link"])
        parts.avatar = node.css_first(_POST_PARTS["avatar"])
        parts.pairs = node.css(_POST_PARTS["pairs"])
        parts.published = node.css_first(_POST_PARTS["published"])
        parts.edited = node.css_first(_POST_PARTS["edited"])
        parts.anchors = node.css(_POST_PARTS["anchors"])
        parts.files = node.css(_POST_PARTS["files"])
        return parts


# What each part of a post is, as a selector in the post; `.message-name a.username` is one
# of `.message-name .username`.
_POST_PARTS = {
    "body": ".message-body .bbWrapper",
    "attachments": _ATTACHMENTS,
    "name_link": ".message-name a.username, .message-name .username",
    "avatar": ".message-avatar img",
    "pairs": ".message-userExtras dl.pairs",
    "published": ".message-attribution-main time",
    "edited": ".message-lastEdit time",
    "anchors": ".message-attribution-opposite a",
    "files": f"{_ATTACHMENTS} li.file",
}
_POST = "article.message--post"
# Where a content ends as XenForo ends it.
_ENDS = ".message-body > .bbWrapper + .js-selectToQuoteEnd"
_PARTS_QUERIES = tuple(
    ", ".join([_POST, *(f"{_POST} {_POST_PARTS[name].split(', ')[-1]}" for name in names),
               *extra])
    for names, extra in (
        (("body", "attachments", "name_link", "avatar", "pairs", "edited", "files"), [_ENDS]),
        (("published", "anchors"), [])))
# What tells each thing the page-wide queries find from the others of its query: by tag, and
# for any tag; each as (thing, its class in lower case, its class), None for no class.
_Sign = tuple[str, str | None, str | None]


def _signs(by_tag: dict[str, tuple[str, str | None]], by_class: tuple[tuple[str, str], ...]
           ) -> tuple[dict[str, _Sign], tuple[_Sign, ...]]:
    return ({tag: (name, css and css.lower(), css) for tag, (name, css) in by_tag.items()},
            tuple((name, css.lower(), css) for name, css in by_class))


_PART_SIGNS = (
    _signs({"article": ("post", "message--post"), "section": ("attachments", "message-attachments"),
            "img": ("avatar", None), "dl": ("pairs", "pairs"), "time": ("edited", None),
            "li": ("files", "file")},
           (("body", "bbWrapper"), ("name_link", "username"), ("ends", "js-selectToQuoteEnd"))),
    _signs({"article": ("post", "message--post"), "time": ("published", None),
            "a": ("anchors", None)}, ()),
)
# The ancestors the parts' selectors name: the page-wide queries look for them inside the
# post only, so a page where a post is in one (or is one) is read a post at a time.
_PART_ANCESTORS = ("message-body", "message-name", "message-avatar", "message-userextras",
                   "message-attribution-main", "message-lastedit", "message-attribution-opposite",
                   "message-attachments")
_LISTS = frozenset({"attachments", "pairs", "anchors", "files"})


def _is_plain(body: LexborNode, content_html: str) -> bool:
    """Whether a post's content (`content_html`, its inner HTML) holds nothing its queries
    look for (URLs, images, boxes, embeds): only text, line breaks and bare inline tags in a
    bare <div class="bbWrapper"> (or the <body> it was parsed in). Most posts: their URL,
    image, markup and link queries are not asked (five queries a post, measured)."""
    if _MARKUP.search(content_html) is not None:
        return False
    tag = body.tag
    attributes = body.attributes
    return (tag == "div" and attributes == {"class": "bbWrapper"}) or (
        tag == "body" and not attributes)


# A tag other than a bare line break or inline style, a comment or a doctype: the text's
# own "<" are written "&lt;", so any other "<" in a content's HTML is one of those.
_MARKUP = re.compile(r"<(?!(?:br|/?(?:b|i|u|s|em|strong))>)")


def _plain_text(content_html: str) -> str:
    """`node_text` of a plain content (`_is_plain`), read from its HTML without a walk over
    its nodes: its tags are line breaks and inline ones, and its text is escaped as HTML
    serialises text (`&`, `<`, `>` and no-break spaces only)."""
    text = content_html.replace("<br>", "\n")
    if "<" in text:
        for tag in _INLINE_TAGS:
            text = text.replace(tag, "")
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace(
            "&nbsp;", "\xa0").replace("&amp;", "&")
    return readable(text)


_INLINE_TAGS = tuple(f"<{end}{name}>" for name in ("b", "i", "u", "s", "em", "strong")
                     for end in ("", "/"))


class _PageReading:
    """The page's posts, their parts and the count of their contents' ends, from two
    page-wide queries (`_PARTS_QUERIES`), each post followed by its parts in page order: a
    query per part in each of 20 posts cost three times as much (measured)."""

    def __init__(self, posts: list[LexborNode], ends: int,
                 parts: list[_PostParts] | None) -> None:
        self.posts = posts
        self.ends = ends  # contents ending where XenForo ends them (`_ENDS`)
        # None where the page-wide queries may not read as the post's own would: posts that
        # are not siblings, a post in one of the parts' ancestors.
        self.parts = parts

    @classmethod
    def of(cls, tree: LexborHTMLParser) -> _PageReading:
        found = cls._read(tree)
        if found is not None:
            return found
        posts = tree.css(_POST)
        return cls(posts, len(tree.css(_ENDS)), None)

    @classmethod
    def _read(cls, tree: LexborHTMLParser) -> _PageReading | None:
        """None when an element found could be more than one thing (its tag and class are
        those of two parts): then each is looked for on its own."""
        posts: list[LexborNode] = []
        found: list[_PostParts] = []
        ends = 0
        for query, (by_tag, by_class) in zip(_PARTS_QUERIES, _PART_SIGNS, strict=True):
            current: _PostParts | None = None
            previous = 0
            number = 0
            # Which part an element is depends on its tag and class attribute only, and the
            # 20 posts of a page repeat the same few: each pair is told apart once a page
            # (some 230 elements, a dozen pairs).
            parts_by_look: dict[tuple[str | None, str | None], str | None] = {}
            for element in tree.css(query):
                mem_id = element.mem_id
                if mem_id == previous:  # one element matched two of the selectors
                    return None
                previous = mem_id
                look = (element.tag, element.attrs.get("class"))
                if look in parts_by_look:
                    name = parts_by_look[look]
                else:
                    name = parts_by_look[look] = _part_of(look, by_tag, by_class)
                if name is None:
                    return None
                if name == "post":
                    if query is _PARTS_QUERIES[0]:
                        posts.append(element)
                        found.append(_PostParts())
                    elif number >= len(posts) or posts[number].mem_id != mem_id:
                        return None
                    current = found[number]
                    number += 1
                elif name == "ends":
                    ends += 1
                elif current is None:
                    return None
                elif name in _LISTS:
                    getattr(current, name).append(element)
                elif getattr(current, name) is None:
                    setattr(current, name, element)
        return cls(posts, ends, found if posts and _siblings_outside_parts(posts) else None)


def _part_of(look: tuple[str | None, str | None], by_tag: dict[str, _Sign],
             by_class: tuple[_Sign, ...]) -> str | None:
    """Which part an element found by a page-wide query is, by its `look` (its tag and its
    class attribute): the one part whose tag and class it has, or None when it could be
    none or more than one. A class is compared as a selector would in any mode
    (lower-cased, anywhere in the attribute) to rule parts out, then as a whole word,
    exactly, to accept the one left."""
    tag, given = look
    if not given:
        sign = by_tag.get(tag or "")
        return sign[0] if sign is not None and sign[1] is None else None
    classes = given.lower()
    named = by_tag.get(tag or "")
    if named is not None and named[1] is not None and named[1] not in classes:
        named = None
    for sign in by_class:
        if sign[1] in classes:  # type: ignore[operator]  # a class sign has a class
            if named is not None:
                return None
            named = sign
    if named is None:
        return None
    exact = named[2]
    # A printable ASCII attribute separates its classes by spaces only.
    if exact is not None and not (given.isascii() and given.isprintable()
                                  and f" {exact} " in f" {given} "):
        return None
    return named[0]


def _siblings_outside_parts(posts: list[LexborNode]) -> bool:
    """Whether the posts are children of one element (so none is in another) and neither a
    post nor any element around them carries a class the parts' selectors name."""
    parent = posts[0].parent
    if parent is None:
        return False
    parent_id = parent.mem_id
    for node in posts:
        around = node.parent
        if around is None or around.mem_id != parent_id or _names_part_ancestor(node):
            return False
    ancestor: LexborNode | None = parent
    while ancestor is not None and ancestor.is_element_node:
        if _names_part_ancestor(ancestor):
            return False
        ancestor = ancestor.parent
    return True


def _names_part_ancestor(node: LexborNode) -> bool:
    classes = (node.attrs.get("class") or "").lower()
    return "message-" in classes and any(name in classes for name in _PART_ANCESTORS)


def _avatar_url(image: LexborNode | None, base: str) -> str | None:
    """The uploaded avatar's (`.message-avatar img`) largest offered file; None for a letter
    avatar (no <img>)."""
    if image is None:
        return None
    # srcset holds the 2x file ("url 2x"): the sharper copy is the one worth keeping.
    srcset = (image.attrs.get("srcset") or "").strip()
    larger = srcset.split(",")[-1].split()[0] if srcset else ""
    url = page_url(larger or image.attrs.get("src") or "", base)
    return url if url is not None and url.startswith(("http://", "https://")) else None


def _user_extras(pairs: list[LexborNode], dates: PageDates) -> dict[str, Any]:
    """Join date and message count from `.message-userExtras`' pairs, when the board shows
    them."""
    found: dict[str, Any] = {}
    for pair in pairs:
        term, value = _term_and_value(pair)
        if term is None or value is None:
            continue
        label = term.text(strip=True).rstrip(":").strip().casefold()
        text = value.text(strip=True)
        if label in _JOINED_LABELS and "joined_text" not in found:
            found["joined_text"] = text
            shown = dates.read(text)
            found["joined"] = shown[:10] if shown else None
        elif label in _MESSAGES_LABELS and "message_count" not in found:
            found["message_count"] = board_number(text)
        if "joined_text" in found and "message_count" in found:
            break  # both read: the pairs after them (reaction score) change nothing
    return found


def _term_and_value(pair: LexborNode) -> tuple[LexborNode | None, LexborNode | None]:
    """A `<dl>`'s first `<dt>` and `<dd>`: among its children, where XenForo puts them (no
    selector to compile: two per pair were a third of reading the extras), else anywhere."""
    term = value = None
    for child in pair.iter():
        if child.tag == "dt":
            term = term or child
        elif child.tag == "dd":
            value = value or child
    return term or pair.css_first("dt"), value or pair.css_first("dd")


def _video(wrapper: LexborNode) -> Embed | None:
    """A video player as a static link: YouTube's watch page, else the player's own URL.

    `handle` keeps the board's media site id ("youtube"): the card names the provider.
    """
    frame = wrapper.css_first("iframe")
    site = (wrapper.attrs.get("data-s9e-mediaembed")
            or wrapper.attrs.get("data-media-site-id") or "")
    source = (frame.attrs.get("src") or frame.attrs.get("data-s9e-mediaembed-src")
              or "") if frame is not None else ""
    media_key = wrapper.attrs.get("data-media-key") or ""
    if (site == "youtube" and youtube_video_id(source) is None
            and re.fullmatch(r"[\w-]{6,}", media_key)):
        return youtube_embed(media_key, site)
    return video_embed(source, site)
