"""`update`'s re-check of one archived thread: a conditional request for its last page and
for the least recently read earlier ones, and nothing written into the thread's folder when
the board says nothing changed.

The thread's state (thread_state.py) says where to ask and with which validators, so no
`thread.json` is read; the request and its answer go into the run's WARC file (runs.py).
On 304 the archived page is re-read from its WARC record (by offset) and the engine
confirms that the thread still ends there: the thread is unchanged, and only its state
learns when it was checked. Any other answer is handed to `scrape_thread`, which reads on
from it and writes the thread only if it changed.

Edits on earlier pages are found by revisits: each re-check also asks for the `revisit`
least recently read pages before the last (their validators and when a run last read them
are in the state, `PageRead`), so of a thread of P pages every page is read again within
ceil((P - 1) / revisit) runs; `full` asks for every earlier page. A revisited page that
answers 304, or 200 with the bytes it had, changes nothing; one that changed is merged as
any page read is (earlier revisions kept), its answer in the run's WARC file, as the last
page's is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .archive import ThreadArchive
from .engines import engine_named
from .engines.base import Request, Response
from .errors import ForumMirrorError, Interrupted
from .fetch import Fetched, PoliteClient, Validators
from .fetch.charset import decode_body
from .records import Capture
from .runs import CheckRecorder
from .scrape import (
    ScrapeObserver,
    ScrapeSummary,
    recheck_start,
    record_unavailable,
    scrape_thread,
    thread_is_gone,
    utc_now,
)
from .thread_state import PageRead, ThreadState, ThreadStates, read_time, same_thread

log = logging.getLogger(__name__)

DEFAULT_REVISIT = 2  # earlier pages a re-check reads again (`--revisit`, `revisit`)


def recheck_thread(
    url: str, archive: ThreadArchive, client: PoliteClient, recorder: CheckRecorder,
    observer: ScrapeObserver | None = None, *, key: str | None, engine_name: str | None,
    run_id: str, revisit: int = DEFAULT_REVISIT, full: bool = False,
    claim: Callable[[str], None] | None = None,
) -> ScrapeSummary:
    """Re-check the thread at `url` (archived as `key`, if it is), and `revisit` of its
    earlier pages (`full`: all of them): `changed` in the summary says whether its folder
    was written. Raises as `scrape_thread` does; `claim` as there (the caller holds the
    lock of a `key` given)."""
    started = time.monotonic()
    requests_before, bytes_before = client.requests_made, client.bytes_received
    states = ThreadStates(archive)
    # A folder that changed since its state was written (an asset deleted, a killed run's
    # thread.json) is checked in full by scrape_thread, from the same first answer.
    fresh = states.fresh(key) if key is not None else None
    state = fresh or (states.current(key) if key is not None else None)
    prefetched: Fetched | None = None
    earlier: list[Fetched] = []
    reads: dict[int, PageRead] = {}
    if state is not None and state.quick:
        engine = engine_named(state.engine)
        start = recheck_start(engine, state.cursor, state.resume_url, state.last_page)
        last = state.last_capture
        # A page never archived (the cursor says so) is asked in full.
        known = last if start.url in (last.url, last.final_url) else None
        try:
            fetched = client.fetch(start.url, recorder(), kind="page",
                                   validators=Validators(known.etag, known.last_modified)
                                   if known else None)
        except ForumMirrorError as error:
            if thread_is_gone(error):
                _gone(archive, states, state, recorder, run_id, error)
            raise
        answers = _revisit(pages_to_revisit(state, revisit, full, start.page), client,
                           recorder, state)
        reads = {answer.read.number: answer.read for answer in answers}
        changed = [answer.fetched for answer in answers if answer.changed]
        # Every page, when all of them were read: the merge can then tell posts removed.
        earlier = [answer.fetched for answer in answers] if full and changed else changed
        if (fresh is not None and known is not None and fetched.not_modified
                and not fetched.redirects and not state.unavailable and not changed
                and _ends_here(archive, state, start, fetched, known)):
            states.checked(state.with_reads(reads), utc_now(), run_id)
            return ScrapeSummary(
                key=state.key, title=state.title, url=state.url, pages=1 + len(answers),
                posts=state.posts,
                requests=client.requests_made - requests_before,
                bytes_received=client.bytes_received - bytes_before,
                seconds=round(time.monotonic() - started, 2), changed=False,
                status=fetched.capture.status)
        sealed = recorder.seal()  # the thread's pages may now point to these answers' records
        if sealed is not None:  # ... at their offsets, known once the records are written
            for answer in (fetched, *earlier):
                answer.capture = sealed.settled(answer.capture)
        prefetched = fetched
    summary = scrape_thread(url, archive, client, observer, from_last_page=True, key=key,
                            engine_name=engine_name, run_id=run_id, prefetched=prefetched,
                            claim=claim, earlier=earlier, earlier_complete=full,
                            page_reads=reads)
    # The re-check's own request counts too, though scrape_thread did not send it.
    summary.requests = client.requests_made - requests_before
    summary.bytes_received = client.bytes_received - bytes_before
    summary.seconds = round(time.monotonic() - started, 2)
    summary.status = prefetched.capture.status if prefetched is not None else None
    return summary


def pages_to_revisit(state: ThreadState, revisit: int, full: bool,
                     asked: int | None = None) -> list[PageRead]:
    """The earlier pages a re-check reads again: the `revisit` least recently read (the
    lower page first among equals), or with `full` every one, in page order. Every page but
    the one the re-check asks for anyway (`asked`: the last, unless the engine starts its
    re-checks elsewhere, as an API engine may at page 1) is an earlier page."""
    asked = state.last_page if asked is None else asked
    earlier = [page for page in state.pages if page.number != asked]
    if full:
        return earlier
    by_age = sorted(earlier, key=lambda page: (read_time(page.read_at), page.number))
    return sorted(by_age[:max(0, revisit)], key=lambda page: page.number)


@dataclass(frozen=True)
class _Revisit:
    """A revisited page's answer, and the page as now read."""

    fetched: Fetched
    read: PageRead
    changed: bool  # neither a 304 nor the bytes it had


