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
- `filters.js`: each post's author and year, per thread, loaded by a filtered query only.
- `counts.js`: how many posts have each thread, author and year, for search.html's lists.

A posting list is `[post, count, post, count, ...]`, each post number the difference from the
one before (small numbers keep the files small). Post numbers are stable between builds:
each thread has a range of numbers of its own (the manifest's `first` and `capacity`, with
room for posts to come), kept while the thread fits in it, so a thread that changed leaves
the numbers, and so the bytes, of every word it does not hold as they were: a rebuild
rewrites the shards of its words only. A thread that outgrows its range gets a new one at
the end; the numbers between ranges belong to no post. Shard names spell the key's code
points in hex, so file names stay ASCII. `search/rules.js` carries the normalization rules
(arabic.RULES) to search.js.

What the index takes from a thread (`ThreadTerms`: its words and where they occur, its
authors and years) is kept in the build cache by a digest of its posts, so a rebuild reads
the words of the threads that changed only; merging the threads' parts costs string joins.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, cached_property, partial
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
SEARCH_CACHE_DIR = "search-terms"  # in the build cache: each thread's ThreadTerms
INDEX_GLOBAL = "FORUM_MIRROR_INDEX"
SHARDS_GLOBAL = "FORUM_MIRROR_SHARDS"
RULES_GLOBAL = "FORUM_MIRROR_SEARCH_RULES"
FORMAT_VERSION = 6  # 6: stable post numbers (a range per thread), filters per thread
# A term shard is split by the next letter above this size (uncompressed): a query loads
# about this much per term, or one prefix file (at most every post) for a short term.
SHARD_BYTES = 48 * 1024
# search.html shows 50 hits, each likely in another file (the hits of a common word are
# spread over the archive): at 20 posts a file those 50 files were 0.9 of the 1.1 MB a
# query loaded at 100,000 posts (benchmarks/search.py); at 5, about a quarter of that, in
# 20,000 files.
POSTS_PER_FILE = 5
# Room in a thread's range of post numbers for the posts an update adds: an eighth of its
# posts, at least this many.
MIN_ROOM = 16


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
        return _year(self.published)


@cache
def _year(published: str) -> str:
    try:
        return str(datetime.fromisoformat(published).year)
    except ValueError:
        return ""


@dataclass(frozen=True)
class SearchThread:
    title: str
    url: str  # its first page, from the site's root

    @cached_property  # asked for a few times per thread and build, for every thread
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


# A part of a posting list: the first and last post (numbers within the thread) and the
# list's text after its first number: `count, delta, count, ...`.
Part = tuple[int, int, str]


def _part(occurrences: Iterable[int]) -> Part | None:
    """The posting list part of `occurrences` (post numbers within one thread), or None."""
    counts = Counter(occurrences)
    if not counts:
        return None
    posts = sorted(counts)
    deltas = [post - before for post, before in zip(posts[1:], posts, strict=False)]
    rest = [str(counts[posts[0]])]
    for delta, post in zip(deltas, posts[1:], strict=True):
        rest += (str(delta), str(counts[post]))
    return posts[0], posts[-1], ",".join(rest)


@dataclass
class ThreadTerms:
    """One thread's part of the index, numbered within the thread (its first post is 0).

    Kept as few objects (pickled into the build cache and read back by every rebuild): the
    occurrences of all words in one array, word after word in sorted order, so that every
    word under a prefix is one slice of it.
    """

    posts: int
    words: list[str]  # its search words, sorted
    occurrences: array[int]  # the post of each occurrence, word after word, in post order
    ends: array[int]  # where each word's occurrences end in `occurrences`
    authors: list[str]  # each post's author
    years: list[str]  # each post's year ("" when unknown)
    word_parts: dict[str, Part]  # each word's posting list part (`_part`)
    prefix_parts: dict[str, Part | None] = field(default_factory=dict)  # made when needed
    # Whether the cache's copy lacks some of this: read anew, or a part made since.
    changed: bool = True

    @classmethod
    def of(cls, posts: list[SearchPost]) -> ThreadTerms:
        """The words, authors and years of a thread's `posts`."""
        found: dict[str, array[int]] = {}
        # A word as written (`والمغرب`) -> the occurrences of its search form (`مغرب`): the
        # prefix rules run once per distinct word, not once per occurrence.
        written: dict[str, array[int]] = {}
        for number, post in enumerate(posts):
            for word in normalized_words(post.text):
                where = written.get(word)
                if where is None:
                    where = written[word] = found.setdefault(strip_prefix(word), array("I"))
                where.append(number)
        words = sorted(found)
        occurrences: array[int] = array("I")
        ends: array[int] = array("I")
        parts: dict[str, Part] = {}
        for word in words:
            occurrences.extend(found[word])
            ends.append(len(occurrences))
            parts[word] = _part(found[word])  # type: ignore[assignment]
        return cls(len(posts), words, occurrences, ends, [post.author for post in posts],
                   [post.year for post in posts], parts)  # fmt: skip

    def prefix_part(self, prefix: str) -> Part | None:
        """The part of every word starting with `prefix`."""
        if prefix not in self.prefix_parts:
            start = bisect_left(self.words, prefix)
            end = bisect_left(self.words, prefix + "\U0010ffff", start)
            begin = self.ends[start - 1] if start else 0
            stop = self.ends[end - 1] if end else 0
            self.prefix_parts[prefix] = _part(self.occurrences[begin:stop])
            self.changed = True
        return self.prefix_parts[prefix]

    def each_word(self) -> Iterator[tuple[str, array[int]]]:
        """Each word with its occurrences."""
        begin = 0
        for word, end in zip(self.words, self.ends, strict=True):
            yield word, self.occurrences[begin:end]
            begin = end


