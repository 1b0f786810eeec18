"""The XenForo 1 engine on fixture pages built on real XenForo 1 markup (tests/fixtures/xenforo1).

`expected.json` is the truth table written by hand for those pages; every field it lists is
compared here, post by post (yt-dlp `_TESTS` style: one case per post and per page).
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines.xenforo1 import XenForo1, canonical_thread_url, detection_markers
from scraper.errors import AccessBlocked, LayoutChanged
from scraper.records import ParsedPage, Quote

FIXTURE = Path(__file__).parent / "fixtures" / "xenforo1"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text("utf-8"))
THREADS = {thread["name"]: thread for thread in EXPECTED["threads"]}
PAGES = [(thread, page) for thread in EXPECTED["threads"] for page in thread["pages"]]
POSTS = [(thread, post) for thread in EXPECTED["threads"] for post in thread["posts"]]
ARABIC = THREADS["arabic-rtl"]
PAGE_1_URL, PAGE_2_URL = (page["url"] for page in ARABIC["pages"])
SESSION = re.compile(r"[?&](?:_xfToken|s|highlight)=")


def html_of(name: str) -> str:
    return (FIXTURE / name).read_text("utf-8")


@cache
def parsed(name: str, url: str) -> ParsedPage:
    return XenForo1().parse_page(html_of(name), url)


def page_of(thread: dict[str, Any], number: int) -> ParsedPage:
    page = next(p for p in thread["pages"] if p["number"] == number)
    return parsed(page["file"], page["url"])


# -- every page and every post: the truth table -----------------------------------------------


@pytest.mark.parametrize(("thread", "page"), PAGES, ids=[p["file"] for _, p in PAGES])
def test_page(thread: dict[str, Any], page: dict[str, Any]) -> None:
    result = parsed(page["file"], page["url"])
    assert result.page_number == page["number"]
    assert result.last_page == thread["last_page"]
    assert result.next_url == page["next_url"]
    info = result.thread
    assert (info.id, info.url, info.title, info.prefix, info.language) == (
        thread["thread_id"], thread["thread_url"], thread["title"], thread["prefix"],
        thread["language"])
    assert [[link.title, link.url] for link in info.breadcrumb] == thread["breadcrumb"]
    assert [p.id for p in result.posts] == [
        e["post_id"] for e in thread["posts"] if e["page"] == page["number"]]


@pytest.mark.parametrize(("thread", "want"), POSTS, ids=[f"post-{p['post_id']}" for _, p in POSTS])
def test_post(thread: dict[str, Any], want: dict[str, Any]) -> None:
    post = next(p for p in page_of(thread, want["page"]).posts if p.id == want["post_id"])
    author = post.author
    assert post.position == want["position"]
    assert (author.name, author.member_id, author.url, author.avatar_url) == (
        want["author"], want["member_id"], want["profile_url"], want["avatar_url"])
    assert (author.joined_text, author.joined, author.message_count) == (
        want["joined_text"], want["joined"], want["message_count"])
    assert (post.published, post.published_text) == (want["published"], want["published_text"])
    assert (post.edited, post.edited_text, post.edited_by) == (
        want["edited"], want["edited_text"], want["edited_by"])
    assert post.quotes == [Quote(author, post_id) for author, post_id in want["quotes"]]
    assert [(a.url, a.filename, a.kind, a.thumbnail_url) for a in post.assets] == [
        (a["url"], a["filename"], a["kind"], a["thumbnail_url"]) for a in want["attachments"]]
    for asset in want["attachments"]:
        if asset["inline"]:  # inline ones stay where they were, as the full-size file
            assert f'<img src="{asset["url"]}"' in post.content_html
    assert [(e.kind, e.url) for e in post.embeds] == [tuple(e) for e in want["embeds"]]
    for link in want.get("links", []):
        assert f'href="{link}"' in post.content_html
    assert want["snippet"] in post.content_text


def test_unix_times_match_the_shown_text_at_the_boards_offset() -> None:
    for want in ARABIC["posts"]:
        shown = time.strftime("%H:%M", time.gmtime(want["time_unix"] + 3600))
        hour, minute = (int(part) for part in shown.split(":"))
        assert f"{hour % 12 or 12}:{minute:02d}" in want["published_text"]


def test_the_whole_thread_has_every_post_once_in_order() -> None:
    posts = [post for number in (1, 2) for post in page_of(ARABIC, number).posts]
    assert [p.id for p in posts] == [e["post_id"] for e in ARABIC["posts"]]
    assert [p.position for p in posts] == list(range(1, len(ARABIC["posts"]) + 1))


@pytest.mark.parametrize(("thread", "page"), PAGES, ids=[p["file"] for _, p in PAGES])
def test_no_session_id_or_board_chrome_survives(thread: dict[str, Any],
                                               page: dict[str, Any]) -> None:
    result = parsed(page["file"], page["url"])
    urls = [result.next_url or "", result.thread.url, *(c.url for c in result.thread.breadcrumb)]
    for post in result.posts:
        urls += [post.author.url or "", post.author.avatar_url or "",
                 *(a.url for a in post.assets)]
        assert not SESSION.search(post.content_html), post.id
        for chrome in ("Click to expand", "انقر للتوسيع", "messageTextEndMarker", "proxy.php",
                       "data-proxy-href", "target=", "<iframe", "<script", "likesSummary",
                       "توقيع", "LikeText", "postNumber", "ad_message"):
            assert chrome not in post.content_html, (post.id, chrome)
        classes = set(re.findall(r'class="([^"]*)"', post.content_html))
        assert classes <= {"fm-quote", "fm-quote-body", "fm-code", "fm-spoiler", "fm-embed"}
    assert not [url for url in urls if SESSION.search(url)]


def test_quotes_code_spoilers_and_embeds_are_canonical() -> None:
    posts = {p.id: p for n in (1, 2) for p in page_of(ARABIC, n).posts}
    assert posts["1002"].content_html.startswith(
        '<blockquote class="fm-quote" data-author="أحمد" data-post-id="1001">'
        '<div class="fm-quote-body">يجب أن تستمر العلاقات')
    assert posts["1004"].content_html.startswith(
        '<blockquote class="fm-quote" data-author="bob" data-post-id="">')
    rich = posts["1003"].content_html
    code = "if (range &lt; 1000) {\n    launch();\n}"
    assert f'<pre class="fm-code"><code>{code}</code></pre>' in rich
    assert ('<details class="fm-spoiler"><summary>حرق للأحداث</summary>الصفقة تشمل 150 طائرة'
            '</details>') in rich
    assert '<div class="fm-embed" data-embed-index="0"></div>' in rich
    assert '<img src="https://images.example/harop.jpg" alt="">' in rich  # the proxied [IMG]
    assert "توقيع" not in posts["1003"].content_text  # the signature is not content
    assert ":)" in posts["1001"].content_text  # smilies become their text


def test_nested_quotes_keep_their_nesting_and_order() -> None:
    inner = ('<div class="bbCodeBlock bbCodeQuote" data-author="فاطمة"><aside>'
             '<div class="attribution type">فاطمة قال: <a href="goto/post?id=1002#post-1002" '
             'class="AttributionLink">&uarr;</a></div><blockquote class="quoteContainer">'
             '<div class="quote">النص الداخلي</div><div class="quoteExpand">انقر للتوسيع...'
             '</div></blockquote></aside></div>')
    html = html_of("page-2.html").replace(
        '<div class="quote">Harop drones, per the report</div>',
        f'<div class="quote">{inner}النص الخارجي</div>', 1)
    post = XenForo1().parse_page(html, PAGE_2_URL).posts[0]
    assert post.quotes == [Quote("bob", None), Quote("فاطمة", "1002")]
    assert post.content_html.startswith(
        '<blockquote class="fm-quote" data-author="bob" data-post-id=""><div class="fm-quote-body">'
        '<blockquote class="fm-quote" data-author="فاطمة" data-post-id="1002">'
        '<div class="fm-quote-body">النص الداخلي</div></blockquote>النص الخارجي</div></blockquote>')


# -- URLs -------------------------------------------------------------------------------------

THREAD_FORMS = [
    "https://forum.example/community/threads/some-title.123/",
    "https://forum.example/community/threads/123/",
    "https://forum.example/community/threads/some-title.123",
    "https://forum.example/community/threads/some-title.123/page-7",
    "https://forum.example/community/threads/some-title.123/page-7#post-4567",
    "https://forum.example/community/threads/some-title.123/#post-4567",
    "https://forum.example/community/threads/some-title.123/?_xfToken=1%2C1637920800%2Cabcdef",
    "https://forum.example/community/threads/some-title.123/page-2?s=0f3a9c2b&highlight=drone",
    "https://forum.example/community/threads/some-title.123/?order=desc&direction=asc",
    "https://forum.example/community/threads/some-title.123/unread",
    "https://FORUM.example/community/threads/some-title.123/",
    "https://forum.example/community/threads/some.title.with.dots.123/",
    "https://forum.example/community/threads/%D8%A7%D9%84%D8%AA%D8%B9%D8%A7%D9%88%D9%86.123/",
]
ROUTED_FORMS = [
    "https://forum.example/index.php?threads/some-title.123/",
    "https://forum.example/index.php?threads/123/",
    "https://forum.example/index.php?threads/some-title.123/page-3",
    "https://forum.example/index.php?threads/some-title.123/page-3&_xfToken=1,2,abc#post-9",
    "https://forum.example/index.php?threads/some-title.123/&amp;highlight=x",
]


@pytest.mark.parametrize("url", THREAD_FORMS)
def test_pasted_thread_urls_give_one_canonical_url_and_key(url: str) -> None:
    engine = XenForo1()
    assert XenForo1.matches(url)
    assert canonical_thread_url(url) == "https://forum.example/community/threads/123/"
    assert engine.first_page_url(url) == canonical_thread_url(url)
    assert engine.thread_id(url) == "123"
    assert engine.thread_key(url) == "forum.example-123"


@pytest.mark.parametrize("url", ROUTED_FORMS)
def test_a_board_without_friendly_urls_keeps_its_index_php_route(url: str) -> None:
    assert XenForo1.matches(url)
    assert canonical_thread_url(url) == "https://forum.example/index.php?threads/123/"
    assert XenForo1().thread_id(url) == "123"


@pytest.mark.parametrize("url", [
    "https://forum.example/posts/4567/",
    "https://forum.example/community/posts/4567/?_xfToken=abc",
    "https://forum.example/goto/post?id=4567#post-4567",
    "https://forum.example/index.php?posts/4567/",
    "https://forum.example/index.php?goto/post&id=4567",
])
def test_a_post_permalink_matches_but_names_no_thread(url: str) -> None:
    engine = XenForo1()
    assert engine.matches(url)
    with pytest.raises(ValueError, match="permalink"):
        engine.thread_id(url)
    with pytest.raises(ValueError, match="parse_page"):
        canonical_thread_url(url)
    assert not SESSION.search(engine.first_page_url(url))
    assert "#" not in engine.first_page_url(url)


def test_a_permalink_page_reads_its_thread_from_the_page() -> None:
    page = XenForo1().parse_page(html_of("page-2.html"),
                                 "https://montada.example/forum/posts/1004/")
    assert (page.thread.id, page.thread.url, page.page_number) == (
        "77", ARABIC["thread_url"], 2)
    goto = XenForo1().parse_page(html_of("page-1.html"),
                                 "https://montada.example/forum/goto/post?id=1002")
    assert (goto.thread.id, goto.next_url) == ("77", ARABIC["pages"][0]["next_url"])


def test_next_url_is_free_of_session_ids_and_fragments() -> None:
    html = html_of("page-1.html").replace(
        '<link rel="next" href="threads/afaq-altaawun-alaskari.77/page-2" />',
        '<link rel="next" href="threads/afaq-altaawun-alaskari.77/page-2?_xfToken=0%2C1%2Cab'
        '&amp;s=9f8e7d&amp;highlight=harop#post-1004" />')
    page = XenForo1().parse_page(html, PAGE_1_URL + "?_xfToken=0%2C1%2Cab")
    assert page.next_url == ARABIC["pages"][0]["next_url"]


def test_without_link_rel_next_the_pagenav_next_link_is_used() -> None:
    html = html_of("ltr-page-3.html").replace('<link rel="next"', '<link rel="nofollow"')
    page = XenForo1().parse_page(html, THREADS["english-ltr"]["pages"][0]["url"])
    assert page.next_url == THREADS["english-ltr"]["pages"][0]["next_url"]


@pytest.mark.parametrize("url", XenForo1.examples)
def test_the_engine_examples_are_thread_urls(url: str) -> None:
    assert XenForo1.matches(url)
    assert XenForo1.matches(XenForo1.example)


@pytest.mark.parametrize("url", [
    "https://forum.example/forums/some-forum.12/",
    "https://forum.example/members/bob.4/",
    "https://forum.example/attachments/photo-jpg.11/",
    "https://forum.example/viewtopic.php?t=123",
    "https://forum.example/showthread.php?tid=123",
    "https://forum.example/showthread.php?t=123",
    "https://forum.example/threads/123-some-title",  # vBulletin 4 friendly URLs
    "https://forum.example/index.php?topic=123.0",  # SMF
    "https://forum.example/topic/123-some-title/",  # Invision
    "https://forum.example/t/some-title/123",  # Discourse
    "https://forum.example/index.php?threads=123",
])
def test_other_board_urls_are_not_xenforo1_threads(url: str) -> None:
    assert not XenForo1.matches(url)


# -- walls and layouts -----------------------------------------------------------------------


@pytest.mark.parametrize("wall", EXPECTED["walls"], ids=lambda w: w["file"])
def test_xenforo_walls_are_recognised(wall: dict[str, str]) -> None:
    with pytest.raises(AccessBlocked, match=f"{wall['kind']}.*{re.escape(wall['message'])}"):
        XenForo1().parse_page(html_of(wall["file"]), "https://montada.example/forum/threads/78/")


def test_no_permission_is_an_error_page() -> None:
    html = html_of("walls/error.html").replace(
        "The requested thread could not be found.",
        "You do not have permission to view this page or perform this action.")
    with pytest.raises(AccessBlocked, match=r"error page.*do not have permission"):
        XenForo1().parse_page(html, "https://montada.example/forum/threads/78/")


def test_an_anti_bot_challenge_is_a_wall() -> None:
    html = ("<html><head><title>Just a moment...</title></head><body>"
            '<div id="cf-browser-verification"></div></body></html>')
    with pytest.raises(AccessBlocked, match="anti-bot challenge"):
        XenForo1().parse_page(html, PAGE_1_URL)


def test_a_thread_page_whose_posts_are_unreadable_is_a_layout_change_not_a_wall() -> None:
    html = re.sub(r'<li id="post-', '<li id="message-', html_of("page-1.html"))
    html = html.replace("</form>", '<input type="password" name="password" /></form>', 1)
    with pytest.raises(LayoutChanged, match="message template"):
        XenForo1().parse_page(html, PAGE_1_URL)


def test_a_page_of_another_engine_is_a_layout_error() -> None:
    with pytest.raises(LayoutChanged, match="not a XenForo 1 page"):
        XenForo1().parse_page("<html><body><p>Hello</p></body></html>", PAGE_1_URL)


# -- mangled numbers, dates, authors ---------------------------------------------------------


def test_mangled_numbers_do_not_crash() -> None:
    html = html_of("ltr-page-3.html")
    html = html.replace(">#41</a>", ">#⁴¹</a>").replace('data-page="3"', 'data-page="³"')
    html = html.replace('data-last="28"', 'data-last="²⁸"').replace(">28</a>", ">²⁸</a>")
    html = html.replace(">3,571</a>", ">٣٬٥٧١</a>").replace("members/pangyal.524969/",
                                                           "members/pangyal.⁵²⁴⁹⁶⁹/")
    html = html.replace('class="avatar Av524969m"', 'class="avatar Av⁵²⁴⁹⁶⁹m"')
    url = THREADS["english-ltr"]["pages"][0]["url"]
    page = XenForo1().parse_page(html, url)
    assert [p.position for p in page.posts] == [41, 42]  # #41 follows from its neighbour
    assert page.page_number == 3  # from the URL's page-3 and the currentPage link
    assert page.last_page == 6  # the highest page number still readable
    author = page.posts[0].author
    assert (author.member_id, author.message_count) == (None, None)


def test_unreadable_post_ids_are_a_layout_change_not_a_crash() -> None:
    html = html_of("page-1.html").replace('<li id="post-1002"', '<li id="post-¹⁰⁰²"')
    with pytest.raises(LayoutChanged, match='no id="post-N"'):
        XenForo1().parse_page(html, PAGE_1_URL)


def test_shown_dates_in_the_boards_language_are_read_naive() -> None:
    html = html_of("page-2.html").replace(
        '<abbr class="DateTime" data-time="1637823900" data-diff="96900" data-datestring="25 '
        'نوفمبر 2021" data-timestring="8:05 ص" title="25 نوفمبر 2021 الساعة 8:05 ص">أمس في 8:05 '
        'ص</abbr>',
        '<span class="DateTime" title="25 نوفمبر 2021 الساعة 8:05 ص">25 نوفمبر 2021</span>')
    post = XenForo1().parse_page(html, PAGE_2_URL).posts[0]
    assert (post.published, post.published_text) == ("2021-11-25T08:05:00", "25 نوفمبر 2021")


def test_an_uploaded_avatar_as_a_background_image_is_kept() -> None:
    html = html_of("page-1.html").replace(
        '<img src="styles/default/xenforo/avatars/avatar_female_m.png" width="96" height="96" '
        'alt="فاطمة" />',
        '<span class="img m" style="background-image: url(\'data/avatars/m/0/3.jpg?1\')"></span>')
    post = XenForo1().parse_page(html, PAGE_1_URL).posts[1]
    assert post.author.avatar_url == "https://montada.example/forum/data/avatars/m/0/3.jpg?1"


# -- detection markers and speed -------------------------------------------------------------


@pytest.mark.parametrize("name", ["page-1.html", "page-2.html", "ltr-page-3.html"])
def test_detection_markers_of_a_thread_page(name: str) -> None:
    assert detection_markers(html_of(name)) == [
        "html#XenForo", "ol.messageList", "li.message[data-author]", "XenForo-js",
        "xf_-cookie-prefix", "PageNav", "DateTime"]


def test_detection_markers_elsewhere() -> None:
    assert detection_markers(html_of("walls/error.html")) == [
        "html#XenForo", "XenForo-js", "xf_-cookie-prefix"]
    assert detection_markers('<meta name="generator" content="XenForo 1.5.24" />') == [
        "generator-meta"]
    xenforo2 = ('<html id="XF" data-app="public" data-template="thread_view">'
                '<article class="message message--post" data-author="bob" '
                'data-content="post-1"></article></html>')
    assert detection_markers(xenforo2) == []
    assert detection_markers("<html><body>phpBB</body></html>") == []
