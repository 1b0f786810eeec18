"""The NodeBB engine on fixture API answers shaped as NodeBB's read API answers (no server).

`tests/fixtures/nodebb/README.md` says where each answer's shape comes from; `expected.json`
is the hand-written truth every post below is compared with.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scraper.engines import detect, engines_claiming
from scraper.engines.base import Reading, Response
from scraper.engines.nodebb import NodeBB, api_page_url
from scraper.errors import LayoutChanged, UnsupportedUrl

FIXTURES = Path(__file__).parent / "fixtures" / "nodebb"
TRUTH: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text("utf-8"))
ORIGIN = TRUTH["served_at"]
SLUG = TRUTH["thread_url"].removeprefix(f"{ORIGIN}/topic/")


def answer(number: int) -> str:
    return (FIXTURES / TRUTH["pages"][number - 1]["file"]).read_text("utf-8")


def read(text: str, url: str, cursor: dict[str, Any] | None = None) -> Reading:
    return NodeBB().read(Response(url=url, final_url=url, status=200, text=text), cursor)


def instant(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


@cache
def reading(number: int) -> Reading:
    cursor = reading(number - 1).cursor if number > 1 else None
    return read(answer(number), TRUTH["pages"][number - 1]["url"], cursor)


@pytest.mark.parametrize("number", [1, 2])
def test_page(number: int) -> None:
    want, got = TRUTH["pages"][number - 1], reading(number)
    assert got.page.page_number == want["number"]
    assert got.page.next_url == want["next_url"]
    assert got.page.last_page == len(TRUTH["pages"])
    assert got.complete == (number == len(TRUTH["pages"]))
    thread = got.page.thread
    assert (thread.id, thread.url, thread.title) == (TRUTH["topic_id"], TRUTH["thread_url"],
                                                      TRUTH["title"])
    assert [p.id for p in got.page.posts] == [p["id"] for p in TRUTH["posts"]
                                              if p["page"] == number]


@pytest.mark.parametrize("want", TRUTH["posts"], ids=lambda p: f"post-{p['id']}")
def test_post(want: dict[str, Any]) -> None:
    post = next(p for p in reading(want["page"]).page.posts if p.id == want["id"])
    assert post.position == want["position"]
    assert post.author.name == want["author"]
    assert post.author.member_id == want["member_id"]
    assert post.author.url == want["profile_url"]
    assert post.author.avatar_url == want["avatar_url"]
    assert instant(post.published) == instant(want["published"])  # milliseconds kept
    assert post.published_text == want["published_text"]
    assert instant(post.edited) == instant(want["edited"])
    assert [q.post_id for q in post.quotes] == want["quotes"]
    assert want["snippet"] in post.content_text
    assert [(a.url, a.filename, a.kind) for a in post.assets] == [
        (a["url"], a["filename"], "attachment") for a in want["attachments"]]
    for board_markup in ("plugin-mentions", "said in", "img-markdown", "emoji", 'class=" '):
        assert board_markup not in post.content_html, board_markup


def test_deleted_posts_are_left_out() -> None:
    read_ids = {p.id for n in (1, 2) for p in reading(n).page.posts}
    assert not read_ids & set(TRUTH["deleted"])
    assert "[[topic:post_is_deleted]]" in answer(2)


def test_the_quote_paragraph_names_the_post_and_is_dropped() -> None:
    post = next(p for p in reading(1).page.posts if p.id == "533")
    assert [(q.author, q.post_id) for q in post.quotes] == [("Said-Benali", "530")]
    assert post.content_html.startswith('<blockquote class="fm-quote" data-author="Said-Benali"'
                                        ' data-post-id="530">')
    assert post.content_text.endswith("🤝")  # the emoji image is its character


def test_the_html_page_is_read_from_its_ajaxify_data() -> None:
    html = (FIXTURES / TRUTH["html_page"]["file"]).read_text("utf-8")
    url = TRUTH["html_page"]["url"]
    assert NodeBB.markers(html) == ["ajaxify-data", "nodebb body class", "nodebb config"]
    # Invision claims the URL shape too: the page decides.
    assert [e.name for e in engines_claiming(url)] == ["invision", "nodebb"]
    assert detect(html, url, engines_claiming(url)).name == "nodebb"
    got = read(html, url)
    assert [p.id for p in got.page.posts] == [p.id for p in reading(1).page.posts]
    assert got.page.next_url == TRUTH["pages"][0]["next_url"]


def test_a_recheck_asks_for_the_last_page_read() -> None:
    start = NodeBB().recheck_request(reading(2).cursor)
    assert (start.url, start.page) == (TRUTH["pages"][1]["url"], 2)


@pytest.mark.parametrize("url", NodeBB.examples)
def test_every_url_form_names_the_topic(url: str) -> None:
    engine = NodeBB()
    assert engine.thread_id(url) == "123"
    root = "https://forum.example/forum" if "/forum/topic/" in url else "https://forum.example"
    want = (f"{root}/topic/123" if url.endswith("/topic/123")
            else api_page_url(root, "123/some-title", 1))
    assert engine.first_page_url(url) == want


def test_post_urls_and_refusals() -> None:
    engine = NodeBB()
    assert engine.post_url(TRUTH["pages"][1]["url"], "537") == f"{ORIGIN}/post/537"
    assert engine.post_url(f"{ORIGIN}/forum/topic/{SLUG}", "1") == f"{ORIGIN}/forum/post/1"
    for url in ("https://forum.example/topic/abc", "https://forum.example/topics/123/x"):
        assert not NodeBB.matches(url)
        with pytest.raises(UnsupportedUrl):
            engine.thread_id(url)
        assert engine.first_page_url(url) == url  # a page told by its markers: read as is


def test_answers_that_are_not_a_topic_fail_loudly() -> None:
    url = TRUTH["pages"][0]["url"]
    document = json.loads(answer(1))
    for text in ('"/topic/53/slug"', "{}", json.dumps({**document, "posts": []}),
                 json.dumps({**document, "slug": "54/other"}),
                 json.dumps({**document, "posts": [{"pid": "x", "index": 0}]}),
                 '<html><body><script id="ajaxify-data" type="application/json">{oops'
                 "</script></body></html>"):
        with pytest.raises(LayoutChanged):
            read(text, url)
