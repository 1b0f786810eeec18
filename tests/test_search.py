"""Search forms of words (arabic.py), the same in Python and in search.js, and the search index
a build writes for search.js (over HTTP and from file://)."""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from scraper.archive import ThreadArchive
from scraper.demo_forum import seed
from scraper.records import Author
from scraper.site.arabic import RULES, normalize_arabic, search_words, strip_prefix
from scraper.site.build import build_site
from scraper.site.offline_index import (
    SEARCH_DIR,
    SearchData,
    SearchPost,
    SearchThread,
    ThreadTerms,
    key_name,
    read_search_data,
    write_search_files,
)

from .archive_factory import THREAD_KEY, FixtureArchive, build_fixture_archive

SEARCH_JS = Path(__file__).resolve().parents[1] / "theme" / "static" / "js" / "search.js"
LAB_KEY = "forum.example-3300"
LAB_TITLE = "مختبر البحث"
# Posts written the ways readers will not type them: tashkeel, tatweel, hamza forms, ى, ة,
# clitic prefixes, other years and authors than the fixture thread's; and hostile text.
LAB_POSTS = {
    "school": ("سلمى", "2019-03-05T09:00:00+00:00", "زُرْنَا المَدْرَسَةُ الجديدة في مَكَّةَ اليوم."),
    "israel": ("خالد", "2023-06-01T12:00:00+00:00", "إسرائيل والمغرب وقّعا اتفاقا جديدا."),
    "hospital": ("سلمى", "2023-07-02T08:30:00+00:00", "ذهبت إلى المستشفى الكبيـــــر مساءً."),
    "school_fa": ("خالد", "2023-09-09T18:45:00+00:00", "فالمدرسة قريبة من البيت."),
    "hostile": (
        '<img src=x onerror="window.__pwned=1">',
        "2023-10-10T10:00:00+00:00",
        'كلمةخطرة <img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script>',
    ),
}


@dataclass
class SearchSite:
    fixture: FixtureArchive
    output: Path
    lab_ids: dict[str, str]  # role -> post id in the lab thread

    def post_id(self, role: str) -> str:
        return self.lab_ids[role] if role in self.lab_ids else self.fixture.post_id(role)


def add_search_lab_thread(fixture: FixtureArchive) -> dict[str, str]:
    """A second thread in the fixture archive, made from the first one's records."""
    archive = ThreadArchive(fixture.root)
    base = archive.load(THREAD_KEY)
    assert base is not None
    template = base.posts[0]
    ids: dict[str, str] = {}
    posts = []
    for position, (role, (author, published, text)) in enumerate(LAB_POSTS.items(), start=1):
        post_id = str(33000 + position)
        ids[role] = post_id
        posts.append(
            dataclasses.replace(
                template,
                id=post_id,
                position=position,
                author=Author(author, None),
                published=published,
                published_text=published[:10],
                edited=None,
                edited_text="",
                content_html=f'<div class="bbWrapper">{text.replace("<", "&lt;")}</div>',
                content_text=text,
                quotes=[],
                embeds=[],
                images=[],
            )
        )
    thread = dataclasses.replace(
        base,
        key=LAB_KEY,
        thread=dataclasses.replace(base.thread, id="3300", title=LAB_TITLE),
        posts=posts,
        assets=[],
    )
    archive.save(thread)
    return ids


def build_search_site(root: Path) -> SearchSite:
    """The fixture archive plus the lab thread, built into `root/output`."""
    fixture = build_fixture_archive(root / "archive")
    lab_ids = add_search_lab_thread(fixture)
    output = root / "output"
    build_site(fixture.root, output)
    return SearchSite(fixture, output, lab_ids)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SearchSite:
    return build_search_site(tmp_path_factory.mktemp("search-site"))


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("المَغْرِبُ", "المغرب"),  # fatha, sukun, kasra, damma
        ("محمّد", "محمد"),  # shadda
        ("كتابًا سعيدٌ", "كتابا سعيد"),  # tanween
        ("هٰذا", "هذا"),  # superscript alef
        ("الكبيـــــر", "الكبير"),  # tatweel
        ("أحمد إلى آخر ٱلكتاب", "احمد الي اخر الكتاب"),  # hamza forms, wasla, alef maqsura
        ("مدرسة", "مدرسه"),  # ta marbuta
        ("שָׁלוֹם", "שלום"),  # niqqud
        ("Benny GANTZ", "benny gantz"),
    ],
)
def test_normalize_arabic(written: str, typed: str) -> None:
    assert normalize_arabic(written) == normalize_arabic(typed) == typed.lower()


