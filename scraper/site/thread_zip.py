"""A thread's archive folder as one zip file, for the mirror's "download this archive" link.

The zip holds `threads/<key>/` with thread.json, assets/ and warc/: unzipped into an empty
folder it is an archive that `forum-mirror verify --archive FOLDER` checks. Members are sorted
and carry fixed times and permissions, so rebuilding an unchanged archive gives the same
bytes. The file is written to a temporary file and renamed: a reader never sees half a zip.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path

from ..archive import THREADS_DIR, atomic_file

log = logging.getLogger(__name__)

# The earliest time a zip can hold: the archive's own times are in thread.json.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16
UNIX = 3  # "made by" system: the same on every machine that builds
COMPRESS_LEVEL = 6
# Already compressed: storing them again costs time and saves nothing.
STORED_SUFFIXES = (".gz", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".zip", ".mp4", ".pdf")


def thread_zip_name(key: str) -> str:
    """The zip's file name in the thread's folder of the site."""
    return f"{key}.zip"


def archive_members(thread_dir: Path) -> list[Path]:
    """The files of a thread's archive folder that belong in its zip, sorted.

    Left out: temporary files of killed runs (`.<name>.*.tmp`) and unfinished WARC files
    (`*.part`), which `thread.json` does not point to, and symlinks that lead out of the
    folder, which would publish whatever they point at.
    """
    members = []
    inside = thread_dir.resolve()
    for path in thread_dir.rglob("*"):
        relative = path.relative_to(thread_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if path.name.endswith(".part"):
            continue
        if not path.resolve().is_relative_to(inside):
            log.warning("%s leads out of %s: not put in the thread's zip", path, thread_dir)
            continue
        members.append(path)
    return sorted(members, key=lambda p: p.relative_to(thread_dir).as_posix())


def _member_name(key: str, thread_dir: Path, path: Path) -> str:
    return f"{THREADS_DIR}/{key}/{path.relative_to(thread_dir).as_posix()}"


def zip_is_current(target: Path, thread_dir: Path, key: str) -> bool:
    """True when `target` already holds exactly what `write_thread_zip` would write.

    Assets are named by their SHA-256 and a WARC file never changes once renamed into
    place, so for them the name and size say enough; thread.json changes with every run
    and is compared by CRC-32, which the zip stores. A scheduled `update --build` thus
    rewrites only the zips of threads that changed.
    """
    try:
        with zipfile.ZipFile(target) as bundle:
            held = {info.filename: info for info in bundle.infolist()}
    except (OSError, zipfile.BadZipFile):
        return False
    members = archive_members(thread_dir)
    if sorted(held) != sorted(_member_name(key, thread_dir, path) for path in members):
        return False
    for path in members:
        info = held[_member_name(key, thread_dir, path)]
        if info.file_size != path.stat().st_size:
            return False
        if path.name == "thread.json" and zlib.crc32(path.read_bytes()) != info.CRC:
            return False
    return True


def write_thread_zip(thread_dir: Path, target: Path, key: str) -> int:
    """Write the zip of `thread_dir` to `target` (members under `threads/<key>/`); its size.

    A zip that is already current is left as it is.
    """
    if zip_is_current(target, thread_dir, key):
        return target.stat().st_size
    with (
        atomic_file(target) as handle,
        zipfile.ZipFile(handle, "w", compresslevel=COMPRESS_LEVEL) as bundle,
    ):
        for path in archive_members(thread_dir):
            info = zipfile.ZipInfo(_member_name(key, thread_dir, path), ZIP_TIME)
            info.external_attr = FILE_MODE
            info.create_system = UNIX
            stored = path.name.lower().endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            # Streamed: a thread's WARC files can be large.
            with path.open("rb") as source, bundle.open(info, "w") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
    size = target.stat().st_size
    log.debug("wrote %s (%d bytes)", target, size)
    return size
