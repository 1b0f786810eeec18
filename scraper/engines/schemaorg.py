"""Any board that marks its threads up as schema.org `DiscussionForumPosting` (generic).

Google's guidelines for forum rich results ask boards to describe a thread page as one
`DiscussionForumPosting` (the thread and its first post: `headline`, `author`,
`datePublished`, `text`, `url` of the thread's main page) with the replies as its `comment`
items (`Comment`: `author`, `datePublished`, `text`, `url`), in JSON-LD or microdata; later
pages repeat the posting (its `url` still the main page's) with that page's comments.

What a page gives and where it comes from:

- Thread: the posting's `url` or `mainEntityOfPage` (else `<link rel=canonical>`, else the
  page) is the thread's URL; its id is the posting's `identifier` when that is a short plain
  token, else the last number of that URL's path, else a hash of its path and query (the
  key must not change between pages and runs); the title from `headline`
  (else `name`, else `<title>`); the breadcrumb from a `BreadcrumbList`; the language from
  the posting's `inLanguage`, else `<html lang>`.
- Posts: on the thread's first page the posting itself, then every `Comment` (threaded
  replies flattened in page order); or, as Discourse's crawler view writes it, one posting
  per post, each naming the thread as `mainEntityOfPage`. The id from `identifier`, else
  the `url`'s fragment or last number, else the element's id, else the shown `position`
  (`#5`); a post with none is skipped with a warning (it could not be told apart on the
  next run). The position from `position` where given, else the
  count of posts before it (engines/counted.py). Author `name` and `url` (a string author
  is a name); the time from `datePublished` (ISO 8601, as the markup must give it),
  shown as the page's own `<time>` text in microdata.
- Content: microdata's `text`/`articleBody` element as HTML (quotes as canonical quotes,
  images at their linked full size); JSON-LD's `text` is plain text, kept as paragraphs.
  `image` items (URLs or `ImageObject.contentUrl`) are the post's attachments.
- Pages: `rel=next` (a `<link>` or `<a>`), else the page's own pagination links (the link
  numbered one more than the current page in an element whose class names a pagination);
  the current page from `aria-current="page"`, else the URL (`page=N`, `/page-N`, `/page/N`).

It claims no URL (every board could carry the markup): detection tries it last, only when
no board engine's markers are on the page, or `--engine schemaorg` names it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any, ClassVar
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import AssetRef, Author, Link, ParsedPage, ParsedPost, Quote, ThreadInfo
from ..urls import canonical_url, page_url
from . import canonical
from .base import (
    Markers,
    absolutize_urls,
    fill_positions,
    node_text,
    one_line,
    page_tree,
    unique_assets,
    url_filename,
)
from .claims import URL_PATTERNS
from .counted import CountedPagesEngine
from .dates import iso_from_machine_time
from .walls import check_not_a_wall

log = logging.getLogger(__name__)

POSTING = "DiscussionForumPosting"
_TYPE_IN_ITEMTYPE = lazy_regex(r"^https?://schema\.org/(\w+)$")
_PLAIN_ID = lazy_regex(r"^[A-Za-z0-9_.-]{1,40}$")
_LAST_NUMBER = lazy_regex(r"([0-9]+)(?!.*[0-9])")
_PAGE_IN_URL = lazy_regex(r"(?:[?&;](?:page|p|pg)=|/page[-/]?)([0-9]{1,6})(?:[/&;#.]|$)",
                          re.IGNORECASE)

_MARKERS: Markers = (
    ("DiscussionForumPosting JSON-LD",
     lazy_regex(r'"@type"\s*:\s*(?:\[[^\]]*)?"(?:https?://schema\.org/)?' + POSTING + '"')),
    ("DiscussionForumPosting microdata",
     lazy_regex(r"itemtype\s*=\s*[\"']?https?://schema\.org/" + POSTING, re.IGNORECASE)),
)


@dataclass
class _Item:
    """One posting or comment as the markup says it, before it becomes a post."""

    id: str | None
    url: str
    author: str
    author_url: str | None
    published_raw: str
    published_shown: str
    content: LexborNode | None  # microdata: the element holding the post's HTML
    text: str  # JSON-LD: the post's plain text
    images: list[str] = field(default_factory=list)
    position: int | None = None


@dataclass
class _Posting:
    """The page's `DiscussionForumPosting` and what it says of the thread."""

    title: str
    url: str
    identifier: str
    language: str
    first: _Item
    comments: list[_Item]
    breadcrumb: list[Link]
    per_post: bool = False  # a posting per post (no thread posting holding comments)