@cache
def _code_digest() -> bytes:
    """What a thread's terms depend on besides its posts: the format and the word rules."""
    digest = hashlib.sha256(str(FORMAT_VERSION).encode())
    digest.update(json.dumps(RULES, sort_keys=True).encode())
    for module in ("arabic.py", "offline_index.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.digest()


def posts_digest(posts: list[SearchPost]) -> str:
    """A digest of what the index takes from `posts` (and of the code that takes it)."""
    digest = hashlib.sha256(_code_digest())
    text = "\x1e".join(f"{post.author}\x1f{post.published}\x1f{post.text}" for post in posts)
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:24]


CACHE_ERRORS = (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError,
                ValueError)  # fmt: skip


def _load_terms(path: Path) -> ThreadTerms:
    """The terms kept at `path` by this code; raises one of CACHE_ERRORS if there are none."""
    with path.open("rb") as handle:
        code, terms = pickle.load(handle)
    if code != _code_digest() or not isinstance(terms, ThreadTerms):
        raise ValueError("kept by other code")
    terms.changed = False  # as kept
    return terms


@dataclass(frozen=True)
class KeptPosts:
    """A thread's search posts kept in a file of the build cache (build_cache.py), with
    their count: a rebuild that keeps the thread's search files never reads them, nor
    holds them (at 100,000 posts, reading every kept thread's posts was two fifths of a
    rebuild, and holding them most of its memory)."""

    count: int
    read: Callable[[], list[SearchPost]]


