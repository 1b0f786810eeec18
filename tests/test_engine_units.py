"""Engine selection, URL handling, dates and local asset paths: no server needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scraper.demo_forum.pages import render_thread_page
from scraper.engines import engine_for_url, engines_claiming
from scraper.engines.base import Response
from scraper.engines.dates import iso_from_machine_time, parse_shown_date
from scraper.engines.xenforo import XenForo2
from scraper.engines.xenforo1 import XenForo1
from scraper.errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from scraper.localize import localize_urls


@pytest.mark.parametrize(
    ("url", "thread_id"),
    [
        ("https://forum.example/threads/some-title.123/", "123"),
        ("https://forum.example/threads/some-title.123/page-4", "123"),
        ("https://forum.example/community/threads/t.77/#post-5", "77"),
        ("https://forum.example/index.php?threads/t.9/", "9"),
        ("http://127.0.0.1:8765/threads/afaq.2741/", "2741"),
        ("https://forum.example/threads/99/", "99"),
    ],
)
def test_xenforo_thread_urls(url: str, thread_id: str) -> None:
    claiming = engines_claiming(url)  # XenForo 1 has the same URL shapes: pages tell them apart
    assert [type(e) for e in claiming][:2] == [XenForo2, XenForo1]
    assert claiming[0].thread_id(url) == thread_id


def test_first_page_and_key_ignore_the_page_number() -> None:
    engine = XenForo2()
    url = "http://127.0.0.1:8765/threads/afaq.2741/page-2"
    assert engine.first_page_url(url) == "http://127.0.0.1:8765/threads/afaq.2741/"
    assert engine.thread_key(url) == "127.0.0.1_8765-2741"


@pytest.mark.parametrize(
    "url",
    ["https://forum.example/forums/news.12/", "https://example.com/", "ftp://x/threads/a.1/"],
)
def test_unsupported_url_names_the_supported_engines(url: str) -> None:
    with pytest.raises(UnsupportedUrl, match=r"xenforo2 \(e\.g\. https://"):
        engine_for_url(url)


def test_page_that_is_not_xenforo_is_a_layout_error() -> None:
    with pytest.raises(LayoutChanged, match="not a XenForo 2 page"):
        XenForo2().parse_page("<html><body>Login</body></html>", "https://f.example/threads/a.1/")


def test_xenforo_page_without_posts_says_the_layout_may_have_changed() -> None:
    html = '<html id="XF"><body><h1 class="p-title-value">T</h1></body></html>'
    with pytest.raises(LayoutChanged, match="layout may have changed"):
        XenForo2().parse_page(html, "https://f.example/threads/a.1/")


def test_machine_time_gets_an_iso_offset() -> None:
    assert iso_from_machine_time("2021-11-24T10:42:35+0100") == "2021-11-24T10:42:35+01:00"
    assert iso_from_machine_time("yesterday") is None


FIRST_POST_TIME = (
    '<time class="u-dt" dir="auto" datetime="2021-11-23T23:48:12+0100" data-time="1637707692" '
    'data-date-string="23 نونبر 2021" data-time-string="23:48" title="23 نونبر 2021 على 23:48" '
    'itemprop="datePublished">23 نونبر 2021</time>')


@pytest.mark.parametrize(
    ("time_element", "published"),
    [(FIRST_POST_TIME, "2021-11-23T23:48:12+01:00"),
     (FIRST_POST_TIME.replace('datetime="2021-11-23T23:48:12+0100" ', ""),
      "2021-11-23T22:48:12+00:00"),
     ('<time class="u-dt" itemprop="datePublished">أمس على 23:48</time>', "2021-11-23T23:48:00"),
     ('<time class="u-dt" itemprop="datePublished">منذ 3 ساعات</time>', "2021-11-24T07:00:00")],
    ids=["datetime", "unix", "yesterday", "hours-ago"],
)
def test_read_passes_the_fetch_time_for_relative_dates(time_element: str, published: str) -> None:
    """Machine time first; shown relative text against the fetch time the WARC records (the
    page states no zone: naive)."""
    html = render_thread_page(1)
    assert FIRST_POST_TIME in html
    html = html.replace(FIRST_POST_TIME, time_element, 1)
    url = "https://f.example/threads/a.2741/"
    response = Response(url, url, 200, html, fetched_at="2021-11-24T10:00:00+00:00")
    assert XenForo2().read(response, None).page.posts[0].published == published
    if "datetime=" not in time_element and "data-time=" not in time_element:
        assert XenForo2().parse_page(html, url).posts[0].published is None  # no fetch time


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("24 نونبر 2021 على 10:42", "2021-11-24T10:42:00"),
        ("3 دجنبر 2020", "2020-12-03T00:00:00"),
        ("Nov 24, 2021 at 10:42 AM", "2021-11-24T10:42:00"),
    ],
)
def test_shown_dates_with_maghrebi_months(shown: str, expected: str) -> None:
    assert parse_shown_date(shown, "ar-MA") == expected


def test_localize_points_archived_urls_at_local_files_only() -> None:
    html = (
        '<a href="http://f/attachments/a.1/"><img src="http://f/attachments/a.1/" '
        'srcset="http://f/big.jpg 2x"></a><a href="http://elsewhere/">x</a>'
    )
    out = localize_urls(html, {"http://f/attachments/a.1/": "assets/abc.jpg"})
    assert out.count('"assets/abc.jpg"') == 2
    assert "srcset" not in out
    assert 'href="http://elsewhere/"' in out


def test_demo_pages_parse_to_the_truth_table() -> None:
    """The engine on the demo forum's pages as text: ids, authors, dates, images per post."""
    expected = json.loads(
        (Path(__file__).parent / "fixtures" / "xenforo_demo_expected.json").read_text("utf-8"))
    base = "http://127.0.0.1:8765" + expected["thread"]["path"]
    engine = XenForo2()
    posts = []
    for number in range(1, expected["thread"]["pages"] + 1):
        url = base if number == 1 else f"{base}page-{number}"
        page = engine.parse_page(render_thread_page(number, base_url="http://127.0.0.1:8765"), url)
        assert page.page_number == number
        assert page.last_page == expected["thread"]["pages"]
        assert (page.next_url is None) == (number == expected["thread"]["pages"])
        posts.extend(page.posts)
    assert [(p.id, p.position, p.author.name, p.published, p.edited) for p in posts] == [
        (str(e["id"]), e["position"], e["author"], e["published"], e["edited"])
        for e in expected["posts"]
    ]
    for post, want in zip(posts, expected["posts"], strict=True):
        assert [a.filename for a in post.assets] == want["inline_image_files"] + want["attachments"]
        assert all(a.url.startswith("http://127.0.0.1:8765/attachments/") for a in post.assets)
        avatar = want["author_avatar"] and "http://127.0.0.1:8765" + want["author_avatar"]
        assert post.author.avatar_url == avatar
        assert post.author.joined == want["author_joined"]
        assert post.author.joined_text  # as shown, e.g. "12 مارس 2016"
        assert post.author.message_count == want["author_messages"]


