"""The site's search data: one record per post, for Pagefind and for `file://` readers.

Pagefind cannot load from `file://` (an ES module and `fetch`), so the build also writes
the posts as a classic script, `search/offline-index.js`, that search.js loads with a
`<script src>` when the site is opened from a folder. The same file is what Pagefind
indexes (see search.py), so both searches see the same posts. `search/rules.js` carries
the normalization rules (arabic.RULES) to search.js.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .arabic import RULES
from .views import ThreadView, time_view

log = logging.getLogger(__name__)

SEARCH_DIR = "search"
OFFLINE_INDEX_FILE = "offline-index.js"
RULES_FILE = "rules.js"
INDEX_GLOBAL = "FORUM_MIRROR_INDEX"
RULES_GLOBAL = "FORUM_MIRROR_SEARCH_RULES"
FORMAT_VERSION = 2


@dataclass(frozen=True)
class SearchPost:
    """A post as search shows it; `url` is from the site's root and ends in its anchor."""

    thread: int  # index into SearchData.threads
    url: str
    author: str
    published: str  # ISO 8601, or "" when the board gave no time
    text: str
    date_text: str = ""  # the date as the thread's pages show it (`24 نونبر 2021، 10:42`)

    @property
    def year(self) -> str:
        """The year of publication, for the year filter ("" when unknown)."""
        try:
            return str(datetime.fromisoformat(self.published).year)
        except ValueError:
            return ""


@dataclass(frozen=True)
class SearchThread:
    title: str
    url: str  # its first page, from the site's root


@dataclass
class SearchData:
    """Every post of the site, collected one thread at a time while the pages are written."""

    threads: list[SearchThread] = field(default_factory=list)
    posts: list[SearchPost] = field(default_factory=list)

    def add_thread(self, view: ThreadView) -> None:
        """Add `view`'s posts."""
        summary = view.summary
        self.threads.append(SearchThread(summary.title, summary.href))
        number = len(self.threads) - 1
        folder = summary.href.rsplit("/", 1)[0]
        for page in view.pages:
            for post in page.posts:
                moment = time_view(post.published, summary.lang, summary.board_language)
                self.posts.append(
                    SearchPost(
                        thread=number,
                        url=f"{folder}/{page.file}#{post.anchor}",
                        author=post.author_name,
                        published=post.published or "",
                        text=post.search_text,
                        date_text=moment.text if moment else post.published_text,
                    )
                )

    def to_json(self) -> str:
        """The compact form search.js reads: arrays, not objects, to keep the file small."""
        data = {
            "version": FORMAT_VERSION,
            "threads": [[thread.title, thread.url] for thread in self.threads],
            "posts": [
                [post.thread, post.url, post.author, post.published, post.text, post.date_text]
                for post in self.posts
            ],
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SearchData:
        """Read back what `to_json` wrote."""
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"search data version {data.get('version')!r} is not {FORMAT_VERSION}")
        return cls(
            threads=[SearchThread(title, url) for title, url in data["threads"]],
            posts=[SearchPost(*row) for row in data["posts"]],
        )


def _script(name: str, payload: str) -> str:
    # JSON is a JavaScript expression. `<\\/` is JSON's own escape of `</`: no scraped text
    # could close a <script> element even if someone inlined the file.
    escaped = payload.replace("</", "<\\/")
    return f"window.{name} = {escaped};\n"


def write_search_files(output: Path, data: SearchData) -> Path:
    """Write `search/offline-index.js` and `search/rules.js` under `output`; returns the index."""
    folder = output / SEARCH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    rules = json.dumps(RULES, separators=(",", ":"))  # \u escapes: marks stay readable
    (folder / RULES_FILE).write_text(_script(RULES_GLOBAL, rules), encoding="utf-8")
    index = folder / OFFLINE_INDEX_FILE
    index.write_text(_script(INDEX_GLOBAL, data.to_json()), encoding="utf-8")
    log.debug("offline search index: %d posts, %d bytes", len(data.posts), index.stat().st_size)
    return index


def read_search_data(output: Path) -> SearchData:
    """The posts `write_search_files` wrote into the site at `output`."""
    text = (output / SEARCH_DIR / OFFLINE_INDEX_FILE).read_text(encoding="utf-8")
    prefix = f"window.{INDEX_GLOBAL} = "
    if not text.startswith(prefix):
        raise ValueError(f"{output / SEARCH_DIR / OFFLINE_INDEX_FILE} is not an offline index")
    return SearchData.from_json(text[len(prefix) :].rstrip().removesuffix(";"))
