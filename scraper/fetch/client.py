"""`PoliteClient`: the one place forum-mirror does HTTP.

Each request goes through the layers in this order: the private-address guard
(addresses.py), robots.txt (robots.py), conditional request headers, the per-host throttle
(throttle.py) with its adaptive interval (autothrottle.py), retries with backoff (retry.py),
and WARC recording (warc.py); cookies from a cookies.txt (cookies.py) ride along, and a stop
request (stop.py) cuts every wait short and lets no new request out. The layers are
separate modules; this file only wires them.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import httpx

from .. import __version__
from ..errors import FetchFailed, HttpStatusError, RobotsDisallowed, UnsupportedUrl
from ..records import Capture
from ..urls import origin_of, shown
from .addresses import PrivateAddressGuard
from .autothrottle import AutoThrottle
from .charset import decoded_body
from .cookies import NoCookies, SessionCookies, load_cookies
from .retry import RetryAfterTooLong, RetryPolicy
from .robots import RobotsRules, robots_url, site_origin
from .settings import USER_AGENT_TOKEN, FetchSettings
from .stop import StopRequest
from .throttle import HostThrottle, Throttle
from .warc import WarcRecorder, utc_now_iso

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Validators:
    """What the archive knows of a resource, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    def request_headers(self) -> dict[str, str]:
        """The `If-None-Match` / `If-Modified-Since` headers these validators give."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass
class Fetched:
    """A successful fetch: its provenance, its decoded payload and its response headers."""

    capture: Capture
    body: bytes  # content-encoding removed
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    redirects: tuple[tuple[str, int, str], ...] = ()  # each hop: (from URL, status, to URL)

    def text(self) -> str:
        """The body as text, decoded by its declared charset (see charset.py)."""
        return self.decoded()[0]

    def decoded(self) -> tuple[str, str]:
        """The body as text and the codec that decoded it (`charset.decoded_body`)."""
        return decoded_body(self.body, self.headers.get("content-type"))

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304: the archived copy is still current."""
        return self.capture.status == 304


@dataclass
class _Exchange:
    """One request and its response, as received and recorded."""

    url: str
    status: int
    reason: str
    headers: dict[str, str]  # as `Fetched.headers`
    body: bytes
    fetched_at: str
    record_id: str
    tries: int = 1


class _TransportFailure(FetchFailed):
    """No HTTP answer at all after every try; `cannot_connect` if no connection was made."""

    def __init__(self, message: str, *, cannot_connect: bool) -> None:
        super().__init__(message)
        self.cannot_connect = cannot_connect


def _header_dict(headers: httpx.Headers) -> dict[str, str]:
    """`headers` by lower-case name, repeated ones joined with ", " (httpx's `headers[name]`),
    read once: each httpx lookup decodes and compares every header again."""
    read: dict[str, str] = {}
    for name, value in headers.multi_items():
        read[name] = f"{read[name]}, {value}" if name in read else value
    return read


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def _redirect_target(url: httpx.URL, location: str, recorder: WarcRecorder) -> str:
    """Where a redirect from `url` to `location` leads, as `fetch` asks for it."""
    try:
        target = url.join(location)
        _ = target.host  # httpx decodes an IDNA host only when asked: "http://xn--/" fails here
    except (httpx.InvalidURL, ValueError) as error:  # idna.IDNAError is a ValueError
        raise _unreadable_redirect(str(url), error, recorder) from None
    return str(target)


def _unreadable_redirect(url: str, error: Exception, recorder: WarcRecorder) -> FetchFailed:
    """The board's fault, not retried; the exchange's WARC records say why it stopped."""
    message = f"{shown(url)} redirects to an unreadable URL: {error}"
    recorder.record_metadata(url, {"fetch-error": message})
    return FetchFailed(message)


class _DownloadTooSlow(httpx.ReadTimeout):
    """The body kept coming, too slowly to finish within max_download_seconds."""


def _describe_transport_error(url: httpx.URL, error: httpx.TransportError, timeout: float) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    detail = str(error) or type(error).__name__
    if isinstance(error, _DownloadTooSlow):
        return f"{url} trickled in too slowly: {detail}"
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return f"cannot connect to {url.host}:{port}: {detail}"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out after {timeout:g} s waiting for {url}"
    return f"connection to {url.host}:{port} failed while fetching {url}: {detail}"


