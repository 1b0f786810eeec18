"""Flarum and NodeBB boards on 127.0.0.1 that answer their JSON APIs from the fixture files.

    with ApiBoard(FLARUM) as board:
        main(["scrape", board.thread_url, ...])
        board.add_post()  # the thread's last page now shows one more post

Each answers as the real software does: Flarum's `/api/discussions/ID` (the stream of every
post id, the first 20 posts in `included`) and `/api/posts?filter[discussion]=ID&...`
pages, with no validators (Flarum sends none); NodeBB's `/api/topic/ID/slug?page=N` with an
ETag and 304 for a matching `If-None-Match` (Express's default), its HTML topic page with
the same data preloaded, and `/topic/ID` redirecting (308, permanent) to the slugged URL.
The fixtures' origin is rewritten to the board's own in every byte served, and other sites'
URLs to its /offsite/ (as FixtureBoard does: a test asks nothing of the internet, not even
a name server). Uploads are served from the seed images (fixture_board.SEED_IMAGES), and so are
the avatars and the hot-linked image, so no asset fails (a failed asset is asked for again
by every update, which then writes the thread); every other URL answers 404.

`add_post()` adds a comment to the last page (and, for Flarum, its id to the stream): the
thread's last comment copied with a new id, number and words (fixture_board.NEW_POST_TEXT).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .fetch_server import NOT_FOUND, FetchServer, Reply, SeenRequest
from .fixture_board import _OTHER_SITE, FIXTURES, NEW_POST_TEXT, SEED_IMAGES, expected

Document = dict[str, Any]


@dataclass(frozen=True)
class ApiSpec:
    """One fixture thread as its board answered it."""

    engine: str
    folder: Path
    origin: str  # as the fixtures name the board
    routes: dict[tuple[str, frozenset[tuple[str, str]]], str]  # (path, query) -> file
    grow: Callable[[dict[str, Document]], None]  # adds the new post to the documents
    new_post_id: str
    etag: bool  # the software sends validators on its API answers
    redirects: dict[str, str] = field(default_factory=dict)  # path -> where it sends
    files: dict[str, Path] = field(default_factory=dict)  # upload path -> file
    encode: Callable[[Document], str] = lambda doc: json.dumps(doc, ensure_ascii=False)

    @property
    def truth(self) -> dict[str, Any]:
        return expected(self.folder.name)


def _route(url: str) -> tuple[str, frozenset[tuple[str, str]]]:
    parts = urlsplit(url)
    return unquote(parts.path), frozenset(parse_qsl(parts.query))


class ApiBoard(FetchServer):
    """Serves an `ApiSpec`; every request is logged (`requests`, from FetchServer)."""

    def __init__(self, spec: ApiSpec) -> None:
        super().__init__()
        self.spec = spec
        self.documents: dict[str, Document] = {}
        self.html: dict[str, str] = {}
        for file in set(spec.routes.values()):
            text = (spec.folder / file).read_text("utf-8")
            if file.endswith(".json"):
                self.documents[file] = json.loads(text)
            else:
                self.html[file] = text

    @property
    def thread_url(self) -> str:
        return self.url_of(self.spec.truth["thread_url"])

    def url_of(self, original: str) -> str:
        """A URL of the fixture (on its original origin) as this board serves it."""
        return original.replace(self.spec.origin, self.origin)

    def add_post(self) -> None:
        """From now on the thread's last page shows one more comment."""
        self.spec.grow(self.documents)

    def reply_for(self, seen: SeenRequest) -> Reply:
        path, query = _route(seen.path)
        if path in self.spec.redirects:
            return Reply(308, b"", [("Location", self.spec.redirects[path])])
        file = self.spec.routes.get((path, query))
        if file is None:
            upload = self.spec.files.get(path)
            if upload is None:
                return NOT_FOUND
            return Reply(200, upload.read_bytes(), [("Content-Type", "image/jpeg")])
        if file in self.documents:
            body, kind = self.spec.encode(self.documents[file]), "application/vnd.api+json"
            if self.spec.engine == "nodebb":
                kind = "application/json; charset=utf-8"
        else:
            body, kind = self.html[file], "text/html; charset=utf-8"
        data = _OTHER_SITE.sub(lambda m: b"%s/offsite/%s/" % (self.origin.encode(), m[2]),
                               body.replace(self.spec.origin, self.origin).encode("utf-8"))
        headers = [("Content-Type", kind)]
        if self.spec.etag:
            etag = 'W/"' + hashlib.sha256(data).hexdigest()[:27] + '"'
            if seen.headers.get("if-none-match") == etag:
                return Reply(304, b"", [("ETag", etag)])
            headers.append(("ETag", etag))
        return Reply(200, data, headers)