class SchemaOrg(CountedPagesEngine):
    """Thread pages carrying schema.org `DiscussionForumPosting` (JSON-LD or microdata)."""

    name = "schemaorg"
    summary = ("any board marking threads up as schema.org DiscussionForumPosting + Comment "
               "(JSON-LD or microdata); tried last, from the page")
    pattern = URL_PATTERNS["schemaorg"]  # claims no URL shape: the page decides
    example = "https://forum.example/any/thread/url"
    examples: ClassVar[tuple[str, ...]] = ()
    marker_patterns = _MARKERS
    generic: ClassVar[bool] = True

    def thread_id(self, url: str) -> str:
        raise UnsupportedUrl(f"{url}: a schemaorg thread's id is on its page, not its URL")

    def first_page_url(self, url: str) -> str:
        return canonical_url(url)

    def parse_counted(self, html: str, url: str, fetched_at: str | None,
                      first_index: int | None) -> ParsedPage:
        tree = page_tree(html)
        posting = _microdata_posting(tree, url) or _json_ld_posting(tree, url)
        if posting is None:
            check_not_a_wall(tree, url)
            raise LayoutChanged(f"found no schema.org {POSTING} on {url}: the board does not "
                                "(or no longer does) mark its threads up; pass --engine NAME "
                                "or a selector profile (--profile NAME)")
        current, last, next_url = _pagination(tree, url)
        # The thread's posting is its first post on its first page; later pages repeat it
        # (Google's guidelines) without its text, or with it: not a post there.
        first_is_post = (posting.per_post or current == 1 or not posting.comments) and bool(
            posting.first.content is not None or posting.first.text)
        items = ([posting.first] if first_is_post else []) + posting.comments
        posts: list[ParsedPost] = []
        shown: list[int | None] = []
        for index, item in enumerate(items):
            if item.id is None:
                log.warning("post %d on %s has no identifier, url fragment or number in its "
                            "schema.org markup: skipped", index + 1, url)
                continue
            posts.append(_post(item, url))
            shown.append(item.position)
        if not posts:
            raise LayoutChanged(f"the schema.org {POSTING} on {url} names no post with an id")
        if first_index is None:
            first_index = 0 if current == 1 else (current - 1) * len(posts)
        fill_positions(posts, shown, first_index)
        thread_id = _thread_id(posting)
        root = tree.css_first("html")
        language = posting.language or (root.attributes.get("lang") or "" if root else "")
        return ParsedPage(
            thread=ThreadInfo(id=thread_id.lower(), url=posting.url, title=posting.title,
                              breadcrumb=posting.breadcrumb, language=language),
            page_number=current, posts=posts, next_url=next_url, last_page=last)


def _thread_id(posting: _Posting) -> str:
    """The posting's plain `identifier`, else the last number of its URL's path (most boards
    number their threads there), else a hash of that path and query: the same on every
    page and run."""
    if _PLAIN_ID.fullmatch(posting.identifier):
        return posting.identifier
    parts = urlsplit(posting.url)
    number = _LAST_NUMBER.search(parts.path)
    if number is not None:
        return number.group(1)
    return hashlib.sha256(f"{parts.path}?{parts.query}".encode()).hexdigest()[:16]


# -- microdata ------------------------------------------------------------------------------


def _itemtype(node: LexborNode) -> str:
    found = _TYPE_IN_ITEMTYPE.match((node.attributes.get("itemtype") or "").strip())
    return found.group(1) if found else ""


def _properties(scope: LexborNode) -> dict[str, list[LexborNode]]:
    """The microdata properties of `scope`: `itemprop` elements whose nearest item it is."""
    found: dict[str, list[LexborNode]] = {}
    for node in scope.css("[itemprop]"):
        parent = node.parent
        while parent is not None and "itemscope" not in parent.attributes:
            parent = parent.parent
        if parent is None or parent.mem_id != scope.mem_id:
            continue
        for name in (node.attributes.get("itemprop") or "").split():
            found.setdefault(name, []).append(node)
    return found


def _value(node: LexborNode, base: str) -> str:
    """A property's value: `content`, a link's or media's URL, a time's `datetime`, or text."""
    attributes = node.attributes
    if "content" in attributes:
        return (attributes.get("content") or "").strip()
    for tag, attribute in (("a", "href"), ("link", "href"), ("img", "src"), ("time", "datetime")):
        if node.tag == tag and attributes.get(attribute):
            value = (attributes.get(attribute) or "").strip()
            return value if tag == "time" else (page_url(value, base) or "")
    return one_line(node.text())


