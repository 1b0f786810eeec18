"""Export the archive for other tools: one JSON object per post, in thread order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from .archive import ThreadArchive
from .records import ArchivedPost, ArchivedThread, to_dict


def post_row(thread: ArchivedThread, post: ArchivedPost) -> dict[str, Any]:
    """The export record of one post (field names are a contract: add, never rename)."""
    return {
        "thread_url": thread.thread.url,
        "thread_id": thread.thread.id,
        "thread_title": thread.thread.title,
        "thread_prefix": thread.thread.prefix,
        "thread_key": thread.key,
        "post_id": post.id,
        "position": post.position,
        "page": post.page,
        "author": post.author.name,
        "author_url": post.author.url,
        "published": post.published,
        "published_text": post.published_text,
        "edited": post.edited,
        "content_html": post.content_html,
        "content_text": post.content_text,
        "quotes": [q.post_id for q in post.quotes if q.post_id],
        "embeds": [to_dict(e) for e in post.embeds],
        "images": [to_dict(image) for image in post.images],
        "source_url": post.source_url,
        "fetched_at": post.fetched_at,
        "page_sha256": post.page_sha256,
        "warc_file": post.warc_file,
        "warc_record_id": post.warc_record_id,
        "revisions": len(post.revisions),
        "engine": thread.engine,
    }


def iter_rows(archive: ThreadArchive) -> Iterator[dict[str, Any]]:
    for thread in archive.threads():
        for post in sorted(thread.posts, key=lambda p: p.position):
            yield post_row(thread, post)


def write_jsonl(archive: ThreadArchive, out: TextIO) -> int:
    """Write every post as a JSON line; returns the number of posts written."""
    count = 0
    for row in iter_rows(archive):
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
