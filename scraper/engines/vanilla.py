"""Vanilla Forums (2.x and 3.x, open source; the stock themes' discussion pages).

What a page gives and where it comes from:

- Thread: the discussion id from the URL (`/discussion/ID/slug[/pN]`, in any folder); the
  title from `.PageTitle h1`, the breadcrumb from `.Breadcrumbs`, `<html lang>`. A comment
  permalink (`/discussion/comment/N#Comment_N`) names no discussion: only its page does.
- Pages: the numbered pager (`.Pager`): the current page is its `.Highlight` link, the next
  its `a.Next` (a `span` on the last page), the last the highest `Pager-p` number.
- Posts: the opening post (`.ItemDiscussion`) has no comment id: it is stored as post
  `d-ID` (ID the discussion's), the id Vanilla's own quotes name it by (`[quote="NAME;d-ID"]`),
  read from page 1 only. Comments are `li.ItemComment#Comment_N`, post id N; a comment's
  position is its `a.Permalink[name="Item_N"]` offset plus one (the opening post is 1).
- Author: `.Author a.Username` (the member id from `data-userid`, else `/profile/ID/NAME`),
  the photo `img.ProfilePhoto`.
- Times: `.DateCreated time[datetime]` (ISO 8601 with offset), its `title` as shown; an
  edit is `.DateUpdated` (its `title`, "Edited ... by NAME").
- Content: `.Message` made canonical: quotes (`blockquote.UserQuote`: `.QuoteAuthor` names
  the author and may link the quoted comment, `.QuoteText` holds the words), code
  (`pre.CodeBlock`, `pre`), players; uploads (`/uploads/...` on the board, at full size: Vanilla
  serves the original there) are attachments, other images hot-linked ones. The post's
  `.Attachments` list (the FileUpload addon) names its files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import LayoutChanged
from ..lazy_pattern import lazy_regex
from ..records import Author, ParsedPage, ParsedPost, Quote, ThreadInfo
from ..urls import same_site
from . import post_content
from .base import (
    Cursor,
    Engine,
    Request,
    Response,
    absolutize_urls,
    board_number,
    fill_positions,
    next_link_href,
    node_text,
    one_line,
    page_tree,
    url_filename,
)
from .claims import URL_PATTERNS
from .dates import PageDates, iso_from_machine_time
from .walls import check_not_a_wall

OPENING_POST_PREFIX = "d-"  # the opening post's id: "d-" + the discussion id


@dataclass(frozen=True)
class Selectors:
    """Where Vanilla's stock discussion view (discussion.php, helper_functions.php) puts things."""

    opening: str = ".ItemDiscussion"
    comment: str = 'li.ItemComment[id^="Comment_"]'
    body: str = ".Message"
    author_link: str = ".Author a.Username"
    author_name: str = ".Author"
    photo: str = ".Author img.ProfilePhoto"
    date: str = ".DateCreated time[datetime]"
    edited: str = ".DateUpdated"
    permalink: str = '.DateCreated a.Permalink[name^="Item_"]'
    attachment: str = ".Attachments .Attachment"  # the FileUpload addon's list
    file_name: str = ".FileName"
    title: str = ".PageTitle h1"
    breadcrumb: str = ".Breadcrumbs a[href]"
    pager: str = ".Pager"
    current_page: str = ".Highlight"
    page_links: str = "a.Pager-p, a[href]"
    next_link: str = "a.Next[href]"
    quote: str = "blockquote.UserQuote"
    quote_author: str = ".QuoteAuthor"
    quote_text: str = ".QuoteText"
    code: str = "pre"
    chrome: str = "script, style, noscript, .Signature, .UserSignature, .Reactions, .Options"


SELECTORS = Selectors()

_THREAD_PATH = lazy_regex(
    r"^(?P<thread>(?P<root>(?:/[^?#]*)?)/discussion/(?P<id>[0-9]+)(?:/(?!p[0-9]+/?$)[^/?#]*)?)"
    r"(?:/p(?P<page>[0-9]+))?/?$")
