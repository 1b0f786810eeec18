"""Nothing archived is lost: failed runs, pagination faults, damaged assets, duplicate posts.

Hostile boards are the demo forum's own pages served by the scripted server, each page
replaceable by a fault; the scraper talks HTTP to them on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
from selectolax.lexbor import LexborHTMLParser
from warcio.archiveiterator import ArchiveIterator

from scraper.archive import SCHEMA_PATH, ThreadArchive
from scraper.cli import EXIT_TOTAL_FAILURE, main
from scraper.demo_forum import DemoForum, SeedPost, pages
from scraper.demo_forum.seed import (
    FAR_OBSERVER,
    SEED_THREAD,
    Attachment,
    InlineImage,
    Text,
    Thread,
    build_thread,
)
from scraper.errors import ThreadIncomplete
from scraper.fetch import FetchSettings, PoliteClient
from scraper.records import ArchivedThread
from scraper.scrape import scrape_thread

from .conftest import ScrapedDemo
from .fetch_server import FetchServer, Reply

FAST = FetchSettings(delay=0.0, max_retries=1, backoff_base=0.0, backoff_cap=0.0, timeout=5,
                     autothrottle=False, allow_private_addresses=True)
HTML = [("Content-Type", "text/html; charset=utf-8")]
UNAVAILABLE = Reply(503, b"busy", [("Content-Type", "text/plain")])


def run(*args: str) -> int:
    return main([*args, "--delay", "0", "--max-retries", "1", "--backoff-cap", "0",
                 "--timeout", "5", "--no-autothrottle"])


def text_thread(count: int) -> Thread:
    """A thread of `count` text posts by a member without an avatar: pages, no assets."""
    base = build_thread([SeedPost(content_html=f"<p>مشاركة رقم {n}</p>")
                         for n in range(1, count + 1)])
    own = base.posts[len(SEED_THREAD.posts):]
    return dataclasses.replace(base, posts=tuple(dataclasses.replace(post, position=n)
                                                 for n, post in enumerate(own, start=1)))


class Board:
    """A thread's pages on the scripted server, two posts a page; any page can be replaced."""

    def __init__(self, server: FetchServer, thread: Thread, per_page: int = 2) -> None:
        self.server, self.thread, self.per_page = server, thread, per_page
        self.count = pages.page_count(thread, per_page)
        for number in range(1, self.count + 1):
            self.serve(number)

    def path(self, number: int) -> str:
        return pages.thread_path(self.thread, number)

    def url(self, number: int = 1) -> str:
        return self.server.url(self.path(number))

    def html(self, number: int) -> str:
        return pages.render_thread_page(number, thread=self.thread, posts_per_page=self.per_page,
                                        base_url=self.server.origin)

    def serve(self, number: int, reply: Reply | str | None = None) -> None:
        """Serve page `number` as rendered, as `reply`, or as the HTML given."""
        if reply is None:
            reply = self.html(number)
        if isinstance(reply, str):
            reply = Reply(body=reply.encode(), headers=HTML)
        self.server.route(self.path(number), reply)

    def asked(self) -> list[int]:
        """The page numbers the scraper asked for, in order."""
        numbers = {self.path(n): n for n in range(1, self.count + 1)}
        return [numbers[urlsplit(r.path).path] for r in self.server.requests
                if urlsplit(r.path).path in numbers]

    def next_link_to(self, number: int, href: str) -> str:
        """Page `number` with its "next" links pointing at `href` instead."""
        html = self.html(number)
        assert number < self.count
        return html.replace(f'href="{self.path(number + 1)}" class="pageNav-jump',
                            f'href="{href}" class="pageNav-jump')


@pytest.fixture
def server() -> Iterator[FetchServer]:
    with FetchServer() as running:
        running.route("/robots.txt", Reply(404))
        yield running


def only_thread(root: Path) -> ArchivedThread:
    (thread,) = ThreadArchive(root).threads()
    return thread


def post_numbers(thread: ArchivedThread) -> list[int]:
    return [p.position for p in thread.posts]


