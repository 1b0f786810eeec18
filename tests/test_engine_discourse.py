"""The Discourse engine: truth tables over the fixture topics' API answers, then the whole
path over HTTP (tests/discourse_board.py): scrape, build, re-check, a new post, an edit in a
later batch, a 429 with Retry-After, a topic with moved posts."""

from __future__ import annotations

import copy
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.cli import main
from scraper.engines import detect, engine_for_url
from scraper.engines.base import Reading, Request, Response
from scraper.engines.discourse import BATCH_SIZE, Discourse, batch_url
from scraper.errors import AccessBlocked, LayoutChanged

from .discourse_board import (
    FIXTURES,
    SITE,
    DiscourseBoard,
    batch_document,
    expected,
    load_topic,
    topic_document,
)
from .fixture_board import NEW_POST_TEXT

ENGINE = Discourse()
TRUTH = expected()


def answer(url: str, document: dict[str, Any]) -> Response:
    return Response(url=url, final_url=url, status=200, text=json.dumps(document),
                    fetched_at="2021-12-01T00:00:00+00:00")


def read_topic(data: dict[str, Any], start: Request | None = None) -> list[Reading]:
    """Every reading of a run over `data` (a fixture topic), as the scraper chains them."""
    request = start or ENGINE.first_request(f"{SITE}/t/{data['topic']['slug']}/"
                                            f"{data['topic']['id']}")
    readings: list[Reading] = []
    cursor = request.cursor
    while True:
        if request.url.endswith(".json") and "/posts.json" not in request.url:
            document = topic_document(data)
        else:
            ids = [int(i) for i in re.findall(r"post_ids%5B%5D=(\d+)", request.url)]
            document = batch_document(data, ids)
        reading = ENGINE.read(answer(request.url, document), cursor)
        assert reading.page.page_number == request.page
        readings.append(reading)
        if reading.next is None:
            return readings
        request, cursor = reading.next, reading.cursor


# -- URLs and detection ------------------------------------------------------------------------


@pytest.mark.parametrize("url", Discourse.examples)
def test_every_pasted_url_form_names_its_topic(url: str) -> None:
    engine = engine_for_url(url)
    assert engine.name == "discourse"
    assert engine.thread_key(url) == "forum.example-123"
    base = "https://forum.example/forum" if "/forum/t/" in url else "https://forum.example"
    assert engine.first_request(url) == Request(f"{base}/t/123.json", 1)


def test_a_post_number_is_no_slug_and_a_slug_is_no_id() -> None:
    assert ENGINE.thread_id("https://f.example/t/2024/55") == "2024"  # topic 2024, post 55
    assert ENGINE.thread_id("https://f.example/t/year-2024/55") == "55"
    assert not ENGINE.matches("https://f.example/t/some-topic")
    assert not ENGINE.matches("https://f.example/c/some-category/5")


def test_the_saved_first_page_is_the_boards_answer() -> None:
    """page-1.json (read by `benchmarks.engine_parse`) is what the board serves for topic 2144."""
    saved = json.loads((FIXTURES / "page-1.json").read_text("utf-8"))
    assert saved == topic_document(load_topic(2144))


def test_detected_from_its_html_and_from_its_topic_json() -> None:
    html = ('<html><head><meta name="generator" content="Discourse 3.2.0 - '
            'https://github.com/discourse/discourse version 1a2b"></head>'
            '<body class="crawler"><div id="data-preloaded" data-preloaded="{}"></div>')
    assert detect(html, "https://f.example/x").name == "discourse"
    assert ENGINE.markers(html) == ["generator meta", "preloaded data", "crawler body"]
    topic = json.dumps(topic_document(load_topic(2108)))
    assert detect(topic, "https://f.example/x").name == "discourse"