class _TransportOnFirstUse(httpx.BaseTransport):
    """A transport made on its first request: httpx's default one loads the CA bundle into
    an SSL context as it is made (0.15-0.3 s), which a board on http:// never needs."""

    def __init__(self, make: Callable[[], httpx.BaseTransport]) -> None:
        self._make = make
        self._transport: httpx.BaseTransport | None = None
        self._lock = threading.Lock()  # asset downloads send from several threads

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self._transport is None:
                self._transport = self._make()
        return self._transport.handle_request(request)

    def close(self) -> None:
        with self._lock:
            if self._transport is not None:
                self._transport.close()


def _lazy_tls_transports() -> tuple[httpx.BaseTransport | None, dict[str, httpx.BaseTransport]]:
    """httpx's default transport (the client's `transport`, and its `mounts`), split so that
    only https:// pays for the CA bundle: the same `HTTPTransport()` as httpx makes, made on
    first use, so verification is unchanged.

    http:// gets a context with no CA loaded that still verifies: it only ever makes plain
    connections, and a TLS handshake through it would fail, never pass unverified. Proxies
    from the environment (`HTTP_PROXY`, ...) are httpx's own mounts, made only when no
    transport is given: then nothing is split.
    """
    if urllib.request.getproxies():
        return None, {}
    plain = httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    return _TransportOnFirstUse(httpx.HTTPTransport), {"http://": plain}


