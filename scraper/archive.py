"""The archive on disk: one folder per thread with `thread.json`, its assets and its WARC files.

Layout (documented in docs/archive.md):

    <root>/threads/<key>/thread.json
    <root>/threads/<key>/assets/<sha256>.<ext>
    <root>/threads/<key>/warc/<run-id>.warc.gz

Every write goes to a temporary file in the same folder and is renamed into place, so a
crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson
from warcio.archiveiterator import ArchiveIterator

from .archive_layout import THREADS_DIR as THREADS_DIR  # re-exported
from .archive_layout import thread_files
from .archive_paths import check_key, check_thread_paths, path_inside
from .errors import ArchiveError, UnsupportedUrl
from .migrate import CURRENT_VERSION, READABLE_VERSIONS, upgrade
from .records import ArchivedThread, StoredAsset, thread_from_dict

log = logging.getLogger(__name__)

FORMAT_NAME = "forum-mirror/thread"
FORMAT_VERSION = CURRENT_VERSION
# Archive-level folders beside threads/: the re-check state (thread_state.py) and the
# records of update runs (runs.py).
DERIVED_DIRS = ("state", "runs")
SCHEMA_PATH = Path(__file__).with_name("thread.schema.json")


@contextlib.contextmanager
def atomic_file(path: Path, *, durable: bool = True) -> Iterator[IO[bytes]]:
    """A file to write that replaces `path` only when the block ends without an error.

    It is a temporary file in the same folder, renamed into place, so a crash leaves the old
    file or the new one, never half of one; `durable`, it is flushed to disk before the
    rename, so a power cut cannot leave it empty either. Derived data that is rebuilt or
    ignored when unreadable (the asset index) skips that wait. It gets the mode a plain
    `open()` would give (0644 with the usual umask): mkstemp's 0600 would keep a web server
    running as another user from reading a published file. Not `durable`: not flushed to
    disk first, for a file that may be lost (or read back empty) after a power cut, such as
    a cache whose reader makes it again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _new_temporary(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _new_temporary(path: Path) -> tuple[int, str]:
    """A new file beside `path` (named `.<name>.<random>.tmp`, never one that exists) open
    for writing, and its path. Made as mkstemp makes its files (exclusively, no link
    followed) but with the mode `open()` gives, the umask applied by the kernel: setting it
    afterwards meant reading the umask each time (/proc), for every file of a scrape."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        name = str(path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp"))
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue  # 48 random bits: only a stale file of the same name
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file and a rename (see `atomic_file`)."""
    with atomic_file(path, durable=durable) as handle:
        handle.write(data)


def write_json_file(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write `data` to `path` as JSON (indented by one, a newline at the end) atomically
    (see `atomic_file`); ArchiveError when it cannot be written."""
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        atomic_write_bytes(path, text.encode("utf-8"), durable=durable)
    except OSError as error:
        raise ArchiveError(f"cannot write {path}: {error.strerror or error}") from error


def check_archive_root(root: Path) -> None:
    """ArchiveError when `root`, or the nearest of its parents that exists, is no folder:
    an archive is a folder, which may not exist yet."""
    for folder in (root, *root.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ArchiveError(f"no archive at {root}: {folder} is a file, not a folder")
            return


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def remove_stale_temp_files(root: Path) -> list[Path]:
    """Delete the temporary files that killed runs left in the archive; return them.

    Only the holder of the archive lock may call this: with the lock held no other writer is
    alive, so every `.<name>.*.tmp` file is the unfinished write of a run that was killed.
    Unfinished WARC files (`*.warc.gz.part`) are kept: they hold what that run fetched.
    """
    stale = [p for folder in (THREADS_DIR, *DERIVED_DIRS)
             for p in (root / folder).glob("*/**/.*.tmp") if p.is_file()]
    stale += [p for folder in DERIVED_DIRS for p in (root / folder).glob(".*.tmp") if p.is_file()]
    for path in stale:
        log.info("removing %s, left by a run that was killed", path)
        path.unlink(missing_ok=True)
    return stale


def thread_data(document: dict[str, Any]) -> dict[str, Any]:
    """A thread.json document without its format header, in the current format (an older
    one is upgraded in memory: migrate.py)."""
    data = {k: v for k, v in document.items() if k not in ("format", "format_version")}
    return upgrade(data, int(document["format_version"]))


def thread_json(thread: ArchivedThread) -> bytes:
    """The bytes stored as a thread's `thread.json`: format header first (for humans), then
    the record's fields, indented by two, and a newline (`thread_json_parts`, joined)."""
    return b"".join(thread_json_parts(thread))


def thread_json_parts(thread: ArchivedThread) -> Iterator[bytes]:
    """`thread_json` in parts, for writing one after the other: the thread's fields, its
    posts `_POSTS_A_PART` at a time, then the fields after them.

    orjson writes the records (dataclasses, in field order) itself: the same text as
    `json.dumps(to_dict(...), ensure_ascii=False, indent=2)`, which for a 4,000-post thread
    (14 MB) took half a second, its indent forcing the pure-Python encoder. In one call it
    grows one buffer to the whole file: 9,400 page faults for those 14 MB, each a few
    microseconds on a VM (85-100 ms at the end of a scrape, where the parts take 55-65 ms
    and 1,500 faults). A post's text holds no raw newline (JSON escapes it), so each line
    break of a part is one of orjson's, indented one level deeper for the place it goes.
    """
    document = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                **{name: getattr(thread, name) for name in _THREAD_FIELDS}}
    posts = thread.posts
    if not posts:
        yield orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
        return
    document["posts"] = [0]
    before, after = orjson.dumps(document, option=orjson.OPT_INDENT_2).split(
        b'\n  "posts": [\n    0\n  ]')
    yield before + b'\n  "posts": [\n    '
    for start in range(0, len(posts), _POSTS_A_PART):
        if start:
            yield b",\n    "
        # "[\n  {...},\n  {...}\n]": the posts without the brackets, two spaces deeper.
        part = orjson.dumps(posts[start:start + _POSTS_A_PART], option=orjson.OPT_INDENT_2)
        yield part[4:-2].replace(b"\n", b"\n  ")
    yield b"\n  ]" + after + b"\n"


_POSTS_A_PART = 100  # some 350 KB of JSON
_THREAD_FIELDS = tuple(f.name for f in dataclasses.fields(ArchivedThread))


@dataclass(frozen=True)
class UnreadableThread:
    """A `thread.json` that cannot be read, and why: reported, never rewritten."""

    path: Path
    error: ArchiveError


class ThreadArchive:
    """Reads and writes the archive folder (`content/` by default)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def require(self) -> None:
        """ArchiveError unless the root is an archive folder (for commands that only read)."""
        check_archive_root(self.root)
        if not (self.root / THREADS_DIR).is_dir():
            raise ArchiveError(
                f"no archive at {self.root}: it is not an archive folder (expected "
                f"{self.root / THREADS_DIR}/); scrape a thread into it first"
            )

    def thread_dir(self, key: str) -> Path:
        """The thread's folder; ArchiveError for a key that could lead out of the archive."""
        return self.root / THREADS_DIR / check_key(key, self.root)

    def load(self, key: str) -> ArchivedThread | None:
        """The archived thread with this key, or None when it was never archived."""
        stored = self.load_stored(key)
        return stored[0] if stored is not None else None

    def scan_threads(self) -> Iterator[ArchivedThread | UnreadableThread]:
        """Every archived thread, in folder-name order; one that cannot be read comes as an
        `UnreadableThread`, so that one bad file stops no command from handling the rest."""
        for path in self.thread_files():
            try:
                item: ArchivedThread | UnreadableThread = self.read_thread_file(path)
            except ArchiveError as error:
                item = UnreadableThread(path, error)
            yield item

    def thread_files(self) -> list[Path]:
        """Every thread's `thread.json`, in folder-name order, none of them read yet (the
        site build reads only those that changed since the last build)."""
        return thread_files(self.root)

    def threads(self) -> Iterator[ArchivedThread]:
        """Every readable archived thread, in folder-name order; the others are logged and
        skipped (commands that must report them use `scan_threads`)."""
        for item in self.scan_threads():
            if isinstance(item, UnreadableThread):
                log.warning("skipped: %s", item.error)
            else:
                yield item

    def save(self, thread: ArchivedThread) -> Path:
        """Write the thread's `thread.json` atomically."""
        path = self.thread_dir(thread.key) / "thread.json"
        with _writing(path), atomic_file(path) as handle:
            handle.writelines(thread_json_parts(thread))
        return path

    def store_asset(self, key: str, payload: bytes, extension: str) -> tuple[str, str]:
        """Store an asset once by content; returns (sha256, path relative to the thread folder)."""
        sha256 = hashlib.sha256(payload).hexdigest()
        relative = f"assets/{sha256}{extension}"
        path = self.thread_dir(key) / relative
        if file_sha256(path) != sha256:  # absent, or damaged since: (re)write it
            with _writing(path):
                atomic_write_bytes(path, payload)
        return sha256, relative

    def link_asset(self, key: str, source: Path, sha256: str) -> str:
        """Put `source`, a stored asset of another thread already hashed to `sha256`, into
        the thread's folder: a hard link where the file system allows one (the bytes are
        stored once), else a copy; atomically either way. Returns the path relative to the
        thread folder."""
        relative = f"assets/{sha256}{source.suffix}"
        path = self.thread_dir(key) / relative
        if file_sha256(path) == sha256:
            return relative
        with _writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            # Named as the temporary files that remove_stale_temp_files cleans up.
            temporary = path.with_name(f".{path.name}.{os.getpid()}.link.tmp")
            temporary.unlink(missing_ok=True)
            try:
                os.link(source, temporary)
            except OSError:  # another file system, or links not allowed: a copy
                with atomic_file(path) as handle, source.open("rb") as original:
                    shutil.copyfileobj(original, handle)
            else:
                os.replace(temporary, path)
        return relative

    def asset_intact(self, key: str, asset: StoredAsset) -> bool:
        """Whether the asset's file is still there and still hashes to its SHA-256."""
        return file_sha256(self.thread_dir(key) / asset.path) == asset.sha256

    def warc_path(self, key: str, run_id: str) -> Path:
        path = self.thread_dir(key) / "warc" / f"{run_id}.warc.gz"
        with _writing(path.parent):
            path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def warc_payload(self, warc_file: str, record_id: str, offset: int | None = None) -> bytes:
        """The payload (content-encoding removed) of one response record of the archive.

        With the record's `offset` it is read from there, else (older archives, or an offset
        that does not hold it) the file is scanned for it.
        """
        path = path_inside(self.root, warc_file, self.root, "warc_file")
        try:
            with path.open("rb") as stream:
                if offset is not None:
                    stream.seek(offset)
                    record = next(iter(ArchiveIterator(stream)), None)
                    if record is not None and (
                            record.rec_headers.get_header("WARC-Record-ID") == record_id):
                        found: bytes = record.content_stream().read()
                        return found
                    stream.seek(0)
                for record in ArchiveIterator(stream):
                    if record.rec_headers.get_header("WARC-Record-ID") == record_id:
                        payload: bytes = record.content_stream().read()
                        return payload
        except OSError as error:
            raise ArchiveError(f"cannot read {path}: {error}") from error
        raise ArchiveError(f"{path} has no record {record_id}")

    def relative(self, path: Path) -> str:
        """A path inside the archive, as stored in records (POSIX, relative to the root)."""
        return path.relative_to(self.root).as_posix()

    def read_thread_file(self, path: Path) -> ArchivedThread:
        """The thread stored in `path` (a `thread.json` of this archive); ArchiveError when it
        cannot be read or does not match the archive format."""
        return self.read_stored(path)[0]

    def load_stored(self, key: str) -> tuple[ArchivedThread, int] | None:
        """`load`, with the format version the file is stored in."""
        path = self.thread_dir(key) / "thread.json"
        if not path.exists():
            return None
        return self.read_stored(path)

    def read_stored(self, path: Path) -> tuple[ArchivedThread, int]:
        """`read_thread_file`, with the format version the file is stored in (an older one
        is upgraded in memory: the next run that writes the thread stores the current one)."""
        try:
            # orjson, from the bytes (it checks they are UTF-8): a 7 MB thread.json in 22 ms,
            # where json.loads of the decoded text took 36 (measured).
            data = orjson.loads(path.read_bytes())
        except (OSError, ValueError) as error:  # orjson.JSONDecodeError is a ValueError
            raise ArchiveError(f"cannot read {path}: {error}") from error
        if (not isinstance(data, dict) or data.get("format") != FORMAT_NAME
                or data.get("format_version") not in READABLE_VERSIONS):
            raise ArchiveError(
                f"{path} is not a forum-mirror thread of format version "
                f"{' or '.join(map(str, sorted(READABLE_VERSIONS)))}"
            )
        try:
            thread = thread_from_dict(thread_data(data))
        except (KeyError, TypeError, AttributeError, ValueError, UnsupportedUrl) as error:
            raise ArchiveError(f"{path} does not match the archive format: {error}") from error
        # Before anything joins them to a folder: the file may say `../../elsewhere`.
        check_thread_paths(thread, path, path.parent.name)
        return thread, int(data["format_version"])


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turn a failed write into the archive's own error (read-only folder, full disk)."""
    try:
        yield
    except OSError as error:
        raise ArchiveError(f"cannot write {path}: {error.strerror or error}") from error
