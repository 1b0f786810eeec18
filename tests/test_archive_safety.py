"""Re-runs never lose what an earlier run archived: failures, edits, growth, deletions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.cli import main
from scraper.demo_forum import DemoForum, SeedPost

from .conftest import html_server


def snapshot(archive: Path) -> dict[str, str]:
    """SHA-256 of every archived file except the WARC files (a failed run may add one)."""
    return {
        path.relative_to(archive).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(archive.rglob("*"))
        if path.is_file() and "warc" not in path.parts
    }


def scrape(url: str, archive: Path) -> int:
    return main(["scrape", url, "--archive", str(archive), "--delay", "0.01",
                 "--max-retries", "0", "--timeout", "5"])


@pytest.mark.parametrize(
    ("make_forum", "exit_code"),
    [
        (None, 4),  # the board is gone: unreachable
        (lambda port: DemoForum(port=port, robots_txt="User-agent: *\nDisallow: /\n"), 3),
    ],
    ids=["host-down", "robots-now-disallows"],
)
def test_failed_rerun_keeps_the_archive_intact(
    tmp_path: Path, make_forum: Callable[[int], DemoForum] | None, exit_code: int
) -> None:
    with DemoForum() as forum:
        url, port = forum.thread_url, int(forum.base_url.rsplit(":", 1)[1])
        assert scrape(url, tmp_path) == 0
    before = snapshot(tmp_path)
    assert any(name.endswith("thread.json") for name in before)

    if make_forum is None:
        assert scrape(url, tmp_path) == exit_code
    else:
        with make_forum(port):
            assert scrape(url, tmp_path) == exit_code
    assert snapshot(tmp_path) == before
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith((".tmp", ".part"))]
    assert leftovers == []


def test_growth_edits_and_vanished_posts_keep_everything(tmp_path: Path) -> None:
    def forum_with(port: int, *extra: str) -> DemoForum:
        posts = [SeedPost(post_id=990001 + i, content_html=html) for i, html in enumerate(extra)]
        return DemoForum(port=port, extra_posts=posts)

    with forum_with(0, "<p>النسخة الأولى</p>") as forum:
        url, port = forum.thread_url, int(forum.base_url.rsplit(":", 1)[1])
        assert scrape(url, tmp_path) == 0
    with forum_with(port, "<p>النسخة الثانية</p>", "<p>مشاركة جديدة</p>"):
        assert scrape(url, tmp_path) == 0
    with forum_with(port):  # both extra posts vanished upstream
        assert scrape(url, tmp_path) == 0

    (thread,) = ThreadArchive(tmp_path).threads()
    posts = {p.id: p for p in thread.posts}
    assert len(posts) == 10
    edited = posts["990001"]
    assert "النسخة الثانية" in edited.content_html
    assert [r.content_text for r in edited.revisions] == ["النسخة الأولى"]
    assert "مشاركة جديدة" in posts["990002"].content_text
    assert [r["new_posts"] for r in thread.runs] == [9, 1, 0]
    assert [r["changed_posts"] for r in thread.runs] == [0, 1, 0]
    assert [r["removed_posts"] for r in thread.runs] == [0, 0, 2]
    gone = [p for p in thread.posts if p.removed_upstream_at]
    assert [p.id for p in gone] == ["990001", "990002"]
    assert gone[0].removed_upstream_at == thread.runs[-1]["finished_at"]

    output = tmp_path / "site"
    assert main(["build", "--archive", str(tmp_path), "--output", str(output)]) == 0
    page = (output / "threads" / thread.key / "index.html").read_text("utf-8")
    assert page.count('class="post-removed"') == 2
    assert main(["verify", "--archive", str(tmp_path)]) == 0


def test_thread_deleted_upstream_is_marked_unavailable_and_kept(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with DemoForum() as forum:
        url, port = forum.thread_url, int(forum.base_url.rsplit(":", 1)[1])
        assert scrape(url, archive) == 0
    # The board has deleted the thread: everything answers 404, robots.txt too.
    with html_server(lambda path: (404, b"<html><body>Thread not found.</body></html>"), port):
        assert scrape(url, archive) == 4
    (thread,) = ThreadArchive(archive).threads()
    assert thread.unavailable_since is not None and "404" in thread.unavailable_reason
    assert len(thread.posts) == 8 and "404" in thread.runs[-1]["unavailable"]
    output = tmp_path / "site"
    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    assert 'class="thread-gone"' in (output / "threads" / thread.key / "index.html").read_text()
    assert main(["verify", "--archive", str(archive)]) == 0

    with DemoForum(port=port):  # the board restored it
        assert scrape(url, archive) == 0
    (thread,) = ThreadArchive(archive).threads()
    assert thread.unavailable_since is None
