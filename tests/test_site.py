"""The static site built by Pelican from a small archive: structure, direction, safety, links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.site.build import BuildReport, build_site
from scraper.site.dates import format_datetime
from scraper.site.offline_index import read_search_data
from scraper.site.textdir import detect
from scraper.site.views import page_window

from .archive_factory import (
    POST_COUNT,
    THREAD_PREFIX,
    THREAD_TITLE,
    FixtureArchive,
    build_fixture_archive,
)


@dataclass
class BuiltSite:
    fixture: FixtureArchive
    output: Path
    report: BuildReport

    @property
    def thread_dir(self) -> Path:
        return self.output / "threads" / self.fixture.key

    def page(self, relative: str) -> LexborHTMLParser:
        return LexborHTMLParser((self.output / relative).read_text(encoding="utf-8"))

    def thread_page(self, name: str) -> LexborHTMLParser:
        return LexborHTMLParser((self.thread_dir / name).read_text(encoding="utf-8"))

    def html_files(self) -> list[Path]:
        return [p for p in self.output.rglob("*.html") if "pagefind" not in p.parts]

    def post(self, role: str) -> tuple[str, LexborHTMLParser]:
        """The file and parsed page that show the post with that role."""
        anchor = f"post-{self.fixture.post_id(role)}"
        for name in ("index.html", "page-2.html"):
            tree = self.thread_page(name)
            if tree.css_first(f"#{anchor}") is not None:
                return name, tree
        raise AssertionError(f"{anchor} is on no page")


def article(tree: LexborHTMLParser, post_id: str) -> LexborNode:
    """The <article> of a post, found from its heading's anchor."""
    heading = tree.css_first(f"#post-{post_id}")
    assert heading is not None
    node = heading.parent
    while node is not None and node.tag != "article":
        node = node.parent
    assert node is not None
    return node


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    root = tmp_path_factory.mktemp("site")
    fixture = build_fixture_archive(root / "archive")
    output = root / "output"
    report = build_site(fixture.root, output)
    return BuiltSite(fixture, output, report)


def test_build_report_counts_threads_posts_and_pages(site: BuiltSite) -> None:
    # index, search, about, 2 thread pages and one page per author (5: test_site_pages.py)
    assert (site.report.threads, site.report.posts, site.report.pages) == (1, POST_COUNT, 10)
    assert site.report.seconds > 0


def test_only_the_index_and_thread_pages_are_written(site: BuiltSite) -> None:
    written = sorted(p.relative_to(site.output).as_posix() for p in site.html_files())
    permalinks = [name for name in written if "/posts/" in name]  # one stub per post
    assert permalinks == sorted(f"threads/{site.fixture.key}/posts/{i}.html"
                                for i in site.fixture.post_ids)
    written = [name for name in written if name not in permalinks]
    written = [name for name in written if not name.startswith("authors/")]  # test_site_pages
    assert written == [
        "about.html",
        "index.html",
        "search.html",
        f"threads/{site.fixture.key}/index.html",
        f"threads/{site.fixture.key}/page-2.html",
    ]
    assert (site.output / "search" / "offline-index.js").is_file()
    assert not (site.output / "pagefind").exists()  # search.js reads the index over HTTP too
    assert not (site.output / "feeds").exists()


def test_index_lists_the_thread(site: BuiltSite) -> None:
    tree = site.page("index.html")
    assert tree.css_first("html").attrs["dir"] == "rtl"
    item = tree.css_first(".thread-item")
    assert item.css_first(".prefix").text() == THREAD_PREFIX
    link = item.css_first(".thread-item-title a")
    assert link.attrs["href"] == f"./threads/{site.fixture.key}/index.html"
    assert link.text(strip=True) == THREAD_TITLE
    assert [a.text() for a in item.css(".breadcrumb a")] == ["المنتديات", "أخبار وطنية"]
    stats = item.css_first(".thread-stats").text()
    assert str(POST_COUNT) in stats
    times = [t.attrs["datetime"] for t in item.css("time")]
    assert times[0] == "2021-11-24T10:42:17+01:00"  # first post
    assert len(times) == 3  # first post, last post, last archived


def test_thread_pages_hold_the_posts_in_order(site: BuiltSite) -> None:
    ids = site.fixture.post_ids
    first = [h.attrs["id"] for h in site.thread_page("index.html").css(".post-author")]
    second = [h.attrs["id"] for h in site.thread_page("page-2.html").css(".post-author")]
    assert first == [f"post-{i}" for i in ids[:20]]
    assert second == [f"post-{i}" for i in ids[20:]]
    numbers = [n.text() for n in site.thread_page("page-2.html").css(".post-number")]
    assert numbers == ["#21", "#22", "#23", "#24"]


