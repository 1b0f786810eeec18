"""Hostile content: odd numbers, hidden text, broken markup and active file types.

The pages are the demo forum's, as its renderer writes them, changed the way a hostile
board or a careless post would change them.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.demo_forum.pages import render_thread_page
from scraper.demo_forum.seed import SEED_THREAD
from scraper.engines.xenforo import XenForo2
from scraper.errors import LayoutChanged
from scraper.records import ParsedPage, PostImage, StoredAsset
from scraper.site.build import build_site
from scraper.site.content import ThreadLinks, render_post_body
from scraper.site.textdir import TextDirection

from .archive_factory import PostSpec, build_thread_archive

URL = "http://127.0.0.1:8765/threads/afaq.2741/"


def page_with_content(index: int, content_html: str, page: int = 1) -> str:
    """A demo thread page where the post at `index` of the thread has `content_html`."""
    posts = list(SEED_THREAD.posts)
    posts[index] = dataclasses.replace(posts[index], content_html=content_html)
    return render_thread_page(page, thread=dataclasses.replace(SEED_THREAD, posts=tuple(posts)))


def parse(html: str, url: str = URL) -> ParsedPage:
    return XenForo2().parse_page(html, url)


# --- Odd numbers (issue 9, case 12) ----------------------------------------------------------


@pytest.mark.parametrize("shown", ["#2²", "#" + "9" * 5000])
def test_a_post_number_int_cannot_read_is_a_layout_error(shown: str) -> None:
    """`1²` passes str.isdigit() and 5,000 digits pass isdecimal(); int() refuses both."""
    html = render_thread_page(1).replace(">#2</a>", f">{shown}</a>")
    with pytest.raises(LayoutChanged, match="shows no post number"):
        parse(html)


def test_counts_and_page_numbers_read_arabic_indic_digits_and_refuse_superscripts() -> None:
    html = render_thread_page(2, posts_per_page=2)  # posts #3 and #4 of 4 pages
    html = html.replace(">#3</a>", ">#٣</a>")
    html = html.replace(">4,812</dd>", ">٤٬٨١٢</dd>").replace(">9,356</dd>", ">9,356²</dd>")
    html = html.replace('page-2">2</a>', 'page-2">2²</a>')  # the current page's links
    html = html.replace('page-4">4</a>', 'page-4">٤</a>')
    page = parse(html, URL + "page-2")
    assert [post.position for post in page.posts] == [3, 4]
    assert [post.author.message_count for post in page.posts] == [4812, None]
    # The current page's link shows no number: the URL says which page this is.
    assert (page.page_number, page.last_page) == (2, 4)


def test_a_forged_embed_index_is_dropped_not_a_crash() -> None:
    html = '<p>x</p><div class="fm-embed" data-embed-index="1²"></div>'
    body = render_post_body(
        html,
        links=ThreadLinks(post_pages={}, assets=frozenset()),
        embeds=[],
        render_embed=lambda embed: "<div>card</div>",
        direction=TextDirection("en", "ltr"),
        gettext=str,
    )
    assert "fm-embed" not in body
    assert "<p>x</p>" in body


# --- Hidden text, broken markup, active file types (issue 9, case 17) ----------------------


def test_styles_scripts_and_fallback_markup_are_no_post_text() -> None:
    html = page_with_content(
        1,
        "<style>.x { color: red }</style><p>Hello<style>p { margin: 0 }</style></p>"
        "<noscript>enable JavaScript</noscript><template>later</template>"
        "world<iframe>no frames</iframe><script>track()</script>",
    )
    post = parse(html).posts[1]
    assert post.content_text == "Hello\nworld"


# Markup a post leaves open, each with the same post well-formed.
UNCLOSED = [
    pytest.param("before<table><tr><td>cell text",
                 "before<table><tr><td>cell text</td></tr></table>", id="unclosed-cell"),
    pytest.param("before<table><tr><td>cell</td></tr>",
                 "before<table><tr><td>cell</td></tr></table>", id="unclosed-table"),
    pytest.param("<table><tr><td>a<td>b<tr><th>c",
                 "<table><tr><td>a</td><td>b</td></tr><tr><th>c</th></tr></table>",
                 id="implied-ends"),
]


@pytest.mark.parametrize("index", [0, 3])  # the first post; one with an edit and a file
@pytest.mark.parametrize(("broken", "closed"), UNCLOSED)
def test_a_post_that_leaves_a_table_open_keeps_to_itself(
    index: int, broken: str, closed: str
) -> None:
    page = parse(page_with_content(index, broken))
    want = parse(page_with_content(index, closed))
    assert page.thread == want.thread  # the title, prefix and breadcrumb
    assert (page.page_number, page.last_page, page.next_url) == (
        want.page_number, want.last_page, want.next_url)
    assert [p.id for p in page.posts] == [p.id for p in want.posts]
    for got, expected in zip(page.posts, want.posts, strict=True):
        if got.id != want.posts[index].id:
            assert got == expected
    got, expected = page.posts[index], want.posts[index]
    assert dataclasses.replace(got, content_html="") == dataclasses.replace(
        expected, content_html="")
    assert "message" not in got.content_html  # none of the page's own markup
    assert got.content_html.startswith(broken[:6])


def test_an_svg_attachment_is_kept_but_not_published_as_an_active_type(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fixture, _ = build_thread_archive(tmp_path / "archive", [PostSpec("atlas_eagle", "<p>x</p>")])
    archive = ThreadArchive(fixture.root)
    thread = archive.load(fixture.key)
    assert thread is not None
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    sha256, path = archive.store_asset(fixture.key, svg, ".svg")
    url = "https://forum.example/attachments/drawing-svg.9/"
    thread.assets.append(StoredAsset(sha256, path, "drawing.svg", "image/svg+xml", len(svg),
                                     [url], thread.pages[0].capture))
    thread.posts[0].images.append(PostImage(url, f"threads/{fixture.key}/{path}", sha256,
                                            "image/svg+xml", len(svg), "drawing.svg"))
    archive.save(thread)

    output = tmp_path / "output"
    with caplog.at_level(logging.WARNING, logger="scraper.site.generator"):
        build_site(fixture.root, output)

    assert (archive.thread_dir(fixture.key) / path).read_bytes() == svg  # still archived
    assert not (output / "threads" / fixture.key / path).exists()
    assert not any(sha256 in page.read_text("utf-8") for page in output.rglob("*.html"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"{fixture.key}: {path} stays in the archive but is not published: "
        ".svg is not a passive file type"
    ]
