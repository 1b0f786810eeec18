"""A page decoded from UTF-8 keeps its bytes (engines/base.py `utf8_text`), and every HTML
engine parses its tree from them (`page_tree`): the same reading as from the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.demo_forum import pages
from scraper.engines import ENGINES, engine_named
from scraper.engines.base import Utf8Text, page_tree, utf8_text

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = [
    pytest.param(engine.name, path, id=f"{engine.name}:{path.relative_to(FIXTURES)}")
    for engine in ENGINES
    for folder in sorted(FIXTURES.iterdir())
    if folder.is_dir() and (folder.name == engine.name or folder.name.startswith(
        f"{engine.name}-"))
    for path in sorted(folder.glob("**/*page-*.html"))
]


def test_the_tree_is_parsed_from_the_bytes_the_text_holds() -> None:
    text = utf8_text(b"<p>\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7</p>")
    assert isinstance(text, Utf8Text) and text == "<p>مرحبا</p>"
    # Held bytes that say something else show which of the two the tree is built from.
    other = utf8_text(b"<p>bytes</p>", "<p>text</p>")
    assert page_tree(other).css_first("p").text() == "bytes"
    assert page_tree("<p>text</p>").css_first("p").text() == "text"


@pytest.mark.parametrize(("engine", "path"), PAGES)
def test_a_page_reads_the_same_from_its_bytes(engine: str, path: Path) -> None:
    reader = engine_named(engine)
    html = path.read_text("utf-8")
    url = reader.example
    try:
        expected = reader.parse_page(html, url)
    except Exception as error:  # a fixture of a wall or a changed layout: the same error
        with pytest.raises(type(error)):
            reader.parse_page(utf8_text(html.encode("utf-8")), url)
        return
    assert reader.parse_page(utf8_text(html.encode("utf-8")), url) == expected


def test_the_demo_forum_pages_read_the_same_from_their_bytes() -> None:
    reader = engine_named("xenforo2")
    for number in (1, 2):
        html = pages.render_thread_page(number)
        url = reader.example
        assert reader.parse_page(utf8_text(html.encode("utf-8")), url) == reader.parse_page(
            html, url)
