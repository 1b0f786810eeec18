"""Page and post-content steps the vBulletin 5, Vanilla and WoltLab engines share.

Each of these boards writes its attachments as links to one full-size URL (with a thumbnail
inside), hot-linked images as plain `<img>`, and embeds players as iframes: the engine says
which URLs are its attachments (`full_size`), and these steps make the rest canonical.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..records import AssetRef, Embed, Link, Quote, ThreadInfo
from . import canonical
from .base import one_line, unique_assets, url_filename

# Attributes lazy-loading scripts keep an image's real source in, before `src`.
_SOURCE_ATTRIBUTES = ("data-src", "data-url", "data-lazy-src", "src")
# What an image keeps once it shows its full-size file.
_DROPPED_IMAGE_ATTRIBUTES = ("data-src", "data-url", "data-lazy-src", "srcset", "loading",
                             "width", "height", "onclick", "id", "style")
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])", re.IGNORECASE)

FullSize = Callable[[str], str | None]  # the full-size URL of a board attachment URL


def image_source(image: LexborNode) -> str:
    """The image's real source: lazy-loading attributes first, then `src`."""
    for attribute in _SOURCE_ATTRIBUTES:
        value = image.attributes.get(attribute)
        if value and not value.startswith("data:"):
            return value
    return ""


def _link_around(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    return parent if parent is not None and parent.tag == "a" else None


def take_assets(body: LexborNode, full_size: FullSize,
                names: dict[str, str] | None = None) -> list[AssetRef]:
    """The post's attachments (at full size) and hot-linked images, in page order; every image
    is rewritten in place to show its full-size file. `names`: full-size URL -> file name, as
    the post's attachment list shows them (an inline image names itself by its alt text)."""
    names = names or {}
    assets: list[AssetRef] = []
    for image in body.css("img"):
        source = image_source(image)
        link = _link_around(image)
        href = (link.attributes.get("href") or "") if link is not None else ""
        full = full_size(href) or full_size(source)
        if full is not None:
            alt = (image.attributes.get("alt") or image.attributes.get("title")
                   or (link.attributes.get("title") if link is not None else "") or "")
            assets.append(AssetRef(url=full, filename=names.get(full) or alt,
                                   thumbnail_url=source if source != full else None))
            if link is not None:
                link.attrs["href"] = full
        elif source.startswith(("http://", "https://")):
            full = href if _IMAGE_FILE.search(href) else source
            assets.append(AssetRef(url=full, filename=url_filename(full), kind="image"))
        else:
            continue
        image.attrs["src"] = full
        for attribute in _DROPPED_IMAGE_ATTRIBUTES:
            if attribute in image.attrs:
                del image.attrs[attribute]
    for link in body.css("a[href]"):
        full = full_size(link.attributes.get("href") or "")
        if full is not None and link.css_first("img") is None:
            link.attrs["href"] = full
            assets.append(AssetRef(url=full, filename=names.get(full) or one_line(link.text())))
    return unique_assets(assets)


def listed_attachments(links: list[LexborNode], full_size: FullSize) -> dict[str, str]:
    """Full-size URL -> file name of the links of a post's attachment list (outside its
    content); the name is the link's text, else its image's alt text."""
    found: dict[str, str] = {}
    for link in links:
        full = full_size(link.attributes.get("href") or "")
        if full is None:
            continue
        image = link.css_first("img")
        name = one_line(link.text()) or link.attributes.get("title") or (
            (image.attributes.get("alt") or "") if image is not None else "")
        found.setdefault(full, name)
    return found


def add_listed(assets: list[AssetRef], listed: dict[str, str]) -> list[AssetRef]:
    """`assets` and then the listed attachments the content did not show."""
    shown = {asset.url for asset in assets}
    return assets + [AssetRef(url=url, filename=name) for url, name in listed.items()
                     if url not in shown]


def replace_code_blocks(blocks: list[LexborNode], code_of: Callable[[LexborNode], LexborNode]
                        ) -> None:
    """Each board code box in `blocks` as one canonical code block of its code's text."""
    for block in blocks:
        canonical.replace_with_html(block, canonical.code_html(canonical.code_text(code_of(block))))


def finish(body: LexborNode, chrome: str) -> list[Embed]:
    """The last steps: the board's chrome and comments gone, players as static embeds, and
    only canonical classes left. Returns the embeds."""
    for unwanted in body.css(chrome):
        unwanted.decompose()
    canonical.drop_comments(body)
    embeds = canonical.take_players(body, "iframe[src]", drop_unreadable=True)
    for element in body.css("[target], [onclick]"):
        for attribute in ("target", "onclick"):
            if attribute in element.attrs:
                del element.attrs[attribute]
    canonical.drop_board_classes(body)
    return embeds


def thread_info(tree: LexborHTMLParser, thread_id: str, url: str, title_selector: str,
                breadcrumb_selector: str) -> ThreadInfo:
    """The thread as its page names it: the title (else the page's <title>), the breadcrumb
    links and the page's declared language."""
    title = tree.css_first(title_selector) or tree.css_first("title")
    root = tree.css_first("html")
    return ThreadInfo(
        id=thread_id.lstrip("0") or "0",
        url=url,
        title=one_line(title.text()) if title is not None else "",
        breadcrumb=[Link(one_line(a.text()), a.attributes.get("href") or "")
                    for a in tree.css(breadcrumb_selector)],
        language=(root.attributes.get("lang") or "") if root is not None else "",
    )


def canonical_quotes(blocks: list[LexborNode], quote_of: Callable[[LexborNode], Quote],
                     content_selector: str) -> list[Quote]:
    """Read each board quote in `blocks` (`quote_of`), then make them canonical; the quoted
    words are in the block's `content_selector` element (else the block itself)."""
    quotes = [quote_of(block) for block in blocks]
    canonical.replace_quotes(blocks, quotes,
                             lambda block: block.css_first(content_selector) or block)
    return quotes