@pytest.mark.parametrize(
    "word",
    ["المغرب", "والمغرب", "بالمغرب", "للمغرب", "وللمغرب", "فالمغرب", "وبالمغرب", "كالمغرب"],
)
def test_clitic_prefixes_come_off(word: str) -> None:
    assert strip_prefix(word) == "مغرب"


@pytest.mark.parametrize("word", ["ولد", "فاس", "ليس", "الله", "بيت", "كتب"])
def test_short_words_keep_letters_that_look_like_prefixes(word: str) -> None:
    assert strip_prefix(word) == word


def test_search_words_of_a_sentence() -> None:
    words = search_words("زرت الرباطَ والمغربَ، وبمدينة فاس ولد Benny Gantz في إسرائيل")
    assert words == [
        "زرت",
        "رباط",
        "مغرب",
        "مدينه",
        "فاس",
        "ولد",
        "benny",
        "gantz",
        "في",
        "اسرائيل",
    ]


def _corpus() -> list[str]:
    texts = [
        seed.GANTZ_TWEET.text,
        seed.GANTZ_TWEET.author_name,
        "وَالْمَغْرِبُ بِالْمَغْرِبِ لِلْمَدْرَسَةِ فَالرِّبَاطُ كالمغرب وكتاب ولد فاس الله",
        "إسرائيل آخر ٱلكتاب مستشفى مدرسة الكبيـــــر هٰذا محمّد كتابًا سعيدٌ",
        "שָׁלוֹם הַמְּדִינוֹת צה״ל Benny GANTZ café ÉCOLE 2021 ١٢٣ ۱۲۳ under_score",
        "کتاب ی\u200cها zero\u200bwidth emoji 😀 mixed-ابجد-abc",
    ]
    texts += [text for _, _, text in LAB_POSTS.values()]
    texts += [value for value in vars(seed).values() if isinstance(value, str) and value.strip()]
    return texts


