"""A call in a forked child (forked.py), as the end of a scrape indexes its assets there."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from scraper import archive as scraper_archive
from scraper import forked, scrape
from scraper.archive import ThreadArchive
from scraper.asset_index import AssetIndex
from scraper.scrape import save_thread

from .archive_factory import build_fixture_archive


@pytest.fixture(autouse=True)
def index_forked_from_one_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture thread has one asset: a fork is asked for all the same."""
    monkeypatch.setattr(scrape, "FORK_INDEX_FROM_ASSETS", 1)


@pytest.fixture
def free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever else the machine runs: the fork is made (`spare_core` asks the load)."""
    monkeypatch.setattr(forked, "spare_core", lambda: True)


def test_the_call_runs_in_another_process_and_reports_its_end(free_core: None,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "pid"
    call = forked.start_forked(lambda: out.write_text(str(os.getpid())))
    assert call is not None
    assert call.succeeded(10)
    assert int(out.read_text()) not in (0, os.getpid())


def test_a_call_that_raises_or_hangs_did_not_succeed(free_core: None) -> None:
    def fail() -> None:
        raise ValueError("no")

    failing = forked.start_forked(fail)
    assert failing is not None and not failing.succeeded(10)
    hanging = forked.start_forked(lambda: time.sleep(60))
    assert hanging is not None
    started = time.monotonic()
    assert not hanging.succeeded(0.3)  # killed
    assert time.monotonic() - started < 5


def test_no_fork_without_a_free_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "spare_core", lambda: False)
    assert forked.start_forked(lambda: None) is None


def indexed_urls(root: Path) -> dict[str, bool]:
    """Whether each asset URL of the archive's one thread has its index entry, looked up
    as a later scrape does; with no index rebuilt first (which would index them anyway)."""
    archive = ThreadArchive(root)
    (key,) = [path.parent.name for path in archive.thread_files()]
    thread = archive.load(key)
    assert thread is not None and thread.assets
    index = AssetIndex(archive)
    index.folder.mkdir(parents=True, exist_ok=True)
    (index.folder / "index.json").touch()  # complete: `find` only looks
    return {url: index.find(url) is not None for a in thread.assets for url in a.urls}


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "no-free-core"])
def test_saving_a_thread_indexes_its_assets_forked_or_not(
        fork: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    built = build_fixture_archive(tmp_path)
    archive = ThreadArchive(built.root)
    thread = archive.load(built.key)
    assert thread is not None
    note = AssetIndex.note

    def noting(self: AssetIndex, thread: object) -> None:
        (tmp_path / f"noted-by-{os.getpid()}").touch()
        note(self, thread)  # type: ignore[arg-type]

    monkeypatch.setattr(AssetIndex, "note", noting)
    monkeypatch.setattr(forked, "spare_core", lambda: fork)
    save_thread(archive, thread, "20261203T000000000000Z")
    noted_by = {int(p.name.removeprefix("noted-by-")) for p in tmp_path.glob("noted-by-*")}
    assert len(noted_by) == 1  # indexed once, by the child or else here
    assert (os.getpid() not in noted_by) == fork
    urls = indexed_urls(built.root)
    assert urls and all(urls.values())


def test_a_failed_forked_index_is_made_here(free_core: None, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    built = build_fixture_archive(tmp_path)
    archive = ThreadArchive(built.root)
    thread = archive.load(built.key)
    assert thread is not None
    parent = os.getpid()
    note = AssetIndex.note

    def only_here(self: AssetIndex, thread: object) -> None:
        if os.getpid() != parent:
            raise OSError("the child cannot write")
        note(self, thread)  # type: ignore[arg-type]

    monkeypatch.setattr(AssetIndex, "note", only_here)
    save_thread(archive, thread, "20261203T000000000000Z")
    urls = indexed_urls(built.root)
    assert urls and all(urls.values())


@pytest.mark.parametrize("kill_at", [1, 2])  # its two files: by SHA-256, by URL
def test_a_forked_index_killed_at_any_of_its_writes_is_made_here(
        kill_at: int, free_core: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The child killed (SIGKILL) as it creates its `kill_at`-th file: the scraper, still
    running, indexes the assets itself, and the files it keeps are whole."""
    built = build_fixture_archive(tmp_path)
    archive = ThreadArchive(built.root)
    thread = archive.load(built.key)
    assert thread is not None
    parent, created = os.getpid(), 0
    real_new_temporary = scraper_archive._new_temporary

    def new_temporary(path: Path) -> tuple[int, str]:
        nonlocal created
        if os.getpid() != parent:
            created += 1
            if created == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return real_new_temporary(path)

    monkeypatch.setattr(scraper_archive, "_new_temporary", new_temporary)
    save_thread(archive, thread, "20261203T000000000000Z")
    urls = indexed_urls(built.root)
    assert urls and all(urls.values())
    index = AssetIndex(archive).folder
    for entry in index.rglob("*.json"):
        if entry.stat().st_size:
            json.loads(entry.read_text("utf-8"))
