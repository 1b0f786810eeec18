"""Site-wide pages and thread extras: activity chart, participants, archive zip, author pages,
Atom feed, sitemap and the about page, from real Pelican builds of real archives."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper import __version__
from scraper.archive import ThreadArchive
from scraper.records import Author
from scraper.site import i18n
from scraper.site.activity import MAX_SLOTS, activity_chart
from scraper.site.authors import author_page
from scraper.site.build import build_site
from scraper.site.thread_zip import write_thread_zip
from scraper.verify import verify_archive

from .archive_factory import POST_COUNT, build_fixture_archive, settings_file
from .conftest import ScrapedDemo, Tab, serve_directory

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
TRANSLATIONS = Path(__file__).resolve().parents[1] / "theme" / "translations"


@dataclass
class Built:
    archive: Path
    output: Path
    key: str

    @property
    def thread_dir(self) -> Path:
        return self.output / "threads" / self.key

    def html(self, relative: str) -> LexborHTMLParser:
        return LexborHTMLParser((self.output / relative).read_text(encoding="utf-8"))


def resolve(page: Path, url: str) -> tuple[Path, str]:
    """The file a relative link of `page` names, and its fragment."""
    parts = urlsplit(url)
    assert not parts.scheme and not url.startswith("/"), url
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    return target, parts.fragment


@pytest.fixture(scope="module")
def demo(scraped_demo: ScrapedDemo, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The demo thread, scraped over HTTP, built with a public address (for the sitemap)."""
    root = tmp_path_factory.mktemp("pages-demo")
    settings = settings_file(root, SITEMAP_BASE_URL="https://mirror.example/archive/")
    output = root / "output"
    build_site(scraped_demo.root, output, settings)
    (key,) = [p.name for p in (scraped_demo.root / "threads").iterdir()]
    return Built(scraped_demo.root, output, key)


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The 24-post fixture thread (runs over 6 days), built without a public address."""
    root = tmp_path_factory.mktemp("pages-fixture")
    fixture = build_fixture_archive(root / "archive")
    build_site(fixture.root, root / "output")
    return Built(fixture.root, root / "output", fixture.key)


# --- Activity chart -----------------------------------------------------------------------


def test_chart_counts_posts_per_day_oldest_at_the_right_when_rtl() -> None:
    dates = ["2021-11-24T10:00:00+01:00", "2021-11-24T23:30:00+01:00", "2021-11-28T09:00:00+01:00"]
    chart = activity_chart([*dates, None, "not a date"], rtl=True)
    assert chart is not None
    assert (chart.unit, chart.posts, chart.days, chart.first, chart.last) == (
        "day",
        3,
        5,
        "2021-11-24",
        "2021-11-28",
    )
    assert [(bar.start, bar.count) for bar in chart.bars] == [("2021-11-24", 2), ("2021-11-28", 1)]
    oldest, newest = chart.bars
    assert oldest.x > newest.x and oldest.height == chart.height  # right to left, peak full
    ltr = activity_chart(dates)
    assert ltr is not None and ltr.bars[0].x < ltr.bars[1].x
    assert activity_chart([None, ""]) is None


def test_chart_switches_to_weeks_then_months_for_long_threads() -> None:
    weeks = activity_chart(["2020-01-01T00:00:00+00:00", "2021-06-01T00:00:00+00:00"])
    months = activity_chart(["2015-03-10T00:00:00+00:00", "2021-06-01T00:00:00+00:00"])
    assert weeks is not None and months is not None
    assert weeks.unit == "week" and months.unit == "month"
    assert [bar.start for bar in months.bars] == ["2015-03-01", "2021-06-01"]
    for chart in (weeks, months):
        assert all(bar.x >= 0 and bar.x + bar.width <= chart.width for bar in chart.bars)
        assert chart.width / chart.bars[0].width <= MAX_SLOTS * 1.5


def test_thread_head_shows_the_chart_in_the_pages_language(fixture_site: Built) -> None:
    tree = fixture_site.html(f"threads/{fixture_site.key}/index.html")
    svg = tree.css_first(".thread-head svg.activity-chart")
    assert svg.attrs["role"] == "img"
    expected = i18n.translations(TRANSLATIONS, "ar").gettext(
        "%(posts)s posts over %(days)s days"
    ) % {"posts": POST_COUNT, "days": 6}
    assert svg.attrs["aria-label"] == expected
    assert svg.css_first("title").text() == expected
    bars = svg.css("rect")
    assert len(bars) == 6  # one post every 5 hours for 24 posts: 6 calendar days
    xs = [float(bar.attrs["x"]) for bar in bars]
    assert xs == sorted(xs, reverse=True)  # oldest first in the markup, drawn at the right
    page_2 = fixture_site.html(f"threads/{fixture_site.key}/page-2.html")
    assert page_2.css_first("svg.activity-chart") is None  # only on the first page


# --- Participants and author pages --------------------------------------------------------


def test_participants_count_every_post_and_link_to_author_pages(fixture_site: Built) -> None:
    page = fixture_site.thread_dir / "index.html"
    rows = fixture_site.html(f"threads/{fixture_site.key}/index.html").css(
        ".participants-table tbody tr"
    )
    counts = [int(row.css("td")[0].text()) for row in rows]
    assert sum(counts) == POST_COUNT and counts == sorted(counts, reverse=True)
    for row in rows:
        target, _ = resolve(page, row.css_first("th a").attrs["href"])
        assert target.is_file() and target.parent.name == "authors"
        author = LexborHTMLParser(target.read_text(encoding="utf-8"))
        assert len(author.css(".author-post")) == int(row.css("td")[0].text())
        assert author.css_first("h1").text(strip=True) == row.css_first("th a").text()


def test_author_page_lists_posts_that_link_to_their_anchor(fixture_site: Built) -> None:
    pages = sorted((fixture_site.output / "authors").glob("*.html"))
    assert len(pages) == 5  # the fixture's five member URLs
    seen = 0
    for path in pages:
        tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
        assert tree.css_first("html").attrs["dir"] == "rtl"
        assert "nofollow" in tree.css_first(".author-meta a").attrs["rel"]
        times = [t.attrs["datetime"] for t in tree.css(".author-post time")]
        assert times == sorted(times, reverse=True)  # newest first (one offset throughout)
        for link in tree.css("a.author-post-link"):
            target, anchor = resolve(path, link.attrs["href"])
            shown = LexborHTMLParser(target.read_text(encoding="utf-8"))
            assert shown.css_first(f"#{anchor}") is not None, link.attrs["href"]
            seen += 1
    assert seen == POST_COUNT


def test_post_author_name_links_to_the_author_page(fixture_site: Built) -> None:
    page = fixture_site.thread_dir / "index.html"
    tree = fixture_site.html(f"threads/{fixture_site.key}/index.html")
    names = tree.css(".post-author a.post-author-page")
    assert len(names) == 20
    for name in names:
        target, _ = resolve(page, name.attrs["href"])
        assert target.is_file(), name.attrs["href"]
    assert tree.css_first(".post-author-profile").attrs["href"].startswith("https://forum.example/")


def test_arabic_and_unsluggable_names_get_distinct_valid_files() -> None:
    thread = "https://forum.example/threads/x.1/"
    names = ["محمد", "محمّد", "يوسف", "★", "☆", "", "Benny Gantz", "שלום"]
    files = [author_page(Author(name), thread) for name in names]
    assert len(set(files)) == len(files)
    assert all(re.fullmatch(r"authors/[a-z0-9-]+-[0-9a-f]{10}\.html", f) for f in files), files
    # A member is one author whatever name they post under; another board is another author.
    member = "https://forum.example/members/yusuf.12/"
    assert author_page(Author("يوسف", member), thread) == author_page(
        Author("Youssef", member), thread
    )
    assert author_page(Author("يوسف", member), thread).startswith("authors/yusuf-12-")
    # With the member id the engine read (any board: phpBB's memberlist.php?u=12 too).
    phpbb = "https://forum.example/memberlist.php?mode=viewprofile&u=12"
    assert author_page(Author("يوسف", phpbb, member_id="12"), thread) == author_page(
        Author("Youssef", phpbb + "&sid=0f3a", member_id="12"), thread)
    assert author_page(Author("يوسف", phpbb, member_id="12"), thread).startswith(
        "authors/member-12-")
    assert author_page(Author("يوسف"), thread) != author_page(
        Author("يوسف"), "https://b.example/t/"
    )


# --- The archive zip ----------------------------------------------------------------------


def test_zip_holds_the_archive_and_verifies(demo: Built, tmp_path: Path) -> None:
    zip_path = demo.thread_dir / f"{demo.key}.zip"
    link = demo.html(f"threads/{demo.key}/index.html").css_first("a.thread-download")
    assert resolve(demo.thread_dir / "index.html", link.attrs["href"])[0] == zip_path.resolve()
    with zipfile.ZipFile(zip_path) as bundle:
        assert bundle.testzip() is None
        names = bundle.namelist()
        assert names == sorted(names)
        stored = json.loads(bundle.read(f"threads/{demo.key}/thread.json"))
        bundle.extractall(tmp_path)
    archived = json.loads((demo.archive / "threads" / demo.key / "thread.json").read_text("utf-8"))
    assert stored["posts"] == archived["posts"]
    warcs = [n for n in names if n.endswith(".warc.gz")]
    assert warcs and {f"threads/{demo.key}/warc/{Path(r['warc_file']).name}"
                      for r in archived["runs"]} <= set(warcs)  # fmt: skip
    assert len([n for n in names if "/assets/" in n]) == len(archived["assets"])
    # Unzipped anywhere, it is an archive that verify accepts.
    threads, problems = verify_archive(ThreadArchive(tmp_path))
    assert (threads, problems) == (1, [])


def test_zip_is_byte_identical_on_rebuild_and_skips_temporary_files(
    demo: Built, tmp_path: Path
) -> None:
    source = demo.archive / "threads" / demo.key
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_thread_zip(source, first, demo.key)
    write_thread_zip(source, second, demo.key)
    assert (
        first.read_bytes()
        == second.read_bytes()
        == (demo.thread_dir / f"{demo.key}.zip").read_bytes()
    )
    stray = source / ".thread.json.123.tmp"
    stray.write_text("half")
    second.unlink()
    try:
        write_thread_zip(source, second, demo.key)
    finally:
        stray.unlink()
    assert second.read_bytes() == first.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))
    info = zipfile.ZipFile(io.BytesIO(first.read_bytes())).infolist()[0]
    assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_a_current_zip_is_left_alone_and_a_changed_thread_rezipped(
    demo: Built, tmp_path: Path
) -> None:
    source = tmp_path / demo.key
    shutil.copytree(demo.archive / "threads" / demo.key, source)
    target = tmp_path / "thread.zip"
    write_thread_zip(source, target, demo.key)
    written = target.stat().st_mtime_ns
    write_thread_zip(source, target, demo.key)
    assert target.stat().st_mtime_ns == written  # nothing changed: not rewritten
    # The next run's thread.json: same size, other bytes (a check time, say).
    thread_json = source / "thread.json"
    data = thread_json.read_bytes()
    thread_json.write_bytes(data.replace(b"2", b"3", 1))
    write_thread_zip(source, target, demo.key)
    with zipfile.ZipFile(target) as bundle:
        assert bundle.read(f"threads/{demo.key}/thread.json") == thread_json.read_bytes()


# --- Feed, sitemap, about, index ----------------------------------------------------------


def test_feed_has_an_entry_per_post_linking_to_its_anchor(demo: Built) -> None:
    feed = ElementTree.parse(demo.output / "feed.atom").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id").text and feed.find(f"{ATOM}updated").text
    archived = json.loads((demo.archive / "threads" / demo.key / "thread.json").read_text("utf-8"))
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(archived["posts"])
    ids = [entry.find(f"{ATOM}id").text for entry in entries]
    assert sorted(ids) == sorted(post["source_url"] for post in archived["posts"])
    seen = [entry.find(f"{ATOM}updated").text for entry in entries]
    assert seen == sorted(seen, reverse=True)
    for entry in entries:
        assert entry.find(f"{ATOM}author/{ATOM}name").text
        content = entry.find(f"{ATOM}content")
        assert content.attrib["type"] == "html" and "<script" not in content.text
        href = entry.find(f"{ATOM}link").attrib["href"]
        assert href.startswith("https://mirror.example/archive/threads/")
        target, anchor = resolve(
            demo.output / "feed.atom", href.removeprefix("https://mirror.example/archive/")
        )
        assert LexborHTMLParser(target.read_text("utf-8")).css_first(f"#{anchor}") is not None


def test_feed_is_capped_and_relative_without_a_public_address(
    scraped_demo: ScrapedDemo, tmp_path: Path
) -> None:
    output = tmp_path / "output"
    build_site(scraped_demo.root, output, settings_file(tmp_path, FEED_MAX_ENTRIES=3))
    feed = ElementTree.parse(output / "feed.atom").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    href = entries[0].find(f"{ATOM}link").attrib["href"]
    assert resolve(output / "feed.atom", href)[0].is_file()
    assert feed.find(f"{ATOM}id").text.startswith("urn:uuid:")  # Atom ids are absolute
    assert not (output / "sitemap.xml").exists()


def test_every_page_links_the_feed_and_the_about_page(fixture_site: Built) -> None:
    pages = [p for p in fixture_site.output.rglob("*.html") if "pagefind" not in p.parts]
    assert len(pages) > 30
    for path in pages:
        tree = LexborHTMLParser(path.read_text(encoding="utf-8"))
        feed = tree.css_first('link[rel="alternate"][type="application/atom+xml"]')
        assert resolve(path, feed.attrs["href"])[0] == (fixture_site.output / "feed.atom").resolve()
        about = [a.attrs["href"] for a in tree.css(".site-footer a")]
        assert any(resolve(path, href)[0].name == "about.html" for href in about), path


def test_sitemap_lists_every_page_with_absolute_urls(demo: Built) -> None:
    root = ElementTree.parse(demo.output / "sitemap.xml").getroot()
    locs = [loc.text or "" for loc in root.iter(f"{SITEMAP}loc")]
    base = "https://mirror.example/archive/"
    assert all(loc.startswith(base) for loc in locs)
    listed = {loc.removeprefix(base) for loc in locs}
    pages = {
        p.relative_to(demo.output).as_posix()
        for p in demo.output.rglob("*.html")
        if "pagefind" not in p.parts and "/posts/" not in p.as_posix()  # redirect stubs
    }
    assert listed == pages
    assert {"index.html", "about.html", "search.html", f"threads/{demo.key}/index.html"} <= listed


def test_about_page_tells_how_and_when_from_the_run_records(demo: Built) -> None:
    archived = json.loads((demo.archive / "threads" / demo.key / "thread.json").read_text("utf-8"))
    (run,) = archived["runs"]
    tree = demo.html("about.html")
    assert __version__ in tree.css_first(".about-section").text()
    item = tree.css_first(".about-thread")
    facts = {
        div.css_first("dt").text(strip=True): div.css_first("dd") for div in item.css("dl > div")
    }
    catalog = i18n.translations(TRANSLATIONS, "ar")
    assert (
        facts[catalog.gettext("Source")].css_first("a").attrs["href"] == archived["thread"]["url"]
    )
    assert facts[catalog.gettext("Archive runs")].text() == "1"
    assert facts[catalog.gettext("HTTP requests")].text() == str(run["requests"])
    assert facts[catalog.gettext("robots.txt")].text() == catalog.gettext("obeyed")
    assert str(run["settings"]["delay"]) in facts[catalog.gettext("Delay between requests")].text()
    last = facts[catalog.gettext("Last checked")].css_first("time").attrs["datetime"]
    assert last == run["finished_at"]
    assert "forum-mirror verify" in tree.css_first("pre").text()


def test_index_shows_the_forum_and_the_last_check(demo: Built) -> None:
    archived = json.loads((demo.archive / "threads" / demo.key / "thread.json").read_text("utf-8"))
    item = demo.html("index.html").css_first(".thread-item")
    stats = item.css_first(".thread-stats")
    assert archived["thread"]["breadcrumb"][-1]["title"] in stats.text()
    times = [t.attrs["datetime"] for t in stats.css("time")]
    assert times[-1] == archived["runs"][-1]["finished_at"]


# --- In a browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(demo: Built) -> Iterator[str]:
    with serve_directory(demo.output, 0) as base_url:
        yield base_url


@pytest.mark.browser
def test_chart_about_and_author_pages_render_in_chromium(
    demo: Built, served: str, tab: Tab
) -> None:
    tab.page.goto(f"{served}threads/{demo.key}/index.html")
    chart = tab.page.locator("svg.activity-chart")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20
    bar = tab.page.locator("svg.activity-chart rect").first.bounding_box()
    assert bar is not None and bar["height"] > 0 and bar["width"] > 0
    assert tab.page.locator(".participants summary").is_visible()
    tab.page.locator(".post-author a.post-author-page").first.click()
    tab.page.wait_for_url("**/authors/*.html")
    assert tab.page.locator(".author-post").count() >= 1
    tab.page.locator("a.author-post-link").first.click()
    tab.page.wait_for_url(f"**/threads/{demo.key}/*.html#post-*")
    tab.page.locator(".site-footer a").first.click()
    tab.page.wait_for_url("**/about.html")
    assert tab.page.locator(".about-thread").count() == 1


@pytest.mark.browser
def test_new_pages_browse_from_file_urls(demo: Built, tab: Tab) -> None:
    """From file://: every relative link of the new pages opens an existing file."""
    pages = [demo.output / "about.html", *sorted((demo.output / "authors").glob("*.html"))]
    for path in pages:
        tab.page.goto(path.as_uri())
        hrefs = tab.page.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        for href in hrefs:
            if urlsplit(href).scheme:
                continue
            target, _ = resolve(path, href)
            assert target.is_file(), (path, href)
        assert tab.page.locator("h1").is_visible()
