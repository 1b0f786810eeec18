"""Shared fixtures: the demo forum on 127.0.0.1, a thread scraped from it, the built site."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.demo_forum import DemoForum
from scraper.fetch import FetchSettings, PoliteClient
from scraper.scrape import ScrapeSummary, scrape_thread

# Fast but still throttled: the delay is measured at the server in test_scrape.py.
TEST_DELAY = 0.05


@pytest.fixture(scope="session")
def demo_forum() -> Iterator[DemoForum]:
    with DemoForum() as forum:
        yield forum


@dataclass
class ScrapedDemo:
    root: Path
    archive: ThreadArchive
    summary: ScrapeSummary
    forum: DemoForum
    requests_seen: int  # requests the forum received during the scrape


@pytest.fixture(scope="session")
def scraped_demo(demo_forum: DemoForum, tmp_path_factory: pytest.TempPathFactory) -> ScrapedDemo:
    """The demo thread scraped once into a fresh archive (shared by read-only tests)."""
    root = tmp_path_factory.mktemp("archive")
    archive = ThreadArchive(root)
    before = len(demo_forum.requests)
    with PoliteClient(FetchSettings(delay=TEST_DELAY)) as client:
        summary = scrape_thread(demo_forum.thread_url, archive, client)
    return ScrapedDemo(root, archive, summary, demo_forum, len(demo_forum.requests) - before)
