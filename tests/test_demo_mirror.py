"""End to end: the demo forum over HTTP -> scrape -> `forum-mirror build` -> headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scraper.cli import main
from scraper.demo_forum import DemoForum, SeedPost

from .conftest import ScrapedDemo, Tab, scroll_images_in, serve_directory
from .test_scrape import EXPECTED

pytestmark = pytest.mark.browser

HOSTILE_HTML = (
    "<p>منشور عدائي</p><script>window.__pwned = 'script'</script>"
    "<img src=x onerror=\"window.__pwned = 'onerror'\">"
    "<a href=\"javascript:window.__pwned = 'href'\">click</a>"
    "<svg onload=\"window.__pwned = 'svg'\"></svg>"
    "<iframe src=\"javascript:parent.__pwned = 'iframe'\"></iframe>"
    "<div style=\"background:url(javascript:window.__pwned = 'css')\">x</div>"
)


@dataclass
class DemoSite:
    output: Path
    base_url: str
    thread_path: str  # threads/<key>/index.html


def build_and_serve(archive: Path, output: Path) -> Iterator[DemoSite]:
    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    (thread_dir,) = (output / "threads").iterdir()
    with serve_directory(output, 0) as base_url:
        yield DemoSite(output, base_url, f"threads/{thread_dir.name}/index.html")


@pytest.fixture(scope="module")
def demo_site(scraped_demo: ScrapedDemo, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[DemoSite]:
    yield from build_and_serve(scraped_demo.root, tmp_path_factory.mktemp("demo-site"))


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo thread plus a post whose HTML tries every trick, scraped over HTTP."""
    archive = tmp_path_factory.mktemp("hostile-archive")
    with DemoForum(extra_posts=[SeedPost(content_html=HOSTILE_HTML)]) as forum:
        assert main(["scrape", forum.thread_url, "--archive", str(archive),
                     "--delay", "0.01"]) == 0
    yield from build_and_serve(archive, tmp_path_factory.mktemp("hostile-site"))


def test_thread_page_shows_every_post_right_to_left_with_images(
    demo_site: DemoSite, tab: Tab
) -> None:
    tab.page.goto(demo_site.base_url + demo_site.thread_path)
    ids = tab.page.eval_on_selector_all(".post-author[id]", "nodes => nodes.map(n => n.id)")
    assert ids == [f"post-{p['id']}" for p in EXPECTED["posts"]]
    directions = tab.page.eval_on_selector_all(
        ".post-body", "nodes => nodes.map(n => getComputedStyle(n).direction)")
    assert directions == ["rtl"] * len(EXPECTED["posts"])
    assert tab.page.evaluate("document.documentElement.dir") == "rtl"
    widths = scroll_images_in(tab.page)
    images = sum(p["inline_images"] + len(p["attachments"]) for p in EXPECTED["posts"])
    avatars = sum(1 for p in EXPECTED["posts"] if p["author_avatar"])  # uploaded, archived
    assert len(widths) == images + avatars
    assert all(width > 0 for width in widths)


@pytest.mark.parametrize(
    ("query", "post_index"),
    # Post #1 has "والمغرب" (and "المغربي"); the tweet in post #5 has "מרוקו" and "Gantz".
    [("المغرب", 0), ("מרוקו", 4), ("Gantz", 4)],
    ids=["arabic", "hebrew", "english"],
)
def test_search_lands_on_the_post(
    demo_site: DemoSite, tab: Tab, query: str, post_index: int
) -> None:
    post_id = EXPECTED["posts"][post_index]["id"]
    tab.page.goto(demo_site.base_url + "index.html")
    tab.page.fill(".search-input", query)
    hit = tab.page.locator(f'a.search-hit[href$="#post-{post_id}"]')
    hit.first.wait_for()
    hit.first.click()
    tab.page.wait_for_url(re.compile(rf"#post-{post_id}$"))
    assert tab.page.locator(":target").get_attribute("id") == f"post-{post_id}"


def test_hostile_post_runs_nothing(hostile_site: DemoSite, tab: Tab) -> None:
    tab.page.goto(hostile_site.base_url + hostile_site.thread_path)
    hostile = tab.page.locator(".post-body", has_text="منشور عدائي")
    hostile.scroll_into_view_if_needed()
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"
    assert hostile.locator("script, iframe, svg, [onerror], [onload], [style]").count() == 0
    assert hostile.locator('a[href^="javascript:"]').count() == 0
