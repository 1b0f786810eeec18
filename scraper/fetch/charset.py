"""Turn a fetched body into text, trusting the most authoritative charset declaration first.

Order: byte-order mark, HTTP `Content-Type` charset, `<meta charset>` / `http-equiv`, strict
UTF-8, then a guess (charset-normalizer when installed, else windows-1256, the usual legacy
encoding of the Arabic boards we archive).
"""

from __future__ import annotations

import codecs
import logging
import re
from email.message import Message

log = logging.getLogger(__name__)

FALLBACK_ENCODING = "cp1256"

# Browsers read these labels as windows-1252 (WHATWG Encoding), and so do the pages' authors:
# a "latin-1" page with curly quotes is really cp1252.
_BROWSER_ALIASES = {
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Covers both `<meta charset="x">` and `<meta http-equiv=... content="text/html; charset=x">`.
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.I)
# Declarations sit in <head>; scanning a bounded prefix keeps large pages cheap.
_META_SCAN_BYTES = 4096


def normalize_encoding(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None when Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _BROWSER_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        log.debug("unknown charset label %r", label)
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset if isinstance(charset, str) else None


def meta_charset(body: bytes) -> str | None:
    """The charset a `<meta>` tag near the top of an HTML document declares, if any."""
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii") if match else None


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """Decode `body` using the charset it declares, else UTF-8, else a best guess."""
    return decoded_body(body, content_type)[0]


def decoded_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """`decode_body`'s text and the codec that decoded it ("utf-8": the text's UTF-8
    encoding is `body` itself, byte for byte)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace"), encoding

    declared = [
        encoding
        for encoding in (normalize_encoding(header_charset(content_type)),
                         normalize_encoding(meta_charset(body)))
        if encoding
    ]
    # Servers often label every page with their default charset (a windows-1256 page sent
    # as utf-8): a label the bytes do not fit gives way to the next one that fits.
    for encoding in [*declared, "utf-8"]:
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    if declared:
        # A declared charset is what browsers use even when a few bytes are invalid.
        return body.decode(declared[0], errors="replace"), f"{declared[0]} (bytes replaced)"
    return _guess(body), "guessed"


def _guess(body: bytes) -> str:
    from charset_normalizer import from_bytes  # loads its models; only pages without a label

    best = from_bytes(body).best()
    if best is None:
        return body.decode(FALLBACK_ENCODING, errors="replace")
    return str(best)
