"""The phpBB engine on a real phpBB 3.3.15 topic (3 pages, 9 posts) and on markup of other versions.

The fixture's truth table (`expected.json`) comes from the board's database, not from the
HTML; every field of it that a page shows is compared here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scraper.engines.phpbb import PhpBB, canonical_thread_url
from scraper.errors import AccessBlocked, LayoutChanged
from scraper.records import ParsedPage

FIXTURE = Path(__file__).parent / "fixtures" / "phpbb-3.3"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text("utf-8"))
BOARD = EXPECTED["served_at"]
PAGE_URLS = [BOARD + path for path in EXPECTED["page_urls"]]
MARKUP = Path(__file__).parent / "fixtures" / "phpbb-markup"
SID = re.compile(r"[?&;]sid=")
SID_VALUE = "d8c2fe31ec8b3b69464232f8451879f1"


def page_html(number: int) -> str:
    return (FIXTURE / f"page-{number}.html").read_text("utf-8")


def markup(name: str, **values: str) -> str:
    """A hand-written page from `phpbb-markup/` (phpBB's own templates), placeholders filled."""
    text = (MARKUP / name).read_text("utf-8")
    for key, value in {"sid": SID_VALUE, **values}.items():
        text = text.replace("{" + key + "}", value)
    return text


def parse(number: int, url: str | None = None) -> ParsedPage:
    return PhpBB().parse_page(page_html(number), url or PAGE_URLS[number - 1])


# -- the real topic, page by page ------------------------------------------------------------

PAGES = [pytest.param(n, id=f"page-{n}") for n in range(1, EXPECTED["pages"] + 1)]


@pytest.mark.parametrize("number", PAGES)
def test_page_matches_the_database(number: int) -> None:
    page = parse(number)
    want = [p for p in EXPECTED["posts"] if p["page"] == number]

    assert page.thread.id == str(EXPECTED["topic_id"])
    assert page.thread.title == EXPECTED["thread_title"]
    assert page.thread.url == f"{BOARD}/viewtopic.php?t={EXPECTED['topic_id']}"
    assert page.thread.language == "ar"
    assert [link.title for link in page.thread.breadcrumb] == [
        "Board index", "Your first category", "Your first forum"]
    assert page.thread.breadcrumb[-1].url == f"{BOARD}/viewforum.php?f={EXPECTED['forum_id']}"
    assert page.page_number == number
    assert page.last_page == EXPECTED["pages"]
    assert page.next_url == (PAGE_URLS[number] if number < EXPECTED["pages"] else None)

    assert [(p.id, p.position) for p in page.posts] == [
        (str(e["post_id"]), e["position"]) for e in want]
    for post, expected in zip(page.posts, want, strict=True):
        label = f"post {expected['post_id']}"
        assert post.author.name == expected["author"], label
        assert post.author.member_id == str(expected["author_id"]), label
        assert post.author.url == (
            f"{BOARD}/memberlist.php?mode=viewprofile&u={expected['author_id']}"), label
        assert post.author.avatar_url is None, label  # no user here uploaded one
        assert post.published == expected["time_datetime_attr"], label
        assert post.published_text == expected["time_display"], label
        assert (post.edited is not None) == expected["edited"], label
        assert (post.edited_text, post.edited_by) == ("", ""), label
        assert [q.post_id for q in post.quotes] == (
            [str(expected["quotes_post_id"])] if expected["quotes_post_id"] else []), label
        assert expected["snippet"] in post.content_text, label

        attachments = {a["attach_id"]: a for a in expected["attachments"]}
        assert len(post.assets) == len(attachments), label
        by_id = {int(a.url.rsplit("=", 1)[1]): a for a in post.assets}
        assert sorted(by_id) == sorted(attachments), label
        for attach_id, asset in by_id.items():
            assert asset.url == f"{BOARD}/download/file.php?id={attach_id}", label
            assert asset.filename == attachments[attach_id]["file_name"], label
            assert asset.kind == "attachment", label
        inline = [a["attach_id"] for a in expected["attachments"] if a["inline"]]
        for attach_id in inline:  # inline ones stay where they were, as plain images
            assert f'<img src="{BOARD}/download/file.php?id={attach_id}"' in post.content_html


def test_the_whole_topic_has_every_post_once_in_order() -> None:
    posts = [post for n in range(1, EXPECTED["pages"] + 1) for post in parse(n).posts]
    assert [p.id for p in posts] == [str(e["post_id"]) for e in EXPECTED["posts"]]
    assert [p.position for p in posts] == list(range(1, EXPECTED["post_count"] + 1))


def test_the_same_file_posted_twice_is_an_asset_of_both_posts() -> None:
    posts = {p.id: p for n in (1, 2) for p in parse(n).posts}
    name = "Benny-Gantz-Abdellatif-Loudiyi1.jpg"
    assert [a.url for a in posts["7"].assets if a.filename == name] == [
        f"{BOARD}/download/file.php?id=2"]
    assert [a.url for a in posts["9"].assets if a.filename == name] == [
        f"{BOARD}/download/file.php?id=4"]


@pytest.mark.parametrize("number", PAGES)
def test_no_session_id_or_phpbb_chrome_survives(number: int) -> None:
    page = parse(number)
    urls = [page.next_url or "", page.thread.url, *(link.url for link in page.thread.breadcrumb)]
    for post in page.posts:
        urls += [post.author.url or "", *(a.url for a in post.assets)]
        assert not SID.search(post.content_html), post.id
        for chrome in ("inline-attachment", "postimage", "onclick", "<cite", "<dl", "Reply with"):
            assert chrome not in post.content_html, (post.id, chrome)
    assert not [url for url in urls if SID.search(url)]


def test_formatting_links_and_quotes_in_canonical_form() -> None:
    posts = {p.id: p for n in (1, 2) for p in parse(n).posts}
    bob = posts["4"].content_html
    assert "<strong" in bob and "<em" in bob
    assert 'href="https://example.com/harop"' in bob
    quote = posts["6"].content_html
    assert quote.startswith('<blockquote class="fm-quote" data-author="أحمد" data-post-id="5">')
    assert "wrote:" not in quote and "Nov 24, 2021" not in quote
    assert posts["6"].quotes[0].author == "أحمد"
    assert "@gantzbe" in posts["5"].content_text  # the tweet is plain text on this board


def test_a_post_permalink_page_reads_its_topic_from_the_page() -> None:
    page = parse(2, f"{BOARD}/viewtopic.php?p=6#p6")
    assert page.thread.id == "2"
    assert page.thread.url == f"{BOARD}/viewtopic.php?t=2"
    assert [p.position for p in page.posts] == [5, 6, 7, 8]  # canonical link's start=4
    assert page.next_url == PAGE_URLS[2]


# -- URLs ------------------------------------------------------------------------------------

TOPIC_FORMS = [
    "https://forum.example/phpBB3/viewtopic.php?t=123",
    f"https://forum.example/phpBB3/viewtopic.php?t=123&sid={SID_VALUE}",
    f"https://forum.example/phpBB3/viewtopic.php?sid={SID_VALUE}&t=123&start=40",
    "https://forum.example/phpBB3/viewtopic.php?t=123&start=20#p456",
    "https://forum.example/phpBB3/viewtopic.php?t=123&highlight=drone+harop",
    "https://forum.example/phpBB3/viewtopic.php?t=123&sk=t&sd=d&st=0",
    "https://forum.example/phpBB3/viewtopic.php?t=123&view=print",
    "https://forum.example/phpBB3/viewtopic.php?t=123&view=unread#unread",
    "https://FORUM.example/phpBB3/viewtopic.php?t=123&amp;start=20",
    "https://forum.example/phpBB3/viewtopic.php?start=20&t=123&hilit=x",
]
FORUM_TOPIC_FORMS = [
    "https://forum.example/phpBB3/viewtopic.php?f=7&t=123",
    "https://forum.example/phpBB3/viewtopic.php?t=123&f=7&start=60",
    f"https://forum.example/phpBB3/viewtopic.php?f=7&t=123&sid={SID_VALUE}#p9",
    "https://forum.example/phpBB3/viewtopic.php?f=7&amp;t=123&amp;sk=a",
]


@pytest.mark.parametrize("url", TOPIC_FORMS)
def test_pasted_topic_urls_give_one_canonical_url(url: str) -> None:
    engine = PhpBB()
    assert canonical_thread_url(url) == "https://forum.example/phpBB3/viewtopic.php?t=123"
    assert engine.first_page_url(url) == canonical_thread_url(url)
    assert engine.thread_id(url) == "123"
    assert engine.thread_key(url) == "forum.example-123"


@pytest.mark.parametrize("url", FORUM_TOPIC_FORMS)
def test_the_forum_id_is_kept_and_the_key_ignores_it(url: str) -> None:
    assert canonical_thread_url(url) == "https://forum.example/phpBB3/viewtopic.php?f=7&t=123"
    assert PhpBB().thread_key(url) == "forum.example-123"


def test_a_post_permalink_matches_but_names_no_topic() -> None:
    url = f"https://forum.example/viewtopic.php?p=456&sid={SID_VALUE}#p456"
    engine = PhpBB()
    assert engine.matches(url)
    assert canonical_thread_url(url) == "https://forum.example/viewtopic.php?p=456"
    with pytest.raises(ValueError, match="parse_page"):
        engine.thread_id(url)


@pytest.mark.parametrize("url", PhpBB.examples)
def test_the_engine_examples_are_topic_urls(url: str) -> None:
    assert PhpBB.matches(url)


@pytest.mark.parametrize("url", [
    "https://forum.example/viewforum.php?f=2",
    "https://forum.example/memberlist.php?mode=viewprofile&u=2",
    "https://forum.example/viewtopic.php?start=20",
    "https://forum.example/viewtopic.php?st=1",
    "https://forum.example/threads/some-title.123/",
])
def test_other_board_urls_are_not_topics(url: str) -> None:
    assert not PhpBB.matches(url)


# -- walls -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("html", "kind"), [
    (markup("login-3.3.html"), "login wall.*registered and logged in"),
    (markup("message-3.3.html", text="The requested topic does not exist."),
     "error page.*topic does not exist"),
    (markup("message-3.3.html", text="You are not authorised to read this forum."),
     "error page.*not authorised"),
    (markup("message-subsilver2.html"), "topic does not exist"),
    ("<html><head><title>Just a moment...</title></head><body>"
     '<div id="cf-browser-verification"></div></body></html>', "anti-bot challenge"),
], ids=["login", "no-topic", "no-permission", "subsilver2-message", "cloudflare"])
def test_walls_are_recognised(html: str, kind: str) -> None:
    with pytest.raises(AccessBlocked, match=kind):
        PhpBB().parse_page(html, "https://forum.example/viewtopic.php?t=2")


