"""The site's search index, which search.js reads over HTTP and from `file://` alike.

Classic `<script src>` tags load it, which `file://` allows (an ES module or `fetch` would
not). It is sharded so that a query loads only what it needs, however large the archive
(`search/offline-index.js` is the manifest, the rest is under `search/offline/`):

- `terms/w-<key>.js`: the words starting with `key` (their search form, arabic.search_words)
  and, per word, the posts holding it with how often. Keys are prefixes grown one letter at a
  time until a shard is at most `SHARD_BYTES`, so common letters get longer keys.
- `terms/p-<prefix>.js`: for a prefix shorter than the shard keys under it (a reader typing
  the first letters), the posts holding a word that starts with it, counts summed: a short
  query loads one file as large as the posts it finds, not every shard under it.
- `posts/<thread>/<n>.js`: the posts themselves, `POSTS_PER_FILE` a file, in a folder per
  thread (`SearchThread.file_id`), for the hits shown. A thread's files depend on its posts alone:
  a build where one thread changed rewrites that thread's files and keeps the others'.
- `filters.js`: each post's thread, author and year, loaded by a filtered query only.
- `counts.js`: how many posts have each thread, author and year, for search.html's lists
  (over HTTP too: Pagefind's own counts are of pages, not posts).

A posting list is `[post, count, post, count, ...]`, each post number the difference from the
one before (small numbers keep the files small); a post's number counts the posts of the
threads before its own (the manifest has each thread's first number). Shard names spell the
key's code points in hex, so file names stay ASCII. `search/rules.js` carries the
normalization rules (arabic.RULES) to search.js.

The same files serve a site opened over HTTP: search.js loads them the same way there.
Pagefind, which the site used over HTTP before, needed memory that grew with the archive's
words (2.5 GB at 100,000 posts) and could only index every post again on every change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from .arabic import RULES, normalized_words, strip_prefix
from .output import write_if_changed
from .views import ThreadView, time_view

log = logging.getLogger(__name__)

SEARCH_DIR = "search"
OFFLINE_INDEX_FILE = "offline-index.js"
OFFLINE_SHARDS_DIR = "offline"
RULES_FILE = "rules.js"
INDEX_GLOBAL = "FORUM_MIRROR_INDEX"
SHARDS_GLOBAL = "FORUM_MIRROR_SHARDS"
RULES_GLOBAL = "FORUM_MIRROR_SEARCH_RULES"
FORMAT_VERSION = 5  # 5: posts files per thread
# A term shard is split by the next letter above this size (uncompressed): a query loads
# about this much per term, or one prefix file (at most every post) for a short term.
SHARD_BYTES = 48 * 1024
# search.html shows 50 hits, each likely in another file (the hits of a common word are
# spread over the archive): at 20 posts a file those 50 files were 0.9 of the 1.1 MB a
# query loaded at 100,000 posts (benchmarks/search.py); at 5, about a quarter of that, in
# 20,000 files.
POSTS_PER_FILE = 5


@dataclass(frozen=True)
class SearchPost:
    """A post as search shows it; `url` is from the site's root and ends in its anchor."""

    thread: int  # index into SearchData.threads
    url: str
    author: str
    published: str  # ISO 8601, or "" when the board gave no time
    text: str
    date_text: str = ""  # the date as the thread's pages show it (`24 نونبر 2021، 10:42`)

    @property
    def year(self) -> str:
        """The year of publication, for the year filter ("" when unknown)."""
        try:
            return str(datetime.fromisoformat(self.published).year)
        except ValueError:
            return ""


@dataclass(frozen=True)
class SearchThread:
    title: str
    url: str  # its first page, from the site's root

    @property
    def file_id(self) -> str:
        """The folder of its posts files: ASCII whatever the URL, and the same while it is."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:12]


def thread_search_posts(view: ThreadView) -> tuple[SearchThread, list[SearchPost]]:
    """`view`'s thread and its posts as search shows them (their `thread` is 0)."""
    summary = view.summary
    folder = summary.href.rsplit("/", 1)[0]
    posts = []
    for page in view.pages:
        for post in page.posts:
            moment = time_view(post.published, summary.lang, summary.board_language)
            posts.append(
                SearchPost(
                    thread=0,
                    url=f"{folder}/{page.file}#{post.anchor}",
                    author=post.author_name,
                    published=post.published or "",
                    text=post.search_text,
                    date_text=moment.text if moment else post.published_text,
                )
            )
    return SearchThread(summary.title, summary.href), posts