class SearchData:
    """Every post of the site, added one thread at a time while the pages are written.

    The posts go to a temporary file as they come, not into a list: at 100,000 posts their
    text held in memory was a large part of a build's peak. A thread's words are read when
    it is added, unless `cache` (a folder of the build cache) holds them for the same posts:
    that thread's posts are then only referred to (the caller holds them anyway).
    """

    def __init__(self, cache: Path | None = None) -> None:
        self.threads: list[SearchThread] = []
        self.first: list[int] = []  # each thread's first post, counting posts in order
        self.cache = cache
        self._spool: IO[str] | None = None
        self._reread = False
        self._count = 0
        self._terms: list[ThreadTerms | Path] = []  # the terms, or their file in the cache
        self._digests: list[str] = []
        # Threads whose terms were cached: their posts, or what reads them when needed.
        self._held: dict[int, list[SearchPost] | Callable[[], list[SearchPost]]] = {}
        self._fresh: set[int] = set()  # threads whose words were read in this build
        self._counts: list[int] = []

    def __len__(self) -> int:
        """How many posts were added."""
        return self._count

    def add_thread(self, view: ThreadView) -> None:
        """Add `view`'s posts."""
        self.add(*thread_search_posts(view))

    def add(
        self,
        thread: SearchThread,
        posts: Iterable[SearchPost] | KeptPosts,
        digest: str | None = None,
    ) -> None:
        """Add `thread` and its `posts` (whatever their `thread`, they are numbered here);
        `digest` is their `posts_digest` when the caller has it. Posts `KeptPosts` are
        read only if this build needs them: when the cache lacks their terms, or their
        thread's posts files are written."""
        number = len(self.threads)
        held: list[SearchPost] | Callable[[], list[SearchPost]]
        if isinstance(posts, KeptPosts):
            held, count = posts.read, posts.count
            digest = digest or posts_digest(held())
        else:
            held = list(posts)
            count, digest = len(held), digest or posts_digest(held)
        self.threads.append(thread)
        self.first.append(self._count)
        self._counts.append(count)
        self._count += count
        self._digests.append(digest)
        cached = self._cache_file(thread, digest)
        if cached is not None and cached.is_file():
            self._terms.append(cached)
            self._held[number] = held
            return
        listed = held() if callable(held) else held
        self._terms.append(ThreadTerms.of(listed))
        self._fresh.add(number)
        self._spool_posts(number, listed)

    def _held_posts(self, number: int) -> list[SearchPost]:
        """The posts of a thread whose terms were cached (read now if they were kept)."""
        held = self._held[number]
        return held() if callable(held) else held

    def _cache_file(self, thread: SearchThread, digest: str) -> Path | None:
        return None if self.cache is None else self.cache / f"{thread.file_id}-{digest}.pickle"

    def _spool_posts(self, number: int, posts: list[SearchPost]) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        elif self._reread:
            self._spool.seek(0, 2)  # posts() left the file part read
            self._reread = False
        # The thread's number first: the writer passes over a kept thread's lines unread.
        self._spool.write("".join(f"{number}\t{_json(_post_row(post))}\n" for post in posts))

    def terms(self, number: int) -> ThreadTerms:
        """Thread `number`'s terms (read from the cache the first time if they are there)."""
        terms = self._terms[number]
        if isinstance(terms, Path):
            try:
                loaded = _load_terms(terms)
            except CACHE_ERRORS as error:
                log.warning("search cache %s unreadable (%s): reading the thread", terms, error)
                loaded = ThreadTerms.of(self._held_posts(number))
            terms = self._terms[number] = loaded
        return terms

    def touched_words(self, moved: Iterable[int]) -> set[str] | None:
        """The words whose posting lists may differ from the last index's: those whose
        occurrences differ in a thread read anew from what the cache held of it, those of
        threads gone and of the threads `moved` to other numbers; None when the cache
        cannot tell."""
        if self.cache is None or not self.cache.is_dir():
            return None
        current = {
            path.name
            for thread, digest in zip(self.threads, self._digests, strict=True)
            if (path := self._cache_file(thread, digest)) is not None
        }
        # The threads' terms as the last index had them (file names start with the id).
        before: dict[str, ThreadTerms] = {}
        for path in self.cache.iterdir():
            if path.name in current:
                continue
            try:
                before[path.name.split("-", 1)[0]] = _load_terms(path)
            except CACHE_ERRORS:
                return None  # what the last index held of that thread is unknown (or by
                # other code, which may have read other words)
        words: set[str] = set()
        for number in moved:
            words.update(self.terms(number).words)
        for number in self._fresh:
            new = self.terms(number).word_parts
            old = before.pop(self.threads[number].file_id, None)
            if old is None:
                words.update(new)
                continue
            # An added post leaves the posting lists of the words it lacks as they were.
            words.update(word for word, part in new.items() if old.word_parts.get(word) != part)
            words.update(word for word in old.words if word not in new)
        for old in before.values():
            words.update(old.words)
        return words

    def keep_in_cache(self) -> None:
        """Write every thread's terms into the cache (those changed), drop what it no longer
        needs."""
        if self.cache is None:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        wanted = set()
        for number, thread in enumerate(self.threads):
            path = self._cache_file(thread, self._digests[number])
            assert path is not None
            wanted.add(path.name)
            terms = self._terms[number]
            if isinstance(terms, ThreadTerms) and terms.changed:
                terms.changed = False
                kept = (_code_digest(), terms)
                write_if_changed(path, pickle.dumps(kept, pickle.HIGHEST_PROTOCOL))
        for path in self.cache.iterdir():
            if path.name not in wanted:
                path.unlink()

    def posts(self) -> Iterator[SearchPost]:
        """The posts, in the order they were added, read back one at a time."""
        for number, rows in self._thread_rows():
            if callable(rows):
                yield from (replace(post, thread=number) for post in rows())
            else:
                yield from (_post_from_row([number, *json.loads(line)]) for line in rows)

    def _thread_rows(
        self,
    ) -> Iterator[tuple[int, Callable[[], list[SearchPost]] | Iterator[str]]]:
        """Each thread's number and its posts: what gives those held (read from the build
        cache only if called: kept posts files need none), or their rows as spooled (JSON)."""
        spooled = self._spooled()
        for number in range(len(self.threads)):
            if number in self._held:
                yield number, partial(self._held_posts, number)
            elif self._counts[number]:
                found, lines = next(spooled)
                assert found == number
                yield number, lines
            else:
                yield number, iter(())

    def _spooled(self) -> Iterator[tuple[int, Iterator[str]]]:
        """Each spooled thread's number and its posts' rows (JSON), thread by thread."""
        if self._spool is None:
            return
        self._reread = True
        self._spool.seek(0)
        for thread, lines in groupby(self._spool, key=lambda line: line[: line.index("\t")]):
            yield int(thread), (line[line.index("\t") + 1 :] for line in lines)

    def thread_posts(self) -> list[int]:
        """How many posts each thread has."""
        return list(self._counts)

    @property
    def postings(self) -> dict[str, list[int]]:
        """Search word -> each of its occurrences as a post's place in `posts()` (tests)."""
        found: dict[str, list[int]] = {}
        for number, first in enumerate(self.first):
            for word, occurrences in self.terms(number).each_word():
                found.setdefault(word, []).extend(first + post for post in occurrences)
        return dict(sorted(found.items()))


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
    return _text_script(name, _json(value))


