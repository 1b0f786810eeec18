"""Decode a page's bytes: HTTP header charset, then <meta charset>, then UTF-8, then cp1256."""

from __future__ import annotations

import codecs
import re

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
# Older Arabic boards that declare nothing are most often windows-1256.
FALLBACK_ENCODING = "cp1256"


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def detect_encoding(body: bytes, content_type: str | None) -> str:
    header = HEADER_CHARSET.search(content_type or "")
    meta = META_CHARSET.search(body[:4096])
    for candidate in (header and header.group(1), meta and meta.group(1).decode("ascii")):
        known = _known(candidate)
        if known:
            return known
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return FALLBACK_ENCODING
    return "utf-8"


def decode_body(body: bytes, content_type: str | None) -> str:
    return body.decode(detect_encoding(body, content_type), errors="replace")
