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
    # /threads/slug.123/, /threads/123/, optionally /page-N and index.php? routing; and the
    # post permalinks /posts/N/ and /goto/post?id=N, which name no thread (their page does).
    # Digits are ASCII ones: `\d` would take "١٢٣", which names no thread and no folder.
    pattern = re.compile(
        r"^https?://[^/?#]+(?P<root>/[^?#]*?)?/(?:index\.php\?)?(?:threads/"
        r"(?:[^/?#]*\.)?(?P<id>[0-9]+)/?(?:page-(?P<page>[0-9]+))?|posts/[0-9]+/?"
        r"|goto/post[?&](?:[^#]*&)?id=[0-9]+)(?:[?#&].*)?$"
    )
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
        tree = LexborHTMLParser(html)
        post_nodes = tree.css("article.message--post")
        spans: list[tuple[int, int]] = []
        if not _contents_end_in_place(tree, html, post_nodes):
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
        if tree.css_first("html#XF") is None:
            raise LayoutChanged(
                f"{url} is not a XenForo 2 page (no <html id=\"XF\">); "
                "the board may use another engine or a login wall"
            )
        contents: list[str | None] = [html[start:end] for start, end in spans]
        contents = contents or [None] * len(post_nodes)
        html_node = tree.css_first("html")
        dates = PageDates((html_node.attrs.get("lang") or "") if html_node else "",
                          reference=fetched_at)
        posts = [self._parse_post(node, url, content, dates)
                 for node, content in zip(post_nodes, contents, strict=True)]
        if not posts:
            raise LayoutChanged(
                f"found no posts on {url}: the XenForo layout may have changed, "
                "or the page is a login wall or error page"
            )
        next_link = tree.css_first(".pageNav a.pageNav-jump--next")
        next_href = (next_link.attrs.get("href") or "") if next_link else None
        next_url = bad_next_href = None
        if next_href is not None:
            try:
                next_url = urljoin(url, next_href)
            except ValueError:  # e.g. "http://[::1/page-2": the scraper stops there and says so
                bad_next_href = next_href
        return ParsedPage(
            thread=self._parse_thread(tree, url),
            page_number=self._page_number(tree, url),
            posts=posts,
            next_url=next_url,
            last_page=self._last_page(tree),
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

    def _parse_thread(self, tree: LexborHTMLParser, url: str) -> ThreadInfo:
        title_node = tree.css_first("h1.p-title-value")
        if title_node is None:
            raise LayoutChanged(f"no thread title (h1.p-title-value) on {url}")
        prefix = " ".join(label.text(strip=True) for label in title_node.css(".label"))
        for label in title_node.css(".label, .label-append"):
            label.decompose()
        canonical = tree.css_first("link[rel=canonical]")
        href = canonical.attrs.get("href") if canonical else None
        canonical_url = page_url(href, url) if href else None
        ignored_canonical = ""
        if canonical_url is not None and not same_site(canonical_url, url):
            # Another site cannot name this thread: its URL would lead later runs (config,
            # private-address allowance, the mirror's "original thread" link) to that site.
            ignored_canonical, canonical_url = canonical_url, None
        html_node = tree.css_first("html")
        return ThreadInfo(
            id=self.thread_id(url),
            url=self.first_page_url(canonical_url or url),
            title=title_node.text(strip=True),
            prefix=prefix,
            breadcrumb=self._breadcrumb(tree, url),
            language=(html_node.attrs.get("lang") or "") if html_node else "",
            ignored_canonical=ignored_canonical,
        )

    @staticmethod
    def _breadcrumb(tree: LexborHTMLParser, url: str) -> list[Link]:
        trail = tree.css_first("ul.p-breadcrumbs")
        if trail is None:
            return []
        links = []
        for anchor in trail.css("li a"):
            name = anchor.css_first("[itemprop=name]") or anchor
            href = page_url(anchor.attrs.get("href") or "", url)
            links.append(Link(name.text(strip=True), href or ""))
        return links

    @staticmethod
    def _page_number(tree: LexborHTMLParser, url: str) -> int:
        current = tree.css_first(".pageNav-page--current a")
        shown = board_number(current.text(strip=True)) if current is not None else None
        if shown is not None:
            return shown
        match = re.search(r"/page-(\d+)", urlsplit(url).path)
        return (board_number(match.group(1)) if match else None) or 1

    @staticmethod
    def _last_page(tree: LexborHTMLParser) -> int | None:
        links = tree.css(".pageNav-main .pageNav-page a")
        numbers = [n for n in (board_number(a.text(strip=True)) for a in links) if n is not None]
        return max(numbers) if numbers else None

    def _parse_post(self, node: LexborNode, url: str, content: str | None,
                    dates: PageDates) -> ParsedPost:
        """One post; `content` is the source of its content when it was cut from the page."""
        content_key = node.attrs.get("data-content") or ""
        if not content_key.startswith("post-"):
            raise LayoutChanged(f"a post on {url} has no data-content=\"post-ID\"")
        post_id = content_key.removeprefix("post-")
        body = node.css_first(".message-body .bbWrapper")
        if body is None:
            raise LayoutChanged(f"post {post_id} on {url} has no .bbWrapper content")
        if content is not None:
            body = _parsed_content(content)
        # Only the URLs that are read: the content's, the attachments' and the author's
        # (the post's permalinks, share and reaction links are never kept).
        absolutize_urls(body, url)
        for attachments in node.css(_ATTACHMENTS):
            absolutize_urls(attachments, url)

        name_link = node.css_first(".message-name a.username, .message-name .username")
        author_name = node.attrs.get("data-author") or (
            name_link.text(strip=True) if name_link else ""
        )
        author_href = name_link.attrs.get("href") if name_link else None
        author_url = absolute_url(author_href, url) if author_href is not None else None
        author = Author(author_name, author_url, avatar_url=_avatar_url(node, url),
                        member_id=_member_id(author_url), **_user_extras(node, dates))

        published_node = node.css_first(".message-attribution-main time")
        edited_node = node.css_first(".message-lastEdit time")
        published_text = published_node.text(strip=True) if published_node else ""
        edited_text = edited_node.text(strip=True) if edited_node else ""

        assets = self._assets(node, body)
        # Most posts embed, quote and box nothing: one query for all of them, not three.
        marked_up = body.css_first(_MARKED_UP) is not None
        embeds = self._take_embeds(body) if marked_up else []
        quotes = self._quotes(body) if marked_up else []
        canonicalize(body, blocks=marked_up)
        return ParsedPost(
            id=post_id,
            position=self._position(node, post_id),
            author=author,
            published=self._time(published_node, dates),
            published_text=published_text,
            edited=self._time(edited_node, dates),
            edited_text=edited_text,
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
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
    def _position(node: LexborNode, post_id: str) -> int:
        for anchor in node.css(".message-attribution-opposite a"):
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
    def _assets(node: LexborNode, body: LexborNode) -> list[AssetRef]:
        """Full-size images and attachments: inline images first, then the attachment list."""
        found: dict[str, AssetRef] = {}
        for image in body.css("img.bbImage"):
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
        for item in node.css(f"{_ATTACHMENTS} li.file"):
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


def _contents_end_in_place(tree: LexborHTMLParser, html: str,
                           posts: list[LexborNode]) -> bool:
    """Whether, as parsed, every post's content ends where XenForo ends it, and no post
    took in the posts after it (an unclosed table can, while the ends still look right)."""
    ends = tree.css(".message-body > .bbWrapper + .js-selectToQuoteEnd")
    return len(ends) == html.count("js-selectToQuoteEnd") and not _nested(posts)


def _nested(posts: list[LexborNode]) -> bool:
    """Whether one of `posts` is inside another. A walk up from each post: the selector
    `article.message--post article.message--post` tried every article's ancestors across
    the whole page, 6 % of reading one (measured)."""
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


def _avatar_url(node: LexborNode, base: str) -> str | None:
    """The uploaded avatar's largest offered file; None for a letter avatar (no <img>)."""
    image = node.css_first(".message-avatar img")
    if image is None:
        return None
    # srcset holds the 2x file ("url 2x"): the sharper copy is the one worth keeping.
    srcset = (image.attrs.get("srcset") or "").strip()
    larger = srcset.split(",")[-1].split()[0] if srcset else ""
    url = page_url(larger or image.attrs.get("src") or "", base)
    return url if url is not None and url.startswith(("http://", "https://")) else None


def _user_extras(node: LexborNode, dates: PageDates) -> dict[str, Any]:
    """Join date and message count from `.message-userExtras`, when the board shows them."""
    found: dict[str, Any] = {}
    for pair in node.css(".message-userExtras dl.pairs"):
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
