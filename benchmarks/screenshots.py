"""Screenshots of the demo mirror at desktop and phone widths, for docs/ and for a person.

Usage: .venv/bin/python -m benchmarks.screenshots [OUT_DIR]   (default: docs/screenshots)

Scrapes the demo forum into a temporary archive, builds the site with 3 posts a page (so
pagination shows), serves it on 127.0.0.1 and photographs the pages a reader sees first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from scraper.archive import ThreadArchive
from scraper.demo_forum import DemoForum
from scraper.fetch import FetchSettings, PoliteClient
from scraper.scrape import scrape_thread
from scraper.serve import serve_directory
from scraper.site.build import build_site
from tests.archive_factory import settings_file
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def build_demo_site(root: Path) -> tuple[Path, str]:
    """The demo thread scraped and built; returns (site folder, thread key)."""
    archive = ThreadArchive(root / "archive")
    settings = FetchSettings(delay=0.0, allow_private_addresses=True)
    with DemoForum() as forum, PoliteClient(settings) as client:
        summary = scrape_thread(forum.thread_url, archive, client)
    output = root / "site"
    build_site(archive.root, output, settings_file(root, THREAD_POSTS_PER_PAGE=5))
    return output, summary.key


def shoot(page: Page, url: str, path: Path, *, full_page: bool = False) -> None:
    page.goto(url, wait_until="networkidle")
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page)
    print(path)


def main() -> None:
    """Write the screenshots and print their paths."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        site, key = build_demo_site(Path(folder))
        with serve_directory(site, 0) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            thread = f"{base}threads/{key}/index.html"
            for name, (width, height) in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                shoot(page, thread, out / f"thread-{name}.png", full_page=True)
                shoot(page, thread, out / f"thread-{name}-first-screen.png")
                shoot(page, f"{base}index.html", out / f"index-{name}.png")
                shoot(page, f"{base}search.html?q=والمغرب", out / f"search-{name}.png")
                page.close()
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            shoot(page, f"{base}threads/{key}/page-2.html", out / "thread-page-2-desktop.png")
            page.locator(".post-attachments a").first.click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(out / "lightbox-desktop.png"))
            print(out / "lightbox-desktop.png")
            browser.close()


if __name__ == "__main__":
    main()
