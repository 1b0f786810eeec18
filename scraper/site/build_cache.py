"""What a build keeps for the next one, so that threads that did not change are not rebuilt.

A thread's pages depend only on its archive folder, the theme, the settings and this code.
For each thread the cache keeps a fingerprint of those and the thread's `ThreadSiteData`
(what the index, search, author pages, feed and about page take from it). When the next
build finds the same fingerprint and the thread's pages still in the output, it skips the
thread: its JSON is not parsed, its pages are not rendered, its zip and assets are not
looked at. Each author's posts are kept there too (authors.AuthorStore), so only the author
pages a changed thread touches are rendered again.

The cache lives outside the published folder (`FORUM_MIRROR_CACHE_PATH`, which `build_site`
sets to `.<output>.cache/` beside the output): it is the build's, not the reader's. Deleting
it only makes the next build a full one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from .. import __version__
from ..thread_state import files_fingerprint
from .authors import AuthorStore
from .offline_index import KeptPosts, SearchPost
from .output import write_if_changed
from .pages import ThreadSiteData
from .views import PostViewCache

log = logging.getLogger(__name__)

CACHE_SETTING = "FORUM_MIRROR_CACHE_PATH"
AUTHORS_FILE = "authors.sqlite"
FRAGMENTS_DIR = "fragments"  # each thread's rendered page parts (FragmentCache)
FRAGMENT_SUFFIXES = {"views": ".views.pickle", "parts": ".parts.pickle"}
# Whatever of this package decides what a page looks like: a changed file rebuilds all.
CODE_ROOT = Path(__file__).resolve().parents[1]


def _tree_digest(digest: Any, folder: Path, pattern: str) -> None:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())


def build_signature(settings: dict[str, Any], theme: Path) -> str:
    """A digest of everything besides the archive that the pages depend on."""
    digest = hashlib.sha256(__version__.encode())
    _tree_digest(digest, CODE_ROOT, "*.py")
    _tree_digest(digest, theme, "*")
    # Values JSON cannot hold (modules, functions) count by type: their repr holds addresses
    # that change with every run.
    digest.update(
        json.dumps(settings, sort_keys=True, default=lambda value: type(value).__name__).encode()
    )
    return digest.hexdigest()


def folder_fingerprint(thread_dir: Path, signature: str) -> str:
    """A digest of the thread's folder for a build of `signature`: thread.json by content,
    every file by name, size and mtime (thread_state.files_fingerprint)."""
    digest = hashlib.sha256(signature.encode())
    with (thread_dir / "thread.json").open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())
    digest.update(files_fingerprint(thread_dir).encode())
    return digest.hexdigest()


class BuildCache:
    """The cache folder of one site's builds."""

    def __init__(self, folder: Path, signature: str) -> None:
        self.folder = folder
        self.signature = signature

    def _thread_file(self, key: str) -> Path:
        return self.folder / "threads" / f"{key}.pickle"

    def _search_posts_file(self, key: str) -> Path:
        return self.folder / "threads" / f"{key}.search.pickle"

    def thread(self, key: str, fingerprint: str) -> ThreadSiteData | None:
        """The thread's data of the last build, if that build saw the same fingerprint; its
        search posts stay in their file until asked for (offline_index.KeptPosts)."""
        try:
            with self._thread_file(key).open("rb") as handle:
                kept, data, count = pickle.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError,
                ValueError) as error:  # fmt: skip
            log.warning("build cache of %s unreadable (%s): rebuilding the thread", key, error)
            return None
        posts_file = self._search_posts_file(key)
        if kept != fingerprint or not isinstance(data, ThreadSiteData) or not posts_file.is_file():
            return None
        read = partial(self._read_search_posts, key, fingerprint)
        return replace(data, search_posts=KeptPosts(count, read))

    def _read_search_posts(self, key: str, fingerprint: str) -> list[SearchPost]:
        """The search posts `keep_thread` kept of thread `key`; raises OSError (and makes
        the next build render the thread again) if they cannot be read as kept."""
        path = self._search_posts_file(key)
        try:
            with path.open("rb") as handle:
                kept, posts = pickle.load(handle)
            if kept != fingerprint or not isinstance(posts, list):
                raise ValueError("kept for another state of the thread")
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError,
                ValueError) as error:  # fmt: skip
            self.forget_thread(key)
            raise OSError(f"the build cache's search posts of {key} ({path}) cannot be read "
                          f"({error}); build again: the thread is rendered anew") from error
        return posts

    def keep_thread(self, key: str, fingerprint: str, data: ThreadSiteData) -> None:
        """Keep what the site-wide pages took of the thread, its search posts apart: a
        rebuild that keeps the thread's search files never reads them."""
        posts = data.search_posts
        assert isinstance(posts, list), "only a thread rendered in this build is kept"
        # The posts first: the thread's file names them kept (`thread` looks for both).
        write_if_changed(self._search_posts_file(key), pickle.dumps((fingerprint, posts)))
        write_if_changed(self._thread_file(key),
                         pickle.dumps((fingerprint, replace(data, search_posts=[]),
                                       len(posts))))  # fmt: skip

    def forget_thread(self, key: str) -> None:
        """Make the next build render the thread again (its pages may not be as kept)."""
        self._thread_file(key).unlink(missing_ok=True)
        self._search_posts_file(key).unlink(missing_ok=True)

    def state(self, name: str) -> str | None:
        """What `keep_state(name, ...)` kept, if the signature is the same."""
        try:
            kept = json.loads((self.folder / f"{name}.state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(kept, dict) or kept.get("signature") != self.signature:
            return None
        value = kept.get("state")
        return value if isinstance(value, str) else None

    def keep_state(self, name: str, state: str | None) -> None:
        text = json.dumps({"signature": self.signature, "state": state})
        write_if_changed(self.folder / f"{name}.state.json", text.encode("utf-8"))

    def search_fingerprints(self) -> dict[str, str | None]:
        """Each thread's fingerprint (by its search files' id) when the search files were
        last written: what `keep_search_fingerprints` kept."""
        try:
            kept = json.loads(self.state("search-posts") or "{}")
        except ValueError:
            return {}
        return kept if isinstance(kept, dict) else {}

    def keep_search_fingerprints(self, fingerprints: dict[str, str | None]) -> None:
        self.keep_state("search-posts", json.dumps(fingerprints, sort_keys=True))

    def author_store(self) -> AuthorStore:
        """The authors' posts of the last build (authors.AuthorStore), to be closed."""
        return AuthorStore(self.folder / AUTHORS_FILE, self.signature)


class FragmentCache:
    """What the last build rendered of one thread's pages: its post views (views.
    PostViewCache) and the posts of each page as HTML, by a digest of everything they were
    rendered from. A thread that changed renders again only what the change reaches (a post
    added: its view, and its page's posts, not the other pages').

    A part's render must depend on its `inputs` alone (and on what the build's signature
    covers: code, theme, settings): the digest is of their pickle, so equal inputs pickled
    another way only cost a render, never a stale part. One thread's files are read and
    written by the process that renders the thread (the worker, or the child that writes
    its pages: the parts are read only once asked for, by whoever writes the pages).
    """

    def __init__(self, cache_folder: Path, key: str, signature: str) -> None:
        self.key = key
        self.folder = cache_folder / FRAGMENTS_DIR
        self.signature = signature.encode()
        self.views = PostViewCache(self.signature, self._load("views"))
        self.before: dict[bytes, str] | None = None  # the parts, once read
        self.now: dict[bytes, str] = {}

    def _path(self, kind: str) -> Path:
        return self.folder / f"{self.key}{FRAGMENT_SUFFIXES[kind]}"

    def _load(self, kind: str) -> dict[Any, Any]:
        kept: object = None
        try:
            kept = pickle.loads(self._path(kind).read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError,
                ValueError) as error:  # fmt: skip
            log.warning("kept %s of %s unreadable (%s): rendering them", kind, self.key, error)
        if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == self.signature and (
                isinstance(kept[1], dict)):  # fmt: skip
            return kept[1]
        return {}

    def get(self, inputs: object, render: Callable[[], str]) -> str:
        """The part rendered from `inputs`: as the last build kept it, or `render()`."""
        if self.before is None:
            self.before = self._load("parts")
        digest = hashlib.sha256(pickle.dumps(inputs, pickle.HIGHEST_PROTOCOL)).digest()
        text = self.now.get(digest)
        if text is None:
            text = self.before.get(digest)
            if text is None:
                text = render()
            self.now[digest] = text
        return text

    def keep_views(self) -> None:
        """Keep the views this build used (only), for the next build."""
        views = self.views
        if views.made or views.now.keys() != views.before.keys():
            self._keep("views", views.now)

    def keep_parts(self) -> None:
        """Keep the parts this build used (only), for the next build."""
        if self.before is None or self.now.keys() != self.before.keys():
            self._keep("parts", self.now)

    def _keep(self, kind: str, kept: dict[Any, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps((self.signature, kept), pickle.HIGHEST_PROTOCOL)
        write_if_changed(self._path(kind), data)


def keep_fragments_of(cache_folder: Path, keys: set[str]) -> None:
    """Drop the page parts and views of threads not in `keys` (gone from the archive)."""
    try:
        names = os.listdir(cache_folder / FRAGMENTS_DIR)
    except FileNotFoundError:
        return
    for name in names:
        key = name
        for suffix in FRAGMENT_SUFFIXES.values():
            key = key.removesuffix(suffix)
        if key not in keys:
            (cache_folder / FRAGMENTS_DIR / name).unlink(missing_ok=True)
