"""The recorder serialises its records itself: they must be the bytes warcio writes."""

from __future__ import annotations

import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.fetch.warc import WARC_VERSION, _header_pairs, _http_head, _serialized_record

URL = "http://127.0.0.1:8000/threads/مرحبا.1/page-2?x=1"
DATE = "2026-12-02T02:09:00.123456Z"
# A body with bytes that are no text, and response headers warcio percent-encodes (a
# non-ASCII value), renames (Transfer-Encoding) and we drop (Set-Cookie).
BODY = bytes(range(256)) * 70
RESPONSE_HEADERS = [
    (b"Content-Type", b"text/html; charset=utf-8"), (b"Transfer-Encoding", b"chunked"),
    (b"Set-Cookie", b"xf_csrf=secret; path=/"), (b"Content-Disposition",
                                                   "inline; filename=صورة.jpg".encode()),
    (b"ETag", b'"abc"'),
]
REQUEST_HEADERS = [(b"Host", b"127.0.0.1:8000"), (b"Accept", b"*/*"),
                   (b"Cookie", b"xf_csrf=secret"), (b"If-None-Match", b'"abc"')]


def same_as_warcio(record_type: str, ours: tuple[str, list[bytes]], payload: bytes,
                   fields: dict[str, str], **kwargs: object) -> None:
    """`ours` is what warcio's own writer makes of the record given `fields` (first) and our
    record's id, and warcio computes the digests we wrote."""
    record_id, parts = ours
    written = b"".join(parts)
    head = dict(line.split(": ", 1) for line in
                written.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")[1:])
    records = []
    for given in ({}, {"WARC-Payload-Digest": head["WARC-Payload-Digest"],
                       "WARC-Block-Digest": head["WARC-Block-Digest"]}):
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=False, warc_version=WARC_VERSION)
        headers = {"WARC-Date": DATE, **fields, **given}
        if "truncated" in kwargs:
            headers["WARC-Truncated"] = "length"
        record = writer.create_warc_record(
            URL, record_type, payload=io.BytesIO(payload), length=len(payload),
            warc_headers_dict=headers,
            **{k: v for k, v in kwargs.items() if k != "truncated"})  # type: ignore[arg-type]
        writer.write_record(record)
        records.append((record, out.getvalue().replace(
            record.rec_headers.get_header("WARC-Record-ID").encode(), record_id.encode())))
    computed = records[0][0].rec_headers
    assert head["WARC-Payload-Digest"] == computed.get_header("WARC-Payload-Digest")
    assert head["WARC-Block-Digest"] == computed.get_header("WARC-Block-Digest")
    assert written == records[1][1]


def test_response_request_and_metadata_records_are_warcios_bytes() -> None:
    for truncated in (False, True):
        response = _serialized_record(
            "response", URL, DATE, BODY, truncated=truncated,
            http_head=_http_head("200 OK", RESPONSE_HEADERS, protocol="HTTP/1.1"))
        head = StatusAndHeaders("200 OK", _header_pairs(RESPONSE_HEADERS), protocol="HTTP/1.1")
        extra = {"truncated": True} if truncated else {}
        same_as_warcio("response", response, BODY, {}, http_headers=head, **extra)
        assert b"secret" not in b"".join(response[1])
        assert b"filename*=UTF-8''%" in response[1][1]  # percent-encoded by warcio (RFC 8187)

    request = _serialized_record(
        "request", URL, DATE, b"", concurrent_to=response[0],
        http_head=_http_head("GET /threads/x HTTP/1.1", REQUEST_HEADERS, is_http_request=True))
    head = StatusAndHeaders("GET /threads/x HTTP/1.1", _header_pairs(REQUEST_HEADERS),
                            is_http_request=True)
    same_as_warcio("request", request, b"", {"WARC-Concurrent-To": response[0]},
                   http_headers=head)
    assert b"secret" not in b"".join(request[1])

    fields = b"robots-decision: allowed\r\nrobots-txt: http://x/robots.txt\r\n"
    same_as_warcio("metadata", _serialized_record("metadata", URL, DATE, fields), fields, {},
                   warc_content_type="application/warc-fields")