def test_user_extras_in_english_and_an_uploaded_avatar() -> None:
    html = render_thread_page(1)
    html = html.replace("تاريخ التسجيل", "Joined").replace("المشاركات", "Messages")
    html = html.replace(">12 مارس 2016<", ">Mar 12, 2016<").replace(">4,812<", ">4,812<")
    page = XenForo2().parse_page(html, "https://f.example/threads/a.2741/")
    first = page.posts[0].author
    assert (first.joined_text, first.joined, first.message_count) == (
        "Mar 12, 2016", "2016-03-12", 4812)
    assert first.avatar_url is None  # a letter avatar has no file to keep
    observer = next(p.author for p in page.posts if p.author.name == "FAR_Observer")
    assert observer.avatar_url == "https://f.example/data/avatars/l/0/845.jpg?1637750000"


def test_user_extras_wrapped_by_a_theme_are_still_read() -> None:
    """A style that wraps each term and value in a <div> inside the <dl> (HTML allows it):
    the pair is found below the <dl>'s children too."""
    html = re.sub(r"<(dt|dd)>(.*?)</\1>", r"<div><\1>\2</\1></div>", render_thread_page(1))
    assert "<div><dt>" in html
    first = XenForo2().parse_page(html, "https://f.example/threads/a.2741/").posts[0].author
    assert (first.joined, first.message_count) == ("2016-03-12", 4812)