def test_a_phpbb_page_without_posts_is_a_layout_change() -> None:
    html = re.sub(r'<div id="p2" .*(?=<div class="action-bar bar-bottom">)', "", page_html(1),
                  flags=re.S)
    assert 'class="post ' not in html
    with pytest.raises(LayoutChanged, match="found no posts"):
        PhpBB().parse_page(html, "https://forum.example/viewtopic.php?t=2")


def test_a_page_of_another_engine_is_not_phpbb() -> None:
    with pytest.raises(LayoutChanged, match="not a phpBB page"):
        PhpBB().parse_page("<html><body><p>Hello</p></body></html>",
                           "https://forum.example/viewtopic.php?t=2")


# -- mangled numbers, edits, content ---------------------------------------------------------


def test_superscript_numbers_do_not_crash() -> None:
    html = page_html(2)
    html = html.replace('role="button">3</a>', 'role="button">³</a>')
    html = html.replace('<li class="active"><span>2</span>', '<li class="active"><span>²</span>')
    html = html.replace("u=59&amp;", "u=⁵⁹&amp;")
    html = html.replace("sr=posts&amp;sid=d8c2fe31ec8b3b69464232f8451879f1\">3<",
                        "sr=posts&amp;sid=d8c2fe31ec8b3b69464232f8451879f1\">³<")
    html = html.replace("file.php?id=3&amp;", "file.php?id=³&amp;")
    html = html.replace("t=2&amp;start=4\">", "t=2&amp;start=⁴\">")  # the canonical link
    page = PhpBB().parse_page(html, f"{BOARD}/viewtopic.php?t=2&start=4")
    assert [p.id for p in page.posts] == ["6", "7", "8", "9"]
    fatima = page.posts[0].author
    assert (fatima.member_id, fatima.message_count) == (None, None)
    assert [a.filename for a in page.posts[1].assets] == ["Benny-Gantz-Abdellatif-Loudiyi1.jpg"]
    assert page.posts[0].position == 5  # from the URL's start= when the canonical one is unreadable


