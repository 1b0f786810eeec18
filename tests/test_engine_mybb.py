"""The MyBB 1.8 engine on a real board's pages (tests/fixtures/mybb-1.8): no server needed.

`expected.json` is the board database's truth; every post it lists is one case below.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines.mybb import MyBB, canonical_thread_url
from scraper.errors import AccessBlocked, LayoutChanged
from scraper.records import ParsedPage, Quote

FIXTURE = Path(__file__).parent / "fixtures" / "mybb-1.8"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text("utf-8"))
BOARD = EXPECTED["served_at"]
PAGE_URLS = [BOARD + path for path in EXPECTED["page_urls"]]
OFFSET = timedelta(hours=float(EXPECTED["timezoneoffset_hours"]))


def page_html(number: int) -> str:
    return (FIXTURE / f"page-{number}.html").read_text("utf-8")


@cache
def parsed(number: int) -> ParsedPage:
    return MyBB().parse_page(page_html(number), PAGE_URLS[number - 1])


def board_time(unix: int) -> str:
    """The naive ISO time the board shows for a unix time, at its offset."""
    return (datetime.fromtimestamp(unix, UTC) + OFFSET).replace(tzinfo=None).isoformat()


# -- every page, every post: the truth table ----------------------------------------------


@pytest.mark.parametrize("number", range(1, EXPECTED["pages"] + 1), ids=lambda n: f"page-{n}")
def test_page(number: int) -> None:
    page = parsed(number)
    assert page.page_number == number
    assert page.last_page == EXPECTED["pages"]
    assert page.next_url == (PAGE_URLS[number] if number < EXPECTED["pages"] else None)
    assert page.thread.id == str(EXPECTED["thread_id"])
    assert page.thread.url == PAGE_URLS[0]
    assert page.thread.title == EXPECTED["thread_title"]
    assert page.thread.language == "ar"
    assert [link.url for link in page.thread.breadcrumb] == [
        f"{BOARD}/index.php", f"{BOARD}/forumdisplay.php?fid=1",
        f"{BOARD}/forumdisplay.php?fid={EXPECTED['forum_id']}"]
    assert [p.id for p in page.posts] == [
        str(e["post_id"]) for e in EXPECTED["posts"] if e["page"] == number]


@pytest.mark.parametrize("want", EXPECTED["posts"], ids=lambda e: f"post-{e['post_id']}")
def test_post(want: dict[str, Any]) -> None:
    post = next(p for p in parsed(want["page"]).posts if p.id == str(want["post_id"]))
    assert post.position == want["position"]
    assert post.author.name == want["author"]
    assert post.author.member_id == str(want["author_id"])
    assert post.author.url == f"{BOARD}/member.php?action=profile&uid={want['author_id']}"
    assert post.author.avatar_url is None  # every member has the board's default avatar
    assert post.published == board_time(want["time_unix"])
    assert post.published_text == want["time_display"]
    assert (post.edited is not None) == want["edited"]
    assert [q.post_id for q in post.quotes] == (
        [str(want["quotes_post_id"])] if want["quotes_post_id"] else [])
    assert [(a.url, a.filename, a.kind) for a in post.assets] == [
        (f"{BOARD}/attachment.php?aid={a['aid']}", a["file_name"], "attachment")
        for a in want["attachments"]]
    assert [a.thumbnail_url for a in post.assets] == [
        f"{BOARD}/attachment.php?thumbnail={a['aid']}" if a["has_thumbnail"] else None
        for a in want["attachments"]]
    assert want["snippet"] in post.content_text
    assert "Wrote:" not in post.content_text  # the quote's label is board chrome
    assert "start: postbit" not in post.content_html


def test_the_same_file_posted_twice_is_an_asset_of_both_posts() -> None:
    posts = {p.id: p for n in (1, 2, 3) for p in parsed(n).posts}
    name = "Benny-Gantz-Abdellatif-Loudiyi1.jpg"
    assert [(p, a.url) for p in ("6", "8") for a in posts[p].assets if a.filename == name] == [
        ("6", f"{BOARD}/attachment.php?aid=2"), ("8", f"{BOARD}/attachment.php?aid=4")]


def test_inline_attachments_show_the_full_size_file() -> None:
    post = parsed(1).posts[0]
    assert f'<img src="{BOARD}/attachment.php?aid=1" alt="FE9CNKiWUAM6iQM.jpeg">' in (
        post.content_html)
    assert "thumbnail=" not in post.content_html


def test_the_quote_is_canonical_and_names_the_quoted_post() -> None:
    post = next(p for p in parsed(2).posts if p.id == "5")
    assert post.quotes == [Quote(author="أحمد", post_id="4")]
    assert post.content_html.startswith(
        '<blockquote class="fm-quote" data-author="أحمد" data-post-id="4">'
        '<div class="fm-quote-body">خطت الشراكة')
    assert "mycode" not in post.content_html and "<cite" not in post.content_html


# -- URLs ---------------------------------------------------------------------------------

PASTED = [
    "https://forum.example/showthread.php?tid=123",
    "https://forum.example/showthread.php?tid=123&page=4",
    "https://forum.example/showthread.php?page=4&tid=123",
    "https://forum.example/showthread.php?tid=123&pid=456#pid456",
    "https://forum.example/showthread.php?tid=123&highlight=drone&mode=threaded",
    "https://forum.example/showthread.php?tid=123&action=lastpost",
    "https://forum.example/showthread.php?sid=0f3a9c&tid=123&my_post_key=ab12",
    "https://forum.example/showthread.php?tid=123&sortby=dateline&order=desc#top",
    "https://FORUM.example/showthread.php?tid=123",
    "https://forum.example/thread-123.html",
    "https://forum.example/thread-123-page-2.html",
    "https://forum.example/thread-123-post-456.html#pid456",
    "https://forum.example/thread-123-lastpost.html",
    "https://forum.example/thread-123-newpost.html",
    "https://forum.example/thread-123.html?highlight=drone",
]


@pytest.mark.parametrize("url", PASTED)
def test_every_pasted_form_gives_one_thread_url_and_key(url: str) -> None:
    engine = MyBB()
    assert MyBB.matches(url)
    assert canonical_thread_url(url) == "https://forum.example/showthread.php?tid=123"
    assert engine.first_page_url(url) == "https://forum.example/showthread.php?tid=123"
    assert engine.thread_id(url) == "123"
    assert engine.thread_key(url) == "forum.example-123"


def test_a_board_in_a_folder_keeps_its_folder() -> None:
    url = "http://127.0.0.1:8081/forum/thread-7-page-3.html"
    assert canonical_thread_url(url) == "http://127.0.0.1:8081/forum/showthread.php?tid=7"


@pytest.mark.parametrize("url", MyBB.examples)
def test_the_engine_examples_are_thread_urls(url: str) -> None:
    assert MyBB.matches(url)
    assert MyBB.matches(MyBB.example)


@pytest.mark.parametrize(
    "url",
    ["https://forum.example/forumdisplay.php?fid=2",
     "https://forum.example/archive/index.php?thread-1.html",
     "https://forum.example/member.php?action=profile&uid=2",
     "https://forum.example/threads/some-title.123/",
     "https://forum.example/showthread.php"],
)
def test_other_urls_are_not_mybb_threads(url: str) -> None:
    assert not MyBB.matches(url)


def test_a_post_permalink_names_no_thread_until_its_page_is_read() -> None:
    url = f"{BOARD}/showthread.php?pid=5#pid5"
    engine = MyBB()
    assert engine.matches(url)
    with pytest.raises(ValueError, match="post permalink"):
        engine.thread_id(url)
    with pytest.raises(ValueError, match="post permalink"):
        canonical_thread_url(url)
    assert engine.first_page_url(url) == f"{BOARD}/showthread.php?pid=5"
    page = engine.parse_page(page_html(2), url)
    assert (page.thread.id, page.thread.url, page.page_number) == ("1", PAGE_URLS[0], 2)


def test_next_url_drops_session_highlight_and_fragment() -> None:
    html = page_html(1).replace(
        'showthread.php?tid=1&amp;page=2" class="pagination_next"',
        'showthread.php?tid=1&amp;page=2&amp;highlight=drone&amp;sid=0f3a9c#pid5" '
        'class="pagination_next"')
    page = MyBB().parse_page(html, PAGE_URLS[0])
    assert page.next_url == PAGE_URLS[1]


def test_seo_next_links_stay_seo_without_query() -> None:
    html = page_html(1).replace(
        'showthread.php?tid=1&amp;page=2" class="pagination_next"',
        'thread-1-page-2.html?highlight=x#top" class="pagination_next"')
    page = MyBB().parse_page(html, f"{BOARD}/thread-1.html")
    assert page.next_url == f"{BOARD}/thread-1-page-2.html"
    assert page.thread.url == PAGE_URLS[0]


# -- walls and layouts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("no-permission", "MyBB's login page"),
     ("invalid-thread", r"MyBB error page \(The specified thread does not exist\.\)")],
)
def test_mybb_walls_are_recognised(fixture: str, message: str) -> None:
    html = (FIXTURE / "walls" / f"{fixture}.html").read_text("utf-8")
    with pytest.raises(AccessBlocked, match=message):
        MyBB().parse_page(html, f"{BOARD}/showthread.php?tid=2")


def test_an_inline_error_box_is_a_wall() -> None:
    html = ('<html><head><title>Board</title></head><body><div id="content">'
            '<div class="error"><p><em>Please correct the following errors:</em></p>'
            "<ul><li>The specified post does not exist.</li></ul></div></div></body></html>")
    with pytest.raises(AccessBlocked, match="Please correct the following errors"):
        MyBB().parse_page(html, f"{BOARD}/showthread.php?pid=99")


def test_an_anti_bot_challenge_is_a_wall() -> None:
    html = ("<html><head><title>Just a moment...</title></head><body>"
            '<div id="cf-browser-verification"></div></body></html>')
    with pytest.raises(AccessBlocked, match="anti-bot challenge"):
        MyBB().parse_page(html, PAGE_URLS[0])


def test_a_thread_page_whose_posts_are_unreadable_is_a_layout_change_not_a_wall() -> None:
    # Every guest page carries the header's quick-login form: it must not make a wall.
    html = page_html(1).replace('class="post "', 'class="message "')
    with pytest.raises(LayoutChanged, match="postbit"):
        MyBB().parse_page(html, PAGE_URLS[0])


def test_a_page_of_another_engine_is_a_layout_error() -> None:
    with pytest.raises(LayoutChanged, match=r"not a MyBB 1\.8 thread page"):
        MyBB().parse_page("<html><body><p>Hello</p></body></html>", PAGE_URLS[0])


def test_mangled_numbers_do_not_crash() -> None:
    html = page_html(1)
    for digit, superscript in (("1", "¹"), ("2", "²")):
        html = html.replace(f">#{digit}</a>", f">#{superscript}</a>")
    html = html.replace('<span class="pagination_current">1</span>',
                        '<span class="pagination_current">¹</span>')
    html = html.replace("Pages (3):", "Pages (³):").replace(">3</a>", ">³</a>")
    html = html.replace("11-24-2021, 08:59 AM", "١١-٢٤-٢٠٢١، ٠٨:٥٩ ص")
    page = MyBB().parse_page(html, PAGE_URLS[0])
    assert [p.position for p in page.posts] == [1, 2, 3, 4]
    assert page.page_number == 1
    assert page.last_page == 2  # the only page number still readable besides this one
    assert page.posts[1].published_text == "١١-٢٤-٢٠٢١، ٠٨:٥٩ ص"
    assert page.posts[1].published == "2021-11-24T08:59:00"  # Arabic-Indic digits are digits


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "published", "published_text"),
    [('<span title="11-24-2021">Today</span>, 08:12 AM', "2021-11-24T08:12:00",
      "Today, 08:12 AM"),
     ('<span title="11-23-2021">Yesterday</span>, 11:40 PM', "2021-11-23T23:40:00",
      "Yesterday, 11:40 PM"),
     ('<span title="11-24-2021, 08:12 AM">5 minutes ago</span>', "2021-11-24T08:12:00",
      "5 minutes ago"),
     ("5 minutes ago", None, "5 minutes ago")],
    ids=["today", "yesterday", "minutes-ago", "relative-without-title"],
)
def test_relative_dates_read_their_title(shown: str, published: str | None,
                                         published_text: str) -> None:
    html = page_html(1).replace("11-24-2021, 08:12 AM <span", f"{shown} <span", 1)
    post = MyBB().parse_page(html, PAGE_URLS[0]).posts[0]
    assert (post.published, post.published_text) == (published, published_text)


@pytest.mark.parametrize(
    ("shown", "published"),
    [("Today, 10:42 AM", "2021-11-24T10:42:00"),
     ("Yesterday, 11:59 PM", "2021-11-23T23:59:00"),
     ("5 minutes ago", "2021-11-24T10:42:30"),
     ("Less than 1 minute ago", "2021-11-24T10:46:30"),
     ("2 hours ago", "2021-11-24T08:47:30"),
     ("In 3 minutes", "2021-11-24T10:50:30")],
)
def test_relative_dates_without_a_title_are_read_against_the_fetch_time(
        shown: str, published: str) -> None:
    """The zone is not on the page: the fetch time (UTC) is taken as the board's clock."""
    html = page_html(1).replace("11-24-2021, 08:12 AM <span", f"{shown} <span", 1)
    post = MyBB().parse_page(html, PAGE_URLS[0], fetched_at="2021-11-24T10:47:30Z").posts[0]
    assert (post.published, post.published_text) == (published, shown)


