"""Scraped post HTML made safe with nh3 before anything else touches it."""

from __future__ import annotations

import copy
import re
from contextvars import ContextVar
from urllib.parse import urljoin

import nh3

from ..engines.canonical import (
    CODE_CLASS,
    EMBED_CLASS,
    QUOTE_BODY_CLASS,
    QUOTE_CLASS,
    SPOILER_CLASS,
)

# Where the archive stores a thread's assets, relative to the thread's folder (and page),
# limited to passive types: an .svg, .html or .xml attachment opened from the mirror would
# run its scripts on the mirror's origin (no CSP there), so such files are not published.
PASSIVE_EXTENSIONS = (
    "jpg", "jpeg", "png", "gif", "webp", "avif", "bmp", "pdf", "txt", "zip", "gz", "7z", "rar",
    "mp4", "webm", "mov", "mp3", "m4a", "ogg", "wav", "doc", "docx", "xls", "xlsx", "bin",
)  # fmt: skip
ASSET_PATH = re.compile(
    rf"assets/[0-9a-f]{{64}}(\.(?:{'|'.join(PASSIVE_EXTENSIONS)}))?", re.IGNORECASE
)
# Any file the archive stores: its SHA-256, then the extension the board's file name had.
STORED_ASSET_PATH = re.compile(r"assets/[0-9a-f]{64}(\.\w+)?", re.IGNORECASE)


def unpublished_reason(path: str) -> str:
    """Why the mirror leaves out the archived file at `path`, which ASSET_PATH refuses."""
    stored = STORED_ASSET_PATH.fullmatch(path)
    if stored is not None:
        return (f"{path} stays in the archive but is not published: "
                f"{stored.group(1)} is not a passive file type")
    return f"asset path {path!r} is not an archive asset path"


EXTERNAL_REL = "nofollow noopener noreferrer"

# The canonical post HTML every engine writes (engines/canonical.py) and the quote title the
# site adds; every other class is a board's own styling hook and means nothing here.
QUOTE_TITLE_CLASS = "fm-quote-title"
ALLOWED_CLASSES = {
    "blockquote": {QUOTE_CLASS},
    "div": {QUOTE_BODY_CLASS, QUOTE_TITLE_CLASS, EMBED_CLASS},
    "pre": {CODE_CLASS},
    "details": {SPOILER_CLASS},
}


def _attributes() -> dict[str, set[str]]:
    allowed = copy.deepcopy(nh3.ALLOWED_ATTRIBUTES)
    # Setting "*" replaces nh3's generic attributes, so lang and title are listed again.
    allowed["*"] = {"dir", "lang", "title"}
    # Read by the site to link a quote to the quoted post, and to place an embed.
    allowed["blockquote"] = allowed.get("blockquote", set()) | {"data-author", "data-post-id"}
    allowed["div"] = {"data-embed-index"}
    return allowed


ATTRIBUTES = _attributes()
# Dropped with their content: their text is code or fallback markup, not the post.
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "svg", "math", "noscript", "template", "object"}


# The post whose links `_resolve` resolves: nh3 calls it back while cleaning one post.
_SOURCE_URL: ContextVar[str] = ContextVar("source_url")


def _resolve(url: str) -> str:
    return url if ASSET_PATH.fullmatch(url) else urljoin(_SOURCE_URL.get(), url)


# One sanitizer for every post: `nh3.clean` converts the allow-lists on every call, which
# cost six times the cleaning of a typical post.
_CLEANER = nh3.Cleaner(
    attributes=ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    clean_content_tags=CLEAN_CONTENT_TAGS,
    link_rel=EXTERNAL_REL,
    url_relative=_resolve,
)


def sanitize_post_html(raw_html: str, source_url: str) -> str:
    """`raw_html` without scripts, handlers, frames or unsafe URLs.

    Relative links are resolved against the post's `source_url` (they point into the
    board), except archived asset paths, which stay relative to the thread's folder.
    """
    token = _SOURCE_URL.set(source_url)
    try:
        return _CLEANER.clean(raw_html)
    finally:
        _SOURCE_URL.reset(token)
