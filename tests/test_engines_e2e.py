"""End to end over HTTP for every engine: scrape, build, update, verify.

A `FixtureBoard` (fixture_board.py) serves each engine's fixture thread on 127.0.0.1 at the
engine's real URL shapes, session parameters and all; `forum-mirror scrape` must archive
every post as the fixture's truth table (`expected.json`) says, with the attachments'
full-size files byte for byte; the mirror must show every post and link the quotes; and after
a post is added to the last page, `forum-mirror update` must pick up exactly that post.
For phpBB and MyBB (real boards' pages, their database's truth) every field that the archive
records is compared; the demo forum (XenForo 2) runs the same path.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scraper.cli import main
from scraper.demo_forum import DemoForum, SeedPost

from .fixture_board import BOARDS, FIXTURES, NEW_POST_TEXT, FixtureBoard, expected

SESSION_ID = re.compile(r"[?&;](?:sid|s|PHPSESSID)=[0-9a-zA-Z]{6,}")


@dataclass(frozen=True)
class Attachment:
    """An attachment a post must have archived (or failed, where the board has no file)."""

    url: str  # full size, on the test board
    file: Path | None  # what the board serves there; None: it answers 404
    filename: str = ""  # checked where the truth table names it
    size: int | None = None
    content_type: str = ""


@dataclass(frozen=True)
class Want:
    """A post as its fixture's truth table says it is archived."""

    id: str
    position: int
    page: int
    author: str
    member_id: str | None
    published: str | None  # None: not stated (a relative date read against the fetch time)
    published_text: str
    quotes: list[str | None]  # the quoted posts' ids (None: the quote names no post)
    snippet: str
    edited: bool | None = None  # None: not checked
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Thread:
    """What a board's thread must archive as."""

    engine: str
    pages: int
    posts: list[Want]
    board_classes: tuple[str, ...]  # the board's own post markup, never in the mirror
    new_post_id: str
    session: str = ""  # the session parameter the board's links carry, pasted with the URL
    thread_id: str = ""  # checked where the truth table gives them
    title: str = ""


def _files(board: FixtureBoard) -> dict[str, Path]:
    return {board.origin + url: file for url, file in board.spec.files.items()}


def _phpbb_or_mybb(board: FixtureBoard, folder: str, id_key: str, attachment_url: str
                   ) -> list[Want]:
    truth = expected(folder)
    files = _files(board)
    wants = []
    for post in truth["posts"]:
        attachments = []
        for a in post["attachments"]:
            url = board.origin + attachment_url.format(a[id_key])
            assert files[url] == FIXTURES / folder / a["saved_as"]
            attachments.append(Attachment(url, files[url], a["file_name"], a["size"],
                                          a["mimetype"]))
        quoted = post["quotes_post_id"]
        wants.append(Want(
            id=str(post["post_id"]), position=post["position"], page=post["page"],
            author=post["author"], member_id=str(post["author_id"]),
            published=datetime.fromtimestamp(post["time_unix"], UTC).isoformat(),
            published_text=post["time_display"], quotes=[str(quoted)] if quoted else [],
            snippet=post["snippet"], edited=post["edited"], attachments=attachments))
    return wants


def phpbb(board: FixtureBoard) -> Thread:
    wants = _phpbb_or_mybb(board, "phpbb-3.3", "attach_id", "/download/file.php?id={}")
    for want, post in zip(wants, expected("phpbb-3.3")["posts"], strict=True):
        assert want.published == post["time_datetime_attr"]  # the unix time, as the page says
    truth = expected("phpbb-3.3")
    return Thread("phpbb", truth["pages"], wants, ("postbody", "postprofile", "content"), "11",
                  "&sid=b1d015305ce257c7f4d9dca57efb67b2", str(truth["topic_id"]),
                  truth["thread_title"])


def mybb(board: FixtureBoard) -> Thread:
    wants = _phpbb_or_mybb(board, "mybb-1.8", "aid", "/attachment.php?aid={}")
    truth = expected("mybb-1.8")
    return Thread("mybb", truth["pages"], wants, ("post_body", "post_author", "mycode_quote"),
                  "10", thread_id=str(truth["thread_id"]), title=truth["thread_title"])


Truth = dict[str, Any]  # one post of a hand-made fixture's expected.json


def _hand_made(board: FixtureBoard, posts: list[Truth],
               attachments: Callable[[Truth], list[tuple[str, str]]],
               quotes: Callable[[Truth], list[str | None]]) -> list[Want]:
    files = _files(board)
    wants = []
    for post in posts:
        found = [(board.url_of(url), name) for url, name in attachments(post)]
        wants.append(Want(
            id=str(post.get("post_id", post.get("id"))), position=post["position"],
            page=post["page"], author=post["author"],
            member_id=None if post["member_id"] is None else str(post["member_id"]),
            published=post["published"], published_text=post["published_text"],
            quotes=quotes(post), snippet=post["snippet"], edited=post["edited"] is not None,
            attachments=[Attachment(url, files.get(url), name) for url, name in found]))
    return wants


