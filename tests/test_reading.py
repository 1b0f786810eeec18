"""How one post reads on the mirror: author block, dates, quotes, revisions, permalinks and
the attachment viewer, on a built site (HTML) and in headless Chromium (keyboard, no-JS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.records import Embed, Quote
from scraper.site.build import build_site

from .archive_factory import (
    FixtureArchive,
    ImageSpec,
    PostSpec,
    build_thread_archive,
    quote_html,
    settings_file,
)
from .conftest import ScrapedDemo, Tab, serve_directory

POSTS_PER_PAGE = 3
HOSTILE_REVISION = '<p>نسخة أولى</p><script>window.__pwned = 1</script><img src=x onerror="x()">'


def _posts() -> list[PostSpec]:
    posts = [
        PostSpec(
            author="FAR_Observer",
            author_url="https://forum.example/members/far_observer.845/",
            html="<p>المشاركة الأولى مع صورة رمزية.</p>",
            text="المشاركة الأولى مع صورة رمزية.",
            avatar=ImageSpec("avatar.jpg", 192, 192, (61, 122, 31)),
            joined="2014-12-27",
            joined_text="27 دجنبر 2014",
            message_count=9356,
        ),
        PostSpec(
            author="المرابط",
            html="<p>النسخة الحالية بعد التعديل.</p>",
            text="النسخة الحالية بعد التعديل.",
            revisions=[HOSTILE_REVISION, "<p>نسخة ثانية قبل الأخيرة</p>"],
        ),
        PostSpec(
            author="atlas_eagle",
            html="<p>ثلاث صور مرفقة.</p>",
            text="ثلاث صور مرفقة.",
            images=[
                ImageSpec("one.jpg", 640, 360, (200, 40, 40)),
                ImageSpec("two.jpg", 360, 640, (40, 200, 40)),
                ImageSpec("three.png", 500, 500, (40, 40, 200), image_format="PNG"),
            ],
        ),
    ]
    posts += [
        PostSpec(author=f"عضو{n}", html=f"<p>مشاركة عادية {n}.</p>", text=f"مشاركة عادية {n}.")
        for n in range(4, 7)
    ]
    posts.append(
        PostSpec(
            author="atlas_eagle",
            html='<p>شاهد الفيديو:</p><div class="fm-embed" data-embed-index="0"></div>',
            text="شاهد الفيديو:",
            embeds=[
                Embed("video", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", handle="youtube")
            ],
        )
    )
    first_id = "9001"
    posts.append(
        PostSpec(
            author="atlas_eagle",
            html=quote_html("FAR_Observer", first_id, "المشاركة الأولى") + "<p>رد.</p>",
            text="رد.",
            quotes=[Quote("FAR_Observer", first_id)],
        )
    )
    return posts


@dataclass
class ReadingSite:
    fixture: FixtureArchive
    output: Path
    base_url: str

    @property
    def thread_dir(self) -> Path:
        return self.output / "threads" / self.fixture.key

    def url(self, name: str) -> str:
        return f"{self.base_url}threads/{self.fixture.key}/{name}"

    def page(self, name: str) -> LexborHTMLParser:
        return LexborHTMLParser((self.thread_dir / name).read_text("utf-8"))

    def article(self, post_id: str) -> tuple[str, LexborNode]:
        """The page file and the <article> of a post."""
        for path in sorted(self.thread_dir.glob("*.html")):
            heading = self.page(path.name).css_first(f"#post-{post_id}")
            if heading is not None:
                node = heading.parent
                while node is not None and node.tag != "article":
                    node = node.parent
                assert node is not None
                return path.name, node
        raise AssertionError(f"post {post_id} is on no page")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadingSite]:
    root = tmp_path_factory.mktemp("reading")
    fixture, _ = build_thread_archive(root / "archive", _posts())
    output = root / "output"
    build_site(fixture.root, output, settings_file(root, THREAD_POSTS_PER_PAGE=POSTS_PER_PAGE))
    with serve_directory(output, 0) as base_url:
        yield ReadingSite(fixture, output, base_url)


# --- the built HTML --------------------------------------------------------------------------


def test_author_block_shows_the_archived_avatar_join_date_and_messages(site: ReadingSite) -> None:
    _, post = site.article(site.fixture.post_ids[0])
    avatar = post.css_first(".post-user img.avatar")
    assert avatar is not None
    src = avatar.attrs["src"] or ""
    assert src.startswith("assets/") and (site.thread_dir / src).is_file()
    assert (avatar.attrs["alt"], avatar.attrs["width"], avatar.attrs["height"]) == (
        "FAR_Observer",
        "96",
        "96",
    )
    extras = {
        (dt.text(strip=True), dd.text(strip=True))
        for dt, dd in zip(
            post.css(".post-user-extras dt"), post.css(".post-user-extras dd"), strict=True
        )
    }
    assert extras == {("انضم", "27 دجنبر 2014"), ("المشاركات", "9,356")}
    assert post.css_first(".post-user-extras time").attrs["datetime"] == "2014-12-27"
    # A member without an uploaded avatar keeps the letter avatar and shows no empty extras.
    _, other = site.article(site.fixture.post_ids[1])
    assert other.css_first("img.avatar") is None
    assert other.css_first("span.avatar").text(strip=True) == "ا"
    assert other.css_first(".post-user-extras") is None


def test_post_date_shows_the_exact_iso_time_on_hover(site: ReadingSite) -> None:
    _, post = site.article(site.fixture.post_ids[0])
    time = post.css_first(".post-date time")
    assert time.attrs["title"] == time.attrs["datetime"] == "2021-11-24T10:42:17+01:00"
    assert time.text(strip=True) == "24 نونبر 2021، 10:42"


def test_quote_links_to_the_quoted_post_on_another_page(site: ReadingSite) -> None:
    page, post = site.article(site.fixture.post_ids[-1])
    assert page == "page-3.html"
    link = post.css_first(".fm-quote-title a")
    assert link.attrs["href"] == f"index.html#post-{site.fixture.post_ids[0]}"
    assert "FAR_Observer" in link.text() and "قال:" in link.text()


def test_revisions_are_listed_sanitized_in_the_provenance_panel(site: ReadingSite) -> None:
    post_id = site.fixture.post_ids[1]
    _, post = site.article(post_id)
    edited = post.css_first("a.post-edited")
    assert edited is not None and edited.attrs["href"] == f"#post-{post_id}-history"
    history = post.css_first(f"details.provenance section.revisions#post-{post_id}-history")
    assert history is not None
    versions = history.css("details.revision")
    assert len(versions) == 2
    first, second = versions
    assert "نسخة أولى" in first.css_first(".revision-body").text()
    assert "نسخة ثانية" in second.css_first(".revision-body").text()
    assert first.css_first("summary time").attrs["datetime"] == "2026-11-20T08:00:00+00:00"
    codes = [c.text() for c in first.css("code")]
    assert codes[0].endswith("20261120T080000000000Z.warc.gz") and codes[1].startswith("<urn:")
    html = history.html or ""
    assert "<script" not in html and "onerror" not in html and "__pwned" not in html
    # The current body is not among the earlier versions; a post never edited has none.
    assert "النسخة الحالية" not in history.text()
    _, plain = site.article(site.fixture.post_ids[0])
    assert plain.css_first(".revisions") is None and plain.css_first(".post-edited") is None


def test_every_post_has_a_permalink_file_naming_its_page(site: ReadingSite) -> None:
    stubs: dict[str, set[int]] = {}  # thread page -> inodes of its posts' permalink files
    for post_id in site.fixture.post_ids:
        page, post = site.article(post_id)
        number = post.css_first("a.post-number")
        assert number.attrs["href"] == f"posts/{post_id}.html"
        path = site.thread_dir / "posts" / f"{post_id}.html"
        stub = LexborHTMLParser(path.read_text("utf-8"))
        target = f"../{page}"
        # Without JavaScript the refresh lands on the page; with it, permalink.js adds the
        # post's anchor from the file's name (test_every_permalink_lands_on_...).
        refresh = stub.css_first('noscript meta[http-equiv="refresh"]').attrs["content"]
        assert refresh == f"0; url={target}"
        assert stub.css_first('link[rel="canonical"]').attrs["href"] == target
        assert stub.css_first(".permalink-note a").attrs["href"] == target
        assert [s.attrs["src"] for s in stub.css("head script[src]")][-1].endswith(
            "theme/js/permalink.js")
        assert not [s for s in stub.css("script") if (s.text() or "").strip()]  # no inline JS
        stubs.setdefault(page, set()).add(path.stat().st_ino)
    # The posts of a page share one file: a large archive does not pay an inode per post.
    assert len(stubs) > 1 and all(len(inodes) == 1 for inodes in stubs.values())


def test_video_is_a_static_card_with_a_link(site: ReadingSite) -> None:
    _, post = site.article(site.fixture.post_ids[6])
    card = post.css_first(".post-body figure.embed--video")
    assert card is not None and "فيديو" in card.text()
    link = card.css_first("a.embed-link")
    assert link.attrs["href"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert {"nofollow", "noopener"} <= set((link.attrs["rel"] or "").split())
    assert post.css_first("iframe") is None and post.css_first("[src*=youtube]") is None


# --- in Chromium -----------------------------------------------------------------------------


@pytest.mark.browser
def test_every_permalink_lands_on_the_page_that_holds_the_post(site: ReadingSite, tab: Tab) -> None:
    page = tab.page
    for post_id in site.fixture.post_ids:
        holder, _ = site.article(post_id)
        page.goto(site.url(f"posts/{post_id}.html"))
        page.wait_for_url(f"**/threads/{site.fixture.key}/{holder}#post-{post_id}")
        page.wait_for_function(
            "id => { const r = document.getElementById(id).getBoundingClientRect();"
            " return r.top >= 0 && r.top < window.innerHeight; }",
            arg=f"post-{post_id}",
        )


@pytest.mark.browser
def test_post_number_link_goes_through_the_permalink(site: ReadingSite, tab: Tab) -> None:
    post_id = site.fixture.post_ids[4]
    tab.page.goto(site.url("page-2.html"))
    tab.page.locator(f"article:has(#post-{post_id}) a.post-number").click()
    tab.page.wait_for_url(f"**/page-2.html#post-{post_id}")


@pytest.mark.browser
def test_edited_mark_opens_the_earlier_versions(site: ReadingSite, tab: Tab) -> None:
    post_id = site.fixture.post_ids[1]
    tab.page.goto(site.url("index.html"))
    history = tab.page.locator(f"#post-{post_id}-history")
    assert not history.is_visible()
    tab.page.locator(f"article:has(#post-{post_id}) a.post-edited").click()
    history.wait_for(state="visible")


def _focus_by_tab(tab: Tab, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.browser
def test_lightbox_with_the_keyboard(site: ReadingSite, tab: Tab) -> None:
    page = tab.page
    page.goto(site.url("index.html"))
    links = page.locator(".post-attachments a.lightbox-link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(hrefs) == 3
    _focus_by_tab(tab, ".post-attachments a.lightbox-link")
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.lightbox")
    dialog.wait_for(state="visible")
    image = page.locator("dialog.lightbox img.lightbox-image")

    def shown() -> str | None:
        page.wait_for_function("() => document.querySelector('.lightbox-image').complete")
        assert image.evaluate("img => img.naturalWidth") > 0
        return image.get_attribute("src")

    assert page.url == site.url("index.html")  # the link did not navigate
    assert shown() == hrefs[0]
    # The page is right-to-left: the next image is to the left.
    page.keyboard.press("ArrowLeft")
    assert shown() == hrefs[1]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert shown() == hrefs[0]  # wraps around
    page.keyboard.press("ArrowRight")
    assert shown() == hrefs[2]
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == hrefs[0]


@pytest.mark.browser
def test_without_javascript_thumbnails_are_links_to_the_images(
    site: ReadingSite, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.url("index.html"))
        link = page.locator(".post-attachments a.lightbox-link").first
        href = link.get_attribute("href")
        link.click()
        page.wait_for_url(f"**/threads/{site.fixture.key}/{href}")
        assert page.locator("dialog").count() == 0
        # Permalinks work without JavaScript too (meta refresh): they land on the post's
        # page, at its top (the anchor needs permalink.js).
        post_id = site.fixture.post_ids[-1]
        page.goto(site.url(f"posts/{post_id}.html"))
        page.wait_for_url("**/page-3.html")
    finally:
        context.close()


# --- the demo forum scraped over HTTP -------------------------------------------------------


def test_uploaded_avatar_is_archived_once_with_provenance(scraped_demo: ScrapedDemo) -> None:
    import json

    (path,) = (scraped_demo.root / "threads").glob("*/thread.json")
    data = json.loads(path.read_text("utf-8"))
    authors = {p["author"]["name"]: p["author"] for p in data["posts"]}
    observer = authors["FAR_Observer"]
    assert observer["avatar_url"].endswith("/data/avatars/l/0/845.jpg?1637750000")
    assert observer["joined"] == "2014-12-27" and observer["message_count"] == 9356
    local = scraped_demo.root / observer["avatar_path"]
    assert local.is_file() and local.read_bytes()[:3] == b"\xff\xd8\xff"
    (asset,) = [a for a in data["assets"] if observer["avatar_url"] in a["urls"]]
    assert asset["capture"]["final_url"] == observer["avatar_url"]
    assert asset["capture"]["warc_record_id"].startswith("<urn:uuid:")
    assert authors["atlas_eagle"]["avatar_url"] is None
    assert authors["atlas_eagle"]["avatar_path"] is None
    requests = [r.path for r in scraped_demo.forum.requests if r.path.startswith("/data/avatars/")]
    assert requests.count("/data/avatars/l/0/845.jpg?1637750000") == 1
