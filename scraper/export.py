"""Export the archive for other tools: one JSON object per post, in thread order."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, TextIO

from .archive import ThreadArchive, UnreadableThread
from .records import ArchivedPost, ArchivedThread, to_dict

log = logging.getLogger(__name__)


@dataclass
class ExportReport:
    """What an export wrote, and the threads it left out because they cannot be read."""

    posts: int = 0
    unreadable: list[UnreadableThread] = field(default_factory=list)  # left out


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


def write_jsonl(archive: ThreadArchive, out: TextIO) -> ExportReport:
    """Write every post as a JSON line; a thread that cannot be read is logged, left out
    and listed in the report, so one bad file does not keep the others from export."""
    archive.require()
    report = ExportReport()
    for thread in archive.scan_threads():
        if isinstance(thread, UnreadableThread):
            log.error("left out of the export: %s", thread.error)
            report.unreadable.append(thread)
            continue
        for post in sorted(thread.posts, key=lambda p: p.position):
            out.write(json.dumps(post_row(thread, post), ensure_ascii=False) + "\n")
            report.posts += 1
    return report
