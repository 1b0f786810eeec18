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

from html import escape
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

QUOTE_CLASS = "fm-quote"
QUOTE_BODY_CLASS = "fm-quote-body"
CODE_CLASS = "fm-code"
SPOILER_CLASS = "fm-spoiler"
EMBED_CLASS = "fm-embed"


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
