"""A local HTTP server that serves the seed thread as a XenForo 2.2 board does to a guest.

It binds to 127.0.0.1 only. Every response is fixed for a given configuration, carries
`ETag` and `Last-Modified`, and conditional requests get 304. Routing follows XenForo's:
wrong slugs and `page-1` redirect (301) to the canonical URL, a page past the last one
redirects (301) to the last page, `/threads/.../post-N` and `/posts/N/` redirect (301) and
`/goto/post?id=N` redirects (303) to the page holding the post plus `#post-N`.
"""

from __future__ import annotations

import dataclasses
import email.utils
import hashlib
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from ..serve import LoopbackHTTPServer
from . import images, pages
from .seed import Attachment, Post, SeedPost, Thread, build_thread

log = logging.getLogger(__name__)

DEFAULT_ROBOTS_TXT = "User-agent: *\nDisallow:\n"

_THREAD_RE = re.compile(r"^/threads/(?:(?P<slug>[^/]*)\.)?(?P<id>\d+)/(?P<rest>[^/]*)$")
_THREAD_NO_SLASH_RE = re.compile(r"^/threads/(?:[^/]*\.)?(?P<id>\d+)$")
_FORUM_RE = re.compile(r"^/forums/(?:(?P<slug>[^/]*)\.)?(?P<id>\d+)/(?P<rest>[^/]*)$")
_MEMBER_RE = re.compile(r"^/members/(?:(?P<slug>[^/]*)\.)?(?P<id>\d+)/$")
_POST_RE = re.compile(r"^/posts/(?P<id>\d+)/$")
_ATTACHMENT_RE = re.compile(r"^/attachments/(?:[^/]*\.)?(?P<id>\d+)/$")
_THUMBNAIL_RE = re.compile(r"^/data/attachments/\d+/(?P<data_id>\d+)-[0-9a-f]{32}\.jpg$")
_AVATAR_RE = re.compile(r"^/data/avatars/(?P<size>[smlh])/(?P<group>\d+)/(?P<id>\d+)\.jpg$")

HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class RequestLog:
    """One request as the server received it; `time` is `time.monotonic()`."""

    time: float
    method: str
    path: str  # as sent, query string included
    headers: dict[str, str]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = HTML_TYPE
    last_modified: datetime | None = None
    location: str | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()

    @property
    def conditional(self) -> bool:
        """Only successful responses take part in ETag/If-Modified-Since validation."""
        return self.status == HTTPStatus.OK


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


