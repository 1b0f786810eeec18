"""Discourse, read over its JSON API as guests see it: the topic, its posts in batches.

What the API gives and how it is read (tests/fixtures/discourse/README.md says where the
fixture responses come from):

- Thread URLs users paste: `/t/slug/ID`, `/t/ID`, `/t/slug/ID/N` (post number N), also under
  a subfolder (`/forum/t/...`). Every one names topic ID; reading starts at `/t/ID.json`.
- Page 1 is `/t/ID.json`: the topic (`title`, `slug`, `posts_count`, `highest_post_number`),
  its first posts (`post_stream.posts`, `chunk_size` 20) and `post_stream.stream`, every post
  id in order. Pages 2 and on are batches of 20 ids, `/t/ID/posts.json?post_ids[]=...`, as
  the site itself asks for them.
- Page numbers stay stable as posts are added: the cursor keeps each batch's ids, so a batch
  is asked for at the same URL in every run (its validators stay meaningful for revisits),
  and new ids fill the last batch up to 20, then start new batches. An id that leaves the
  stream (deleted, moved) keeps its place in its batch: the board just no longer returns it.
- A re-check asks for `/t/ID.json` again and compares its stream with the batches: only new
  ids are fetched (`recheck_request`). Edits on page 1 are seen there; later batches are
  revisited like pages (recheck.py), by their stable URLs.
- Posts: `id`, `post_number` (the position: moved posts leave gaps), `username` and
  `user_id`, `avatar_template` (letter avatars are none), `created_at`, `updated_at` with
  `version` (above 1: edited), `cooked` into canonical HTML: `aside.quote` (`data-post` is
  a post number in topic `data-topic`; mapped to the quoted post's id through the numbers
  read so far), lightbox uploads and `/uploads/` images at full size, attachments, oneboxes
  as static cards (no third-party request), emoji images as their text. Small actions
  (post_type 3, "closed this topic") are not posts. A post hidden by flags (`cooked_hidden`)
  is kept with a note; its earlier text, if archived, stays as a revision.
- Earlier versions: a post at `version` V > 1 whose board shows its history
  (`can_view_edit_history`) names `/posts/ID/revisions/2..V.json` (`ParsedPost.history`);
  revision N's `body_changes.side_by_side` shows version N - 1 beside N, and the scraper
  archives those versions as the post's earlier revisions when it first archives the post.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import escape as _escape
from typing import Any, ClassVar
from urllib.parse import quote, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import AccessBlocked, LayoutChanged, UnsupportedUrl
from ..lazy_pattern import lazy_regex
from ..records import (
    AssetRef,
    Author,
    EarlierVersion,
    Embed,
    ParsedPage,
    ParsedPost,
    Quote,
    ThreadInfo,
)
from ..urls import canonical_url, shown
from . import canonical
from .base import (
    Cursor,
    Engine,
    Reading,
    Request,
    Response,
    absolutize_urls,
    node_text,
    one_line,
    url_filename,
)
from .claims import URL_PATTERNS
from .walls import CHALLENGE_MARKERS

BATCH_SIZE = 20  # ids per posts.json request: what Discourse's own client asks for
SMALL_ACTION = 3  # post_type of "closed this topic", "split this topic" notes
HIDDEN_NOTE = ("<p><em>Hidden by the board after flags: its text is not shown to "
               "visitors.</em></p>")
AVATAR_SIZE = "120"
# Revisions read of one post at most (its first ones: the text before any edit first).
MAX_HISTORY = 11

_PATTERN = URL_PATTERNS["discourse"]


class Discourse(Engine):
    name = "discourse"
    summary = "Discourse (its JSON API: /t/ID.json and posts.json batches)"
    pattern = _PATTERN
    example = "https://forum.example/t/some-topic/123"
    examples: ClassVar[tuple[str, ...]] = (
        "https://forum.example/t/some-topic/123",
        "https://forum.example/t/123",
        "https://forum.example/t/some-topic/123/7",
        "https://forum.example/t/123/7",
        "https://forum.example/forum/t/some-topic/123",
        "https://forum.example/t/some-topic/123?u=someone",
        "https://forum.example/t/123.json",
    )
    accept = "application/json"
    marker_patterns = (
        ("generator meta", lazy_regex(r'<meta\s+name="generator"\s+content="Discourse', re.I)),
        ("preloaded data", lazy_regex(r'id="data-preloaded"|data-discourse-setup')),
        ("crawler body", lazy_regex(r'<body[^>]*class="[^"]*\bcrawler\b')),
        ("topic JSON", lazy_regex(r'"post_stream"\s*:\s*\{')),
        ("chunk size", lazy_regex(r'"chunk_size"\s*:\s*\d')),
    )
    cookie_prefixes = ("_forum_session", "_t")

    def _parts(self, url: str) -> tuple[str, str]:
        match = self.pattern.match(canonical_url(url))
        if match is None:
            raise UnsupportedUrl(f"{shown(url)} is not a {self.name} topic URL")
        return match.group("base"), match.group("id").lstrip("0") or "0"

    def first_page_url(self, url: str) -> str:
        base, topic = self._parts(url)
        return f"{base}/t/{topic}.json"

    def parse_page(self, html: str, url: str, fetched_at: str | None = None) -> ParsedPage:
        """One answer read on its own (`verify`, telling a topic from its URL): the topic's
        JSON as page 1; a batch's posts as served, page number 0 (only the topic's cursor
        says which batch it is) and quotes of posts outside it naming no post id."""
        response = Response(url=url, final_url=url, status=200, text=html,
                            fetched_at=fetched_at or "")
        if _is_topic(url):
            return self.read(response, None).page
        base, topic = self._parts(url)
        state: Cursor = {"base": base, "topic": topic, "url": f"{base}/t/{topic}", "title": "",
                         "batches": [], "numbers": {}}
        return self._reading(response, state, 0, _posts(_json_object(response)), []).page

    def recheck_request(self, cursor: Cursor) -> Request:
        """`/t/ID.json` again: its stream says which ids are new (page 1's posts are re-read
        on the way, so their edits are seen)."""
        return Request(f"{cursor['base']}/t/{cursor['topic']}.json", 1,
                       cursor={**cursor, "queue": [], "started_at": 1, "recheck": True})

    def resume_request(self, url: str, page: int, cursor: Cursor | None) -> Request:
        """Where an interrupted run goes on: the failed batch, read with the batches known."""
        if cursor is None:
            return Request(url, page)
        queue = [p for p in cursor.get("queue", []) if p > page]
        return Request(url, page, cursor={**cursor, "queue": [page, *queue],
                                          "started_at": page})

    def read(self, response: Response, cursor: Cursor | None) -> Reading:
        data = _json_object(response)
        if "post_stream" not in data:
            raise LayoutChanged(f"{response.final_url} answered JSON without a post_stream: "
                                "not a Discourse topic")
        if _is_topic(response.final_url):
            return self._read_topic(response, data, cursor)
        if cursor is None or "batches" not in cursor:
            raise LayoutChanged(f"{shown(response.final_url)} is a batch of posts, read only "
                                "after its topic's JSON (which says what the batches are)")
        return self._read_batch(response, data, cursor)

    def _read_topic(self, response: Response, data: dict[str, Any],
                    cursor: Cursor | None) -> Reading:
        base, topic = self._parts(response.final_url)
        stream = [int(i) for i in data["post_stream"].get("stream") or [] if _is_int(i)]
        raw_posts = _posts(data)
        if not stream and not raw_posts:
            raise LayoutChanged(f"{response.final_url} lists no posts")
        title = str(data.get("title") or "").strip()
        slug = str(data.get("slug") or "").strip()
        thread_url = f"{base}/t/{quote(slug, safe='')}/{topic}" if slug else f"{base}/t/{topic}"
        first = [int(p["id"]) for p in raw_posts]
        batches: list[list[int]] = [list(b) for b in (cursor or {}).get("batches", [])]
        known = set(first).union(*map(set, batches)) if batches else set(first)
        new_ids = [i for i in stream if i not in known]
        queue: list[int] = []
        if new_ids and batches and len(batches[-1]) < BATCH_SIZE:
            room = BATCH_SIZE - len(batches[-1])
            batches[-1] = [*batches[-1], *new_ids[:room]]
            new_ids = new_ids[room:]
            queue.append(len(batches) + 1)  # the last batch, grown: page 1 + its index
        for start in range(0, len(new_ids), BATCH_SIZE):
            batches.append(new_ids[start:start + BATCH_SIZE])
            queue.append(len(batches) + 1)
        if cursor is None or not cursor.get("recheck"):
            queue = list(range(2, len(batches) + 2))  # a full reading asks for every batch
        numbers = dict((cursor or {}).get("numbers", {}))
        state: Cursor = {
            "base": base, "topic": topic, "url": thread_url, "title": title,
            "first": first, "batches": batches, "numbers": numbers,
            "posts_count": data.get("posts_count"),
            "highest_post_number": data.get("highest_post_number"),
            "started_at": 1, "recheck": bool(cursor and cursor.get("recheck")),
        }
        return self._reading(response, state, 1, raw_posts, queue)

    def _read_batch(self, response: Response, data: dict[str, Any],
                    cursor: Cursor) -> Reading:
        page = _batch_page(response.final_url, cursor["batches"])
        if page is None:
            raise LayoutChanged(f"{response.final_url} is no batch of topic {cursor['topic']}")
        queue = [p for p in cursor.get("queue", []) if p != page]
        state = {k: v for k, v in cursor.items() if k not in ("queue", "page")}
        return self._reading(response, {**state, "numbers": dict(cursor.get("numbers", {}))},
                             page, _posts(data), queue)

    def _reading(self, response: Response, state: Cursor, page: int,
                 raw_posts: list[dict[str, Any]], queue: list[int]) -> Reading:
        numbers: dict[str, int] = state["numbers"]
        for raw in raw_posts:  # every number of this response first: a post may quote a later one
            numbers[str(raw["post_number"])] = int(raw["id"])
        posts = [self._post(raw, state) for raw in raw_posts
                 if raw.get("post_type", 1) != SMALL_ACTION]
        batches = state["batches"]
        following = None
        if queue:
            number = queue[0]
            following = Request(batch_url(state["base"], state["topic"], batches[number - 2]),
                                number)
        total = len(batches) + 1
        parsed = ParsedPage(
            thread=ThreadInfo(id=state["topic"], url=state["url"], title=state["title"]),
            page_number=page, posts=posts,
            next_url=following.url if following else None, last_page=total,
        )
        return Reading(page=parsed, next=following,
                       cursor={**state, "queue": queue, "page": page, "last_page": total},
                       complete=following is None and state.get("started_at") == 1
                       and not state.get("recheck"))

    def _post(self, raw: dict[str, Any], state: Cursor) -> ParsedPost:
        base = state["base"]
        username = str(raw.get("username") or "")
        avatar = str(raw.get("avatar_template") or "")
        avatar_url = None
        if avatar and "letter_avatar" not in avatar:
            avatar_url = urljoin(base + "/", avatar.replace("{size}", AVATAR_SIZE))
        author = Author(
            name=username, url=f"{base}/u/{quote(username, safe='')}" if username else None,
            avatar_url=avatar_url,
            member_id=str(raw["user_id"]) if _is_int(raw.get("user_id")) else None,
        )
        created = str(raw.get("created_at") or "")
        updated = str(raw.get("updated_at") or "")
        version = int(raw["version"]) if _is_int(raw.get("version")) else 1
        edited = _iso(updated) if version > 1 else None
        # Revision N shows version N - 1 beside N: versions 1 .. V - 1 of a post at version V.
        history = [f"{base}/posts/{raw['id']}/revisions/{number}.json"
                   for number in range(2, min(version, MAX_HISTORY) + 1)
                   ] if raw.get("can_view_edit_history") else []
        cooked = HIDDEN_NOTE if raw.get("cooked_hidden") else str(raw.get("cooked") or "")
        content, text, quotes, embeds, assets = self._content(cooked, base, state)
        return ParsedPost(
            id=str(raw["id"]), position=int(raw["post_number"]), author=author,
            published=_iso(created), published_text=created,
            content_html=content, content_text=text,
            edited=edited, edited_text=updated if edited else "",
            quotes=quotes, embeds=embeds, assets=assets, history=history,
        )

    def read_version(self, response: Response, cursor: Cursor | None) -> EarlierVersion | None:
        """The version before revision N, from `/posts/ID/revisions/N.json`: the left side
        of `body_changes.side_by_side`, the earlier cooked HTML with its removed words
        marked (`<del>`, kept as words)."""
        data = _json_object(response)
        changes = data.get("body_changes")
        side_by_side = changes.get("side_by_side") if isinstance(changes, dict) else None
        if not isinstance(side_by_side, str) or cursor is None:
            return None
        left = LexborHTMLParser(f"<body>{side_by_side}</body>").css_first("div.revision-content")
        if left is None:
            return None
        for added in left.css("ins"):
            added.decompose()
        for removed in left.css("del"):
            removed.unwrap()
        content, text, _, _, _ = self._content(left.inner_html or "", cursor["base"], cursor)
        return EarlierVersion(content_html=content, content_text=text)

    def _content(self, cooked: str, base: str, state: Cursor
                 ) -> tuple[str, str, list[Quote], list[Embed], list[AssetRef]]:
        tree = LexborHTMLParser(f"<body>{cooked}</body>")
        body = tree.body
        assert body is not None
        absolutize_urls(body, base + "/")
        for emoji in body.css("img.emoji"):  # the board's emoji set: its text, no image
            canonical.replace_with_html(emoji, _escape(emoji.attributes.get("title")
                                                       or emoji.attributes.get("alt") or ""))
        embeds: list[Embed] = []
        for box in body.css("aside.onebox, div.lazy-video-container, div.youtube-onebox"):
            if box.parent is None:
                continue
            canonical.place_embed(box, _onebox(box), embeds)
        quote_blocks = body.css("aside.quote")
        quotes = [self._quote(block, state) for block in quote_blocks]
        canonical.replace_quotes(quote_blocks, quotes, _quote_content)
        assets = _uploads(body)
        for meta in body.css("div.meta, .quote-controls, svg"):
            meta.decompose()
        for paragraph in body.css("p"):  # left where a block (a lightbox) split a paragraph
            if not (paragraph.inner_html or "").strip():
                paragraph.decompose()
        canonical.drop_board_classes(body)
        canonical.drop_comments(body)
        html = (body.inner_html or "").strip()
        return html, node_text(body), quotes, embeds, assets

    def _quote(self, block: LexborNode, state: Cursor) -> Quote:
        author = (block.attributes.get("data-username") or "").strip()
        number = (block.attributes.get("data-post") or "").strip()
        quoted_topic = (block.attributes.get("data-topic") or "").strip()
        post_id = None
        if quoted_topic in ("", state["topic"]) and number.isdecimal():
            found = state["numbers"].get(str(int(number)))
            post_id = str(found) if found is not None else None
        return Quote(author=author, post_id=post_id)


def batch_url(base: str, topic: str, ids: list[int]) -> str:
    """The posts.json request for `ids`, as Discourse's client spells it."""
    return f"{base}/t/{topic}/posts.json?" + "&".join(f"post_ids%5B%5D={i}" for i in ids)


