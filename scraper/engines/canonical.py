"""The one post HTML every engine writes, whatever the board's markup: the site reads only this.

An engine turns its board's quotes, code blocks, spoilers and embeds into these elements
(classes prefixed `fm-`, data in `data-*` attributes), so the site and its sanitizer know
one vocabulary instead of every board's:

    <blockquote class="fm-quote" data-author="NAME" data-post-id="ID">
      <div class="fm-quote-body">...</div></blockquote>    (attributes empty when unknown)
    <pre class="fm-code"><code>...</code></pre>
    <details class="fm-spoiler"><summary>TITLE</summary>...</details>
    <div class="fm-embed" data-embed-index="N"></div>      (one of the post's `embeds`)

Images stay `<img src="FULL-SIZE URL" alt="...">` and links `<a href="TARGET">`, with the
board's redirect wrappers removed; the scraper rewrites archived URLs to local paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..records import Embed, Quote
from .base import node_text

QUOTE_CLASS = "fm-quote"
QUOTE_BODY_CLASS = "fm-quote-body"
CODE_CLASS = "fm-code"
SPOILER_CLASS = "fm-spoiler"
EMBED_CLASS = "fm-embed"
# The `data-*` attributes of the elements above: every other one is the board's.
DATA_ATTRIBUTES = frozenset({"data-author", "data-post-id", "data-embed-index"})
# A YouTube player (`/embed/ID`), as boards' media BBCodes and embed plugins frame it.
YOUTUBE_PLAYER = re.compile(
    r"^(?:https?:)?//(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]{6,})")


def quote_html(author: str, post_id: str | None, body_html: str) -> str:
    """A quote of `author`'s post `post_id` (None: the board does not say which post)."""
    return (
        f'<blockquote class="{QUOTE_CLASS}" data-author="{escape(author)}" '
        f'data-post-id="{escape(post_id or "")}">'
        f'<div class="{QUOTE_BODY_CLASS}">{body_html}</div></blockquote>'
    )


def code_html(text: str) -> str:
    """A code block; `text` is the code as plain text."""
    return f'<pre class="{CODE_CLASS}"><code>{escape(text, quote=False)}</code></pre>'


def spoiler_html(title: str, body_html: str) -> str:
    """A spoiler: closed until the reader opens it, with no script."""
    return (f'<details class="{SPOILER_CLASS}"><summary>{escape(title, quote=False)}</summary>'
            f"{body_html}</details>")


def embed_placeholder_html(index: int) -> str:
    """Where the post's `index`-th embed (a static card) stands in the content."""
    return f'<div class="{EMBED_CLASS}" data-embed-index="{index}"></div>'


def replace_with_html(node: LexborNode, html: str) -> None:
    """Replace `node` (in its tree) with the elements of `html`."""
    fragment = LexborHTMLParser(f"<body>{html}</body>").body
    if fragment is None:  # pragma: no cover - lexbor always gives a body
        node.decompose()
        return
    for child in list(fragment.iter(include_text=True)):
        node.insert_before(child)
    node.decompose()


def unwrap_redirect(url: str, path_suffix: str, parameter: str) -> str:
    """The target of a board's outgoing-link wrapper (`/redirect/?to=URL`), else `url`."""
    parts = urlsplit(url)
    if not parts.path.endswith(path_suffix):
        return url
    targets = parse_qs(parts.query).get(parameter)
    if not targets or not targets[0].startswith(("http://", "https://")):
        return url
    return targets[0]


def replace_quotes(blocks: list[LexborNode], quotes: list[Quote],
                   content_of: Callable[[LexborNode], LexborNode]) -> None:
    """Replace each board quote in `blocks` (page order; `quotes`, read from them first) by
    its canonical quote, innermost first, so a quote inside a quote keeps its nesting.

    `content_of(block)` is the element holding the quoted words once the quotes inside are
    canonical; it may remove the board's header or footer first.
    """
    for block, quote in zip(reversed(blocks), reversed(quotes), strict=True):
        replace_with_html(block, quote_html(quote.author, quote.post_id,
                                            (content_of(block).inner_html or "").strip()))


def code_text(node: LexborNode) -> str:
    """A code block's code as plain text: a `<br>` (with the newline after it in the source)
    is a line break, a non-breaking space a space, blank lines at either end go."""
    markup = re.sub(r"<br\s*/?>\n?", "\n", node.inner_html or "", flags=re.IGNORECASE)
    holder = LexborHTMLParser(f"<pre>{markup}</pre>").css_first("pre")
    text = holder.text(deep=True) if holder is not None else ""
    return text.replace("\xa0", " ").strip("\n")


