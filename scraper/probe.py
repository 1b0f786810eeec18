"""`forum-mirror probe URL`: what a scrape of the thread would archive, without archiving it.

The first page (and, for an engine that reads an API, its first response) is fetched with
the same polite client a scrape uses (robots.txt, the delay, retries, size caps) and read
with the engine a scrape would choose, through the same seam; the exchanges go into a WARC
file in a temporary folder that is deleted afterwards, so the archive is never touched.
The report says which engine was chosen and why (the markers each engine found), the
thread, each post as it would be stored, the next page, and what looked wrong: the
engines' own warnings (a post skipped for want of an id) and times that did not parse.
Nothing here knows a board: every engine registered in `ENGINES`, and every selector
profile of the config file, is probed the same way.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .engines import Engine, cookie_names, detect, engine_scores, engines_claiming
from .engines.base import Request, Response
from .fetch import Fetched, PoliteClient, WarcRecorder
from .records import ParsedPage, ParsedPost

SNIPPET_WORDS = 20


@dataclass
class ProbedPost:
    """One post as the archive would keep it (the first words of its content)."""

    id: str
    position: int
    author: str
    member_id: str | None
    author_url: str | None
    published: str | None  # as read (ISO 8601; None: not read)
    published_text: str  # as the board shows it
    snippet: str
    images: list[str]
    quotes: list[str | None]


@dataclass
class ProbeReport:
    """What `probe` found; `as_json` for `--json`."""

    url: str
    engine: str
    why: str
    markers: list[str]
    scores: list[dict[str, Any]]
    thread: dict[str, Any]
    page: int
    last_page: int | None
    next_url: str | None
    posts: list[ProbedPost]
    warnings: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # the URLs asked for, robots.txt aside
    requests: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def probe(url: str, client: PoliteClient, forced: Engine | None, forced_by: str = ""
          ) -> ProbeReport:
    """Fetch and read the first page of the thread at `url` as a scrape would, keeping
    nothing; raises what a scrape raises (UnsupportedUrl, RobotsDisallowed, FetchFailed,
    LayoutChanged, AccessBlocked, ConfigError)."""
    claiming = engines_claiming(url)
    engine, why = forced, forced_by
    if engine is None and len(claiming) == 1:
        engine, why = claiming[0], "the only engine whose URL shape it has"
    reader = engine or (claiming[0] if claiming else None)
    with tempfile.TemporaryDirectory(prefix="forum-mirror-probe-") as folder:
        path = Path(folder) / "probe.warc.gz"
        recorder = WarcRecorder(path, warc_file_label=path.name, settings=client.settings)
        try:
            first_url = reader.first_page_url(url) if reader and reader.matches(url) else url
            fetched = client.fetch(first_url, recorder, kind="page")
            asked = [first_url]
            cookies = cookie_names(fetched.headers.get("set-cookie", ""))
            scores = engine_scores(fetched.text(), None, cookies)
            if engine is None:
                engine = detect(fetched.text(), url, claiming or None, cookies)
                why = ("the most of its markers on the page" if not claiming else
                       f"its markers on the page, among the engines claiming the URL "
                       f"({', '.join(e.name for e in claiming)})")
            start = engine.first_request(url) if engine.matches(url) else Request(url, 1)
            if start.url not in (first_url, fetched.capture.final_url):
                fetched = client.fetch(start.url, recorder, kind="page")  # an API's answer
                asked.append(start.url)
            with _engine_warnings() as warnings:
                reading = engine.read(_response(start.url, fetched), start.cursor)
        finally:
            recorder.close()
    chosen = next((s for s in scores if s.engine.name == engine.name), None)
    return _report(url, engine, why, list(chosen.markers) if chosen else [], scores,
                   reading.page, warnings, asked, client.requests_made)


def _response(url: str, fetched: Fetched) -> Response:
    capture = fetched.capture
    return Response(url=url, final_url=capture.final_url, status=capture.status,
                    text=fetched.text(), headers=fetched.headers, fetched_at=capture.fetched_at)


@contextmanager
def _engine_warnings() -> Iterator[list[str]]:
    """The warnings engines log while reading (a post skipped, a number assumed), collected
    for the report instead of the console."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name != dates_log:  # the report says which times did not parse
                found.append(record.getMessage())

    dates_log = "scraper.engines.dates"

    engines_log = logging.getLogger("scraper.engines")
    handler = Collect(logging.WARNING)
    engines_log.addHandler(handler)
    propagate, engines_log.propagate = engines_log.propagate, False
    try:
        yield found
    finally:
        engines_log.removeHandler(handler)
        engines_log.propagate = propagate


