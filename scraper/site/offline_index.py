"""The site's search data: one record per post, for Pagefind and for `file://` readers.

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
- `filters.js`: each post's thread, author and year, and how many posts have each, loaded
  by search.html and by a filtered query only.

A posting list is `[post, count, post, count, ...]`, each post number the difference from the
one before (small numbers keep the files small). Shard names spell the key's code points in
hex, so file names stay ASCII. The posts are also what Pagefind indexes (search.py), so both
searches see the same posts. `search/rules.js` carries the normalization rules
(arabic.RULES) to search.js.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path

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
FORMAT_VERSION = 3
# A term shard is split by the next letter above this size (uncompressed): a query loads
# about this much per term, or one prefix file (at most every post) for a short term.
SHARD_BYTES = 48 * 1024
# search.html shows 50 hits, each likely in another file: 20 posts a file keeps that about
# 1 MB at 100,000 posts (benchmarks/search.py), in a few thousand files.
POSTS_PER_FILE = 20


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


@dataclass
class SearchData:
    """Every post of the site, collected one thread at a time while the pages are written."""

    threads: list[SearchThread] = field(default_factory=list)
    posts: list[SearchPost] = field(default_factory=list)

    def add_thread(self, view: ThreadView) -> None:
        """Add `view`'s posts."""
        summary = view.summary
        self.threads.append(SearchThread(summary.title, summary.href))
        number = len(self.threads) - 1
        folder = summary.href.rsplit("/", 1)[0]
        for page in view.pages:
            for post in page.posts:
                moment = time_view(post.published, summary.lang, summary.board_language)
                self.posts.append(
                    SearchPost(
                        thread=number,
                        url=f"{folder}/{page.file}#{post.anchor}",
                        author=post.author_name,
                        published=post.published or "",
                        text=post.search_text,
                        date_text=moment.text if moment else post.published_text,
                    )
                )


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


def _postings(posts: list[SearchPost]) -> dict[str, list[int]]:
    """Each search word -> the number of the post of each of its occurrences, in post order.

    One number per occurrence, not (post, count) pairs: Counter then counts and sums them
    in C, where adding pairs in Python was most of the time spent on a large archive.
    """
    postings: dict[str, list[int]] = {}
    # A word as written (`والمغرب`) -> the list of its search form (`مغرب`): the prefix
    # rules run once per distinct word, not once per occurrence.
    lists: dict[str, list[int]] = {}
    for number, post in enumerate(posts):
        for word in normalized_words(post.text):
            found = lists.get(word)
            if found is None:
                found = lists[word] = postings.setdefault(strip_prefix(word), [])
            found.append(number)
    return postings


@dataclass
class _TermShards:
    """The term shards of one index: leaf keys with their words, prefixes with summed posts."""

    postings: dict[str, list[int]]
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


def _runs(values: list[int]) -> list[int]:
    """`[value, repeat, value, repeat, ...]`: a thread's posts, or a year's, are in a row."""
    encoded: list[int] = []
    for value, group in groupby(values):
        encoded += (value, sum(1 for _ in group))
    return encoded


def _filters(data: SearchData) -> dict[str, object]:
    """Each post's thread, author and year, and how many posts have each value (the lists
    of search.html, counted here so the browser need not walk every post)."""
    authors = sorted({post.author for post in data.posts})
    years = sorted({post.year for post in data.posts} - {""})
    author_number = {author: number for number, author in enumerate(authors)}
    year_number = {year: number for number, year in enumerate(years)}
    titles = [data.threads[post.thread].title for post in data.posts]
    counts = {
        name: {value: count for value, count in Counter(values).items() if value}
        for name, values in (
            ("thread", titles),
            ("author", [post.author for post in data.posts]),
            ("year", [post.year for post in data.posts]),
        )
    }
    return {
        "authors": authors,
        "years": years,
        "thread": _runs([post.thread for post in data.posts]),
        "author": [author_number[post.author] for post in data.posts],
        "year": _runs([year_number.get(post.year, -1) for post in data.posts]),
        "counts": counts,
    }


def _shards(data: SearchData) -> Iterator[tuple[str, object]]:
    """Every shard's name and content; the manifest's term keys are filled in on the way."""
    for start in range(0, len(data.posts), POSTS_PER_FILE):
        yield (
            f"posts/{start // POSTS_PER_FILE}",
            [
                [post.thread, post.url, post.author, post.published, post.text, post.date_text]
                for post in data.posts[start : start + POSTS_PER_FILE]
            ],
        )
    yield "filters", _filters(data)


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

    for name, value in _shards(data):
        write(name, value)
    terms = _TermShards(_postings(data.posts), shard_bytes)
    terms.split("", sorted(terms.postings), [])
    for key, words in terms.words.items():
        shard = {word: _encode(Counter(terms.postings[word])) for word in words}
        write(f"terms/w-{key_name(key)}", shard)
    for key, total in terms.prefixes.items():
        write(f"terms/p-{key_name(key)}", _encode(total))
    manifest = {
        "version": FORMAT_VERSION,
        "threads": [[thread.title, thread.url] for thread in data.threads],
        "posts": len(data.posts),
        "postsPerFile": POSTS_PER_FILE,
        "words": sorted(terms.words),
        "prefixes": sorted(terms.prefixes),
    }
    index = folder / OFFLINE_INDEX_FILE
    index.write_text(_script(INDEX_GLOBAL, _json(manifest)), encoding="utf-8")
    log.debug(
        "offline search index: %d posts, %d term shards, %d prefixes, %d bytes",
        len(data.posts),
        len(terms.words),
        len(terms.prefixes),
        written + index.stat().st_size,
    )
    return index


def read_search_data(output: Path) -> SearchData:
    """The posts `write_search_files` wrote into the site at `output`."""
    path = output / SEARCH_DIR / OFFLINE_INDEX_FILE
    text = path.read_text(encoding="utf-8")
    prefix = f"window.{INDEX_GLOBAL} = "
    if not text.startswith(prefix):
        raise ValueError(f"{path} is not an offline index")
    manifest = json.loads(text[len(prefix) :].rstrip().removesuffix(";"))
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(f"{path}: version {manifest.get('version')!r} is not {FORMAT_VERSION}")
    shards_dir = output / SEARCH_DIR / OFFLINE_SHARDS_DIR
    posts: list[SearchPost] = []
    for number in range(-(-manifest["posts"] // manifest["postsPerFile"])):
        rows = _read_shard(shards_dir, f"posts/{number}")
        posts += (SearchPost(*row) for row in rows)  # type: ignore[attr-defined]
    return SearchData(
        threads=[SearchThread(title, url) for title, url in manifest["threads"]],
        posts=posts,
    )
