"""Archives written by earlier versions of forum-mirror, read as the current format.

A `thread.json` is upgraded in memory when it is read; the next run that writes the thread
(`scrape`, `update`) stores it in the current format, atomically like every write. Nothing
is lost: an upgrade only rewrites what an engine derives from the page, and the page itself
stays in its WARC record.

Version 1 (up to forum-mirror 0.x, XenForo 2 only) kept each post's content as the board's
own markup; version 2 keeps the canonical post HTML (engines/canonical.py) and the board's
member id of every author.
"""

from __future__ import annotations

from typing import Any

from selectolax.lexbor import LexborHTMLParser

from .engines import engine_named
from .engines.base import node_text

CURRENT_VERSION = 2
READABLE_VERSIONS = frozenset({1, CURRENT_VERSION})


def upgrade(data: dict[str, Any], version: int) -> dict[str, Any]:
    """`data` (a thread.json without its format header) in the current format."""
    if version == 1:
        data = _from_version_1(data)
    return data


def _from_version_1(data: dict[str, Any]) -> dict[str, Any]:
    engine = engine_named(str(data.get("engine", "")))
    for post in data.get("posts", []):
        for content in (post, *post.get("revisions", [])):
            content["content_html"] = engine.canonical_content(content["content_html"])
            content["content_text"] = _text(content["content_html"])
        author = post.get("author", {})
        author.setdefault("member_id", engine.member_id(author.get("url")))
    return data


def _text(content_html: str) -> str:
    body = LexborHTMLParser(f"<body>{content_html}</body>").body
    return node_text(body) if body is not None else ""