class SearchData:
    """Every post of the site, added one thread at a time while the pages are written.

    The posts go to a temporary file as they come, not into a list: at 100,000 posts their
    text held in memory was a large part of a build's peak. What the index needs of every
    post is kept compactly: each search word's occurrences, and each post's thread, author
    and year as numbers in arrays.
    """

    def __init__(self) -> None:
        self.threads: list[SearchThread] = []
        self.first: list[int] = []  # each thread's first post number
        self._spool: IO[str] | None = None
        self._reread = False
        self._count = 0
        # Search word -> the number of the post of each of its occurrences, in post order.
        # One number per occurrence, not (post, count) pairs: Counter then counts them in C.
        self.postings: dict[str, array[int]] = {}
        # A word as written (`والمغرب`) -> the postings of its search form (`مغرب`): the
        # prefix rules run once per distinct word, not once per occurrence.
        self._written: dict[str, array[int]] = {}
        self._authors: dict[str, int] = {}  # in order of first appearance
        self._years: dict[str, int] = {}
        self.post_thread = array("I")
        self.post_author = array("I")
        self.post_year = array("i")  # -1: no year

    def __len__(self) -> int:
        """How many posts were added."""
        return self._count

    def add_thread(self, view: ThreadView) -> None:
        """Add `view`'s posts."""
        self.add(*thread_search_posts(view))

    def add(self, thread: SearchThread, posts: Iterable[SearchPost]) -> None:
        """Add `thread` and its `posts` (whatever their `thread`, they are numbered here)."""
        self.threads.append(thread)
        self.first.append(self._count)
        number = len(self.threads) - 1
        for post in posts:
            self._append(replace(post, thread=number))

    def _append(self, post: SearchPost) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        elif self._reread:
            self._spool.seek(0, 2)  # posts() left the file part read
            self._reread = False
        # The thread's number first: the writer passes over a kept thread's lines unread.
        self._spool.write(f"{post.thread}\t{_json(_post_row(post))}\n")
        number = self._count
        self._count += 1
        for word in normalized_words(post.text):
            found = self._written.get(word)
            if found is None:
                found = self._written[word] = self.postings.setdefault(
                    strip_prefix(word), array("I")
                )
            found.append(number)
        self.post_thread.append(post.thread)
        self.post_author.append(self._authors.setdefault(post.author, len(self._authors)))
        year = post.year
        self.post_year.append(self._years.setdefault(year, len(self._years)) if year else -1)

    def posts(self) -> Iterator[SearchPost]:
        """The posts, in the order they were added, read back one at a time."""
        for thread, lines in self._spooled():
            yield from (_post_from_row([thread, *json.loads(line)]) for line in lines)

    def _spooled(self) -> Iterator[tuple[int, Iterator[str]]]:
        """Each thread's number and its posts' rows as spooled (JSON), thread by thread."""
        if self._spool is None:
            return
        self._reread = True
        self._spool.seek(0)
        for thread, lines in groupby(self._spool, key=lambda line: line[: line.index("\t")]):
            yield int(thread), (line[line.index("\t") + 1 :] for line in lines)

    def thread_posts(self) -> list[int]:
        """How many posts each thread has."""
        ends = [*self.first[1:], self._count][: len(self.first)]  # no thread, no end
        return [end - first for first, end in zip(self.first, ends, strict=True)]

    @property
    def authors(self) -> list[str]:
        """Every author's name, in the order of first appearance (post_author's numbers)."""
        return list(self._authors)

    @property
    def years(self) -> list[str]:
        """Every year of publication, in the order of first appearance (post_year's numbers)."""
        return list(self._years)


def _post_row(post: SearchPost) -> list[object]:
    """A post as its posts file holds it (its thread is the file's)."""
    return [post.url, post.author, post.published, post.text, post.date_text]


def _post_from_row(row: list[Any]) -> SearchPost:
    return SearchPost(*row)


def _script(name: str, payload: str) -> str:
    # JSON is a JavaScript expression. `<\\/` is JSON's own escape of `</`: no scraped text
    # could close a <script> element even if someone inlined the file.
    escaped = payload.replace("</", "<\\/")
    return f"window.{name} = {escaped};\n"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _shard_head(name: str) -> str:
    return f"(window.{SHARDS_GLOBAL} ||= {{}})[{json.dumps(name)}] = "


def _shard_script(name: str, value: object) -> str:
    """A shard registers itself under its name: search.js reads it once the script ran."""
    return _shard_head(name) + _json(value).replace("</", "<\\/") + ";\n"


def _read_shard(folder: Path, name: str) -> object:
    text = (folder / f"{name}.js").read_text(encoding="utf-8")
    head = _shard_head(name)
    if not text.startswith(head):
        raise ValueError(f"{folder / name}.js is not a search shard")
    return json.loads(text[len(head) :].rstrip().removesuffix(";"))


def key_name(key: str) -> str:
    """A term key as an ASCII file name: its code points in hex (`مغ` -> `645-63a`)."""
    return "-".join(f"{ord(char):x}" for char in key)