def _first(props: dict[str, list[LexborNode]], *names: str) -> LexborNode | None:
    for name in names:
        if props.get(name):
            return props[name][0]
    return None


def _microdata_posting(tree: LexborHTMLParser, url: str) -> _Posting | None:
    scopes = [n for n in tree.css("[itemscope][itemtype]") if _itemtype(n) == POSTING]
    # The postings not inside another: one with its comments, or (Discourse's crawler view)
    # one posting per post, each naming the thread as its `mainEntityOfPage`.
    tops = [n for n in scopes if not any(_inside(n, other) for other in scopes)]
    if not tops:
        return None
    props = _properties(tops[0])
    first = _microdata_item(tops[0], props, url)
    comments = list(_microdata_comments(props, url))
    for other in tops[1:]:
        own = _properties(other)
        comments.append(_microdata_item(other, own, url))
        comments.extend(_microdata_comments(own, url))
    title = _first(props, "headline", "name")
    own_url = _first(props, "url", "mainEntityOfPage") if len(tops) == 1 else _first(
        props, "mainEntityOfPage")
    identifier = _first(props, "identifier") if len(tops) == 1 else None
    language = _first(props, "inLanguage")
    return _Posting(
        title=_value(title, url) if title is not None else _page_title(tree),
        url=_thread_url(tree, url, _value(own_url, url) if own_url is not None else ""),
        identifier=_value(identifier, url) if identifier is not None else "",
        language=_value(language, url) if language is not None else "",
        first=first, comments=comments, breadcrumb=_breadcrumb(tree, url),
        per_post=len(tops) > 1)


def _inside(node: LexborNode, other: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id == other.mem_id:
            return True
        parent = parent.parent
    return False


def _microdata_comments(props: dict[str, list[LexborNode]], url: str) -> Iterator[_Item]:
    for node in props.get("comment", []):
        if "itemscope" not in node.attributes:
            continue
        own = _properties(node)
        yield _microdata_item(node, own, url)
        yield from _microdata_comments(own, url)  # threaded replies, in page order


def _microdata_item(scope: LexborNode, props: dict[str, list[LexborNode]], url: str) -> _Item:
    author_name, author_url = "", None
    author = _first(props, "author", "creator")
    if author is not None and "itemscope" in author.attributes:
        own = _properties(author)
        name, link = _first(own, "name"), _first(own, "url")
        author_name = _value(name, url) if name is not None else one_line(author.text())
        author_url = _value(link, url) if link is not None else None
    elif author is not None:
        author_name = _value(author, url)
    date = _first(props, "datePublished", "dateCreated")
    raw = _value(date, url) if date is not None else ""
    shown = one_line(date.text()) if date is not None and date.tag == "time" else raw
    content = _first(props, "text", "articleBody")
    own_url = _first(props, "url")
    item_url = _value(own_url, url) if own_url is not None else ""
    identifier = _first(props, "identifier")
    position = _first(props, "position")
    images = [_image_url(node, url) for node in props.get("image", [])]
    shown_position = _number(_value(position, url)) if position is not None else None
    return _Item(
        id=_item_id(_value(identifier, url) if identifier is not None else "", item_url,
                    scope.attributes.get("id") or "", shown_position),
        url=item_url, author=author_name, author_url=author_url or None,
        published_raw=raw, published_shown=shown or raw, content=content, text="",
        images=[image for image in images if image], position=shown_position)


def _image_url(node: LexborNode, url: str) -> str:
    if "itemscope" in node.attributes:
        own = _properties(node)
        found = _first(own, "contentUrl", "url")
        return _value(found, url) if found is not None else ""
    return _value(node, url)


# -- JSON-LD --------------------------------------------------------------------------------


def _json_ld(tree: LexborHTMLParser) -> Iterator[dict[str, Any]]:
    """Every object of the page's JSON-LD blocks (`@graph` and lists opened up)."""
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text() or "")
        except (ValueError, RecursionError):
            log.info("a JSON-LD block that is not JSON was skipped")
            continue
        stack = [data]
        while stack:
            value = stack.pop(0)
            if isinstance(value, list):
                stack[:0] = value
            elif isinstance(value, dict):
                if isinstance(value.get("@graph"), list):
                    stack[:0] = value["@graph"]
                yield value