def test_other_board_formats_are_settings() -> None:
    html = page_html(1).replace("11-24-2021, 08:12 AM <span", "24.11.2021 - 08:12 <span", 1)
    engine = MyBB(date_format="d.m.Y", time_format="H:i", datetime_separator=" - ")
    post = engine.parse_page(html, PAGE_URLS[0]).posts[0]
    assert (post.published, post.published_text) == ("2021-11-24T08:12:00", "24.11.2021 - 08:12")


@pytest.mark.parametrize(
    ("note", "edited", "edited_text"),
    [("11-24-2021, 09:30 AM", "2021-11-24T09:30:00", "11-24-2021, 09:30 AM"),
     ('<span title="11-25-2021">Yesterday</span>, 09:30 AM', "2021-11-25T09:30:00",
      "Yesterday, 09:30 AM")],
    ids=["absolute", "relative"],
)
def test_last_edit_note(note: str, edited: str, edited_text: str) -> None:
    # postbit_editedby: "(This post was last modified: DATE by <profile link>.)"
    html = page_html(1).replace(
        '<span class="post_edit" id="edited_by_1"></span>',
        '<span class="post_edit" id="edited_by_1"><span class="edited_post">(This post was '
        f'last modified: {note} by <a href="{BOARD}/member.php?action=profile&amp;uid=1">'
        "admin</a>.)</span></span>")
    post = MyBB().parse_page(html, PAGE_URLS[0]).posts[0]
    assert (post.edited, post.edited_text, post.edited_by) == (edited, edited_text, "admin")
    assert (post.published, post.published_text) == ("2021-11-24T08:12:00",
                                                      "11-24-2021, 08:12 AM")