def _is_topic(url: str) -> bool:
    return not urlsplit(url).path.endswith("/posts.json")


def _batch_page(url: str, batches: list[list[int]]) -> int | None:
    """Which page (2, 3, ...) the posts.json `url` asks for."""
    asked = [int(v) for v in re.findall(r"post_ids(?:%5B%5D|\[\])=(\d+)", url, re.I)]
    for index, batch in enumerate(batches):
        if batch == asked:
            return index + 2
    return None


def _json_object(response: Response) -> dict[str, Any]:
    """The response as a JSON object; a page of HTML instead is a wall or a changed board."""
    try:
        data = json.loads(response.text)
    except ValueError:
        text = response.text
        if CHALLENGE_MARKERS.search(text) or re.search(r'type="?password', text, re.I):
            raise AccessBlocked(
                f"{response.final_url} answered with a challenge or login page, not the "
                "topic's JSON; nothing was archived from it") from None
        raise LayoutChanged(f"{response.final_url} did not answer JSON (the board may not "
                            "be Discourse, or hides its API)") from None
    if not isinstance(data, dict):
        raise LayoutChanged(f"{response.final_url} answered JSON that is not an object")
    if data.get("error_type") in ("not_logged_in", "invalid_access"):
        raise AccessBlocked(f"{response.final_url} needs a login ({data.get('error_type')})")
    return data


