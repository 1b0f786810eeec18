"""PoliteClient: the only HTTP code. robots.txt, per-host throttle, retries, WARC recording.

Each concern lives in its own module (robots, throttle, retry, warc, charset); this one
only puts them in order around one httpx call, like Scrapy's downloader middlewares.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .. import __version__
from ..errors import FetchFailed, RobotsDisallowed
from ..records import Capture
from .charset import decode_body
from .retry import RETRY_STATUSES, backoff_seconds, retry_after_seconds
from .robots import RobotsRules, rules_from_response
from .settings import FetchSettings
from .throttle import HostThrottle
from .warc import WarcRecorder

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB


@dataclass(frozen=True)
class Validators:
    """What the archive remembers of a URL, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Fetched:
    capture: Capture
    body: bytes  # content-encoding removed
    headers: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return decode_body(self.body, self.capture.content_type)

    @property
    def not_modified(self) -> bool:
        return self.capture.status == 304


@dataclass
class _Answer:
    response: httpx.Response
    raw: bytes
    body: bytes
    fetched_at: str
    record_id: str


class _ServerKeepsFailing(FetchFailed):
    """Retries exhausted on 429/5xx answers; carries the last answer for robots.txt."""

    def __init__(self, message: str, answer: _Answer) -> None:
        super().__init__(message)
        self.answer = answer


