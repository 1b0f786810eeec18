"""Search at scale: time to the first answer and bytes loaded per query, in headless Chromium.

A site's search data of N generated posts (Arabic, Hebrew and English text drawn from
Zipf-weighted vocabularies with a long tail of rarer words, 25 threads, 2,000 authors,
eleven years) is written with the functions the build uses (`SearchData`,
`write_search_files`) into the shell of a real (empty) build, so search.html, search.js and
the CSS are the build's own. Each query then opens `search.html?q=...` in a fresh browser
context (cold cache), served over HTTP (scraper/serve.py, gzip) and from file://; both read
the same sharded index. A query's time is from navigation start to the moment the
results' status line is filled; its bytes are every response the page received (over HTTP
Resource Timing's bytes transferred: compressed body plus headers; from file:// the files'
sizes).

Run: `.venv/bin/python -m benchmarks.search [--posts 10000 100000] [--modes http file]` (every
query), or `python -m benchmarks --only search` (the suite: each mode's slowest and heaviest).
Figures are from one run on a shared machine: compare them side by side.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import random
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from playwright.sync_api import Browser, Page, Request, sync_playwright

from benchmarks.report import Benchmark, Goal, Measurement, Plot, Sizes
from scraper.serve import serve_directory
from scraper.site.build import build_site
from scraper.site.offline_index import SearchData, SearchPost, SearchThread, write_search_files
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

THREADS = 25
AUTHORS = 2000
QUERIES = [
    "المغرب",
    "الحكومة الجديدة",
    "كرة القدم",
    "مدرسة",
    "رمضان كريم",
    "ירושלים",
    "שלום חברים",
    "Benny Gantz",
    "election results",
    "football",
]

THEME_STATIC = Path(__file__).resolve().parents[1] / "theme" / "static"
TINY_QUERIES = ["المغرب", "ירושלים", "Benny Gantz"]
TINY_BELOW = 1000  # posts

# Frequent words first (Zipf ranks), space-separated, written as readers write them: some
# with tashkeel, hamza forms and attached prefixes, which the index folds.
ARABIC = (
    "في من على إلى أن هذا هذه التي الذي عن مع كان قد لا ما هو هي كل بعد ذلك بين عند "
    "المغرب والمغرب بالمغرب الحكومة الجديدة الرباط فاس مكة المدرسة مدرسة الطلاب كرة القدم "
    "المنتخب المباراة الفريق رمضان كريم العيد الأخبار اليوم أمس غدا السوق الأسعار الناس "
    "الشباب العمل الجامعة المستشفى الطبيب الدولة الوزير البرلمان الانتخابات النتائج "
    "الاقتصاد المدينة القرية البيت الطريق السيارة القطار الطائرة السفر الصيف الشتاء "
    "المطر الجو البحر الجبل الصحراء الماء الخبز الشاي القهوة الكتاب المكتبة الصحيفة "
    "التلفزيون الإنترنت الهاتف الصورة الفيديو التعليق الموضوع المنتدى الأعضاء شكرا "
    "جزاك الله خيرا السلام عليكم مرحبا بالجميع أظن أعتقد صحيح خطأ ربما دائما أحيانا "
    "وَالْمَغْرِبُ الْحُكُومَةُ إسرائيل فلسطين القدس مصر الجزائر تونس ليبيا السعودية "
    "الأردن لبنان سوريا العراق الخليج أوروبا أمريكا فرنسا إسبانيا الكبيـــــر الصغير "
    "الجميل الجديد القديم الأول الأخير كثير قليل مهم سهل صعب سريع بطيء"
)
HEBREW = (
    "של את על זה לא גם עם הוא היא אני אתה כל מה יש אין היה הם שלום חברים ירושלים "
    "תל אביב ישראל מרוקו הממשלה החדשה בחירות תוצאות כדורגל משחק קבוצה שחקן מאמן "
    "בית ספר תלמידים מורה אוניברסיטה עבודה כסף מחיר שוק עיר כפר רחוב מכונית רכבת "
    "מטוס טיסה ים הר מדבר מים לחם קפה ספר עיתון טלוויזיה אינטרנט טלפון תמונה וידאו "
    "תגובה נושא פורום חבר תודה רבה בוקר טוב ערב יום שבוע חודש שנה היום אתמול מחר "
    "שָׁלוֹם הִיסְטוֹרִי ביקור שר הביטחון"
)
ENGLISH = (
    "the of and to in a is that for it on was with as be at by this have from or an "
    "but not are they we you all his her there their one would what so up out if about "
    "who which when time people year good new first last long great little own other "
    "old right big high different small large next early young important few public "
    "Benny Gantz election results football match team player coach school students "
    "teacher university work money price market city village street car train plane "
    "flight sea mountain desert water bread coffee book newspaper television internet "
    "phone picture video comment topic forum member thanks morning evening day week "
    "month today yesterday tomorrow government minister parliament economy Morocco "
    "Israel Jerusalem Rabat visit historic relations strong"
)
# Letters of each script, for the long tail of rarer words (names, places, typos).
LETTERS = {
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "he": "אבגדהוזחטיכלמנסעפצקרשת",
    "en": "abcdefghijklmnopqrstuvwxyz",
}
TAIL_WORDS = 30_000  # rarer words per language
LANGUAGE_SHARE = [("ar", 0.6), ("he", 0.2), ("en", 0.2)]


@dataclass
class Vocabulary:
    """A language's words in Zipf order and their cumulative weights, for random.choices."""

    words: list[str]
    weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = 0.0
        for rank in range(1, len(self.words) + 1):
            total += 1 / rank**1.05
            self.weights.append(total)


