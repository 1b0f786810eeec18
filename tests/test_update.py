"""`forum-mirror update`: cheap re-checks, growth, the archive lock, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

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


def test_unchanged_50_page_thread_costs_robots_txt_and_3_page_requests(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=1, extra_posts=extra_posts(42)) as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        (thread,) = ThreadArchive(tmp_path).threads()
        assert len(thread.pages) == 50
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path)) == 0
        seen = [r.path for r in forum.requests[before:]]
    path = urlsplit(forum.thread_url).path
    # The last page, and the two least recently read earlier ones (revisits).
    assert seen == ["/robots.txt", path + "page-50", path, path + "page-2"]
    (thread,) = ThreadArchive(tmp_path).threads()
    assert len(thread.posts) == 50 and len(thread.runs) == 1  # the update changed nothing


def test_growth_fetches_the_last_known_page_and_the_new_ones(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=5, extra_posts=extra_posts(2)) as forum:  # 10 posts, 2 pages
        url, port = forum.thread_url, forum_port(forum)
        assert run("scrape", url, "--archive", str(tmp_path)) == 0
    with DemoForum(port=port, posts_per_page=5, extra_posts=extra_posts(9)) as forum:  # 4 pages
        before = len(forum.requests)
        assert run("update", url, "--archive", str(tmp_path)) == 0
        pages = [r.path.rsplit("/", 1)[1] for r in forum.requests[before:]
                 if r.path.startswith("/threads/")]
    assert pages == ["page-2", "", "page-3", "page-4"]  # "": page 1, revisited
    (thread,) = ThreadArchive(tmp_path).threads()
    assert [p.position for p in thread.posts] == list(range(1, 18))
    assert thread.runs[-1]["new_posts"] == 7


def test_update_waits_for_no_one_while_another_run_holds_the_lock(
    scraped_demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with archive_lock(scraped_demo_copy, exclusive=True):  # a whole-archive operation
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


def test_a_moved_thread_is_followed_recorded_and_then_asked_at_its_new_url(
    tmp_path: Path,
) -> None:
    with DemoForum(posts_per_page=5) as forum:
        old_url = forum.thread_url
        assert run("scrape", old_url, "--archive", str(tmp_path)) == 0
        forum.move_thread(5000, "new-title")
        assert run("update", "--archive", str(tmp_path)) == 0
        assert run("update", "--archive", str(tmp_path)) == 0
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path)) == 0
        last_run = [r.path for r in forum.requests[before:]]
        new_url = forum.thread_url
        assert run("update", new_url, "--archive", str(tmp_path)) == 0  # named by its new URL
    (folder,) = tmp_path.glob("threads/*/thread.json")  # still one thread, in its folder
    data = json.loads(folder.read_text("utf-8"))
    (move,) = data["moves"]
    assert move["from_url"].startswith(old_url) and move["to_url"].startswith(new_url)
    assert move["status"] == 301 and move["detected_at"]
    assert data["thread"]["url"] == new_url and len(data["posts"]) == 8
    # No old URL, no 301: the last page and the revisited first one at the new address.
    assert last_run == ["/robots.txt", "/threads/new-title.5000/page-2",
                        "/threads/new-title.5000/"]
    assert main(["verify", "--archive", str(tmp_path)]) == 0
    # The mirror says so, and links the thread's new address.
    site = tmp_path / "site"
    assert main(["build", "--archive", str(tmp_path), "--output", str(site)]) == 0
    (first_page,) = site.glob("threads/*/index.html")
    notice = LexborHTMLParser(first_page.read_text("utf-8")).css_first(".thread-moved")
    assert notice is not None and notice.css_first("a").attrs["href"] == new_url
    assert notice.css_first("time").attrs["datetime"] == move["detected_at"]


def test_log_json_lines_end_with_the_summary(tmp_path: Path) -> None:
    archive, log = tmp_path / "archive", tmp_path / "logs" / "update.jsonl"
    with DemoForum() as forum:
        url, port = forum.thread_url, forum_port(forum)
        assert run("scrape", url, "--archive", str(archive), "--log-json", str(log)) == 0
    with DemoForum(port=port, extra_posts=extra_posts(3)) as forum:
        assert run("update", "--archive", str(archive), "--log-json", str(log)) == 0
        requests = len(forum.requests)
    entries = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert all({"time", "level", "event", "message"} <= set(e) for e in entries)
    scrape_end = next(i for i, e in enumerate(entries) if e["event"] == "summary")
    (checked,) = [e for e in entries[scrape_end:] if e["event"] == "thread_checked"]
    assert checked["url"] == url and checked["new_posts"] == 3
    summary = entries[-1]
    assert summary["event"] == "summary" and summary["command"] == "update"
    assert summary["threads_checked"] == 1 and summary["new_posts"] == 3
    assert summary["edited_posts"] == summary["removed_posts"] == summary["threads_failed"] == 0
    assert summary["requests"] == requests and summary["bytes"] > 0
    assert summary["exit_code"] == 0 and summary["seconds"] >= 0


def test_log_json_reports_failures_with_the_exit_code(tmp_path: Path) -> None:
    archive, log = tmp_path / "archive", tmp_path / "update.jsonl"
    with DemoForum() as forum:
        assert run("scrape", forum.thread_url, "--archive", str(archive)) == 0
    assert run("update", "--archive", str(archive), "--log-json", str(log)) == EXIT_TOTAL_FAILURE
    entries = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    (failed,) = [e for e in entries if e["event"] == "thread_failed"]
    assert failed["level"] == "error" and failed["exit_code"] == 4
    assert entries[-1]["event"] == "summary" and entries[-1]["exit_code"] == EXIT_TOTAL_FAILURE
    assert entries[-1]["threads_failed"] == 1
