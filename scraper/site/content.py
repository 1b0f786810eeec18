"""Sanitized post HTML turned into what a thread page shows.

Quotes link to the quoted post on this site, embed placeholders become static cards,
images that were not archived become links (so the page requests nothing remote), and
blocks or lines in another language than the post get their own `lang` and `dir`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..engines.canonical import EMBED_CLASS, QUOTE_CLASS
from ..records import Embed
from .imagesize import ImageSize
from .sanitize import EXTERNAL_REL, QUOTE_TITLE_CLASS
from .textdir import TextDirection, detect, written_only_in

log = logging.getLogger(__name__)

BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ThreadLinks:
    """What a post can link to on its thread's pages."""

    post_pages: Mapping[str, str]  # post id -> file of the page showing it, e.g. "page-2.html"
    assets: Set[str]  # archived asset paths, relative to the thread's folder
    image_sizes: Mapping[str, ImageSize] = field(default_factory=dict)  # by asset path


def post_anchor(post_id: str) -> str:
    """The id of a post's heading, the target of permalinks and search hits."""
    return f"post-{post_id}"


def render_post_body(
    sanitized_html: str,
    *,
    links: ThreadLinks,
    embeds: Sequence[Embed],
    render_embed: Callable[[Embed], str],
    direction: TextDirection,
    gettext: Callable[[str], str],
) -> str:
    """The HTML of a post's body on a thread page; `sanitized_html` must come from nh3."""
    tree = LexborHTMLParser(sanitized_html)
    body = tree.body
    if body is None:
        return ""
    # Each search of the tree is skipped when the serialized HTML cannot hold what it looks
    # for: most posts have no quote, embed or image, and the searches cost more than the rest.
    if "<blockquote" in sanitized_html:
        for quote in body.css(f"blockquote.{QUOTE_CLASS}"):
            _link_quote(tree, quote, links, gettext)
    if embeds or EMBED_CLASS in sanitized_html:
        _place_embeds(tree, body, embeds, render_embed)
    if "<img" in sanitized_html:
        for image in body.css("img"):
            _localize_image(tree, image, links, gettext)
    # Most posts are in one script: their parts would all be detected as the post's own.
    if not written_only_in(body.text(deep=True), direction):
        # Without a `dir` in the post (the source's, an embed card's), a node's own text is
        # all of its text, which lexbor joins in C: the walk below in Python cost as much
        # as the rest of the marking.
        own_text = _own_text if embeds or " dir=" in sanitized_html else _all_text
        _mark_directions(tree, body, direction, own_text)
    if 'class=""' in sanitized_html:
        for emptied in body.css('[class=""]'):
            del emptied.attrs["class"]  # nh3 leaves the attribute when it drops every class
    return body.inner_html or ""


def _link_quote(
    tree: LexborHTMLParser, quote: LexborNode, links: ThreadLinks, gettext: Callable[[str], str]
) -> None:
    """Give a canonical quote (`blockquote.fm-quote`) its title: who said it, linked to the
    quoted post where this archive holds it."""
    name = (quote.attrs.get("data-author") or "").strip()
    if not name:
        return  # the board did not say whose words these are
    post_id = (quote.attrs.get("data-post-id") or "").strip()
    title = tree.create_node("div")
    title.attrs["class"] = QUOTE_TITLE_CLASS
    target = title
    if post_id and (page := links.post_pages.get(post_id)) is not None:
        target = tree.create_node("a")
        target.attrs["href"] = f"{page}#{post_anchor(post_id)}"
    # <bdi> keeps a Latin name from reordering the Arabic or Hebrew "said:" around it.
    name_node = tree.create_node("bdi")
    name_node.insert_child(name)
    target.insert_child(name_node, move=True)
    said = gettext("said:")
    target.insert_child(f" {said}")
    if target is not title:
        title.insert_child(target, move=True)
    if (first := quote.child) is not None:
        first.insert_before(title, move=True)
    else:
        quote.insert_child(title, move=True)


def _place_embeds(
    tree: LexborHTMLParser,
    body: LexborNode,
    embeds: Sequence[Embed],
    render_embed: Callable[[Embed], str],
) -> None:
    placed: set[int] = set()
    for placeholder in body.css("div.fm-embed"):
        raw_index = placeholder.attrs.get("data-embed-index") or ""
        # The scraper writes a short ASCII index; `1²` (a digit int() refuses) is forged.
        index = int(raw_index) if re.fullmatch(r"[0-9]{1,6}", raw_index) else -1
        if 0 <= index < len(embeds) and index not in placed:
            placeholder.replace_with(_fragment(render_embed(embeds[index])), move=True)
            placed.add(index)
        else:
            log.warning("embed placeholder %r has no embed; dropped", raw_index)
            placeholder.decompose()
    # An embed the scraper could not place still belongs to the post: show it at the end.
    for index, embed in enumerate(embeds):
        if index not in placed:
            body.insert_child(_fragment(render_embed(embed)), move=True)