def _revisit(pages: list[PageRead], client: PoliteClient, recorder: CheckRecorder,
             state: ThreadState) -> list[_Revisit]:
    """Ask for each page again, conditionally. A page that fails is reported and left for
    the next run (not marked as read); it fails no thread, whose last page answered."""
    engine = engine_named(state.engine)
    answers: list[_Revisit] = []
    for page in pages:
        try:
            fetched = client.fetch(page.url, recorder(), kind="page",
                                   validators=Validators(page.etag, page.last_modified))
        except Interrupted:
            raise
        except ForumMirrorError as error:
            log.warning("revisit of page %d (%s) failed: %s; asked again next run",
                        page.number, page.url, error)
            continue
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        capture = fetched.capture
        if fetched.not_modified:
            read = replace(page, read_at=now)
        else:  # the validators of this answer are the ones to send next time
            read = replace(page, etag=capture.etag, last_modified=capture.last_modified,
                           sha256=capture.sha256, read_at=now)
        if fetched.redirects and same_thread(engine, capture.final_url, state.url):
            read = replace(read, url=capture.final_url)  # a moved thread: ask there next
        same = fetched.not_modified or capture.sha256 == page.sha256
        answers.append(_Revisit(fetched, read, changed=not same))
    return answers


def _ends_here(archive: ThreadArchive, state: ThreadState, start: Request, fetched: Fetched,
               known: Capture) -> bool:
    """Whether the archived page, re-read from its WARC record, is still the thread's last
    (the engine asks for nothing after it)."""
    engine = engine_named(state.engine)
    payload = archive.warc_payload(known.warc_file, known.warc_record_id, known.warc_offset)
    try:
        reading = engine.read(Response(url=start.url, final_url=known.final_url,
                                       status=known.status, text=decode_body(payload),
                                       headers=fetched.headers, fetched_at=known.fetched_at),
                              start.cursor)
    except ForumMirrorError:
        return False  # scrape_thread reads it again and says what is wrong
    return reading.next is None and reading.page.page_number == state.last_page


def _gone(archive: ThreadArchive, states: ThreadStates, state: ThreadState,
          recorder: CheckRecorder, run_id: str, error: ForumMirrorError) -> None:
    """The board lost the thread: the first run to see it says so in thread.json; later ones
    only note the check (the answer is in the run's WARC file)."""
    if state.unavailable:
        states.checked(state, utc_now(), run_id)
        return
    stored = archive.load_stored(state.key)
    if stored is not None:
        warc_file = recorder.warc_file
        recorder.seal()  # thread.json points to it: it must be complete first
        record_unavailable(stored[0], archive, run_id, warc_file, error)