def _posts(data: dict[str, Any]) -> list[dict[str, Any]]:
    posts = data["post_stream"].get("posts") or []
    return [p for p in posts if isinstance(p, dict) and _is_int(p.get("id"))
            and _is_int(p.get("post_number"))]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _iso(text: str) -> str | None:
    """Discourse's `2026-01-08T19:23:48.342Z` as ISO 8601 with offset, to the second."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat(timespec="seconds")
    except ValueError:
        return None


def _quote_content(block: LexborNode) -> LexborNode:
    title = block.css_first("div.title")
    if title is not None:
        title.decompose()
    inner = block.css_first("blockquote")
    return inner if inner is not None else block


def _onebox(box: LexborNode) -> Embed | None:
    """A onebox as a static card: its link, the site's name, title and description."""
    video_id = box.attributes.get("data-video-id") or box.attributes.get("data-youtube-id")
    provider = (box.attributes.get("data-provider-name") or "youtube").lower()
    if video_id and provider == "youtube":
        return canonical.youtube_embed(video_id)
    url = box.attributes.get("data-onebox-src") or ""
    title_link = box.css_first("article h3 a[href], header a[href]")
    if not url and title_link is not None:
        url = title_link.attributes.get("href") or ""
    if not url.startswith(("http://", "https://")):
        return None
    heading = box.css_first("article h3")
    source = box.css_first("header.source a, header.source")
    description = box.css_first("article p")
    return Embed(kind="link", url=url,
                 author=one_line(heading.text()) if heading is not None else "",
                 handle=one_line(source.text()) if source is not None else "",
                 text=node_text(description) if description is not None else "")