def test_a_post_without_user_extras_keeps_the_defaults() -> None:
    tree_html = re.sub(r'<div class="message-userExtras">.*?</dl>\s*</div>', "",
                       render_thread_page(1), flags=re.S)
    assert "message-userExtras" not in tree_html
    author = XenForo2().parse_page(tree_html, "https://f.example/threads/a.2741/").posts[0].author
    assert (author.joined_text, author.joined, author.message_count) == ("", None, None)


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ('<html id="XF" data-template="login"><head><title>Log in | Board</title></head>'
         '<body><form><input type="password" name="password"></form></body></html>',
         "login wall"),
        ('<html id="XF" data-template="error"><head><title>Oops! We ran into some problems.'
         '</title></head><body><div class="blockMessage">The requested thread could not be '
         'found.</div></body></html>', "error page"),
        ("<html><head><title>Just a moment...</title></head><body>"
         '<div id="cf-browser-verification"></div></body></html>', "anti-bot challenge"),
        ('<html><head><title>Sign in</title></head><body><form action="/login">'
         '<input type="password"></form></body></html>', "login form"),
    ],
    ids=["xenforo-login", "xenforo-error", "cloudflare", "generic-login"],
)
def test_walls_served_with_200_are_recognised(html: str, kind: str) -> None:
    with pytest.raises(AccessBlocked, match=kind):
        XenForo2().parse_page(html, "https://f.example/threads/a.1/")


def test_a_thread_with_a_challenge_script_is_still_a_thread() -> None:
    html = render_thread_page(1).replace(
        "</body>", '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></body>')
    assert XenForo2().parse_page(html, "http://127.0.0.1:8765/threads/a.2741/").posts


S9E_YOUTUBE = (
    '<span data-s9e-mediaembed="youtube" style="display:inline-block;width:100%">'
    '<span style="display:block;padding-bottom:56.25%"><iframe allowfullscreen="" '
    'loading="lazy" scrolling="no" style="background:url(https://i.ytimg.com/vi/dQw4w9WgXcQ/'
    'hqdefault.jpg) 50% 50% / cover;border:0" src="https://www.youtube.com/embed/dQw4w9WgXcQ">'
    "</iframe></span></span>"
)
XF_MEDIA = (
    '<div class="bbMediaWrapper" data-media-site-id="youtube" data-media-key="M7lc1UVf-VE">'
    '<div class="bbMediaWrapper-inner"><iframe src="https://www.youtube.com/embed/'
    'M7lc1UVf-VE?wmode=opaque&start=0" allowfullscreen="true"></iframe></div></div>'
)


def test_videos_become_static_embeds_with_placeholders() -> None:
    body = f"قبل<br>{S9E_YOUTUBE}<br>بين<br>{XF_MEDIA}<br>بعد"
    wrapper = '<div class="bbWrapper">'
    html = render_thread_page(1).replace(wrapper, wrapper + body, 1)
    post = XenForo2().parse_page(html, "https://f.example/threads/a.2741/").posts[0]
    videos = [e for e in post.embeds if e.kind == "video"]
    assert [(v.url, v.handle) for v in videos] == [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube"),
        ("https://www.youtube.com/watch?v=M7lc1UVf-VE", "youtube"),
    ]
    assert "<iframe" not in post.content_html and "ytimg" not in post.content_html
    indexes = re.findall(r'data-embed-index="(\d+)"', post.content_html)
    assert sorted(indexes) == [str(post.embeds.index(v)) for v in videos]
    assert "قبل" in post.content_text and "بعد" in post.content_text