def check_schema(root: Path) -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    for path in (root / "threads").glob("*/thread.json"):
        jsonschema.validate(json.loads(path.read_text("utf-8")), schema)


# -- case 1: a failed run removes only what it created ---------------------------------------


def test_a_failed_first_run_keeps_what_an_earlier_killed_run_left(
    server: FetchServer, tmp_path: Path
) -> None:
    board = Board(server, text_thread(4))
    board.serve(1, UNAVAILABLE)
    # Never archived, nothing there: the failed run leaves no folder behind.
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 4
    assert not (tmp_path / "threads").exists() or not any((tmp_path / "threads").iterdir())

    # A killed first run left its unfinished WARC file and an asset, but no thread.json.
    folder = tmp_path / "threads" / f"127.0.0.1_{server.port}-{SEED_THREAD.thread_id}"
    evidence = {folder / "warc" / "20260101T000000000000Z.warc.gz.part": b"\x1f\x8b earlier",
                folder / "assets" / f"{'ab' * 32}.jpg": b"\xff\xd8\xff earlier"}
    for path, data in evidence.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    requests_before = len(board.asked())
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 4
    assert len(board.asked()) - requests_before == FAST.max_retries + 1  # page 1, retried
    assert {p: p.read_bytes() for p in evidence} == evidence
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                  ) == sorted(p.relative_to(folder).as_posix() for p in evidence)


# -- case 2: pagination faults keep the pages read -------------------------------------------