def test_search_js_brings_text_to_the_same_words_as_python() -> None:
    """search.js, run by node with the rules the build ships, agrees with arabic.py."""
    corpus = _corpus()
    assert len(corpus) > 15
    script = (
        "const text = require(process.argv[1]);"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const rules = text.compile(input.rules);"
        "process.stdout.write(JSON.stringify(input.texts.map((t) => text.searchWords(rules, t))));"
    )
    result = subprocess.run(
        ["node", "-e", script, str(SEARCH_JS)],
        input=json.dumps({"rules": RULES, "texts": corpus}),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == [search_words(text) for text in corpus]


def test_search_data_holds_every_post_with_its_anchor(site: SearchSite) -> None:
    data = read_search_data(site.output)
    assert {thread.title for thread in data.threads} == {"أخبار المغرب والعالم", LAB_TITLE}
    urls = {post.url: post for post in data.posts()}
    assert len(urls) == len(site.fixture.post_ids) + len(LAB_POSTS)
    tweet = urls[f"threads/{THREAD_KEY}/page-2.html#post-{site.post_id('tweet')}"]
    assert "ביקור היסטורי במרוקו" in tweet.text and "Benny Gantz" in tweet.text
    school = urls[f"threads/{LAB_KEY}/index.html#post-{site.post_id('school')}"]
    assert (school.author, school.published, school.year) == (*LAB_POSTS["school"][:2], "2019")
    for url in urls:
        page, anchor = url.split("#")
        assert f'id="{anchor}"' in (site.output / page).read_text(encoding="utf-8")


def test_posts_files_are_per_thread_and_found_from_the_manifest(site: SearchSite) -> None:
    """Each thread has a range of post numbers (the manifest has its first, its posts and
    the numbers it may use, with room to grow); a post's row is in its own thread's folder,
    as search.js reads it."""
    data = read_search_data(site.output)
    index = OfflineIndex(site.output / SEARCH_DIR)
    threads = index.manifest["threads"]
    per_file = index.manifest["postsPerFile"]
    assert [count for *_, count, _ in threads] == data.thread_posts()
    assert [first for _, _, first, *_ in threads] == [0, threads[0][5]]
    assert all(count < capacity for *_, count, capacity in threads)
    assert index.manifest["numbers"] == sum(capacity for *_, capacity in threads)
    for number, post in enumerate(data.posts()):
        title, url, first, file_id, *_ = threads[post.thread]
        assert (title, url) == (data.threads[post.thread].title, data.threads[post.thread].url)
        local = number - data.first[post.thread]
        assert index.posts_file(first + local) == f"posts/{file_id}/{local // per_file}"
        row = index.shard(f"posts/{file_id}/{local // per_file}")[local % per_file]
        assert row == [post.url, post.author, post.published, post.text, post.date_text]
    folders = {path.name for path in (site.output / SEARCH_DIR / "offline" / "posts").iterdir()}
    assert folders == {file_id for _, _, _, file_id, *_ in threads}


def test_kept_threads_posts_files_are_left_alone(site: SearchSite, tmp_path: Path) -> None:
    """The posts files of a thread in `keep` are not written, unless one is missing."""
    data = read_search_data(site.output)
    assert write_search_files(tmp_path, data) > 0
    posts = tmp_path / SEARCH_DIR / "offline" / "posts"
    lab, other = (posts / thread.file_id for thread in reversed(data.threads))
    assert write_search_files(tmp_path, data) == 0  # the same bytes: nothing written
    (lab / "0.js").write_text("changed by hand")
    (other / "0.js").unlink()
    keep = {thread.file_id for thread in data.threads}
    assert write_search_files(tmp_path, data, keep=keep) == 1  # the missing one only
    assert (lab / "0.js").read_text() == "changed by hand"
    assert (other / "0.js").is_file()
    assert write_search_files(tmp_path, data) == 1  # not kept: made again
    assert list(read_search_data(tmp_path).posts()) == list(data.posts())


def test_search_files_are_classic_scripts_without_closing_tags(site: SearchSite) -> None:
    index = (site.output / SEARCH_DIR / "offline-index.js").read_text(encoding="utf-8")
    assert index.startswith("window.FORUM_MIRROR_INDEX = {")
    shards = list((site.output / SEARCH_DIR / "offline").rglob("*.js"))
    assert len(shards) > 3
    texts = [path.read_text(encoding="utf-8") for path in shards]
    for path, text in zip(shards, texts, strict=True):
        name = path.relative_to(site.output / SEARCH_DIR / "offline").with_suffix("").as_posix()
        assert text.startswith(f'(window.FORUM_MIRROR_SHARDS ||= {{}})["{name}"] = '), path
    for text in [index, *texts]:
        assert "</script" not in text.lower()
    assert any("<\\/script>" in text for text in texts)  # the hostile post, escaped
    rules = (site.output / SEARCH_DIR / "rules.js").read_text(encoding="utf-8")
    assert json.loads(rules.removeprefix("window.FORUM_MIRROR_SEARCH_RULES = ").rstrip()[:-1]) == (
        json.loads(json.dumps(RULES))
    )


# Shards of a few words each, as a large archive's are: keys of several letters, prefix files.
SMALL_SHARD_BYTES = 50


@dataclass
class OfflineIndex:
    """The offline index as search.js reads it: the manifest, then one shard at a time."""

    folder: Path  # the site's search/
    read: list[str] = dataclasses.field(default_factory=list)  # shard names, in order

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        text = (self.folder / "offline-index.js").read_text(encoding="utf-8")
        return json.loads(text.removeprefix("window.FORUM_MIRROR_INDEX = ").rstrip()[:-1])  # type: ignore[no-any-return]

    def shard(self, name: str) -> Any:
        self.read.append(name)
        text = (self.folder / "offline" / f"{name}.js").read_text(encoding="utf-8")
        return json.loads(text.split(" = ", 1)[1].rstrip()[:-1])

    def posts_file(self, number: int) -> str:
        """The name of the posts file holding post `number`, as search.js finds it."""
        threads = sorted(self.manifest["threads"], key=lambda thread: thread[2])
        _, _, first, file_id, *_ = [thread for thread in threads if thread[2] <= number][-1]
        return f"posts/{file_id}/{(number - first) // self.manifest['postsPerFile']}"

    def numbers(self, data: SearchData) -> list[int]:
        """Each post of `data` (in `posts()` order) by its number in this index."""
        firsts = [thread[2] for thread in self.manifest["threads"]]
        return [
            first + local
            for first, count in zip(firsts, data.thread_posts(), strict=True)
            for local in range(count)
        ]

    def counts(self, term: str) -> dict[int, int]:
        """post -> its words starting with `term`, found the way search.js finds them."""
        manifest = self.manifest
        counts: dict[int, int] = {}

        def add(postings: list[int]) -> None:
            post = 0
            for delta, count in zip(postings[::2], postings[1::2], strict=True):
                post += delta
                counts[post] = counts.get(post, 0) + count

        for length in range(len(term), 0, -1):
            if term[:length] in manifest["words"]:
                for word, postings in self.shard(f"terms/w-{key_name(term[:length])}").items():
                    if word.startswith(term):
                        add(postings)
                return counts
        if term in manifest["prefixes"]:
            add(self.shard(f"terms/p-{key_name(term)}"))
        return counts


def test_offline_index_answers_every_term_from_one_shard(site: SearchSite, tmp_path: Path) -> None:
    """With small shards (keys of several letters, prefix files for short terms), every
    prefix of every word finds exactly the posts a scan of all posts finds, with counts."""
    data = read_search_data(site.output)
    write_search_files(tmp_path, data, shard_bytes=SMALL_SHARD_BYTES)
    index = OfflineIndex(tmp_path / SEARCH_DIR)
    manifest = index.manifest
    assert manifest["prefixes"] and max(len(key) for key in manifest["words"]) >= 3
    assert "م" in manifest["prefixes"]  # Arabic's commonest letters are split further
    words = [search_words(post.text) for post in data.posts()]
    numbers = index.numbers(data)
    terms = {word[:length] for post in words for word in post for length in range(1, 9)}
    assert len(terms) > 300
    for term in sorted(terms):
        index.read.clear()
        scan = {
            number: count
            for number, post in zip(numbers, words, strict=True)
            if (count := sum(word.startswith(term) for word in post))
        }
        assert index.counts(term) == scan, term
        assert len(index.read) <= 1
    assert index.counts("zzzz") == {}
    again = read_search_data(tmp_path)
    assert again.threads == data.threads and list(again.posts()) == list(data.posts())


def test_rewriting_the_index_leaves_no_stale_shards(site: SearchSite, tmp_path: Path) -> None:
    data = read_search_data(site.output)
    write_search_files(tmp_path, data, shard_bytes=SMALL_SHARD_BYTES)
    small = {path.name for path in (tmp_path / SEARCH_DIR / "offline" / "terms").iterdir()}
    write_search_files(tmp_path, data)
    large = {path.name for path in (tmp_path / SEARCH_DIR / "offline" / "terms").iterdir()}
    assert len(large) < len(small)
    manifest = OfflineIndex(tmp_path / SEARCH_DIR).manifest
    named = {f"w-{key_name(key)}.js" for key in manifest["words"]}
    assert large == named | {f"p-{key_name(key)}.js" for key in manifest["prefixes"]}


def test_filters_file_holds_each_posts_thread_author_and_year(site: SearchSite) -> None:
    data = read_search_data(site.output)
    posts = list(data.posts())
    index = OfflineIndex(site.output / SEARCH_DIR)
    filters = index.shard("filters")

    def expand(runs: list[int]) -> list[int]:
        pairs = zip(runs[::2], runs[1::2], strict=True)
        return [value for value, repeat in pairs for _ in range(repeat)]

    assert filters["authors"] == sorted(filters["authors"])
    assert len(filters["author"]) == len(filters["year"]) == len(data.threads)
    assert [filters["authors"][n] for thread in filters["author"] for n in thread] == [
        post.author for post in posts
    ]
    years = [filters["years"][n] if n >= 0 else "" for runs in filters["year"]
             for n in expand(runs)]  # fmt: skip
    assert years == [post.year for post in posts]
    counts = index.shard("counts")
    assert counts["thread"] == {"أخبار المغرب والعالم": 24, LAB_TITLE: len(LAB_POSTS)}
    assert counts["author"]["سلمى"] == 2
    assert sum(counts["year"].values()) == len(posts)


def test_search_data_reads_back_what_was_added_after_a_read() -> None:
    """Posts spool to a file as they come: reading them part way, then adding, keeps all."""
    data = SearchData()
    first = [SearchPost(0, f"t/index.html#post-{n}", "a", "", f"word{n}") for n in range(3)]
    data.add(SearchThread("t", "t/index.html"), first)
    assert next(data.posts()).url == "t/index.html#post-0"  # a reader that stopped early
    data.add(SearchThread("u", "u/index.html"), [SearchPost(0, "u/index.html#post-9", "b", "",
                                                            "word9")])  # fmt: skip
    assert [(post.thread, post.url) for post in data.posts()] == [
        *((0, post.url) for post in first),
        (1, "u/index.html#post-9"),
    ]
    assert len(data) == 4 and list(data.postings) == ["word0", "word1", "word2", "word9"]


def test_an_archive_without_threads_has_an_empty_index(tmp_path: Path) -> None:
    """A site built before any thread was archived still gets a search index."""
    assert write_search_files(tmp_path, SearchData()) > 0
    manifest = OfflineIndex(tmp_path / SEARCH_DIR).manifest
    assert (manifest["threads"], manifest["posts"], manifest["words"]) == ([], 0, [])
    assert list(read_search_data(tmp_path).posts()) == []


def _corpus_data(extra: int = 0, cache: Path | None = None) -> SearchData:
    """Two threads of posts made of a few words (`extra` more posts in the first)."""
    data = SearchData(cache)
    words = ["مغرب", "مدرسه", "مدينه", "ירושלים", "gantz", "gaza", "football", "فاس"]
    for thread in range(2):
        count = 40 + (extra if thread == 0 else 0)
        posts = [
            SearchPost(0, f"t{thread}/index.html#post-{n}", f"author {n % 3}",
                       f"20{20 + n % 4}-01-01T00:00:00+00:00",
                       " ".join(words[(n * k + thread) % len(words)] for k in range(1, 4)))
            for n in range(count)
        ]  # fmt: skip
        if thread == 0 and extra:
            posts[-1] = replace(posts[-1], text="كلمةجديدة مغرب")
        data.add(SearchThread(f"thread {thread}", f"t{thread}/index.html"), posts)
    return data


def _files(output: Path) -> dict[str, bytes]:
    """The search files of the site at `output`, by name under search/."""
    folder = output / SEARCH_DIR
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in folder.rglob("*.js")}  # fmt: skip


