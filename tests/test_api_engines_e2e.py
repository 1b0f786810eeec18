"""End to end over HTTP for the engines over JSON APIs (Flarum, NodeBB): scrape, verify,
build, an unchanged update's cost in requests, then an update that picks up exactly the
added post. The boards (api_board.py) answer their APIs as the real software does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scraper.cli import main

from .api_board import FLARUM, NODEBB, ApiBoard, ApiSpec
from .fixture_board import NEW_POST_TEXT
from .test_engines_e2e import (
    Attachment,
    Thread,
    Want,
    check_posts,
    check_site,
    run,
    thread_json,
)


def _thread(board: ApiBoard, board_classes: tuple[str, ...]) -> Thread:
    truth = board.spec.truth
    files = {board.origin + path: file for path, file in board.spec.files.items()}
    wants = [Want(
        id=post["id"], position=post["position"], page=post["page"], author=post["author"],
        member_id=post["member_id"], published=post["published"],
        published_text=post["published_text"], quotes=post["quotes"],
        snippet=post["snippet"], edited=post["edited"] is not None,
        attachments=[Attachment(board.url_of(a["url"]), files[board.url_of(a["url"])],
                                a["filename"]) for a in post["attachments"]])
        for post in truth["posts"]]
    return Thread(board.spec.engine, len(truth["pages"]), wants, board_classes,
                  board.spec.new_post_id)


def _api_requests(board: ApiBoard, since: int) -> list[str]:
    """The thread's pages asked for since request number `since` (robots.txt and the
    assets that failed before, asked for again, aside)."""
    return [seen.path for seen in board.requests[since:] if seen.path != "/robots.txt"
            and not seen.path.startswith(("/assets/", "/offsite/"))]


CASES: dict[str, tuple[ApiSpec, tuple[str, ...]]] = {
    "flarum": (FLARUM, ("PostMention", "Button-label")),
    "nodebb": (NODEBB, ("plugin-mentions-a", "img-markdown", "img-fluid")),
}


@pytest.mark.parametrize("engine", list(CASES))
def test_scrape_build_update_over_the_api(engine: str, tmp_path: Path) -> None:
    spec, board_classes = CASES[engine]
    archive, output = tmp_path / "archive", tmp_path / "site"
    with ApiBoard(spec) as board:
        thread = _thread(board, board_classes)
        # NodeBB's /topic/ID/slug is also Invision's shape: its page tells them apart.
        assert run("scrape", board.thread_url, "--archive", str(archive)) == 0
        data = thread_json(archive)
        assert data["engine"] == engine
        assert len(data["pages"]) == thread.pages
        truth = spec.truth
        assert data["thread"]["title"] == truth["title"]
        assert data["thread"]["url"] == board.thread_url
        check_posts(data, thread, archive)
        _check_provenance(data, board)
        assert data["moves"] == []  # NodeBB's 308 to the slugged URL is no move
        if engine == "flarum":  # event posts: recorded in the cursor, never as posts
            assert data["cursor"]["events"] == truth["events"]
            assert not {e["id"] for e in truth["events"]} & {p["id"] for p in data["posts"]}
        assert main(["verify", "--archive", str(archive)]) == 0
        check_site(archive, output, thread, data["key"])

        # An unchanged thread: one request, plus the revisits of earlier pages asked for.
        last = truth["pages"][-1]["url"].removeprefix(truth["served_at"])
        # NodeBB's page 1 is the HTML page that told it from Invision.
        first = board.thread_url.removeprefix(board.origin) if engine == "nodebb" else last
        for revisit, asked in (("0", []), ("1", [first])):
            before = len(board.requests)
            assert run("update", "--archive", str(archive), "--revisit", revisit) == 0
            assert thread_json(archive) == data  # nothing written
            # Flarum: the discussion again, whose stream shows nothing new (Flarum sends
            # no validators); NodeBB: the last page, conditionally (304).
            assert _api_requests(board, before) == [
                "/api/discussions/7" if engine == "flarum" else last, *asked]

        board.add_post()
        before = len(board.requests)
        assert run("update", "--archive", str(archive), "--revisit", "0") == 0
        grown = _api_requests(board, before)
    after = thread_json(archive)
    assert after["runs"][-1]["new_posts"] == 1
    new = [p for p in after["posts"] if p["id"] not in {w.id for w in thread.posts}]
    assert [p["id"] for p in new] == [thread.new_post_id]
    assert NEW_POST_TEXT in new[0]["content_text"]
    assert new[0]["position"] == thread.posts[-1].position + 1
    assert new[0]["page"] == thread.pages
    # Only the page that holds the new post is read, after the first answer.
    assert grown == (["/api/discussions/7", last] if engine == "flarum" else [last])
    assert after["runs"][-1]["removed_posts"] == 0
    assert main(["verify", "--archive", str(archive)]) == 0


def _check_provenance(data: dict[str, Any], board: ApiBoard) -> None:
    """Each post names the API answer it came from: its page's capture and WARC record."""
    pages = {page["number"]: page["capture"] for page in data["pages"]}
    for post in data["posts"]:
        capture = pages[post["page"]]
        assert (post["warc_record_id"], post["page_sha256"]) == (
            capture["warc_record_id"], capture["sha256"]), post["id"]
    first = pages[1]
    if board.spec.engine == "flarum":
        assert first["url"] == board.origin + "/api/discussions/7"
        assert first["content_type"] == "application/vnd.api+json"
    else:  # read from the HTML page that told NodeBB from Invision (its preloaded data)
        assert first["final_url"] == board.thread_url
        assert pages[2]["content_type"] == "application/json"


@pytest.mark.parametrize("engine", list(CASES))
def test_a_page_no_engine_claims_is_told_by_its_preloaded_data(engine: str,
                                                               tmp_path: Path) -> None:
    """At a URL of no engine's shape, the board's HTML page is fetched once, its markers tell
    the engine, and its preloaded document is read as page 1; the API gives the rest."""
    spec, _ = CASES[engine]
    page = "page-1.html" if engine == "flarum" else spec.truth["html_page"]["file"]
    neutral = replace(spec, routes={**spec.routes, (f"/neutral-{engine}", frozenset()): page})
    archive = tmp_path / "archive"
    with ApiBoard(neutral) as board:
        assert run("scrape", f"{board.origin}/neutral-{engine}", "--archive",
                   str(archive)) == 0
        asked = _api_requests(board, 0)
    data = thread_json(archive)
    assert data["engine"] == engine
    assert data["thread"]["url"] == board.thread_url
    assert [p["id"] for p in data["posts"]] == [p["id"] for p in spec.truth["posts"]]
    last = spec.truth["pages"][-1]["url"].removeprefix(spec.truth["served_at"])
    assert asked == [f"/neutral-{engine}", last]  # the page once, then the API
