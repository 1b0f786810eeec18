"""How big the offline search index (search/offline-index.js) gets, and how long search.js
takes to prepare it: for the demo thread and for a synthetic archive of 5,000 posts.

Run: `.venv/bin/python benchmarks/offline_index.py [--posts 5000]`. Needs node for the
preparation time (the same work search.js does on a reader's first search from file://).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scraper.archive import ThreadArchive  # noqa: E402
from scraper.demo_forum import DemoForum, seed  # noqa: E402
from scraper.fetch import FetchSettings, PoliteClient  # noqa: E402
from scraper.records import Author  # noqa: E402
from scraper.scrape import scrape_thread  # noqa: E402
from scraper.site.build import build_site  # noqa: E402
from scraper.site.offline_index import OFFLINE_INDEX_FILE, SEARCH_DIR  # noqa: E402

SEARCH_JS = ROOT / "theme" / "static" / "js" / "search.js"
POSTS_PER_THREAD = 500
# What search.js does on the first offline search: read the index, bring every post's text
# to its search words, then answer one query.
NODE_PREPARE = """
const text = require(process.argv[1]);
const fs = require('fs');
const window = {};
const started = process.hrtime.bigint();
new Function('window', fs.readFileSync(process.argv[2], 'utf8'))(window);
new Function('window', fs.readFileSync(process.argv[3], 'utf8'))(window);
const loaded = process.hrtime.bigint();
const rules = text.compile(window.FORUM_MIRROR_SEARCH_RULES);
const words = window.FORUM_MIRROR_INDEX.posts.map((post) => text.searchWords(rules, post[4]));
const prepared = process.hrtime.bigint();
const terms = text.searchWords(rules, 'والمغرب');
const hits = words.filter((w) => terms.every((t) => w.some((word) => word.startsWith(t)))).length;
const searched = process.hrtime.bigint();
const ms = (from, to) => Number(to - from) / 1e6;
console.log(JSON.stringify({load_ms: ms(started, loaded), prepare_ms: ms(loaded, prepared),
  search_ms: ms(prepared, searched), hits}));
"""


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(label: str, archive: Path, work: Path) -> dict[str, object]:
    output = work / f"site-{label}"
    started = time.monotonic()
    report = build_site(archive, output)
    build_seconds = time.monotonic() - started
    index = output / SEARCH_DIR / OFFLINE_INDEX_FILE
    raw = index.read_bytes()
    result: dict[str, object] = {
        "archive": label,
        "posts": report.posts,
        "build_s": round(build_seconds, 2),
        "offline_index_kb": round(len(raw) / 1024, 1),
        "offline_index_gzip_kb": round(len(gzip.compress(raw)) / 1024, 1),
        "pagefind_dir_kb": round(folder_bytes(output / "pagefind") / 1024, 1),
    }
    if shutil.which("node"):
        node = subprocess.run(
            [
                "node",
                "-e",
                NODE_PREPARE,
                str(SEARCH_JS),
                str(output / SEARCH_DIR / "rules.js"),
                str(index),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result.update(json.loads(node.stdout))
    return result


def demo_archive(work: Path) -> Path:
    root = work / "demo-archive"
    with (
        DemoForum() as forum,
        PoliteClient(
            FetchSettings(delay=0.0, allow_private_addresses=True)
        ) as client,
    ):
        scrape_thread(forum.thread_url, ThreadArchive(root), client)
    return root


def synthetic_archive(demo: Path, work: Path, posts: int) -> Path:
    """`posts` posts in threads of 500, their texts cycled from the demo forum's posts."""
    root = work / "synthetic-archive"
    base = next(ThreadArchive(demo).threads())
    texts = [value for value in vars(seed).values() if isinstance(value, str) and len(value) > 40]
    texts += [post.content_text for post in base.posts]
    archive = ThreadArchive(root)
    template = base.posts[0]
    for thread_number in range((posts + POSTS_PER_THREAD - 1) // POSTS_PER_THREAD):
        count = min(POSTS_PER_THREAD, posts - thread_number * POSTS_PER_THREAD)
        thread_posts = [
            dataclasses.replace(
                template,
                id=f"{thread_number}{index:05d}",
                position=index + 1,
                author=Author(f"عضو {index % 40}"),
                published=f"{2015 + (thread_number + index) % 10}-0{1 + index % 9}-11T10:00:00Z",
                content_text=f"{texts[(thread_number * 7 + index) % len(texts)]} ({index})",
                content_html=f"<div>{index}</div>",
                quotes=[],
                embeds=[],
                images=[],
            )
            for index in range(count)
        ]
        archive.save(
            dataclasses.replace(
                base,
                key=f"synthetic-{thread_number}",
                thread=dataclasses.replace(
                    base.thread, title=f"{base.thread.title} {thread_number}"
                ),
                posts=thread_posts,
                assets=[],
            )
        )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000, help="posts in the synthetic archive")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        demo = demo_archive(work)
        for label, archive in (("demo", demo), (f"synthetic-{args.posts}", None)):
            archive = archive or synthetic_archive(demo, work, args.posts)
            print(json.dumps(measure(label, archive, work), ensure_ascii=False))


if __name__ == "__main__":
    main()
