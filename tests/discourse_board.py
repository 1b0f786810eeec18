"""A Discourse board on 127.0.0.1 that answers the JSON API the way the real software does.

    with DiscourseBoard() as board:
        main(["scrape", board.topic_url(2144), ...])
        board.add_post(2144)  # the topic gains a post at the end of its stream

Topics come from tests/fixtures/discourse/topic-ID.json (README.md there says where each
piece of them comes from): the topic's fields, every post as `/t/ID.json` returns it, and
the revisions `/posts/ID/revisions/N.json` shows. The board answers:

- `/t/ID.json` (also `/t/slug/ID.json`): the topic, its first `chunk_size` (20) posts of the
  stream and `post_stream.stream`, every post id;
- `/t/ID/posts.json?post_ids[]=...`: those posts, in stream order; ids it no longer has are
  left out, as Discourse does;
- `/posts/ID/revisions/N.json`, the uploads (`/uploads/default/original/...`, the seed
  images; every `/user_avatar/` one seed image), `robots.txt` as Discourse writes it;
  anything else is 404.

JSON answers carry an ETag and a matching `If-None-Match` gets 304. Topic 77 answers its
first posts.json request with 429 and `Retry-After: 1`, as Discourse's rate limiter does.
The fixtures name the board `https://discuss.example`; every answer names this server.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .fetch_server import NOT_FOUND, FetchServer, Reply, SeenRequest
from .fixture_board import NEW_POST_TEXT, SEED_IMAGES

FIXTURES = Path(__file__).parent / "fixtures" / "discourse"
SITE = "https://discuss.example"
RATE_LIMITED_TOPIC = 77
ROBOTS = (b"# See http://www.robotstxt.org/robotstxt.html for documentation on how to use "
          b"the robots.txt file\n#\nUser-agent: *\nDisallow: /admin/\nDisallow: /auth/\n"
          b"Disallow: /assets/browser-update*.js\nDisallow: /email/\nDisallow: /session\n"
          b"Disallow: /user-api-key\nDisallow: /*?api_key*\nDisallow: /*?*api_key*\n"
          b"Disallow: /badges\nDisallow: /u/\nDisallow: /my\nDisallow: /search\n"
          b"Disallow: /tag/*/l\nDisallow: /g\nDisallow: /t/*/*.rss\nDisallow: /c/*.rss\n")
_TOPIC = re.compile(r"^/t/(?:[^/]+/)?(\d+)\.json$")
_BATCH = re.compile(r"^/t/(\d+)/posts\.json$")
_REVISION = re.compile(r"^/posts/(\d+)/revisions/(\d+)\.json$")
_UPLOAD = re.compile(r"^/uploads/default/original/1X/([0-9a-f]{40})\.\w+$")


def load_topic(topic_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"topic-{topic_id}.json").read_text("utf-8"))
    return data


def topic_document(data: dict[str, Any]) -> dict[str, Any]:
    """`/t/ID.json` of a fixture topic: its first `chunk_size` posts and the whole stream."""
    posts = data["posts"]
    return {"post_stream": {"posts": posts[:data["topic"]["chunk_size"]],
                            "stream": [p["id"] for p in posts]},
            "timeline_lookup": [[1, 0]], "suggested_topics": [], **data["topic"]}


def batch_document(data: dict[str, Any], ids: list[int]) -> dict[str, Any]:
    """`/t/ID/posts.json?post_ids[]=...`: the posts it still has of `ids`, in stream order."""
    wanted = set(ids)
    return {"post_stream": {"posts": [p for p in data["posts"] if p["id"] in wanted]},
            "id": data["topic"]["id"]}


def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "expected.json").read_text("utf-8"))
    return data


class DiscourseBoard(FetchServer):
    """The fixture topics behind Discourse's API."""

    def __init__(self) -> None:
        super().__init__()
        self.topics = {int(p.stem.split("-")[1]): load_topic(int(p.stem.split("-")[1]))
                       for p in FIXTURES.glob("topic-*.json")}
        self.rate_limit_left = 1  # 429s topic 77's batches still get
        self.uploads = {hashlib.sha1(name.encode()).hexdigest(): path
                        for name, path in SEED_IMAGES.items()}

    def topic_url(self, topic_id: int, suffix: str = "") -> str:
        topic = self.topics[topic_id]["topic"]
        return self.url(f"/t/{topic['slug']}/{topic_id}{suffix}")

    def upload_file(self, name: str) -> Path:
        """The seed file the board serves for the upload first posted as `name`."""
        return SEED_IMAGES[name]

    def upload_url(self, name: str) -> str:
        digest = hashlib.sha1(name.encode()).hexdigest()
        return self.url(f"/uploads/default/original/1X/{digest}.{name.rsplit('.', 1)[1]}")

    def add_post(self, topic_id: int) -> str:
        """A new post at the end of the topic (its id returned), as a reply would make it."""
        with self._lock:
            data = self.topics[topic_id]
            last = data["posts"][-1]
            new = copy.deepcopy(last)
            new["id"] = max(p["id"] for p in data["posts"]) + 1
            new["post_number"] = data["topic"]["highest_post_number"] + 1
            new["cooked"] = f"<p>{NEW_POST_TEXT}</p>"
            new["created_at"] = new["updated_at"] = "2021-12-05T10:00:00.000Z"
            data["posts"].append(new)
            data["topic"]["highest_post_number"] = new["post_number"]
            data["topic"]["posts_count"] += 1
            return str(new["id"])

    def edit_post(self, topic_id: int, post_id: int, cooked: str) -> None:
        """The post's author edits it: new `cooked`, one more `version`."""
        with self._lock:
            for post in self.topics[topic_id]["posts"]:
                if post["id"] == post_id:
                    post["cooked"] = cooked
                    post["version"] += 1
                    post["updated_at"] = "2021-12-06T08:00:00.000Z"

    def reply_for(self, seen: SeenRequest) -> Reply:
        parts = urlsplit(seen.path)
        path = parts.path
        if path == "/robots.txt":
            return Reply(200, ROBOTS, [("Content-Type", "text/plain")])
        if path.startswith("/user_avatar/"):  # every uploaded avatar: one seed image
            return Reply(200, SEED_IMAGES["israelmaroc.jpg"].read_bytes(),
                         [("Content-Type", "image/jpeg")])
        if (found := _UPLOAD.match(path)) is not None and found.group(1) in self.uploads:
            return Reply(200, self.uploads[found.group(1)].read_bytes(),
                         [("Content-Type", "image/jpeg")])
        if (found := _TOPIC.match(path)) is not None:
            return self._json(seen, self._topic(int(found.group(1))))
        if (found := _BATCH.match(path)) is not None:
            topic_id = int(found.group(1))
            if topic_id == RATE_LIMITED_TOPIC and self.rate_limit_left:
                self.rate_limit_left -= 1
                body = {"errors": ["You’ve performed this action too many times. Please wait "
                                   "1 second before trying again."],
                        "error_type": "rate_limit", "extras": {"wait_seconds": 1}}
                return Reply(429, json.dumps(body).encode(),
                             [("Content-Type", "application/json"), ("Retry-After", "1")])
            ids = [int(v) for k, v in parse_qsl(parts.query) if k == "post_ids[]"]
            return self._json(seen, self._batch(topic_id, ids))
        if (found := _REVISION.match(path)) is not None:
            return self._json(seen, self._revision(int(found.group(1)), int(found.group(2))))
        return NOT_FOUND

    def _topic(self, topic_id: int) -> dict[str, Any] | None:
        data = self.topics.get(topic_id)
        return topic_document(data) if data is not None else None

    def _batch(self, topic_id: int, ids: list[int]) -> dict[str, Any] | None:
        data = self.topics.get(topic_id)
        return batch_document(data, ids) if data is not None and ids else None

    def _revision(self, post_id: int, number: int) -> dict[str, Any] | None:
        for data in self.topics.values():
            for revision in data["revisions"].get(str(post_id), []):
                if revision["current_revision"] == number:
                    return dict(revision)
        return None

    def _json(self, seen: SeenRequest, document: dict[str, Any] | None) -> Reply:
        if document is None:
            return Reply(404, b'{"errors":["The requested URL or resource could not be '
                              b'found."],"error_type":"not_found"}',
                         [("Content-Type", "application/json")])
        body = json.dumps(document, ensure_ascii=False).replace(SITE, self.origin).encode()
        etag = f'W/"{hashlib.md5(body).hexdigest()}"'
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, b"", [("ETag", etag)])
        return Reply(200, body, [("Content-Type", "application/json; charset=utf-8"),
                                 ("ETag", etag)])
