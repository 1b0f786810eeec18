"""`update` finds edits on every page: besides the last page it reads the least recently read
earlier ones again (`--revisit`, `revisit`), or every page (`--full`), conditionally, and an
unchanged revisit leaves the thread's folder as it was."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from urllib.parse import urlsplit

from scraper.archive import ThreadArchive
from scraper.cli import main
from scraper.demo_forum import DemoForum
from scraper.thread_state import ThreadStates
from tests.test_update_state import run, tree_digests


def edited(forum: DemoForum, index: int, html: str) -> None:
    """The board's post at `index` edited (before the board starts answering)."""
    posts = list(forum.thread.posts)
    posts[index] = dataclasses.replace(posts[index], content_html=html)
    forum.thread = dataclasses.replace(forum.thread, posts=tuple(posts))


def page_paths(forum: DemoForum, since: int) -> list[str]:
    return [r.path for r in forum.requests[since:] if r.path.startswith("/threads/")]


def test_an_edit_on_page_1_of_a_3_page_thread_is_archived_by_the_next_default_update(
    tmp_path: Path,
) -> None:
    with DemoForum(posts_per_page=3) as forum:  # 8 posts: 3 pages
        port, url = forum.base_url.rsplit(":", 1)[1], forum.thread_url
        assert run("scrape", url, "--archive", str(tmp_path)) == 0
    board = DemoForum(port=int(port), posts_per_page=3)
    edited(board, 0, "<p>نص معدل بعد الأرشفة</p>")
    with board:
        assert run("update", "--archive", str(tmp_path)) == 0
        seen = [r.path for r in board.requests]
    path = urlsplit(url).path
    assert seen == ["/robots.txt", path + "page-3", path, path + "page-2"]
    (thread,) = ThreadArchive(tmp_path).threads()
    first = thread.posts[0]
    assert "نص معدل بعد الأرشفة" in first.content_html
    assert len(first.revisions) == 1 and "معدل" not in first.revisions[0].content_html
    assert thread.runs[-1]["changed_posts"] == 1 and len(thread.runs) == 2
    # The new capture of page 1 is the run's answer, in the run's WARC file, at its offset.
    capture = thread.pages[0].capture
    assert capture.warc_file.startswith("runs/") and capture.warc_offset is not None
    assert first.warc_file == capture.warc_file
    assert main(["verify", "--archive", str(tmp_path)]) == 0


def test_every_page_is_read_again_within_ceil_pages_over_revisit_runs_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    with DemoForum(posts_per_page=1) as forum:  # 8 pages
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        folder = tree_digests(tmp_path / "threads")
        path = urlsplit(forum.thread_url).path
        every_page = {path, *(f"{path}page-{n}" for n in range(2, 9))}
        read: set[str] = set()
        runs = math.ceil(8 / 2)
        for _ in range(runs):
            before = len(forum.requests)
            assert run("update", "--archive", str(tmp_path), "--revisit", "2") == 0
            asked = page_paths(forum, before)
            assert len(asked) == 3  # the last page and 2 revisits, however long the thread
            read.update(asked)
        statuses = [json.loads(p.read_text("utf-8"))["threads"][0]["status"]
                    for p in sorted((tmp_path / "runs").glob("*.json"))]
    assert read == every_page
    assert statuses == [304] * runs
    assert tree_digests(tmp_path / "threads") == folder  # 304s: the folder as it was


def test_revisit_0_asks_for_the_last_page_only_and_the_config_sets_it(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=1) as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path), "--revisit", "0") == 0
        assert len(page_paths(forum, before)) == 1
        host = urlsplit(forum.base_url).netloc
        (tmp_path / "forum-mirror.toml").write_text(f'[forums."{host}"]\nrevisit = 5\n', "utf-8")
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path)) == 0
        assert len(page_paths(forum, before)) == 6


def test_full_reads_every_page_again_and_finds_an_edit_anywhere(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=2) as forum:  # 4 pages
        port, url = forum.base_url.rsplit(":", 1)[1], forum.thread_url
        assert run("scrape", url, "--archive", str(tmp_path)) == 0
        folder = tree_digests(tmp_path / "threads")
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path), "--full") == 0
        assert len(page_paths(forum, before)) == 4  # every page, each a 304
    assert tree_digests(tmp_path / "threads") == folder
    board = DemoForum(port=int(port), posts_per_page=2)
    edited(board, 2, "<p>تعديل في الصفحة الثانية</p>")  # page 2
    with board:
        assert run("update", "--archive", str(tmp_path), "--full") == 0
        assert len(page_paths(board, 0)) == 4
    (thread,) = ThreadArchive(tmp_path).threads()
    assert thread.runs[-1]["changed_posts"] == 1 and thread.runs[-1]["pages"] == 4
    assert "تعديل في الصفحة الثانية" in thread.posts[2].content_html
    assert not any(p.removed_upstream_at for p in thread.posts)
    # Every earlier page was read in this run, and the state knows it.
    state = ThreadStates(ThreadArchive(tmp_path)).fresh(thread.key)
    assert state is not None and len(state.pages) == 4
    assert all(p.read_at > thread.runs[0]["finished_at"] for p in state.pages[:3])
    assert main(["verify", "--archive", str(tmp_path)]) == 0
