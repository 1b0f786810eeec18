"""Pagefind's index of the site's posts, so the search box works on every served page.

Each post is one custom record (not a section of its thread page), so a hit carries that
post's own author, date and year: Pagefind's meta and filters are per record, and an
author filter never returns a page that merely contains the author's posts. The record's
content is the post's words in search form (arabic.search_words); search.js brings the
query to the same form before asking Pagefind.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from pagefind.service import get_executable

from ..errors import ForumMirrorError
from .arabic import search_words
from .offline_index import SearchData, read_search_data

log = logging.getLogger(__name__)

PAGEFIND_DIR = "pagefind"


class SearchIndexFailed(ForumMirrorError):
    """Pagefind could not index the built site."""


def record_fields(data: SearchData) -> list[dict[str, object]]:
    """The keyword arguments of Pagefind's `add_custom_record`, one dict per post."""
    records: list[dict[str, object]] = []
    for post in data.posts:
        thread = data.threads[post.thread]
        filters = {"thread": [thread.title], "author": [post.author]}
        if post.year:
            filters["year"] = [post.year]
        records.append(
            {
                # From the root: search.js sets Pagefind's baseUrl to wherever the site is.
                "url": "/" + post.url,
                "content": " ".join(search_words(post.text)),
                # Pagefind makes every meta value searchable, so the thread's title and the
                # author stay out of it (or every post would match them): search.js reads
                # them from the record's filters, which are not searched.
                "meta": {
                    "date": post.published,
                    "when": post.date_text,
                    "text": post.text,  # search.js cuts the snippet from the words as written
                },
                "filters": filters,
            }
        )
    return records


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

    def _message(self, payload: dict[str, object]) -> bytes:
        self._message_id += 1
        message = {"message_id": self._message_id, "payload": payload}
        return base64.b64encode(json.dumps(message).encode()) + b","

    def _answers(self, count: int, asked: str) -> list[dict[str, Any]]:
        """The next `count` answers, read as they arrive; SearchIndexFailed on an error."""
        answers: list[dict[str, Any]] = []
        pending = bytearray()
        while len(answers) < count:
            chunk = self._stdout.read1(65536)
            if not chunk:
                raise SearchIndexFailed(f"Pagefind stopped while answering {asked}")
            pending += chunk
            *complete, rest = pending.split(b",")
            pending = bytearray(rest)
            for raw in complete:
                response: dict[str, Any] = json.loads(base64.b64decode(raw))["payload"]
                if response.get("type") == "Error":
                    raise SearchIndexFailed(f"Pagefind: {response.get('message')}")
                answers.append(response)
        return answers

    def send(self, payload: dict[str, object]) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(self._message(payload))
        self._process.stdin.flush()
        return self._answers(1, str(payload["type"]))[0]

    def send_all(self, payloads: Sequence[dict[str, object]]) -> int:
        """Send every payload without waiting for each answer; how many were answered.

        Waiting for each answer before the next message leaves Pagefind idle for a round
        trip per post (a third of the indexing time); a thread writes while this one reads
        the answers, so neither pipe fills up and blocks the other side.
        """
        stdin = self._process.stdin
        assert stdin is not None

        def write() -> None:
            # Encoded as they are sent: all of them at once would hold every post twice.
            try:
                for payload in payloads:
                    stdin.write(self._message(payload))
                stdin.flush()
            except OSError:
                pass  # Pagefind stopped: the reader sees its output end and reports it

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            answered = len(self._answers(len(payloads), "the posts"))
        finally:
            writer.join()
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
    search must find Arabic, Hebrew and English posts from any page.
    """
    data = read_search_data(output)
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
        service.send_all(
            [
                {"type": "AddRecord", "index_id": index_id, "language": language, **fields}
                for fields in record_fields(data)
            ]
        )
        service.send(
            {"type": "WriteFiles", "index_id": index_id, "output_path": str(output / PAGEFIND_DIR)}
        )
    finally:
        service.close()
    log.debug("pagefind: %d posts indexed", len(data.posts))
