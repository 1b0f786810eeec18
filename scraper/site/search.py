"""Pagefind's index of the site's posts, so the search box works on every served page.

One custom record per thread page (its 20 posts), not one per post: at 100,000 posts a
record per post made Pagefind take most of a build's time and memory (4.4 GB), and its index
so large that a query took seconds. A record's content is its posts' words in search form
(arabic.search_words, which search.js brings the query to as well); its filters are the
union of its posts' thread, authors and years; its meta carries the posts themselves.
search.js turns each matching page into the posts that match: it matches the query against
each post and applies the author and year filters per post, so an author filter never shows
a post by someone else, and a hit is a post with its own author, date and anchor.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import groupby
from pathlib import Path
from typing import Any, cast

from pagefind.service import get_executable

from ..errors import ForumMirrorError
from .arabic import search_words
from .offline_index import SearchPost, SearchThread, search_posts, search_threads

log = logging.getLogger(__name__)

PAGEFIND_DIR = "pagefind"


class SearchIndexFailed(ForumMirrorError):
    """Pagefind could not index the built site."""


def _page(post: SearchPost) -> str:
    return post.url.split("#", 1)[0]


def record_fields(
    threads: list[SearchThread], posts: Iterable[SearchPost]
) -> Iterator[dict[str, object]]:
    """The keyword arguments of Pagefind's `add_custom_record`, one dict per thread page
    (`posts` in site order: a page's posts are in a row)."""
    for page, group in groupby(posts, key=_page):
        page_posts = list(group)
        thread = threads[page_posts[0].thread]
        years = sorted({post.year for post in page_posts} - {""})
        filters = {
            "thread": [thread.title],
            "author": sorted({post.author for post in page_posts}),
        }
        if years:
            filters["year"] = years
        yield {
            # From the root: search.js sets Pagefind's baseUrl to wherever the site is.
            "url": "/" + page,
            "content": " ".join(word for post in page_posts for word in search_words(post.text)),
            # Pagefind searches every meta value (not the keys), so the thread's title stays
            # out of it: search.js reads it from the filters, which are not searched. The
            # authors and dates in here are searched too; search.js drops a page that
            # matched only them, as it checks each post's own words.
            "meta": {
                "posts": json.dumps(
                    [
                        [
                            post.url.split("#", 1)[1],
                            post.author,
                            post.published,
                            post.date_text,
                            post.year,
                            post.text,  # search.js matches and cuts the snippet from it
                        ]
                        for post in page_posts
                    ],
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
            },
            "filters": filters,
        }


class _PagefindService:
    """Pagefind's indexing service (`pagefind --service`).

    The `pagefind` package's own client (`PagefindIndex`) polls for each answer every
    0.1 s: ten posts a second, over eight minutes for 5,000 posts. This speaks the same
    protocol (base64 JSON messages, each ended by a comma) and reads each answer as it comes.
    """

    def __init__(self) -> None:
        executable = get_executable()
        if executable is None:
            raise SearchIndexFailed("the Pagefind binary is missing")
        self._process = subprocess.Popen(
            [str(executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        # Popen's pipes are buffered readers; read1 returns whatever has arrived.
        self._stdout = cast(io.BufferedReader, self._process.stdout)
        self._message_id = 0
        self._pending = bytearray()  # the start of an answer not yet complete
        self._ready: deque[dict[str, Any]] = deque()  # answers read but not yet asked for

    def _message(self, payload: dict[str, object]) -> bytes:
        self._message_id += 1
        message = {"message_id": self._message_id, "payload": payload}
        return base64.b64encode(json.dumps(message).encode()) + b","

    def _answers(self, count: int, asked: str) -> list[dict[str, Any]]:
        """The next `count` answers, read as they arrive; SearchIndexFailed on an error."""
        while len(self._ready) < count:
            chunk = self._stdout.read1(65536)
            if not chunk:
                raise SearchIndexFailed(f"Pagefind stopped while answering {asked}")
            self._pending += chunk
            *complete, rest = self._pending.split(b",")
            self._pending = bytearray(rest)
            # Answers beyond `count` wait in _ready for the next call.
            self._ready.extend(json.loads(base64.b64decode(raw))["payload"] for raw in complete)
        answers = [self._ready.popleft() for _ in range(count)]
        for response in answers:
            if response.get("type") == "Error":
                raise SearchIndexFailed(f"Pagefind: {response.get('message')}")
        return answers

    def send(self, payload: dict[str, object]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(self._message(payload))
        self._process.stdin.flush()
        return self._answers(1, str(payload["type"]))[0]

    def send_all(self, payloads: Iterable[dict[str, object]]) -> int:
        """Send every payload without waiting for each answer; how many were answered.

        Waiting for each answer before the next message leaves Pagefind idle for a round
        trip per record; a thread writes while this one reads the answers, so neither pipe
        fills up and blocks the other side. The payloads are made as they are sent, so
        they are never all in memory.
        """
        stdin = self._process.stdin
        assert stdin is not None
        # One release per message sent, and one when the writer is done: this thread
        # waits for an answer only to a message that was sent.
        sent = threading.Semaphore(0)
        state: dict[str, Any] = {"sent": 0, "done": False, "error": None}

        def write() -> None:
            try:
                for payload in payloads:
                    stdin.write(self._message(payload))
                    state["sent"] += 1
                    sent.release()
                stdin.flush()
            except OSError:
                pass  # Pagefind stopped: the reader sees its output end and reports it
            except Exception as error:  # making a payload failed: raised by the reader
                state["error"] = error
            finally:
                state["done"] = True
                sent.release()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        answered = 0
        try:
            while True:
                sent.acquire()
                if state["done"] and answered == state["sent"]:
                    break
                answered += len(self._answers(1, "the pages"))
        finally:
            writer.join()
        if state["error"] is not None:
            raise state["error"]
        return answered

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def index_site(output: Path, language: str) -> None:
    """Write Pagefind's index of the posts in `output`'s search data to `output/pagefind/`.

    `language` is forced for every record: Pagefind keeps one index per language, and a
    search must find Arabic, Hebrew and English posts from any page. The posts are read
    from the offline index's shards one file at a time, as the records are sent.
    """
    threads = search_threads(output)
    language = language.split("-")[0]
    try:
        service = _PagefindService()
    except OSError as error:
        raise SearchIndexFailed(
            f"Pagefind could not start ({error}): check that 'pagefind[bin]' is installed"
        ) from error
    try:
        index_id = service.send({"type": "NewIndex", "config": {"force_language": language}})[
            "index_id"
        ]
        pages = service.send_all(
            {"type": "AddRecord", "index_id": index_id, "language": language, **fields}
            for fields in record_fields(threads, search_posts(output))
        )
        service.send(
            {"type": "WriteFiles", "index_id": index_id, "output_path": str(output / PAGEFIND_DIR)}
        )
    finally:
        service.close()
    log.debug("pagefind: %d pages indexed", pages)
