"""Long threads read in a second process while the next page is fetched (parse_worker.py).

The worker is a real process reading real demo-forum pages; the scrapes talk HTTP to a
scripted board on 127.0.0.1 serving a long demo thread, altered where a test says.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from benchmarks.scrape import generated_posts
from scraper import parse_worker, scrape
from scraper.archive import ThreadArchive
from scraper.demo_forum import DemoForum, pages
from scraper.engines.base import Cursor, Reading, Response, next_link_href
from scraper.engines.xenforo import XenForo2
from scraper.errors import LayoutChanged, ThreadIncomplete
from scraper.fetch import Fetched, FetchSettings, PoliteClient
from scraper.parse_worker import PARALLEL_FROM_PAGES, ParseWorker
from scraper.records import Capture

from .fetch_server import FetchServer, Reply

# A worker is started (and ready, see `ready_worker`) for a thread of this many pages.
FROM_PAGES = 6
PAGES = FROM_PAGES + 5
HTML = [("Content-Type", "text/html; charset=utf-8")]


@pytest.fixture(scope="module")
def thread_pages() -> Iterator[tuple[str, dict[str, str]]]:
    """A demo thread of `PAGES` pages of one post: (the board's origin, page path -> HTML)."""
    with DemoForum(posts_per_page=1, extra_posts=generated_posts(PAGES)) as forum, \
            httpx.Client(base_url=forum.base_url) as client:
        paths = [pages.thread_path(forum.thread, n) for n in range(1, PAGES + 1)]
        yield forum.base_url, {path: client.get(path).text for path in paths}


def started_worker() -> ParseWorker:
    """A worker that reads pages already: the scrape uses it from the next page on, however
    long a loaded machine takes to start an interpreter."""
    worker = ParseWorker()
    deadline = time.monotonic() + 30
    while not worker.ready:
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.01)
    return worker


@pytest.fixture
def ready_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scrapes start a worker for threads of `FROM_PAGES` pages (not the real threshold:
    short test threads) whatever the machine's load, and it is ready at once."""
    assert PARALLEL_FROM_PAGES > FROM_PAGES
    monkeypatch.setattr(scrape, "PARALLEL_FROM_PAGES", FROM_PAGES)
    # However busy the machine is (start_worker asks for a spare core).
    monkeypatch.setattr(scrape, "start_worker", started_worker)


def serve(board: FetchServer, thread: tuple[str, dict[str, str]],
          changed: dict[int, str] | None = None) -> list[str]:
    """Route the thread's pages on `board` (page number -> other HTML for `changed`); its
    page paths."""
    origin, html = thread
    board.route("/robots.txt", Reply(404))
    paths = list(html)
    for number, path in enumerate(paths, start=1):
        text = (changed or {}).get(number, html[path]).replace(origin, board.origin)
        board.route(path, Reply(200, text.encode(), HTML))
    return paths


def scrape_board(board: FetchServer, path: str, root: Path) -> scrape.ScrapeSummary:
    settings = FetchSettings(delay=0, max_retries=0,
                             allow_private_origins=frozenset({board.origin}))
    with PoliteClient(settings) as client:
        return scrape.scrape_thread(board.url(path), ThreadArchive(root), client)


def warc_urls(root: Path) -> list[str]:
    urls = []
    for path in root.glob("threads/*/warc/*.warc.gz"):
        with path.open("rb") as stream:
            urls += [record.rec_headers.get_header("WARC-Target-URI")
                     for record in ArchiveIterator(stream) if record.rec_type == "response"]
    return urls


def test_the_next_link_is_read_from_the_raw_page_as_the_parser_reads_it() -> None:
    assert next_link_href("<a class='x pageNav-jump--next' data-y=1 href='/p?a=1&amp;b=2'>",
                          "pageNav-jump--next") == "/p?a=1&b=2"
    assert next_link_href('<a href="/2" class="pageNav-jump pageNav-jump--next">',
                          "pageNav-jump--next") == "/2"
    # Another class that only contains the name is no match; a tag without href is None.
    assert next_link_href('<a class="pageNav-jump--nextish" href="/x">', "pageNav-jump--next") \
        is None
    assert next_link_href('<a class="pageNav-jump--next">', "pageNav-jump--next") is None


def test_the_xenforo_guess_is_the_reading_s_next_request(
        thread_pages: tuple[str, dict[str, str]]) -> None:
    engine = XenForo2()
    origin, html = thread_pages
    for path, text in html.items():
        response = Response(origin + path, origin + path, 200, text)
        guess, reading = engine.next_request(response, None), engine.read(response, None)
        assert (guess.url if guess else None) == (reading.next.url if reading.next else None)
    assert guess is None  # the last page has no next page