def _answers_like_a_scan(folder: Path, data: SearchData) -> None:
    index = OfflineIndex(folder / SEARCH_DIR)
    words = [search_words(post.text) for post in data.posts()]
    numbers = index.numbers(data)
    for term in {word[:length] for post in words for word in post for length in (1, 2, 4, 9)}:
        scan = {number: count for number, post in zip(numbers, words, strict=True)
                if (count := sum(word.startswith(term) for word in post))}  # fmt: skip
        assert index.counts(term) == scan, term


def test_a_changed_thread_rewrites_the_shards_of_its_words_only(tmp_path: Path) -> None:
    """Post numbers are stable (a range per thread, with room): a post added to one thread
    leaves the other thread's numbers, and every shard of words it does not hold, as they
    were."""
    write_search_files(tmp_path, _corpus_data(), shard_bytes=SMALL_SHARD_BYTES)
    before = _files(tmp_path)
    first = OfflineIndex(tmp_path / SEARCH_DIR).manifest["threads"]
    data = _corpus_data(extra=1)
    write_search_files(tmp_path, data, shard_bytes=SMALL_SHARD_BYTES)
    after = _files(tmp_path)
    index = OfflineIndex(tmp_path / SEARCH_DIR)
    assert [thread[2] for thread in index.manifest["threads"]] == [thread[2] for thread in first]
    changed = {name for name in after if after[name] != before.get(name)}
    terms = {name for name in changed if name.startswith("offline/terms/")}
    new_words = search_words("كلمةجديدة مغرب")
    touched = {f"offline/terms/{kind}-{key_name(key)}.js"
               for kind, keys in (("w", index.manifest["words"]), ("p", index.manifest["prefixes"]))
               for key in keys if any(word.startswith(key) for word in new_words)}  # fmt: skip
    assert terms and terms <= touched
    assert len(terms) < len([name for name in after if name.startswith("offline/terms/")]) / 3
    assert changed - terms == {
        "offline-index.js", "offline/filters.js", "offline/counts.js",
        f"offline/posts/{data.threads[0].file_id}/8.js",
    }  # fmt: skip
    _answers_like_a_scan(tmp_path, data)


