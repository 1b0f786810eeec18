"""The SMF engine on fixture topics built from SMF 2.0 and 2.1's own templates (no server).

`tests/fixtures/smf/README.md` says where each page's markup comes from; each board's
`expected.json` is the hand-written truth every post below is compared with.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines.smf import SMF, canonical_thread_url, detection_markers
from scraper.errors import AccessBlocked, LayoutChanged
from scraper.records import ParsedPage, Quote

FIXTURES = Path(__file__).parent / "fixtures" / "smf"
BOARDS = ("smf-2.1-ar", "smf-2.0-he")
EXPECTED: dict[str, dict[str, Any]] = {
    board: json.loads((FIXTURES / board / "expected.json").read_text("utf-8")) for board in BOARDS
}
SESSION = re.compile(r"PHPSESSID|sesc=")


def page_html(board: str, number: int) -> str:
    return (FIXTURES / board / f"page-{number}.html").read_text("utf-8")


def page_url(board: str, number: int) -> str:
    return str(EXPECTED[board]["page_urls"][number - 1])


@cache
def parsed(board: str, number: int) -> ParsedPage:
    return SMF().parse_page(page_html(board, number), page_url(board, number))


# -- every page, every post: the truth table (yt-dlp `_TESTS` style) -------------------------

PAGES = [pytest.param(board, n, id=f"{board}-page-{n}")
         for board in BOARDS for n in range(1, EXPECTED[board]["pages"] + 1)]
POSTS = [pytest.param(board, want, id=f"{board}-post-{want['post_id']}")
         for board in BOARDS for want in EXPECTED[board]["posts"]]


@pytest.mark.parametrize(("board", "number"), PAGES)
def test_page(board: str, number: int) -> None:
    want = EXPECTED[board]
    page = parsed(board, number)
    assert page.page_number == number
    assert page.last_page == want["pages"]
    assert page.next_url == want["next_urls"][number - 1]
    assert page.thread.id == want["thread_id"]
    assert page.thread.url == want["thread_url"]
    assert page.thread.title == want["thread_title"]
    assert page.thread.language == want["language"]
    assert [[link.title, link.url] for link in page.thread.breadcrumb] == want["breadcrumb"]
    assert [p.id for p in page.posts] == [
        str(p["post_id"]) for p in want["posts"] if p["page"] == number]


@pytest.mark.parametrize(("board", "want"), POSTS)
def test_post(board: str, want: dict[str, Any]) -> None:
    post = next(p for p in parsed(board, want["page"]).posts if p.id == str(want["post_id"]))
    assert post.position == want["position"]
    assert post.author.name == want["author"]
    assert post.author.member_id == (str(want["member_id"]) if want["member_id"] else None)
    assert post.author.url == want["profile_url"]
    assert post.author.avatar_url == want["avatar_url"]
    assert post.author.message_count == want["message_count"]
    assert post.published == want["published"]
    assert post.published_text == want["published_text"]
    assert post.edited == want["edited"]
    assert post.edited_text == want["edited_text"]
    assert post.edited_by == want["edited_by"]
    assert [{"author": q.author, "post_id": q.post_id} for q in post.quotes] == want["quotes"]
    assert [{"url": a.url, "filename": a.filename, "kind": a.kind} for a in post.assets] == (
        want["assets"])
    assert want["snippet"] in post.content_text
    assert not SESSION.search(post.content_html)
    assert set(re.findall(r'class="([^"]*)"', post.content_html)) <= {
        "fm-quote", "fm-quote-body", "fm-code", "fm-spoiler", "fm-embed"}


def test_thumbnails_lead_to_the_full_size_file() -> None:
    post = parsed("smf-2.1-ar", 1).posts[0]
    board = EXPECTED["smf-2.1-ar"]["served_at"]
    assert post.assets[0].thumbnail_url == f"{board}/index.php?action=dlattach;attach=6;image"
    assert (f'<img src="{board}/index.php?action=dlattach;attach=5" '
            'alt="FE9CNKiWUAM6iQM.jpeg">') in post.content_html
    assert "attach=6" not in post.content_html and "expandThumb" not in post.content_html


def test_signatures_likes_and_buttons_are_not_content() -> None:
    post = parsed("smf-2.1-ar", 1).posts[0]
    assert "الصفحة الرسمية" not in post.content_text  # the signature
    assert "أعجبهم" not in post.content_text and "اقتباس" not in post.content_text
    assert "חתימה" not in parsed("smf-2.0-he", 1).posts[0].content_text


@pytest.mark.parametrize(("board", "number", "post_id", "author", "quoted"),
                         [("smf-2.1-ar", 2, "36", "bob", "33"),
                          ("smf-2.0-he", 1, "51", "אבי", "50")])
def test_quotes_are_canonical_and_name_the_quoted_post(board: str, number: int, post_id: str,
                                                       author: str, quoted: str) -> None:
    post = next(p for p in parsed(board, number).posts if p.id == post_id)
    assert post.quotes == [Quote(author=author, post_id=quoted)]
    assert post.content_html.startswith(
        f'<blockquote class="fm-quote" data-author="{author}" data-post-id="{quoted}">'
        '<div class="fm-quote-body">')
    assert "<cite" not in post.content_html and "quoteheader" not in post.content_html
    assert "اقتباس من" not in post.content_text and "ציטוט מ" not in post.content_text


@pytest.mark.parametrize("board", BOARDS)
def test_code_boxes_lose_their_header(board: str) -> None:
    post = next(p for n in (1, 2) for p in parsed(board, n).posts if "fm-code" in p.content_html)
    assert re.search(r'<pre class="fm-code"><code>range_km = [^<]*\n    print\(range_km\)'
                     r"</code></pre>", post.content_html)
    assert "codeheader" not in post.content_html and "smfSelectText" not in post.content_html


# -- URLs ---------------------------------------------------------------------------------

PASTED = [
    "https://forum.example/index.php?topic=123.0",
    "https://forum.example/index.php?topic=123",
    "https://forum.example/index.php?topic=123.40",
    "https://forum.example/index.php?topic=123.msg456#msg456",
    "https://forum.example/index.php?topic=123.msg456;topicseen#new",
    "https://forum.example/index.php?topic=123.0;all",
    "https://forum.example/index.php?topic=123.new#new",
    "https://forum.example/index.php?PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b&topic=123.20",
    "https://forum.example/index.php?PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b&amp;topic=123.20",
    "https://forum.example/index.php?topic=123.0;PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b",
    "https://forum.example/index.php?topic=123.0;highlight=drone;sesc=0f3a9c",
    "https://forum.example/index.php?board=2.0;topic=123.0",
    "https://forum.example/index.php/topic,123.0.html",
    "https://forum.example/index.php/topic,123.20.html?PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b",
    "https://forum.example/index.php/topic,123.msg456.html#msg456",
    "https://FORUM.example/index.php?topic=123.0",
    "https://forum.example/?topic=123.0",
]


@pytest.mark.parametrize("url", PASTED)
def test_every_pasted_form_gives_one_thread_url_and_key(url: str) -> None:
    engine = SMF()
    assert SMF.matches(url)
    assert canonical_thread_url(url) == "https://forum.example/index.php?topic=123.0"
    assert engine.first_page_url(url) == "https://forum.example/index.php?topic=123.0"
    assert engine.thread_id(url) == "123"
    assert engine.thread_key(url) == "forum.example-123"


def test_a_board_in_a_folder_keeps_its_folder() -> None:
    url = "http://127.0.0.1:8084/forum/index.php/topic,7.3.html?PHPSESSID=9c0d2b7e4a1f6e3d8b"
    assert canonical_thread_url(url) == "http://127.0.0.1:8084/forum/index.php?topic=7.0"


@pytest.mark.parametrize("url", SMF.examples)
def test_the_engine_examples_are_thread_urls(url: str) -> None:
    assert SMF.matches(url)
    assert SMF.matches(SMF.example)


@pytest.mark.parametrize(
    "url",
    ["https://forum.example/index.php?board=2.0",
     "https://forum.example/index.php?action=profile;u=2",
     "https://forum.example/index.php?action=printpage;topic=123.0",
     "https://forum.example/index.php?action=post;topic=123.0",
     "https://forum.example/index.php?action=dlattach;topic=123.0;attach=5",
     "https://forum.example/index.php",
     "https://forum.example/threads/some-title.123/",
     "https://forum.example/showthread.php?tid=123",
     "https://forum.example/viewtopic.php?t=123",
     "https://forum.example/viewtopic.php?p=456#p456"],
)
def test_other_urls_are_not_smf_threads(url: str) -> None:
    assert not SMF.matches(url)


def test_a_post_permalink_names_no_topic_until_its_page_is_read() -> None:
    board = EXPECTED["smf-2.1-ar"]["served_at"]
    url = f"{board}/index.php?PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b&msg=36"
    engine = SMF()
    assert engine.matches(url)
    with pytest.raises(ValueError, match="post permalink"):
        engine.thread_id(url)
    with pytest.raises(ValueError, match="post permalink"):
        canonical_thread_url(url)
    assert engine.first_page_url(url) == f"{board}/index.php?msg=36"
    page = engine.parse_page(page_html("smf-2.1-ar", 2), url)
    assert (page.thread.id, page.thread.url, page.page_number) == (
        "12", EXPECTED["smf-2.1-ar"]["thread_url"], 2)
    assert [p.position for p in page.posts] == [5, 6]


def test_the_next_page_of_the_2_0_head_is_not_the_next_topic() -> None:
    # SMF 2.0's <link rel="next"> leads to the next topic (prev_next=next), not page 2.
    page = parsed("smf-2.0-he", 2)
    assert 'rel="next"' in page_html("smf-2.0-he", 2)
    assert page.next_url is None


def test_next_url_drops_session_highlight_and_fragment() -> None:
    board = EXPECTED["smf-2.1-ar"]["served_at"]
    html = page_html("smf-2.1-ar", 1).replace(
        "topic=12.4\"><span class=\"main_icons next_page\">",
        "topic=12.4;highlight=drone;sesc=0f3a9c#msg35\"><span class=\"main_icons next_page\">")
    page = SMF().parse_page(html, f"{board}/index.php?topic=12.0;PHPSESSID=abc")
    assert page.next_url == f"{board}/index.php?topic=12.4"


# -- walls and layouts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("smf-2.1-error", r"SMF error page \(The topic or board you are looking for appears"),
     ("smf-2.0-login", "SMF's login page")],
)
def test_smf_walls_are_recognised(fixture: str, message: str) -> None:
    html = (FIXTURES / "walls" / f"{fixture}.html").read_text("utf-8")
    with pytest.raises(AccessBlocked, match=message):
        SMF().parse_page(html, "http://127.0.0.1:8085/index.php?topic=99.0")


def test_an_anti_bot_challenge_is_a_wall() -> None:
    html = ("<html><head><title>Just a moment...</title></head><body>"
            '<div id="cf-browser-verification"></div></body></html>')
    with pytest.raises(AccessBlocked, match="anti-bot challenge"):
        SMF().parse_page(html, page_url("smf-2.1-ar", 1))


def test_a_topic_page_whose_posts_are_unreadable_is_a_layout_change_not_a_wall() -> None:
    # SMF 2.0 puts a quick-login form (#guest_form, with a password field) on every guest
    # page: it must not make a wall.
    html = page_html("smf-2.0-he", 1).replace('class="inner" id="msg_', 'class="body" id="m_')
    with pytest.raises(LayoutChanged, match="post markup"):
        SMF().parse_page(html, page_url("smf-2.0-he", 1))


def test_a_page_of_another_engine_is_a_layout_error() -> None:
    with pytest.raises(LayoutChanged, match=r"not an SMF 2\.0/2\.1 topic page"):
        SMF().parse_page("<html><body><p>Hello</p></body></html>", page_url("smf-2.1-ar", 1))


def test_mangled_numbers_do_not_crash() -> None:
    html = page_html("smf-2.1-ar", 1)
    html = html.replace('<span class="page_number floatright">#1</span>',
                        '<span class="page_number floatright">#¹</span>')
    html = html.replace('<span class="current_page">1</span>',
                        '<span class="current_page">¹</span>')
    html = html.replace(">2</a>", ">²</a>").replace("المشاركات: 12", "المشاركات: ¹²")
    html = html.replace("نوفمبر 24, 2021, 08:59:00 ص", "نوفمبر ²⁴, ²⁰²¹, 08:59:00 ص")
    page = SMF().parse_page(html, page_url("smf-2.1-ar", 1))
    assert [p.position for p in page.posts] == [1, 2, 3, 4]
    assert page.page_number == 1  # from the offset in the URL
    assert page.last_page == 1  # no page number left readable
    assert page.next_url == EXPECTED["smf-2.1-ar"]["next_urls"][0]  # the arrow link still leads
    assert page.posts[0].author.message_count is None
    assert (page.posts[1].published, page.posts[1].published_text) == (
        None, "نوفمبر ²⁴, ²⁰²¹, 08:59:00 ص")


# -- dates --------------------------------------------------------------------------------


def test_a_relative_date_keeps_its_text() -> None:
    html = page_html("smf-2.1-ar", 1).replace(
        "نوفمبر 24, 2021, 08:12:00 ص</a>", "<strong>اليوم</strong> الساعة 08:12:00 ص</a>", 1)
    post = SMF().parse_page(html, page_url("smf-2.1-ar", 1)).posts[0]
    assert (post.published, post.published_text) == (None, "اليوم الساعة 08:12:00 ص")
    # With the fetch time (here an evening in UTC), "today" is the fetch day; the zone unknown.
    post = SMF().parse_page(html, page_url("smf-2.1-ar", 1),
                            fetched_at="2021-11-24T21:00:00Z").posts[0]
    assert (post.published, post.published_text) == ("2021-11-24T08:12:00",
                                                      "اليوم الساعة 08:12:00 ص")


# -- content ------------------------------------------------------------------------------

BBC = (
    '<div class="spoiler"><div class="spoilerheader"><input type="button" class="spoilerbutton" '
    'value="Show" onclick="toggle(this)"> Spoiler</div><div class="spoilerbody" '
    'style="display: none">نص مخفي</div></div>'
    '<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ" '
    'frameborder="0" allowfullscreen></iframe>'
    '<img data-src="https://images.example/lazy.jpg" src="data:image/gif;base64,R0lGOD" '
    'alt="" class="bbc_img">'
    '<blockquote class="bbc_standard_quote"><cite>اقتباس</cite>بلا كاتب</blockquote>'
)


def test_spoilers_videos_lazy_images_and_anonymous_quotes() -> None:
    html = page_html("smf-2.1-ar", 1).replace(
        '<div class="inner" data-msgid="32" id="msg_32">',
        f'<div class="inner" data-msgid="32" id="msg_32">{BBC}', 1)
    post = SMF().parse_page(html, page_url("smf-2.1-ar", 1)).posts[1]
    content = post.content_html
    assert '<details class="fm-spoiler"><summary>Spoiler</summary>نص مخفي</details>' in content
    assert [(e.kind, e.url) for e in post.embeds] == [
        ("video", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")]
    assert '<div class="fm-embed" data-embed-index="0"></div>' in content
    assert '<img src="https://images.example/lazy.jpg" alt="">' in content
    assert ("https://images.example/lazy.jpg", "image") in [(a.url, a.kind) for a in post.assets]
    assert post.quotes[0] == Quote(author="", post_id=None)
    assert "<iframe" not in content and "onclick" not in content


def test_a_guest_post_has_a_name_without_member_id() -> None:
    author = parsed("smf-2.1-ar", 2).posts[0].author
    assert (author.name, author.member_id, author.url, author.avatar_url) == (
        "زائر", None, None, None)


# -- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize("board", BOARDS)
def test_detection_markers_of_smf_pages(board: str) -> None:
    markers = detection_markers(page_html(board, 1))
    assert {"smf_scripturl", "smf_theme_url", "Powered by SMF", "simplemachines.org link",
            "PHPSESSID"} <= set(markers)


def test_detection_markers_of_other_pages() -> None:
    xenforo = '<html id="XF"><body><a href="/threads/x.1/">x</a></body></html>'
    assert detection_markers(xenforo) == []
    html = '<meta name="generator" content="SMF 2.1"><a href="?SMFCookie956=1">x</a>'
    assert detection_markers(html) == ["generator meta", "SMFCookie"]