_COMMENT_LINK = lazy_regex(r"/discussion/comment/([0-9]+)|#Comment_([0-9]+)")
_DISCUSSION_LINK = lazy_regex(r"/discussion/([0-9]+)(?:/|$)")
_PROFILE_ID = lazy_regex(r"/profile/([0-9]+)/")
_UPLOAD = lazy_regex(r"/uploads/")
_EDITED = lazy_regex(r"^\s*Edited\s+|\s+by\s+[^.]*\.?\s*$", re.I)
_SAID = lazy_regex(r"\s*(?:said|wrote|كتب|قال|כתב|schrieb|a écrit)\s*:?\s*$", re.I)

_DETECTION_MARKERS = (
    ("gdn-meta", lazy_regex(r"\bgdn\s*=\s*window\.gdn|\bgdn\.meta\b")),
    ("body-vanilla", lazy_regex(r'<body[^>]*\bid="vanilla_[a-z_]+"')),
    ("body-class-Vanilla", lazy_regex(r'<body[^>]*\bclass="[^"]*\bVanilla\b')),
    ("applications-vanilla", lazy_regex(r"/applications/vanilla/")),
    ("item-comment", lazy_regex(r'class="[^"]*\bItemComment\b')),
    ("vanillaforums-link", lazy_regex(r'href="https?://(?:www\.)?vanillaforums\.com')),
)


def _thread_path(url: str) -> re.Match[str] | None:
    return _THREAD_PATH.match(urlsplit(url).path)


