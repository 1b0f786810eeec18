"""Serve a built mirror on 127.0.0.1, compressed the way static hosts serve it.

Text files (HTML, CSS, JS, JSON, XML, SVG) go out gzip-compressed to clients that ask for
it, as GitHub Pages, Netlify or nginx's `gzip_static` would: what the page weighs over the
wire is then what it weighs for a reader (see tests/test_weight.py).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import logging
import sys
import threading
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

log = logging.getLogger(__name__)

COMPRESSIBLE_TYPES = frozenset({
    "text/html", "text/css", "text/javascript", "text/plain", "text/xml",
    "application/javascript", "application/json", "application/xml",
    "application/atom+xml", "image/svg+xml",
})  # fmt: skip


class LoopbackHTTPServer(http.server.ThreadingHTTPServer):
    """A threading server whose clients may hang up mid-answer without a traceback on stderr.

    Readers close tabs, and the scraper gives up on slow or oversized answers on purpose:
    a broken pipe then is the client's choice, not the server's fault.
    """

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("client %s hung up", client_address)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """`SimpleHTTPRequestHandler` plus gzip for text files; logs to `logging`, not stderr."""

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        content_type = self.guess_type(str(path))
        if (
            not path.is_file()
            or content_type.split(";")[0] not in COMPRESSIBLE_TYPES
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Last-Modified", formatdate(path.stat().st_mtime, usegmt=True))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("site: " + format, *args)


@contextlib.contextmanager
def serve_directory(directory: Path, port: int) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 in a background thread; yields its URL."""
    handler = functools.partial(SiteRequestHandler, directory=str(directory))
    server = LoopbackHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
