"""`forum-mirror verify`: prove the archive still says what the board served.

For every thread it checks `thread.json` against its JSON Schema, re-hashes every asset,
finds every page's and asset's WARC record (whose digests warcio re-checks), and re-reads
each archived page from its WARC record with the thread's engine: a post whose stored text,
author or time differs from what that record holds has been tampered with. The records of
`update` runs (runs/) are checked too: every WARC file's digests, and every run record
against the WARC files it names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from warcio.archiveiterator import ArchiveIterator

from .archive import SCHEMA_PATH, THREADS_DIR, ThreadArchive, thread_data
from .archive_paths import check_thread_paths, path_inside
from .engines import engine_named
from .errors import ArchiveError, ForumMirrorError
from .fetch.charset import decode_body
from .records import ArchivedPost, ArchivedThread, thread_from_dict
from .runs import RUN_FORMAT, RUNS_DIR, run_records


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the archive root
    post: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: post {self.post}" if self.post else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class _Record:
    payload_sha256: str
    payload: bytes
    digest_ok: bool


def verify_archive(archive: ThreadArchive) -> tuple[int, list[Problem]]:
    """(threads checked, problems found) for the whole archive."""
    archive.require()
    paths = sorted((archive.root / THREADS_DIR).glob("*/thread.json"))
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    problems: list[Problem] = []
    for path in paths:
        problems.extend(_verify_thread(archive, path, schema))
    problems.extend(_verify_runs(archive))
    return len(paths), problems


def _verify_runs(archive: ThreadArchive) -> list[Problem]:
    """The update runs' WARC files (every record's digests) and run records (readable, and
    naming only WARC files that are there). Unfinished `.part` files are a killed run's."""
    problems = []
    for path in sorted((archive.root / RUNS_DIR).glob("*.warc.gz")):
        name = archive.relative(path)
        try:
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream, check_digests=True):
                    record.content_stream().read()
                    if record.digest_checker.passed is False:
                        record_id = record.rec_headers.get_header("WARC-Record-ID")
                        problems.append(Problem(name, None,
                                                f"record {record_id} fails its WARC digest"))
        except Exception as error:
            problems.append(Problem(name, None, f"unreadable WARC file: {error}"))
    for path in run_records(archive):
        name = archive.relative(path)
        try:
            data = json.loads(path.read_text("utf-8"))
            if data["format"] != RUN_FORMAT:
                raise ValueError(f"not a {RUN_FORMAT} record")
            named = [str(w["warc_file"]) for w in data["warc_files"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(Problem(name, None, f"unreadable run record: {error}"))
            continue
        for warc_file in named:
            try:
                present = path_inside(archive.root, warc_file, name, "warc_file").is_file()
            except ArchiveError as error:
                problems.append(_path_problem(name, error))
                continue
            if not present:
                problems.append(Problem(name, None, f"names {warc_file}, which is missing"))
    return problems


def _verify_thread(archive: ThreadArchive, path: Path, schema: dict[str, Any]) -> list[Problem]:
    name = archive.relative(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        return [Problem(name, None, f"unreadable: {error}")]
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    if errors:
        return [Problem(name, None, f"does not match the schema at "
                                    f"/{'/'.join(map(str, e.absolute_path))}: {e.message}")
                for e in errors]
    try:
        thread = thread_from_dict(thread_data(data))
    except ForumMirrorError as error:  # e.g. an engine this version does not know
        return [Problem(name, None, str(error))]
    try:
        check_thread_paths(thread, name, path.parent.name)
    except ArchiveError as error:  # nothing may be read through a path that leads out
        return [_path_problem(name, error)]
    problems = _verify_assets(archive, thread)
    records = _warc_records(archive, thread, problems)
    problems.extend(_verify_pages(thread, records, name))
    return problems


def _path_problem(file: str, error: ArchiveError) -> Problem:
    """The problem of a stored path that leads out (its message already names `file`)."""
    return Problem(file, None, str(error).removeprefix(f"{file}: "))


def _verify_assets(archive: ThreadArchive, thread: ArchivedThread) -> list[Problem]:
    problems = []
    folder = archive.thread_dir(thread.key)
    for asset in thread.assets:
        file = archive.relative(folder / asset.path)
        try:
            stored = path_inside(folder, asset.path, file, "asset path")
        except ArchiveError as error:
            problems.append(_path_problem(file, error))
            continue
        try:
            actual = hashlib.sha256(stored.read_bytes()).hexdigest()
        except OSError as error:
            problems.append(Problem(file, None, f"missing asset: {error.strerror}"))
            continue
        if actual != asset.sha256 or asset.sha256 not in asset.path:
            problems.append(Problem(file, None, f"SHA-256 is {actual}, the archive says "
                                                f"{asset.sha256}: the file was altered"))
    return problems


def _warc_records(archive: ThreadArchive, thread: ArchivedThread, problems: list[Problem]
                  ) -> dict[str, _Record]:
    """Every response record of the WARC files the thread refers to, by record id."""
    files = {p.capture.warc_file for p in thread.pages} | {a.capture.warc_file
                                                           for a in thread.assets}
    files |= {p.warc_file for p in thread.posts}
    records: dict[str, _Record] = {}
    for warc_file in sorted(files):
        try:
            with path_inside(archive.root, warc_file, warc_file, "warc_file").open("rb") as stream:
                for record in ArchiveIterator(stream, check_digests=True):
                    if record.rec_type != "response":
                        continue
                    payload = record.content_stream().read()
                    records[record.rec_headers.get_header("WARC-Record-ID")] = _Record(
                        hashlib.sha256(payload).hexdigest(), payload,
                        record.digest_checker.passed is not False)
        except Exception as error:
            problems.append(Problem(warc_file, None, f"unreadable WARC file: {error}"))
    for asset in thread.assets:
        problems.extend(_check_record(records, asset.capture.warc_file,
                                      asset.capture.warc_record_id, asset.sha256, None))
    return records


def _check_record(records: dict[str, _Record], warc_file: str, record_id: str,
                  sha256: str, post: str | None) -> list[Problem]:
    record = records.get(record_id)
    if record is None:
        return [Problem(warc_file, post, f"no response record {record_id}")]
    if not record.digest_ok:
        return [Problem(warc_file, post, f"record {record_id} fails its WARC digest")]
    if record.payload_sha256 != sha256:
        return [Problem(warc_file, post, f"record {record_id} holds SHA-256 "
                                         f"{record.payload_sha256}, the archive says {sha256}")]
    return []


def _verify_pages(thread: ArchivedThread, records: dict[str, _Record], name: str
                  ) -> list[Problem]:
    problems = []
    engine = engine_named(thread.engine)
    posts_by_record: dict[str, list[ArchivedPost]] = {}
    for post in thread.posts:
        posts_by_record.setdefault(post.warc_record_id, []).append(post)
        problems.extend(_check_record(records, post.warc_file, post.warc_record_id,
                                      post.page_sha256, post.id))
    for page in thread.pages:
        capture = page.capture
        found = _check_record(records, capture.warc_file, capture.warc_record_id,
                              capture.sha256, None)
        problems.extend(found)
        if found:
            continue
        try:
            parsed = engine.parse_page(decode_body(records[capture.warc_record_id].payload),
                                       capture.final_url, fetched_at=capture.fetched_at)
        except ForumMirrorError as error:
            problems.append(Problem(capture.warc_file, None, f"page {page.number}: {error}"))
            continue
        served = {p.id: p for p in parsed.posts}
        for post in posts_by_record.get(capture.warc_record_id, []):
            original = served.get(post.id)
            if original is None:
                problems.append(Problem(name, post.id, "not on the page its provenance names"))
            elif (original.content_text, original.author.name, original.published) != (
                    post.content_text, post.author.name, post.published):
                problems.append(Problem(name, post.id, "differs from the page it was archived "
                                                       "from: the archive was altered"))
    return problems
