"""The Flarum engine on fixture API answers built from Flarum's own serializers (no server).

`tests/fixtures/flarum/README.md` says where each answer's shape comes from; `expected.json`
is the hand-written truth every post below is compared with.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines import detect, engines_claiming
from scraper.engines.base import Reading, Response
from scraper.engines.flarum import Flarum, posts_page_url
from scraper.errors import AccessBlocked, LayoutChanged, UnsupportedUrl

from .api_board import php_json

FIXTURES = Path(__file__).parent / "fixtures" / "flarum"
TRUTH: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text("utf-8"))
ORIGIN = TRUTH["served_at"]


def answer(number: int) -> str:
    return (FIXTURES / TRUTH["pages"][number - 1]["file"]).read_text("utf-8")


def read(text: str, url: str, cursor: dict[str, Any] | None = None) -> Reading:
    return Flarum().read(Response(url=url, final_url=url, status=200, text=text), cursor)


@cache
def reading(number: int) -> Reading:
    """Page `number` as a first scrape reads it (page 2 with page 1's cursor)."""
    cursor = reading(number - 1).cursor if number > 1 else None
    return read(answer(number), TRUTH["pages"][number - 1]["url"], cursor)


@pytest.mark.parametrize("number", [1, 2])
def test_page(number: int) -> None:
    want, got = TRUTH["pages"][number - 1], reading(number)
    assert got.page.page_number == want["number"]
    assert got.page.next_url == want["next_url"]
    assert (got.next.url if got.next else None) == want["next_url"]
    assert got.page.last_page == TRUTH["last_page"]
    assert got.complete == (number == TRUTH["last_page"])
    thread = got.page.thread
    assert (thread.id, thread.url, thread.title) == (TRUTH["discussion_id"], TRUTH["thread_url"],
                                                      TRUTH["title"])
    assert [p.id for p in got.page.posts] == [p["id"] for p in TRUTH["posts"]
                                              if p["page"] == number]


@pytest.mark.parametrize("want", TRUTH["posts"], ids=lambda p: f"post-{p['id']}")
def test_post(want: dict[str, Any]) -> None:
    post = next(p for p in reading(want["page"]).page.posts if p.id == want["id"])
    assert post.position == want["position"] == want["number"]
    assert post.author.name == want["author"]
    assert post.author.member_id == want["member_id"]
    assert post.author.url == want["profile_url"]
    assert post.author.avatar_url == want["avatar_url"]
    assert post.published == want["published"]
    assert post.published_text == want["published_text"]
    assert post.edited == want["edited"]
    assert [q.post_id for q in post.quotes] == want["quotes"]
    assert want["snippet"] in post.content_text
    assert [(a.url, a.filename, a.kind) for a in post.assets] == [
        *((a["url"], a["filename"], "attachment") for a in want["attachments"]),
        *((url, url.rsplit("/", 1)[1], "image") for url in want["hotlinked"])]
    assert [e.url for e in post.embeds] == want["embeds"]
    # The board's markup is gone: mentions, emoji images, the embed's player.
    for board_markup in ("PostMention", "data-id=", "twemoji", "<iframe", "s9e"):
        assert board_markup not in post.content_html, board_markup


def test_quotes_name_the_quoted_post_and_author() -> None:
    post = next(p for p in reading(1).page.posts if p.id == "405")
    assert [(q.author, q.post_id) for q in post.quotes] == [("مراد الفاسي", "401")]
    assert post.content_html.startswith('<blockquote class="fm-quote" data-author="مراد الفاسي" '
                                        'data-post-id="401"><div class="fm-quote-body"><p>يجب')


def test_event_posts_are_recorded_in_the_cursor_never_as_posts() -> None:
    events = {e["id"] for e in TRUTH["events"]}
    assert not events & {p.id for n in (1, 2) for p in reading(n).page.posts}
    assert reading(2).cursor["events"] == TRUTH["events"]
    assert {e["type"] for e in TRUTH["events"]} == {"discussionTagged", "discussionRenamed"}


def test_included_posts_arrive_out_of_order_and_are_read_in_number_order() -> None:
    included = json.loads(answer(1))["included"]
    numbers = [i["attributes"]["number"] for i in included if i["type"] == "posts"]
    assert numbers != sorted(numbers)  # as real answers list them
    positions = [p.position for p in reading(1).page.posts]
    assert positions == sorted(positions)


def test_the_answers_are_php_json_and_read_as_such() -> None:
    text = answer(1)
    assert "\\u003Cp\\u003E" in text and "\\u0645" in text  # <p>, Arabic: all escaped
    assert php_json(json.loads(text)) == text


def test_the_html_page_is_read_from_its_preloaded_document() -> None:
    html = (FIXTURES / "page-1.html").read_text("utf-8")
    url = TRUTH["thread_url"]
    assert Flarum.markers(html) == ["flarum-json-payload", "flarum-loading", "flarum app"]
    assert detect(html, "https://montada.example/somewhere").name == "flarum"
    got = read(html, url)
    assert [p.id for p in got.page.posts] == [p.id for p in reading(1).page.posts]
    assert got.page.thread.url == TRUTH["thread_url"]
    assert got.next is not None and got.next.url == TRUTH["pages"][0]["next_url"]


# -- re-checks: the stream against what was read ----------------------------------------------

def grown(new_ids: list[str]) -> str:
    """Page 1 with `new_ids` appended to the discussion's stream."""
    document = json.loads(answer(1))
    document["data"]["relationships"]["posts"]["data"] += [
        {"type": "posts", "id": post_id} for post_id in new_ids]
    return php_json(document)


def recheck(text: str, also_read: tuple[str, ...] = ()) -> Reading:
    """A re-check's first answer, `text`, read with the cursor of a first scrape (that had
    also read the posts `also_read`)."""
    engine = Flarum()
    cursor = copy.deepcopy(reading(2).cursor)
    cursor["read"] += also_read
    start = engine.recheck_request(cursor)
    assert (start.url, start.page) == (TRUTH["pages"][0]["url"], 1)
    return engine.read(Response(start.url, start.url, 200, text), start.cursor)


def test_an_unchanged_discussion_asks_for_nothing_more() -> None:
    again = recheck(answer(1))
    assert again.next is None
    assert not again.complete  # page 2 was not read again: no post can be called gone
    assert again.cursor["events"] == TRUTH["events"]


def test_a_new_post_is_read_from_the_page_that_holds_it_only() -> None:
    again = recheck(grown(["445"]))
    assert again.next is not None
    assert (again.next.url, again.next.page) == (TRUTH["pages"][1]["url"], 2)
    # Page 2 read in full before (its last 16 posts too), a new post on page 3: page 2 is
    # not asked for again.
    read_before = tuple(str(500 + n) for n in range(16))
    later = recheck(grown([*read_before, "516"]), read_before)
    assert later.next is not None and later.next.page == 3
    assert later.next.url == posts_page_url(ORIGIN, "7", 3)
    assert later.page.last_page == 3


def test_a_page_read_without_cursor_follows_the_api_links() -> None:
    """A resumed run, or a revisit, reads a posts page alone: its number comes from its URL,
    the next one from `links.next`."""
    url = TRUTH["pages"][1]["url"]
    alone = read(answer(2), url)
    assert alone.page.page_number == 2 and alone.next is None and not alone.complete
    document = json.loads(answer(2))
    document["links"]["next"] = posts_page_url(ORIGIN, "7", 3)
    more = read(php_json(document), url)
    assert more.next is not None and more.next.url == posts_page_url(ORIGIN, "7", 3)
    # At a URL that does not name it, the posts name their discussion.
    assert read(answer(2), f"{ORIGIN}/api/posts").page.thread.id == "7"


# -- URLs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", Flarum.examples)
def test_every_url_form_names_the_discussion(url: str) -> None:
    engine = Flarum()
    assert [e.name for e in engines_claiming(url)] == ["flarum"]
    assert engine.thread_id(url) == "123"
    root = "https://forum.example/forum" if "/forum/d/" in url else "https://forum.example"
    assert engine.first_page_url(url) == f"{root}/api/discussions/123"


def test_post_urls_and_refusals() -> None:
    engine = Flarum()
    assert engine.post_url(TRUTH["pages"][1]["url"], "441") == f"{ORIGIN}/api/posts/441"
    for url in ("https://forum.example/d/abc", "https://forum.example/t/123",
                "https://forum.example/d/"):
        assert not Flarum.matches(url)
        with pytest.raises(UnsupportedUrl):
            engine.thread_id(url)
        assert engine.first_page_url(url) == url  # a page told by its markers: read as is


# -- hostile answers --------------------------------------------------------------------------

def test_answers_that_are_not_a_discussion_fail_loudly() -> None:
    url = TRUTH["pages"][0]["url"]
    for text in ("[1, 2]", "{not json", '{"data": {"type": "users", "id": "1"}}',
                 '{"data": {"type": "discussions", "id": "7"}}', "<html><body>x</body></html>"):
        with pytest.raises(LayoutChanged):
            read(text, url)
    broken = copy.deepcopy(json.loads(answer(1)))
    for item in broken["included"]:
        if item["type"] == "posts":
            item["id"] = "x1"
    with pytest.raises(LayoutChanged):
        read(json.dumps(broken), url)
    login = ("<html><head><title>Log in</title></head><body><form>"
             '<input type="password" name="password"></form></body></html>')
    with pytest.raises(AccessBlocked):
        read(login, url)