def xenforo1(board: FixtureBoard) -> Thread:
    thread = expected("xenforo1")["threads"][0]
    wants = _hand_made(board, thread["posts"],
                       lambda p: [(a["url"], a["filename"]) for a in p["attachments"]
                                  if a["kind"] == "attachment"],
                       lambda p: [post_id for _, post_id in p["quotes"]])
    return Thread("xenforo1", 2, wants, ("messageText", "bbCodeQuote", "messageContent"), "1006")


def vbulletin(board: FixtureBoard) -> Thread:
    thread = expected("vbulletin")["threads"][0]
    wants = _hand_made(board, thread["posts"],
                       lambda p: [(a["url"], a["filename"]) for a in p["assets"]
                                  if a["kind"] == "attachment"],
                       lambda p: [post_id for _, post_id in p["quotes"]])
    return Thread("vbulletin", 2, wants, ("postcontent", "bbcode_container", "postbitlegacy"),
                  "30031", "&s=a3f1c0d2e4b5968778695a4b3c2d1e0f")


def smf(board: FixtureBoard) -> Thread:
    truth = expected("smf/smf-2.1-ar")
    wants = _hand_made(board, truth["posts"],
                       lambda p: [(a["url"], a["filename"]) for a in p["assets"]
                                  if a["kind"] == "attachment"],
                       lambda p: [str(q["post_id"]) for q in p["quotes"]])
    return Thread("smf", 2, wants, ("bbc_standard_quote", "windowbg", "quoteheader"), "40",
                  "&PHPSESSID=5k1v9a3e0q7n2c4m8t6r1d0f3b")


def invision(board: FixtureBoard) -> Thread:
    truth = expected("invision")
    wants = _hand_made(board, truth["posts"], lambda p: [(a[0], a[1]) for a in p["attachments"]],
                       lambda p: [post_id for _, post_id in p["quotes"]])
    return Thread("invision", 2, wants, ("ipsQuote", "ipsComment", "ipsType_richText"), "60147")


def _html3(board: FixtureBoard, classes: tuple[str, ...], new_post_id: str) -> Thread:
    """vBulletin 5, Vanilla and WoltLab: one expected.json shape (quotes as [author, id])."""
    engine = board.spec.engine
    truth = expected(engine)
    wants = _hand_made(board, truth["posts"],
                       lambda p: [(a["url"], a["filename"]) for a in p["assets"]
                                  if a["kind"] == "attachment"],
                       lambda p: [post_id for _, post_id in p["quotes"]])
    return Thread(engine, len(truth["pages"]), wants, classes, new_post_id,
                  thread_id=truth["thread_id"], title=truth["title"])


def vbulletin5(board: FixtureBoard) -> Thread:
    return _html3(board, ("b-post", "bbcode_container", "js-post__content-text"), "2790")


def vanilla(board: FixtureBoard) -> Thread:
    return _html3(board, ("UserQuote", "ItemComment", "QuoteText"), "1210")


def woltlab(board: FixtureBoard) -> Thread:
    return _html3(board, ("quoteBox", "wbbPost", "messageText"), "41015")


def schemaorg(board: FixtureBoard) -> Thread:
    truth = expected("schemaorg")
    wants = _hand_made(board, truth["posts"],
                       lambda p: [(a["url"], a["filename"]) for a in p["assets"]],
                       lambda p: [q["post_id"] for q in p["quotes"]])
    return Thread("schemaorg", 2, wants, ("crawler-post", "lightbox"), "6",
                  thread_id=truth["thread_id"], title=truth["title"])


TABLE: dict[str, Callable[[FixtureBoard], Thread]] = {
    "xenforo1": xenforo1, "phpbb": phpbb, "mybb": mybb, "vbulletin": vbulletin, "smf": smf,
    "invision": invision,
    "vbulletin5": vbulletin5, "vanilla": vanilla, "woltlab": woltlab,
    "schemaorg": schemaorg,
}


def run(*args: str) -> int:
    return main([*args, "--delay", "0", "--max-retries", "0", "--timeout", "5"])