def test_a_thread_that_outgrows_its_range_moves_after_the_others(tmp_path: Path) -> None:
    write_search_files(tmp_path, _corpus_data(), shard_bytes=SMALL_SHARD_BYTES)
    capacity = OfflineIndex(tmp_path / SEARCH_DIR).manifest["threads"][0][5]
    data = _corpus_data(extra=capacity)
    write_search_files(tmp_path, data, shard_bytes=SMALL_SHARD_BYTES)
    threads = OfflineIndex(tmp_path / SEARCH_DIR).manifest["threads"]
    assert threads[1][2] == capacity and threads[0][2] == capacity + threads[1][5]
    assert threads[0][4] == 40 + capacity < threads[0][5]
    _answers_like_a_scan(tmp_path, data)


def test_an_index_of_an_older_version_is_written_afresh(tmp_path: Path) -> None:
    """A site built before stable numbers (version 5) has its index numbered and written
    anew, its stale files gone."""
    manifest = tmp_path / SEARCH_DIR / "offline-index.js"
    manifest.parent.mkdir(parents=True)
    manifest.write_text('window.FORUM_MIRROR_INDEX = {"version":5,"threads":[["t","t0/index'
                        '.html",0,"x"]]};\n')  # fmt: skip
    stale = tmp_path / SEARCH_DIR / "offline" / "posts" / "x" / "0.js"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    data = _corpus_data()
    write_search_files(tmp_path, data)
    assert not stale.exists()
    assert [thread[2] for thread in OfflineIndex(tmp_path / SEARCH_DIR).manifest["threads"]] == [
        0, data.thread_posts()[0] + 16]  # fmt: skip
    _answers_like_a_scan(tmp_path, data)