def _encode(postings: Counter[int]) -> list[int]:
    """`[post, count, ...]` with each post number as the difference from the one before."""
    posts = sorted(postings)
    deltas = [post - before for post, before in zip(posts, [0, *posts], strict=False)]
    counts = [postings[post] for post in posts]
    return [value for pair in zip(deltas, counts, strict=True) for value in pair]


@dataclass
class _TermShards:
    """The term shards of one index: leaf keys with their words, prefixes with summed posts."""

    postings: dict[str, array[int]]
    shard_bytes: int
    words: dict[str, list[str]] = field(default_factory=dict)  # leaf key -> its words
    prefixes: dict[str, Counter[int]] = field(default_factory=dict)

    def split(self, key: str, words: list[str], sums: list[Counter[int]]) -> None:
        """Place `words` (sorted, all starting with `key`) under `key` or longer keys, and
        count their occurrences into `sums`, the totals of the prefixes above `key`."""
        # About what the words cost in a shard: a few digits per post, and the words.
        size = sum(3 * len(self.postings[word]) + 2 * len(word) for word in words)
        if key and (size <= self.shard_bytes or len(words) == 1):
            self.words[key] = words
            for word in words:
                for total in sums:
                    total.update(self.postings[word])
            return
        depth = len(key)
        if key:
            sums = [*sums, Counter()]
            self.prefixes[key] = sums[-1]
        longer = [word for word in words if len(word) > depth]
        # A word that is the key itself (`في` under the prefix `في`) only matches a query of
        # at most its length, which the prefixes' files answer: it needs no term shard.
        if len(longer) < len(words):
            for total in sums:
                total.update(self.postings[key])
        for letter, group in groupby(longer, key=lambda word: word[depth]):
            self.split(key + letter, list(group), sums)


def _runs(values: Iterable[int]) -> list[int]:
    """`[value, repeat, value, repeat, ...]`: a thread's posts, or a year's, are in a row."""
    encoded: list[int] = []
    for value, group in groupby(values):
        encoded += (value, sum(1 for _ in group))
    return encoded


def _counts(data: SearchData) -> dict[str, dict[str, int]]:
    """How many posts have each thread, author and year: the lists of search.html, counted
    here so that the browser need not walk every post."""
    titles: Counter[str] = Counter()
    for number, count in Counter(data.post_thread).items():
        titles[data.threads[number].title] += count
    authors, years = data.authors, data.years
    counts = {
        "thread": titles,
        "author": Counter({authors[n]: c for n, c in Counter(data.post_author).items()}),
        "year": Counter({years[n]: c for n, c in Counter(data.post_year).items() if n >= 0}),
    }
    return {
        name: {value: c for value, c in found.items() if value} for name, found in counts.items()
    }


def _filters(data: SearchData) -> dict[str, object]:
    """Each post's thread, author and year (authors and years by number, sorted)."""
    authors, years = data.authors, data.years
    author_order = sorted(range(len(authors)), key=authors.__getitem__)
    year_order = sorted(range(len(years)), key=years.__getitem__)
    author_number = array("I", bytes(4 * len(authors)))
    for rank, number in enumerate(author_order):
        author_number[number] = rank
    year_number = {number: rank for rank, number in enumerate(year_order)}
    year_number[-1] = -1
    return {
        "authors": [authors[number] for number in author_order],
        "years": [years[number] for number in year_order],
        "thread": _runs(data.post_thread),
        "author": [author_number[number] for number in data.post_author],
        "year": _runs([year_number[number] for number in data.post_year]),
    }


