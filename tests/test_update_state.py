"""An unchanged `update` writes nothing into a thread's folder and costs the same at any
length: the thread's state (state/), the run records and WARC files (runs/), the URL ->
folder lookup without a scan, and what the mirror and `verify` make of them."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser
from warcio.archiveiterator import ArchiveIterator

from benchmarks.scrape import ReplayBoard
from scraper.archive import ThreadArchive
from scraper.cli import EXIT_TOTAL_FAILURE, main
from scraper.demo_forum import DemoForum, SeedPost
from scraper.scrape import archived_key
from scraper.thread_state import ThreadStates

FETCH = ["--delay", "0", "--max-retries", "0", "--timeout", "5"]


def run(*args: str) -> int:
    return main([*args, *FETCH])


def tree_digests(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path -> SHA-256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_records(archive: Path) -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((archive / "runs").glob("*.json"))]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Every thread.json the archive code reads from now on (the real read, counted)."""
    seen: list[Path] = []
    real = ThreadArchive.read_stored

    def counted(self: ThreadArchive, path: Path) -> tuple[object, int]:
        seen.append(path)
        return real(self, path)

    monkeypatch.setattr(ThreadArchive, "read_stored", counted)
    yield seen


def test_an_unchanged_update_leaves_every_thread_folder_and_zip_byte_identical(
    tmp_path: Path,
) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    with DemoForum(posts_per_page=4) as first, DemoForum() as second:
        assert run("scrape", first.thread_url, second.thread_url, "--archive", str(archive)) == 0
        assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
        threads_before = tree_digests(archive / "threads")
        zips_before = {p.name: p.read_bytes() for p in output.glob("threads/*/*.zip")}
        assert len(zips_before) == 2
        before = len(first.requests) + len(second.requests)
        assert run("update", "--archive", str(archive), "--build", "--output", str(output)) == 0
        requests = len(first.requests) + len(second.requests) - before
        assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    assert requests == 6  # robots.txt, the last page and the revisited first one, per board
    assert tree_digests(archive / "threads") == threads_before
    assert {p.name: p.read_bytes() for p in output.glob("threads/*/*.zip")} == zips_before
    for thread in ThreadArchive(archive).threads():
        assert len(thread.runs) == 1  # the scrape; the update changed nothing

    (record,) = run_records(archive)
    assert record["format"] == "forum-mirror/run" and record["command"] == "update"
    assert record["exit_code"] == 0 and record["started_at"] <= record["finished_at"]
    assert [t["outcome"] for t in record["threads"]] == ["unchanged", "unchanged"]
    assert {t["status"] for t in record["threads"]} == {304}
    assert [t["requests"] for t in record["threads"]] == [3, 3]
    warc_files = [w["warc_file"] for w in record["warc_files"]]
    assert len(warc_files) == 2  # one per forum: each warcinfo names its settings
    statuses = []
    for warc_file in warc_files:
        with (archive / warc_file).open("rb") as warc:
            statuses += [r.http_headers.get_statuscode() for r in ArchiveIterator(warc)
                         if r.rec_type == "response"]
    assert sorted(statuses) == ["200", "200", *["304"] * 4]  # robots.txt, and the re-checks

    # The mirror's "last checked" is the update's, though no thread folder changed.
    states = ThreadStates(ThreadArchive(archive))
    checked = {states.last_checked(t["key"]) for t in record["threads"]}
    assert all(record["started_at"] <= c <= record["finished_at"] for c in checked)
    index = LexborHTMLParser((output / "index.html").read_text("utf-8"))
    shown = {node.attrs["datetime"] for node in index.css(".thread-stats time")}
    assert checked <= shown
    assert main(["verify", "--archive", str(archive)]) == 0


def test_an_unchanged_update_of_a_1000_page_thread_costs_4_requests_and_reads_no_thread_json(
    tmp_path: Path, reads: list[Path],
) -> None:
    with ReplayBoard(1000, 1) as board:
        assert main(["scrape", board.thread_url, "--archive", str(tmp_path), "--delay", "0"]) == 0
        (path,) = tmp_path.glob("threads/*/thread.json")
        # Proof that nothing reads it: the same size and mtime, but no JSON at all. A run
        # that read it would fail the thread (exit 11).
        stat = path.stat()
        path.write_bytes(b"x" * stat.st_size)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        folder = tree_digests(path.parent)
        board.take_count()
        reads.clear()
        # robots.txt, the last page and two revisited earlier pages: 304s all
        assert main(["update", "--archive", str(tmp_path), "--delay", "0"]) == 0
        assert board.take_count() == 4
        assert main(["update", board.thread_url, "--archive", str(tmp_path), "--delay", "0"]) == 0
        assert board.take_count() == 4
    assert reads == []
    assert tree_digests(path.parent) == folder
    assert [t["outcome"] for r in run_records(tmp_path) for t in r["threads"]] == [
        "unchanged", "unchanged"]