def vocabularies(rng: random.Random) -> dict[str, Vocabulary]:
    """Each language's common words followed by generated rarer ones."""
    common = {"ar": ARABIC.split(), "he": HEBREW.split(), "en": ENGLISH.split()}
    result = {}
    for lang, words in common.items():
        letters = LETTERS[lang]
        tail = {
            "".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
            for _ in range(TAIL_WORDS)
        }
        result[lang] = Vocabulary([*words, *sorted(tail)])
    return result


@functools.cache
def _seeded_vocabularies(seed: int) -> tuple[dict[str, Vocabulary], tuple[Any, ...]]:
    """The vocabularies of `seed` and the generator's state after drawing them: a run's
    sizes share them (drawing 90,000 words took a second a size) and get the same posts."""
    rng = random.Random(seed)
    return vocabularies(rng), rng.getstate()


def generate(posts: int, seed: int = 11) -> SearchData:
    """`posts` posts in THREADS threads, in the shape `SearchData.add_thread` collects them."""
    vocab, state = _seeded_vocabularies(seed)
    rng = random.Random()
    rng.setstate(state)
    authors = [
        f"{rng.choice(['عضو', 'חבר', 'member'])} {rng.choice(LETTERS['ar'])}{number}"
        for number in range(AUTHORS)
    ]
    langs = [lang for lang, _ in LANGUAGE_SHARE]
    shares = [share for _, share in LANGUAGE_SHARE]
    data = SearchData()
    threads = min(THREADS, posts)
    for number in range(threads):
        lang = rng.choices(langs, shares)[0]
        title = " ".join(rng.choices(vocab[lang].words[:200], k=4))
        folder = f"threads/board.example-{number}"
        thread_posts = []
        count = posts // threads + (1 if number < posts % threads else 0)
        for position in range(count):
            # Most posts in the thread's language, some in another (a quoted tweet).
            post_lang = lang if rng.random() < 0.8 else rng.choices(langs, shares)[0]
            length = max(3, int(rng.lognormvariate(math.log(45), 0.7)))
            text = " ".join(
                rng.choices(vocab[post_lang].words, cum_weights=vocab[post_lang].weights, k=length)
            )
            day = 1 + (number * 97 + position) % 4000
            published = time.strftime(
                "%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1420070400 + day * 86400 + position * 61)
            )
            page = "index.html" if position < 20 else f"page-{position // 20 + 1}.html"
            thread_posts.append(
                SearchPost(
                    thread=0,
                    url=f"{folder}/{page}#post-{number}{position:05d}",
                    author=rng.choice(authors),
                    published=published,
                    text=text,
                    date_text=published[:10],
                )
            )
        data.add(SearchThread(f"{title} {number}", f"{folder}/index.html"), thread_posts)
    return data


