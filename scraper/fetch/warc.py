"""Every HTTP exchange of a run, as WARC 1.1 records (gzip per record), written by warcio."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from .settings import FetchSettings

log = logging.getLogger(__name__)

# Credentials never reach the evidence file.
SECRET_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})


def public_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in SECRET_HEADERS]


class WarcRecorder:
    """One WARC file per run and thread, written to `<path>.part` and renamed on close."""

    def __init__(self, path: Path, *, warc_file_label: str, settings: FetchSettings) -> None:
        self.path = path
        self.label = warc_file_label
        self._partial = path.with_name(path.name + ".part")
        self._file = self._partial.open("wb")
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        info = {
            "software": f"forum-mirror/{__version__}",
            "format": "WARC File Format 1.1",
            "http-header-user-agent": settings.user_agent,
            "robots": "obey" if settings.obey_robots else "ignore (explicit --ignore-robots)",
            "settings": json.dumps({"delay": settings.delay, "timeout": settings.timeout,
                                    "max_retries": settings.max_retries}),
        }
        self._writer.write_record(self._writer.create_warcinfo_record(path.name, info))

    def record_exchange(
        self,
        *,
        method: str,
        url: str,
        request_headers: list[tuple[str, str]],
        status: int | None,
        reason: str,
        http_version: str,
        response_headers: list[tuple[str, str]],
        raw_body: bytes,
    ) -> str:
        """Write a request record and, if there was an answer, its response; returns the id
        of the response record (or of the request record when the exchange failed)."""
        path = url.split("://", 1)[-1].partition("/")[2]
        request = self._writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"{method} /{path} {http_version}",
                                          public_headers(request_headers),
                                          is_http_request=True),
        )
        if status is None:
            self._writer.write_record(request)
            return request.rec_headers.get_header("WARC-Record-ID")
        response = self._writer.create_warc_record(
            url, "response", payload=io.BytesIO(raw_body),
            http_headers=StatusAndHeaders(f"{status} {reason}".strip(),
                                          public_headers(response_headers),
                                          protocol=http_version),
        )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request.rec_headers.add_header("WARC-Concurrent-To", response_id)
        self._writer.write_record(response)
        self._writer.write_record(request)
        return response_id

    def record_metadata(self, url: str, fields: dict[str, str]) -> str:
        """A `metadata` record (application/warc-fields), e.g. a robots.txt decision."""
        body = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode("utf-8")
        record = self._writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(body),
            warc_content_type="application/warc-fields",
        )
        self._writer.write_record(record)
        return record.rec_headers.get_header("WARC-Record-ID")

    def close(self) -> None:
        if self._file.closed:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._partial, self.path)

    def discard(self) -> None:
        """Drop the file: the run left nothing worth keeping."""
        if not self._file.closed:
            self._file.close()
        self._partial.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