def thread_json(archive: Path) -> dict[str, Any]:
    (path,) = archive.glob("threads/*/thread.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def same_time(archived: str | None, want: str) -> bool:
    """The same instant (a naive time is the board's, at the zone its truth table states)."""
    if archived is None:
        return False
    got, wanted = datetime.fromisoformat(archived), datetime.fromisoformat(want)
    if (got.tzinfo is None) != (wanted.tzinfo is None):
        got, wanted = got.replace(tzinfo=got.tzinfo or UTC), wanted.replace(
            tzinfo=wanted.tzinfo or UTC)
    return got == wanted


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_posts(data: dict[str, Any], thread: Thread, archive: Path) -> None:
    """Every post of the archive is the truth table's, field by field."""
    posts = data["posts"]
    assert [(p["id"], p["position"], p["page"]) for p in posts] == [
        (w.id, w.position, w.page) for w in thread.posts]
    failed = set(data["runs"][-1]["failed_assets"])
    for post, want in zip(posts, thread.posts, strict=True):
        label = f"{thread.engine} post {want.id}"
        assert post["author"]["name"] == want.author, label
        assert post["author"]["member_id"] == want.member_id, label
        if want.published is not None:
            assert same_time(post["published"], want.published), (label, post["published"])
        assert post["published_text"] == want.published_text, label
        assert [q["post_id"] for q in post["quotes"]] == want.quotes, label
        assert want.snippet in post["content_text"], label
        if want.edited is not None:
            assert (post["edited"] is not None) == want.edited, label
        images = {image["url"]: image for image in post["images"]}
        for attachment in want.attachments:
            if attachment.file is None:  # the fixture has no file: the board says 404
                assert attachment.url in failed and attachment.url not in images, label
                continue
            image = images[attachment.url]
            assert image["sha256"] == sha256(attachment.file), label
            assert sha256(archive / image["path"]) == image["sha256"], label
            assert image["filename"] == attachment.filename, label
            if attachment.size is not None:
                assert image["bytes"] == attachment.size, label
            if attachment.content_type:
                assert image["content_type"] == attachment.content_type, label
    served_files = {a.url for w in thread.posts for a in w.attachments if a.file is not None}
    assert not failed & served_files, "a file the board serves was not archived"


def check_site(archive: Path, output: Path, thread: Thread, key: str) -> None:
    """The mirror shows every post, links the quotes, and carries none of the board's markup."""
    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    html = "".join(p.read_text("utf-8") for p in (output / "threads" / key).glob("*.html"))
    for want in thread.posts:
        assert f'id="post-{want.id}"' in html, want.id
    for want in thread.posts:
        for quoted in filter(None, want.quotes):
            # (a Latin name in a right-to-left post gets the title its own lang and dir)
            assert re.search(rf'<div class="fm-quote-title"[^>]*><a href="[^"]*#post-{quoted}"',
                             html), (want.id, quoted)
    for board_class in thread.board_classes:
        assert not re.search(rf'class="[^"]*\b{board_class}\b', html), board_class


@pytest.mark.parametrize("engine", list(TABLE))
def test_scrape_build_update_over_http(engine: str, tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    with FixtureBoard(BOARDS[engine]) as board:
        thread = TABLE[engine](board)
        assert run("scrape", board.thread_url + thread.session, "--archive", str(archive)) == 0
        data = thread_json(archive)
        assert data["engine"] == engine
        assert len(data["pages"]) == thread.pages
        if thread.title:
            assert (data["thread"]["id"], data["thread"]["title"]) == (thread.thread_id,
                                                                       thread.title)
        check_posts(data, thread, archive)
        stored = (archive / "threads" / data["key"] / "thread.json").read_text("utf-8")
        assert not SESSION_ID.search(stored), SESSION_ID.search(stored)
        assert main(["verify", "--archive", str(archive)]) == 0
        check_site(archive, output, thread, data["key"])

        board.add_post()
        assert run("update", "--archive", str(archive)) == 0
    after = thread_json(archive)
    assert after["runs"][-1]["new_posts"] == 1
    new = [p for p in after["posts"] if p["id"] not in {w.id for w in thread.posts}]
    assert [p["id"] for p in new] == [thread.new_post_id]
    assert NEW_POST_TEXT in new[0]["content_text"]
    assert new[0]["position"] == thread.posts[-1].position + 1
    assert main(["verify", "--archive", str(archive)]) == 0


def test_the_demo_forum_xenforo2_over_http(tmp_path: Path) -> None:
    truth = json.loads((FIXTURES / "xenforo_demo_expected.json").read_text("utf-8"))
    archive = tmp_path / "archive"
    with DemoForum(posts_per_page=truth["thread"]["posts_per_page"]) as forum:
        url, port = forum.thread_url, int(forum.base_url.rsplit(":", 1)[1])
        assert run("scrape", url, "--archive", str(archive)) == 0
    data = thread_json(archive)
    assert data["engine"] == "xenforo2"
    assert len(data["pages"]) == truth["thread"]["pages"]
    assert data["runs"][-1]["failed_assets"] == []
    for post, want in zip(data["posts"], truth["posts"], strict=True):
        assert (post["id"], post["position"], post["author"]["name"]) == (
            str(want["id"]), want["position"], want["author"])
        assert post["author"]["member_id"] == str(want["author_id"])
        assert same_time(post["published"], want["published"])
        assert [q["post_id"] for q in post["quotes"]] == [str(q) for q in want["quotes"]]
        assert want["snippet"] in post["content_text"]
        assert len(post["images"]) == want["inline_images"] + len(want["attachments"])
    assert main(["verify", "--archive", str(archive)]) == 0
    extra = [SeedPost(post_id=990001, content_html=f"<p>{NEW_POST_TEXT}</p>")]
    with DemoForum(port=port, posts_per_page=truth["thread"]["posts_per_page"],
                   extra_posts=extra):
        assert run("update", "--archive", str(archive)) == 0
    after = thread_json(archive)
    assert after["runs"][-1]["new_posts"] == 1
    assert after["posts"][-1]["id"] == "990001"
    assert main(["verify", "--archive", str(archive)]) == 0