def test_a_changed_update_is_recorded_in_thread_json_and_in_its_run_record(
    tmp_path: Path,
) -> None:
    with DemoForum(posts_per_page=5) as forum:
        port = int(forum.base_url.rsplit(":", 1)[1])
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
    grown = [SeedPost(post_id=990001 + i, content_html=f"<p>جديدة {i}</p>") for i in range(3)]
    with DemoForum(port=port, posts_per_page=5, extra_posts=grown):
        assert run("update", "--archive", str(tmp_path)) == 0
    (thread,) = ThreadArchive(tmp_path).threads()
    (record,) = run_records(tmp_path)
    assert len(thread.runs) == 2 and thread.runs[-1]["run_id"] == record["run_id"]
    assert thread.runs[-1]["new_posts"] == 3
    (entry,) = record["threads"]
    assert entry["outcome"] == "changed" and entry["new_posts"] == 3 and entry["status"] == 200
    assert entry["warc_file"] == thread.runs[-1]["warc_file"]
    # The re-check's answer is in the run's WARC file, which the new page capture names.
    assert thread.pages[1].capture.warc_file == record["warc_files"][0]["warc_file"]
    # ... at its record's offset, so the next 304 re-reads it without scanning the file.
    assert all(page.capture.warc_offset is not None for page in thread.pages)
    assert main(["verify", "--archive", str(tmp_path)]) == 0
    state = ThreadStates(ThreadArchive(tmp_path)).fresh(thread.key)
    assert state is not None and state.posts == 11 and state.last_run == record["run_id"]


def test_a_moved_thread_is_found_by_its_new_url_without_reading_any_thread(
    tmp_path: Path, reads: list[Path],
) -> None:
    with DemoForum(posts_per_page=5) as forum, DemoForum() as other:
        assert run("scrape", forum.thread_url, other.thread_url, "--archive", str(tmp_path)) == 0
        old_url = forum.thread_url
        key = archived_key(old_url, ThreadArchive(tmp_path))
        forum.move_thread(5000, "new-title")
        assert run("update", old_url, "--archive", str(tmp_path)) == 0  # follows the 301
        new_url = forum.thread_url
    archive = ThreadArchive(tmp_path)
    reads.clear()
    assert archived_key(new_url, archive) == key
    assert reads == []
    # An archive of an earlier version has no state: its threads are read once, then not.
    shutil.rmtree(tmp_path / "state")
    assert archived_key(new_url, archive) == key
    assert len(reads) == 2
    assert archived_key(new_url, archive) == key
    assert archived_key(forum.base_url + "/threads/elsewhere.777/", archive) == (
        f"{key.rsplit('-', 1)[0]}-777")  # a thread not archived: its own key, found as before
    assert len(reads) == 2


def test_a_stale_state_is_never_trusted(tmp_path: Path) -> None:
    """A thread.json changed behind the state's back (here: made unreadable) is read again."""
    with DemoForum() as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        (path,) = tmp_path.glob("threads/*/thread.json")
        path.write_text("{", "utf-8")  # a new mtime and size
        assert run("update", "--archive", str(tmp_path)) == EXIT_TOTAL_FAILURE
    (record,) = run_records(tmp_path)
    assert [t["outcome"] for t in record["threads"]] == ["unreadable"]
    assert path.read_text("utf-8") == "{"  # never rewritten


def test_verify_checks_the_run_records_and_their_warc_files(tmp_path: Path) -> None:
    with DemoForum() as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        assert run("update", "--archive", str(tmp_path)) == 0
    assert main(["verify", "--archive", str(tmp_path)]) == 0
    (warc,) = (tmp_path / "runs").glob("*.warc.gz")
    records = gzip.decompress(warc.read_bytes())
    assert records.count(b" 304 Not Modified\r\n") == 2  # the last page and the first
    # One byte of the 304 answer changed: the record no longer matches its WARC digest.
    warc.write_bytes(gzip.compress(records.replace(b" 304 Not Modified", b" 304 Not Modifiex")))
    assert main(["verify", "--archive", str(tmp_path)]) == 8
    warc.unlink()
    assert main(["verify", "--archive", str(tmp_path)]) == 8  # the run record names it
