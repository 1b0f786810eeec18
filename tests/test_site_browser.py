"""The built site in headless Chromium: direction, images, search, safety, file:// browsing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scraper.site.build import build_site

from .archive_factory import FixtureArchive, build_fixture_archive
from .conftest import Tab, scroll_images_in, serve_directory

pytestmark = pytest.mark.browser

@dataclass
class Site:
    fixture: FixtureArchive
    output: Path
    base_url: str  # http://127.0.0.1:<port>/

    def thread_url(self, name: str = "index.html") -> str:
        return f"{self.base_url}threads/{self.fixture.key}/{name}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser-site")
    fixture = build_fixture_archive(root / "archive")
    output = root / "output"
    build_site(fixture.root, output)
    with serve_directory(output, 0) as base_url:
        yield Site(fixture, output, base_url)


def test_thread_page_reads_right_to_left(site: Site, tab: Tab) -> None:
    tab.page.goto(site.thread_url())
    directions = tab.page.eval_on_selector_all(
        ".post, .post-body", "nodes => nodes.map(n => getComputedStyle(n).direction)"
    )
    assert len(directions) == 40
    assert set(directions) == {"rtl"}
    tab.page.goto(site.thread_url("page-2.html"))
    card = tab.page.locator("figure.embed")
    assert card.evaluate("n => [getComputedStyle(n).direction, n.lang]") == ["rtl", "he"]


def test_images_load_from_the_archive(site: Site, tab: Tab) -> None:
    tab.page.goto(site.thread_url())
    widths = scroll_images_in(tab.page)
    assert len(widths) == 2 and all(width > 0 for width in widths)


@pytest.mark.parametrize(
    ("query", "role", "start"),
    [
        ("المغرب", "wal_maghrib", ""),
        ("מרוקו", "hebrew", "threads/forum.example-2741/index.html"),
        ("Gantz", "hebrew", "threads/forum.example-2741/page-2.html"),
    ],
)
def test_search_finds_and_opens_the_post(
    site: Site, tab: Tab, query: str, role: str, start: str
) -> None:
    post_id = site.fixture.post_id(role)
    page_file = "index.html" if site.fixture.post_ids.index(post_id) < 20 else "page-2.html"
    tab.page.goto(site.base_url + (start or "index.html"))
    tab.page.fill(".search-input", query)
    hit = tab.page.locator(f'a.search-hit[href$="#post-{post_id}"]')
    hit.wait_for()
    hit.click()
    tab.page.wait_for_url(re.compile(rf"/threads/{site.fixture.key}/{page_file}#post-{post_id}$"))
    target = tab.page.locator(":target")
    assert target.get_attribute("id") == f"post-{post_id}"
    assert target.is_visible()
    assert target.evaluate("n => n.getBoundingClientRect().top >= 0")


def test_hostile_post_runs_nothing(site: Site, tab: Tab) -> None:
    tab.page.goto(site.thread_url() + f"#post-{site.fixture.post_id('hostile')}")
    tab.page.locator(".fm-missing-image").first.scroll_into_view_if_needed()
    tab.page.wait_for_timeout(200)
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"
    assert tab.page.locator(".posts script, .posts iframe, .posts svg").count() == 0


def test_pages_browse_from_file_urls(site: Site, tab: Tab) -> None:
    page = tab.page
    page.goto((site.output / "index.html").as_uri())
    page.locator(".thread-item-title a").click()
    page.wait_for_url(re.compile(rf"/threads/{site.fixture.key}/index\.html$"))
    assert all(width > 0 for width in scroll_images_in(page))
    page.locator("a[rel=next]").first.click()
    page.wait_for_url(re.compile(r"/page-2\.html$"))
    quoted = site.fixture.post_id("quoted")
    page.locator(f'.fm-quote-title a[href="index.html#post-{quoted}"]').click()
    page.wait_for_url(re.compile(rf"/index\.html#post-{quoted}$"))
    page.locator(".site-name").click()
    page.wait_for_url(re.compile(r"/index\.html$"))
    assert page.locator(".thread-item").count() == 1
    # Pagefind cannot run from file://: the box searches the offline index instead.
    page.fill(".search-input", "היחסים מרוקו")
    hit = page.locator(f'a.search-hit[href$="#post-{site.fixture.post_id("hebrew")}"]')
    hit.wait_for()
    assert all(url.startswith("file://") for url in tab.requests)
