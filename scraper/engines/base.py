"""The small interface every forum engine implements, and helpers engines share."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..records import ParsedPage

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
    pattern: ClassVar[re.Pattern[str]]  # matches thread URLs; group "id" is the thread id
    example: ClassVar[str]

    @classmethod
    def matches(cls, url: str) -> bool:
        return cls.pattern.match(url) is not None

    def thread_id(self, url: str) -> str:
        match = self.pattern.match(url)
        if match is None:
            raise ValueError(f"{url} is not a {self.name} thread URL")
        return match.group("id")

    def thread_key(self, url: str) -> str:
        """A stable folder name for the thread: host (and port) plus thread id."""
        host = urlsplit(url).netloc.lower().translate({ord(":"): "_", ord("["): None,
                                                         ord("]"): None})
        return f"{host}-{self.thread_id(url)}"

    @abstractmethod
    def first_page_url(self, url: str) -> str:
        """The URL of the thread's first page, whatever page `url` points to."""

    @abstractmethod
    def parse_page(self, html: str, url: str) -> ParsedPage:
        """Read one thread page; raise LayoutChanged when it has no posts to read."""


def absolutize_urls(node: LexborNode, base_url: str) -> None:
    """Rewrite relative URLs under `node` against the page's URL, in place."""
    for element in node.css("[href], [src], [data-src], [data-url]"):
        for attribute in URL_ATTRIBUTES:
            value = element.attributes.get(attribute)
            if value and not value.startswith(("#", "data:", "javascript:", "mailto:")):
                element.attrs[attribute] = urljoin(base_url, value.strip())


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
