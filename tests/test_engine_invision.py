"""The Invision Community engine on a 2-page Arabic topic built from real Invision 4 markup.

`tests/fixtures/invision/expected.json` is the hand-written truth for those pages; every
field it holds is compared below, one case per page and per post (yt-dlp `_TESTS` style).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines.invision import (
    Invision,
    canonical_thread_url,
    clean_page_url,
    detection_markers,
    upload_filename,
)
from scraper.errors import AccessBlocked, LayoutChanged
from scraper.records import ParsedPage, Quote

FIXTURE = Path(__file__).parent / "fixtures" / "invision"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text("utf-8"))
THREAD = EXPECTED["thread_url"]
PAGE_URLS = [THREAD + suffix for suffix in EXPECTED["page_urls"]]
CSRF = "6865eccbd586cd8c36800d12ab826f11"


def page_html(number: int) -> str:
    return (FIXTURE / f"page-{number}.html").read_text("utf-8")


@cache
def parsed(number: int) -> ParsedPage:
    return Invision().parse_page(page_html(number), PAGE_URLS[number - 1])


def post_of(post_id: str) -> Any:
    want = next(p for p in EXPECTED["posts"] if p["post_id"] == post_id)
    return next(p for p in parsed(want["page"]).posts if p.id == post_id)


# -- the truth table: every page, every post -------------------------------------------------

PAGES = [pytest.param(n, id=f"page-{n}") for n in range(1, EXPECTED["pages"] + 1)]


@pytest.mark.parametrize("number", PAGES)
def test_page(number: int) -> None:
    page = parsed(number)
    thread = page.thread
    assert (thread.id, thread.url, thread.title, thread.prefix, thread.language) == (
        EXPECTED["topic_id"], THREAD, EXPECTED["title"], EXPECTED["prefix"], EXPECTED["language"])
    assert [[link.title, link.url] for link in thread.breadcrumb] == EXPECTED["breadcrumb"]
    assert (page.page_number, page.last_page) == (number, EXPECTED["pages"])
    following = EXPECTED["next_urls"][number - 1]
    assert page.next_url == (THREAD + following if following is not None else None)
    assert [p.id for p in page.posts] == [
        e["post_id"] for e in EXPECTED["posts"] if e["page"] == number]


@pytest.mark.parametrize("want", EXPECTED["posts"], ids=lambda e: f"post-{e['post_id']}")
def test_post(want: dict[str, Any]) -> None:
    post = post_of(want["post_id"])
    assert post.position == want["position"]
    author = post.author
    assert (author.name, author.member_id, author.message_count, author.avatar_url) == (
        want["author"], want["member_id"], want["message_count"], want["avatar"])
    assert author.url is not None and re.search(rf"/profile/{want['member_id']}-", author.url)
    assert (post.published, post.published_text) == (want["published"], want["published_text"])
    assert (post.edited, post.edited_text, post.edited_by) == (
        want["edited"], want["edited_text"], want["edited_by"])
    assert [[q.author, q.post_id] for q in post.quotes] == want["quotes"]
    assert [[a.url, a.filename, a.thumbnail_url] for a in post.assets
            if a.kind == "attachment"] == want["attachments"]
    assert [a.url for a in post.assets if a.kind == "image"] == want["images"]
    assert [[e.kind, e.url] for e in post.embeds] == want["embeds"]
    assert want["snippet"] in post.content_text
    if "not_in_text" in want:
        assert want["not_in_text"] not in post.content_text


def test_the_whole_topic_has_every_post_once_in_order() -> None:
    posts = [post for n in range(1, EXPECTED["pages"] + 1) for post in parsed(n).posts]
    assert [p.id for p in posts] == [e["post_id"] for e in EXPECTED["posts"]]
    assert [p.position for p in posts] == list(range(1, len(EXPECTED["posts"]) + 1))


@pytest.mark.parametrize("number", PAGES)
def test_no_session_token_or_board_chrome_survives(number: int) -> None:
    page = parsed(number)
    urls = [page.thread.url, page.next_url or "", *(link.url for link in page.thread.breadcrumb)]
    for post in page.posts:
        urls += [post.author.url or "", *(a.url for a in post.assets)]
        content = post.content_html
        for chrome in ("csrfKey", "ipsReact", "commentControls", "data-ips", "ipsAttachLink",
                       "spacer.png", "contenteditable", "<iframe", "توقيع", "مشاركة هذه",
                       "تم التعديل", "advertisement", "said:"):
            assert chrome not in content, (post.id, chrome)
        classes = set(re.findall(r'class="([^"]*)"', content))
        assert classes <= {"fm-quote", "fm-quote-body", "fm-code", "fm-spoiler", "fm-embed"}
    assert not [url for url in urls if "csrfKey" in url or re.search(r"[?&]s=", url)]


def test_canonical_content() -> None:
    bob = post_of("60112").content_html
    assert "<strong>زيارة</strong>" in bob and "<em>فرصة</em>" in bob
    assert 'href="https://example.com/harop"' in bob  # the redirect wrapper is gone
    assert '<pre class="fm-code"><code>if drones &lt; 10:\n    order(drones)</code></pre>' in bob
    assert '<details class="fm-spoiler"><summary>Spoiler</summary>' in bob
    assert 'href="https://montada.example/profile/59-' in bob  # the mention stays a link
    quote = post_of("60125").content_html
    assert quote.startswith(
        '<blockquote class="fm-quote" data-author="أحمد" data-post-id="60118">'
        '<div class="fm-quote-body"><p>')
    first = post_of("60101").content_html
    assert ('<img src="https://montada.example/uploads/monthly_2021_11/FE9CNKiWUAM6iQM.jpeg.'
            'f9da9cf270a773ee80fc05af8f0d4063.jpeg" alt="FE9CNKiWUAM6iQM.jpeg">') in first
    lazy = post_of("60107").content_html
    assert 'src="https://images.example/7C588B94-630C-43AD-A66A-5096614AED7A.jpeg"' in lazy
    embeds = post_of("60118").content_html
    assert re.findall(r'data-embed-index="(\d)"', embeds) == ["0", "1"]
    files = post_of("60131")
    assert ('<a href="https://montada.example/applications/core/interface/file/attachment.php'
            '?id=9003">israelmaroc-report.pdf</a>') in files.content_html
    assert "/uploads/emoticons/smile.png" in files.content_html  # shown, not an asset
    assert all("emoticons" not in a.url for a in files.assets)


# -- URLs ------------------------------------------------------------------------------------

FRIENDLY = "https://forum.example/forums/topic/123-some-title/"
FRIENDLY_FORMS = [
    FRIENDLY,
    "https://forum.example/forums/topic/123-some-title",
    "https://forum.example/forums/topic/123-some-title/page/4/",
    "https://forum.example/forums/topic/123-some-title/?page=4",
    "https://forum.example/forums/topic/123-some-title/?do=findComment&comment=456",
    "https://forum.example/forums/topic/123-some-title/#comment-456",
    "https://forum.example/forums/topic/123-some-title/#elComment_456",
    "https://forum.example/forums/topic/123-some-title/?tab=comments#comment-456",
    "https://forum.example/forums/topic/123-some-title/?sortby=date&highlight=drone",
    f"https://forum.example/forums/topic/123-some-title/?csrfKey={CSRF}&do=getNewComment",
    "https://forum.example/forums/topic/123-some-title/page/2/?s=0123456789abcdef0123456789abcdef",
    "https://FORUM.example/forums/topic/123-some-title/?do=getLastComment",
]
UNFRIENDLY = "https://forum.example/index.php?/forums/topic/123-some-title/"
UNFRIENDLY_FORMS = [
    UNFRIENDLY,
    "https://forum.example/index.php?/forums/topic/123-some-title/page/3/",
    "https://forum.example/index.php?/forums/topic/123-some-title/&page=3",
    "https://forum.example/index.php?/forums/topic/123-some-title/&do=findComment&comment=456",
    "https://forum.example/index.php?/forums/topic/123-some-title/&amp;page=3#comment-456",
]
LEGACY_FORMS = [  # 3.x and the raw 4.x route keep their own form
    ("https://forum.example/index.php?showtopic=123", "https://forum.example/index.php?showtopic=123"),
    ("https://forum.example/index.php?showtopic=123&st=40&p=456#entry456",
     "https://forum.example/index.php?showtopic=123"),
    ("https://forum.example/index.php?s=0123456789abcdef0123456789abcdef&showtopic=123&view=getnewpost",
     "https://forum.example/index.php?showtopic=123"),
    ("https://forum.example/index.php?app=forums&module=forums&controller=topic&id=123&page=2",
     "https://forum.example/index.php?app=forums&module=forums&controller=topic&id=123"),
]


@pytest.mark.parametrize("url", FRIENDLY_FORMS)
def test_pasted_friendly_urls_give_one_thread_url(url: str) -> None:
    engine = Invision()
    assert engine.matches(url)
    assert canonical_thread_url(url) == FRIENDLY
    assert engine.first_page_url(url) == FRIENDLY
    assert engine.thread_id(url) == "123"
    assert engine.thread_key(url) == "forum.example-123"


@pytest.mark.parametrize("url", UNFRIENDLY_FORMS)
def test_pasted_index_php_urls_give_one_thread_url(url: str) -> None:
    assert canonical_thread_url(url) == UNFRIENDLY
    assert Invision().thread_key(url) == "forum.example-123"


@pytest.mark.parametrize(("url", "canonical"), LEGACY_FORMS)
def test_legacy_and_raw_routes(url: str, canonical: str) -> None:
    assert Invision.matches(url)
    assert canonical_thread_url(url) == canonical
    assert Invision().thread_key(url) == "forum.example-123"


def test_an_arabic_slug_pasted_decoded_or_encoded_is_one_url() -> None:
    decoded = ("https://montada.example/topic/4521-آفاق-التعاون-العسكري-بين-المغرب-و-إسرائيل"
               "/page/2/#comment-60125")
    assert canonical_thread_url(decoded) == THREAD
    assert canonical_thread_url(PAGE_URLS[1]) == THREAD


@pytest.mark.parametrize(("url", "clean"), [
    (f"{FRIENDLY}page/2/?csrfKey={CSRF}#comment-9", f"{FRIENDLY}page/2/"),
    (f"{FRIENDLY}?page=2&s=0123456789abcdef0123456789abcdef&sortby=date", f"{FRIENDLY}?page=2"),
    (f"{UNFRIENDLY}&page=2&csrfKey={CSRF}", f"{UNFRIENDLY}&page=2"),
    (f"{FRIENDLY}page/1/", FRIENDLY),
])
def test_page_urls_lose_sessions_tokens_and_views(url: str, clean: str) -> None:
    assert clean_page_url(url) == clean


def test_a_post_permalink_that_names_no_topic() -> None:
    url = ("https://forum.example/index.php?app=forums&module=forums&section=findpost&pid=60125"
           "&s=0123456789abcdef0123456789abcdef")
    engine = Invision()
    assert engine.matches(url)
    with pytest.raises(ValueError, match="post permalink"):
        engine.thread_id(url)
    assert engine.first_page_url(url) == (
        "https://forum.example/index.php?app=forums&module=forums&section=findpost&pid=60125")
    page = engine.parse_page(page_html(2), url)  # the board answers with the topic's page
    assert (page.thread.id, page.thread.url, page.page_number) == ("4521", THREAD, 2)
    assert [p.position for p in page.posts] == [5, 6, 7]


@pytest.mark.parametrize("url", Invision.examples)
def test_the_engine_examples_are_topic_urls(url: str) -> None:
    assert Invision.matches(url)
    assert Invision.matches(Invision.example)


@pytest.mark.parametrize("url", [
    "https://forum.example/threads/some-title.123/",  # XenForo
    "https://forum.example/viewtopic.php?t=123",  # phpBB
    "https://forum.example/showthread.php?tid=123",  # MyBB
    "https://forum.example/index.php?topic=123.0",  # SMF
    "https://forum.example/forum/2-news/",
    "https://forum.example/profile/3-someone/",
    "https://forum.example/index.php?/forum/2-news/",
    "https://forum.example/topics/",
])
def test_other_urls_are_not_invision_topics(url: str) -> None:
    assert not Invision.matches(url)


def test_next_url_drops_session_token_and_fragment() -> None:
    html = page_html(1).replace(
        "<li class='ipsPagination_next'><a href='" + THREAD + "page/2/'",
        "<li class='ipsPagination_next'><a href='" + THREAD
        + f"page/2/?csrfKey={CSRF}&amp;s=0123456789abcdef0123456789abcdef#comment-60125'")
    assert f"csrfKey={CSRF}&amp;s=" in html
    page = Invision().parse_page(html, PAGE_URLS[0])
    assert page.next_url == PAGE_URLS[1]


def test_upload_filenames() -> None:
    assert upload_filename("https://b/uploads/monthly_2022_11/image.jpeg."
                           "f9da9cf270a773ee80fc05af8f0d4063.jpeg") == "image.jpeg"
    assert upload_filename("https://b/uploads/monthly_2022_11/image.thumb.jpeg."
                           "4c61ae5faf0a5cc547bc77f4c034ea20.jpeg") == "image.jpeg"
    assert upload_filename("https://images.example/photo.png") == "photo.png"


# -- walls and layouts -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "message"), list(EXPECTED["walls"].items()))
def test_invision_walls(name: str, message: str) -> None:
    html = (FIXTURE / "walls" / name).read_text("utf-8")
    with pytest.raises(AccessBlocked, match=message):
        Invision().parse_page(html, "https://montada.example/topic/9001-secret/")


def test_an_anti_bot_challenge_is_a_wall() -> None:
    html = ("<html><head><title>Just a moment...</title></head><body>"
            '<div id="cf-browser-verification"></div></body></html>')
    with pytest.raises(AccessBlocked, match="anti-bot challenge"):
        Invision().parse_page(html, PAGE_URLS[0])


def test_a_topic_page_whose_posts_are_unreadable_is_a_layout_change_not_a_wall() -> None:
    # Every guest page has the header's sign-in form (a password field): it is no wall.
    html = page_html(1).replace('id="elComment_', 'id="elPost_')
    with pytest.raises(LayoutChanged, match="theme may have changed"):
        Invision().parse_page(html, PAGE_URLS[0])


def test_a_page_of_another_engine_is_a_layout_error() -> None:
    with pytest.raises(LayoutChanged, match="not an Invision Community topic page"):
        Invision().parse_page("<html><body><p>Hello</p></body></html>", PAGE_URLS[0])


def test_an_unreadable_post_id_is_a_layout_change_not_a_crash() -> None:
    html = page_html(1).replace('id="elComment_60107"', 'id="elComment_⁶⁰¹⁰⁷"')
    with pytest.raises(LayoutChanged, match="elComment_N"):
        Invision().parse_page(html, PAGE_URLS[0])


# -- mangled numbers, dates ------------------------------------------------------------------


def test_superscript_and_arabic_digits_do_not_crash() -> None:
    html = page_html(2)
    html = html.replace("data-page='2'>2</a></li>", "data-page='²'>²</a></li>")
    html = html.replace("data-pages='2'", "data-pages='²'").replace(
        'data-ipsPagination-pages="2"', 'data-ipsPagination-pages="٢"')
    html = html.replace("data-ipsPagination-perPage='4'", "data-ipsPagination-perPage='⁴'")
    html = html.replace("/profile/61-bob/", "/profile/⁶¹-bob/")
    html = html.replace("&quot;userid&quot;:61,", "&quot;userid&quot;:&quot;⁶¹&quot;,")
    html = html.replace('title="37 مشاركة"', 'title="³⁷ مشاركة"').replace(
        "<i class=\"fa fa-comment\"></i> 37", "<i class=\"fa fa-comment\"></i> ³⁷")
    html = html.replace("data-ipsquote-contentcommentid=\"60118\"",
                        "data-ipsquote-contentcommentid=\"⁶⁰¹¹⁸\"")
    page = Invision().parse_page(html, PAGE_URLS[1])
    assert page.page_number == 2  # from the URL's /page/2/
    assert page.last_page == 2
    assert [p.position for p in page.posts] == [26, 27, 28]  # IPS's default 25 per page
    bob = page.posts[2].author
    assert (bob.name, bob.member_id, bob.message_count) == ("bob", None, None)
    assert page.posts[0].quotes == [Quote("أحمد", None)]


def test_times_without_datetime_fall_back_to_unix_then_shown_text() -> None:
    html = page_html(1).replace("datetime='2021-11-24T08:12:00Z'", "data-time='1637741520'")
    html = html.replace("datetime='2021-11-24T08:59:00Z'", "")
    html = html.replace("datetime='2021-11-24T09:47:00Z'", "").replace(
        "&quot;timestamp&quot;:1637747220,", "")
    posts = Invision().parse_page(html, PAGE_URLS[0]).posts
    assert posts[0].published == "2021-11-24T08:12:00+00:00"  # data-time (unix)
    assert posts[1].published == "2021-11-24T08:59:00+00:00"  # data-quotedata's timestamp
    # Only the shown title is left: naive ISO, in the board's (unstated) time zone.
    assert (posts[2].published, posts[2].published_text) == (
        "2021-11-24T09:47:00", "نوفمبر 24, 2021")


QUOTES = (
    '<blockquote class="ipsQuote" data-ipsquote="" data-ipsquote-contentcommentid="60107" '
    'data-ipsquote-username="فاطمة" data-cite="فاطمة"><div>'
    '<blockquote class="ipsQuote" data-ipsquote="" data-ipsquote-contentcommentid="60101" '
    'data-ipsquote-username="أحمد"><div><p>النص الداخلي</p></div></blockquote>'
    "<p>النص الخارجي</p></div></blockquote>"
    '<blockquote class="ipsQuote" data-ipsquote=""><div class="ipsQuote_citation">Quote</div>'
    '<div class="ipsQuote_contents"><p>بلا كاتب</p></div></blockquote>'
    '<blockquote class="twitter-tweet" data-dnt="true"><p lang="he" dir="rtl">חתמנו היום</p>'
    "&mdash; Benny Gantz (@gantzbe) "
    '<a href="https://twitter.com/gantzbe/status/1463541436390436864?ref_src=twsrc">'
    "November 24, 2021</a></blockquote>"
)


def test_nested_and_plain_quotes_and_a_tweet_blockquote() -> None:
    marker = "<p>\n\tشكرا على التقرير"
    html = page_html(2).replace(marker, QUOTES + marker, 1)
    post = Invision().parse_page(html, PAGE_URLS[1]).posts[2]
    assert post.quotes == [Quote("فاطمة", "60107"), Quote("أحمد", "60101"), Quote("", None)]
    assert post.content_html.startswith(
        '<blockquote class="fm-quote" data-author="فاطمة" data-post-id="60107">'
        '<div class="fm-quote-body"><div><blockquote class="fm-quote" data-author="أحمد" '
        'data-post-id="60101"><div class="fm-quote-body"><div><p>النص الداخلي</p></div>')
    assert "Quote</div>" not in post.content_html
    (tweet,) = post.embeds
    assert (tweet.kind, tweet.url, tweet.author, tweet.handle, tweet.text, tweet.lang) == (
        "tweet", "https://twitter.com/gantzbe/status/1463541436390436864", "Benny Gantz",
        "@gantzbe", "חתמנו היום", "he")


def test_a_guest_post_has_a_name_without_member_id() -> None:
    html = page_html(1).replace("&quot;userid&quot;:61,", "&quot;userid&quot;:null,")
    html = re.sub(r'<a href="https://montada\.example/profile/61-bob/" rel="nofollow" '
                  r'data-ipshover[^>]*class="ipsType_break">bob</a>', "زائر", html)
    bob = Invision().parse_page(html, PAGE_URLS[0]).posts[2].author
    assert (bob.name, bob.member_id, bob.url) == ("زائر", None, None)


def test_recommended_copies_of_posts_are_not_posts_again() -> None:
    copy = re.search(r'<article  id="elComment_60118".*?</article>', page_html(1), re.S)
    assert copy is not None
    html = page_html(1).replace('<div data-role="recommendedComments">',
                                '<div data-role="recommendedComments">' + copy.group(0), 1)
    page = Invision().parse_page(html, PAGE_URLS[0])
    assert [p.id for p in page.posts] == ["60101", "60107", "60112", "60118"]


# -- detection -------------------------------------------------------------------------------


def test_detection_markers() -> None:
    assert detection_markers(page_html(1)) == [
        "ipsApp-body", "core-app-controller", "ipsComment", "ips-quote", "ips-js",
        "ips4-cookie", "powered-by"]
    login = (FIXTURE / "walls" / "login.html").read_text("utf-8")
    assert "ipsComment" not in detection_markers(login)
    assert "ipsApp-body" in detection_markers(login)
    assert detection_markers('<meta name="generator" content="Invision Community 4.7">') == [
        "generator-meta"]
    other_engines = (
        '<html id="XF" data-template="thread_view"><body><article class="message message--post">',
        '<body id="phpbb" class="nojs notouch section-viewtopic ltr"><div class="post bg2">',
        '<div class="post " id="post_1"><div class="post_body scaleimages" id="pid_1">',
    )
    for html in other_engines:
        assert detection_markers(html) == []