# -- authors and content ------------------------------------------------------------------


def test_an_uploaded_avatar_is_kept_and_the_default_one_is_not() -> None:
    html = page_html(1).replace("images/default_avatar.png",
                                "uploads/avatars/avatar_2.png?dateline=1637741520", 1)
    page = MyBB().parse_page(html, PAGE_URLS[0])
    assert page.posts[0].author.avatar_url == (
        f"{BOARD}/uploads/avatars/avatar_2.png?dateline=1637741520")
    assert [p.author.avatar_url for p in page.posts[1:]] == [None, None, None]


def test_a_guest_post_has_a_name_without_member_id() -> None:
    html = page_html(1).replace(
        f'<span class="largetext"><a href="{BOARD}/member.php?action=profile&amp;uid=3">'
        "فاطمة</a></span>", '<span class="largetext">زائر</span>', 1)
    author = MyBB().parse_page(html, PAGE_URLS[0]).posts[1].author
    assert (author.name, author.member_id, author.url) == ("زائر", None, None)


def test_an_seo_profile_link_gives_the_member_id() -> None:
    html = page_html(1).replace(f"{BOARD}/member.php?action=profile&amp;uid=2",
                                f"{BOARD}/user-2.html", 1)
    assert MyBB().parse_page(html, PAGE_URLS[0]).posts[0].author.member_id == "2"


