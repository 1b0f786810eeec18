"""A forum board on 127.0.0.1 that serves one engine's fixture pages at that engine's URLs.

    with FixtureBoard(BOARDS["phpbb"]) as board:
        main(["scrape", board.thread_url, ...])
        board.add_post()  # the last page now shows one more post

Each `BoardSpec` says where its fixture's pages were served (their README and expected.json):
the page URLs, which query parameters pick a page (others, such as phpBB's `sid=`, SMF's
`PHPSESSID` or vBulletin's `s=`, are ignored, as the boards ignore a stale session id), and
the origin the pages name, which the board rewrites to its own in every byte it serves.

Full-size attachments are served from files: the phpBB and MyBB fixtures carry the board's
own files; the hand-made fixtures carry the seed thread's images under their seed names
(`FE9CNKiWUAM6iQM.jpeg` ...), so those attachments get the same seed files. Every other URL
(thumbnails, avatars, robots.txt) answers 404, as an asset the fixture has no file for.

`add_post()` switches the last page to its "updated" form: the markup block of its last post
copied right after it, with a new post id (and shown post number) and new words (`NewPost`).
Pages carry an ETag, and a matching `If-None-Match` gets 304, as the boards' web servers do.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .fetch_server import NOT_FOUND, FetchServer, Reply, SeenRequest

FIXTURES = Path(__file__).parent / "fixtures"
SEED_FILES = FIXTURES / "phpbb-3.3" / "attachments"  # the seed thread's images, as uploaded
SEED_IMAGES = {"FE9CNKiWUAM6iQM.jpeg": SEED_FILES / "1-FE9CNKiWUAM6iQM.jpeg",
               "Benny-Gantz-Abdellatif-Loudiyi1.jpg":
                   SEED_FILES / "2-Benny-Gantz-Abdellatif-Loudiyi1.jpg",
               "israelmaroc.jpg": SEED_FILES / "3-israelmaroc.jpg"}
NEW_POST_TEXT = "مشاركة جديدة بعد الأرشفة: التحديث يلتقطها"  # what the added post says


# An absolute or protocol-relative URL of any host but loopback ones (and schema.org's, which
# microdata `itemtype`s name as a vocabulary: never fetched).
_OTHER_SITE = re.compile(rb"(https?:)?//(?!127\.|schema\.org/)([a-z0-9][a-z0-9.-]*\.[a-z]{2,})/",
                         re.IGNORECASE)


def query_params(query: str) -> dict[str, str]:
    """A query string's parameters; `&` and SMF's `;` both separate them."""
    params: dict[str, str] = {}
    for part in re.split(r"[&;]", query):
        if part:
            name, _, value = part.partition("=")
            params.setdefault(unquote(name), unquote(value))
    return params


@dataclass(frozen=True)
class PageRoute:
    """One page of the thread: its file and the URL the board serves it at."""

    file: str
    url: str  # path and query, as the board links it (session parameters left out)


@dataclass(frozen=True)
class NewPost:
    """How the last page gains a post: the last post's markup, from `start` up to `until`,
    copied after itself; `ids` (regex, replacement) give the copy its new id and number."""

    start: str
    until: str
    ids: tuple[tuple[str, str], ...]
    post_id: str
    text: str  # a phrase of the copied post that the new one says differently


@dataclass(frozen=True)
class BoardSpec:
    """One fixture thread as its board served it."""

    engine: str
    folder: Path
    origins: tuple[str, ...]  # as the pages name the board; rewritten to the test board's
    pages: tuple[PageRoute, ...]
    new_post: NewPost
    files: dict[str, Path] = field(default_factory=dict)  # full-size URL -> file

    @property
    def thread_path(self) -> str:
        return self.pages[0].url


def _route_key(url: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    return unquote(split.path).lower(), query_params(split.query)


class FixtureBoard(FetchServer):
    """Serves a `BoardSpec`; every request is logged (`requests`, from FetchServer)."""

    def __init__(self, spec: BoardSpec, neutral_path: str | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.updated = False
        # Also serves the first page here, at a URL no engine claims (detection by page).
        self.neutral_path = neutral_path
        self.served: list[str] = []  # the page file of each page answer, in order
        # Parameters that pick a page: those of any page's URL (the rest are ignored).
        self._page_keys = {k for p in spec.pages for k in _route_key(p.url)[1]}

    @property
    def thread_url(self) -> str:
        return self.origin + self.spec.thread_path

    def url_of(self, original: str) -> str:
        """A URL of the fixture (on its original origin) as this board serves it."""
        return self._rewrite(original.encode()).decode()

    def add_post(self) -> None:
        """From now on the last page shows one more post (see `NewPost`)."""
        self.updated = True

    def page_html(self, number: int) -> str:
        """Page `number` as this board serves it now."""
        return self._page_body(self.spec.pages[number - 1]).decode("utf-8")

    def _rewrite(self, body: bytes) -> bytes:
        for origin in self.spec.origins:
            own = self.origin.removeprefix("http:") if origin.startswith("//") else self.origin
            body = body.replace(origin.encode(), own.encode())
        # Other sites the pages name (image hosts, YouTube, the software's home page) are
        # served here too, under /offsite/ (404): a test never asks anything of the internet,
        # not even a name server.
        return _OTHER_SITE.sub(lambda m: b"%s/offsite/%s/" % (self.origin.encode(), m[2]),
                               body)

    def _page_body(self, page: PageRoute) -> bytes:
        html = (self.spec.folder / page.file).read_text("utf-8")
        if self.updated and page == self.spec.pages[-1]:
            html = with_new_post(html, self.spec.new_post)
        return self._rewrite(html.encode("utf-8"))

    def reply_for(self, seen: SeenRequest) -> Reply:
        path, params = _route_key(seen.path)
        if self.neutral_path is not None and urlsplit(seen.path).path == self.neutral_path:
            return self._page_reply(self.spec.pages[0], seen)
        picked = {k: v for k, v in params.items() if k in self._page_keys}
        for page in self.spec.pages:
            if _route_key(page.url) == (path, picked):
                return self._page_reply(page, seen)
        for url, file in self.spec.files.items():
            file_path, file_params = _route_key(url)
            if file_path == path and file_params.items() <= params.items():
                content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                return Reply(200, file.read_bytes(), [("Content-Type", content_type)])
        return NOT_FOUND

    def _page_reply(self, page: PageRoute, seen: SeenRequest) -> Reply:
        self.served.append(page.file)
        body = self._page_body(page)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if seen.headers.get("if-none-match") == etag:
            return Reply(304, b"", [("ETag", etag)])
        return Reply(200, body, [("Content-Type", "text/html; charset=UTF-8"), ("ETag", etag)])


def with_new_post(html: str, new: NewPost) -> str:
    """`html` with its last post's markup copied after itself as post `new.post_id`."""
    start = html.rindex(new.start)
    end = html.index(new.until, start)
    copy = html[start:end]
    assert new.text in copy, f"{new.text!r} is not in the last post"
    copy = copy.replace(new.text, NEW_POST_TEXT)
    for pattern, replacement in new.ids:
        copy, count = re.subn(pattern, replacement, copy)
        assert count, f"{pattern!r} is not in the last post"
    return html[:end] + copy + html[end:]


