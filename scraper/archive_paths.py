"""The keys and relative paths an archive stores, checked before anything goes through them.

`thread.json` is data: a hostile board shaped much of it and anyone may edit it. A thread key
or a stored relative path that said `../../x` would make `verify` read, and `build` write,
outside the archive and the site. Every key and path read from the archive passes these
checks; `thread.schema.json` states the same rules as patterns (`$defs/Key`,
`$defs/RelativePath`).
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ArchiveError
from .records import ArchivedThread

# A thread key is a folder name: lower-case letters, digits and `._-`, never `.` first.
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
KEY_MAX_LENGTH = 200


def key_problem(key: object) -> str | None:
    """Why `key` is not a valid thread key, or None when it is one."""
    if not isinstance(key, str):
        return "is not a string"
    if len(key) > KEY_MAX_LENGTH:
        return f"is longer than {KEY_MAX_LENGTH} characters"
    if not KEY_PATTERN.fullmatch(key):
        return "is not a thread key (lower-case letters, digits and ._-, not '.' first)"
    return None


def check_key(key: object, source: object) -> str:
    """`key` when it is a valid thread key, else ArchiveError naming `source`."""
    problem = key_problem(key)
    if problem is not None:
        raise ArchiveError(f"{source}: key {key!r} {problem}")
    assert isinstance(key, str)  # key_problem said so
    return key


def relative_path_problem(path: object) -> str | None:
    """Why `path` is not a safe POSIX relative path, or None when it is one."""
    if not isinstance(path, str):
        return "is not a string"
    if "\\" in path or "\x00" in path:
        return "contains a backslash or NUL"
    if path.startswith("/"):
        return "is absolute"
    parts = path.split("/")
    if ".." in parts:
        return "leads out of its folder ('..')"
    if "" in parts or "." in parts:
        return "has an empty or '.' part"
    return None


def check_relative_path(path: object, source: object, field: str) -> str:
    """`path` when it is a safe relative path, else ArchiveError naming `source` and `field`."""
    problem = relative_path_problem(path)
    if problem is not None:
        raise ArchiveError(f"{source}: {field} {path!r} {problem}")
    assert isinstance(path, str)  # relative_path_problem said so
    return path


def path_inside(base: Path, relative: str, source: object, field: str) -> Path:
    """`base / relative` once it is checked to stay inside `base`, symlinks followed."""
    target = base / check_relative_path(relative, source, field)
    if not target.resolve().is_relative_to(base.resolve()):
        raise ArchiveError(f"{source}: {field} {relative!r} leads out of {base} (a symlink)")
    return target


def check_thread_paths(thread: ArchivedThread, source: object, folder: str) -> None:
    """ArchiveError naming `source` unless the thread's key is `folder`, its folder's name,
    and every path it stores is a safe relative path.

    Lexical only (no file system access), so it is cheap enough for every read; code that
    opens a stored path goes through `path_inside`, which also follows symlinks.
    """
    check_key(thread.key, source)
    if thread.key != folder:
        raise ArchiveError(f"{source}: key {thread.key!r} is not its folder's name {folder!r}")
    stored: list[tuple[str, str]] = []  # (field, path)
    for asset in thread.assets:
        stored += [("asset path", asset.path), ("warc_file", asset.capture.warc_file)]
    stored += [("warc_file", page.capture.warc_file) for page in thread.pages]
    for post in thread.posts:
        stored.append(("warc_file", post.warc_file))
        stored += [("image path", image.path) for image in post.images]
        if post.author.avatar_path is not None:
            stored.append(("avatar_path", post.author.avatar_path))
        stored += [("warc_file", revision.warc_file) for revision in post.revisions]
    for field, path in stored:
        check_relative_path(path, source, field)
