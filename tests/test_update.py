"""`forum-mirror update`: cheap re-checks, growth, the archive lock, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scraper.archive import ThreadArchive
from scraper.cli import EXIT_PARTIAL_FAILURE, EXIT_TOTAL_FAILURE, main
from scraper.demo_forum import DemoForum, SeedPost
from scraper.lock import archive_lock

from .conftest import ScrapedDemo


def extra_posts(count: int) -> list[SeedPost]:
    return [SeedPost(post_id=990001 + i, content_html=f"<p>مشاركة رقم {i}</p>")
            for i in range(count)]


def forum_port(forum: DemoForum) -> int:
    return int(forum.base_url.rsplit(":", 1)[1])


def run(*args: str) -> int:
    return main([*args, "--delay", "0", "--max-retries", "0", "--timeout", "5"])


def test_unchanged_50_page_thread_costs_one_page_request(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=1, extra_posts=extra_posts(42)) as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        (thread,) = ThreadArchive(tmp_path).threads()
        assert len(thread.pages) == 50
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path)) == 0
        seen = [r.path for r in forum.requests[before:]]
    assert seen == ["/robots.txt", urlsplit(forum.thread_url).path + "page-50"]
    (thread,) = ThreadArchive(tmp_path).threads()
    assert len(thread.posts) == 50 and len(thread.runs) == 2


def test_growth_fetches_the_last_known_page_and_the_new_ones(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=5, extra_posts=extra_posts(2)) as forum:  # 10 posts, 2 pages
        url, port = forum.thread_url, forum_port(forum)
        assert run("scrape", url, "--archive", str(tmp_path)) == 0
    with DemoForum(port=port, posts_per_page=5, extra_posts=extra_posts(9)) as forum:  # 4 pages
        before = len(forum.requests)
        assert run("update", url, "--archive", str(tmp_path)) == 0
        pages = [r.path.rsplit("/", 1)[1] for r in forum.requests[before:]
                 if r.path.startswith("/threads/")]
    assert pages == ["page-2", "page-3", "page-4"]
    (thread,) = ThreadArchive(tmp_path).threads()
    assert [p.position for p in thread.posts] == list(range(1, 18))
    assert thread.runs[-1]["new_posts"] == 7


def test_update_waits_for_no_one_while_another_run_holds_the_lock(
    scraped_demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with archive_lock(scraped_demo_copy):
        assert run("update", "--archive", str(scraped_demo_copy)) == 9
    assert "another forum-mirror run" in capsys.readouterr().err
    assert run("update", "--archive", str(scraped_demo_copy)) == 0  # released


def test_update_with_build_rebuilds_the_site_when_posts_arrive(tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    with DemoForum() as forum:
        url, port = forum.thread_url, forum_port(forum)
        assert run("scrape", url, "--archive", str(archive)) == 0
    with DemoForum(port=port, extra_posts=extra_posts(1)):
        assert run("update", "--archive", str(archive), "--build", "--output", str(output)) == 0
    page = next(output.glob("threads/*/page-*.html"), None) or next(
        output.glob("threads/*/index.html"))
    assert "990001" in "".join(p.read_text("utf-8") for p in page.parent.glob("*.html"))


def test_exit_codes_for_partial_and_total_failure(tmp_path: Path) -> None:
    with DemoForum() as first, DemoForum() as second:
        assert run("scrape", first.thread_url, second.thread_url, "--archive",
                   str(tmp_path)) == 0
        second.stop()
        assert run("update", "--archive", str(tmp_path)) == EXIT_PARTIAL_FAILURE
    assert run("update", "--archive", str(tmp_path)) == EXIT_TOTAL_FAILURE
    for thread_json in tmp_path.glob("threads/*/thread.json"):
        assert len(json.loads(thread_json.read_text("utf-8"))["posts"]) == 8  # nothing lost


@pytest.fixture
def scraped_demo_copy(scraped_demo: ScrapedDemo, tmp_path: Path) -> Path:
    copy = tmp_path / "archive"
    shutil.copytree(scraped_demo.root, copy)
    return copy
