"""`update`'s re-check of one archived thread: one conditional request, and nothing written
into the thread's folder when the board says nothing changed.

The thread's state (thread_state.py) says where to ask and with which validators, so no
`thread.json` is read; the request and its answer go into the run's WARC file (runs.py).
On 304 the archived page is re-read from its WARC record (by offset) and the engine
confirms that the thread still ends there: the thread is unchanged, and only its state
learns when it was checked. Any other answer is handed to `scrape_thread`, which reads on
from it and writes the thread only if it changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .archive import ThreadArchive
from .engines import engine_named
from .engines.base import Request, Response
from .errors import ForumMirrorError
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
from .thread_state import ThreadState, ThreadStates


def recheck_thread(
    url: str, archive: ThreadArchive, client: PoliteClient, recorder: CheckRecorder,
    observer: ScrapeObserver | None = None, *, key: str | None, engine_name: str | None,
    run_id: str, claim: Callable[[str], None] | None = None,
) -> ScrapeSummary:
    """Re-check the thread at `url` (archived as `key`, if it is): `changed` in the summary
    says whether its folder was written. Raises as `scrape_thread` does; `claim` as there
    (the caller holds the lock of a `key` given)."""
    started = time.monotonic()
    requests_before, bytes_before = client.requests_made, client.bytes_received
    states = ThreadStates(archive)
    # A folder that changed since its state was written (an asset deleted, a killed run's
    # thread.json) is checked in full by scrape_thread, from the same first answer.
    fresh = states.fresh(key) if key is not None else None
    state = fresh or (states.current(key) if key is not None else None)
    prefetched: Fetched | None = None
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
        if (fresh is not None and known is not None and fetched.not_modified
                and not fetched.redirects and not state.unavailable
                and _ends_here(archive, state, start, fetched, known)):
            states.checked(state, utc_now(), run_id)
            return ScrapeSummary(
                key=state.key, title=state.title, url=state.url, pages=1, posts=state.posts,
                requests=client.requests_made - requests_before,
                bytes_received=client.bytes_received - bytes_before,
                seconds=round(time.monotonic() - started, 2), changed=False,
                status=fetched.capture.status)
        sealed = recorder.seal()  # the thread's pages may now point to this answer's record
        if sealed is not None:  # ... at its offset, known once the record is written
            fetched.capture = sealed.settled(fetched.capture)
        prefetched = fetched
    summary = scrape_thread(url, archive, client, observer, from_last_page=True, key=key,
                            engine_name=engine_name, run_id=run_id, prefetched=prefetched,
                            claim=claim)
    # The re-check's own request counts too, though scrape_thread did not send it.
    summary.requests = client.requests_made - requests_before
    summary.bytes_received = client.bytes_received - bytes_before
    summary.seconds = round(time.monotonic() - started, 2)
    summary.status = prefetched.capture.status if prefetched is not None else None
    return summary


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