def test_unchanged_threads_words_come_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread whose posts are as the cache saw them is not read for its words again; the
    files come out the same, and an unreadable cache file only costs reading the thread."""
    cache, first, second = tmp_path / "cache", tmp_path / "first", tmp_path / "second"
    write_search_files(first, _corpus_data(cache=cache))
    assert len(list(cache.iterdir())) == 2
    read: list[int] = []
    original = ThreadTerms.of.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(ThreadTerms, "of", classmethod(
        lambda cls, posts: read.append(len(posts)) or original(cls, posts)))  # fmt: skip
    data = _corpus_data(extra=1, cache=cache)
    assert read == [41]  # the changed thread only
    write_search_files(second, data)
    assert read == [41]
    assert len(list(cache.iterdir())) == 2  # the changed thread's old terms are dropped
    uncached = tmp_path / "uncached"
    write_search_files(uncached, _corpus_data(extra=1))
    assert _files(second) == _files(uncached)
    for path in cache.iterdir():
        path.write_bytes(b"not a pickle")
    write_search_files(tmp_path / "third", _corpus_data(extra=1, cache=cache))
    assert _files(tmp_path / "third") == _files(uncached)


def test_a_cached_rebuild_leaves_unchanged_shards_and_equals_a_fresh_index(
    tmp_path: Path,
) -> None:
    """With the cache, a rebuild after one post was added makes only the shards whose words'
    lists changed, and the index comes out as one made whole would."""
    cache, site = tmp_path / "cache", tmp_path / "site"
    write_search_files(site, _corpus_data(cache=cache), shard_bytes=SMALL_SHARD_BYTES)
    terms = site / SEARCH_DIR / "offline" / "terms"
    hebrew = [key for key in OfflineIndex(site / SEARCH_DIR).manifest["words"] if key < "ת"
              and key >= "א"]  # fmt: skip
    untouched = terms / f"w-{key_name(hebrew[0])}.js"
    untouched.write_text("kept as it was")  # a shard of no word of the new post: not made
    data = _corpus_data(extra=1, cache=cache)
    write_search_files(site, data, shard_bytes=SMALL_SHARD_BYTES)
    assert untouched.read_text() == "kept as it was"
    untouched.unlink()  # a missing shard is made again
    write_search_files(site, _corpus_data(extra=1, cache=cache), shard_bytes=SMALL_SHARD_BYTES)
    # Without the cache, every shard is made: the same history gives the same bytes.
    fresh = tmp_path / "fresh"
    write_search_files(fresh, _corpus_data(), shard_bytes=SMALL_SHARD_BYTES)
    write_search_files(fresh, _corpus_data(extra=1), shard_bytes=SMALL_SHARD_BYTES)
    assert _files(site) == _files(fresh)
    _answers_like_a_scan(site, data)
