"""Hostile content: odd numbers, hidden text, broken markup and active file types.

The pages are the demo forum's, as its renderer writes them, changed the way a hostile
board or a careless post would change them.
"""

from __future__ import annotations

import dataclasses

import pytest

from scraper.demo_forum.pages import render_thread_page
from scraper.demo_forum.seed import SEED_THREAD
from scraper.engines.xenforo import XenForo2
from scraper.errors import LayoutChanged
from scraper.records import ParsedPage
from scraper.site.content import ThreadLinks, render_post_body
from scraper.site.textdir import TextDirection

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
