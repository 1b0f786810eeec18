"""Shared fixtures: the demo forum on 127.0.0.1, a thread scraped from it, the built site."""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import settings
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from scraper.archive import ThreadArchive
from scraper.demo_forum import DemoForum
from scraper.fetch import FetchSettings, PoliteClient
from scraper.scrape import ScrapeSummary, scrape_thread
from scraper.serve import LoopbackHTTPServer, serve_directory

from .redis_server import RedisServer

__all__ = ["serve_directory"]  # re-exported for the browser tests

# CI (CI=true) runs the same Hypothesis examples every time, so a green commit stays green; a
# developer's run draws new ones and so keeps finding what CI then holds fixed (@example).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

@contextlib.contextmanager
def html_server(answer: Callable[[str], tuple[int, bytes]], port: int = 0) -> Iterator[str]:
    """A tiny server on 127.0.0.1 whose `answer(path)` gives (status, HTML body); yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# Fast but still throttled: the delay is measured at the server in test_scrape.py.
TEST_DELAY = 0.05


@pytest.fixture(scope="session")
def demo_forum() -> Iterator[DemoForum]:
    with DemoForum() as forum:
        yield forum


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One throwaway redis-server for the session (started only by tests that ask for it)."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an empty Redis database."""
    import redis

    url = redis_server.url(0)
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@dataclass
class ScrapedDemo:
    root: Path
    archive: ThreadArchive
    summary: ScrapeSummary
    forum: DemoForum


@pytest.fixture(scope="session")
def scraped_demo(demo_forum: DemoForum, tmp_path_factory: pytest.TempPathFactory) -> ScrapedDemo:
    """The demo thread scraped once into a fresh archive (shared by read-only tests)."""
    root = tmp_path_factory.mktemp("archive")
    archive = ThreadArchive(root)
    # The demo forum listens on loopback, which the client refuses but for allowed origins.
    settings = FetchSettings(delay=TEST_DELAY,
                             allow_private_origins=frozenset({demo_forum.base_url}))
    with PoliteClient(settings) as client:
        summary = scrape_thread(demo_forum.thread_url, archive, client)
    return ScrapedDemo(root, archive, summary, demo_forum)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@dataclass
class Tab:
    """A page plus what it asked the network for and what it complained about."""

    page: Page
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A fresh page; after the test, no request may have left 127.0.0.1 or file://."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Tab(page)

    def on_request(request: Request) -> None:
        tab.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.problems.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.problems.append(str(error)))
    page.on("dialog", lambda dialog: tab.problems.append(f"dialog: {dialog.message}"))
    yield tab
    context.close()
    for url in tab.requests:
        parts = urlsplit(url)
        assert parts.scheme == "file" or parts.hostname == "127.0.0.1", url
    assert tab.problems == []


def scroll_images_in(page: Page) -> list[int]:
    """naturalWidth of every image on the page, after scrolling each into view (lazy ones)."""
    widths = []
    images = page.locator("img")
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        widths.append(image.evaluate("img => img.naturalWidth"))
    return widths
