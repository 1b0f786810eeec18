"""What the engines over a board's JSON API share: the document an answer carries, and posts'
rendered HTML turned into the canonical form (canonical.py).

A JSON API answers JSON, but the board's own HTML page carries the same document preloaded
for its script (Flarum's `flarum-json-payload`, NodeBB's `ajaxify-data`): an engine reads
either, so the page fetched to tell which software serves a URL is read as the thread's
first page, never fetched twice.

Rendered post HTML (Flarum's s9e TextFormatter output, NodeBB's markdown plugin) is the
same kind of markup on both: paragraphs, `<blockquote>`, `<pre><code>`, `<img>` uploads
and emoji images, iframe players. How a quote names the quoted post differs, so each
engine passes its own `QuoteReader`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import LayoutChanged
from ..records import AssetRef, Embed, Quote
from ..urls import same_site
from . import canonical
from .base import absolutize_urls, node_text, unique_assets, url_filename
from .walls import check_not_a_wall

# (the quote, the element holding its words) for a `<blockquote>`; None: not a quote.
QuoteReader = Callable[[LexborNode], "tuple[Quote, LexborNode] | None"]


def json_document(text: str, url: str, script_id: str) -> dict[str, Any]:
    """The JSON object an answer carries: its body, or the `<script id=script_id>` payload
    of the board's HTML page. `LayoutChanged` (`AccessBlocked` for a wall) when neither."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError as error:
            raise LayoutChanged(f"{url} answered JSON that cannot be read: {error}") from None
        if isinstance(document, dict):
            return document
        raise LayoutChanged(f"{url} answered JSON that is not an object")
    tree = LexborHTMLParser(text)
    script = tree.css_first(f'script[id="{script_id}"]')
    if script is None:
        check_not_a_wall(tree, url)
        raise LayoutChanged(f"{url} is neither the board's JSON API answer nor a page with "
                            f"its preloaded data (script#{script_id})")
    try:
        payload = json.loads(script.text(deep=True) or "")
    except ValueError as error:
        raise LayoutChanged(f"{url}: the preloaded data (script#{script_id}) cannot be "
                            f"read: {error}") from None
    if not isinstance(payload, dict):
        raise LayoutChanged(f"{url}: the preloaded data (script#{script_id}) is no object")
    return payload


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: hostile JSON has any shape."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A JSON string or number as text ("" for anything else): ids arrive as either."""
    if isinstance(value, bool):
        return ""
    return str(value) if isinstance(value, str | int) else ""


def as_int(value: Any) -> int | None:
    """A JSON integer (or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    return None


@dataclass
class CanonicalPost:
    """A post's rendered HTML in the canonical form, with what it quotes, embeds and shows."""

    html: str
    text: str
    quotes: list[Quote] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    assets: list[AssetRef] = field(default_factory=list)


def canonical_post(content_html: str, base_url: str, read_quote: QuoteReader,
                   upload_paths: tuple[str, ...]) -> CanonicalPost:
    """`content_html` (a post as the API renders it; links relative to `base_url`) in the
    canonical form. Images on the board's own site under one of `upload_paths` are its
    uploads (attachments), other images are hot-linked; emoji images become their
    character, so no emoji CDN is asked for anything."""
    tree = LexborHTMLParser(f"<body>{content_html}</body>")
    body = tree.body
    if body is None:  # pragma: no cover - lexbor always gives a body
        return CanonicalPost("", "")
    absolutize_urls(body, base_url)
    canonical.drop_comments(body)
    for script in body.css("script, style"):
        script.decompose()
    for emoji in body.css("img.emoji"):
        emoji.replace_with(emoji.attributes.get("alt") or "")
    embeds = _players(body)
    for code in body.css("pre"):
        canonical.replace_with_html(code, canonical.code_html(canonical.code_text(
            code.css_first("code") or code)))
    quotes = _quotes(body, read_quote)
    assets = _images(body, base_url, upload_paths)
    canonical.drop_board_classes(body)
    for element in body.css("[data-id], [rel], [target]"):
        for attribute in ("data-id", "rel", "target"):
            if attribute in element.attributes:
                del element.attrs[attribute]
    return CanonicalPost((body.inner_html or "").strip(), node_text(body), quotes, embeds,
                         unique_assets(assets))


def _players(body: LexborNode) -> list[Embed]:
    """Iframe players (s9e MediaEmbed's wrapper spans, NodeBB's embeds) as static embeds."""
    embeds: list[Embed] = []
    for wrapper in body.css("[data-s9e-mediaembed]"):
        frame = wrapper.css_first("iframe")
        source = (frame.attributes.get("src") or "") if frame is not None else ""
        canonical.place_embed(wrapper, canonical.video_embed(source.strip()), embeds)
    for frame in body.css("iframe"):
        source = (frame.attributes.get("src") or frame.attributes.get("data-src") or "").strip()
        canonical.place_embed(frame, canonical.video_embed(source), embeds)
    return embeds


def _quotes(body: LexborNode, read_quote: QuoteReader) -> list[Quote]:
    """Replace each `<blockquote>` by its canonical quote, innermost first."""
    blocks = body.css("blockquote")
    quotes: list[Quote] = []
    holders: list[LexborNode] = []
    for block in blocks:
        read = read_quote(block)
        quote, holder = read if read is not None else (Quote(author=""), block)
        quotes.append(quote)
        holders.append(holder)
    words = dict(zip((id(b) for b in blocks), holders, strict=True))
    canonical.replace_quotes(blocks, quotes, lambda block: words.get(id(block), block))
    return quotes


def _images(body: LexborNode, base_url: str, upload_paths: tuple[str, ...]) -> list[AssetRef]:
    """The post's images at full size: the board's uploads as attachments, others hot-linked.
    A link around an upload that leads to the same file is dropped (the mirror shows it)."""
    assets: list[AssetRef] = []
    for image in body.css("img[src]"):
        source = image.attributes.get("src") or ""
        if not source.startswith(("http://", "https://")):
            image.decompose()  # a data: or unreadable source: nothing to archive or show
            continue
        own = same_site(source, base_url) and urlsplit(source).path.startswith(upload_paths)
        alt = (image.attributes.get("alt") or "").strip()
        name = alt if own and alt and "/" not in alt else url_filename(source)
        assets.append(AssetRef(url=source, filename=name,
                               kind="attachment" if own else "image"))
        parent = image.parent
        if (parent is not None and parent.tag == "a"
                and (parent.attributes.get("href") or "") == source):
            parent.unwrap()
    return assets


def text_of(mapping: Mapping[str, Any], *names: str) -> str:
    """The first of `names` in `mapping` that holds a non-empty string ("" if none)."""
    for name in names:
        value = as_text(mapping.get(name))
        if value:
            return value
    return ""


def without_mention(holder: LexborNode, mention: LexborNode) -> None:
    """Remove the quoted author's mention from the start of a quote's words, and the space or
    "wrote:" punctuation right after it."""
    mention.decompose()
    first = holder.css_first("p")
    if first is not None and first.inner_html is not None:
        trimmed = re.sub(r"^\s*[:：،,]?\s*", "", first.inner_html)
        if trimmed != first.inner_html:
            canonical.replace_with_html(first, f"<p>{trimmed}</p>" if trimmed else "")
