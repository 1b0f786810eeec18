"""The vBulletin 3/4 engine on pages built from real vBulletin markup (tests/fixtures/vbulletin).

`expected.json` is the truth table written with the pages; every field it holds is compared
here (one case per page and per post), then URLs, walls, mangled numbers and detection.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines.vbulletin import VBulletin, canonical_thread_url, detection_markers
from scraper.errors import AccessBlocked, LayoutChanged
from scraper.records import ParsedPage, Quote

FIXTURE = Path(__file__).parent / "fixtures" / "vbulletin"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text("utf-8"))
THREADS = {thread["name"]: thread for thread in EXPECTED["threads"]}
SESSION = re.compile(r"[?&;]s=[0-9a-f]{32}|[?&;]sid=")


def html(name: str) -> str:
    return (FIXTURE / name).read_text("utf-8")


@cache
def parsed(file: str, url: str) -> ParsedPage:
    return VBulletin().parse_page(html(file), url)


def page_of(thread: dict[str, Any], number: int) -> ParsedPage:
    want = next(p for p in thread["pages"] if p["page"] == number)
    return parsed(want["file"], want["url"])


# -- the truth table: every page, every post ------------------------------------------------

PAGES = [pytest.param(t, p, id=f"{t['name']}-page-{p['page']}")
         for t in EXPECTED["threads"] for p in t["pages"]]
POSTS = [pytest.param(t, p, id=f"{t['name']}-post-{p['id']}")
         for t in EXPECTED["threads"] for p in t["posts"]]


@pytest.mark.parametrize(("thread", "want"), PAGES)
def test_page(thread: dict[str, Any], want: dict[str, Any]) -> None:
    page = parsed(want["file"], want["url"])
    assert page.thread.id == thread["thread_id"]
    assert page.thread.url == thread["thread_url"]
    assert page.thread.title == thread["title"]
    assert page.thread.language == thread["language"]
    assert [[link.title, link.url] for link in page.thread.breadcrumb] == thread["breadcrumb"]
    assert (page.page_number, page.last_page, page.next_url) == (
        want["page"], want["last_page"], want["next_url"])
    assert [p.id for p in page.posts] == [
        p["id"] for p in thread["posts"] if p["page"] == want["page"]]


@pytest.mark.parametrize(("thread", "want"), POSTS)
def test_post(thread: dict[str, Any], want: dict[str, Any]) -> None:
    post = next(p for p in page_of(thread, want["page"]).posts if p.id == want["id"])
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
    assert [[e.kind, e.url] for e in post.embeds] == want["embeds"]
    assert [{"url": a.url, "filename": a.filename, "kind": a.kind,
             "thumbnail_url": a.thumbnail_url} for a in post.assets] == want["assets"]
    assert want["snippet"] in post.content_text
    for link in want["links"]:
        assert f'href="{link}"' in post.content_html
    for chrome in want["not_in_text"]:
        assert chrome not in post.content_text
    assert not SESSION.search(post.content_html)
    assert set(re.findall(r'class="([^"]*)"', post.content_html)) <= {
        "fm-quote", "fm-quote-body", "fm-code", "fm-spoiler", "fm-embed"}


def test_no_returned_url_carries_a_session_id() -> None:
    for thread in EXPECTED["threads"]:
        for want in thread["pages"]:
            page = parsed(want["file"], want["url"])
            urls = [page.next_url or "", page.thread.url,
                    *(link.url for link in page.thread.breadcrumb)]
            for post in page.posts:
                urls += [post.author.url or "", post.author.avatar_url or ""]
                urls += [a.url for a in post.assets] + [a.thumbnail_url or "" for a in post.assets]
            assert not [u for u in urls if SESSION.search(u)]


def test_inline_attachments_show_the_full_size_file() -> None:
    post = page_of(THREADS["vb4"], 1).posts[0]
    assert ('<img src="https://forums.example.org/attachment.php?attachmentid=1403" '
            'alt="rabat-visit.jpg">') in post.content_html
    assert "thumb=1" not in post.content_html
    assert 'href="https://example.com/harop"' in post.content_html  # redirect.php unwrapped


def test_quotes_code_spoilers_become_canonical() -> None:
    vb4 = page_of(THREADS["vb4"], 1).posts[1].content_html
    assert vb4.startswith('<blockquote class="fm-quote" data-author="kestrel" '
                          'data-post-id="30001"><div class="fm-quote-body">Reports this week')
    assert '<pre class="fm-code"><code>range:     1000 km\nendurance: 9 h\n' in vb4
    vb3 = page_of(THREADS["vb3-rtl"], 1).posts
    assert vb3[1].content_html.startswith(
        '<blockquote class="fm-quote" data-author="أحمد" data-post-id="9101">')
    assert '<pre class="fm-code"><code>שר הביטחון בני גנץ @gantzbe</code></pre>' in (
        vb3[2].content_html)
    assert '<details class="fm-spoiler"><summary>Spoiler</summary>درونات هاروب</details>' in (
        vb3[2].content_html)


def test_the_video_is_a_placeholder_and_the_signature_is_gone() -> None:
    post = page_of(THREADS["vb4"], 1).posts[2]
    assert '<div class="fm-embed" data-embed-index="0"></div>' in post.content_html
    assert "<iframe" not in post.content_html and "open sources only" not in post.content_html


NESTED_VB4 = (
    '<div class="bbcode_container"><div class="bbcode_quote"><div class="quote_container">'
    '<div class="bbcode_quote_container"></div><div class="bbcode_postedby">Originally Posted '
    'by <strong>outer</strong> <a href="showthread.php?p=11#post11" rel="nofollow">'
    '<img class="inlineimg" src="images/buttons/viewpost-right.png" alt="View Post" /></a>'
    '</div><div class="message"><div class="bbcode_container"><div class="bbcode_quote">'
    '<div class="quote_container"><div class="bbcode_quote_container"></div>inner without '
    'author</div></div></div>outer text</div></div></div></div>after')


def test_nested_quotes_keep_their_nesting_and_page_order() -> None:
    source = html("vb4-page-1.html").replace(
        "Take them with a grain of salt.", NESTED_VB4, 1)
    post = VBulletin().parse_page(source, THREADS["vb4"]["thread_url"]).posts[1]
    assert post.quotes == [Quote("kestrel", "30001"), Quote("outer", "11"), Quote("", None)]
    assert ('<blockquote class="fm-quote" data-author="outer" data-post-id="11"><div '
            'class="fm-quote-body"><blockquote class="fm-quote" data-author="" data-post-id="">'
            '<div class="fm-quote-body">inner without author</div></blockquote>outer text'
            '</div></blockquote>after') in post.content_html


def test_lazy_images_and_linked_thumbnails_give_the_real_image() -> None:
    lazy = ('<img src="images/misc/blank.gif" data-src="https://img.example/real.jpg" alt="" />'
            '<a href="https://img.example/big.png"><img src="https://img.example/small.png" />'
            '</a>')
    source = html("vb4-page-1.html").replace("Take them with a grain of salt.", lazy, 1)
    post = VBulletin().parse_page(source, THREADS["vb4"]["thread_url"]).posts[1]
    assert [(a.url, a.kind) for a in post.assets] == [
        ("https://img.example/real.jpg", "image"), ("https://img.example/big.png", "image")]
    assert '<img src="https://img.example/real.jpg" alt="">' in post.content_html


# -- URLs ------------------------------------------------------------------------------------

PASTED = [
    "https://forum.example/showthread.php?t=123",
    "https://forum.example/showthread.php?t=123&page=4",
    "https://forum.example/showthread.php?page=4&t=123",
    "https://forum.example/showthread.php?s=0123456789abcdef0123456789abcdef&t=123",
    "https://forum.example/showthread.php?t=123&s=0123456789abcdef0123456789abcdef&page=2",
    "https://forum.example/showthread.php?t=123&amp;page=2",
    "https://forum.example/showthread.php?threadid=123",
    "https://forum.example/showthread.php?t=123&highlight=drone&sort=dateline&order=desc",
    "https://forum.example/showthread.php?t=123&p=456#post456",
    "https://forum.example/showthread.php?t=123&goto=newpost",
    "https://forum.example/showthread.php?t=123&pp=40&mode=linear#top",
    "https://FORUM.example/showthread.php?t=123",
    "https://forum.example/showthread.php?123-Some-Title",
    "https://forum.example/showthread.php?123-Some-Title/page3",
    "https://forum.example/showthread.php?123-Some-Title/page3&s=0123456789abcdef0123456789abcdef",
    "https://forum.example/showthread.php?123",
    "https://forum.example/showthread.php/123-Some-Title/page3",
    "https://forum.example/threads/123-Some-Title",
    "https://forum.example/threads/123-Some-Title/page2",
    "https://forum.example/threads/123-Some-Title/page2?highlight=x#post456",
]


@pytest.mark.parametrize("url", PASTED)
def test_every_pasted_form_gives_one_thread_url_and_key(url: str) -> None:
    engine = VBulletin()
    assert VBulletin.matches(url)
    assert canonical_thread_url(url) == "https://forum.example/showthread.php?t=123"
    assert engine.first_page_url(url) == "https://forum.example/showthread.php?t=123"
    assert engine.thread_id(url) == "123"
    assert engine.thread_key(url) == "forum.example-123"


def test_a_board_in_a_folder_keeps_its_folder() -> None:
    assert canonical_thread_url("http://127.0.0.1:8083/forum/threads/7-x/page2") == (
        "http://127.0.0.1:8083/forum/showthread.php?t=7")
    assert canonical_thread_url("http://127.0.0.1:8083/vb/showthread.php?t=7&page=2") == (
        "http://127.0.0.1:8083/vb/showthread.php?t=7")


@pytest.mark.parametrize("url", VBulletin.examples)
def test_the_engine_examples_are_thread_urls(url: str) -> None:
    assert VBulletin.matches(url)
    assert VBulletin.matches(VBulletin.example)


@pytest.mark.parametrize(
    "url",
    ["https://forum.example/threads/some-title.123/",  # XenForo 2
     "https://forum.example/showthread.php?tid=123",  # MyBB
     "https://forum.example/showthread.php?pid=456#pid456",  # MyBB permalink
     "https://forum.example/thread-123.html",
     "https://forum.example/viewtopic.php?t=123",  # phpBB
     "https://forum.example/forumdisplay.php?f=2",
     "https://forum.example/member.php?u=2",
     "https://forum.example/showthread.php",
     "https://forum.example/index.php?topic=123.0"],  # SMF
)
def test_other_urls_are_not_vbulletin_threads(url: str) -> None:
    assert not VBulletin.matches(url)


@pytest.mark.parametrize(
    ("url", "first_page"),
    [("https://forum.example/showthread.php?p=456#post456",
      "https://forum.example/showthread.php?p=456"),
     ("https://forum.example/showthread.php?s=0123456789abcdef0123456789abcdef&p=456",
      "https://forum.example/showthread.php?p=456"),
     ("https://forum.example/showpost.php?p=456&postcount=7",
      "https://forum.example/showthread.php?p=456")],
)
def test_a_post_permalink_names_no_thread_until_its_page_is_read(url: str,
                                                                 first_page: str) -> None:
    engine = VBulletin()
    assert engine.matches(url)
    with pytest.raises(ValueError, match="post permalink"):
        engine.thread_id(url)
    with pytest.raises(ValueError, match="names no vBulletin thread"):
        canonical_thread_url(url)
    assert engine.first_page_url(url) == first_page


@pytest.mark.parametrize(
    ("file", "board"),
    [("vb4-page-2.html", "https://forums.example.org"),
     ("vb3-rtl-page-1.html", "http://montada.example/vb")],
)
def test_the_page_of_a_permalink_names_its_thread(file: str, board: str) -> None:
    page = VBulletin().parse_page(html(file), f"{board}/showthread.php?p=30025#post30025")
    thread = THREADS["vb4" if "vb4" in file else "vb3-rtl"]
    assert (page.thread.id, page.thread.url) == (thread["thread_id"], thread["thread_url"])


def test_next_url_drops_session_highlight_and_fragment() -> None:
    source = html("vb4-page-1.html").replace(
        'rel="next" href="showthread.php?t=4521&amp;page=2&amp;s=a3f1c0d2e4b5968778695a4b3c2d1e0f"',
        'rel="next" href="showthread.php?t=4521&amp;page=2&amp;highlight=x&amp;'
        's=a3f1c0d2e4b5968778695a4b3c2d1e0f#post30020"')
    page = VBulletin().parse_page(source, THREADS["vb4"]["thread_url"])
    assert page.next_url == "https://forums.example.org/showthread.php?t=4521&page=2"


def test_friendly_next_links_stay_friendly_and_resolve_against_the_base() -> None:
    source = html("vb4-page-1.html").replace(
        'rel="next" href="showthread.php?t=4521&amp;page=2&amp;s=a3f1c0d2e4b5968778695a4b3c2d1e0f"',
        'rel="next" href="threads/4521-Israeli-loitering-munitions/page2?s='
        'a3f1c0d2e4b5968778695a4b3c2d1e0f"')
    url = "https://forums.example.org/threads/4521-Israeli-loitering-munitions"
    page = VBulletin().parse_page(source, url)
    assert page.next_url == "https://forums.example.org/threads/4521-Israeli-loitering-munitions/page2"
    assert page.thread.url == THREADS["vb4"]["thread_url"]
    assert page.posts[0].author.url == "https://forums.example.org/member.php?u=812"


# -- walls and layouts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "message"),
    [("walls/vb4-no-permission.html", "vBulletin's login wall"),
     ("walls/vb4-invalid-thread.html", r"vBulletin error page \(.*Invalid Thread specified"),
     ("walls/vb3-invalid-thread.html", r"vBulletin error page \(موضوع غير صحيح")],
)
def test_vbulletin_walls_are_recognised(file: str, message: str) -> None:
    with pytest.raises(AccessBlocked, match=message):
        VBulletin().parse_page(html(file), "https://forums.example.org/showthread.php?t=4533")


def test_an_anti_bot_challenge_is_a_wall() -> None:
    source = ("<html><head><title>Just a moment...</title></head><body>"
              '<div id="cf-browser-verification"></div></body></html>')
    with pytest.raises(AccessBlocked, match="anti-bot challenge"):
        VBulletin().parse_page(source, THREADS["vb4"]["thread_url"])


@pytest.mark.parametrize(
    ("file", "markup", "changed"),
    [("vb4-page-1.html", 'class="postbitlegacy postbitim postcontainer old"', 'class="post"'),
     ("vb3-rtl-page-1.html", 'id="post_message_', 'id="message_')],
)
def test_a_thread_page_whose_posts_are_unreadable_is_a_layout_change_not_a_wall(
        file: str, markup: str, changed: str) -> None:
    # Guest pages carry the navbar's login form: it must not make the page a login wall.
    source = html(file).replace(markup, changed)
    with pytest.raises(LayoutChanged, match="found no readable posts"):
        VBulletin().parse_page(source, THREADS["vb4"]["thread_url"])


def test_a_page_of_another_engine_is_a_layout_error() -> None:
    with pytest.raises(LayoutChanged, match="not a vBulletin thread page"):
        VBulletin().parse_page("<html><body><p>Hello</p></body></html>",
                               THREADS["vb4"]["thread_url"])


# -- mangled numbers, dates, detection -------------------------------------------------------


def test_mangled_numbers_do_not_crash() -> None:
    source = html("vb4-page-1.html")
    for count, superscript in (("1", "¹"), ("2", "²"), ("3", "³")):
        source = source.replace(f'class="postcounter">#{count}</a>',
                                f'class="postcounter">#{superscript}</a>')
        source = source.replace(f'name="{count}"></a>', f'name="{superscript}"></a>')
    source = source.replace('title="Results 1 to 3 of 5">1</a>', 'title="Results">¹</a>')
    source = source.replace("Page 1 of 2", "Page ¹ of ²").replace(
        'title="Show results 4 to 5 of 5">2</a>', 'title="Show results">²</a>')
    source = source.replace("<dd>1,148</dd>", "<dd>١٬١٤٨</dd>")
    source = source.replace("11-24-2021,&nbsp;<span class=\"time\">11:05 AM",
                            "١١-٢٤-٢٠٢١,&nbsp;<span class=\"time\">١١:٠٥ ص")
    page = VBulletin().parse_page(source, THREADS["vb4"]["thread_url"])
    assert [p.position for p in page.posts] == [1, 2, 3]  # no number readable: derived
    assert (page.page_number, page.last_page) == (1, 2)  # from the URL and the other links
    assert page.posts[0].author.message_count is None
    assert page.posts[1].published_text == "١١-٢٤-٢٠٢١, ١١:٠٥ ص"


def test_positions_follow_a_readable_neighbour() -> None:
    source = html("vb4-page-2.html").replace('class="postcounter">#4</a>',
                                             'class="postcounter">#⁴</a>')
    source = source.replace('name="4"></a>', 'name="x"></a>')
    page = VBulletin().parse_page(source, THREADS["vb4"]["pages"][1]["url"])
    assert [p.position for p in page.posts] == [4, 5]


@pytest.mark.parametrize(
    ("footer", "published"),
    [("All times are GMT -5. The time now is", "2021-11-24T10:42:00-05:00"),
     ("All times are GMT +5.5. The time now is", "2021-11-24T10:42:00+05:30"),
     ("All times are GMT. The time now is", "2021-11-24T10:42:00+00:00"),
     ("The time now is", "2021-11-24T10:42:00")],
    ids=["minus-5", "plus-5.5", "gmt", "zone-unknown"],
)
def test_times_carry_the_offset_the_footer_states(footer: str, published: str) -> None:
    source = html("vb4-page-1.html").replace("All times are GMT +2. The time now is", footer)
    page = VBulletin().parse_page(source, THREADS["vb4"]["thread_url"])
    assert page.posts[0].published == published


@pytest.mark.parametrize(
    ("fetched_at", "published"),
    [("2021-11-26T09:00:00Z", "2021-11-25T23:02:00+02:00"),
     ("2021-11-26T22:30:00Z", "2021-11-26T23:02:00+02:00"),  # already the 27th at GMT +2
     (None, None)],
    ids=["morning", "late-evening", "no-fetch-time"],
)
def test_yesterday_is_read_against_the_fetch_time_in_the_footers_zone(
        fetched_at: str | None, published: str | None) -> None:
    want = THREADS["vb4"]["pages"][1]
    page = VBulletin().parse_page(html(want["file"]), want["url"], fetched_at=fetched_at)
    post = next(p for p in page.posts if p.id == "30025")
    assert (post.published, post.published_text) == (published, "Yesterday, 11:02 PM")


def test_day_first_boards_pass_their_date_format() -> None:
    source = html("vb4-page-1.html").replace("11-24-2021,&nbsp;", "05-11-2021,&nbsp;", 1)
    url = THREADS["vb4"]["thread_url"]
    assert VBulletin().parse_page(source, url).posts[0].published == "2021-05-11T10:42:00+02:00"
    day_first = VBulletin(date_formats=("d-m-Y, h:i A",))
    assert day_first.parse_page(source, url).posts[0].published == "2021-11-05T10:42:00+02:00"


@pytest.mark.parametrize(
    ("file", "markers"),
    [("vb4-page-1.html", {"meta-generator", "js-SESSIONURL", "js-vb_disable_ajax",
                          "clientscript", "postbit-class", "post-message-id", "html-id"}),
     ("vb3-rtl-page-1.html", {"meta-generator", "js-SESSIONURL", "js-vb_disable_ajax",
                              "clientscript", "post-message-id"}),
     ("walls/vb4-invalid-thread.html", {"meta-generator", "js-SESSIONURL",
                                        "js-vb_disable_ajax", "clientscript", "html-id"})],
)
def test_detection_markers(file: str, markers: set[str]) -> None:
    assert set(detection_markers(html(file))) == markers


def test_detection_markers_of_other_pages() -> None:
    assert detection_markers("<html><body><p>Hello</p></body></html>") == []
    assert detection_markers('<script>document.cookie = "bblastvisit=1"</script>') == [
        "cookie-prefix-bb"]
    phpbb = (Path(__file__).parent / "fixtures" / "xenforo_demo_expected.json").read_text()
    assert detection_markers(phpbb) == []