def php_json(document: Document) -> str:
    """JSON as Flarum's Laminas JsonResponse writes it: `<>&'"` in strings and every
    non-ASCII character as `\\uXXXX`, slashes left alone."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    for char, escaped in (('\\"', "\\u0022"), ("<", "\\u003C"), (">", "\\u003E"),
                          ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return text


def _flarum_grow(documents: dict[str, Document]) -> None:
    discussion, last = documents["discussion-7.json"], documents["posts-7-offset-20.json"]
    comments = [p for p in last["data"] if p["attributes"]["contentType"] == "comment"]
    new = copy.deepcopy(comments[-1])
    number = max(p["attributes"]["number"] for p in last["data"]) + 1
    new["id"], new["attributes"]["number"] = FLARUM_NEW_POST, number
    new["attributes"]["contentHtml"] = f"<p>{NEW_POST_TEXT}</p>"
    new["attributes"]["createdAt"] = "2021-11-26T07:30:00+00:00"
    last["data"].append(new)
    discussion["data"]["relationships"]["posts"]["data"].append(
        {"type": "posts", "id": FLARUM_NEW_POST})
    discussion["data"]["attributes"]["lastPostNumber"] = number
    discussion["data"]["attributes"]["commentCount"] += 1


def _nodebb_grow(documents: dict[str, Document]) -> None:
    last = documents["topic-53-page-2.json"]
    new = copy.deepcopy(last["posts"][-1])
    new["pid"], new["index"] = int(NODEBB_NEW_POST), new["index"] + 1
    new["content"] = f'<p dir="auto">{NEW_POST_TEXT}</p>\n'
    new["timestampISO"] = "2021-11-26T07:30:00.000Z"
    last["posts"].append(new)
    for document in documents.values():
        document["postcount"] += 1


FLARUM_NEW_POST, NODEBB_NEW_POST = "445", "541"


def _flarum() -> ApiSpec:
    folder = FIXTURES / "flarum"
    truth = expected("flarum")
    origin = truth["served_at"]
    routes = {_route(page["url"].removeprefix(origin)): page["file"] for page in truth["pages"]}
    routes[_route("/d/7-mtgdd-afak-altaaon-alaskry")] = "page-1.html"
    return ApiSpec("flarum", folder, origin, routes, _flarum_grow, FLARUM_NEW_POST,
                   etag=False, files=_files(truth), encode=php_json)


def _nodebb() -> ApiSpec:
    folder = FIXTURES / "nodebb"
    truth = expected("nodebb")
    origin = truth["served_at"]
    routes = {_route(page["url"].removeprefix(origin)): page["file"] for page in truth["pages"]}
    html = truth["html_page"]
    routes[_route(html["url"].removeprefix(origin))] = html["file"]
    slugged = html["url"].removeprefix(origin)
    topic = re.sub(r"^(/topic/[0-9]+)/.*", r"\1", slugged)
    return ApiSpec("nodebb", folder, origin, routes, _nodebb_grow, NODEBB_NEW_POST, etag=True,
                   redirects={topic: slugged, topic + "/": slugged}, files=_files(truth))


def _files(truth: dict[str, Any]) -> dict[str, Path]:
    """The files the board serves: uploads as the seed images of their names; avatars and
    hot-linked images (on /offsite/) as the first seed image, so that no asset fails and an
    unchanged thread's update writes nothing."""
    files = {urlsplit(a["url"]).path: SEED_IMAGES[a["filename"]]
             for p in truth["posts"] for a in p["attachments"]}
    stand_in = SEED_IMAGES["FE9CNKiWUAM6iQM.jpeg"]
    for post in truth["posts"]:
        for url in [post["avatar_url"], *post.get("hotlinked", [])]:
            if url:
                parts = urlsplit(url)
                own = url.startswith(truth["served_at"])
                files[parts.path if own else f"/offsite/{parts.netloc}{parts.path}"] = stand_in
    return files


FLARUM, NODEBB = _flarum(), _nodebb()