@dataclass
class SearchSite:
    output: Path
    # CPU seconds of writing the index (one thread of Python: its wall time on an idle
    # machine, and steady when the index is written beside another benchmark)
    offline_seconds: float


def build_shell(folder: Path) -> Path:
    """The build's shell (search.html, JS, CSS: a build of an empty archive) in
    `folder/site`."""
    archive = folder / "archive"
    (archive / "threads").mkdir(parents=True)
    output = folder / "site"
    build_site(archive, output)
    return output


def build_search_site(folder: Path, posts: int) -> SearchSite:
    """The build's shell holding the search data of `posts` posts."""
    return _indexed(build_shell(folder), generate(posts))


def _indexed(output: Path, data: SearchData) -> SearchSite:
    """`data`'s index written into the site at `output`, timed."""
    started = time.process_time()
    write_search_files(output, data)
    return SearchSite(output, time.process_time() - started)


PREPARED = "index-written.json"


def prepare(sizes: Sizes, workdir: Path) -> None:
    """The suite's set-up (`Benchmark.prepare`): the shell built once (a Pelican build, the
    same at every size) and copied for each size, its index written and timed, into
    `workdir/site-N`; `run` answers the queries on them."""
    shell = build_shell(workdir / "shell")
    for posts in sizes.search_posts:
        output = workdir / f"site-{posts}" / "site"
        shutil.copytree(shell, output, symlinks=True)
        site = _indexed(output, generate(posts))
        (workdir / f"site-{posts}" / PREPARED).write_text(
            json.dumps({"offline_seconds": site.offline_seconds}), encoding="utf-8")


def _prepared_site(folder: Path) -> SearchSite:
    """The site `prepare` left in `folder`."""
    timed = json.loads((folder / PREPARED).read_text(encoding="utf-8"))
    return SearchSite(folder / "site", timed["offline_seconds"])


def _kept_site(keep: Path, posts: int) -> SearchSite:
    """The site of `posts` posts under `keep` (built there the first time), its index and
    the theme's static files written anew."""
    folder = keep / str(posts)
    output = folder / "site"
    if not (output / "search.html").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        return build_search_site(folder, posts)
    # The theme's scripts and styles as they are now (search.html is as it was built).
    shutil.copytree(THEME_STATIC, output / "theme", dirs_exist_ok=True)
    return _indexed(output, generate(posts))


# Notes the moment the results' status line first gets its text (performance.now() is
# from navigation start), as `window.__answered` and the promise `window.__answer`. It
# watches that line only: watching the whole document cost the page more time than some
# queries take. Only on a page opened with a query: a typed query has its own watch.
ANSWER_PROBE = """
if (new URLSearchParams(location.search).has('q')) {
  window.__answer = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error('no answer in 300 s')), 300000);
    document.addEventListener('DOMContentLoaded', () => {
      const status = document.querySelector('.search-status');
      new MutationObserver((_, observer) => {
        if (!status.textContent) return;
        observer.disconnect();
        resolve(window.__answered = performance.now());
      }).observe(status, {subtree: true, childList: true, characterData: true});
    });
  });
}
"""
ANSWERED = "() => window.__answer"


@dataclass
class Answer:
    mode: str
    query: str
    ms: float
    total_bytes: int  # everything the page loaded
    search_bytes: int  # search/ files only
    files: int  # search/ files loaded
    status: str
    hits: list[str]  # the listed posts' anchors, in order


