"""Threads rendered by a forked worker process come out exactly as rendered by the build's own."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from scraper.site.authors import AuthorStore
from scraper.site.build import build_site, cache_folder
from scraper.site.build_cache import AUTHORS_FILE
from scraper.site.render_worker import WORKER_SETTING

from .archive_factory import PostSpec, build_fixture_archive, build_thread_archive, settings_file


def site_files(output: Path) -> dict[str, bytes]:
    """Every file of the site but Pagefind's index (the same search data on both sides)."""
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in output.rglob("*")
        if path.is_file() and "pagefind" not in path.relative_to(output).parts
    }


def test_a_worker_renders_the_same_site_and_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = tmp_path / "archive"
    build_fixture_archive(archive)
    for number, language in ((1, "en"), (2, "he"), (3, "en")):
        texts = [f"Post {n} of thread {number}, about Fes." for n in range(30)]
        posts = [PostSpec(f"writer {n % 4}", html=text, text=text) for n, text in enumerate(texts)]
        build_thread_archive(
            archive, posts, key=f"forum.example-{number}", title=f"T {number}", language=language
        )
    broken = archive / "threads" / "forum.example-9" / "thread.json"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    here = tmp_path / "here"
    here.mkdir()
    forked = tmp_path / "forked"
    forked.mkdir()
    serial = build_site(archive, tmp_path / "serial",
                        settings_file(here, **{WORKER_SETTING: 2**62}))  # fmt: skip
    with caplog.at_level(logging.DEBUG, logger="scraper.site.render_worker"):
        parallel = build_site(archive, tmp_path / "parallel",
                              settings_file(forked, **{WORKER_SETTING: 0}))  # fmt: skip
    worker_says = [r.getMessage() for r in caplog.records if "worker process" in r.getMessage()]
    assert worker_says and not worker_says[0].startswith("0 "), worker_says
    assert (parallel.threads, parallel.posts, parallel.pages) == (
        serial.threads, serial.posts, serial.pages)  # fmt: skip
    assert [u.path for u in parallel.unreadable] == [broken]
    assert site_files(tmp_path / "parallel") == site_files(tmp_path / "serial")
    # The author pages the worker wrote are marked as rendered: the next build leaves them.
    store = AuthorStore.reader(cache_folder(tmp_path / "parallel") / AUTHORS_FILE)
    try:
        assert store.pages() and not store.stale()
    finally:
        store.close()