def expected(folder: str) -> dict[str, Any]:
    """A fixture folder's `expected.json`."""
    data: dict[str, Any] = json.loads((FIXTURES / folder / "expected.json").read_text("utf-8"))
    return data


def _seed_files(urls_and_names: list[tuple[str, str]], origin: str) -> dict[str, Path]:
    """Full-size URLs (paths) of the attachments that carry a seed image's name."""
    return {url.removeprefix(origin): SEED_IMAGES[name] for url, name in urls_and_names
            if name in SEED_IMAGES}


def _phpbb() -> BoardSpec:
    truth = expected("phpbb-3.3")
    return BoardSpec(
        "phpbb", FIXTURES / "phpbb-3.3", (truth["served_at"],),
        tuple(PageRoute(f"page-{n}.html", url) for n, url in enumerate(truth["page_urls"], 1)),
        NewPost('<div id="p10" ', '<div class="action-bar bar-bottom">',
                ((r'(?<=[pet"=])10\b', "11"),), "11", "ووصل بيني غانتس ليل الثلاثاء"),
        {f"/download/file.php?id={a['attach_id']}": FIXTURES / "phpbb-3.3" / a["saved_as"]
         for p in truth["posts"] for a in p["attachments"]},
    )


def _mybb() -> BoardSpec:
    truth = expected("mybb-1.8")
    return BoardSpec(
        "mybb", FIXTURES / "mybb-1.8", (truth["served_at"],),
        tuple(PageRoute(f"page-{n}.html", url) for n, url in enumerate(truth["page_urls"], 1)),
        NewPost('<a name="pid9" id="pid9">', "\t</div>\n</td></tr>",
                ((r"(pid_?|_by_|post_|meta_|pid=|yto=)9\b", r"\g<1>10"), (r">#9<", ">#10<")),
                "10", "ووصل بيني غانتس ليل الثلاثاء"),
        {f"/attachment.php?aid={a['aid']}": FIXTURES / "mybb-1.8" / a["saved_as"]
         for p in truth["posts"] for a in p["attachments"]},
    )


def _smf() -> BoardSpec:
    truth = expected("smf/smf-2.1-ar")
    origin = truth["served_at"]
    return BoardSpec(
        "smf", FIXTURES / "smf" / "smf-2.1-ar", (origin,),
        tuple(PageRoute(f"page-{n}.html", url.removeprefix(origin))
              for n, url in enumerate(truth["page_urls"], 1)),
        NewPost('<div class="windowbg" id="msg38">', "</form>",
                ((r"(msg_?|subject_|msg=|modified_|msgid=\"|quote=)38\b", r"\g<1>40"),
                 (r"#5\b", "#6")),
                "40", "المغرب وإسرائيل يوقعان مذكرة دفاع"),
        _seed_files([(a["url"], a["filename"]) for p in truth["posts"] for a in p["assets"]
                     if a["kind"] == "attachment"], origin),
    )


