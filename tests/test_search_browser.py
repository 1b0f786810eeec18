"""Search in real Chromium: served over HTTP and opened from file:// (the same index, as built
and split into small shards), typed the ways readers type, with filters, opening the post at
its anchor."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from scraper.site.offline_index import SEARCH_DIR, read_search_data, write_search_files

from .conftest import Tab, serve_directory
from .test_search import (
    LAB_KEY,
    LAB_POSTS,
    SMALL_SHARD_BYTES,
    OfflineIndex,
    SearchSite,
    build_search_site,
)

pytestmark = pytest.mark.browser

# "shards": from file://, the offline index split into shards of a few words each, as a large
# archive's is: every query then needs term keys of several letters or a prefix file.
MODES = ["http", "file", "shards"]


@dataclass
class Served:
    site: SearchSite
    http_root: str  # http://127.0.0.1:<port>/
    sharded: Path  # a copy of the site with the small shards

    def root(self, mode: str) -> str:
        if mode == "http":
            return self.http_root
        return (self.site.output if mode == "file" else self.sharded).as_uri() + "/"

    def anchor(self, role: str) -> str:
        return f"post-{self.site.post_id(role)}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    site = build_search_site(tmp_path_factory.mktemp("search-browser"))
    sharded = tmp_path_factory.mktemp("search-sharded") / "output"
    shutil.copytree(site.output, sharded)
    write_search_files(sharded, read_search_data(site.output), shard_bytes=SMALL_SHARD_BYTES)
    with serve_directory(site.output, 0) as http_root:
        yield Served(site, http_root, sharded)


def search_page(tab: Tab, url: str) -> list[str]:
    """Open a search.html URL; the anchors of the posts it lists, once it has answered."""
    tab.page.goto(url)
    tab.page.locator(".search-status:not(:empty)").wait_for()
    return [
        (link.get_attribute("href") or "").rsplit("#", 1)[-1]
        for link in tab.page.locator(".search-page-results a.search-hit").all()
    ]


WAL_MAGHRIB = {"opening", "wal_maghrib", "israel"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "roles"),
    [
        ("المغرب", WAL_MAGHRIB),  # finds والمغرب, لأخبار المغرب
        ("والمغرب", WAL_MAGHRIB),  # a prefix typed finds the word without it
        ("المَغْرِبُ", WAL_MAGHRIB),  # tashkeel typed
        ("مدرسه", {"school", "school_fa"}),  # ه for ة, no tashkeel for المَدْرَسَةُ, فالمدرسة
        ("المدرسة", {"school", "school_fa"}),
        ("اسرائيل", {"israel", "tweet"}),  # ا for إ (and الإسرائيلي)
        ("مستشفي", {"hospital"}),  # ي for ى
        ("الكبير", {"hospital"}),  # the post has tatweel
        ("היסטורי", {"tweet"}),  # Hebrew, from the embedded tweet
        ("הִיסְטוֹרִי", {"tweet"}),  # with niqqud
        ("Benny Gantz", {"hebrew", "tweet"}),
        ("benny", {"hebrew", "tweet"}),
    ],
)
def test_search_page_finds_the_posts(
    served: Served, tab: Tab, mode: str, query: str, roles: set[str]
) -> None:
    found = search_page(tab, f"{served.root(mode)}search.html?q={quote(query)}")
    assert sorted(found) == sorted(served.anchor(role) for role in roles)
    assert tab.page.locator("#search-page-input").input_value() == query


@pytest.mark.parametrize("mode", MODES)
def test_hit_shows_author_date_and_mark_and_opens_the_anchor(
    served: Served, tab: Tab, mode: str
) -> None:
    search_page(tab, f"{served.root(mode)}search.html?q={quote('مدرسه')}")
    anchor = served.anchor("school")
    hit = tab.page.locator(f'.search-page-results a.search-hit[href$="#{anchor}"]')
    author, published, _ = LAB_POSTS["school"]
    assert hit.locator(".search-hit-author").inner_text() == author
    assert hit.locator("time").get_attribute("datetime") == published
    assert hit.locator("time").get_attribute("title") == published  # exact time on hover
    shown_date = hit.locator("time").inner_text()
    assert hit.locator("mark").all_inner_texts() == ["المَدْرَسَةُ"]
    assert hit.locator(".search-hit-title").inner_text() == "مختبر البحث"
    hit.click()
    tab.page.wait_for_url(re.compile(rf"/threads/{LAB_KEY}/index\.html#{anchor}$"))
    target = tab.page.locator(":target")
    assert target.get_attribute("id") == anchor
    # The hit wrote the date as the thread's own page does.
    post = tab.page.locator(f"article.post:has(#{anchor})")
    assert post.locator(".post-date time").inner_text() == shown_date
    assert target.is_visible()


@pytest.mark.parametrize("mode", MODES)
def test_filters_narrow_the_results(served: Served, tab: Tab, mode: str) -> None:
    root = served.root(mode)
    query = quote("مدرسة")
    by_author = search_page(tab, f"{root}search.html?q={query}&author={quote('سلمى')}")
    assert by_author == [served.anchor("school")]
    by_year = search_page(tab, f"{root}search.html?q={query}&year=2023")
    assert by_year == [served.anchor("school_fa")]
    # The controls: choosing a thread and an author updates the results and the URL.
    search_page(tab, f"{root}search.html?q={quote('المغرب')}")
    authors = tab.page.locator("select[data-filter=author] option").all_inner_texts()
    assert "خالد (2)" in authors and "يوسف (1)" in authors
    years = tab.page.locator("select[data-filter=year] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert years == ["", "2023", "2021", "2019"]
    tab.page.select_option("select[data-filter=author]", "خالد")
    hits = tab.page.locator(".search-page-results a.search-hit")
    hits.first.wait_for()
    tab.page.wait_for_function(
        "() => document.querySelectorAll('.search-page-results a').length === 1"
    )
    assert hits.first.get_attribute("href").endswith(f"#{served.anchor('israel')}")  # type: ignore[union-attr]
    assert "author=" in tab.page.url and unquote(tab.page.url).endswith("author=خالد")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "filters"),
    [
        # The lab thread's one page has posts by both: the term is in سلمى's post only.
        ("مستشفي", {"author": "خالد"}),
        # The page has posts of 2019 and 2023: the term is in a post of 2023 only.
        ("مستشفي", {"year": "2019"}),
        # An author's name or a year is no word of a post.
        ("سلمى", {}),
        ("2019", {}),
    ],
)
def test_a_post_must_match_the_terms_and_filters_itself(
    served: Served, tab: Tab, mode: str, query: str, filters: dict[str, str]
) -> None:
    """A hit is a post whose own words, author and year match, never one that merely shares
    a page with them."""
    extra = "".join(f"&{name}={quote(value)}" for name, value in filters.items())
    assert search_page(tab, f"{served.root(mode)}search.html?q={quote(query)}{extra}") == []
    assert tab.page.locator(".search-status").inner_text() == tab.page.locator(
        "form.search-page"
    ).get_attribute("data-no-results")


@pytest.mark.parametrize("mode", MODES)
def test_box_on_a_thread_page_finds_and_opens_a_post(served: Served, tab: Tab, mode: str) -> None:
    fixture = served.site.fixture
    tab.page.goto(f"{served.root(mode)}threads/{fixture.key}/page-2.html")
    tab.page.fill(".search-input", "والمغرب")
    anchor = served.anchor("wal_maghrib")
    hit = tab.page.locator(f'.search-results a.search-hit[href$="#{anchor}"]')
    hit.wait_for()
    hit.click()
    tab.page.wait_for_url(re.compile(rf"/threads/{fixture.key}/index\.html#{anchor}$"))
    assert tab.page.locator(":target").get_attribute("id") == anchor


@pytest.mark.parametrize("mode", MODES)
def test_enter_in_the_box_opens_the_search_page(served: Served, tab: Tab, mode: str) -> None:
    tab.page.goto(f"{served.root(mode)}index.html")
    tab.page.fill(".search-input", "Gantz")
    tab.page.press(".search-input", "Enter")
    tab.page.wait_for_url(re.compile(r"/search\.html\?q=Gantz$"))
    tab.page.locator(".search-page-results a.search-hit").first.wait_for()
    assert tab.page.locator(".search-page-results a.search-hit").count() == 2


@pytest.mark.parametrize("mode", MODES)
def test_hostile_text_in_results_stays_text(served: Served, tab: Tab, mode: str) -> None:
    found = search_page(tab, f"{served.root(mode)}search.html?q={quote('كلمةخطرة')}")
    assert found == [served.anchor("hostile")]
    results = tab.page.locator(".search-page-results")
    assert results.locator("img, script").count() == 0
    assert "<img src=x" in results.inner_text()
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"


def test_file_search_loads_only_files(served: Served, tab: Tab) -> None:
    search_page(tab, f"{served.root('file')}search.html?q={quote('المغرب')}")
    loaded = [url for url in tab.requests if "/search/" in url or "pagefind" in url]
    assert all(url.startswith("file://") for url in tab.requests)
    assert any(url.endswith("/search/offline-index.js") for url in loaded)
    assert not any("pagefind" in url for url in loaded)
    assert tab.page.locator(".search-status").inner_text().endswith("3")


def offline_files(tab: Tab) -> set[str]:
    """The offline index's shards the page loaded, by name (`terms/w-645-62f`, `posts/1`)."""
    marker = f"/{SEARCH_DIR}/offline/"
    return {url.split(marker, 1)[1].removesuffix(".js") for url in tab.requests if marker in url}


