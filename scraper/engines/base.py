"""The small interface every forum engine implements, and helpers engines share."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import ClassVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import UnsupportedUrl
from ..records import ParsedPage
from ..urls import canonical_url, origin_of, page_url, shown, thread_key

# Attributes whose URLs are made absolute so the archive does not depend on the page's URL.
URL_ATTRIBUTES = ("href", "src", "data-src", "data-url")
# Elements whose text is code, styling or fallback markup, never the words a reader sees.
NON_TEXT_TAGS = ("script", "style", "template", "noscript", "iframe")
# Thousands separators in the counts boards print: `4,812`, `4.812`, `4 812`, `٤٬٨١٢`.
NUMBER_SEPARATORS = re.compile(r"[,.\s\u066c]")
# No page, post or member count is longer; int() refuses strings of over 4,300 digits.
MAX_NUMBER_DIGITS = 15


class Engine(ABC):
    """Reads one forum software's thread pages. Subclasses set the class attributes."""

    name: ClassVar[str]
    # Matches canonical thread URLs (urls.canonical_url); group "id" is the thread id.
    pattern: ClassVar[re.Pattern[str]]
    example: ClassVar[str]

    @classmethod
    def matches(cls, url: str) -> bool:
        """Whether `url`, in canonical form, is a thread URL of this engine."""
        return cls.pattern.match(url) is not None

    def thread_id(self, url: str) -> str:
        """The thread's id in `url` (leading zeros dropped); `UnsupportedUrl` if none."""
        match = self.pattern.match(canonical_url(url))
        if match is None:
            raise UnsupportedUrl(f"{shown(url)} is not a {self.name} thread URL")
        return match.group("id").lstrip("0") or "0"

    def thread_key(self, url: str) -> str:
        """A stable folder name for the thread, the same for every spelling of its URL."""
        return thread_key(origin_of(url), self.thread_id(url))

    @abstractmethod
    def first_page_url(self, url: str) -> str:
        """The URL of the thread's first page, whatever page `url` points to."""

    @abstractmethod
    def parse_page(self, html: str, url: str) -> ParsedPage:
        """Read one thread page; raise LayoutChanged when it has no posts to read."""


def absolutize_urls(node: LexborNode, base_url: str) -> None:
    """Rewrite URLs under `node` as absolute ones (urls.page_url), in place.

    A URL that cannot be read is removed, leaving its text (a link becomes a dead link):
    nothing could fetch it, and the page's WARC record keeps it as the board sent it.
    """
    for element in node.css("[href], [src], [data-src], [data-url]"):
        for attribute in URL_ATTRIBUTES:
            value = element.attributes.get(attribute)
            if value and not value.startswith(("#", "data:", "javascript:", "mailto:")):
                absolute = page_url(value, base_url)
                if absolute is None:
                    del element.attrs[attribute]
                else:
                    element.attrs[attribute] = absolute


def node_text(node: LexborNode) -> str:
    """Readable plain text of an element: line breaks kept, blank runs collapsed."""
    html = re.sub(r"<br\s*/?>", "\n", node.html or "", flags=re.IGNORECASE)
    html = re.sub(r"</(p|div|li|blockquote|h\d|tr)>", r"\g<0>\n", html, flags=re.IGNORECASE)
    tree = LexborHTMLParser(html)
    for hidden in tree.css(", ".join(NON_TEXT_TAGS)):
        hidden.decompose()
    text = tree.text(separator="") or ""
    lines = [line.strip() for line in text.replace("\xa0", " ").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def board_number(text: str) -> int | None:
    """A page number, post number or count as the board prints it (`4,812`, `١٢`), or None.

    `isdecimal`, not `isdigit`: superscripts (`1²`) are digits that int() refuses, while
    Arabic-Indic digits are decimals that int() reads.
    """
    digits = NUMBER_SEPARATORS.sub("", text)
    if digits.isdecimal() and len(digits) <= MAX_NUMBER_DIGITS:
        return int(digits)
    return None