def test_pagination_links_are_explicit_files(site: BuiltSite) -> None:
    first = site.thread_page("index.html").css_first(".pagination")
    assert first.css_first("a[rel=next]").attrs["href"] == "page-2.html"
    second = site.thread_page("page-2.html").css_first(".pagination")
    assert second.css_first("a[rel=prev]").attrs["href"] == "index.html"
    assert second.css_first("[aria-current=page]").text() == "2"


def test_post_shows_author_date_and_provenance(site: BuiltSite) -> None:
    tree = site.thread_page("index.html")
    post = article(tree, site.fixture.post_id("opening"))
    author = post.css_first(".post-author-profile")
    assert author.attrs["href"] == "https://forum.example/members/1/"
    assert "nofollow" in author.attrs["rel"]
    time = post.css_first(".post-meta time")
    assert time.attrs["datetime"] == "2021-11-24T10:42:17+01:00"
    assert time.attrs["title"] == "2021-11-24T10:42:17+01:00"
    assert time.text() == "24 نونبر 2021، 10:42"  # Moroccan months: the board is ar-MA
    provenance = post.css_first("details.provenance").text()
    assert "https://forum.example/threads/maghrib-news.2741/#post-9001" in provenance
    assert "threads/forum.example-2741/warc/" in provenance
    assert "urn:uuid:" in provenance


def test_edited_post_is_marked(site: BuiltSite) -> None:
    tree = site.thread_page("index.html")
    assert article(tree, site.fixture.post_id("edited")).css_first(".post-edited") is not None
    assert article(tree, site.fixture.post_id("opening")).css_first(".post-edited") is None


def test_direction_and_language(site: BuiltSite) -> None:
    tree = site.thread_page("index.html")
    assert tree.css_first("html").attrs["lang"] == "ar-MA"
    assert tree.css_first("html").attrs["dir"] == "rtl"
    opening = article(tree, site.fixture.post_id("opening")).css_first(".post-body")
    assert (opening.attrs["lang"], opening.attrs["dir"]) == ("ar", "rtl")
    _, page = site.post("hebrew")
    hebrew = article(page, site.fixture.post_id("hebrew"))
    marked = {(n.attrs.get("lang"), n.attrs.get("dir")) for n in hebrew.css("[lang][dir]")}
    assert ("he", "rtl") in marked and ("ar", "rtl") in marked
    _, page = site.post("tweet")
    card = article(page, site.fixture.post_id("tweet")).css_first("figure.embed")
    assert (card.attrs["lang"], card.attrs["dir"]) == ("he", "rtl")
    assert "מרוקו" in card.text()
    assert card.css_first("a").attrs["href"].startswith("https://twitter.com/")
    assert card.css_first(".embed-handle").text() == "@gantzbe"


def test_hostile_post_is_sanitized(site: BuiltSite) -> None:
    tree = site.thread_page("index.html")
    post = article(tree, site.fixture.post_id("hostile"))
    html = post.html or ""
    for forbidden in ("<script", "<iframe", "<svg", "onerror", "onload", "javascript:", "__pwned"):
        assert forbidden not in html
    assert all(img.attrs.get("src", "").startswith("assets/") for img in post.css("img"))
    missing = post.css("a.fm-missing-image")
    assert "http://203.0.113.9/x.png" in [a.attrs["href"] for a in missing]
    assert all("nofollow" in a.attrs["rel"] for a in missing)


def test_no_page_has_scripts_handlers_or_remote_resources(site: BuiltSite) -> None:
    for path in site.html_files():
        tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
        for script in tree.css("script"):
            assert script.attrs.get("src", "").endswith(
                ("theme/js/search.js", "theme/js/lightbox.js", "theme/js/permalink.js")), path
            assert not (script.text() or "").strip(), f"inline script in {path}"
        for node in tree.css("*"):
            assert not any(name.startswith("on") for name in node.attrs), (path, node.html)
        for node in tree.css("[src], link[href]"):
            url = node.attrs.get("src") or node.attrs.get("href") or ""
            assert not urlsplit(url).scheme and not url.startswith("/"), (path, url)
        csp = tree.css_first('meta[http-equiv="Content-Security-Policy"]').attrs["content"]
        assert "script-src 'self';" in csp and "img-src 'self'" in csp


def test_external_links_are_nofollow(site: BuiltSite) -> None:
    for path in site.html_files():
        for link in LexborHTMLParser(path.read_text(encoding="utf-8")).css("a[href]"):
            if urlsplit(link.attrs["href"]).scheme in ("http", "https"):
                assert set(link.attrs.get("rel", "").split()) >= {"nofollow", "noopener"}