def test_file_search_loads_only_the_shards_of_its_terms_and_hits(served: Served, tab: Tab) -> None:
    index = OfflineIndex(served.sharded / SEARCH_DIR)
    counts = {**index.counts("مدرسه"), **index.counts("قريب")}
    terms = set(index.read)
    assert len(terms) == 2 and len(index.manifest["words"]) > 20
    query = quote("مدرسة قريبة")
    assert search_page(tab, f"{served.root('shards')}search.html?q={query}") == [
        served.anchor("school_fa")
    ]
    (hit,) = [number for number in counts if number in index.counts("قريب")]
    # search.html lists the filters' values (counts.js), then the two terms and the hit.
    assert offline_files(tab) == {"counts", *terms, index.posts_file(hit)}


def test_box_loads_no_filters_and_a_short_term_one_prefix_file(served: Served, tab: Tab) -> None:
    index = OfflineIndex(served.sharded / SEARCH_DIR)
    assert "م" in index.manifest["prefixes"]
    tab.page.goto(f"{served.root('shards')}threads/{served.site.fixture.key}/index.html")
    tab.page.fill(".search-input", "م")
    tab.page.locator(".search-results a.search-hit").first.wait_for()
    posts = {index.posts_file(n) for n in index.counts("م")}
    loaded = offline_files(tab)
    assert "terms/p-645" in loaded and "filters" not in loaded
    assert loaded - {"terms/p-645"} <= posts  # the first 8 hits' files only
    # Typing on: the next letter needs a term shard, not everything under م.
    tab.page.fill(".search-input", "مغرب")
    hit = tab.page.locator(f'.search-results a.search-hit[href$="#{served.anchor("wal_maghrib")}"]')
    hit.wait_for()
    terms = {name for name in offline_files(tab) if name.startswith("terms/")}
    index.read.clear()
    index.counts("مغرب")
    assert terms == {"terms/p-645", *index.read}


@pytest.mark.parametrize("mode", MODES)
def test_a_filter_no_post_has_is_dropped_as_its_list_shows(
    served: Served, tab: Tab, mode: str
) -> None:
    """The first query runs with the URL's filters before the lists are filled; a value that
    is not in its list then does not apply, and the results say so."""
    url = f"{served.root(mode)}search.html?q={quote('مدرسة')}&author={quote('لا أحد')}"
    tab.page.goto(url)
    tab.page.wait_for_function(
        "() => document.querySelectorAll('.search-page-results a.search-hit').length === 2"
    )
    assert tab.page.locator("select[data-filter=author]").input_value() == ""
    found = search_page(tab, f"{served.root(mode)}search.html?q={quote('مدرسة')}&year=2019")
    assert found == [served.anchor("school")]
