"""An asset already archived under any thread (an avatar, shared by many) is not downloaded
again: the archive's asset index (state/assets/) finds it by URL, and it is hard-linked
(copied where links fail) into the new thread's folder with its original provenance."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.asset_index import AssetIndex
from scraper.cli import main
from scraper.demo_forum import DemoForum
from tests.test_update_state import run


def scrape_thread_numbered(port: int, thread_id: int, archive: Path) -> list[str]:
    """Scrape the board's thread under another id (same members, same avatar and attachment
    URLs) from a board on `port`; the paths the board was asked for."""
    board = DemoForum(port=port)
    board.thread = dataclasses.replace(board.thread, thread_id=thread_id)
    with board:
        assert run("scrape", board.thread_url, "--archive", str(archive)) == 0
        return [r.path for r in board.requests]


def test_an_avatar_shared_by_two_threads_is_downloaded_once_and_linked(tmp_path: Path) -> None:
    with DemoForum() as forum:
        port = int(forum.base_url.rsplit(":", 1)[1])
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        first_paths = [r.path for r in forum.requests]
    assert any(p.startswith("/data/avatars/") for p in first_paths)
    second_paths = scrape_thread_numbered(port, 9001, tmp_path)
    assets = [p for p in second_paths if not p.startswith(("/threads/", "/robots.txt"))]
    assert assets == []  # every avatar and attachment came from the first thread's folder

    first, second = ThreadArchive(tmp_path).threads()
    assert first.key != second.key and len(second.assets) == len(first.assets)
    by_sha = {a.sha256: a for a in first.assets}
    for asset in second.assets:
        original = by_sha[asset.sha256]
        assert asset.capture == original.capture  # provenance: the original download
        assert asset.capture.warc_file.startswith(f"threads/{first.key}/warc/")
        linked = tmp_path / "threads" / second.key / asset.path
        source = tmp_path / "threads" / first.key / original.path
        assert linked.stat().st_ino == source.stat().st_ino  # one copy of the bytes
    avatars = [p for p in second.posts if p.author.avatar_path]
    assert avatars and all(p.author.avatar_path.startswith(f"threads/{second.key}/")
                           for p in avatars)
    assert main(["verify", "--archive", str(tmp_path)]) == 0

    # An index deleted (or an archive of an earlier version) is rebuilt on the next lookup.
    shutil.rmtree(tmp_path / "state" / "assets")
    third_paths = scrape_thread_numbered(port, 9002, tmp_path)
    assert [p for p in third_paths if not p.startswith(("/threads/", "/robots.txt"))] == []
    assert (tmp_path / "state" / "assets" / "index.json").is_file()
    assert main(["verify", "--archive", str(tmp_path)]) == 0


def test_a_damaged_indexed_copy_is_not_spread_but_downloaded(tmp_path: Path) -> None:
    with DemoForum() as forum:
        port = int(forum.base_url.rsplit(":", 1)[1])
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
    (thread,) = ThreadArchive(tmp_path).threads()
    damaged = tmp_path / "threads" / thread.key / thread.assets[0].path
    damaged.write_bytes(b"not the image")
    paths = scrape_thread_numbered(port, 9001, tmp_path)
    assert len([p for p in paths if not p.startswith(("/threads/", "/robots.txt"))]) == 1
    second = ThreadArchive(tmp_path).load(f"{thread.key.rsplit('-', 1)[0]}-9001")
    assert second is not None
    fetched = next(a for a in second.assets if a.sha256 == thread.assets[0].sha256)
    assert fetched.capture.warc_file.startswith(f"threads/{second.key}/")
    # The intact copy is the one linked from now on.
    third = scrape_thread_numbered(port, 9002, tmp_path)
    assert [p for p in third if not p.startswith(("/threads/", "/robots.txt"))] == []


def test_indexing_is_announced_only_when_there_are_threads_to_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A first scrape into a new archive has nothing to index: no note of a long job."""
    caplog.set_level(logging.INFO, logger="scraper.asset_index")
    with DemoForum() as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
    assert "indexing the assets" not in caplog.text
    shutil.rmtree(tmp_path / "state" / "assets")  # an archive of an earlier version
    AssetIndex(ThreadArchive(tmp_path)).rebuild()
    assert "indexing the assets of every archived thread (once)" in caplog.text
    assert (tmp_path / "state" / "assets" / "index.json").is_file()
