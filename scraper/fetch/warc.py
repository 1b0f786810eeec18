"""WARC 1.1 recording of every HTTP exchange, as it came off the wire, plus metadata records."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import logging
import os
import queue
import threading
from concurrent import futures
from concurrent.futures import Future
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import TracebackType

import httpx
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

from .. import PROJECT_URL, __version__
from ..records import Capture
from .settings import FetchSettings

log = logging.getLogger(__name__)

# Session cookies and credentials identify the person archiving; a WARC is meant to be shared.
PRIVATE_HEADERS = frozenset(
    {"cookie", "set-cookie", "set-cookie2", "authorization", "proxy-authorization"}
)
# httpx hands us the body with the chunked framing already removed. Keeping the header would
# make WARC readers try to de-chunk it again, so it is kept under this name instead.
_ORIGINAL_TRANSFER_ENCODING = "X-Archive-Orig-Transfer-Encoding"
# warcio compresses at 9, which cost half as much time again as gzip's default 6 for files
# 1% smaller (forum pages, measured by benchmarks/scrape.py's archives). zlib-ng writes the
# same gzip format in half the CPU time of zlib, for files 2% larger (the benchmark's 200
# pages: 2.3 -> 1.2 ms a page). Its level 5 takes 9-10% less time than its 6 for files
# 0.3% larger (1.28 -> 1.16 ms a 106 KB page); at 4 the files grow 4.4% more, at 2 18%.
GZIP_LEVEL = 5
# Records waiting for the writer thread, at most: the scrape goes on fetching while earlier
# records are compressed, and waits when the writer falls this far behind.
QUEUE_RECORDS = 64
# The writer thread's niceness, added to the process's (see `WarcRecorder._write_queued`).
WRITER_NICENESS = 10
WARC_VERSION = "WARC/1.1"
_RECORD_END = b"\r\n\r\n"


def utc_now_iso() -> str:
    """Now, as the UTC ISO 8601 timestamp used both for WARC-Date and `Capture.fetched_at`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _header_pairs(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    pairs = []
    for name_bytes, value_bytes in raw:
        # latin-1 maps every byte to one character, so no header byte is lost or refused.
        name, value = name_bytes.decode("latin-1"), value_bytes.decode("latin-1")
        lowered = name.lower()
        if lowered in PRIVATE_HEADERS:
            continue
        if lowered == "transfer-encoding":
            name = _ORIGINAL_TRANSFER_ENCODING
        pairs.append((name, value))
    return pairs


def _serialized_record(
    record_type: str,
    url: str,
    date: str,
    payload: bytes,
    *,
    http_head: bytes | None = None,
    concurrent_to: str | None = None,
    truncated: bool = False,
) -> tuple[str, list[bytes]]:
    """A record's WARC-Record-ID, and the record as the parts whose concatenation is what
    warcio's `WARCWriter.write_record` writes for it (uncompressed): the same WARC headers
    in the same order, digests and Content-Length, with warcio's own serialisation of the
    headers. `http_head` is the HTTP head as warcio serialises it (`_http_head`).

    Built here rather than through `create_warc_record` and `write_record`, which look each
    header up and replace it in a list one at a time, copy the payload into and out of a
    buffer and serialise the HTTP head twice: 0.2-0.3 ms a page, most of what recording
    cost besides hashing (tests/test_warc_records.py holds the two to the same bytes).
    """
    record_id: str = StatusAndHeadersParser.make_warc_id()
    payload_digest = hashlib.sha1(payload)
    block_digest = payload_digest
    fields = [("WARC-Date", date)]
    if concurrent_to is not None:
        fields.append(("WARC-Concurrent-To", concurrent_to))
    if http_head is not None:
        block_digest = hashlib.sha1(http_head)
        block_digest.update(payload)
    payload_label = _sha1_label(payload_digest)
    fields += [("WARC-Payload-Digest", payload_label),
               ("WARC-Block-Digest",
                payload_label if http_head is None else _sha1_label(block_digest))]
    if truncated:
        fields.append(("WARC-Truncated", "length"))
    length = len(payload) + (0 if http_head is None else len(http_head))
    fields += [("WARC-Type", record_type), ("WARC-Record-ID", record_id),
               ("WARC-Target-URI", url), ("Content-Type", WARCWriter.WARC_RECORDS[record_type]),
               ("Content-Length", str(length))]
    head = StatusAndHeaders("", fields, protocol=WARC_VERSION).to_bytes(encoding="utf-8")
    parts = [head, payload, _RECORD_END] if http_head is None else [
        head, http_head, payload, _RECORD_END]
    return record_id, parts


def _http_head(statusline: str, raw: list[tuple[bytes, bytes]], *, protocol: str = "",
               is_http_request: bool = False) -> bytes:
    """An HTTP head with its private headers dropped, as warcio writes it into a record
    (non-ASCII header values percent-encoded, RFC 8187)."""
    head: bytes = StatusAndHeaders(statusline, _header_pairs(raw), protocol=protocol,
                                   is_http_request=is_http_request).to_ascii_bytes()
    return head


def _sha1_label(digest: hashlib._Hash) -> str:
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def _json_value(value: object) -> object:
    """JSON for the settings values json.dumps does not know (sets of hosts)."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"cannot record a {type(value).__name__} setting in the warcinfo")


def _warc_fields(fields: dict[str, str]) -> bytes:
    # application/warc-fields is one "name: value" per line; a newline in a value would
    # start a bogus field.
    lines = (f"{name}: {' '.join(str(value).splitlines())}\r\n" for name, value in fields.items())
    return "".join(lines).encode("utf-8")


@functools.cache
def _software() -> str:
    # Read once: each lookup parses the installed packages' metadata files, a few ms a WARC
    # file, which a run of a thousand small threads writes a thousand of.
    return (f"forum-mirror/{__version__} (+{PROJECT_URL}) "
            f"httpx/{version('httpx')} warcio/{version('warcio')}")


class WarcRecorder:
    """Appends records to one new gzipped WARC file, renamed into place when closed.

    Until `close()`, the records go to `<path>.part`; a crash leaves that file behind (each
    record is its own gzip member, so it is still readable) and the archive ignores it.

    Records are built, hashed and serialised by the caller, then compressed and written by
    a writer thread of the recorder's own, in the order they were given: compression lets go
    of the GIL, and the writer holds it for little else, so the scrape fetches and parses
    the next page meanwhile without waiting for it. A record's offset is known once it is
    written (`offset_of`; `close` waits for all of them).
    """

    def __init__(self, path: Path, *, warc_file_label: str, settings: FetchSettings) -> None:
        self.path = Path(path)
        self.warc_file_label = warc_file_label
        self._part_path = self.path.with_name(self.path.name + ".part")
        if self.path.exists():
            raise FileExistsError(
                f"WARC file {self.path} already exists; WARC files are never rewritten"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._part_path.open("xb")
        self._lock = threading.Lock()
        self._closed = False
        # Set once `closing` is asked: the file flushed to disk and renamed into place.
        self._sealed: Future[None] | None = None
        self._written = threading.Event()  # every record written, after `closing`
        self._offsets: dict[str, int] = {}  # WARC-Record-ID -> where its record starts
        # Groups of (WARC-Record-ID, serialised record in parts), in the order they are written.
        self._queue: queue.Queue[list[tuple[str, list[bytes]]] | None] = queue.Queue(
            QUEUE_RECORDS)
        self._failure: OSError | None = None  # the writer's, raised to the next caller
        # Metadata records written with the next group (`record_metadata(..., deferred=True)`).
        self._deferred: list[tuple[str, list[bytes]]] = []
        self._write_now([self._warcinfo_record(settings)])  # the file's first record, at once
        self._thread = threading.Thread(target=self._write_queued, name="warc-writer",
                                        daemon=True)
        self._thread.start()

    def _warcinfo_record(self, settings: FetchSettings) -> tuple[str, list[bytes]]:
        recorded_settings = dataclasses.asdict(settings)
        # Whose cookies were sent is the archivist's business; that some were, is provenance.
        recorded_settings["cookies_file"] = settings.cookies_file is not None
        info = {
            "software": _software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "http-header-user-agent": settings.user_agent,
            "robots": "obey" if settings.obey_robots else "ignore (obey_robots=False)",
            "forum-mirror-fetch-settings": json.dumps(
                recorded_settings, sort_keys=True, default=_json_value
            ),
        }
        # Once a file: written by warcio itself.
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION)
        record = writer.create_warcinfo_record(self.path.name, info)
        writer.write_record(record)
        return record.rec_headers.get_header("WARC-Record-ID"), [buffer.getvalue()]

    def _write(self, records: list[tuple[str, list[bytes]]]) -> None:
        """Hand `records` to the writer thread, in this order, after the deferred ones
        (waiting while its queue is full)."""
        with self._lock:
            if self._closed:
                raise ValueError(f"WARC file {self.path} is already closed")
            if self._failure is not None:
                raise self._failure
            if self._deferred:
                records, self._deferred = [*self._deferred, *records], []
        self._queue.put(records)

    def _write_queued(self) -> None:
        """The writer thread: every queued group of records, in order, until `close`.

        At a lower priority than the scrape's other work (`WRITER_NICENESS`): on two cores a
        long thread's scrape keeps three busy, the scraper, its parse worker and this
        writer, and the worker's readings are what the scraper waits for. Compression can
        wait: its queue is bounded, so a writer left behind holds the scraper up when the
        queue is full, and catches up whenever a core is free (the 200-page benchmark: the
        pages' span 70-150 ms shorter, the end no later)."""
        with contextlib.suppress(OSError):  # a thread's own niceness: Linux
            thread = threading.get_native_id()
            niceness = os.getpriority(os.PRIO_PROCESS, thread)  # the process's, inherited
            os.setpriority(os.PRIO_PROCESS, thread, min(19, niceness + WRITER_NICENESS))
        try:
            while (records := self._queue.get()) is not None:
                if self._failure is None:
                    try:
                        self._write_now(records)
                    except OSError as error:  # a full disk: the scrape learns at its next
                        log.error("cannot write %s: %s", self._part_path, error)
                        with self._lock:
                            self._failure = error
        finally:
            self._written.set()
        self._seal()

    def _seal(self) -> None:
        """The writer thread's last work, once every record is written: the file flushed to
        disk and renamed from `<path>.part` to `path` (`closing`'s future)."""
        sealed = self._sealed
        assert sealed is not None, "the writer ends when `closing` asks it to"
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._part_path, self.path)
        except OSError as error:
            sealed.set_exception(error)
            return
        log.debug("wrote %s", self.path)
        if self._failure is not None:
            sealed.set_exception(self._failure)
        else:
            sealed.set_result(None)

    def _write_now(self, records: list[tuple[str, list[bytes]]]) -> None:
        offsets = []
        for record_id, parts in records:
            # Each record is its own gzip member: reading can start right at its offset.
            offsets.append((record_id, self._file.tell()))
            compressor = zlib_ng.compressobj(GZIP_LEVEL, zlib_ng.DEFLATED,
                                             zlib_ng.MAX_WBITS + 16)
            for part in parts:  # not joined first: that would copy the payload once more
                self._file.write(compressor.compress(part))
            self._file.write(compressor.flush())
        # Into the kernel's hands at once: a run killed after this (a second Ctrl-C,
        # os._exit, SIGKILL) still leaves these records in its .part file as evidence.
        self._file.flush()
        with self._lock:
            self._offsets.update(offsets)

    def record_exchange(
        self,
        request: httpx.Request,
        response: httpx.Response,
        raw_body: bytes,
        *,
        date: str,
        truncated: bool = False,
    ) -> str:
        """Write a `request` and a `response` record; return the response's WARC-Record-ID.

        `raw_body` is the payload as received (still content-encoded); `truncated` marks a
        body cut short by the size cap.
        """
        url = str(request.url)
        http_version = response.http_version or "HTTP/1.1"
        response_head = _http_head(
            f"{response.status_code} {response.reason_phrase}".rstrip(), response.headers.raw,
            protocol=http_version)
        response_id, response_record = _serialized_record(
            "response", url, date, raw_body, http_head=response_head, truncated=truncated)
        target = request.url.raw_path.decode("ascii")
        request_head = _http_head(f"{request.method} {target} {http_version}",
                                  request.headers.raw, is_http_request=True)
        request_record = _serialized_record("request", url, date, request.content,
                                            http_head=request_head, concurrent_to=response_id)
        self._write([request_record, (response_id, response_record)])
        return response_id

    def offset_of(self, record_id: str) -> int | None:
        """The byte offset in the file of the record `record_id` written here; None when
        it is not written yet (or not of this file): after `close`, every record is."""
        with self._lock:
            return self._offsets.get(record_id)

    def settled(self, capture: Capture) -> Capture:
        """`capture` with the offset of its record, when the record is one of this file's
        (a fetch's capture has none until its record is written)."""
        if capture.warc_file != self.warc_file_label or capture.warc_offset is not None:
            return capture
        return dataclasses.replace(capture, warc_offset=self.offset_of(capture.warc_record_id))

    def record_metadata(self, url: str, fields: dict[str, str], *,
                        deferred: bool = False) -> str:
        """Write a `metadata` record of `fields` about `url`; return its WARC-Record-ID.
        `deferred`: it goes to the writer with the next records written (or at `close`),
        still before them: a record made just before a request (its robots decision) then
        costs no hand-over of its own to the writer thread, which wakes for each one."""
        record = _serialized_record("metadata", url, utc_now_iso(), _warc_fields(fields))
        if not deferred:
            self._write([record])
            return record[0]
        with self._lock:
            if self._closed:
                raise ValueError(f"WARC file {self.path} is already closed")
            self._deferred.append(record)
        return record[0]

    def closing(self) -> Future[None]:
        """Take no more records and return once every record is written (their offsets
        known: `settled`), while the writer flushes the file to disk and renames it from
        `<path>.part` to `path`: the future's result, which raises what failed (a full
        disk). A scrape merges what it read meanwhile (scrape.py), then waits for it before
        anything names the file."""
        return self._close()[0]

    def close(self) -> None:
        """Write what is queued, flush the file to disk and rename it from `<path>.part`
        to `path`; what failed is raised to the first caller only."""
        sealed, first = self._close()
        if first:
            sealed.result()
        else:
            futures.wait([sealed])

    def _close(self) -> tuple[Future[None], bool]:
        """The file's `closing` future, and whether this call asked for it first."""
        with self._lock:
            first = self._sealed is None
            if self._sealed is None:
                self._closed = True
                self._sealed = Future()
                deferred, self._deferred = self._deferred, []
            sealed = self._sealed
        if first:  # outside the lock: a full queue waits for the writer, which takes it
            if deferred:
                self._queue.put(deferred)
            self._queue.put(None)
        self._written.wait()
        return sealed, first

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Kept on errors too: the failed tries are part of the provenance.
        self.close()