class PoliteClient:
    """An HTTP client that asks robots.txt first, waits its turn per host, and keeps evidence."""

    def __init__(self, settings: FetchSettings | None = None, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._http = httpx.Client(
            transport=transport, timeout=self.settings.timeout, follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent},
        )
        self._throttle = HostThrottle()
        self._robots: dict[str, RobotsRules] = {}
        self.requests_made = 0
        self.bytes_received = 0

    def fetch(self, url: str, recorder: WarcRecorder, *, kind: str = "page",
              validators: Validators | None = None) -> Fetched:
        """GET `url` politely; raise RobotsDisallowed or FetchFailed with a one-line reason."""
        limit = self.settings.max_page_bytes if kind == "page" else self.settings.max_asset_bytes
        headers = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        current = url
        visited = [url]
        while True:
            self._check_url(current, recorder)
            answer = self._get_with_retries(current, headers, recorder, limit)
            status = answer.response.status_code
            if status not in REDIRECT_STATUSES:
                break
            location = answer.response.headers.get("Location")
            if not location:
                raise FetchFailed(f"{current} answered {status} without a Location header")
            current = urljoin(current, location)
            if current in visited:
                raise FetchFailed(f"redirect loop: {' -> '.join([*visited, current])}")
            visited.append(current)
            if len(visited) > self.settings.max_redirects + 1:
                raise FetchFailed(f"more than {self.settings.max_redirects} redirects from {url}")
        if status >= 400:
            raise FetchFailed(f"{current} answered HTTP {status} {answer.response.reason_phrase}")
        response = answer.response
        capture = Capture(
            url=url, final_url=current, fetched_at=answer.fetched_at, status=status,
            content_type=response.headers.get("Content-Type", ""),
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            sha256=hashlib.sha256(answer.body).hexdigest(), bytes=len(answer.body),
            warc_file=recorder.label, warc_record_id=answer.record_id,
            scraper_version=__version__,
        )
        return Fetched(capture, answer.body, dict(response.headers))

    def _check_url(self, url: str, recorder: WarcRecorder) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchFailed(f"refusing {url}: only http and https URLs are fetched")
        if not self.settings.obey_robots:
            return
        rules = self._robots_for(parts.scheme, parts.netloc, recorder)
        allowed = rules.allowed(url)
        recorder.record_metadata(url, {
            "robots-txt": rules.robots_url,
            "robots-decision": "allowed" if allowed else "disallowed",
            **({"robots-reason": rules.reason} if rules.reason else {}),
        })
        if not allowed:
            raise RobotsDisallowed(
                rules.reason or f"robots.txt at {rules.robots_url} disallows {url} for "
                "forum-mirror; nothing was fetched (ask the board's operators for permission)")

    def _robots_for(self, scheme: str, netloc: str, recorder: WarcRecorder) -> RobotsRules:
        rules = self._robots.get(netloc)
        if rules is not None:
            return rules
        robots_url = f"{scheme}://{netloc}/robots.txt"
        # A host that cannot be reached fails here with FetchFailed; a robots.txt that keeps
        # answering 5xx is a refusal (RFC 9309), decided in rules_from_response.
        try:
            answer = self._get_with_retries(robots_url, {}, recorder, ROBOTS_MAX_BYTES)
        except _ServerKeepsFailing as failing:
            answer = failing.answer
        body = answer.body.decode("utf-8", errors="replace")
        rules = rules_from_response(robots_url, answer.response.status_code, body)
        self._robots[netloc] = rules
        return rules

    def _interval(self, netloc: str) -> float:
        rules = self._robots.get(netloc)
        return max(self.settings.delay, rules.delay() if rules else 0.0)

    def _get_with_retries(self, url: str, headers: dict[str, str], recorder: WarcRecorder,
                          limit: int) -> _Answer:
        netloc = urlsplit(url).netloc
        attempts = self.settings.max_retries + 1
        problem = ""
        last_answer: _Answer | None = None
        for attempt in range(attempts):
            with self._throttle.lock(netloc):
                self._throttle.wait_turn(netloc, self._interval(netloc))
                try:
                    answer = self._get_once(url, headers, recorder, limit)
                except httpx.TransportError as error:
                    problem = f"cannot connect to {netloc}: {error or type(error).__name__}"
                    wait = backoff_seconds(attempt, self.settings.backoff_base,
                                           self.settings.backoff_cap)
                else:
                    status = answer.response.status_code
                    if status not in RETRY_STATUSES:
                        return answer
                    problem = f"{url} answered HTTP {status}"
                    last_answer = answer
                    wait = backoff_seconds(attempt, self.settings.backoff_base,
                                           self.settings.backoff_cap)
                    retry_after = retry_after_seconds(answer.response.headers.get("Retry-After"))
                    if retry_after is not None:
                        if retry_after > self.settings.max_retry_after:
                            raise FetchFailed(
                                f"{netloc} asks to wait {retry_after:.0f} s (Retry-After), more "
                                f"than the {self.settings.max_retry_after:.0f} s limit; "
                                "stopping for this host, try again later")
                        wait = retry_after
            if attempt + 1 < attempts:
                log.info("%s; retry %d/%d in %.1f s", problem, attempt + 1,
                         self.settings.max_retries, wait)
                time.sleep(wait)
        message = f"{problem} (gave up after {attempts} tries)"
        if last_answer is not None:
            raise _ServerKeepsFailing(message, last_answer)
        raise FetchFailed(message)

    def _get_once(self, url: str, headers: dict[str, str], recorder: WarcRecorder,
                  limit: int) -> _Answer:
        fetched_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        request = self._http.build_request("GET", url, headers=headers)
        self.requests_made += 1
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError:
            recorder.record_exchange(
                method="GET", url=url, request_headers=list(request.headers.multi_items()),
                status=None, reason="", http_version="HTTP/1.1", response_headers=[],
                raw_body=b"")
            raise
        try:
            raw = bytearray()
            for chunk in response.iter_raw():
                raw.extend(chunk)
                if len(raw) > limit:
                    raise FetchFailed(f"{url} is larger than the {limit:,}-byte limit")
        finally:
            response.close()
        self.bytes_received += len(raw)
        body = _decoded(response, bytes(raw), limit, url)
        record_id = recorder.record_exchange(
            method="GET", url=url, request_headers=list(request.headers.multi_items()),
            status=response.status_code, reason=response.reason_phrase,
            http_version=response.http_version,
            response_headers=list(response.headers.multi_items()), raw_body=bytes(raw))
        log.debug("GET %s -> %d (%d bytes)", url, response.status_code, len(raw))
        return _Answer(response, bytes(raw), body, fetched_at, record_id)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _decoded(response: httpx.Response, raw: bytes, limit: int, url: str) -> bytes:
    """Undo Content-Encoding with a size cap, so a small gzip bomb cannot fill memory."""
    replay = httpx.Response(response.status_code, headers=response.headers,
                            stream=httpx.ByteStream(raw))
    body = bytearray()
    try:
        for chunk in replay.iter_bytes():
            body.extend(chunk)
            if len(body) > limit:
                raise FetchFailed(f"{url} decompresses to more than {limit:,} bytes")
    except httpx.DecodingError as error:
        raise FetchFailed(f"{url} has a broken Content-Encoding: {error}") from error
    return bytes(body)