class _Site:
    """Routing and rendering for one thread; responses are cached (pages never change)."""

    def __init__(
        self, thread: Thread, posts_per_page: int, robots_txt: str, base_url: str,
        moved_from: frozenset[int] = frozenset(),
    ) -> None:
        self.thread = thread
        self.moved_from = moved_from  # earlier ids of the thread: they answer 301
        self.posts_per_page = posts_per_page
        self.robots_txt = robots_txt
        self.base_url = base_url
        self._cache: dict[str, Response] = {}
        self._lock = threading.Lock()
        self._attachments: dict[int, tuple[Post, Attachment]] = {
            a.attachment_id: (p, a) for p in thread.posts for a in p.attachments
        }

    # -- helpers --------------------------------------------------------------------------

    def _html(self, html: str, last_modified: datetime | None, status: int = 200) -> Response:
        # XenForo sets its CSRF cookie for every guest page view.
        cookie = ("Set-Cookie", "xf_csrf=Q7m2dXf4Kp1sYw9e; path=/; HttpOnly; SameSite=Lax")
        return Response(
            status=status,
            body=html.encode("utf-8"),
            last_modified=last_modified,
            extra_headers=(cookie, ("Cache-Control", "private, no-cache, max-age=0")),
        )

    def _redirect(self, path: str, status: int = HTTPStatus.MOVED_PERMANENTLY) -> Response:
        # XenForo sends absolute Location URLs.
        return Response(status=status, location=self.base_url + path)

    def not_found(self, message: str = pages.NOT_FOUND_MESSAGE) -> Response:
        html = pages.render_not_found(
            message, site_name=self.thread.site_name, base_url=self.base_url
        )
        return self._html(html, None, HTTPStatus.NOT_FOUND)

    def _post_page_path(self, post: Post) -> str:
        page = pages.page_of(post, self.posts_per_page)
        return f"{pages.thread_path(self.thread, page)}#post-{post.post_id}"

    def _find_post(self, post_id: str) -> Post | None:
        try:
            return self.thread.post(int(post_id))
        except (KeyError, ValueError):
            return None

    # -- routing --------------------------------------------------------------------------

    def respond(self, raw_path: str) -> Response:
        split = urlsplit(raw_path)
        if split.path == "/goto/post":
            # Depends on the query string, so it is answered before the path cache.
            ids = parse_qs(split.query).get("id", [""])
            post = self._find_post(ids[0])
            if post is None:
                return self.not_found("تعذر العثور على المشاركة المطلوبة.")
            return self._redirect(self._post_page_path(post), HTTPStatus.SEE_OTHER)
        with self._lock:
            cached = self._cache.get(split.path)
        if cached is not None:
            return cached
        response = self._route(split.path)
        if response.status != HTTPStatus.NOT_FOUND:  # any path can 404: keep the cache bounded
            with self._lock:
                self._cache[split.path] = response
        return response

    def _route(self, path: str) -> Response:
        thread = self.thread
        if path in ("/", "/forums/"):
            if path == "/forums/":
                return self._redirect("/")
            html = pages.render_forum_index(thread=thread, base_url=self.base_url)
            return self._html(html, thread.last_activity)
        if path == "/robots.txt":
            return Response(
                status=HTTPStatus.OK,
                body=self.robots_txt.encode("utf-8"),
                content_type="text/plain; charset=utf-8",
                last_modified=thread.created_at,
            )
        if match := _THREAD_RE.match(path):
            return self._thread_route(match)
        if (match := _THREAD_NO_SLASH_RE.match(path)) and int(match["id"]) == thread.thread_id:
            # XenForo sends a thread URL without its trailing slash to the canonical one
            # (forum-dl asks for that form first).
            return self._redirect(pages.thread_path(thread))
        if match := _FORUM_RE.match(path):
            return self._forum_route(match)
        if match := _MEMBER_RE.match(path):
            return self._member_route(match)
        if match := _POST_RE.match(path):
            post = self._find_post(match["id"])
            if post is None:
                return self.not_found("تعذر العثور على المشاركة المطلوبة.")
            return self._redirect(self._post_page_path(post))
        if match := _ATTACHMENT_RE.match(path):
            return self._attachment_route(int(match["id"]))
        if match := _THUMBNAIL_RE.match(path):
            return self._thumbnail_route(match)
        if match := _AVATAR_RE.match(path):
            return self._avatar_route(match)
        return self.not_found()

    def _avatar_route(self, match: re.Match[str]) -> Response:
        """An uploaded avatar (data/avatars/<size>/<id // 1000>/<id>.jpg), public like XF's."""
        try:
            member = self.thread.member(int(match["id"]))
        except KeyError:
            return self.not_found()
        if member.avatar_date is None or int(match["group"]) != member.user_id // 1000:
            return self.not_found()
        return Response(
            status=HTTPStatus.OK,
            body=images.avatar(member.username, member.avatar_colors, match["size"]),
            content_type="image/jpeg",
            last_modified=datetime.fromtimestamp(member.avatar_date, UTC),
            extra_headers=(("Cache-Control", "public, max-age=31536000"),),
        )

    def _thread_route(self, match: re.Match[str]) -> Response:
        thread = self.thread
        if int(match["id"]) in self.moved_from:
            # A moved or merged thread: XenForo sends its old URLs to the new ones.
            return self._redirect(f"/threads/{thread.slug}.{thread.thread_id}/{match['rest']}")
        if int(match["id"]) != thread.thread_id:
            return self.not_found("تعذر العثور على الموضوع المطلوب.")
        rest = match["rest"]
        total = pages.page_count(thread, self.posts_per_page)
        if rest.startswith("post-"):
            post = self._find_post(rest.removeprefix("post-"))
            if post is None:
                return self.not_found("تعذر العثور على المشاركة المطلوبة.")
            return self._redirect(self._post_page_path(post))
        if rest == "latest":
            return self._redirect(self._post_page_path(thread.posts[-1]), HTTPStatus.SEE_OTHER)
        page = 1
        if rest:
            page_match = re.fullmatch(r"page-(\d+)", rest)
            if page_match is None:
                return self.not_found()
            page = int(page_match[1])
        if page > total:
            # XenForo sends readers past the end to the last page rather than a 404.
            return self._redirect(pages.thread_path(thread, total))
        canonical = pages.thread_path(thread, page)
        if match["slug"] != thread.slug or page < 1 or (rest and page == 1):
            return self._redirect(canonical)
        html = pages.render_thread_page(
            page, thread=thread, posts_per_page=self.posts_per_page, base_url=self.base_url
        )
        shown = pages.posts_on_page(thread, page, self.posts_per_page)
        return self._html(html, max(p.last_activity for p in shown))

    def _forum_route(self, match: re.Match[str]) -> Response:
        thread = self.thread
        if int(match["id"]) != thread.forum.node_id or match["rest"]:
            return self.not_found("تعذر العثور على المنتدى المطلوب.")
        if match["slug"] != thread.forum.slug:
            return self._redirect(pages.forum_path(thread))
        html = pages.render_forum_page(
            thread=thread, posts_per_page=self.posts_per_page, base_url=self.base_url
        )
        return self._html(html, thread.last_activity)

    def _member_route(self, match: re.Match[str]) -> Response:
        try:
            member = self.thread.member(int(match["id"]))
        except KeyError:
            return self.not_found("تعذر العثور على العضو المطلوب.")
        if match["slug"] != member.slug:
            return self._redirect(pages.member_path(member))
        own = [p.last_activity for p in self.thread.posts if p.author == member]
        html = pages.render_member_page(member, thread=self.thread, base_url=self.base_url)
        return self._html(html, max(own) if own else self.thread.created_at)

    def _attachment_route(self, attachment_id: int) -> Response:
        found = self._attachments.get(attachment_id)
        if found is None:
            return self.not_found("تعذر العثور على المرفق المطلوب.")
        post, attachment = found
        return Response(
            status=HTTPStatus.OK,
            body=images.full_image(attachment.filename),
            content_type="image/jpeg",
            last_modified=post.posted_at,
            extra_headers=(
                ("Content-Disposition", f'inline; filename="{attachment.filename}"'),
                ("Cache-Control", "private, max-age=31536000"),
            ),
        )

    def _thumbnail_route(self, match: re.Match[str]) -> Response:
        data_id = int(match["data_id"])
        for post, attachment in self._attachments.values():
            if attachment.data_id == data_id and pages.thumbnail_path(attachment) == match[0]:
                return Response(
                    status=HTTPStatus.OK,
                    body=images.thumbnail(attachment.filename),
                    content_type="image/jpeg",
                    last_modified=post.posted_at,
                    extra_headers=(("Cache-Control", "public, max-age=31536000"),),
                )
        return self.not_found()


