"""Archived images: width and height from the file itself, lazy loading, no layout shift."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Route
from selectolax.lexbor import LexborHTMLParser

from scraper.site.build import build_site
from scraper.site.imagesize import ImageSize, image_size, thread_image_sizes

from .archive_factory import (
    ImageSpec,
    PostSpec,
    StoredImage,
    build_thread_archive,
    image_bytes,
)
from .conftest import Tab, serve_directory

TEXT = "صورة من الزيارة الرسمية إلى الرباط، والتفاصيل في المقال أدناه. " * 6
# Records the page's layout shifts from its very first paint on.
OBSERVE_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shifts.push(entry.value);
  }
}).observe({ type: "layout-shift", buffered: true });
"""


def _posts() -> list[PostSpec]:
    return [
        PostSpec("atlas_eagle", TEXT, images=[ImageSpec("top.jpg", 800, 500, inline=True)]),
        PostSpec(
            "المرابط",
            TEXT,
            images=[
                ImageSpec("wide.png", 640, 480, (20, 160, 90), "PNG"),
                ImageSpec("tall.jpg", 300, 900, (160, 20, 90)),
            ],
        ),
        PostSpec("FAR_Observer", TEXT),
        PostSpec("atlas_eagle", TEXT, images=[ImageSpec("band.jpg", 1200, 300, inline=True)]),
        PostSpec("المرابط", TEXT, images=[ImageSpec("top.jpg", 800, 500, inline=True)]),
    ]


@dataclass
class ImageSite:
    output: Path
    base_url: str
    key: str
    images: list[StoredImage]


@pytest.fixture(scope="module")
def image_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageSite]:
    root = tmp_path_factory.mktemp("image-site")
    fixture, images = build_thread_archive(root / "archive", _posts())
    output = root / "output"
    build_site(fixture.root, output)
    with serve_directory(output, 0) as base_url:
        yield ImageSite(output, base_url, fixture.key, images)


def test_image_size_reads_the_file_and_caches_it_by_digest(tmp_path: Path) -> None:
    data = image_bytes(ImageSpec("x.png", 37, 21, image_format="PNG"))
    path = tmp_path / "assets" / ("ab" * 32 + ".png")
    path.parent.mkdir()
    path.write_bytes(data)
    assert image_size(path) == ImageSize(37, 21)
    path.write_bytes(b"not an image any more")  # same name, so the cached size stands
    assert image_size(path) == ImageSize(37, 21)
    broken = tmp_path / "assets" / ("cd" * 32 + ".pdf")
    broken.write_bytes(b"%PDF-1.4 not an image")
    sizes = thread_image_sizes(
        tmp_path, ["assets/" + path.name, "assets/" + broken.name, "../etc/passwd"]
    )
    assert sizes == {"assets/" + path.name: ImageSize(37, 21)}


def test_built_images_carry_the_files_size_and_lazy_loading(image_site: ImageSite) -> None:
    html = (image_site.output / "threads" / image_site.key / "index.html").read_text()
    expected = {image.path: (image.width, image.height) for image in image_site.images}
    # Every <img> of the page: in post bodies (inline) and in attachment lists.
    images = LexborHTMLParser(html).css("img")
    assert len(images) == 5
    assert {image.attrs.get("src") for image in images} == set(expected)
    for image in images:
        src = image.attrs.get("src") or ""
        assert (image.attrs.get("width"), image.attrs.get("height")) == tuple(
            str(n) for n in expected[src]
        ), src
        assert image.attrs.get("loading") == "lazy", src


def _slow_images(route: Route) -> None:
    # Images arrive well after the text is laid out, as on a slow connection: any box
    # not reserved by width and height would then push the text down.
    time.sleep(0.25)
    route.continue_()


@pytest.mark.browser
def test_images_load_without_layout_shift(image_site: ImageSite, tab: Tab) -> None:
    page = tab.page
    page.add_init_script(OBSERVE_SHIFTS)
    page.route("**/assets/*", _slow_images)
    page.goto(f"{image_site.base_url}threads/{image_site.key}/index.html")
    images = page.locator("img")
    assert images.count() == 5
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        declared = image.evaluate("img => [img.getAttribute('width'), img.getAttribute('height')]")
        assert declared == [str(n) for n in natural]
        assert image.get_attribute("loading") == "lazy"
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 100)))")
    shifts = page.evaluate("() => window.__shifts")
    assert sum(shifts) < 0.01, f"layout shift {sum(shifts):.3f} from {shifts}"
