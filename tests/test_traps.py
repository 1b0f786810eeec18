"""Crawler traps (reply forms, logins, print views, next-topic links) are never requested."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.engine_parse import fixture_pages
from scraper.cli import main
from scraper.demo_forum import SEED_THREAD, pages
from scraper.engines import ENGINES
from scraper.engines.traps import crawler_trap

from .fetch_server import FetchServer, Reply

PAGE_1 = pages.thread_path(SEED_THREAD, 1)
PAGE_2 = pages.thread_path(SEED_THREAD, 2)


@pytest.mark.parametrize("url", [
    "https://f.example/posting.php?mode=reply&t=2",
    "https://f.example/newreply.php?do=newreply&noquote=1&p=5",
    "https://f.example/index.php?action=post;topic=3.0",
    "https://f.example/threads/t.1/reply",
    "https://f.example/posts/12/edit",
    "https://f.example/misc.php?do=whoposted&t=9",
    "https://f.example/ucp.php?mode=login",
    "https://f.example/member.php?action=register",
    "https://f.example/login/",
    "https://f.example/private.php?do=newpm&u=3",
    "https://f.example/printthread.php?t=9",
    "https://f.example/viewtopic.php?t=2&view=print",
    "https://f.example/viewtopic.php?f=2&t=2&view=next",
    "https://f.example/showthread.php?t=9&goto=nextnewest",
    "https://f.example/viewtopic.php?t=2&highlight=%D8%A7",
    "https://f.example/report.php?p=9",
])
def test_forms_actions_and_endless_variants_are_traps(url: str) -> None:
    assert crawler_trap(url) is not None


@pytest.mark.parametrize("url", [
    "https://f.example/viewtopic.php?t=2&start=4",
    "https://f.example/showthread.php?tid=1&page=2",
    "https://f.example/showpost.php?p=5",
    "https://f.example/index.php?topic=3.20",
    "https://f.example/threads/edit-wars-explained.77/page-2",
    "https://f.example/download/file.php?id=3",
    "https://f.example/attachment.php?aid=4",
    "https://f.example/index.php?action=dlattach;topic=3.0;attach=7",
    "https://f.example/topic/12-printers/page/2/",
])
def test_thread_pages_and_attachments_are_not(url: str) -> None:
    assert crawler_trap(url) is None


def test_no_fixture_page_of_any_engine_leads_to_a_trap() -> None:
    """What every engine asks for on its real pages (next pages, files) passes."""
    asked = []
    for engine_class in ENGINES:
        engine = engine_class()
        for _, html in fixture_pages(engine):  # the pages the parse benchmark reads
            page = engine.parse_page(html, engine.example)
            asked += [page.next_url] if page.next_url else []
            asked += [ref.url for post in page.posts for ref in post.assets]
    assert len(asked) > 20
    assert [url for url in asked if crawler_trap(url)] == []


def test_a_next_link_or_an_image_that_is_a_trap_is_never_requested(tmp_path: Path) -> None:
    trap_next = "/posting.php?mode=reply&t=2741"
    trap_image = "/misc.php?do=whoposted&t=2741"
    with FetchServer() as board:
        page_1 = pages.render_thread_page(1, base_url=board.origin).replace(
            f'<a href="{PAGE_2}" class="pageNav-jump pageNav-jump--next">',
            f'<a href="{trap_next}" class="pageNav-jump pageNav-jump--next">').replace(
            '<div class="bbWrapper">',
            f'<div class="bbWrapper"><img class="bbImage" src="{trap_image}" alt="who.png">', 1)
        assert trap_next in page_1 and trap_image in page_1
        board.route("/robots.txt", Reply(404))
        board.route(PAGE_1, Reply(200, page_1.encode(),
                                  [("Content-Type", "text/html; charset=utf-8")]))
        code = main(["scrape", board.url(PAGE_1), "--archive", str(tmp_path), "--delay", "0",
                     "--max-retries", "0"])
        asked = [request.path for request in board.requests]
    assert code == 5  # the pages read are kept; the thread is marked incomplete
    assert trap_next not in asked and trap_image not in asked
    (path,) = (tmp_path / "threads").glob("*/thread.json")
    thread_json = json.loads(path.read_text("utf-8"))
    assert "reply or new-thread form" in thread_json["incomplete"]["reason"]
    assert [p["number"] for p in thread_json["pages"]] == [1]