def _text_script(name: str, payload: str) -> str:
    """A shard of `payload`, JSON already."""
    return _shard_head(name) + payload.replace("</", "<\\/") + ";\n"


def _read_shard(folder: Path, name: str) -> object:
    text = (folder / f"{name}.js").read_text(encoding="utf-8")
    head = _shard_head(name)
    if not text.startswith(head):
        raise ValueError(f"{folder / name}.js is not a search shard")
    return json.loads(text[len(head) :].rstrip().removesuffix(";"))


def key_name(key: str) -> str:
    """A term key as an ASCII file name: its code points in hex (`مغ` -> `645-63a`)."""
    return "-".join(f"{ord(char):x}" for char in key)


def _merged(parts: Iterable[tuple[int, Part | None]]) -> str:
    """The posting list of `parts` (each with its thread's first number, in number order)."""
    pieces = []
    before = 0
    for first, part in parts:
        if part is None:
            continue
        start, end, rest = part
        pieces.append(f"{first + start - before},{rest}")
        before = first + end
    return ",".join(pieces)


@dataclass
class _TermShards:
    """The term shards of one index: leaf keys with their words, and the prefixes above."""

    sizes: dict[str, int]  # word -> about what it costs in a shard
    shard_bytes: int
    words: dict[str, list[str]] = field(default_factory=dict)  # leaf key -> its words
    prefixes: list[str] = field(default_factory=list)

    def split(self, key: str, words: list[str]) -> None:
        """Place `words` (sorted, all starting with `key`) under `key` or longer keys."""
        size = sum(self.sizes[word] for word in words)
        if key and (size <= self.shard_bytes or len(words) == 1):
            self.words[key] = words
            return
        depth = len(key)
        if key:
            self.prefixes.append(key)
        # A word that is the key itself (`في` under the prefix `في`) only matches a query of
        # at most its length, which the prefixes' files answer: it needs no term shard.
        longer = [word for word in words if len(word) > depth]
        for letter, group in groupby(longer, key=lambda word: word[depth]):
            self.split(key + letter, list(group))


def _runs(values: Iterable[object]) -> list[object]:
    """`[value, repeat, value, repeat, ...]`: a thread's years are mostly in a row."""
    encoded: list[object] = []
    for value, group in groupby(values):
        encoded += (value, sum(1 for _ in group))
    return encoded


@dataclass(frozen=True)
class _Range:
    first: int
    capacity: int


