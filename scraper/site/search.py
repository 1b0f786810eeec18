"""Pagefind's index of the site's posts, so the search box works on every served page.

One custom record per thread page (its 20 posts), not one per post: at 100,000 posts a
record per post made Pagefind take most of a build's time and memory (4.4 GB), and its index
so large that a query took seconds. A record's content is its posts' words in search form
(arabic.search_words, which search.js brings the query to as well), one post after the
other; its filters are the union of its posts' thread, authors and years. Its meta says
where each post's words end and who wrote it when, so search.js turns a matching page into
the posts that match: each post's own words must hold every term, and its own author and
year must be the filters' (an author filter never shows a post by someone else). The hits'
text, date and anchor come from the offline index's posts files (offline_index.py), which
the site has anyway: in the meta, Pagefind would index them all a second time.
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
from .offline_index import (
    POSTS_PER_FILE,
    SearchPost,
    SearchThread,
    search_posts,
    search_threads,
)

log = logging.getLogger(__name__)

PAGEFIND_DIR = "pagefind"


class SearchIndexFailed(ForumMirrorError):
    """Pagefind could not index the built site."""


def record_fields(
    threads: list[SearchThread], posts: Iterable[SearchPost]
) -> Iterator[dict[str, object]]:
    """The keyword arguments of Pagefind's `add_custom_record`, one dict per thread page
    (`posts` in the offline index's order, so a page's posts are in a row)."""
    numbered = enumerate(posts)
    for page, group in groupby(numbered, key=lambda item: item[1].url.split("#", 1)[0]):
        page_posts = list(group)
        first, post = page_posts[0]
        words = [search_words(post.text) for _, post in page_posts]
        years = {post.year for _, post in page_posts} - {""}
        filters = {
            "thread": [threads[post.thread].title],
            "author": sorted({post.author for _, post in page_posts}),
        }
        if years:
            filters["year"] = sorted(years)
        yield {
            # From the root: search.js sets Pagefind's baseUrl to wherever the site is.
            "url": "/" + page,
            "content": " ".join(word for post_words in words for word in post_words),
            # Pagefind searches every meta value (not the keys): no title here (search.js
            # reads it from the filters, which are not searched), only what the filters per
            # post need. The authors and years are searched too; search.js drops a page that
            # matched only them, as it checks each post's own words.
            "meta": {
                # Where the page's posts are in the offline index's posts files.
                "first": str(first),
                "postsPerFile": str(POSTS_PER_FILE),
                "posts": json.dumps(
                    [
                        [len(post_words), post.author, post.year]
                        for post_words, (_, post) in zip(words, page_posts, strict=True)
                    ],
                    ensure_ascii=False,
                    separators=(",", ":"),
                ),
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