def test_local_links_resolve_to_files_and_anchors(site: BuiltSite) -> None:
    """Every relative link names an existing file (no folder links) and an existing anchor."""
    checked = 0
    for path in site.html_files():
        for node in LexborHTMLParser(path.read_text(encoding="utf-8")).css("a[href], img[src]"):
            url = node.attrs.get("href") or node.attrs.get("src") or ""
            parts = urlsplit(url)
            if parts.scheme or url.startswith("/"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{path}: {url}"
            assert site.output.resolve() in target.parents or target.parent == site.output
            if parts.fragment and target.suffix == ".html" and parts.fragment != "main":
                ids = LexborHTMLParser(target.read_text(encoding="utf-8")).css(f"#{parts.fragment}")
                assert ids, f"{path}: {url} has no target"
            checked += 1
    assert checked > 50


def test_quotes_link_to_the_quoted_post_on_its_page(site: BuiltSite) -> None:
    quoted = site.fixture.post_id("quoted")
    for role in ("quote_same_page", "quote_other_page"):
        _, tree = site.post(role)
        quote = article(tree, site.fixture.post_id(role)).css_first("blockquote.fm-quote")
        link = quote.css_first(".fm-quote-title a")
        assert link.attrs["href"] == f"index.html#post-{quoted}"
        assert link.css_first("bdi").text() == "يوسف"


def test_shared_image_is_stored_once_and_shown_twice(site: BuiltSite) -> None:
    assets = list((site.thread_dir / "assets").iterdir())
    assert [a.name for a in assets] == [Path(site.fixture.image_path).name]
    tree = site.thread_page("index.html")
    for role in ("image_first", "image_second"):
        image = article(tree, site.fixture.post_id(role)).css_first(".post-body img")
        assert image.attrs["src"] == site.fixture.image_path


def test_wal_maghrib_post_is_indexed_without_its_prefix(site: BuiltSite) -> None:
    tree = site.thread_page("index.html")
    post_id = site.fixture.post_id("wal_maghrib")
    assert "المغرب" not in article(tree, post_id).css_first(".post-body").text().replace(
        "والمغرب", ""
    )
    data = read_search_data(site.output)
    (number,) = [n for n, post in enumerate(data.posts()) if post.url.endswith(f"-{post_id}")]
    assert number in data.postings["مغرب"]


def test_only_posts_are_indexed_for_search(site: BuiltSite) -> None:
    """Search holds every post (offline_index.py), not the pages'
    own HTML."""
    data = read_search_data(site.output)
    assert len(data) == POST_COUNT
    assert [post.url.split("#")[1] for post in data.posts()] == [
        f"post-{post_id}" for post_id in site.fixture.post_ids
    ]


def test_every_search_box_submits_to_the_search_page(site: BuiltSite) -> None:
    for path in site.html_files():
        form = LexborHTMLParser(path.read_text(encoding="utf-8")).css_first("form.search")
        assert form.attrs["method"] == "get", path
        target = (path.parent / form.attrs["action"]).resolve()
        assert target == (site.output / "search.html").resolve(), path
        assert form.css_first("input[name=q]") is not None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Benny Gantz قال إن المغرب بلد جميل", "ar"),
        ("שלום מרוקו Benny", "he"),
        ("Benny Gantz visited", "en"),
    ],
)
def test_detect_counts_letters(text: str, lang: str) -> None:
    detected = detect(text)
    assert detected is not None and detected.lang == lang
    assert detect("123 !?") is None


def test_dates_in_the_readers_terms() -> None:
    iso = "2021-11-24T10:42:17+01:00"
    assert format_datetime(iso, "ar", "ar-MA") == "24 نونبر 2021، 10:42"
    assert format_datetime(iso, "ar", "ar") == "24 نوفمبر 2021، 10:42"
    assert format_datetime(iso, "en") == "Nov 24, 2021, 10:42"
    assert format_datetime("2021-07-01T23:05:00-04:00", "ar", "ar-MA") == "1 يوليوز 2021، 23:05"


def test_page_window_keeps_first_last_and_neighbours() -> None:
    assert page_window(1, 1) == [1]
    assert page_window(5, 10) == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert page_window(2, 4) == [1, 2, 3, 4]


def test_index_links_are_relative_from_the_root(site: BuiltSite) -> None:
    tree = site.page("index.html")
    assert tree.css_first('link[rel="stylesheet"]').attrs["href"] == "./theme/css/site.css"
    thread = site.thread_page("page-2.html")
    assert thread.css_first(".site-name").attrs["href"] == "../../index.html"
    assert re.fullmatch(r"\.\./\.\./", thread.css_first("form.search").attrs["data-site-root"])