# -- truth tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("topic_id", ["2144", "2108", "77"])
def test_every_post_and_page_is_read_as_the_truth_table_says(topic_id: str) -> None:
    data, truth = load_topic(int(topic_id)), TRUTH["topics"][topic_id]
    readings = read_topic(data)
    assert len(readings) == truth["pages"]
    stream = [p["id"] for p in data["posts"]]
    for number, reading in enumerate(readings, start=1):
        page = reading.page
        assert (page.thread.id, page.thread.title) == (topic_id, truth["title"])
        assert page.thread.url == SITE + truth["url_path"]
        assert (page.page_number, page.last_page) == (number, truth["pages"])
        if number < truth["pages"]:  # the next 20 ids of the stream
            start = 20 * number
            assert page.next_url == batch_url(SITE, topic_id, stream[start:start + 20])
        else:
            assert page.next_url is None
    assert readings[-1].complete
    posts = [post for reading in readings for post in reading.page.posts]
    assert [p.id for p in posts] == [w["id"] for w in truth["posts"]]
    for post, want in zip(posts, truth["posts"], strict=True):
        label = f"post {want['id']}"
        assert post.position == want["position"], label
        assert (post.author.name, post.author.member_id) == (want["author"], want["member_id"])
        assert (post.published, post.published_text) == (want["published"],
                                                          want["published_text"]), label
        assert [q.post_id for q in post.quotes] == want["quotes"], label
        assert want["snippet"] in post.content_text, label
        assert len(post.embeds) == want["embeds"], label
        assert (post.edited is not None) == want["edited"], label
        assert [a.filename for a in post.assets] == want["attachments"], label
        for asset in post.assets:
            assert "/uploads/default/original/" in asset.url, label  # full size
        # The board's markup is gone: the site reads the canonical form only.
        assert not re.search(r"lightbox|onebox|quote no-group|class=\"meta\"",
                             post.content_html), label


def test_the_first_topic_in_detail() -> None:
    readings = read_topic(load_topic(2144))
    posts = {post.id: post for reading in readings for post in reading.page.posts}
    assert "20100" not in posts  # post 6, a small action ("closed"), is no post
    first = posts["20090"]
    assert first.author.avatar_url == f"{SITE}/user_avatar/discuss.example/ahmed/120/14_2.png"
    assert first.assets[0].thumbnail_url and "/optimized/" in first.assets[0].thumbnail_url
    assert first.assets[0].filename == "FE9CNKiWUAM6iQM.jpeg"
    assert f'<img src="{first.assets[0].url}" alt="FE9CNKiWUAM6iQM.jpeg">' in first.content_html
    assert posts["20094"].author.avatar_url is None  # a letter avatar
    card = posts["20094"].embeds[0]
    assert (card.kind, card.url, card.handle) == ("link", "https://github.com/discourse/discourse",
                                                  "GitHub")
    assert "githubassets" not in posts["20094"].content_html  # no third-party request
    assert ":+1:" in posts["20094"].content_text and "emoji" not in posts["20094"].content_html
    assert '<blockquote class="fm-quote" data-author="ahmed" data-post-id="20090">' in \
        posts["20092"].content_html
    assert "Hidden by the board" in posts["20098"].content_text
    assert "withdrawn by author" in posts["20102"].content_text
    edited = posts["20096"]
    assert edited.edited == "2021-11-25T09:00:00+00:00"
    assert edited.history == [f"{SITE}/posts/20096/revisions/2.json"]
    assert all(not p.history for p in posts.values() if p.id != "20096")


def test_a_revision_gives_the_version_before_it() -> None:
    data = load_topic(2144)
    readings = read_topic(data)
    revision = data["revisions"]["20096"][0]
    version = ENGINE.read_version(answer(f"{SITE}/posts/20096/revisions/2.json", revision),
                                  readings[-1].cursor)
    assert version is not None
    assert version.content_html == TRUTH["topics"]["2144"]["revision_of"]["20096"]
    assert "تعديل" not in version.content_text


def test_a_recheck_asks_only_for_new_ids_and_batches_keep_their_urls() -> None:
    data = load_topic(2144)
    readings = read_topic(data)
    urls = {r.page.page_number: r.page.next_url for r in readings}  # page -> next page's URL
    stream = [p["id"] for p in data["posts"]]
    # Unchanged: the topic's JSON alone, nothing after it.
    again = read_topic(data, ENGINE.recheck_request(readings[-1].cursor))
    assert len(again) == 1 and not again[0].complete
    # 17 new posts: the last batch (5 ids) fills up to 20, then one new batch of 2.
    for number in range(17):
        post = copy.deepcopy(data["posts"][-1])
        post["id"], post["post_number"] = 30000 + number, 100 + number
        data["posts"].append(post)
    grown = read_topic(data, ENGINE.recheck_request(readings[-1].cursor))
    assert [r.page.page_number for r in grown] == [1, 3, 4]
    assert grown[0].page.next_url == batch_url(SITE, "2144", stream[40:] + [
        30000 + n for n in range(15)])
    assert grown[1].page.next_url == batch_url(SITE, "2144", [30015, 30016])
    assert [p.id for p in grown[1].page.posts][-15:] == [str(30000 + n) for n in range(15)]
    assert readings[0].page.next_url == urls[1]  # page 2 is asked for where it always was
    assert grown[-1].cursor["batches"][0] == stream[20:40]
    assert all(len(b) == BATCH_SIZE for b in grown[-1].cursor["batches"][:2])