# Resolves once every hit is listed (as many as the status line counts, at most
# search.html's 50; no digits: "no results", none) with the status line, the hits' links
# and, over HTTP, what the page loaded since `since` (ms from navigation start): Resource
# Timing's bytes transferred, the body as sent (compressed) and its headers as Chromium
# counts them (300 bytes, a little more than serve.py sends). One round trip to the browser
# for all of it: asking Playwright for each request's sizes took one per request, longer
# than some queries (from file:// Resource Timing has no entries: the caller counts files).
# Waiting for the network to be idle instead returns at once on a page that was idle
# before the query was typed.
LISTED = """
async (since) => {
  const status = document.querySelector('.search-status');
  const results = document.querySelector('.search-page-results');
  const listed = () => {
    const counted = status.textContent.match(/(\\d+)\\s*$/);
    const wanted = counted ? Math.min(50, Number(counted[1])) : 0;
    return results.querySelectorAll('li').length >= wanted;
  };
  if (!listed()) {
    await new Promise((resolve, reject) => {
      const observer = new MutationObserver(() => {
        if (listed()) { observer.disconnect(); resolve(); }
      });
      observer.observe(results, {childList: true});
      setTimeout(() => reject(new Error('not every hit listed in 300 s')), 300000);
    });
  }
  const entries = [...performance.getEntriesByType('navigation'),
                   ...performance.getEntriesByType('resource')];
  return {
    status: status.innerText,
    hrefs: [...results.querySelectorAll('a.search-hit')].map((a) => a.getAttribute('href') || ''),
    loaded: entries.filter((entry) => entry.startTime >= since)
      .map((entry) => [entry.name, entry.transferSize]),
  };
}
"""


def _file_sizes(urls: list[str]) -> list[tuple[str, int]]:
    """Each file:// URL with its file's size."""
    return [(url, Path(unquote(urlsplit(url).path)).stat().st_size) for url in urls]