def test_a_page_failing_after_its_retries_keeps_the_pages_before_it_and_runs_resume_there(
    server: FetchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = Board(server, text_thread(8))  # pages 1-4
    board.serve(3, UNAVAILABLE)
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 4
    err = capsys.readouterr().err
    assert "page 3" in err and "Traceback" not in err
    assert board.asked() == [1, 2, 3, 3]  # page 3 and its one retry, then nothing more
    thread = only_thread(tmp_path)
    assert post_numbers(thread) == [1, 2, 3, 4]
    assert thread.incomplete is not None
    assert (thread.incomplete.page, thread.incomplete.url) == (3, board.url(3))
    assert thread.incomplete.error == "FetchFailed" and "503" in thread.incomplete.reason
    assert thread.runs[-1]["incomplete"]["page"] == 3
    check_schema(tmp_path)
    assert main(["verify", "--archive", str(tmp_path)]) == 0

    # Still failing: `update` starts at page 3, not at page 1 or 2, and counts a failure.
    asked = len(board.asked())
    assert run("update", "--archive", str(tmp_path)) == EXIT_TOTAL_FAILURE
    assert board.asked()[asked:] == [3, 3]
    assert only_thread(tmp_path).incomplete is not None

    board.serve(3)  # the board recovers
    asked = len(board.asked())
    assert run("update", "--archive", str(tmp_path)) == 0
    assert board.asked()[asked:] == [3, 4]
    thread = only_thread(tmp_path)
    assert post_numbers(thread) == list(range(1, 9)) and thread.incomplete is None
    assert all(not p.revisions and p.removed_upstream_at is None for p in thread.posts)


def test_a_page_without_posts_is_a_layout_fault_and_never_marks_posts_removed(
    server: FetchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = Board(server, text_thread(10))  # pages 1-5
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 0
    # Page 3 of 5 answers without posts, and a post of page 1 is gone upstream.
    empty = re.sub(r"<article class=\"message message--post.*?\n</article>", "",
                   board.html(3), flags=re.S)
    assert "message--post" not in empty
    board.serve(3, empty)
    first = board.html(1)
    board.serve(1, re.sub(r"<article class=\"message message--post.*?\n</article>", "", first,
                          count=1, flags=re.S))
    capsys.readouterr()
    asked = len(board.asked())
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 5
    assert "page 3" in capsys.readouterr().err
    assert board.asked()[asked:] == [1, 2, 3]
    thread = only_thread(tmp_path)
    assert thread.incomplete is not None and thread.incomplete.page == 3
    assert thread.incomplete.error == "LayoutChanged"
    assert len(thread.posts) == 10  # the pages after 3 stay as archived before
    assert all(p.removed_upstream_at is None for p in thread.posts)  # not a complete read

    board.serve(3)
    asked = len(board.asked())
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 0
    assert board.asked()[asked:] == [3, 4, 5]  # goes on from the failed page
    assert only_thread(tmp_path).incomplete is None
    asked = len(board.asked())
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 0  # a full read again
    assert board.asked()[asked:] == [1, 2, 3, 4, 5]
    removed = [p.position for p in only_thread(tmp_path).posts if p.removed_upstream_at]
    assert removed == [1]


def test_update_exits_5_when_a_page_shows_no_posts(server: FetchServer, tmp_path: Path) -> None:
    board = Board(server, text_thread(8))
    board.serve(2, board.html(2).replace("message--post", "message--gone"))
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 5
    assert run("update", "--archive", str(tmp_path)) == 5
    assert board.asked() == [1, 2, 2]
    assert post_numbers(only_thread(tmp_path)) == [1, 2]


def test_a_next_link_back_to_an_earlier_page_stops_and_says_where(
    server: FetchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = Board(server, text_thread(8))
    board.serve(3, board.next_link_to(3, board.path(1)))
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 5
    err = capsys.readouterr().err
    assert "page 3" in err and "leads back" in err
    assert board.asked() == [1, 2, 3]  # page 1 is not asked again, page 4 never
    thread = only_thread(tmp_path)
    assert post_numbers(thread) == [1, 2, 3, 4, 5, 6]
    assert thread.incomplete is not None and thread.incomplete.page == 3
    assert all(p.removed_upstream_at is None for p in thread.posts)


def test_an_unparsable_next_link_ends_pagination_with_a_message_not_a_traceback(
    server: FetchServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    board = Board(server, text_thread(8))
    board.serve(2, board.next_link_to(2, "http://[::1/page-3"))
    assert run("scrape", board.url(), "--archive", str(tmp_path)) == 5
    err = capsys.readouterr().err
    assert "page 2" in err and "not a URL" in err and "Traceback" not in err
    assert board.asked() == [1, 2]
    thread = only_thread(tmp_path)
    assert post_numbers(thread) == [1, 2, 3, 4]
    assert thread.incomplete is not None and thread.incomplete.page == 2
    check_schema(tmp_path)


def test_pagination_that_does_not_end_stops_at_the_page_limit_and_goes_on_next_time(
    server: FetchServer, tmp_path: Path
) -> None:
    board = Board(server, text_thread(24), per_page=2)  # 12 pages; the limit is 5 a run
    archive = ThreadArchive(tmp_path)
    with PoliteClient(FAST) as client, pytest.raises(ThreadIncomplete) as stopped:
        scrape_thread(board.url(), archive, client, max_pages=5)
    message = str(stopped.value)
    assert stopped.value.exit_code == 5
    assert "page 6" in message and "limit" in message
    assert "loop" not in message and "back" not in message  # no loop claimed: there is none
    assert board.asked() == [1, 2, 3, 4, 5]
    thread = only_thread(tmp_path)
    assert len(thread.posts) == 10 and thread.incomplete is not None
    assert (thread.incomplete.page, thread.incomplete.url) == (6, board.url(6))

    with PoliteClient(FAST) as client, pytest.raises(ThreadIncomplete):
        scrape_thread(board.url(), archive, client, max_pages=5)
    assert board.asked()[5:] == [6, 7, 8, 9, 10]
    with PoliteClient(FAST) as client:
        scrape_thread(board.url(), archive, client, max_pages=5)
    assert board.asked()[10:] == [11, 12]
    thread = only_thread(tmp_path)
    assert post_numbers(thread) == list(range(1, 25)) and thread.incomplete is None


def test_the_time_limit_of_a_run_stops_pagination_in_bounded_time(
    server: FetchServer, tmp_path: Path
) -> None:
    board = Board(server, text_thread(8))
    with PoliteClient(FAST) as client, pytest.raises(ThreadIncomplete, match="page 2") as stopped:
        scrape_thread(board.url(), ThreadArchive(tmp_path), client, max_seconds=0)
    assert stopped.value.exit_code == 5 and "loop" not in str(stopped.value)
    assert board.asked() == [1]  # every run reads at least one page, so it gets somewhere
    thread = only_thread(tmp_path)
    assert post_numbers(thread) == [1, 2] and thread.incomplete is not None
    assert thread.incomplete.page == 2


def test_the_mirror_marks_an_incomplete_thread(server: FetchServer, tmp_path: Path) -> None:
    board = Board(server, text_thread(8))
    board.serve(3, UNAVAILABLE)
    archive, output = tmp_path / "archive", tmp_path / "site"
    assert run("scrape", board.url(), "--archive", str(archive)) == 4
    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    thread = only_thread(archive)
    page = LexborHTMLParser((output / "threads" / thread.key / "index.html").read_text("utf-8"))
    notice = page.css_first(".thread-incomplete")  # in the thread's language, Arabic here
    assert notice is not None and re.search(r"\b3\b", notice.text())
    stopped = notice.css_first("time")
    assert stopped is not None and stopped.attributes["datetime"] == thread.incomplete.detected_at
    assert len(page.css(".posts > article")) == 4


def test_archives_written_before_the_incomplete_field_still_load_and_verify(
    scraped_demo: ScrapedDemo, tmp_path: Path
) -> None:
    shutil.copytree(scraped_demo.root, tmp_path, dirs_exist_ok=True)
    (path,) = (tmp_path / "threads").glob("*/thread.json")
    data = json.loads(path.read_text("utf-8"))
    assert data.pop("incomplete") is None  # as earlier versions wrote it
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    assert only_thread(tmp_path).incomplete is None
    assert main(["verify", "--archive", str(tmp_path)]) == 0


# -- case 3: damaged assets are fetched again -------------------------------------------------


def test_a_deleted_asset_is_fetched_again_conditionally_by_update(tmp_path: Path) -> None:
    with DemoForum(posts_per_page=4) as forum:  # the first image is on page 1 of 2
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        thread = only_thread(tmp_path)
        asset = next(a for a in thread.assets if a.filename == "FE9CNKiWUAM6iQM.jpeg")
        file = tmp_path / "threads" / thread.key / asset.path
        file.unlink()
        assert main(["verify", "--archive", str(tmp_path)]) == 8
        before = len(forum.requests)
        # No revisit of page 1 either: the repair needs no page of the thread.
        assert run("update", "--archive", str(tmp_path), "--revisit", "0") == 0
        seen = forum.requests[before:]
    (request,) = [r for r in seen if urlsplit(r.path).path == urlsplit(asset.urls[0]).path]
    assert "if-none-match" in {name.lower() for name in request.headers}  # answered 304
    assert [r.path.rsplit("/", 1)[-1] for r in seen if r.path.startswith("/threads/")] == [
        "page-2"]  # the page holding it was not read again
    assert file.read_bytes() and main(["verify", "--archive", str(tmp_path)]) == 0
    thread = only_thread(tmp_path)
    assert thread.runs[-1]["repaired_assets"] == [asset.path]
    with (tmp_path / thread.runs[-1]["warc_file"]).open("rb") as warc:
        statuses = [record.http_headers.get_statuscode() for record in ArchiveIterator(warc)
                    if record.rec_type == "response"
                    and record.rec_headers.get_header("WARC-Target-URI") == asset.urls[0]]
    assert statuses == ["304"]  # the bytes came back from the first run's WARC record
    assert next(a for a in thread.assets if a.sha256 == asset.sha256).capture == asset.capture


def test_an_altered_asset_is_fetched_again_by_scrape(tmp_path: Path) -> None:
    with FetchServer() as cdn:
        image = b"\xff\xd8\xff\xe0" + "صورة".encode() * 300
        cdn.route("/robots.txt", Reply(404))
        cdn.route("/pic.jpg", Reply(body=image, headers=[("Content-Type", "image/jpeg")]))
        html = f'<img class="bbImage" src="{cdn.url("/pic.jpg")}" alt="pic.jpg">'
        # The image host is another port of 127.0.0.1: not the thread's origin.
        cdn_allowed = ("--allow-private-addresses",)
        with DemoForum(extra_posts=[SeedPost(content_html=html)]) as forum:
            assert run("scrape", forum.thread_url, "--archive", str(tmp_path), *cdn_allowed) == 0
            thread = only_thread(tmp_path)
            (asset,) = [a for a in thread.assets if a.urls == [cdn.url("/pic.jpg")]]
            file = tmp_path / "threads" / thread.key / asset.path
            file.write_bytes(b"\xff\xd8\xff\xe0 bit rot")
            assert main(["verify", "--archive", str(tmp_path)]) == 8
            assert run("scrape", forum.thread_url, "--archive", str(tmp_path), *cdn_allowed) == 0
        fetches = cdn.requests_to("/pic.jpg")
    assert len(fetches) == 2  # the first scrape, then the repair (no validators to send)
    assert file.read_bytes() == image
    assert main(["verify", "--archive", str(tmp_path)]) == 0
    assert only_thread(tmp_path).runs[-1]["repaired_assets"] == [asset.path]


# -- case 5: one post on two pages is one post -----------------------------------------------


def test_a_post_shown_on_two_pages_is_one_post_and_never_a_revision(
    server: FetchServer, tmp_path: Path
) -> None:
    thread = text_thread(6)
    # The last post of page 1 shows again at the top of page 2, as while posts are added. A
    # relative link in its body resolves against each page's URL, so the copies differ.
    repeated = dataclasses.replace(thread.posts[1],
                                   content_html='<p>انظر <a href="?r=1">هنا</a></p>')
    thread = dataclasses.replace(thread, posts=(thread.posts[0], repeated, *thread.posts[2:]))
    board = Board(server, thread)
    container = '<div class="block-body js-replyNewMessageContainer">\n'
    board.serve(2, board.html(2).replace(
        container, container + pages.post_html(thread, repeated, server.origin), 1))
    for _ in range(2):  # the second run reads the same, unchanged pages
        assert run("scrape", board.url(), "--archive", str(tmp_path)) == 0
    assert board.asked() == [1, 2, 3, 1, 2, 3]
    archived = only_thread(tmp_path)
    assert post_numbers(archived) == [1, 2, 3, 4, 5, 6]
    assert all(p.revisions == [] for p in archived.posts)
    assert [r["changed_posts"] for r in archived.runs] == [0, 0]
    assert archived.runs[0]["new_posts"] == 6


# -- case 19: an avatar does not stop a post's images from being local ----------------------


def test_a_post_by_an_author_with_an_avatar_shows_its_archived_inline_image(
    tmp_path: Path
) -> None:
    photo = Attachment(49001, 49002, "avatar-author-photo.jpg", 3)
    post = SeedPost(author=FAR_OBSERVER, segments=(Text("صورة"), InlineImage(photo.attachment_id)),
                    attachments=(photo,))
    with DemoForum(extra_posts=[post]) as forum:
        assert run("scrape", forum.thread_url, "--archive", str(tmp_path)) == 0
        served = [r.path for r in forum.requests]
    assert pages.attachment_path(photo) in served
    last = only_thread(tmp_path).posts[-1]
    assert last.author.avatar_path is not None  # the author's avatar is archived...
    (image,) = [i for i in last.images if i.filename == photo.filename]
    body = LexborHTMLParser(last.content_html)
    sources = [img.attributes.get("src") for img in body.css("img")]
    local = image.path.split("/", 2)[2]  # relative to the thread folder
    assert local in sources  # ...and the inline image points at its archived copy
    assert not any(s and pages.attachment_path(photo) in s for s in sources)
