"""vBulletin 5, Vanilla and WoltLab: each fixture page read to its truth table (expected.json),
every URL form routed, vBulletin 3/4 and 5 told apart by URL and by page, the markup variants
the fixtures do not carry, walls, and the cost of re-checking an unchanged thread."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scraper.cli import main
from scraper.engines import detect, engine_named, engines_claiming
from scraper.engines.base import Engine, Response
from scraper.errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from scraper.records import ParsedPage

from .fixture_board import BOARDS, FIXTURES, FixtureBoard, expected

ENGINES = ("vbulletin5", "vanilla", "woltlab")
FETCHED_AT = "2021-12-01T08:00:00+00:00"
NEUTRAL_URL = "http://127.0.0.1:1/neutral"


def page_html(engine: str, number: int) -> str:
    return (FIXTURES / engine / f"page-{number}.html").read_text("utf-8")


def read(engine: str, number: int) -> ParsedPage:
    page = expected(engine)["pages"][number - 1]
    return engine_named(engine).parse_page(page_html(engine, number), page["url"], FETCHED_AT)


PAGES = [(engine, n) for engine in ENGINES for n in (1, 2)]


@pytest.mark.parametrize(("engine", "number"), PAGES, ids=[f"{e}-{n}" for e, n in PAGES])
def test_every_page_reads_as_its_truth_table(engine: str, number: int) -> None:
    truth = expected(engine)
    parsed = read(engine, number)
    thread = parsed.thread
    assert (thread.id, thread.title, thread.url, thread.language) == (
        truth["thread_id"], truth["title"], truth["thread_url"], truth["language"])
    assert [[link.title, link.url] for link in thread.breadcrumb] == truth["breadcrumb"]
    page = truth["pages"][number - 1]
    assert (parsed.page_number, parsed.last_page, parsed.next_url) == (
        page["number"], page["last_page"], page["next_url"])
    wants = [p for p in truth["posts"] if p["page"] == number]
    assert [p.id for p in parsed.posts] == [w["id"] for w in wants]
    for post, want in zip(parsed.posts, wants, strict=True):
        check_post(post, want)


def check_post(post: Any, want: dict[str, Any]) -> None:
    label = f"post {want['id']}"
    assert post.position == want["position"], label
    author = post.author
    assert (author.name, author.member_id, author.url, author.message_count) == (
        want["author"], want["member_id"], want["profile"], want["message_count"]), label
    assert (post.published, post.published_text) == (want["published"],
                                                     want["published_text"]), label
    assert post.edited == want["edited"], label
    assert post.edited_by == want.get("edited_by", ""), label
    assert [[q.author, q.post_id] for q in post.quotes] == want["quotes"], label
    assert want["snippet"] in post.content_text, label
    assert [{"url": a.url, "filename": a.filename, "kind": a.kind} for a in post.assets] == (
        want["assets"]), label
    # Only the canonical form is left: no class of the board's, quotes as fm-quote.
    assert all(c.startswith("fm-") for c in re.findall(r'class="([^"]*)"', post.content_html)
               for c in c.split()), label
    assert post.content_html.count('class="fm-quote"') == len(want["quotes"]), label


@pytest.mark.parametrize(("engine", "number"), PAGES, ids=[f"{e}-{n}" for e, n in PAGES])
def test_the_raw_page_guess_of_the_next_request_is_the_reading_s(engine: str, number: int
                                                                 ) -> None:
    reader = engine_named(engine)
    url = expected(engine)["pages"][number - 1]["url"]
    response = Response(url, url, 200, page_html(engine, number))
    reading = reader.read(response, None if number == 1 else {"started_at": 1})
    assert reader.next_request(response, None) == reading.next
    assert (reading.next is None) == (number == 2)


ROUTES = [
    ("vbulletin5", "https://forum.example/forum/general/123-some-title", "123",
     "https://forum.example/forum/general/123-some-title"),
    ("vbulletin5", "https://forum.example/forum/general/news/123-some-title/page3#post456", "123",
     "https://forum.example/forum/general/news/123-some-title"),
    ("vbulletin5", "https://forum.example/forum/general/123-some-title?p=456#post456", "123",
     "https://forum.example/forum/general/123-some-title"),
    ("vbulletin5", "https://forum.example/community/forum/general/123-some-title/", "123",
     "https://forum.example/community/forum/general/123-some-title"),
    ("vanilla", "https://forum.example/discussion/123/some-title/p2", "123",
     "https://forum.example/discussion/123/some-title"),
    ("vanilla", "https://forum.example/forum/discussion/123/some-title/p3#Item_40", "123",
     "https://forum.example/forum/discussion/123/some-title"),
    ("vanilla", "https://forum.example/discussion/123", "123",
     "https://forum.example/discussion/123"),
    ("woltlab", "https://forum.example/thread/123-some-title/?pageNo=2", "123",
     "https://forum.example/thread/123-some-title/"),
    ("woltlab", "https://forum.example/forum/thread/123-some-title/?postID=456#post456", "123",
     "https://forum.example/forum/thread/123-some-title/"),
    ("woltlab", "https://forum.example/forum/index.php?thread/123-some-title/&pageNo=3", "123",
     "https://forum.example/forum/index.php?thread/123-some-title/"),
]


@pytest.mark.parametrize(("engine", "url", "thread_id", "first_page"), ROUTES,
                         ids=[url for _, url, _, _ in ROUTES])
def test_every_url_form_names_its_thread_and_first_page(engine: str, url: str, thread_id: str,
                                                        first_page: str) -> None:
    (claiming,) = engines_claiming(url)
    assert claiming.name == engine
    assert claiming.thread_id(url) == thread_id
    assert claiming.first_page_url(url) == first_page
    assert claiming.thread_key(url) == claiming.thread_key(first_page)


def test_a_vanilla_comment_permalink_names_no_discussion() -> None:
    vanilla = engine_named("vanilla")
    url = "https://forum.example/discussion/comment/456#Comment_456"
    assert vanilla.matches(url)
    with pytest.raises(UnsupportedUrl, match="comment permalink"):
        vanilla.thread_id(url)
    assert vanilla.first_page_url(url) == "https://forum.example/discussion/comment/456"


@pytest.mark.parametrize(("url", "engine"), [
    ("https://forum.example/forum/general/123-some-title", "vbulletin5"),
    ("https://forum.example/forum/threads/123-some-title/page2", "vbulletin"),
    ("https://forum.example/threads/123-some-title", "vbulletin"),
    ("https://forum.example/forum/showthread.php?t=123", "vbulletin"),
    ("https://forum.example/forum/thread/123-some-title/", "woltlab"),
])
def test_vbulletin_4_and_5_urls_go_to_their_own_engine(url: str, engine: str) -> None:
    assert [e.name for e in engines_claiming(url)] == [engine]


def test_vbulletin_5_pages_are_not_vbulletin_4_pages_and_back() -> None:
    vb5 = page_html("vbulletin5", 1)
    assert engine_named("vbulletin").markers(vb5) == []  # "vBulletin 5.6.9" is not 3/4's
    # vBulletin 5 sets the same bb_ cookies as 3/4: its page still decides.
    assert detect(vb5, NEUTRAL_URL, cookies=["bb_sessionhash", "bb_lastvisit"]).name == (
        "vbulletin5")
    vb4 = (FIXTURES / "vbulletin" / "vb4-page-1.html").read_text("utf-8")
    assert engine_named("vbulletin5").markers(vb4) == []
    assert detect(vb4, NEUTRAL_URL).name == "vbulletin"
    with pytest.raises((LayoutChanged, AccessBlocked)):  # its guest login box: a wall to vB5
        engine_named("vbulletin5").parse_page(vb4, "https://forums.example.org/forum/x/1-y")


def test_vbulletin_5_without_the_unix_time_reads_the_naive_datetime() -> None:
    html = page_html("vbulletin5", 2).replace(' data-node-publishdate="1637837400"', "")
    parsed = engine_named("vbulletin5").parse_page(html, expected("vbulletin5")["pages"][1]["url"])
    assert [p.published for p in parsed.posts] == ["2021-11-25T10:50:00",
                                                   "2021-11-25T11:50:00+00:00"]


def test_vanilla_reads_an_opening_post_listed_as_li() -> None:
    # Themes list the discussion as `li.ItemDiscussion` in a `ul.MessageList`.
    html = page_html("vanilla", 1).replace('<div id="Discussion_418" class="Item ItemDiscussion">',
                                           '<li class="Item ItemDiscussion">', 1)
    parsed = engine_named("vanilla").parse_page(html, expected("vanilla")["thread_url"])
    assert [(p.id, p.position) for p in parsed.posts][:2] == [("d-418", 1), ("1201", 2)]


def test_vanilla_reads_the_opening_post_from_page_1_only() -> None:
    # A theme that repeats the discussion on later pages does not move post d-418 there.
    opening = page_html("vanilla", 1).split('<div id="Discussion_418"', 1)[1].split(
        '<div class="CommentsWrap">', 1)[0]
    html = page_html("vanilla", 2).replace('<div class="CommentsWrap">',
                                           '<div id="Discussion_418"' + opening
                                           + '<div class="CommentsWrap">', 1)
    parsed = engine_named("vanilla").parse_page(html, expected("vanilla")["pages"][1]["url"])
    assert [p.id for p in parsed.posts] == ["1205", "1207"]


def test_woltlab_suite_6_pagination_element() -> None:
    html = re.sub(r'<nav class="pagination"[^>]*>.*?</nav>',
                  '<woltlab-core-pagination page="1" count="4" url="x"></woltlab-core-pagination>',
                  page_html("woltlab", 1), flags=re.S)
    parsed = engine_named("woltlab").parse_page(html, expected("woltlab")["thread_url"])
    assert (parsed.page_number, parsed.last_page) == (1, 4)
    assert parsed.next_url == expected("woltlab")["pages"][0]["next_url"]


LOGIN = ("<html><head><title>Login</title></head><body><form action='/login' method='post'>"
         "<input name='username'><input type='password' name='password'></form></body></html>")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_login_page_is_a_wall_and_an_empty_page_a_layout_error(engine: str) -> None:
    reader: Engine = engine_named(engine)
    url = expected(engine)["thread_url"]
    with pytest.raises(AccessBlocked):
        reader.parse_page(LOGIN, url)
    with pytest.raises(LayoutChanged):
        reader.parse_page("<html><body><p>nothing here</p></body></html>", url)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unchanged_thread_costs_conditional_requests_only(engine: str, tmp_path: Path
                                                             ) -> None:
    """The last page, then the one earlier page an update revisits by default: two 304s."""
    archive = tmp_path / "archive"
    options = ["--archive", str(archive), "--delay", "0", "--max-retries", "0"]
    with FixtureBoard(BOARDS[engine]) as board:
        assert main(["scrape", board.thread_url, *options]) == 0
        before, served = len(board.requests), len(board.served)
        assert main(["update", *options]) == 0
        rechecks = [r for r in board.requests[before:] if r.path != "/robots.txt"]
        assert board.served[served:] == ["page-2.html", "page-1.html"]
    assert [r.path for r in rechecks] == [BOARDS[engine].pages[-1].url,
                                          BOARDS[engine].pages[0].url]
    assert all("if-none-match" in r.headers for r in rechecks)
