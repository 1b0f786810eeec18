"""What a re-check of an archived thread needs, kept beside the threads so that `update`
reads no `thread.json` for a thread that did not change, and writes nothing into its folder.

Layout (docs/archive.md, "The state folder"):

    <root>/state/threads/<key>.json   one thread's check state (`ThreadState`)
    <root>/state/moved/<key>.json     a thread key that a moved thread's new URL gives ->
                                      the key of the folder the thread lives in
    <root>/state/state.json           written once every thread folder had its moves indexed

A state is derived data: `thread.json` stays the truth. Each state carries a fingerprint of
its thread's folder (every file by name, size and mtime) as the folder was when the state
was written. A folder that no longer matches (a killed run wrote `thread.json` and not the
state, an asset was deleted or replaced, an older forum-mirror wrote the thread) makes the
state stale: readers go back to `thread.json` and write the state again. Deleting `state/`
loses nothing but speed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .archive import (
    THREADS_DIR,
    ThreadArchive,
    UnreadableThread,
    atomic_write_bytes,
    write_json_file,
)
from .archive_paths import key_problem
from .engines import Engine, engine_named, engines_claiming, url_thread_key
from .errors import ArchiveError, UnsupportedUrl
from .migrate import CURRENT_VERSION
from .records import ArchivedThread, Capture, PageCapture, to_dict

log = logging.getLogger(__name__)

STATE_DIR = "state"
STATE_FORMAT = "forum-mirror/thread-state"
# 2: each page's validators and when a run last read it (`pages`), and `last_changed`.
STATE_VERSION = 2
INDEX_FORMAT = "forum-mirror/state"


@dataclass(frozen=True)
class PageRead:
    """One archived page as `update` asks for it again (recheck.py revisits the least
    recently read ones): where, with the validators its last answer gave, what it held,
    and when a run last read it."""

    number: int  # the board's page number
    url: str  # where it is asked for (see `page_address`)
    etag: str | None
    last_modified: str | None
    sha256: str  # of the payload last read: a 200 with the same bytes changed nothing
    read_at: str  # UTC ISO 8601: when a run last had the board's answer for it


@dataclass(frozen=True)
class ThreadState:
    """One archived thread as a re-check sees it."""

    key: str
    url: str  # the thread's canonical URL (thread.json `thread.url`)
    title: str
    posts: int  # how many the archive holds
    engine: str
    thread_format: int  # its thread.json's format version (an older one: rewritten next run)
    last_page: int  # the board's number of the last page archived
    last_capture: Capture  # how that page was last fetched: validators, WARC record, offset
    resume_url: str  # where a re-check without a cursor asks (see scrape._resume_url)
    cursor: dict[str, Any] | None
    incomplete: bool  # the last run stopped early: the next one goes on from there
    unavailable: bool  # the board lost the thread (404/410, walled off)
    moved_keys: tuple[str, ...]  # keys of the URLs the thread moved to (state/moved/)
    folder: str  # fingerprint of the thread folder this state was made from
    last_checked: str  # UTC ISO 8601: the last run whose check the board answered
    last_run: str  # that run's id (its record: runs/<run-id>.json), "" before run records
    pages: tuple[PageRead, ...]  # every archived page, by number: what a revisit asks
    last_changed: str  # UTC ISO 8601: when a run last changed the thread (thread.json's
    # `last_archived_at`); the adaptive schedule counts the thread's quiet time from it

    def with_reads(self, reads: dict[int, PageRead]) -> ThreadState:
        """This state with the pages in `reads` (by number) as a run read them."""
        return replace(self, pages=tuple(reads.get(p.number, p) for p in self.pages))

    @property
    def quick(self) -> bool:
        """Whether one conditional request can tell that nothing changed: a thread read to
        its end and stored in the current format."""
        return not self.incomplete and self.thread_format == CURRENT_VERSION


def files_fingerprint(folder: Path) -> str:
    """A digest of every file in a thread folder by name, size and mtime (its files are
    written by rename, never in place: a change gives a new mtime). No file is read;
    temporary files of killed runs (`.<name>.*.tmp`) do not count."""
    digest = hashlib.sha256()
    _fingerprint_into(digest, str(folder), "")
    return digest.hexdigest()


def _fingerprint_into(digest: Any, folder: str, prefix: str) -> None:
    """`files_fingerprint` of one folder, its files (by name) before its folders (by name),
    as `os.walk` went (the digests states hold were made so): by `os.scandir`, whose
    entries know their type, without a Path a file (a run writes the states of a thousand
    small threads)."""
    try:
        with os.scandir(folder) as scanned:
            entries = sorted(scanned, key=lambda entry: entry.name)
    except OSError:
        return  # gone: as os.walk, nothing to count
    folders = []
    for entry in entries:
        if entry.is_dir():
            if not entry.is_symlink():  # os.walk does not follow links to folders either
                folders.append(entry)
        elif not entry.name.startswith("."):
            stat = entry.stat()
            digest.update(f"{prefix}{entry.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for entry in folders:
        _fingerprint_into(digest, entry.path, f"{prefix}{entry.name}/")


class ThreadStates:
    """The `state/` folder of one archive. Only a run holding the archive lock writes it."""

    def __init__(self, archive: ThreadArchive) -> None:
        self.archive = archive
        self.folder = archive.root / STATE_DIR

    def _path(self, key: str) -> Path:
        return self.folder / THREADS_DIR / f"{key}.json"

    def _moved_path(self, key: str) -> Path:
        return self.folder / "moved" / f"{key}.json"

    def read(self, key: str) -> ThreadState | None:
        """The thread's state as stored, fresh or not; None when there is none to read."""
        try:
            data = json.loads(self._path(key).read_text("utf-8"))
            if data.pop("format") != STATE_FORMAT or data.pop("format_version") != STATE_VERSION:
                return None
            return ThreadState(**{**data, "last_capture": Capture(**data["last_capture"]),
                                  "moved_keys": tuple(data["moved_keys"]),
                                  "pages": tuple(PageRead(**p) for p in data["pages"])})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, or not this format: thread.json tells again

    def fresh(self, key: str) -> ThreadState | None:
        """The thread's state if its folder is as the state saw it, else None."""
        state = self.read(key)
        if state is None or state.key != key:
            return None
        try:
            current = files_fingerprint(self.archive.thread_dir(key))
        except (OSError, ArchiveError):  # gone, or no key (thread.json's reader says why)
            return None
        return state if current == state.folder else None

    def current(self, key: str) -> ThreadState | None:
        """The thread's fresh state, else one made again from its `thread.json` (ArchiveError
        when that cannot be read); None when the thread is not archived."""
        state = self.fresh(key)
        if state is not None:
            return state
        stored = self.archive.load_stored(key)
        return self._remade(*stored) if stored is not None else None

    def _remade(self, thread: ArchivedThread, version: int) -> ThreadState | None:
        # Unverified: what the folder holds besides thread.json (assets) was not checked, so
        # the state stays stale until a full re-check has (`confirm`, or a run's save).
        return self.record(thread, version, checked_at=self._last_checked(thread),
                           run_id=kept.last_run if (kept := self.read(thread.key)) else "",
                           verified=False)

    def note_moves(self, thread: ArchivedThread) -> None:
        """Store the keys the thread's moves lead to (before its thread.json, so that a run
        killed in between leaves no move that a URL lookup cannot find)."""
        self._write_moves(thread.key, _moved_keys(thread))

    def _write_moves(self, key: str, moved_keys: tuple[str, ...]) -> None:
        for moved in moved_keys:
            path = self._moved_path(moved)
            if moved != key and not path.is_file():  # a key names one thread for good
                write_json_file(path, {"key": key})

    def write(self, state: ThreadState) -> None:
        """Store the state (atomically), and the keys its moves lead to."""
        self._write_moves(state.key, state.moved_keys)
        # Written for every thread a run touches, and only a cache of what thread.json and
        # the folder say (a state that cannot be read is made again from them): orjson, on
        # one line, and not flushed to disk, which were a tenth of a small thread's CPU time.
        path = self._path(state.key)
        document = {"format": STATE_FORMAT, "format_version": STATE_VERSION, **to_dict(state)}
        try:
            atomic_write_bytes(path, orjson.dumps(document) + b"\n", durable=False)
        except OSError as error:
            raise ArchiveError(f"cannot write {path}: {error.strerror or error}") from error

    def checked(self, state: ThreadState, at: str, run_id: str) -> None:
        """Note that run `run_id` checked the thread at `at` and found it unchanged."""
        self.write(replace(state, last_checked=at, last_run=run_id))

    def confirm(self, key: str, at: str, run_id: str,
                reads: Mapping[int, PageRead] | None = None) -> None:
        """Note that run `run_id` re-checked the thread in full at `at` (every asset hashed)
        and found it unchanged: its state, made from `thread.json` as stored, is fresh.
        `reads`: the pages its revisits read (see `record`)."""
        stored = self.archive.load_stored(key)
        if stored is not None:
            self.record(*stored, checked_at=at, run_id=run_id, reads=reads)

    def record(self, thread: ArchivedThread, format_version: int, *, checked_at: str,
               run_id: str = "", verified: bool = True,
               reads: Mapping[int, PageRead] | None = None) -> ThreadState | None:
        """Write the state of `thread` as its folder now holds it (`verified`: its assets
        were checked too, else the state is written stale); None for a thread that has no
        page archived (nothing to re-check from). `reads` are pages a run read again
        (recheck.py's revisits), by number: newer than their captures when unchanged."""
        if not thread.pages:
            return None
        engine = engine_named(thread.engine)
        last = thread.pages[-1]
        kept = self.read(thread.key)
        # A revisit that found a page unchanged left thread.json as it was: its capture is
        # older than the last read, which only the state knew.
        known_reads = {p.number: p for p in kept.pages} if kept is not None else {}
        known_reads.update(reads or {})
        pages = tuple(_page_read(page, thread.thread.url, engine, known_reads.get(page.number))
                      for page in thread.pages)
        state = ThreadState(
            key=thread.key, url=thread.thread.url, title=thread.thread.title,
            posts=len(thread.posts), engine=thread.engine,
            thread_format=format_version, last_page=last.number, last_capture=last.capture,
            resume_url=resume_url(thread, engine), cursor=thread.cursor,
            incomplete=thread.incomplete is not None,
            unavailable=thread.unavailable_since is not None,
            moved_keys=_moved_keys(thread),
            folder=files_fingerprint(self.archive.thread_dir(thread.key)) if verified else "",
            last_checked=checked_at, last_run=run_id, pages=pages,
            last_changed=thread.last_archived_at,
        )
        self.write(state)
        return state

    # --- Listing and lookup ------------------------------------------------------------------

    def followed(self) -> Iterator[ThreadState | ArchivedThread | UnreadableThread]:
        """Every archived thread, in folder-name order: its state (made again from its
        `thread.json` when stale; the thread itself when it has no page to re-check from),
        else why it cannot be read. Reads no `thread.json` whose folder is as its state saw
        it."""
        for path in self.archive.thread_files():
            state = self.fresh(path.parent.name)
            if state is not None:
                yield state
                continue
            try:
                thread, version = self.archive.read_stored(path)
            except ArchiveError as error:
                yield UnreadableThread(path, error)
                continue
            yield self._remade(thread, version) or thread

    def _last_checked(self, thread: ArchivedThread) -> str:
        kept = self.read(thread.key)
        finished = [str(run["finished_at"]) for run in thread.runs if run.get("finished_at")]
        known = [t for t in (kept.last_checked if kept else "", *finished[-1:]) if t]
        return max(known) if known else thread.last_archived_at

    def last_checked(self, key: str) -> str:
        """When a run last checked the thread, by its state ("" when it has none)."""
        state = self.read(key)
        return state.last_checked if state is not None else ""

    def folder_of(self, url: str) -> str | None:
        """The key of the archived thread `url` names: its own folder, or the folder of a
        thread that moved to `url`; None when no archived thread has it (then the URL's own
        key, if any, is where a new thread goes). One look in the moved index, no scan."""
        candidates = _url_keys(url)
        for key in candidates:
            if self.archive.thread_dir(key).is_dir():
                return key
        if not (self.folder / "state.json").is_file():
            self.index_moves()  # an archive of an earlier version: once, then kept up
        for key in candidates:
            try:
                moved = json.loads(self._moved_path(key).read_text("utf-8"))["key"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if key_problem(moved) is None and self.archive.thread_dir(moved).is_dir():
                return str(moved)
        return None

    def index_moves(self) -> None:
        """Write the state of every thread whose folder has none (or a stale one), so the
        moved index knows every move; then mark the index as complete."""
        for _ in self.followed():
            pass
        self.mark_indexed()

    def mark_indexed(self) -> None:
        """Say that every thread folder's moves are in the moved index (after `followed`
        went through them all): from then on every write keeps it so."""
        write_json_file(self.folder / "state.json",
                         {"format": INDEX_FORMAT, "format_version": STATE_VERSION})


def same_thread(engine: Engine, first: str, second: str) -> bool:
    """Whether two URLs name one thread of `engine`."""
    key = _thread_key(engine, first)
    return key is not None and key == _thread_key(engine, second)


def resume_url(thread: ArchivedThread, engine: Engine) -> str:
    """Where a re-check starts: the last known page (see `page_address`)."""
    return page_address(thread.pages[-1].capture, thread.thread.url, engine)


def page_address(capture: Capture, thread_url: str, engine: Engine) -> str:
    """Where to ask for an archived page again: the address it was last served from when
    that is the thread's current one (after a move, not the old URL again)."""
    if same_thread(engine, capture.final_url, thread_url):
        return capture.final_url
    return capture.url


def read_time(text: str) -> float:
    """An ISO 8601 time as a POSIX timestamp, for ordering (an unreadable one: the oldest)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _page_read(page: PageCapture, thread_url: str, engine: Engine, known: PageRead | None
               ) -> PageRead:
    capture = page.capture
    if known is not None and read_time(known.read_at) > read_time(capture.fetched_at):
        return known  # read again since: its address and validators are the newer ones
    return PageRead(number=page.number, url=page_address(capture, thread_url, engine),
                    etag=capture.etag, last_modified=capture.last_modified,
                    sha256=capture.sha256, read_at=capture.fetched_at)


def _moved_keys(thread: ArchivedThread) -> tuple[str, ...]:
    engine = engine_named(thread.engine)
    return tuple(dict.fromkeys(k for m in thread.moves if (k := _thread_key(engine, m.to_url))))


def _thread_key(engine: Engine, url: str) -> str | None:
    try:
        return engine.thread_key(url)
    except UnsupportedUrl:
        return None


def _url_keys(url: str) -> list[str]:
    """The keys `url` may name: the one its engines agree on, else each claiming engine's."""
    key = url_thread_key(url)
    if key is not None:
        return [key]
    return list(dict.fromkeys(k for e in engines_claiming(url) if (k := _thread_key(e, url))))
