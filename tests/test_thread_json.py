"""`thread.json` is written in parts (archive.thread_json_parts) and must read as one
document: the same bytes as the standard library's encoder gives for the whole record."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from scraper.archive import FORMAT_NAME, FORMAT_VERSION, ThreadArchive, thread_json
from scraper.records import ArchivedThread, to_dict

from .archive_factory import build_fixture_archive


def standard_json(thread: ArchivedThread) -> bytes:
    document = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **to_dict(thread)}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def fixture_thread(tmp_path_factory: pytest.TempPathFactory) -> ArchivedThread:
    built = build_fixture_archive(tmp_path_factory.mktemp("archive"))
    thread = ThreadArchive(built.root).load(built.key)
    assert thread is not None
    return thread


# 0 posts, fewer than a part holds, one part exactly, one more, and several parts.
@pytest.mark.parametrize("count", [0, 1, 24, 100, 101, 250])
def test_thread_json_in_parts_is_the_whole_document_as_json_writes_it(
        fixture_thread: ArchivedThread, count: int) -> None:
    posts = fixture_thread.posts
    # Posts whose text holds what an encoder must escape: newlines, quotes, backslashes,
    # control characters, and a line that looks like the document's own structure.
    tricky = '"posts": [\n    0\n  ]\\ \t\u0001 «نص» 🙂\r\n'
    many = [replace(posts[n % len(posts)], id=str(n), content_text=posts[n % len(posts)]
                    .content_text + tricky) for n in range(count)]
    thread = replace(fixture_thread, posts=many)
    written = thread_json(thread)
    assert written == standard_json(thread)
    assert len(json.loads(written)["posts"]) == count


def test_a_saved_thread_reads_back_whole(fixture_thread: ArchivedThread, tmp_path: Path) -> None:
    archive = ThreadArchive(tmp_path)
    many = [replace(fixture_thread.posts[n % 24], id=str(n)) for n in range(333)]
    thread = replace(fixture_thread, posts=many)
    path = archive.save(thread)
    assert path.read_bytes() == standard_json(thread)
    assert archive.load(thread.key) == thread