class PoliteClient:
    """Fetches URLs politely (robots.txt, per-host delay, backoff) and records every exchange."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        stop: StopRequest | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._stop = stop or StopRequest()
        cookies_file = self.settings.cookies_file
        mounts: dict[str, httpx.BaseTransport] = {}
        if transport is None:
            transport, mounts = _lazy_tls_transports()
        # Requests go straight to these transports (by scheme): httpx.Client.send would add
        # auth, redirect and event-hook steps and a cookie jar this client does not use, 0.1-0.2
        # ms a request. Proxies from the environment are httpx's own mounts: it sends then.
        self._transports = None if transport is None else (transport, mounts)
        # Redirects are followed by hand so that each hop is throttled, robots-checked and recorded.
        self._http = httpx.Client(
            transport=transport,
            mounts=mounts or None,
            timeout=self.settings.timeout,
            follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent},
            cookies=NoCookies(),
        )
        self._cookies = SessionCookies(load_cookies(cookies_file) if cookies_file else None)
        # Each request is made from these rather than by `build_request`, which merges the
        # client's headers and copies its cookie jar twice for every request.
        self._headers = self._http.headers
        self._timeout = self._http.timeout.as_dict()
        self._address_guard = PrivateAddressGuard(
            self.settings.allow_private_origins, allow_all=self.settings.allow_private_addresses
        )
        # Another throttle (redis_throttle.py) keeps politeness across processes; its waits
        # must sleep on `stop` too.
        self._throttle = throttle or HostThrottle(self.settings.delay, sleep=self._stop.sleep)
        self._autothrottle = (
            AutoThrottle(self.settings.autothrottle_max_delay) if self.settings.autothrottle
            else None
        )
        self._retry = RetryPolicy.from_settings(self.settings)
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._state_lock = threading.Lock()
        self.requests_made = 0
        self.bytes_received = 0

    def fetch(
        self,
        url: str,
        recorder: WarcRecorder,
        *,
        kind: str = "page",
        validators: Validators | None = None,
        accept: str | None = None,
    ) -> Fetched:
        """Fetch `url` ("page" or "asset" `kind`), following redirects; record it in `recorder`.
        `accept` is the request's Accept header (an API engine's JSON), else none is sent.

        Raises `RobotsDisallowed` before any request robots.txt forbids, `FetchFailed`
        when no usable answer comes (unreachable host, retries exhausted, error status,
        body over the size cap), and `Interrupted` instead of any request sent, or wait
        finished, after a stop was requested.
        """
        max_bytes = self.settings.max_bytes(kind)
        extra_headers = validators.request_headers() if validators else {}
        if accept:
            extra_headers["Accept"] = accept
        current = url
        hops: list[tuple[str, int, str]] = []
        for _ in range(MAX_REDIRECTS + 1):
            target = self._check_url(current)
            self._address_guard.check(current)
            if self.settings.obey_robots:
                self._check_robots(current, recorder)
            exchange = self._send_with_retries(current, target, recorder, kind, max_bytes,
                                               extra_headers)
            location = exchange.headers.get("location")
            if exchange.status in REDIRECT_STATUSES and location:
                current = _redirect_target(target, location, recorder)
                log.info("%s redirects to %s", exchange.url, current)
                hops.append((exchange.url, exchange.status, current))
                continue
            fetched = self._fetched(url, exchange, recorder, validators)
            fetched.redirects = tuple(hops)  # the scraper records a thread that moved
            return fetched
        raise FetchFailed(
            f"{url} redirects more than {MAX_REDIRECTS} times; "
            "open it in a browser to see where it leads"
        )

    @staticmethod
    def _check_url(url: str) -> httpx.URL:
        """`url` as httpx sends it (read once: httpx reads a URL a character at a time);
        `FetchFailed` for a URL no request may be made to: not http(s), a user name or
        password in it (never sent), or one httpx cannot send; never another error."""
        try:
            origin_of(url)
            return httpx.URL(url)
        except UnsupportedUrl as error:
            raise FetchFailed(f"not fetched: {error}") from None
        except (httpx.InvalidURL, ValueError) as error:  # idna.IDNAError is a ValueError
            raise FetchFailed(f"cannot fetch {shown(url)}: {error}") from None

    def _fetched(
        self, url: str, exchange: _Exchange, recorder: WarcRecorder, validators: Validators | None
    ) -> Fetched:
        if exchange.status >= 400:
            if RetryPolicy.retryable_status(exchange.status) and exchange.tries > 1:
                raise FetchFailed(
                    f"gave up on {exchange.url} after {exchange.tries} tries: last status "
                    f"{exchange.status} {exchange.reason}; the site may be overloaded, "
                    "try again later"
                )
            raise HttpStatusError(
                f"{exchange.url} answered {exchange.status} {exchange.reason}", exchange.status
            )
        headers = exchange.headers
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if exchange.status == 304 and validators:
            # A 304 need not repeat the validators, and what it confirms is the copy we hold.
            etag = etag or validators.etag
            last_modified = last_modified or validators.last_modified
        capture = Capture(
            url=url,
            final_url=exchange.url,
            fetched_at=exchange.fetched_at,
            status=exchange.status,
            content_type=_media_type(headers.get("content-type")),
            etag=etag,
            last_modified=last_modified,
            sha256=hashlib.sha256(exchange.body).hexdigest(),
            bytes=len(exchange.body),
            warc_file=recorder.warc_file_label,
            warc_record_id=exchange.record_id,  # its offset: `recorder.settled` once written
            scraper_version=__version__,
        )
        return Fetched(capture=capture, body=exchange.body, headers=headers)

    # robots.txt layer

    def _check_robots(self, url: str, recorder: WarcRecorder) -> None:
        rules = self._robots_rules(url, recorder)
        allowed = rules.allows(url)
        recorder.record_metadata(
            url,
            {
                "robots-decision": "allowed" if allowed else "disallowed",
                "robots-txt": rules.robots_url,
                "robots-basis": rules.summary,
                "robots-record": rules.source or "",
                "robots-user-agent-token": USER_AGENT_TOKEN,
            },
            deferred=allowed,  # written with the request it allows
        )
        if not allowed:
            raise RobotsDisallowed(rules.refusal(url))

    def _robots_rules(self, url: str, recorder: WarcRecorder) -> RobotsRules:
        origin = site_origin(url)
        with self._state_lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        # One fetch of robots.txt per site even when several threads ask at once.
        with lock:
            rules = self._robots.get(origin)
            if rules is None:
                rules = self._load_robots(url, recorder)
                self._robots[origin] = rules
                crawl_delay = rules.crawl_delay()
                if crawl_delay is not None:
                    self._throttle.raise_delay(httpx.URL(url).host, crawl_delay)
            return rules

    def _load_robots(self, url: str, recorder: WarcRecorder) -> RobotsRules:
        target = robots_url(url)
        current = target
        # RFC 9309 section 2.3.1.2: follow at least five redirects.
        for _ in range(MAX_REDIRECTS + 1):
            parsed = self._check_url(current)
            self._address_guard.check(current)  # a robots.txt may redirect anywhere
            try:
                exchange = self._send_with_retries(
                    current, parsed, recorder, "page", self.settings.max_page_bytes, {}
                )
            except _TransportFailure as failure:
                if failure.cannot_connect:
                    raise  # the host is down: saying so is clearer than blaming robots.txt
                return RobotsRules.unreachable(target, str(failure))
            location = exchange.headers.get("location")
            if exchange.status in REDIRECT_STATUSES and location:
                current = _redirect_target(parsed, location, recorder)
                continue
            rules = RobotsRules.from_response(target, exchange.status, exchange.body)
            log.info("robots.txt at %s %s", target, rules.summary)
            return rules.with_source(f"{recorder.warc_file_label} {exchange.record_id}")
        return RobotsRules.unreachable(target, f"redirects more than {MAX_REDIRECTS} times")

    # retry layer

    def _send_with_retries(
        self,
        url: str,
        parsed: httpx.URL,  # `url`, as `_check_url` read it
        recorder: WarcRecorder,
        kind: str,
        max_bytes: int,
        extra_headers: dict[str, str],
    ) -> _Exchange:
        """One URL, tried until it answers with a non-retryable status or retries run out."""
        host = parsed.host
        tries = self.settings.max_retries + 1
        for retry_number in range(tries):
            blocked = self._throttle.blocked(host)
            if blocked is not None:
                raise FetchFailed(blocked)
            try:
                exchange = self._send_once(url, parsed, recorder, kind, max_bytes,
                                           extra_headers)
            except httpx.TransportError as error:
                message = _describe_transport_error(parsed, error, self.settings.timeout)
                recorder.record_metadata(
                    url, {"fetch-error": message, "try": str(retry_number + 1)}
                )
                if retry_number + 1 == tries:
                    cannot_connect = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                    raise _TransportFailure(
                        f"{message} (tried {tries} times); check the URL and your connection, "
                        "or try again later",
                        cannot_connect=cannot_connect,
                    ) from error
                wait = self._retry.backoff(retry_number)
                reason = message
            else:
                exchange.tries = retry_number + 1
                if not RetryPolicy.retryable_status(exchange.status) or retry_number + 1 == tries:
                    return exchange
                try:
                    wait = self._retry.wait_before_retry(
                        retry_number, exchange.headers.get("retry-after")
                    )
                except RetryAfterTooLong as too_long:
                    raise self._block_host(host, url, too_long.seconds) from None
                reason = f"status {exchange.status}"
            log.info("retrying %s in %.1f s (%s)", url, wait, reason)
            self._throttle.hold_off(host, wait)  # other threads and workers wait too
            self._stop.sleep(wait)
        raise AssertionError("unreachable: the last try returns or raises")

    def _block_host(self, host: str, url: str, seconds: float) -> FetchFailed:
        message = (
            f"{host} asked us to wait {seconds:.0f} s (Retry-After on {url}), more than "
            f"max_retry_after={self.settings.max_retry_after:g} s; try again later"
        )
        self._throttle.block(host, seconds, message)
        return FetchFailed(message)

    # throttle + recording of a single request

    def _send_once(
        self,
        url: str,
        parsed: httpx.URL,
        recorder: WarcRecorder,
        kind: str,
        max_bytes: int,
        extra_headers: dict[str, str],
    ) -> _Exchange:
        headers = self._headers
        if extra_headers:
            headers = headers.copy()
            headers.update(extra_headers)
        request = httpx.Request("GET", parsed, headers=headers,
                                extensions={"timeout": self._timeout})
        host = parsed.host
        cookie = self._cookies.header_for(parsed)
        if cookie:
            request.headers["Cookie"] = cookie
        with self._throttle.request_slot(host):
            self._stop.check()  # after the wait for the host's turn, right before sending
            fetched_at = utc_now_iso()
            with self._state_lock:
                self.requests_made += 1
            sent = time.monotonic()
            try:
                response = self._send(request)  # returns once headers are in
            except ValueError as error:
                # httpx.Client (behind a proxy, `_send`) reads a redirect's Location even when
                # not following it, and its IDNA check raises a ValueError ("http://xn--/").
                raise _unreadable_redirect(url, error, recorder) from None
            response_headers = response.headers
            self._cookies.extract(parsed, response_headers.get_list("set-cookie"),
                                  response_headers.get_list("set-cookie2"))
            if self._autothrottle:
                interval = self._autothrottle.observe(
                    host, response.status_code, time.monotonic() - sent,
                    self._throttle.delay_for(host),
                )
                self._throttle.adapt(host, interval)
            try:
                raw_chunks, truncated = self._read_raw(
                    response, max_bytes, sent + self.settings.max_download_seconds
                )
            finally:
                response.close()
        raw = b"".join(raw_chunks)
        with self._state_lock:
            self.bytes_received += len(raw)
        record_id = recorder.record_exchange(
            request, response, raw, date=fetched_at, truncated=truncated
        )
        log.debug("GET %s -> %s (%d bytes)", url, response.status_code, len(raw))
        too_large = FetchFailed(
            f"{url} is larger than the {_mib(max_bytes)} limit for {kind}s "
            f"(max_{kind}_bytes); raise the limit to fetch it"
        )
        if truncated:
            raise too_large
        headers_read = _header_dict(response_headers)
        body = self._decode_content(url, headers_read.get("content-encoding"), raw_chunks, raw,
                                    max_bytes)
        if body is None:
            raise too_large
        return _Exchange(
            url=url,
            status=response.status_code,
            reason=response.reason_phrase,
            headers=headers_read,
            body=body,
            fetched_at=fetched_at,
            record_id=record_id,
        )

    def _send(self, request: httpx.Request) -> httpx.Response:
        """`request` sent, with its answer's head read: the body is streamed."""
        if self._transports is None:
            return self._http.send(request, stream=True)
        default, mounts = self._transports
        response = mounts.get(f"{request.url.scheme}://", default).handle_request(request)
        response.request = request
        return response

    @staticmethod
    def _read_raw(
        response: httpx.Response, max_bytes: int, deadline: float
    ) -> tuple[list[bytes], bool]:
        """The body as received (still content-encoded), and whether it hit `max_bytes`.

        The read timeout applies per chunk, so a server that trickles a byte at a time
        would never trip it: `deadline` (monotonic) bounds the whole download.
        """
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            return [], True  # no need to download what will be refused
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_raw():
            if time.monotonic() > deadline:
                raise _DownloadTooSlow(
                    f"not finished within max_download_seconds after {size:,} bytes",
                    request=response.request)
            if size + len(chunk) > max_bytes:
                chunks.append(chunk[: max_bytes - size])
                return chunks, True
            chunks.append(chunk)
            size += len(chunk)
        return chunks, False

    @staticmethod
    def _decode_content(url: str, encoding: str | None, raw_chunks: list[bytes], raw: bytes,
                        max_bytes: int) -> bytes | None:
        """The payload (`raw`, received as `raw_chunks`) with its Content-Encoding removed;
        None if it decodes past `max_bytes`."""
        if not encoding:
            return raw
        # httpx's own decoders, fed chunk by chunk so a compression bomb stops at the cap.
        decoder = httpx.Response(
            200,
            headers={"content-encoding": encoding},
            content=iter(raw_chunks),
        )
        parts: list[bytes] = []
        size = 0
        try:
            for part in decoder.iter_bytes():
                size += len(part)
                if size > max_bytes:
                    return None
                parts.append(part)
        except httpx.DecodingError as error:
            raise FetchFailed(
                f"{url} sent a body that does not decode as {encoding}: {error}"
            ) from error
        return b"".join(parts)

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
