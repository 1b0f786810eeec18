"""A thread page of 50 realistic posts stays light: HTML, CSS and JS within 150 KB.

Measured in Chromium from what the page actually loads (responses by resource type), as
bytes over the wire from the mirror's own server, which compresses text as static hosts do
(`scraper/serve.py`); images left out, and nothing of the search index, which loads only
when one searches. The decoded sizes are printed by `benchmarks/page_weight.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response

from scraper.site.build import build_site

from .archive_factory import build_thread_archive, seed_like_posts, settings_file
from .conftest import Tab, serve_directory

pytestmark = pytest.mark.browser

BUDGET = 150 * 1024
POSTS = 50
# What is weighed: the page, its style sheets and scripts; fonts too, were there any.
WEIGHED = {"document": "html", "stylesheet": "css", "script": "js", "font": "font"}


@dataclass
class Weight:
    by_kind: dict[str, int]  # bytes over the wire, by kind
    files: list[tuple[str, str, int, int]]  # (kind, url, decoded bytes, bytes over the wire)
    images: int  # how many image responses (not weighed)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def weigh(page: Page, url: str) -> Weight:
    """Open `url`, scroll to its end (lazy images load) and weigh what it loaded."""
    responses: list[Response] = []

    def record(response: Response) -> None:
        responses.append(response)

    page.on("response", record)
    page.goto(url, wait_until="networkidle")
    height = page.evaluate("document.documentElement.scrollHeight")
    for top in range(0, height + 900, 900):
        page.evaluate("y => window.scrollTo(0, y)", top)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", record)
    by_kind = dict.fromkeys(WEIGHED.values(), 0)
    files: list[tuple[str, str, int, int]] = []
    images = 0
    for response in responses:
        kind = response.request.resource_type
        # The favicon is fetched as "other", yet it is an image like the rest.
        if kind == "image" or response.headers.get("content-type", "").startswith("image/"):
            images += 1
            continue
        assert "/search/" not in response.url, f"search index loaded without a search: {url}"
        assert kind in WEIGHED, f"unexpected {kind} response: {response.url}"
        decoded = len(response.body())
        sent = response.request.sizes()["responseBodySize"]
        assert sent > 0, f"nothing measured for {response.url}"
        by_kind[WEIGHED[kind]] += sent
        files.append((WEIGHED[kind], response.url, decoded, sent))
    return Weight(by_kind, files, images)


@dataclass
class WeightSite:
    output: Path
    base_url: str
    key: str


def build_weight_site(root: Path) -> tuple[Path, str]:
    """A thread of 50 seed-like posts on one page, built; returns (output, thread key)."""
    fixture, _ = build_thread_archive(root / "archive", seed_like_posts(POSTS))
    output = root / "output"
    build_site(fixture.root, output, settings_file(root, THREAD_POSTS_PER_PAGE=POSTS))
    return output, fixture.key


@pytest.fixture(scope="module")
def weight_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeightSite]:
    output, key = build_weight_site(tmp_path_factory.mktemp("weight-site"))
    with serve_directory(output, 0) as base_url:
        yield WeightSite(output, base_url, key)


def test_a_page_of_50_posts_weighs_at_most_150_kb(weight_site: WeightSite, tab: Tab) -> None:
    url = f"{weight_site.base_url}threads/{weight_site.key}/index.html"
    weight = weigh(tab.page, url)
    assert tab.page.locator("article.post").count() == POSTS
    assert weight.images > 0  # the images did load (and were left out of the weight)
    decoded_html = sum(size for kind, _, size, _ in weight.files if kind == "html")
    assert decoded_html > 50 * 1024  # 50 real posts, not an empty page
    assert weight.by_kind["css"] > 0 and weight.by_kind["js"] > 0
    assert weight.total <= BUDGET, (
        f"{weight.total / 1024:.1f} KB > {BUDGET / 1024:.0f} KB: "
        + ", ".join(f"{kind} {size / 1024:.1f} KB" for kind, size in weight.by_kind.items())
    )