def _types(value: Any) -> list[str]:
    raw = value.get("@type") if isinstance(value, dict) else None
    names = raw if isinstance(raw, list) else [raw]
    return [str(name).rsplit("/", 1)[-1] for name in names if isinstance(name, str)]


def _text(value: Any) -> str:
    """A JSON-LD value as one string (the first of a list; `@value`/`@id` of an object)."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("@value", value.get("@id", ""))
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip()


def _json_ld_posting(tree: LexborHTMLParser, url: str) -> _Posting | None:
    objects = list(_json_ld(tree))
    posting = next((o for o in objects if POSTING in _types(o)), None)
    if posting is None:
        return None
    comments = posting.get("comment") or []
    flat: list[_Item] = []

    def add(values: Any) -> None:
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, dict):
                flat.append(_json_ld_item(value, url))
                add(value.get("comment") or [])

    add(comments)
    own_url = _text(posting.get("url")) or _text(posting.get("mainEntityOfPage"))
    return _Posting(
        title=_text(posting.get("headline")) or _text(posting.get("name")) or _page_title(tree),
        url=_thread_url(tree, url, page_url(own_url, url) or "" if own_url else ""),
        identifier=_text(posting.get("identifier")),
        language=_text(posting.get("inLanguage")),
        first=_json_ld_item(posting, url), comments=flat,
        breadcrumb=_breadcrumb(tree, url, objects))


def _json_ld_item(value: dict[str, Any], url: str) -> _Item:
    author = value.get("author") or value.get("creator")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author_name = _text(author.get("name"))
        link = _text(author.get("url"))
        author_url = page_url(link, url) if link else None
    else:
        author_name, author_url = _text(author), None
    item_url = page_url(_text(value.get("url")), url) or "" if _text(value.get("url")) else ""
    images = value.get("image") or []
    image_urls = []
    for image in images if isinstance(images, list) else [images]:
        found = _text(image.get("contentUrl") or image.get("url")) if isinstance(
            image, dict) else _text(image)
        if found and (absolute := page_url(found, url)):
            image_urls.append(absolute)
    raw = _text(value.get("datePublished")) or _text(value.get("dateCreated"))
    position = _number(_text(value.get("position")))
    return _Item(
        id=_item_id(_text(value.get("identifier")), item_url, "", position),
        url=item_url, author=author_name, author_url=author_url, published_raw=raw,
        published_shown=raw, content=None,
        text=_text(value.get("text")) or _text(value.get("articleBody")),
        images=image_urls, position=position)


# -- shared ---------------------------------------------------------------------------------


def _item_id(identifier: str, item_url: str, element_id: str, position: int | None
             ) -> str | None:
    """A post's id: its identifier, else its URL's fragment or last number, else the id of
    its element (microdata), else its position (Discourse numbers its posts so, for good)."""
    if identifier and _PLAIN_ID.fullmatch(identifier):
        return identifier
    if item_url:
        fragment = urlsplit(item_url).fragment
        if fragment and _PLAIN_ID.fullmatch(fragment):
            number = _LAST_NUMBER.search(fragment)
            return number.group(1) if number else fragment
        number = _LAST_NUMBER.search(urlsplit(item_url).path + "?" + urlsplit(item_url).query)
        if number:
            return number.group(1)
    if element_id and (number := _LAST_NUMBER.search(element_id)):
        return number.group(1)
    return str(position) if position is not None else None


def _number(text: str) -> int | None:
    """A shown number (`#5`, `5`), or None."""
    text = text.strip().lstrip("#").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _page_title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return one_line(node.text()) if node is not None else ""


def _thread_url(tree: LexborHTMLParser, url: str, own: str) -> str:
    if not own:
        link = tree.css_first('link[rel="canonical"][href]')
        own = page_url(link.attributes.get("href") or "", url) or "" if link else ""
    try:
        return canonical_url(own or url)
    except UnsupportedUrl:
        return canonical_url(url)


def _breadcrumb(tree: LexborHTMLParser, url: str,
                objects: list[dict[str, Any]] | None = None) -> list[Link]:
    """The steps of the page's `BreadcrumbList` (JSON-LD, else microdata)."""
    for found in objects if objects is not None else list(_json_ld(tree)):
        if "BreadcrumbList" not in _types(found):
            continue
        steps = found.get("itemListElement") or []
        links = []
        for step in steps if isinstance(steps, list) else [steps]:
            if not isinstance(step, dict):
                continue
            item = step.get("item")
            name = _text(step.get("name")) or (_text(item.get("name"))
                                               if isinstance(item, dict) else "")
            target = _text(item.get("@id") or item.get("url")) if isinstance(
                item, dict) else _text(item)
            if name and target and (absolute := page_url(target, url)):
                links.append(Link(name, absolute))
        return links
    trail = next((n for n in tree.css("[itemscope][itemtype]")
                  if _itemtype(n) == "BreadcrumbList"), None)
    if trail is None:
        return []
    links = []
    for step in _properties(trail).get("itemListElement", []):
        own = _properties(step)
        label, step_item = _first(own, "name"), _first(own, "item")
        if label is not None and step_item is not None and (target := _value(step_item, url)):
            links.append(Link(_value(label, url), target))
    return links