def _not_modified(
    request_headers: dict[str, str], etag: str, last_modified: datetime | None
) -> bool:
    """RFC 9110: If-None-Match decides when present; If-Modified-Since only otherwise."""
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = request_headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            since_time = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if since_time.tzinfo is None:
            return False
        return int(last_modified.timestamp()) <= int(since_time.timestamp())
    return False


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive like a real board; every response below carries a Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; like Apache (TCP_NODELAY), do not let Nagle hold
    # the body back for the client's delayed ACK (40 ms per kept-alive request).
    disable_nagle_algorithm = True
    server_version = "Apache"
    sys_version = ""
    forum: DemoForum  # set on the per-forum subclass

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_POST(self) -> None:
        self.forum._log_request(self)
        # Read the request body so the kept-alive connection stays in step.
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"Method Not Allowed\n"
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, send_body: bool) -> None:
        self.forum._log_request(self)
        try:
            response = self.forum._site().respond(self.path)
        except Exception:
            log.exception("demo forum failed on %s", self.path)
            response = Response(HTTPStatus.INTERNAL_SERVER_ERROR, b"Internal error\n",
                                "text/plain; charset=utf-8")
        headers = {k.lower(): v for k, v in self.headers.items()}
        etag = _etag(response.body) if response.conditional else None
        if etag is not None and _not_modified(headers, etag, response.last_modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validators(etag, response.last_modified)
            self.end_headers()
            return
        self.send_response(response.status)
        if response.location is not None:
            self.send_header("Location", response.location)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if etag is not None:
            self._validators(etag, response.last_modified)
        # Headers XenForo itself sends on every response.
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in response.extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def _validators(self, etag: str, last_modified: datetime | None) -> None:
        self.send_header("ETag", etag)
        if last_modified is not None:
            self.send_header("Last-Modified", _http_date(last_modified))

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s - %s", self.address_string(), format % args)


class DemoForum:
    """The demo board on 127.0.0.1; `start()` serves it from a daemon thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        posts_per_page: int = pages.DEFAULT_POSTS_PER_PAGE,
        robots_txt: str | None = None,
        extra_posts: Sequence[SeedPost] | None = None,
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            # Any loopback address (all of 127/8 on Linux): boards on several hosts.
            raise ValueError(f"the demo forum only binds to the loopback interface, not {host!r}")
        if posts_per_page < 1:
            raise ValueError("posts_per_page must be at least 1")
        self.host = host
        self.port = port
        self.posts_per_page = posts_per_page
        self.robots_txt = DEFAULT_ROBOTS_TXT if robots_txt is None else robots_txt
        self.thread = build_thread(extra_posts or ())
        self.requests: list[RequestLog] = []
        # Test hook: called with each request as it arrives, before it is answered (the
        # crash test kills the scraper there, at an exact point of its run).
        self.on_request: Callable[[RequestLog], None] | None = None
        self._requests_lock = threading.Lock()
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._site_obj: _Site | None = None
        self._moved_from: frozenset[int] = frozenset()

    # -- lifecycle -------------------------------------------------------------------------

    def _bind(self) -> LoopbackHTTPServer:
        handler = type("DemoForumHandler", (_Handler,), {"forum": self})
        server = LoopbackHTTPServer((self.host, self.port), handler)
        self._server = server
        self.port = server.server_address[1]
        self._site_obj = _Site(self.thread, self.posts_per_page, self.robots_txt, self.base_url,
                               self._moved_from)
        return server

    def start(self) -> DemoForum:
        if self._server is not None:
            return self
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"demo-forum-{self.port}", daemon=True
        )
        self._thread.start()
        log.debug("demo forum serving %s", self.thread_url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoForum:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def move_thread(self, new_id: int, new_slug: str | None = None) -> None:
        """Test hook: give the thread a new id (and slug), as a move or merge does; its old
        URLs then answer 301 to the new ones."""
        old_id = self.thread.thread_id
        self.thread = dataclasses.replace(
            self.thread, thread_id=new_id, slug=new_slug or self.thread.slug
        )
        self._moved_from = (self._moved_from | {old_id}) - {new_id}
        if self._site_obj is not None:  # answer from the next request on
            self._site_obj = _Site(self.thread, self.posts_per_page, self.robots_txt,
                                   self.base_url, self._moved_from)

    # -- addresses -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.port == 0:
            raise RuntimeError("the demo forum has no port yet: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def thread_url(self) -> str:
        return self.base_url + pages.thread_path(self.thread)

    # -- internals used by the handler -----------------------------------------------------

    def _site(self) -> _Site:
        if self._site_obj is None:
            raise RuntimeError("the demo forum is not running")
        return self._site_obj

    def _log_request(self, handler: BaseHTTPRequestHandler) -> None:
        entry = RequestLog(time.monotonic(), handler.command, handler.path, dict(handler.headers))
        with self._requests_lock:
            self.requests.append(entry)
        if self.on_request is not None:
            self.on_request(entry)


def serve_forever(port: int = 8765) -> None:
    """Serve the demo forum on 127.0.0.1:`port` until interrupted (Ctrl+C)."""
    forum = DemoForum(port=port)
    server = forum._bind()
    log.info("demo forum at %s/ (thread: %s); Ctrl+C stops", forum.base_url, forum.thread_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("demo forum stopped")
    finally:
        server.server_close()