MYCODE = (
    '<blockquote class="mycode_quote"><cite><span> (11-24-2021, 09:47 AM)</span>bob Wrote:  '
    f'<a href="{BOARD}/showthread.php?pid=3#pid3" class="quick_jump"></a></cite>'
    '<blockquote class="mycode_quote"><cite><span> (11-24-2021, 08:59 AM)</span>فاطمة Wrote:  '
    f'<a href="{BOARD}/showthread.php?pid=2#pid2" class="quick_jump"></a></cite>'
    "النص الداخلي</blockquote>النص الخارجي</blockquote>"
    '<blockquote class="mycode_quote"><cite>Quote:</cite>بلا كاتب</blockquote>'
    '<div class="codeblock"><div class="title">Code:<br />\n</div><div class="body" dir="ltr">'
    "<code>if (a &lt; b) {<br />\n&nbsp;&nbsp;&nbsp;&nbsp;return;<br />\n}</code></div></div>"
    '<div class="spoiler"><div class="spoiler_header">Spoiler</div>'
    '<div class="spoiler_body">نص مخفي</div></div>'
    '<iframe width="560" height="315" src="//www.youtube.com/embed/dQw4w9WgXcQ" '
    'frameborder="0" allowfullscreen></iframe>'
    '<img src="https://images.example/photo.jpg" loading="lazy" alt="[Image: photo.jpg]" '
    'class="mycode_img" />'
)
SIGNATURE = '<div class="signature scaleimages">توقيع العضو</div>'


