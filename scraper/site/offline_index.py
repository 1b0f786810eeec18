"""The site's search data, for Pagefind and for `file://` readers.

Pagefind cannot load from `file://` (an ES module and `fetch`), so the build also writes an
offline index that search.js loads with classic `<script src>` tags, which `file://` allows.
It is sharded so that a query loads only what it needs, however large the archive
(`search/offline-index.js` is the manifest, the rest is under `search/offline/`):

- `terms/w-<key>.js`: the words starting with `key` (their search form, arabic.search_words)
  and, per word, the posts holding it with how often. Keys are prefixes grown one letter at a
  time until a shard is at most `SHARD_BYTES`, so common letters get longer keys.
- `terms/p-<prefix>.js`: for a prefix shorter than the shard keys under it (a reader typing
  the first letters), the posts holding a word that starts with it, counts summed: a short
  query loads one file as large as the posts it finds, not every shard under it.
- `posts/<n>.js`: the posts themselves, `POSTS_PER_FILE` a file, for the hits shown.
- `filters.js`: each post's thread, author and year, loaded by a filtered query only.
- `counts.js`: how many posts have each thread, author and year, for search.html's lists
  (over HTTP too: Pagefind's own counts are of pages, not posts).

A posting list is `[post, count, post, count, ...]`, each post number the difference from the
one before (small numbers keep the files small). Shard names spell the key's code points in
hex, so file names stay ASCII. The posts are also what Pagefind indexes (search.py, read
back from the posts' shards), so both searches see the same posts. `search/rules.js`
carries the normalization rules (arabic.RULES) to search.js.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from .arabic import RULES, normalized_words, strip_prefix
from .views import ThreadView, time_view

log = logging.getLogger(__name__)

SEARCH_DIR = "search"
OFFLINE_INDEX_FILE = "offline-index.js"
OFFLINE_SHARDS_DIR = "offline"
RULES_FILE = "rules.js"
INDEX_GLOBAL = "FORUM_MIRROR_INDEX"
SHARDS_GLOBAL = "FORUM_MIRROR_SHARDS"
RULES_GLOBAL = "FORUM_MIRROR_SEARCH_RULES"
FORMAT_VERSION = 4  # 4: the counts out of filters.js
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
        number = len(self.threads) - 1
        for post in posts:
            self._append(replace(post, thread=number))

    def _append(self, post: SearchPost) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        elif self._reread:
            self._spool.seek(0, 2)  # posts() left the file part read
            self._reread = False
        self._spool.write(_json(_post_row(post)) + "\n")
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
        if self._spool is None:
            return
        self._reread = True
        self._spool.seek(0)
        for line in self._spool:
            yield _post_from_row(json.loads(line))

    @property
    def authors(self) -> list[str]:
        """Every author's name, in the order of first appearance (post_author's numbers)."""
        return list(self._authors)

    @property
    def years(self) -> list[str]:
        """Every year of publication, in the order of first appearance (post_year's numbers)."""
        return list(self._years)


def _post_row(post: SearchPost) -> list[object]:
    return [post.thread, post.url, post.author, post.published, post.text, post.date_text]


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


def _post_files(data: SearchData) -> Iterator[tuple[str, object]]:
    """The posts' shards, `POSTS_PER_FILE` posts a file, read from `data` as they go."""
    rows: list[list[object]] = []
    number = 0
    for post in data.posts():
        rows.append(_post_row(post))
        if len(rows) == POSTS_PER_FILE:
            yield f"posts/{number}", rows
            rows, number = [], number + 1
    if rows:
        yield f"posts/{number}", rows


def write_search_files(output: Path, data: SearchData, shard_bytes: int = SHARD_BYTES) -> Path:
    """Write the offline index (the manifest `search/offline-index.js` and its shards under
    `search/offline/`, term shards split above `shard_bytes`) and `search/rules.js` under
    `output`; returns the manifest."""
    folder = output / SEARCH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    rules = json.dumps(RULES, separators=(",", ":"))  # \u escapes: marks stay readable
    (folder / RULES_FILE).write_text(_script(RULES_GLOBAL, rules), encoding="utf-8")
    shards_dir = folder / OFFLINE_SHARDS_DIR
    # Shards of an earlier build may have other names: none may linger.
    shutil.rmtree(shards_dir, ignore_errors=True)
    for sub in ("terms", "posts"):
        (shards_dir / sub).mkdir(parents=True)
    written = 0

    def write(name: str, value: object) -> None:
        nonlocal written
        text = _shard_script(name, value)
        (shards_dir / f"{name}.js").write_text(text, encoding="utf-8")
        written += len(text)

    for name, value in _post_files(data):
        write(name, value)
    write("filters", _filters(data))
    write("counts", _counts(data))
    terms = _TermShards(data.postings, shard_bytes)
    terms.split("", sorted(terms.postings), [])
    for key, words in terms.words.items():
        shard = {word: _encode(Counter(terms.postings[word])) for word in words}
        write(f"terms/w-{key_name(key)}", shard)
    for key, total in terms.prefixes.items():
        write(f"terms/p-{key_name(key)}", _encode(total))
    manifest = {
        "version": FORMAT_VERSION,
        "threads": [[thread.title, thread.url] for thread in data.threads],
        "posts": len(data),
        "postsPerFile": POSTS_PER_FILE,
        "words": sorted(terms.words),
        "prefixes": sorted(terms.prefixes),
    }
    index = folder / OFFLINE_INDEX_FILE
    index.write_text(_script(INDEX_GLOBAL, _json(manifest)), encoding="utf-8")
    log.debug(
        "offline search index: %d posts, %d term shards, %d prefixes, %d bytes",
        len(data),
        len(terms.words),
        len(terms.prefixes),
        written + index.stat().st_size,
    )
    return index


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


def search_threads(output: Path) -> list[SearchThread]:
    """The threads of the search data `write_search_files` wrote into the site at `output`."""
    return [SearchThread(title, url) for title, url in _manifest(output)["threads"]]


def search_posts(output: Path) -> Iterator[SearchPost]:
    """The posts `write_search_files` wrote into the site at `output`, one shard at a time."""
    manifest = _manifest(output)
    shards_dir = output / SEARCH_DIR / OFFLINE_SHARDS_DIR
    for number in range(-(-manifest["posts"] // manifest["postsPerFile"])):
        rows = _read_shard(shards_dir, f"posts/{number}")
        yield from (_post_from_row(row) for row in rows)  # type: ignore[attr-defined]


def read_search_data(output: Path) -> SearchData:
    """The search data `write_search_files` wrote into the site at `output`."""
    data = SearchData()
    data.threads = search_threads(output)
    for post in search_posts(output):
        data._append(post)
    return data