def _post(item: _Item, url: str) -> ParsedPost:
    assert item.id is not None
    quotes: list[Quote] = []
    assets = [AssetRef(url=image, filename=url_filename(image)) for image in item.images]
    if item.content is not None:
        body = item.content.clone()
        absolutize_urls(body, url)
        canonical.drop_comments(body)
        for unwanted in body.css("script, style, noscript, iframe, form, button"):
            unwanted.decompose()
        quotes = _canonical_quotes(body)
        for image in body.css("img[src]"):
            source = image.attributes.get("src") or ""
            parent = image.parent
            href = (parent.attributes.get("href") or "") if parent is not None and (
                parent.tag == "a") else ""
            full = href if re.search(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", href,
                                     re.IGNORECASE) else source
            if full.startswith(("http://", "https://")):
                image.attrs["src"] = full
                assets.append(AssetRef(url=full, filename=url_filename(full), kind="image"))
        canonical.drop_board_classes(body)
        for attribute in ("itemprop", "itemscope", "itemtype"):
            for node in body.css(f"[{attribute}]"):
                del node.attrs[attribute]
        content_html = (body.inner_html or "").strip()
        content_text = node_text(body)
    else:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", item.text) if p.strip()]
        content_html = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>"
                               for p in paragraphs)
        content_text = "\n\n".join(paragraphs)
    return ParsedPost(
        id=item.id, position=0,
        author=Author(name=item.author, url=item.author_url),
        published=iso_from_machine_time(item.published_raw) if item.published_raw else None,
        published_text=item.published_shown,
        content_html=content_html, content_text=content_text, quotes=quotes,
        assets=unique_assets(assets))


def _canonical_quotes(body: LexborNode) -> list[Quote]:
    """`<blockquote>`s as canonical quotes: the author from its `cite` (or `data-author`),
    the quoted post from a `#...N` link there."""
    blocks = body.css("blockquote")
    quotes = []
    for block in blocks:
        cite = block.css_first("cite")
        author = block.attributes.get("data-author") or (
            one_line(cite.text()).rstrip(":").strip() if cite is not None else "")
        post_id = None
        for link in cite.css("a[href]") if cite is not None else []:
            found = _LAST_NUMBER.search(urlsplit(link.attributes.get("href") or "").fragment)
            post_id = found.group(1) if found else post_id
        quotes.append(Quote(author=author, post_id=post_id))

    def content_of(block: LexborNode) -> LexborNode:
        cite = block.css_first("cite")
        if cite is not None:
            cite.decompose()
        return block

    canonical.replace_quotes(blocks, quotes, content_of)
    return quotes


def _pagination(tree: LexborHTMLParser, url: str) -> tuple[int, int, str | None]:
    """(current page, last page known, next page URL or None)."""
    current = None
    marked = tree.css_first('[aria-current="page"]')
    if marked is not None:
        current = _number(one_line(marked.text()))
    if current is None:
        found = _PAGE_IN_URL.search(url)
        current = int(found.group(1)) if found else 1
    numbered: dict[int, str] = {}
    for box in tree.css('[class*="pag"]'):
        for link in box.css("a[href]"):
            number = _number(one_line(link.text()))
            if number is not None:
                numbered.setdefault(number, link.attributes.get("href") or "")
    following = tree.css_first('link[rel~="next"][href], a[rel~="next"][href]')
    target = (following.attributes.get("href") or "") if following is not None else (
        numbered.get(current + 1, ""))
    next_url = page_url(target, url) if target else None
    return current, max([current + (next_url is not None), *numbered]), next_url