def test_mycode_becomes_canonical_html() -> None:
    html = page_html(1).replace('<div class="post_body scaleimages" id="pid_3">',
                                f'<div class="post_body scaleimages" id="pid_3">{MYCODE}', 1)
    html = re.sub(r'(<div class="post_meta" id="post_meta_3">)', SIGNATURE + r"\1", html)
    post = MyBB().parse_page(html, PAGE_URLS[0]).posts[2]
    assert post.quotes == [Quote("bob", "3"), Quote("فاطمة", "2"), Quote("", None)]
    content = post.content_html
    assert content.startswith(
        '<blockquote class="fm-quote" data-author="bob" data-post-id="3">'
        '<div class="fm-quote-body"><blockquote class="fm-quote" data-author="فاطمة" '
        'data-post-id="2"><div class="fm-quote-body">النص الداخلي</div></blockquote>'
        "النص الخارجي</div></blockquote>")
    assert '<pre class="fm-code"><code>if (a &lt; b) {\n    return;\n}</code></pre>' in content
    assert '<details class="fm-spoiler"><summary>Spoiler</summary>نص مخفي</details>' in content
    assert [(e.kind, e.url) for e in post.embeds] == [
        ("video", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")]
    assert '<div class="fm-embed" data-embed-index="0"></div>' in content
    assert "<iframe" not in content and "<cite" not in content
    assert set(re.findall(r'class="([^"]*)"', content)) <= {
        "fm-quote", "fm-quote-body", "fm-code", "fm-spoiler", "fm-embed"}
    assert [(a.url, a.kind) for a in post.assets] == [
        ("https://images.example/photo.jpg", "image")]
    assert "توقيع العضو" not in post.content_text
    assert "النص الخارجي" in post.content_text and "return;" in post.content_text
