"""The archive's index of stored assets, so that an asset already archived under any thread
(an avatar shown in many threads, an image quoted from one into another) is linked into a
new thread's folder instead of downloaded again (docs/archive.md, "The asset index").

    <root>/state/assets/url/<sha256 of the URL>.json   an asset URL -> the bytes it gave:
                                                       SHA-256, type, size, and the capture
                                                       that archived them (its WARC record)
    <root>/state/assets/sha256/<sha256>.json           a thread folder's file holding them
    <root>/state/assets/index.json                     written once every thread's assets
                                                       were indexed (then kept up by saves)

Like the rest of `state/`, it is derived data: each entry is written atomically (but not
flushed to disk: a thread's scrape writes two for each of its assets), a missing, empty or
wrong one only costs a download, and without `index.json` the next lookup indexes every
thread again. A file found through it is hashed before it is linked: a damaged copy is
never spread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from .archive import ThreadArchive, file_sha256, write_json_file
from .archive_paths import check_relative_path, key_problem, path_inside
from .errors import ArchiveError
from .records import ArchivedThread, Capture, StoredAsset, to_dict

log = logging.getLogger(__name__)

INDEX_DIR = Path("state") / "assets"
INDEX_FORMAT = "forum-mirror/asset-index"
INDEX_VERSION = 1


@dataclass(frozen=True)
class IndexedAsset:
    """What an asset URL gave when it was archived, and where a copy of it is."""

    sha256: str
    content_type: str
    bytes: int
    capture: Capture  # the original download: its URL, time, hash and WARC record
    source: Path  # a stored file with these bytes (hashed before use)


class AssetIndex:
    """The asset index of one archive."""

    def __init__(self, archive: ThreadArchive) -> None:
        self.archive = archive
        self.folder = archive.root / INDEX_DIR

    def _url_path(self, url: str) -> Path:
        return self.folder / "url" / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def _sha_path(self, sha256: str) -> Path:
        return self.folder / "sha256" / f"{sha256}.json"

    def find(self, url: str) -> IndexedAsset | None:
        """The archived asset `url` gave, if any thread holds an intact copy of it."""
        if not (self.folder / "index.json").is_file():
            self.rebuild()
        try:
            entry = json.loads(self._url_path(url).read_text("utf-8"))
            where = json.loads(self._sha_path(entry["sha256"]).read_text("utf-8"))
            if entry["url"] != url or key_problem(where["key"]) is not None:
                return None
            source = path_inside(self.archive.thread_dir(where["key"]), where["path"],
                                 self._sha_path(entry["sha256"]), "path")
            found = IndexedAsset(sha256=str(entry["sha256"]),
                                 content_type=str(entry["content_type"]),
                                 bytes=int(entry["bytes"]), capture=Capture(**entry["capture"]),
                                 source=source)
        except (OSError, ValueError, KeyError, TypeError, ArchiveError):
            return None  # not indexed, or not readable: the asset is downloaded
        if file_sha256(found.source) != found.sha256:
            # Damaged or replaced: forget it, so that the next thread saved with these bytes
            # becomes their source.
            self._sha_path(found.sha256).unlink(missing_ok=True)
            return None
        return found

    def note(self, thread: ArchivedThread) -> None:
        """Index the thread's assets (stored in its folder, their WARC file closed): each URL
        not indexed yet, and each file whose bytes no indexed file holds any more."""
        for asset in thread.assets:
            sha_path = self._sha_path(asset.sha256)
            if not self._holds(sha_path, asset.sha256):
                write_json_file(sha_path, {"key": thread.key, "path": asset.path},
                                durable=False)
            for url in asset.urls:
                url_path = self._url_path(url)
                if not url_path.is_file():
                    write_json_file(url_path, {"url": url, "sha256": asset.sha256,
                                           "content_type": asset.content_type,
                                           "bytes": asset.bytes,
                                           "capture": to_dict(asset.capture)},
                                    durable=False)

    def _holds(self, sha_path: Path, sha256: str) -> bool:
        try:
            where = json.loads(sha_path.read_text("utf-8"))
            folder = self.archive.thread_dir(where["key"])
            path = folder / check_relative_path(where["path"], sha_path, "path")
        except (OSError, ValueError, KeyError, TypeError, ArchiveError):
            return False
        # By name (files are named by their SHA-256 and written by rename): hashing every
        # asset of every saved thread would cost more than the downloads it saves; `find`
        # hashes the one it links.
        try:
            return path.is_file() and sha256 in path.name
        except OSError:
            return False

    def rebuild(self) -> None:
        """Index every readable thread's assets (an archive of an earlier version, or an
        index deleted), then mark the index complete."""
        if self.archive.thread_files():  # a new archive has nothing to index: say nothing
            log.info("indexing the assets of every archived thread (once)")
        for thread in self.archive.threads():
            self.note(thread)
        write_json_file(self.folder / "index.json",
                    {"format": INDEX_FORMAT, "format_version": INDEX_VERSION})

    def reuse(self, url: str, key: str) -> StoredAsset | None:
        """The asset `url` gave, linked (or copied) into thread `key`'s folder from the
        thread that archived it, with that download's provenance; None when no thread has
        it (it is downloaded then)."""
        found = self.find(url)
        if found is None:
            return None
        try:
            path = self.archive.link_asset(key, found.source, found.sha256)
        except ArchiveError as error:
            log.warning("%s; downloading %s instead", error, url)
            return None
        return StoredAsset(sha256=found.sha256, path=path, filename="",
                           content_type=found.content_type, bytes=found.bytes, urls=[url],
                           capture=found.capture)