def _room(posts: int) -> int:
    return posts + max(MIN_ROOM, posts // 8)


def _previous(output: Path) -> tuple[dict[str, _Range], set[str], set[str]] | None:
    """The last index's thread ranges, leaf keys and prefixes; None if there is none of
    this version (the index is then numbered and written afresh)."""
    try:
        manifest = _manifest(output)
        ranges = {entry[3]: _Range(entry[2], entry[5]) for entry in manifest["threads"]}
        return ranges, set(manifest["words"]), set(manifest["prefixes"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _ranges(before: dict[str, _Range], data: SearchData) -> list[_Range]:
    """Each thread's range of post numbers: the last index's (`before`) while the thread
    fits in it, a new one after every other for a thread new or grown out of its own."""
    counts = data.thread_posts()
    kept: dict[int, _Range] = {}
    taken: set[str] = set()
    for number, thread in enumerate(data.threads):
        old = before.get(thread.file_id)
        if old is not None and thread.file_id not in taken and counts[number] <= old.capacity:
            kept[number] = old
            taken.add(thread.file_id)
    end = max((r.first + r.capacity for r in kept.values()), default=0)
    # Ranges of threads gone, or moved, leave holes: past twice what is used, start afresh.
    if end > 2 * sum(_room(count) for count in counts) + 1024:
        kept, end = {}, 0
    ranges = []
    for number, count in enumerate(counts):
        if number not in kept:
            kept[number] = _Range(end, _room(count))
            end += kept[number].capacity
        ranges.append(kept[number])
    return ranges


def _filters_and_counts(
    data: SearchData, terms: list[ThreadTerms]
) -> tuple[dict[str, object], dict[str, dict[str, int]]]:
    """filters.js (each thread's posts' authors and years, by their number in the sorted
    lists) and counts.js (how many posts have each thread, author and year)."""
    authors: Counter[str] = Counter()
    years: Counter[str] = Counter()
    titles: Counter[str] = Counter()
    for thread, each in zip(data.threads, terms, strict=True):
        authors.update(each.authors)
        years.update(each.years)
        titles[thread.title] += each.posts
    author_names = sorted(authors)
    year_names = sorted(year for year in years if year)
    author_number = {name: rank for rank, name in enumerate(author_names)}
    year_number = {name: rank for rank, name in enumerate(year_names)}
    year_number[""] = -1
    filters = {
        "authors": author_names,
        "years": year_names,
        "author": [[author_number[name] for name in each.authors] for each in terms],
        "year": [_runs(year_number[year] for year in each.years) for each in terms],
    }
    counts = {"thread": titles, "author": authors, "year": years}
    return filters, {
        name: {value: c for value, c in found.items() if value} for name, found in counts.items()
    }


def _post_files(data: SearchData, keep: Collection[str]) -> Iterator[tuple[str, str | None]]:
    """Each posts file's name and text, `POSTS_PER_FILE` posts a file, read from `data` as
    they go; None for the text of a file of a thread in `keep`, whose files stay as they are."""
    for thread, rows in data._thread_rows():
        file_id = data.threads[thread].file_id
        if file_id in keep:
            for number in range(-(-data.thread_posts()[thread] // POSTS_PER_FILE)):
                yield f"posts/{file_id}/{number}", None
            continue
        lines = (_json(_post_row(post)) for post in rows()) if callable(rows) else rows
        batch: list[str] = []
        number = 0
        for line in lines:
            batch.append(line.rstrip("\n"))
            if len(batch) == POSTS_PER_FILE:
                yield f"posts/{file_id}/{number}", _rows_script(f"posts/{file_id}/{number}", batch)
                batch, number = [], number + 1
        if batch:
            yield f"posts/{file_id}/{number}", _rows_script(f"posts/{file_id}/{number}", batch)


def _rows_script(name: str, rows: list[str]) -> str:
    """A posts file of rows already in JSON (as spooled), as `_shard_script` would write it."""
    return _text_script(name, "[" + ",".join(rows) + "]")


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
    # Paths as strings: a Path a file costs more than the listing (tens of thousands of
    # shards at 100k posts, on every rebuild however small).
    shards_root = str(shards_dir)
    present = _files_under(shards_root)
    wanted: set[str] = set()
    changed = 0

    def write(path: Path, text: str) -> None:
        nonlocal changed
        wanted.add(str(path))
        changed += write_if_changed(path, text.encode("utf-8"))

    rules = json.dumps(RULES, separators=(",", ":"))  # \u escapes: marks stay readable
    write(folder / RULES_FILE, _script(RULES_GLOBAL, rules))
    # A kept thread with a file missing (someone deleted it) is written again.
    kept = {
        thread.file_id
        for thread, count in zip(data.threads, data.thread_posts(), strict=True)
        if thread.file_id in keep
        and all(
            f"{shards_root}/posts/{thread.file_id}/{number}.js" in present
            for number in range(-(-count // POSTS_PER_FILE))
        )
    }
    for name, text in _post_files(data, kept):
        path = f"{shards_root}/{name}.js"
        if text is None:
            wanted.add(path)
        else:
            write(Path(path), text)
    previous = _previous(output)
    ranges = _ranges(previous[0] if previous else {}, data)
    # Shards none of whose words' lists can have changed are left as they are (not made).
    touched = None
    if previous is not None:
        moved = [n for n, thread in enumerate(data.threads)
                 if previous[0].get(thread.file_id) != ranges[n]]  # fmt: skip
        touched = data.touched_words(moved)
    touched_sorted = sorted(touched or ())

    def unchanged(key: str, kind: str, keys_before: set[str]) -> bool:
        path = f"{shards_root}/terms/{kind}-{key_name(key)}.js"
        at = bisect_left(touched_sorted, key)
        if (
            touched is None
            or key not in keys_before
            or path not in present
            or (at < len(touched_sorted) and touched_sorted[at].startswith(key))
        ):
            return False
        wanted.add(path)
        return True
    terms = [data.terms(number) for number in range(len(data.threads))]
    filters, counts = _filters_and_counts(data, terms)
    write(shards_dir / "filters.js", _shard_script("filters", filters))
    write(shards_dir / "counts.js", _shard_script("counts", counts))
    # The threads in the order of their numbers, which posting lists follow.
    order = sorted(range(len(terms)), key=lambda number: ranges[number].first)
    holders: dict[str, list[int]] = {}  # word -> the threads holding it, in number order
    for number in order:
        for word in terms[number].words:
            holders.setdefault(word, []).append(number)
    sizes = {
        word: 2 * len(word)
        + sum(len(terms[number].word_parts[word][2]) + 8 for number in threads)
        for word, threads in holders.items()
    }
    shards = _TermShards(sizes, shard_bytes)
    shards.split("", sorted(holders))
    for key, words in shards.words.items():
        if previous is not None and unchanged(key, "w", previous[1]):
            continue
        name = f"terms/w-{key_name(key)}"
        lists = (
            # A search word is letters and digits only: nothing in it needs escaping in JSON.
            f'"{word}":[' + _merged(
                (ranges[number].first, terms[number].word_parts[word])
                for number in holders[word]
            ) + "]"
            for word in words
        )  # fmt: skip
        write(shards_dir / f"{name}.js", _text_script(name, "{" + ",".join(lists) + "}"))
    for key in shards.prefixes:
        if previous is not None and unchanged(key, "p", previous[2]):
            continue
        name = f"terms/p-{key_name(key)}"
        merged = _merged(
            (ranges[number].first, terms[number].prefix_part(key))
            for number in order
        )
        write(shards_dir / f"{name}.js", _text_script(name, f"[{merged}]"))
    manifest = {
        "version": FORMAT_VERSION,
        # [title, first page, first post number, posts folder, posts, numbers it may use]
        "threads": [
            [thread.title, thread.url, span.first, thread.file_id, count, span.capacity]
            for thread, span, count in zip(data.threads, ranges, data.thread_posts(), strict=True)
        ],
        "posts": len(data),
        "numbers": max((span.first + span.capacity for span in ranges), default=0),
        "postsPerFile": POSTS_PER_FILE,
        "words": sorted(shards.words),
        "prefixes": sorted(shards.prefixes),
    }
    # The manifest last: a reader of the site while it is built finds the files it names.
    write(folder / OFFLINE_INDEX_FILE, _script(INDEX_GLOBAL, _json(manifest)))
    changed += _delete_all_but(shards_dir, present, wanted)
    data.keep_in_cache()
    log.debug(
        "offline search index: %d posts, %d term shards, %d prefixes, %d files changed",
        len(data),
        len(shards.words),
        len(shards.prefixes),
        changed,
    )
    return changed


def _files_under(folder: str) -> set[str]:
    """Every file under `folder` (one listing per folder, not a stat per file), as
    `folder/relative/path`."""
    return {f"{root}/{name}" for root, _, files in os.walk(folder) for name in files}


def _delete_all_but(folder: Path, present: set[str], wanted: set[str]) -> int:
    """Delete the files of `present` (under `folder`) not in `wanted` (an earlier build's
    shards under keys or threads this one has not: a reader could load them, and the folder
    would grow), and the folders left empty; how many files were deleted."""
    stale = [Path(path) for path in present - wanted]
    for path in stale:
        path.unlink()
    for parent in sorted({path.parent for path in stale}, key=lambda p: len(p.parts),
                         reverse=True):  # fmt: skip
        while folder in parent.parents and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return len(stale)


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
    data = SearchData()
    for title, url, _, file_id, count, _ in manifest["threads"]:
        posts = [
            _post_from_row([0, *row])
            for shard in range(-(-count // manifest["postsPerFile"]))
            for row in _read_shard(shards_dir, f"posts/{file_id}/{shard}")  # type: ignore[attr-defined]
        ]
        data.add(SearchThread(title, url), posts)
    return data