class Vanilla(Engine):
    """Vanilla 2.x/3.x discussion pages."""
    summary = "Vanilla Forums 2.x and 3.x (open source)"
    cookie_prefixes = ("Vanilla",)

    name = "vanilla"
    pattern = URL_PATTERNS["vanilla"]
    example = "https://forum.example/discussion/123/some-title"
    marker_patterns = _DETECTION_MARKERS
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/discussion/123/some-title",
        "https://forum.example/discussion/123/some-title/p2",
        "https://forum.example/forum/discussion/123/some-title/p3#Item_40",
        "https://forum.example/discussion/123",
        "https://forum.example/discussion/comment/456#Comment_456",
    )

    def thread_id(self, url: str) -> str:
        """The discussion id; UnsupportedUrl for a comment permalink (its page knows)."""
        def read(address: str) -> str | None:
            found = _thread_path(address)
            return (found.group("id").lstrip("0") or "0") if found else None
        return self.thread_id_named(url, read, (
            "a Vanilla comment permalink: it does not name its discussion; paste the "
            "discussion's URL (/discussion/ID/slug)"))

    def first_page_url(self, url: str) -> str:
        parts = urlsplit(url)
        found = _thread_path(url)
        if found is None:  # a comment permalink, another shape: its page names the discussion
            return urlunsplit(parts._replace(fragment=""))
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}{found.group('thread')}"

    def next_request(self, response: Response, cursor: Cursor | None) -> Request | None:
        """The pager's `a.Next`, read from the raw page (the last page has none)."""
        href = next_link_href(response.text, "Next")
        try:
            url = urlunsplit(urlsplit(urljoin(response.final_url, href))._replace(
                query="", fragment="")) if href else None
        except ValueError:
            return None  # `read` says what is wrong with it
        found = _thread_path(url) if url else None
        return Request(url, int(found.group("page"))) if (
            url and found and found.group("page")) else None

    def member_id(self, profile_url: str | None) -> str | None:
        found = _PROFILE_ID.search(urlsplit(profile_url or "").path)
        return found.group(1) if found else None

    def post_url(self, page_url: str, post_id: str) -> str:
        if post_id.startswith(OPENING_POST_PREFIX):
            return self.first_page_url(page_url)
        found = _thread_path(page_url)
        root = found.group("root") if found else ""
        parts = urlsplit(page_url)
        return f"{parts.scheme}://{parts.netloc}{root}/discussion/comment/{post_id}#Comment_{post_id}"

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        tree = page_tree(html)
        thread = self._thread(tree, url)
        current, last, next_url = _pages(tree, url)
        nodes: list[tuple[str, LexborNode]] = []
        opening = tree.css_first(SELECTORS.opening)
        if opening is not None and current == 1:
            nodes.append((OPENING_POST_PREFIX + thread.id, opening))
        for node in tree.css(SELECTORS.comment):
            nodes.append(((node.attributes.get("id") or "").removeprefix("Comment_"), node))
        if not nodes:
            check_not_a_wall(tree, url)
            raise LayoutChanged(f"found no posts ({SELECTORS.comment}) on {url}: not a Vanilla "
                                "discussion page, or its theme changed the markup")
        posts = [self._post(post_id, node, url, thread.language, fetched_at)
                 for post_id, node in nodes]
        shown = [1 if post_id.startswith(OPENING_POST_PREFIX) else _offset(node)
                 for post_id, node in nodes]
        fill_positions(posts, shown, 0)
        return ParsedPage(thread=thread, page_number=current, posts=posts, next_url=next_url,
                          last_page=last)

    def _thread(self, tree: LexborHTMLParser, url: str) -> ThreadInfo:
        source = url if _thread_path(url) is not None else _canonical_link(tree)
        found = _thread_path(source)
        if found is None:
            raise LayoutChanged(f"neither {url} nor its canonical link names a discussion")
        parts = urlsplit(source)
        first_page = f"{parts.scheme}://{parts.netloc}{found.group('thread')}"
        return post_content.thread_info(tree, found.group("id"), first_page, SELECTORS.title,
                                        SELECTORS.breadcrumb)

    def _post(self, post_id: str, node: LexborNode, url: str, language: str,
              fetched_at: str | None) -> ParsedPost:
        body = node.css_first(SELECTORS.body)
        if not (post_id.isdecimal() or post_id.startswith(OPENING_POST_PREFIX)) or body is None:
            raise LayoutChanged(f"a post on {url} has no id=\"Comment_N\" or no content "
                                f"({SELECTORS.body})")
        absolutize_urls(node, url)
        dates = PageDates(language, reference=fetched_at)

        def upload(address: str) -> str | None:
            is_upload = _UPLOAD.search(urlsplit(address).path) and same_site(address, url)
            return urlunsplit(urlsplit(address)._replace(fragment="")) if is_upload else None

        quotes = _canonical_quotes(body)  # first: a quote header's images are no attachments
        listed = _listed_attachments(node, upload)
        assets = post_content.add_listed(post_content.take_assets(body, upload, listed), listed)
        post_content.replace_code_blocks(body.css(SELECTORS.code), lambda block: block)
        embeds = post_content.finish(body, SELECTORS.chrome)
        date = node.css_first(SELECTORS.date)
        edit = node.css_first(SELECTORS.edited)
        edited_text = (edit.attributes.get("title") or one_line(edit.text())) if edit else ""
        edit_time = edit.css_first("time[datetime]") if edit is not None else None
        # "Edited November 24, 2021 11:52AM by NAME.": a time in the board's zone, unstated
        edited_when = _EDITED.sub("", edited_text)
        return ParsedPost(
            id=post_id,
            position=0,  # set by fill_positions
            author=self._author(node),
            published=iso_from_machine_time(date.attributes.get("datetime") or "")
            if date is not None else None,
            published_text=(date.attributes.get("title") or one_line(date.text()))
            if date is not None else "",
            edited=iso_from_machine_time(edit_time.attributes.get("datetime") or "")
            if edit_time is not None else dates.read(edited_when) if edited_when else None,
            edited_text=edited_text,
            edited_by=edited_text.rpartition(" by ")[2].rstrip(".") if " by " in edited_text
            else "",
            content_html=(body.inner_html or "").strip(),
            content_text=node_text(body),
            quotes=quotes,
            embeds=embeds,
            assets=assets,
        )

    def _author(self, node: LexborNode) -> Author:
        link = node.css_first(SELECTORS.author_link)
        if link is None:  # a deleted or guest user: a name without a profile
            name = node.css_first(SELECTORS.author_name)
            return Author(one_line(name.text()) if name is not None else "")
        profile = link.attributes.get("href") or ""
        photo = node.css_first(SELECTORS.photo)
        photo_url = (photo.attributes.get("src") or "") if photo is not None else ""
        member = link.attributes.get("data-userid") or self.member_id(profile)
        return Author(
            name=one_line(link.text()), url=profile,
            avatar_url=photo_url if photo_url.startswith("http") else None,
            member_id=member if member and member.isdecimal() else None)