def _post_files(data: SearchData, keep: Collection[str]) -> Iterator[tuple[str, str | None]]:
    """Each posts file's name and text, `POSTS_PER_FILE` posts a file, read from `data` as
    they go; None for the text of a file of a thread in `keep`, whose files stay as they are."""
    for thread, lines in data._spooled():
        file_id = data.threads[thread].file_id
        if file_id in keep:
            count = sum(1 for _ in lines)
            for number in range(-(-count // POSTS_PER_FILE)):
                yield f"posts/{file_id}/{number}", None
            continue
        rows: list[str] = []
        number = 0
        for line in lines:
            rows.append(line.rstrip("\n"))
            if len(rows) == POSTS_PER_FILE:
                yield f"posts/{file_id}/{number}", _rows_script(f"posts/{file_id}/{number}", rows)
                rows, number = [], number + 1
        if rows:
            yield f"posts/{file_id}/{number}", _rows_script(f"posts/{file_id}/{number}", rows)


def _rows_script(name: str, rows: list[str]) -> str:
    """A posts file of rows already in JSON (as spooled), as `_shard_script` would write it."""
    return _shard_head(name) + ("[" + ",".join(rows) + "]").replace("</", "<\\/") + ";\n"


def write_search_files(
    output: Path,
    data: SearchData,
    shard_bytes: int = SHARD_BYTES,
    keep: Collection[str] = (),
) -> int:
    """Write the offline index (the manifest `search/offline-index.js` and its shards under
    `search/offline/`, term shards split above `shard_bytes`) and `search/rules.js` under
    `output`; how many files were written or deleted.

    Only files whose bytes change are written (each by rename), and files of an earlier
    build that this one has no use for are deleted. The posts files of the threads whose
    `file_id` is in `keep` are neither made nor read: the caller knows they hold the same
    posts as the last build wrote (a missing one is made again all the same).
    """
    folder = output / SEARCH_DIR
    shards_dir = folder / OFFLINE_SHARDS_DIR
    wanted: set[Path] = set()
    changed = 0

    def write(path: Path, text: str) -> None:
        nonlocal changed
        wanted.add(path)
        changed += write_if_changed(path, text.encode("utf-8"))

    def write_shard(name: str, value: object) -> None:
        write(shards_dir / f"{name}.js", _shard_script(name, value))

    rules = json.dumps(RULES, separators=(",", ":"))  # \u escapes: marks stay readable
    write(folder / RULES_FILE, _script(RULES_GLOBAL, rules))
    # A kept thread with a file missing (someone deleted it) is written again.
    kept = {
        thread.file_id
        for thread, count in zip(data.threads, data.thread_posts(), strict=True)
        if thread.file_id in keep
        and all(
            (shards_dir / f"posts/{thread.file_id}/{number}.js").is_file()
            for number in range(-(-count // POSTS_PER_FILE))
        )
    }
    for name, text in _post_files(data, kept):
        path = shards_dir / f"{name}.js"
        if text is None:
            wanted.add(path)
        else:
            write(path, text)
    write_shard("filters", _filters(data))
    write_shard("counts", _counts(data))
    terms = _TermShards(data.postings, shard_bytes)
    terms.split("", sorted(terms.postings), [])
    for key, words in terms.words.items():
        write_shard(
            f"terms/w-{key_name(key)}",
            {word: _encode(Counter(terms.postings[word])) for word in words},
        )
    for key, total in terms.prefixes.items():
        write_shard(f"terms/p-{key_name(key)}", _encode(total))
    manifest = {
        "version": FORMAT_VERSION,
        "threads": [
            [thread.title, thread.url, first, thread.file_id]
            for thread, first in zip(data.threads, data.first, strict=True)
        ],
        "posts": len(data),
        "postsPerFile": POSTS_PER_FILE,
        "words": sorted(terms.words),
        "prefixes": sorted(terms.prefixes),
    }
    # The manifest last: a reader of the site while it is built finds the files it names.
    write(folder / OFFLINE_INDEX_FILE, _script(INDEX_GLOBAL, _json(manifest)))
    changed += _delete_all_but(shards_dir, wanted)
    log.debug(
        "offline search index: %d posts, %d term shards, %d prefixes, %d files changed",
        len(data),
        len(terms.words),
        len(terms.prefixes),
        changed,
    )
    return changed


def _delete_all_but(folder: Path, wanted: set[Path]) -> int:
    """Delete the files under `folder` not in `wanted` (an earlier build's shards under keys
    or threads this one has not: a reader could load them, and the folder would grow), and
    the folders left empty; how many files were deleted."""
    deleted = 0
    for root, _, files in os.walk(folder, topdown=False):
        here = Path(root)
        for name in files:
            if here / name not in wanted:
                (here / name).unlink()
                deleted += 1
        if here != folder and not any(here.iterdir()):
            here.rmdir()
    return deleted


def _manifest(output: Path) -> dict[str, Any]:
    path = output / SEARCH_DIR / OFFLINE_INDEX_FILE
    text = path.read_text(encoding="utf-8")
    prefix = f"window.{INDEX_GLOBAL} = "
    if not text.startswith(prefix):
        raise ValueError(f"{path} is not an offline index")
    manifest: dict[str, Any] = json.loads(text[len(prefix) :].rstrip().removesuffix(";"))
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: version {manifest.get('version')!r} is not {FORMAT_VERSION}")
    return manifest


def read_search_data(output: Path) -> SearchData:
    """The search data `write_search_files` wrote into the site at `output`."""
    manifest = _manifest(output)
    shards_dir = output / SEARCH_DIR / OFFLINE_SHARDS_DIR
    threads = manifest["threads"]
    data = SearchData()
    for number, (title, url, first, file_id) in enumerate(threads):
        end = threads[number + 1][2] if number + 1 < len(threads) else manifest["posts"]
        posts = [
            _post_from_row([0, *row])
            for shard in range(-(-(end - first) // manifest["postsPerFile"]))
            for row in _read_shard(shards_dir, f"posts/{file_id}/{shard}")  # type: ignore[attr-defined]
        ]
        data.add(SearchThread(title, url), posts)
    return data