def _vbulletin() -> BoardSpec:
    truth = expected("vbulletin")["threads"][0]
    origin = "https://forums.example.org"
    return BoardSpec(
        "vbulletin", FIXTURES / "vbulletin", (origin,),
        tuple(PageRoute(p["file"], p["url"].removeprefix(origin)) for p in truth["pages"]),
        NewPost('<li class="postbitlegacy postbitim postcontainer old" id="post_30025">',
                "</ol>", ((r"30025", "30031"), (r">#5<", ">#6<"), (r'name="5"', 'name="6"')),
                "30031", "the ministry's own text"),
    )


def _invision() -> BoardSpec:
    truth = expected("invision")
    origin = truth["board"]
    thread = truth["thread_url"].removeprefix(origin)
    return BoardSpec(
        "invision", FIXTURES / "invision", (origin, origin.removeprefix("https:")),
        tuple(PageRoute(f"page-{n}.html", thread + suffix)
              for n, suffix in enumerate(truth["page_urls"], 1)),
        NewPost('<a id="comment-60140">', "</form>", ((r"60140", "60147"),), "60147",
                "شكرا على التقرير"),
        _seed_files([(a[0], a[1]) for p in truth["posts"] for a in p["attachments"]], origin),
    )


def _xenforo1() -> BoardSpec:
    truth = expected("xenforo1")["threads"][0]
    origin = "https://montada.example"
    return BoardSpec(
        "xenforo1", FIXTURES / "xenforo1", (origin,),
        tuple(PageRoute(p["file"], p["url"].removeprefix(origin)) for p in truth["pages"]),
        NewPost('<li id="post-1005" ', "</ol>", ((r"1005", "1006"), (r">#5<", ">#6<")),
                "1006", "شكرا على المتابعة"),
        _seed_files([(a["url"], a["filename"]) for p in truth["posts"] for a in p["attachments"]],
                    origin),
    )


def _html3(engine: str, new_post: NewPost) -> BoardSpec:
    """A vBulletin 5, Vanilla or WoltLab fixture thread (the same expected.json shape)."""
    truth = expected(engine)
    origin = truth["served_at"]
    return BoardSpec(
        engine, FIXTURES / engine, (origin,),
        tuple(PageRoute(p["file"], p["url"].removeprefix(origin)) for p in truth["pages"]),
        new_post,
        _seed_files([(a["url"], a["filename"]) for p in truth["posts"] for a in p["assets"]
                     if a["kind"] == "attachment"], origin),
    )


def _vbulletin5() -> BoardSpec:
    return _html3("vbulletin5", NewPost(
        '<li data-node-id="2781" ', "</ul><!-- /conversation-list -->",
        ((r"2781", "2790"), (r">#5<", ">#6<"), (r"1637841000", "1637844600")), "2790",
        "شكرا على المتابعة"))


def _vanilla() -> BoardSpec:
    return _html3("vanilla", NewPost(
        '<li class="Item ItemComment Role_Member" id="Comment_1207">',
        '</ul>\n</div>\n<div class="P PagerWrap">',
        ((r"1207", "1210"), (r'name="Item_4"', 'name="Item_5"')), "1210", "תודה על המעקב"))


def _woltlab() -> BoardSpec:
    return _html3("woltlab", NewPost(
        '<li id="post41012" ', '\t</ul>\n</div>\n<footer class="contentFooter">',
        ((r"41012", "41015"), (r">#5<", ">#6<")), "41015", "شكرا على المتابعة"))


def _hand_made_spec(engine: str, folder: str, new_post: NewPost) -> BoardSpec:
    """A hand-made fixture whose expected.json lists `page_urls` and each post's `assets`."""
    truth = expected(folder)
    origin = truth["served_at"]
    return BoardSpec(
        engine, FIXTURES / folder, (origin,),
        tuple(PageRoute(f"page-{n}.html", url.removeprefix(origin))
              for n, url in enumerate(truth["page_urls"], 1)),
        new_post,
        _seed_files([(a["url"], a["filename"]) for p in truth["posts"] for a in p["assets"]],
                    origin),
    )


def _schemaorg() -> BoardSpec:
    return _hand_made_spec("schemaorg", "schemaorg", NewPost(
        "      <div itemscope itemtype='http://schema.org/DiscussionForumPosting'",
        "      <div role='navigation'", ((r"#5<", "#6<"),), "6", "ووصل بيني غانتس ليل الثلاثاء"))


# A board no engine knows, read by contrib/profiles/fluxbb.toml (not in BOARDS: a profile
# must be named in the config file, so detection never picks it).
FLUXBB = _hand_made_spec("profile:fluxbb", "fluxbb", NewPost(
    '<div id="p180" ', '<div class="postlinksb">',
    ((r"(?<=[p=])180\b", "181"), (r">#6<", ">#7<")), "181", "ووصل بيني غانتس ليل الثلاثاء"))


BOARDS: dict[str, BoardSpec] = {spec.engine: spec for spec in (
    _xenforo1(), _phpbb(), _mybb(), _vbulletin(), _smf(), _invision(),
    _vbulletin5(), _vanilla(), _woltlab(), _schemaorg())}