def _listed_attachments(node: LexborNode, upload: post_content.FullSize) -> dict[str, str]:
    """Full-size URL -> file name of the FileUpload addon's list under the post."""
    found: dict[str, str] = {}
    for item in node.css(SELECTORS.attachment):
        link = item.css_first("a[href]")
        full = upload(link.attributes.get("href") or "") if link is not None else None
        name = item.css_first(SELECTORS.file_name)
        if full is not None:
            found.setdefault(full, one_line(name.text()) if name is not None
                             else url_filename(full))
    return found


def _offset(node: LexborNode) -> int | None:
    """A comment's position: its `Item_N` anchor (N comments before it, then itself) + 1."""
    anchor = node.css_first(SELECTORS.permalink)
    number = board_number((anchor.attributes.get("name") or "").removeprefix("Item_")) if (
        anchor is not None) else None
    return number + 1 if number is not None else None


def _canonical_link(tree: LexborHTMLParser) -> str:
    link = tree.css_first('link[rel="canonical"]')
    return (link.attributes.get("href") or "") if link is not None else ""


def _pages(tree: LexborHTMLParser, url: str) -> tuple[int, int, str | None]:
    """(current page, last page, next page's URL) from the first numbered pager."""
    pager = tree.css_first(SELECTORS.pager)
    found = _thread_path(url)
    in_url = int(found.group("page")) if found is not None and found.group("page") else 1
    if pager is None:
        return in_url, in_url, None
    highlight = pager.css_first(SELECTORS.current_page)
    current = board_number(highlight.text(strip=True)) if highlight is not None else None
    current = current or in_url
    numbers = [n for a in pager.css(SELECTORS.page_links)
               if (n := board_number(a.text(strip=True))) is not None]
    next_link = pager.css_first(SELECTORS.next_link)
    next_url = None
    if next_link is not None:
        href = urljoin(url, next_link.attributes.get("href") or "")  # the pager's are relative
        if _thread_path(href) is not None:
            next_url = urlunsplit(urlsplit(href)._replace(query="", fragment=""))
    return current, max([current, *numbers]), next_url


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    return post_content.canonical_quotes(body.css(SELECTORS.quote), _quote_of, SELECTORS.quote_text)


def _quote_of(block: LexborNode) -> Quote:
    """`.QuoteAuthor` ("NAME said:", a link to the quoted comment or discussion where given)."""
    header = block.css_first(SELECTORS.quote_author)
    if header is None:
        return Quote(author="")
    name = header.css_first('a[href*="/profile/"]')
    author = one_line(name.text()) if name is not None else _SAID.sub("", one_line(header.text()))
    post_id = None
    for link in header.css("a[href]"):
        href = link.attributes.get("href") or ""
        if comment := _COMMENT_LINK.search(href):
            post_id = comment.group(1) or comment.group(2)
        elif discussion := _DISCUSSION_LINK.search(href):
            post_id = OPENING_POST_PREFIX + discussion.group(1)
    return Quote(author=author, post_id=post_id)


detection_markers = Vanilla.markers  # which of Vanilla's page markers `html` carries