class FreshPages:
    """Pages of fresh browser contexts (cold caches), one per query, each with the answer
    probe. The next one is made once a query is answered, while its page still lists the
    hits past the first screen (which only their bytes are counted for): making one took
    300 ms a query before."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._next: Page | None = None

    def _make(self) -> Page:
        context = self._browser.new_context()
        context.add_init_script(ANSWER_PROBE)
        return context.new_page()

    def take(self) -> Page:
        """A page of a context no query has used."""
        page, self._next = self._next or self._make(), None
        return page

    def make_next(self) -> None:
        if self._next is None:
            self._next = self._make()

    def close(self) -> None:
        if self._next is not None:
            self._next.context.close()
            self._next = None


def _answer(mode: str, query: str, ms: float, listed: dict[str, Any],
            loaded: list[tuple[str, int]], hits: list[str]) -> Answer:
    search = [(url, size) for url, size in loaded if "/search/" in url]
    return Answer(mode, query, round(ms), sum(size for _, size in loaded),
                  sum(size for _, size in search), len(search), listed["status"], hits)


def measure(pages: FreshPages, root: str, mode: str, query: str) -> Answer:
    """One query on search.html in a fresh context (cold cache)."""
    page = pages.take()
    files: list[str] = []  # from file://: every file the page read

    def finished(request: Request) -> None:  # a function Playwright can tag, not a method
        files.append(request.url)

    if root.startswith("file:"):
        page.on("requestfinished", finished)
    # Not until the load event: the probe times the answer from navigation start, and the
    # load event came about a second after it (the hits' posts files still loading).
    page.goto(f"{root}search.html?q={quote(query)}", wait_until="commit")
    ms = page.evaluate(ANSWERED)
    pages.make_next()
    listed = page.evaluate(LISTED, 0)  # the hits past the first screen too
    page.context.close()
    loaded = _file_sizes(files) if files else [(url, size) for url, size in listed["loaded"]]
    hits = [href.rsplit("#", 1)[-1] for href in listed["hrefs"]]
    return _answer(mode, query, ms, listed, loaded, hits)


# Types `query` into search.html's box and resolves with the milliseconds until the
# results' status line first gets its text (what a reader waits for after typing, with the
# index still cold) and the moment of the keystroke (ms from navigation start).
TYPE_AND_WAIT = """
async (query) => {
  const status = document.querySelector('.search-status');
  const input = document.querySelector('.search-page-input');
  const start = performance.now();
  const answered = new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error('no answer in 300 s')), 300000);
    new MutationObserver((_, observer) => {
      if (status.textContent) { observer.disconnect(); resolve(performance.now() - start); }
    }).observe(status, {subtree: true, childList: true, characterData: true});
  });
  input.value = query;
  input.dispatchEvent(new Event('input'));
  return [await answered, start];
}
"""
# Resolves once the open search.html has settled, as a reader meets it: its filter lists
# filled (the engine started; their file is the last the page's own script asks for, and
# it holds the load event back), the load event passed, the favicon (which the browser
# asks for only after that event) in, then a frame drawn and the main thread idle. Without
# a settle the keystroke met the page's own late work (measured at 10k: the slowest of ten
# 264-267 ms with one, 275-345 ms without, and the spread twice as wide); an idle callback
# alone came before the favicon. Then Playwright's "networkidle" too (half a second
# without requests, 10 s of a quick run): without it the slowest of ten at 10k was
# 268-290 ms, with it 178 ms (quiet machine, 2026-12-02).
SETTLED = """
async () => {
  const filled = () => {
    const authors = document.querySelector('select[data-filter="author"]');
    return authors !== null && authors.options.length > 1;
  };
  const favicon = () => performance.getEntriesByType('resource')
    .some((entry) => entry.initiatorType === 'other' && entry.responseEnd > 0);
  const deadline = performance.now() + 300000;
  while (!(filled() && document.readyState === 'complete' && favicon())) {
    if (performance.now() > deadline) throw new Error('search.html did not settle in 300 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  await new Promise((resolve) => requestIdleCallback(resolve, {timeout: 1000}));
}
"""


def measure_typed(pages: FreshPages, root: str, query: str) -> Answer:
    """One query typed on an open search.html in a fresh context (cold cache): its time is
    from the keystroke, its bytes what the page asked for after it."""
    page = pages.take()
    page.goto(f"{root}search.html", wait_until="commit")
    page.evaluate(SETTLED)
    page.wait_for_load_state("networkidle")  # see SETTLED
    ms, typed_at = page.evaluate(TYPE_AND_WAIT, query)
    pages.make_next()
    listed = page.evaluate(LISTED, typed_at)
    page.context.close()
    return _answer("typed", query, ms, listed,
                   [(url, size) for url, size in listed["loaded"]], [])


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium for a run: every query opens a fresh context (cold cache) in
    it, so starting a browser per size or per query would only add its start-up."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def answers(
    browser: Browser,
    posts: int,
    modes: Sequence[str],
    queries: Sequence[str] = QUERIES,
    folder: Path | None = None,
    keep: Path | None = None,
    prepared: Path | None = None,
) -> Iterator[SearchSite | Answer]:
    """Build the search data of `posts` posts (the site first), then answer each query in
    each mode. With `keep`, the site is built into `keep` and kept there, or reused when an
    earlier run built it (its index is written again, as the build would: the code may
    have changed since); with `prepared`, the folder `prepare` made for this size."""
    with tempfile.TemporaryDirectory(dir=folder) as temp:
        site = (_kept_site(keep, posts) if keep else _prepared_site(prepared) if prepared
                else build_search_site(Path(temp), posts))
        yield site
        output = site.output
        pages = FreshPages(browser)
        with serve_directory(output, 0) as http_root:
            roots = {"http": http_root, "file": output.as_uri() + "/"}
            try:
                for mode in (mode for mode in modes if mode in roots):
                    for query in queries:
                        yield measure(pages, roots[mode], mode, query)
                if "typed" in modes:
                    for query in queries:
                        yield measure_typed(pages, http_root, query)
            finally:
                pages.close()


MODE_NAMES = {"http": "over HTTP", "file": "from file://",
              "typed": "over HTTP, typed on the open page"}


def run(sizes: Sizes, workdir: Path) -> list[Measurement]:
    """The suite's entry (benchmarks/report.py): the ten queries at every `sizes.search_posts`,
    each mode's slowest answer and most bytes, and the indexing times."""
    found: list[Measurement] = []
    # Tiny sizes (`--tiny`, which tests/test_benchmarks.py runs under a time limit) only
    # check that the code runs: one query of each script is enough for that.
    queries = QUERIES if max(sizes.search_posts) >= TINY_BELOW else TINY_QUERIES
    with chromium() as browser:
        every_size = [list(answers(browser, posts, list(MODE_NAMES), queries, folder=workdir,
                                   prepared=workdir / f"site-{posts}"))
                      for posts in sizes.search_posts]
    for posts, (site, *rest) in zip(sizes.search_posts, every_size, strict=True):
        assert isinstance(site, SearchSite)
        every = [answer for answer in rest if isinstance(answer, Answer)]
        found.append(Measurement("index written", posts, site.offline_seconds, unit="posts",
                                 note="CPU time"))  # fmt: skip
        for mode, shown in MODE_NAMES.items():
            mine = [answer for answer in every if answer.mode == mode]
            slowest = max(mine, key=lambda answer: answer.ms)
            heaviest = max(mine, key=lambda answer: answer.total_bytes)
            found.append(Measurement(
                f"{shown}, slowest query", posts, slowest.ms / 1000, bytes=slowest.total_bytes,
                unit="posts", note=f"{slowest.query} ({slowest.status})"))  # fmt: skip
            found.append(Measurement(
                f"{shown}, heaviest query", posts, heaviest.ms / 1000,
                bytes=heaviest.total_bytes, unit="posts",
                note=f"{heaviest.query} ({heaviest.status})"))  # fmt: skip
    return found


BENCHMARK = Benchmark(
    "search",
    run,
    prepare=prepare,
    about="Ten typical Arabic, Hebrew and English queries on search.html over generated posts "
          "(25 threads, 2,000 authors, Zipf-weighted words) written by the build's own "
          "functions, each in a fresh headless Chromium context (cold cache): served over "
          "HTTP (bytes as sent, gzip) and from file:// (the files' sizes), both reading the "
          "same sharded index. A query's time is from navigation to the results' status line and "
          "its bytes everything the page loaded; over HTTP also typed into the open page (the "
          "engine started, no index file loaded yet): from the keystroke, and the bytes "
          "loaded after it. Each mode's slowest and heaviest of the ten "
          "are shown; `python -m benchmarks.search` prints every query.",
    plots=(Plot("Slowest query against posts", "seconds",
                ("over HTTP, slowest query", "over HTTP, typed on the open page, slowest query",
                 "from file://, slowest query")),
           Plot("Most bytes a query loaded against posts", "bytes",
                ("over HTTP, heaviest query", "from file://, heaviest query")),
           Plot("Indexing time against posts", "seconds", ("index written",))),
    goals=(Goal("over HTTP, a typed query answers within 300 ms",
                "over HTTP, typed on the open page, slowest query", "seconds", at_most=0.3),
           Goal("over HTTP, a typed query transfers at most 1 MB",
                "over HTTP, typed on the open page, heaviest query", "bytes", at_most=1_000_000),
           Goal("over HTTP, a query transfers at most 1 MB", "over HTTP, heaviest query",
                "bytes", at_most=1_000_000),
           Goal("from file://, every first answer within 1 s", "from file://, slowest query",
                "seconds", at_most=1.0),
           Goal("from file://, a query loads at most 5 MB", "from file://, heaviest query",
                "bytes", at_most=5_000_000)),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, nargs="+", default=[10_000])
    parser.add_argument("--modes", nargs="+", choices=list(MODE_NAMES), default=list(MODE_NAMES))
    parser.add_argument("--json", type=Path, help="also write every answer (with its hits) here")
    parser.add_argument("--queries", nargs="+", default=list(QUERIES))
    parser.add_argument("--keep", type=Path,
                        help="build each size's site into this folder and reuse it next time")
    args = parser.parse_args()
    found = []
    print(f"{'posts':>7} {'mode':5} {'ms':>7} {'kB all':>8} {'kB search':>9} {'files':>5}  query")
    with chromium() as browser:
        for posts in args.posts:
            print(f"{posts} posts:")
            for answer in answers(browser, posts, args.modes, args.queries, keep=args.keep):
                if isinstance(answer, SearchSite):
                    print(f"  index written in {answer.offline_seconds:.1f} s of CPU time")
                    continue
                found.append({"posts": posts, **answer.__dict__})
                print(
                    f"{posts:>7} {answer.mode:5} {answer.ms:>7.0f} "
                    f"{answer.total_bytes / 1024:>8.0f} {answer.search_bytes / 1024:>9.0f} "
                    f"{answer.files:>5}  {answer.query} ({answer.status})"
                )
    if args.json:
        args.json.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