def test_the_worker_reads_as_the_engine_does_sends_errors_and_logs_and_ignores_sigint(
        thread_pages: tuple[str, dict[str, str]], caplog: pytest.LogCaptureFixture) -> None:
    engine = XenForo2()
    origin, html = thread_pages
    path, text = next(iter(html.items()))
    response = Response(origin + path, origin + path, 200, text, fetched_at="2026-01-02T03:04:05")
    worker = started_worker()
    try:
        os.kill(worker.pid, signal.SIGINT)  # the scraper's to handle, not the worker's
        worker.submit(engine, response, None)
        assert worker.result() == engine.read(response, None)
        worker.submit(engine, Response(origin + path, origin + path, 200, "<html>"), None)
        with pytest.raises(LayoutChanged):
            worker.result()
        unreadable = text.replace('datetime="', 'datetime="not a time')
        with caplog.at_level(logging.WARNING):
            worker.submit(engine, Response(origin + path, origin + path, 200, unreadable), None)
            worker.result()
        assert "unreadable machine time 'not a time" in caplog.text
    finally:
        worker.close()
    assert worker.returncode == 0  # it ended because its pipe closed


@pytest.mark.usefixtures("ready_worker")
def test_a_long_thread_read_in_the_worker_is_archived_as_one_read_in_process(
        thread_pages: tuple[str, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with FetchServer() as board:
        paths = serve(board, thread_pages)
        with caplog.at_level(logging.DEBUG, logger="scraper.parse_worker"):
            summary = scrape_board(board, paths[0], tmp_path / "worker")
        assert "reading pages in process" in caplog.text
        # Every page asked for once: no guess went astray.
        assert [len(board.requests_to(path)) for path in paths] == [1] * PAGES
        monkeypatch.setattr(scrape, "PARALLEL_FROM_PAGES", 10**9)
        alone = scrape_board(board, paths[0], tmp_path / "alone")
    assert (summary.pages, summary.posts) == (alone.pages, alone.posts) == (PAGES, PAGES)
    (with_worker,), (without,) = (ThreadArchive(tmp_path / name).threads()
                                  for name in ("worker", "alone"))
    assert [(p.id, p.position, p.content_html, p.page) for p in with_worker.posts] == \
        [(p.id, p.position, p.content_html, p.page) for p in without.posts]
    assert with_worker.cursor == without.cursor
    assert with_worker.incomplete is None


@pytest.mark.usefixtures("ready_worker")
def test_a_page_fetched_ahead_of_a_failed_one_stays_in_the_warc_only_and_the_run_resumes(
        thread_pages: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _, html = thread_pages
    broken = 6
    paths = list(html)
    # Page 6 still links to page 7 but shows no post: a changed layout.
    no_posts = html[paths[broken - 1]].replace("message--post", "message--gone")
    with FetchServer() as board:
        serve(board, thread_pages, {broken: no_posts})
        with pytest.raises(ThreadIncomplete) as stopped:
            scrape_board(board, paths[0], tmp_path)
        assert stopped.value.exit_code == 5
        assert len(board.requests_to(paths[broken])) == 1  # page 7, fetched ahead
        assert board.requests_to(paths[broken + 1]) == []  # and nothing after it
        (thread,) = ThreadArchive(tmp_path).threads()
        assert [p.number for p in thread.pages] == list(range(1, broken))
        assert thread.incomplete is not None and thread.incomplete.page == broken
        assert {p.page for p in thread.posts} == set(range(1, broken))
        assert board.url(paths[broken]) in warc_urls(tmp_path)  # its exchange is evidence
        serve(board, thread_pages)  # the board is fixed: the next run goes on from page 6
        summary = scrape_board(board, paths[0], tmp_path)
    (thread,) = ThreadArchive(tmp_path).threads()
    assert summary.posts == PAGES and thread.incomplete is None
    assert [p.number for p in thread.pages] == list(range(1, PAGES + 1))


@pytest.mark.usefixtures("ready_worker")
def test_a_wrong_guess_costs_a_request_and_not_a_page(
        thread_pages: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _, html = thread_pages
    paths = list(html)
    decoy = '<a class="pageNav-jump--next" href="/threads/decoy.1/page-9">'
    # The first such link in the source is no pagination: the reading follows the real one.
    misleading = html[paths[3]].replace("<body", f"{decoy}<body", 1)
    with FetchServer() as board:
        serve(board, thread_pages, {4: misleading})
        summary = scrape_board(board, paths[0], tmp_path)
        assert len(board.requests_to("/threads/decoy.1/page-9")) == 1
        assert [len(board.requests_to(path)) for path in paths] == [1] * PAGES
    assert (summary.pages, summary.posts) == (PAGES, PAGES)


class _CountingEngine(XenForo2):
    """Reads as XenForo does, its cursor counting the readings it follows."""

    def read(self, response: Response, cursor: Cursor | None) -> Reading:
        reading = super().read(response, cursor)
        return replace(reading, cursor={**reading.cursor,
                                        "readings": (cursor or {}).get("readings", 0) + 1})


def test_a_queued_page_is_read_next_with_the_cursor_the_reading_before_it_ends_with(
        thread_pages: tuple[str, dict[str, str]], caplog: pytest.LogCaptureFixture) -> None:
    """`queue` sends the next page while one is read; its answer comes after that one's,
    read with that reading's cursor (as if sent after it), and a queued page the loop does
    not take is dropped with its log records."""
    engine = _CountingEngine()
    origin, html = thread_pages
    (one, first), (two, second), (three, third) = list(html.items())[:3]
    # The third page's dates are unreadable: its reading logs a warning.
    unreadable = third.replace('datetime="', 'datetime="not a time')
    responses = [Response(origin + path, origin + path, 200, text)
                 for path, text in ((one, first), (two, second), (three, unreadable))]
    worker = started_worker()
    try:
        worker.submit(engine, responses[0], None)
        assert worker.queue(engine, responses[1])
        first_reading = worker.result()
        assert first_reading.cursor["readings"] == 1
        assert worker.queue(engine, responses[2])  # behind the second page, read meanwhile
        second_reading = worker.result()
        assert second_reading.cursor["readings"] == 2
        assert second_reading == engine.read(responses[1], first_reading.cursor)
        with caplog.at_level(logging.WARNING):
            worker.discard()  # the third page's reading, and its warning
        assert "unreadable machine time" not in caplog.text
        # Nothing is left in flight: the next page goes with a cursor of its own.
        worker.submit(engine, responses[2], None)
        with caplog.at_level(logging.WARNING):
            assert worker.result().cursor["readings"] == 1
        assert "unreadable machine time 'not a time" in caplog.text
    finally:
        worker.close()
    assert worker.returncode == 0


def test_an_answer_already_in_the_pipe_behind_the_one_taken_is_seen_at_once(
        thread_pages: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """With a page queued, both answers may be in the pipe when the first is taken: the
    second must still count as answered (a reader that buffered it with the first left
    `select` blind to it, and the scraper waited out ANSWER_SECONDS for it)."""
    monkeypatch.setattr(parse_worker, "ANSWER_SECONDS", 5.0)
    engine = XenForo2()
    origin, html = thread_pages
    responses = [Response(origin + path, origin + path, 200, text)
                 for path, text in html.items()]
    worker = started_worker()
    try:
        # As the page loop does: the next page queued before the reading is taken, here
        # after the worker has answered both.
        worker.submit(engine, responses[0], None)
        for number, response in enumerate(responses[1:], start=1):
            assert worker.queue(engine, response)
            answers_written(worker)
            assert worker.result().page.page_number == number
            assert worker.answered()
        assert worker.result().page.page_number == len(responses)
    finally:
        worker.close()


def answers_written(worker: ParseWorker) -> None:
    """Wait until the worker has answered all it was sent: it sleeps (waiting for the next
    request) with answers in its pipe that no longer grow."""
    deadline = time.monotonic() + 30
    before = -1
    while True:
        assert time.monotonic() < deadline, "the worker did not answer"
        waiting = int.from_bytes(fcntl.ioctl(worker._from_worker, termios.FIONREAD, b"\0" * 4),
                                 "little")
        state = Path(f"/proc/{worker.pid}/status").read_text().split("State:\t", 1)[1][0]
        if waiting and waiting == before and state == "S":
            return
        before = waiting
        time.sleep(0.02)


def test_a_page_sent_as_its_utf8_bytes_is_read_as_its_text_and_only_utf8_is(
        thread_pages: tuple[str, dict[str, str]]) -> None:
    """The scraper sends a UTF-8 page's bytes instead of its text (no second encoding);
    the worker reads the text they decode to. A page in another charset goes as text."""
    engine = XenForo2()
    origin, html = thread_pages
    path, text = next(iter(html.items()))
    body = text.encode("utf-8")
    response = Response(origin + path, origin + path, 200, text)
    worker = started_worker()
    try:
        worker.submit(engine, response, None, body)
        assert worker.result() == engine.read(response, None)
    finally:
        worker.close()
    capture = Capture(url=origin + path, final_url=origin + path, fetched_at="", status=200,
                      content_type="text/html", etag=None, last_modified=None, sha256="",
                      bytes=len(body), warc_file="", warc_record_id="", scraper_version="")
    utf8 = scrape._answer(Fetched(capture, body, {"content-type": "text/html; charset=utf-8"}),
                          None, ThreadArchive(Path("unused")))
    assert (utf8.text, utf8.utf8) == (text, body)
    arabic = "<p>مرحبا</p>"
    windows = scrape._answer(Fetched(capture, arabic.encode("cp1256"),
                                     {"content-type": "text/html; charset=windows-1256"}),
                             None, ThreadArchive(Path("unused")))
    assert (windows.text, windows.utf8) == (arabic, None)


def test_a_text_holding_its_utf8_bytes_is_sent_as_those_bytes() -> None:
    """What the scraper hands the worker (`_answer`'s text) carries its bytes itself."""
    import pickle

    from scraper.engines.base import utf8_text

    body = "<p>مرحبا</p>".encode()
    for text, sent in ((utf8_text(body), body), ("<p>مرحبا</p>", None)):
        frame = parse_worker._request(XenForo2(), Response("u", "u", 200, text), None, None)
        _, response, _, utf8 = pickle.loads(frame)
        assert (response.text, utf8) == (("", sent) if sent else (text, None))


def test_a_page_is_queued_only_when_the_pipe_holds_both_requests_unread(
        thread_pages: tuple[str, dict[str, str]]) -> None:
    """Else the scraper's write could wait on a worker that waits on the scraper (to take a
    large answer): the page is sent after the reading instead."""
    engine = XenForo2()
    origin, html = thread_pages
    (one, first), (two, second) = list(html.items())[:2]
    responses = [Response(origin + one, origin + one, 200, first),
                 Response(origin + two, origin + two, 200, second)]
    worker = started_worker()
    try:
        worker._capacity = 2 * len(first.encode())  # both pages pickled are a little more
        worker.submit(engine, responses[0], None)
        assert not worker.queue(engine, responses[1])
        assert worker.result() == engine.read(responses[0], None)
        worker.submit(engine, responses[1], None)
        assert worker.result() == engine.read(responses[1], None)
    finally:
        worker.close()


@pytest.mark.usefixtures("ready_worker")
def test_a_wrong_guess_queued_behind_a_page_is_dropped_and_the_right_page_read(
        thread_pages: tuple[str, dict[str, str]], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """The page fetched on a wrong guess goes to the worker behind the page it was guessed
    from (the pipe holds both): its reading is dropped, its warnings too, and the page the
    reading asks for is fetched and read; the thread is archived whole."""
    _, html = thread_pages
    paths = list(html)
    decoy_path = "/threads/decoy.1/page-9"
    decoy = f'<a class="pageNav-jump--next" href="{decoy_path}">'
    misleading = html[paths[3]].replace("<body", f"{decoy}<body", 1)
    unreadable = html[paths[4]].replace('datetime="', 'datetime="not a time')
    with FetchServer() as board:
        serve(board, thread_pages, {4: misleading})
        # The decoy serves a readable page whose dates are not: a warning if it were read.
        board.route(decoy_path,
                    Reply(200, unreadable.replace(thread_pages[0], board.origin).encode(), HTML))
        with caplog.at_level(logging.WARNING):
            summary = scrape_board(board, paths[0], tmp_path)
        assert len(board.requests_to(decoy_path)) == 1
        assert [len(board.requests_to(path)) for path in paths] == [1] * PAGES
    assert (summary.pages, summary.posts) == (PAGES, PAGES)
    assert "unreadable machine time" not in caplog.text


class _StuckEngine(XenForo2):
    """Reads nothing, ever: a worker stuck as a fork holding a lock would be."""

    def read(self, response: Response, cursor: Cursor | None) -> Reading:
        signal.pause()
        raise AssertionError("unreachable: only SIGKILL ends the stuck worker")


def test_a_worker_that_never_answers_is_given_up_and_killed(
        thread_pages: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_worker, "ANSWER_SECONDS", 0.2)
    monkeypatch.setattr(parse_worker, "_REAP_SECONDS", 0.1)
    origin, html = thread_pages
    path, text = next(iter(html.items()))
    worker = started_worker()
    try:
        worker.submit(_StuckEngine(), Response(origin + path, origin + path, 200, text), None)
        with pytest.raises(parse_worker.WorkerLost, match=r"no answer in 0\.2 s"):
            worker.result()
        assert worker.lost
    finally:
        worker.close()
    assert worker.returncode == -signal.SIGKILL  # it ignores its pipe's end: killed


def test_the_worker_ends_when_the_scraper_dies_at_once(tmp_path: Path) -> None:
    """A second Ctrl-C or a SIGKILL gives the worker no word: its pipe's end is the word."""
    started = subprocess.run(
        [sys.executable, "-c", "import os, time\n"
         "from scraper.parse_worker import ParseWorker\n"
         "worker = ParseWorker()\n"
         "while not worker.ready: time.sleep(0.01)\n"
         "print(worker.pid, flush=True)\n"
         "os._exit(130)\n"],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=60)
    assert started.returncode == 130, started.stderr
    pid = int(started.stdout)
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, "the worker outlived the scraper"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for init to reap it has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


def test_one_worker_per_spare_core_however_many_threads_read_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lanes reading long threads side by side share the spare cores: past them, a thread
    is read in-process (start_worker gives None) until a worker is closed."""
    monkeypatch.setattr(parse_worker, "spare_core", lambda: True)
    slots = max(1, len(os.sched_getaffinity(0)) - 1)
    workers = [parse_worker.start_worker() for _ in range(slots)]
    try:
        assert all(workers)
        assert parse_worker.start_worker() is None
        workers.pop().close()  # type: ignore[union-attr]
        again = parse_worker.start_worker()
        assert again is not None
        workers.append(again)
    finally:
        for worker in workers:
            if worker is not None:
                worker.close()


@pytest.mark.parametrize(("loadavg", "spare"), [
    ("7.90 7.12 6.80 1/79 8723\n", True),  # a high minute's mean, but nothing else runs now
    ("0.10 0.20 0.30 6/79 8723\n", False),  # idle on average, five others runnable now
])
def test_a_spare_core_is_asked_of_the_tasks_runnable_now_not_of_the_load_average(
        tmp_path: Path, loadavg: str, spare: bool) -> None:
    (tmp_path / "loadavg").write_text(loadavg)
    one_core = len(os.sched_getaffinity(0)) < 2  # then never: the scraper has the only one
    assert parse_worker.spare_core(tmp_path / "loadavg") is (spare and not one_core)


@pytest.mark.usefixtures("ready_worker")
def test_assets_fetched_while_the_worker_reads_are_archived_as_those_fetched_after_the_pages(
        thread_pages: tuple[str, dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The page loop's waits for the worker download the assets of the pages read so far
    (here every wait, whatever the machine's speed): the same assets and failures are
    archived as by a run that downloads them after the last page, each asked for once."""
    origin, html = thread_pages
    engine = XenForo2()
    refs = {urlsplit(url).path for path, text in html.items()
            for post in engine.read(Response(origin + path, origin + path, 200, text),
                                    None).page.posts
            for url in [*(ref.url for ref in post.assets), post.author.avatar_url] if url}
    assert len(refs) >= 3
    missing, *served = sorted(refs)
    monkeypatch.setattr(ParseWorker, "answered", lambda self: False)
    with FetchServer() as board:
        paths = serve(board, thread_pages)
        board.route(missing, Reply(404))
        for number, path in enumerate(served):
            board.route(path, Reply(200, b"GIF89a" + bytes([number]), [("Content-Type",
                                                                        "image/gif")]))
        summary = scrape_board(board, paths[0], tmp_path / "early")
        assert all(len(board.requests_to(path)) == 1 for path in refs)
        order = warc_urls(tmp_path / "early")
        assert order.index(board.url(served[0])) < order.index(board.url(paths[-1]))
        monkeypatch.setattr(scrape, "PARALLEL_FROM_PAGES", 10**9)
        after = scrape_board(board, paths[0], tmp_path / "after")
    assert summary.failed_assets == after.failed_assets == [board.url(missing)]
    assert (summary.assets, summary.new_assets) == (after.assets, after.new_assets)
    (early,), (late,) = (ThreadArchive(tmp_path / name).threads() for name in ("early", "after"))
    assert [(a.sha256, a.urls, a.path) for a in early.assets] == \
        [(a.sha256, a.urls, a.path) for a in late.assets]
    assert [(p.images, p.author.avatar_path) for p in early.posts] == \
        [(p.images, p.author.avatar_path) for p in late.posts]