def _report(url: str, engine: Engine, why: str, markers: list[str], scores: list[Any],
            page: ParsedPage, warnings: list[str], asked: list[str], requests: int
            ) -> ProbeReport:
    posts = [_probed(post) for post in page.posts]
    warnings = list(warnings)
    for post in posts:
        if not post.published_text:
            warnings.append(f"post {post.id} shows no time")
        elif post.published is None:
            warnings.append(f"post {post.id}: the time {post.published_text!r} did not parse")
        if not post.author:
            warnings.append(f"post {post.id} has no author name")
    if page.next_url is None and page.last_page and page.last_page > page.page_number:
        warnings.append(f"page {page.page_number} of {page.last_page} links no next page")
    if page.bad_next_href:
        warnings.append(f"the next page link {page.bad_next_href!r} is no usable URL")
    thread = page.thread
    return ProbeReport(
        url=url, engine=engine.name, why=why, markers=markers,
        scores=[{"engine": s.engine.name, "score": s.score, "markers": list(s.markers),
                 "cookie": s.cookie} for s in scores],
        thread={"id": thread.id, "title": thread.title, "url": thread.url,
                "language": thread.language,
                "breadcrumb": [{"title": link.title, "url": link.url}
                               for link in thread.breadcrumb]},
        page=page.page_number, last_page=page.last_page, next_url=page.next_url, posts=posts,
        warnings=warnings, fetched=asked, requests=requests)


def _probed(post: ParsedPost) -> ProbedPost:
    words = post.content_text.split()
    snippet = " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    return ProbedPost(
        id=post.id, position=post.position, author=post.author.name,
        member_id=post.author.member_id, author_url=post.author.url,
        published=post.published, published_text=post.published_text, snippet=snippet,
        images=[asset.url for asset in post.assets], quotes=[q.post_id for q in post.quotes])


def report_lines(report: ProbeReport) -> list[str]:
    """The report as plain lines for the console (URLs whole, for copying)."""
    others = ", ".join(f"{s['engine']} {s['score']}" for s in report.scores
                       if s["engine"] != report.engine)
    lines = [
        f"engine: {report.engine} ({report.why})",
        f"  markers seen: {', '.join(report.markers) or 'none'}",
        f"  other engines' scores: {others or 'none'}",
        f"thread: {report.thread['title']!r} (id {report.thread['id']}) {report.thread['url']}",
        f"page {report.page}" + (f" of {report.last_page}" if report.last_page else "")
        + f": {len(report.posts)} post(s); next page: {report.next_url or 'none'}",
    ]
    for post in report.posts:
        member = f" (member {post.member_id})" if post.member_id else ""
        lines.append(f"  #{post.position} post {post.id} by {post.author or '?'}{member}: "
                     f"{post.published or 'time not read'} (shown {post.published_text!r})")
        lines.append(f"      {post.snippet}")
        for image in post.images:
            lines.append(f"      image: {image}")
    lines.append("warnings:" if report.warnings else "warnings: none")
    lines.extend(f"  - {warning}" for warning in report.warnings)
    lines.append(f"{report.requests} request(s) (robots.txt included); nothing was written to "
                 "the archive.")
    return lines
