"""A scripted HTTP server on 127.0.0.1 for testing the fetch layer.

Each path gets a script of `Reply`s, served in order (the last one repeats), and every
request the server receives is logged with its arrival time on the monotonic clock, so
tests can measure politeness where it matters: at the server.

A new behaviour (slow drip, malformed status line, reset mid-body...) is a `Reply`
subclass overriding `send`; `Disconnect` is an example.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from scraper.serve import LoopbackHTTPServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server received it."""

    at: float  # time.monotonic() when its headers had arrived
    method: str
    path: str  # the request target: path and query
    headers: dict[str, str]  # lower-case names


@dataclass
class Reply:
    """A scripted answer: status, headers, body, an optional delay and chunked framing."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering
    chunked: bool = False  # send the body with Transfer-Encoding: chunked

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        """Write this answer to the client."""
        if self.delay:
            time.sleep(self.delay)
        handler.send_response(self.status)
        for name, value in self.headers:
            handler.send_header(name, value)
        bodyless = self.status in (204, 304) or 100 <= self.status < 200
        if self.chunked and not bodyless:
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            # Two chunks, so that a reader that only handles one is caught.
            middle = len(self.body) // 2
            for chunk in (self.body[:middle], self.body[middle:]):
                if chunk:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.write(b"0\r\n\r\n")
            return
        if not bodyless:
            handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        if not bodyless and handler.command != "HEAD":
            handler.wfile.write(self.body)


@dataclass
class Disconnect(Reply):
    """Close the connection without answering at all."""

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        handler.close_connection = True


NOT_FOUND = Reply(404, b"not found", [("Content-Type", "text/plain")])


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as real forums do, so throttling is not masked
    # by connection setup time.
    protocol_version = "HTTP/1.1"
    server: _ScriptedHTTPServer

    def do_GET(self) -> None:
        self.server.owner.handle(self)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        log.debug("fetch_server: " + format, *args)


class _ScriptedHTTPServer(LoopbackHTTPServer):
    owner: FetchServer


class FetchServer:
    """The scripted server; use as a context manager, or call `start()` and `stop()`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host  # any loopback address: Linux routes all of 127/8 to lo
        self._httpd = _ScriptedHTTPServer((host, 0), _Handler)
        self._httpd.owner = self
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Reply]] = {}
        self._log: list[SeenRequest] = []
        # A short poll interval makes stop() quick; the default 0.5 s adds up across tests.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server."""
        return self.origin + path

    def route(self, path: str, *replies: Reply) -> None:
        """Answer requests for `path` with `replies` in order; the last one repeats."""
        if not replies:
            raise ValueError("route() needs at least one reply")
        with self._lock:
            self._scripts[path] = list(replies)

    def fail_then_succeed(self, path: str, failure: Reply, times: int, success: Reply) -> None:
        """Answer `path` with `failure` `times` times, then with `success` from then on."""
        self.route(path, *([failure] * times), success)

    @property
    def requests(self) -> list[SeenRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def requests_to(self, path: str) -> list[SeenRequest]:
        """The requests received for `path` (matched without the query string)."""
        return [r for r in self.requests if urlsplit(r.path).path == path]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        seen = SeenRequest(
            at=time.monotonic(),
            method=handler.command,
            path=handler.path,
            headers={name.lower(): value for name, value in handler.headers.items()},
        )
        with self._lock:
            self._log.append(seen)
            reply = self.reply_for(seen)
        reply.send(handler)

    def reply_for(self, seen: SeenRequest) -> Reply:
        """The answer to `seen`: the next reply of its path's script (a subclass may answer
        otherwise; it is called under the server's lock)."""
        script = self._scripts.get(seen.path) or self._scripts.get(urlsplit(seen.path).path)
        if script is None:
            return NOT_FOUND
        if len(script) > 1:
            return script.pop(0)
        return script[0]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