def test_an_answer_that_is_not_the_api_is_a_wall_or_a_changed_board() -> None:
    url = f"{SITE}/t/2144.json"
    login = '<form action="/session"><input type="password" name="password"></form>'
    with pytest.raises(AccessBlocked):
        ENGINE.read(Response(url, url, 200, login), None)
    with pytest.raises(LayoutChanged):
        ENGINE.read(Response(url, url, 200, "<html><body>Maintenance</body></html>"), None)
    with pytest.raises(AccessBlocked):
        ENGINE.read(answer(url, {"error_type": "not_logged_in", "errors": ["..."]}), None)
    with pytest.raises(LayoutChanged):
        ENGINE.read(answer(url, {"users": []}), None)
    batch = f"{SITE}/t/2144/posts.json?post_ids%5B%5D=20130"
    with pytest.raises(LayoutChanged):  # no cursor: which batch it is, only the topic says
        ENGINE.read(answer(batch, batch_document(load_topic(2144), [20130])), None)


# -- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def board() -> Iterator[DiscourseBoard]:
    with DiscourseBoard() as served:
        yield served


def run(*args: str, retries: int = 0) -> int:
    return main([*args, "--delay", "0", "--max-retries", str(retries), "--timeout", "5"])


def thread_json(archive: Path, topic_id: int) -> dict[str, Any]:
    (path,) = archive.glob(f"threads/*-{topic_id}/thread.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def warc_targets(archive: Path) -> dict[str, str]:
    """Every response record of the archive's WARC files: record id -> target URI."""
    targets = {}
    for path in archive.glob("**/*.warc.gz"):
        with gzip.open(path, "rb") as raw:
            for record in ArchiveIterator(raw):
                if record.rec_type == "response":
                    targets[record.rec_headers.get_header("WARC-Record-ID")] = \
                        record.rec_headers.get_header("WARC-Target-URI")
    return targets


def test_scrape_build_recheck_new_post_and_edit_over_http(board: DiscourseBoard,
                                                          tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    truth = TRUTH["topics"]["2144"]
    assert run("scrape", board.topic_url(2144, "/7"), "--archive", str(archive)) == 0
    api = [r for r in board.requests if r.path.startswith("/t/")]
    assert [r.path.split("?")[0] for r in api] == ["/t/2144.json", *["/t/2144/posts.json"] * 2]
    assert all(r.headers["accept"] == "application/json" for r in api)
    data = thread_json(archive, 2144)
    assert data["engine"] == "discourse" and len(data["pages"]) == 3
    assert [p["id"] for p in data["posts"]] == [w["id"] for w in truth["posts"]]
    targets = warc_targets(archive)
    for post, want in zip(data["posts"], truth["posts"], strict=True):
        assert (post["position"], post["author"]["member_id"]) == (want["position"],
                                                                   want["member_id"])
        assert [q["post_id"] for q in post["quotes"]] == want["quotes"]
        # Each post names the API answer it was read from, recorded in the WARC file.
        response_url = targets[post["warc_record_id"]]
        assert post["source_url"] == f"{response_url}#post-{post['id']}"
        assert "/t/2144" in response_url and response_url.split("?")[0].endswith(".json")
        for name in want["attachments"]:
            seed = TRUTH["uploads"].get(name, name)  # an upload shown small: by its hash
            image = next(i for i in post["images"] if i["url"] == board.upload_url(seed))
            assert (archive / image["path"]).read_bytes() == board.upload_file(seed).read_bytes()
    edited = next(p for p in data["posts"] if p["id"] == "20096")
    (earlier,) = edited["revisions"]
    assert earlier["content_html"] == truth["revision_of"]["20096"]
    assert targets[earlier["warc_record_id"]].endswith("/posts/20096/revisions/2.json")
    assert main(["verify", "--archive", str(archive)]) == 0

    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    html = "".join(p.read_text("utf-8") for p in (output / "threads" / data["key"]).glob("*.html"))
    for want in truth["posts"]:
        assert f'id="post-{want["id"]}"' in html
        for quoted in filter(None, want["quotes"]):
            assert re.search(rf'<div class="fm-quote-title"[^>]*><a href="[^"]*#post-{quoted}"',
                             html), quoted
    assert not re.search(r'class="[^"]*\b(lightbox|onebox|quote-controls)\b', html)
    assert "emoji.discourse-cdn.com" not in html and "githubassets" not in html

    # Unchanged: robots.txt, the topic's JSON and two revisited batches; no file written.
    folder = archive / "threads" / data["key"]
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    seen = len(board.requests)
    assert run("update", "--archive", str(archive)) == 0
    assert [r.path.split("?")[0] for r in board.requests[seen:]] == [
        "/robots.txt", "/t/2144.json", "/t/2144/posts.json", "/t/2144/posts.json"]
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == before

    new_id = board.add_post(2144)
    assert run("update", "--archive", str(archive)) == 0
    after = thread_json(archive, 2144)
    assert after["runs"][-1]["new_posts"] == 1 and after["runs"][-1]["changed_posts"] == 0
    new = [p for p in after["posts"] if p["id"] not in {w["id"] for w in truth["posts"]}]
    assert [(p["id"], p["position"], p["page"]) for p in new] == [(new_id, 46, 3)]
    assert NEW_POST_TEXT in new[0]["content_text"]
    assert len(after["pages"]) == 3  # the last batch grew: page numbers stay

    # An edit in a later batch is found by the revisits of the next run.
    board.edit_post(2144, 20130, "<p>نص معدل في الدفعة الثانية</p>")
    assert run("update", "--archive", str(archive)) == 0
    edited_later = next(p for p in thread_json(archive, 2144)["posts"] if p["id"] == "20130")
    assert edited_later["content_text"] == "نص معدل في الدفعة الثانية"
    assert len(edited_later["revisions"]) == 1 and edited_later["edited"] is not None
    assert main(["verify", "--archive", str(archive)]) == 0


def test_a_429_is_waited_out_and_moved_posts_keep_their_numbers(board: DiscourseBoard,
                                                                tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    seen = len(board.requests)
    assert run("scrape", board.topic_url(77), "--archive", str(archive), retries=2) == 0
    batches = [r for r in board.requests[seen:] if r.path.startswith("/t/77/posts.json")]
    assert len(batches) == 2 and batches[0].path == batches[1].path
    assert batches[1].at - batches[0].at >= 1.0  # Retry-After: 1
    assert [p["id"] for p in thread_json(archive, 77)["posts"]] == [
        w["id"] for w in TRUTH["topics"]["77"]["posts"]]

    # Without retries the 429 stops the run at its batch: page 1 is archived, the thread
    # marked incomplete, and the next run goes on from that batch with the batches known.
    again = tmp_path / "again"
    board.rate_limit_left = 1
    assert run("scrape", board.topic_url(77), "--archive", str(again)) == 4
    stopped = thread_json(again, 77)
    assert stopped["incomplete"]["page"] == 2 and len(stopped["posts"]) == 20
    seen = len(board.requests)
    assert run("update", "--archive", str(again)) == 0
    assert [r.path.split("?")[0] for r in board.requests[seen:]] == ["/robots.txt",
                                                                     "/t/77/posts.json"]
    resumed = thread_json(again, 77)
    assert resumed["incomplete"] is None and len(resumed["posts"]) == 23

    assert run("scrape", board.topic_url(2108), "--archive", str(archive)) == 0
    moved = thread_json(archive, 2108)
    assert [(p["id"], p["position"]) for p in moved["posts"]] == [
        (w["id"], w["position"]) for w in TRUTH["topics"]["2108"]["posts"]]
    assert moved["posts"][-1]["quotes"] == [{"author": "karim_dz", "post_id": "30008"}]


def test_probe_reads_the_topic_json_and_writes_nothing(board: DiscourseBoard, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    before = len(board.requests)
    assert run("probe", board.topic_url(77), "--archive", str(archive), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    first_batch = topic_document(load_topic(77))["post_stream"]["posts"]
    assert report["engine"] == "discourse"
    assert [p["id"] for p in report["posts"]] == [
        str(p["id"]) for p in first_batch if p.get("post_type", 1) != 3]
    assert [urlsplit(url).path for url in report["fetched"]] == ["/t/77.json"]
    # robots.txt and the topic's JSON, the one API answer; nothing archived.
    assert [r.path for r in board.requests[before:]] == ["/robots.txt", "/t/77.json"]
    assert not archive.exists()