def _uploads(body: LexborNode) -> list[AssetRef]:
    """The post's uploads at full size: lightboxes become their full image, upload images and
    attachment links are referenced where they stand."""
    assets: list[AssetRef] = []
    for wrapper in body.css("div.lightbox-wrapper"):
        link = wrapper.css_first("a.lightbox[href]")
        if link is None:
            continue
        full = link.attributes.get("href") or ""
        image = link.css_first("img")
        thumbnail = image.attributes.get("src") if image is not None else None
        name_node = link.css_first("span.filename")
        name = (one_line(name_node.text()) if name_node is not None else "") or \
            (link.attributes.get("title") or "").strip() or full.rsplit("/", 1)[-1]
        assets.append(AssetRef(url=full, filename=name, kind="attachment",
                               thumbnail_url=thumbnail if thumbnail != full else None))
        canonical.replace_with_html(wrapper, f'<img src="{_escape(full)}" alt="{_escape(name)}">')
    for image in body.css("img[src]"):  # uploads shown small, and hot-linked images
        src = image.attributes.get("src") or ""
        if src.startswith(("http://", "https://")) and all(a.url != src for a in assets):
            assets.append(AssetRef(url=src, filename=url_filename(src) or "image",
                                   kind="attachment" if "/uploads/" in src else "image"))
    for link in body.css("a.attachment[href]"):
        href = link.attributes.get("href") or ""
        assets.append(AssetRef(url=href, filename=one_line(link.text()) or
                               href.rsplit("/", 1)[-1], kind="attachment"))
    return assets