def test_an_unreadable_post_id_is_a_layout_change_not_a_crash() -> None:
    html = page_html(2).replace('<div id="p7" ', '<div id="p⁷" ')
    with pytest.raises(LayoutChanged, match="has no id"):
        PhpBB().parse_page(html, PAGE_URLS[1])


def test_an_edit_notice_gives_time_text_and_editor() -> None:
    end_of_post_8 = "بين الرباط وتل أبيب.</div>"
    html = page_html(2).replace(end_of_post_8, end_of_post_8 + markup("edit-notice-3.3.html"), 1)
    post = next(p for p in PhpBB().parse_page(html, PAGE_URLS[1]).posts if p.id == "8")
    assert (post.edited, post.edited_text, post.edited_by) == (  # the footer's zone: UTC
        "2021-11-24T19:30:00+00:00", "Wed Nov 24, 2021 7:30 pm", "admin")
    assert "Last edited" not in post.content_text


def test_quotes_code_spoilers_attachments_and_embeds_become_canonical() -> None:
    body = "من المرتقب ان يلتقي غذا وزير الأمن الإسرائيلي"
    html = page_html(1).replace(body, markup("rich-post-body-3.3.html") + body, 1)
    post = PhpBB().parse_page(html, PAGE_URLS[0]).posts[1]
    content = post.content_html
    assert [(q.author, q.post_id) for q in post.quotes] == [
        ("فاطمة", "3"), ("", None), ("Old Timer", None)]
    assert content.count('class="fm-quote"') == 3
    uncited = '<blockquote class="fm-quote" data-author="" data-post-id="">'
    assert f'{uncited}<div class="fm-quote-body">inner words</div></blockquote>outer' in content
    assert '<pre class="fm-code"><code>if a &lt; b:\n    print("x")</code></pre>' in content
    assert '<pre class="fm-code"><code>line one\nline two</code></pre>' in content
    assert ('<details class="fm-spoiler"><summary>Show Spoiler</summary>the twist</details>'
            in content)
    assert [(a.url, a.filename, a.kind, a.thumbnail_url) for a in post.assets] == [
        (f"{BOARD}/download/file.php?id=12", "big photo.jpg", "attachment",
         f"{BOARD}/download/file.php?id=12&t=1"),
        (f"{BOARD}/download/file.php?id=13", "notes.zip", "attachment", None),
        ("https://images.example/pic.png", "pic.png", "image", None),
    ]
    assert f'<img src="{BOARD}/download/file.php?id=12" alt="big photo.jpg">' in content
    assert f'<a href="{BOARD}/download/file.php?id=13">notes.zip</a>' in content
    assert [(e.kind, e.url) for e in post.embeds] == [
        ("video", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("tweet", "https://twitter.com/i/status/1463541436390436864"),
    ]
    assert re.findall(r'data-embed-index="(\d)"', content) == ["0", "1"]
    for gone in ("<iframe", "ytimg", "Select all", "onclick", "<cite", "wrote:", "sid="):
        assert gone not in content, gone
    assert "the twist" in post.content_text and "outer words" in post.content_text


# -- other phpBB versions and styles (markup from their templates) ---------------------------


def test_prosilver_30_without_time_elements() -> None:
    posts = "".join(markup("prosilver-3.0-post.html", id=str(i), date=d) for i, d in (
        (51, "Wed Nov 24, 2021 8:12 am"), (52, "Thu Nov 25, 2021 11:05 pm")))
    url = "https://old.example/viewtopic.php?f=2&t=5&start=10"
    page = PhpBB().parse_page(markup("prosilver-3.0-page.html", posts=posts), url)
    assert (page.thread.id, page.thread.title) == ("5", "Old topic")
    assert page.thread.url == "https://old.example/viewtopic.php?f=2&t=5"
    assert (page.page_number, page.last_page) == (2, 3)
    assert page.next_url == "https://old.example/viewtopic.php?f=2&t=5&start=20"
    first, second = page.posts
    assert [(p.id, p.position) for p in page.posts] == [("51", 11), ("52", 12)]
    assert (first.published, first.published_text) == (
        "2021-11-24T08:12:00", "Wed Nov 24, 2021 8:12 am")  # naive: the zone is not on the page
    assert second.published == "2021-11-25T23:05:00"
    assert (first.author.name, first.author.member_id) == ("old_user", "7")
    assert first.author.avatar_url == "https://old.example/download/file.php?avatar=7_1234.png"
    assert first.content_text == "text of 51"  # no signature


def test_subsilver2_tables() -> None:
    html = ('<html dir="ltr" lang="en-gb"><head><title>Board &bull; View topic - Classic</title>'
            '</head><body class="ltr"><div id="pagecontent">'
            '<h2><a class="titles" href="./viewtopic.php?f=2&amp;t=8">Classic</a></h2>'
            + markup("subsilver2-post.html", id="81", date="Wed Nov 24, 2021 3:02 pm")
            + "</div></body></html>")
    page = PhpBB().parse_page(html, "https://classic.example/viewtopic.php?t=8")
    assert (page.thread.title, page.page_number, page.last_page, page.next_url) == (
        "Classic", 1, 1, None)
    (post,) = page.posts
    assert (post.id, post.position, post.author.name, post.author.member_id) == (
        "81", 1, "veteran", "2")
    assert (post.author.joined, post.author.message_count) == (None, None)  # plain text there
    assert (post.published, post.published_text) == (
        "2021-11-24T15:02:00", "Wed Nov 24, 2021 3:02 pm")
    assert post.content_text == "classic text 81"
    assert [(a.url, a.filename) for a in post.assets] == [
        ("https://classic.example/download/file.php?id=9", "manual.pdf")]


def test_subsilver2_pagination() -> None:
    html = ('<html dir="ltr" lang="en-gb"><head><title>Board &bull; View topic - Classic</title>'
            '</head><body class="ltr"><div id="pagecontent">'
            '<h2><a class="titles" href="./viewtopic.php?f=2&amp;t=8">Classic</a></h2>'
            + markup("subsilver2-pagination.html")
            + markup("subsilver2-post.html", id="91", date="Thu Nov 25, 2021 7:00 am")
            + markup("subsilver2-pagination.html") + "</div></body></html>")
    page = PhpBB().parse_page(html, "https://classic.example/viewtopic.php?f=2&t=8&start=10")
    assert (page.page_number, page.last_page) == (2, 3)
    assert page.next_url == "https://classic.example/viewtopic.php?f=2&t=8&start=20"
    assert page.posts[0].position == 11


# -- the board's zone and the fetch time -------------------------------------------------------


@pytest.mark.parametrize(
    ("footer", "edited"),
    [('All times are <span title="UTC">UTC</span>', "2021-11-24T19:30:00+00:00"),
     ('All times are <span title="Europe/Paris">UTC+01:00</span>', "2021-11-24T19:30:00+01:00"),
     ("", "2021-11-24T19:30:00")],
    ids=["utc", "named-zone", "zone-unknown"],
)
def test_shown_times_carry_the_zone_the_footer_states(footer: str, edited: str) -> None:
    end_of_post_8 = "بين الرباط وتل أبيب.</div>"
    html = page_html(2).replace(end_of_post_8, end_of_post_8 + markup("edit-notice-3.3.html"), 1)
    html = html.replace('All times are <span title="UTC">UTC</span>', footer)
    post = next(p for p in PhpBB().parse_page(html, PAGE_URLS[1]).posts if p.id == "8")
    assert post.edited == edited
    assert post.published == "2021-11-24T18:12:00+00:00"  # <time datetime> wins


def test_prosilver_30_footer_zone_and_relative_dates() -> None:
    """3.0 states its zone in words ("UTC + 1 hour"); "Today" is read against the fetch time."""
    posts = "".join(markup("prosilver-3.0-post.html", id=str(i), date=d) for i, d in (
        (51, "Wed Nov 24, 2021 8:12 am"), (52, "Today, 10:42 am")))
    footer = '<div id="page-footer"><ul><li class="rightside">All times are UTC + 1 hour </li>'
    html = markup("prosilver-3.0-page.html", posts=posts).replace(
        "</body>", footer + "</ul></div></body>")
    url = "https://old.example/viewtopic.php?f=2&t=5&start=10"
    first, second = PhpBB().parse_page(html, url, fetched_at="2021-11-25T23:30:00Z").posts
    assert first.published == "2021-11-24T08:12:00+01:00"
    assert second.published == "2021-11-26T10:42:00+01:00"  # already the 26th at UTC+1