def youtube_video_id(player_url: str, players: re.Pattern[str] = YOUTUBE_PLAYER) -> str | None:
    """The video id of a YouTube player's URL (`players`: the forms a board writes), or None."""
    found = players.match(player_url)
    return found.group(1) if found is not None else None


def youtube_embed(video_id: str, handle: str = "youtube") -> Embed:
    """A YouTube video as a static embed: its watch page; `handle` names the provider."""
    return Embed(kind="video", url=f"https://www.youtube.com/watch?v={video_id}", handle=handle)


def video_embed(source: str, site: str | None = None, *,
                players: re.Pattern[str] = YOUTUBE_PLAYER) -> Embed | None:
    """The video player at `source` as a static embed (no third-party player is kept):
    YouTube's watch page, else the player's own URL; None when `source` is no web URL.

    `site` is the board's media-site id where it names one ("" when it names none), the
    embed's `handle`; else the handle is "youtube" or the player's host.
    """
    video_id = youtube_video_id(source, players)
    if video_id is not None:
        return youtube_embed(video_id, site or "youtube")
    if not source.startswith(("http://", "https://", "//")):
        return None
    url = urljoin("https:", source)
    return Embed(kind="video", url=url, handle=urlsplit(url).netloc if site is None else site)


def place_embed(node: LexborNode, embed: Embed | None, embeds: list[Embed]) -> None:
    """Add `embed` to the post's `embeds` and put its placeholder where `node` stood; an
    embed that could not be read (None) leaves nothing: no third-party player survives."""
    if embed is None:
        node.decompose()
        return
    embeds.append(embed)
    replace_with_html(node, embed_placeholder_html(len(embeds) - 1))


def take_players(body: LexborNode, selector: str, *, drop_unreadable: bool = False) -> list[Embed]:
    """The video players under `body` (elements matching `selector`, their URL in `src` or
    `data`) as static embeds with placeholders. A player whose URL is no web URL stays (the
    site's sanitizer drops it), or is removed with `drop_unreadable`."""
    embeds: list[Embed] = []
    for player in body.css(selector):
        source = (player.attributes.get("src") or player.attributes.get("data") or "").strip()
        embed = video_embed(source)
        if embed is not None or drop_unreadable:
            place_embed(player, embed, embeds)
    return embeds


def tweet_embed(blockquote: LexborNode) -> Embed:
    """A tweet's oEmbed blockquote as boards keep it: its text paragraph, then
    '— Name (@handle) <a href=".../status/N">date</a>'."""
    paragraph = blockquote.css_first("p")
    status = None
    for anchor in blockquote.css("a[href]"):
        if "/status/" in (anchor.attributes.get("href") or ""):
            status = anchor
    byline = node_text(blockquote)
    if paragraph is not None:
        byline = byline.replace(node_text(paragraph), "", 1)
    if status is not None:
        byline = byline.replace(status.text(strip=True), "")
    byline = byline.strip().lstrip("—-–").strip()
    handle = re.search(r"\(@(\w+)\)", byline)
    return Embed(
        kind="tweet",
        url=(status.attributes.get("href") or "") if status is not None else "",
        author=byline[: handle.start()].strip() if handle else byline,
        handle=f"@{handle.group(1)}" if handle else "",
        date_text=status.text(strip=True) if status is not None else "",
        text=node_text(paragraph) if paragraph is not None else "",
        lang=(paragraph.attributes.get("lang") or "") if paragraph is not None else "",
    )


def keep_canonical_classes(element: LexborNode) -> None:
    """Keep only the canonical `fm-` classes of `element`: the site reads no board class."""
    kept = [c for c in (element.attributes.get("class") or "").split() if c.startswith("fm-")]
    if kept:
        element.attrs["class"] = " ".join(kept)
    elif "class" in element.attributes:
        del element.attrs["class"]


def drop_board_classes(body: LexborNode) -> None:
    """Keep only the canonical `fm-` classes under `body`."""
    for element in body.css("[class]"):
        keep_canonical_classes(element)


def drop_comments(body: LexborNode) -> None:
    """Remove the HTML comments under `body` (template markers, ad-section markers)."""
    for comment in [n for n in body.traverse(include_text=True) if n.tag == "-comment"]:
        comment.decompose()
