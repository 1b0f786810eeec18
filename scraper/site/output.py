"""Writing the site's files only when their bytes change.

Pelican writes every output file on every build. A file rewritten with the same bytes still
gets a new mtime, so `rsync`, a static host or a backup sees the whole mirror as changed
after every scheduled `update --build`. Everything the build writes goes through here
instead: a file whose bytes are already on disk is left untouched (same mtime, same inode).
"""

from __future__ import annotations

import contextlib
import filecmp
import io
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from pelican.writers import FileOverwriteFailedError, Writer

log = logging.getLogger(__name__)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless the file already holds exactly it; True if written.

    A file that changes is written to a temporary file and renamed: a reader of the
    published site never sees half a page.
    """
    try:
        # A new file: no reader has it yet, so it is written in place (a rename per file
        # would double the cost of a first build's 100,000 permalink stubs). Creating it
        # is the test of whether it exists: a stat first failed for every file of a first
        # build, and cost as much as the write.
        with path.open("xb") as new:
            new.write(data)
        return True
    except FileExistsError:
        pass
    except FileNotFoundError:  # its folder is missing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return True
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass  # a link to nowhere, or deleted since: replaced all the same
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def inodes(folder: Path) -> dict[str, int]:
    """The inode number of each name in `folder` (none if it is missing), from one listing:
    what `write_linked` needs to know of the names it is given."""
    try:
        with os.scandir(folder) as entries:
            return {entry.name: entry.inode() for entry in entries}
    except FileNotFoundError:
        return {}


def write_linked(folder: Path, names: list[str], data: bytes, held: dict[str, int]) -> int:
    """Give every file `names` of `folder` the bytes `data`, as hard links of the first;
    how many of them changed. `held` is what `inodes(folder)` found of those names before
    (a stat per name cost more than the links: it failed for every name of a first build).

    A new file costs an inode, which on this kind of disk costs more than rendering the page
    (about 0.5-1 ms of kernel time): a link to an existing inode costs a fraction of that.
    A name already linked to the first file is left alone; one that is not is linked anew by
    rename (a reader sees the old file or the new one). Where the file system has no hard
    links (FAT, another device), each name gets its own copy.
    """
    if not names:
        return 0
    first = folder / names[0]
    changed = int(write_if_changed(first, data))
    inode = first.stat().st_ino
    for name in names[1:]:
        was = held.get(name)
        if was == inode:
            continue
        changed += 1
        path = os.path.join(folder, name)
        try:
            if was is None:
                os.link(first, path)
            else:
                temporary = os.path.join(folder, f".{name}.tmp")
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                os.link(first, temporary)
                os.replace(temporary, path)
        except OSError:
            if not write_if_changed(Path(path), data):
                changed -= 1
    return changed


def sync_folder(source: Path, target: Path) -> int:
    """Make `target` hold exactly `source`'s files, copying only those that differ and
    deleting those `source` lacks; how many files were copied or deleted.

    A file an earlier build wrote under another name (a search shard whose key changed)
    must not linger: a reader could load it, and the folder would grow with every build.
    """
    changed = 0
    wanted: set[Path] = set()
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(source)
        wanted.add(relative)
        destination = target / relative
        if destination.is_file() and filecmp.cmp(path, destination, shallow=False):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        changed += 1
    return changed + remove_all_but(target, {path.as_posix() for path in wanted})


def remove_all_but(folder: Path, kept: set[str]) -> int:
    """Delete every file under `folder` whose path from it (with `/`) is not in `kept`, and
    the folders that leaves empty; how many files were deleted.

    What an earlier build wrote and this one does not (the last page of a thread that lost
    posts, their permalinks, a thread gone from the archive) must not stay published: a
    link or a search engine would still find it.
    """
    removed = 0
    # Deepest first, so that a folder emptied of stale files goes too. Not followed: a
    # link to a folder (none of the build's) is left as it is.
    for folder_path, _, names in os.walk(folder, topdown=False):
        inner = os.path.relpath(folder_path, folder)
        prefix = "" if inner == os.curdir else inner.replace(os.sep, "/") + "/"
        for name in names:
            if prefix + name not in kept:
                os.unlink(os.path.join(folder_path, name))
                removed += 1
        if prefix and not os.listdir(folder_path):
            os.rmdir(folder_path)
    return removed


class _UnchangedSkippingFile(io.StringIO):
    """What Pelican's writer writes a page into: on close, the page goes to disk only if
    its bytes differ from the file's."""

    def __init__(self, path: Path, writer: SkipUnchangedWriter) -> None:
        super().__init__()
        self._path = path
        self._writer = writer

    def close(self) -> None:
        if not self.closed:
            if write_if_changed(self._path, self.getvalue().encode("utf-8")):
                self._writer.changed += 1
            else:
                self._writer.unchanged += 1
        super().close()


class SkipUnchangedWriter(Writer):
    """Pelican's writer, except that a page whose bytes did not change is not rewritten.

    Pelican opens each output file through `_open_w`; the file handed back here compares
    before it writes. Connected through Pelican's `get_writer` signal (`__init__.py`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changed = 0
        self.unchanged = 0

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> Any:
        # Pelican's own checks (one write per file unless overridden), without its
        # open(filename, "w"), which would empty the file before it could be compared.
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" a second time')
            return open(os.devnull, "w", encoding=encoding)
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(f'Failed to overwrite "{filename}": already written')
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return _UnchangedSkippingFile(Path(filename), self)
