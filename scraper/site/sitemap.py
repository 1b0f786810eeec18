"""`sitemap.xml`: every page of the mirror, for search engines, when it is published online.

The sitemap protocol wants absolute URLs, while the mirror's pages link relatively (so they
browse from `file://`). A sitemap is therefore written only when the site's public address
is configured (`SITEMAP_BASE_URL`, or an absolute `SITEURL`); without one there is nothing
a crawler could use, and no sitemap is written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit
from xml.sax.saxutils import escape

from .output import write_if_changed

log = logging.getLogger(__name__)

SITEMAP_FILE = "sitemap.xml"
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit for one file


def sitemap_base_url(settings: dict[str, object]) -> str:
    """The site's absolute public address ending in "/", or "" when none is configured."""
    for name in ("SITEMAP_BASE_URL", "SITEURL"):
        value = str(settings.get(name) or "")
        if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc:
            return value.rstrip("/") + "/"
    return ""


def sitemap_xml(base_url: str, pages: Iterable[str]) -> str:
    """The sitemap of `pages` (paths from the site's root), sorted, under `base_url`."""
    urls = sorted({urljoin(base_url, quote(page, safe="/")) for page in pages})
    if len(urls) > MAX_URLS:
        log.warning("sitemap: %d pages, only the first %d are listed", len(urls), MAX_URLS)
        urls = urls[:MAX_URLS]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{NAMESPACE}">']
    lines += [f"  <url><loc>{escape(url)}</loc></url>" for url in urls]
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def write_sitemap(output: Path, base_url: str, pages: Iterable[str]) -> int:
    """Write `output/sitemap.xml`; returns how many URLs it lists."""
    text = sitemap_xml(base_url, pages)
    write_if_changed(output / SITEMAP_FILE, text.encode("utf-8"))
    return text.count("<loc>")