def _fragment(html: str) -> LexborNode:
    node = LexborHTMLParser(html.strip()).body
    if node is None or node.child is None:
        raise ValueError("embed template rendered nothing")
    return node.child


def _localize_image(
    tree: LexborHTMLParser, image: LexborNode, links: ThreadLinks, gettext: Callable[[str], str]
) -> None:
    src = image.attrs.get("src") or ""
    if src in links.assets:
        image.attrs["loading"] = "lazy"
        # The file's own size (not the board's display size) reserves the box: no layout shift.
        if (size := links.image_sizes.get(src)) is not None:
            image.attrs["width"] = str(size.width)
            image.attrs["height"] = str(size.height)
        return
    # Not archived: a remote <img> would make every reader's browser call the board (or
    # worse); a link lets the reader decide.
    alt = (image.attrs.get("alt") or "").strip()
    not_archived = gettext("image not archived")
    text = f"{not_archived}: {alt}" if alt else not_archived
    inside_link = any(parent.tag == "a" for parent in _ancestors(image))
    if src.startswith(("http://", "https://")) and not inside_link:
        replacement = tree.create_node("a")
        replacement.attrs["href"] = src
        replacement.attrs["rel"] = EXTERNAL_REL
    else:
        replacement = tree.create_node("span")
    replacement.attrs["class"] = "fm-missing-image"
    replacement.insert_child(f"[{text}]")
    image.replace_with(replacement, move=True)


def _mark_directions(
    tree: LexborHTMLParser,
    node: LexborNode,
    direction: TextDirection,
    own_text: Callable[[LexborNode], str],
) -> None:
    """Give blocks and `<br>`-separated lines written in another script their own lang/dir.

    `own_text` is `_own_text`, or `_all_text` where no node sets its own dir.
    """
    _mark_lines(tree, node, direction, own_text)
    for child in _children(node):
        if child.tag not in BLOCK_TAGS:
            continue
        if child.attrs.get("dir"):
            continue  # the source or an embed card already decided
        text = own_text(child)
        # Every text the marking looks at inside `child` is a part of `text`: with no letter
        # of another script there, nothing in it would be marked.
        if written_only_in(text, direction):
            continue
        own = detect(text)
        if own is not None and own != direction:
            child.attrs["lang"] = own.lang
            child.attrs["dir"] = own.dir
            _mark_directions(tree, child, own, own_text)
        else:
            _mark_directions(tree, child, direction, own_text)


def _mark_lines(
    tree: LexborHTMLParser,
    node: LexborNode,
    direction: TextDirection,
    own_text: Callable[[LexborNode], str],
) -> None:
    # XenForo separates paragraphs with <br>, not <p>: a line is the unit of language there.
    children = list(_children(node, include_text=True))
    if not any(child.tag == "br" for child in children):
        return
    lines: list[list[LexborNode]] = [[]]
    for child in children:
        if child.tag == "br":
            lines.append([])
        else:
            lines[-1].append(child)
    for line in lines:
        if not line or any(child.tag in BLOCK_TAGS for child in line):
            continue
        text = "".join(own_text(child) for child in line)
        if written_only_in(text, direction):
            continue  # detected as `direction`, or without letters
        own = detect(text)
        if own is None or own == direction:
            continue
        wrapper = tree.create_node("span")
        wrapper.attrs["lang"] = own.lang
        wrapper.attrs["dir"] = own.dir
        line[0].insert_before(wrapper, move=True)
        for child in line:
            wrapper.insert_child(child, move=True)


def _own_text(node: LexborNode) -> str:
    """The text of `node`, leaving out parts (e.g. an embed card) that set their own dir."""
    if node.is_text_node:
        return node.text_content or ""
    if not node.is_element_node:
        return ""  # a comment: nh3 drops them, but this must not crash if one gets through
    if node.attrs.get("dir"):
        return ""
    return "".join(_own_text(child) for child in node.iter(include_text=True))


def _all_text(node: LexborNode) -> str:
    """The text of `node` and all inside it: its `_own_text` when nothing sets a dir."""
    if node.is_text_node:
        return node.text_content or ""
    return node.text(deep=True) if node.is_element_node else ""


def _children(node: LexborNode, include_text: bool = False) -> list[LexborNode]:
    return list(node.iter(include_text=include_text))


def _ancestors(node: LexborNode) -> list[LexborNode]:
    found = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def _classes(node: LexborNode) -> set[str]:
    return set((node.attrs.get("class") or "").split())
