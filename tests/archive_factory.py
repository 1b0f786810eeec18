"""A small archive written from records, for the site tests: no forum, no network.

One Arabic thread (board language ar-MA) of 24 posts, so 2 site pages at 20 posts a page,
read from 2 board pages. It holds what the site must get right: `والمغرب` without
`المغرب`, a Hebrew paragraph with an English name, quotes within and across pages, a
tweet embed, one image posted twice (stored once), an edited post and a hostile post.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from scraper.archive import ThreadArchive
from scraper.records import (
    ArchivedPost,
    ArchivedThread,
    Author,
    Capture,
    Embed,
    Link,
    PageCapture,
    PostImage,
    Quote,
    StoredAsset,
    ThreadInfo,
)

BOARD = "https://forum.example"
THREAD_KEY = "forum.example-2741"
THREAD_URL = f"{BOARD}/threads/maghrib-news.2741/"
THREAD_TITLE = "أخبار المغرب والعالم"
THREAD_PREFIX = "متجدد"
BOARD_POSTS_PER_PAGE = 15
FIRST_POST_ID = 9001
POST_COUNT = 24
START = datetime(2021, 11, 24, 10, 42, 17, tzinfo=timezone(timedelta(hours=1)))
FETCHED_AT = "2026-11-29T03:15:00Z"
WARC_FILE = f"threads/{THREAD_KEY}/warc/20261129T031500000000Z.warc.gz"
HOSTILE_HTML = (
    '<div class="bbWrapper">منشور مريب فيه رموز غريبة.<br>'
    "<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=1">'
    '<a href="javascript:window.__pwned=1">اضغط هنا</a>'
    '<svg onload="window.__pwned=1"><circle r="4"></circle></svg>'
    '<iframe src="https://evil.example/frame"></iframe>'
    '<img src="http://203.0.113.9/x.png" alt="صورة بعيدة">'
    "</div>"
)


@dataclass
class FixtureArchive:
    """The archive's root and the ids of the posts the tests look for."""

    root: Path
    key: str
    post_ids: list[str]  # in thread order
    roles: dict[str, str] = field(default_factory=dict)  # role -> post id
    image_path: str = ""  # relative to the thread folder

    def post_id(self, role: str) -> str:
        return self.roles[role]


def _capture(url: str, page: int) -> Capture:
    digest = hashlib.sha256(f"page {page}".encode()).hexdigest()
    return Capture(
        url=url,
        final_url=url,
        fetched_at=FETCHED_AT,
        status=200,
        content_type="text/html; charset=utf-8",
        etag=None,
        last_modified=None,
        sha256=digest,
        bytes=40_000,
        warc_file=WARC_FILE,
        warc_record_id=f"<urn:uuid:00000000-0000-4000-8000-{page:012d}>",
        scraper_version="0.1.0",
    )


def _board_page_url(page: int) -> str:
    return THREAD_URL if page == 1 else f"{THREAD_URL}page-{page}"


def _tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (196, 112, 48)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _wrap(text_html: str) -> str:
    return f'<div class="bbWrapper">{text_html}</div>'


def _quote_html(name: str, post_id: str, quoted_text: str) -> str:
    # As XenForo 2 serves it, expand link included.
    return (
        f'<blockquote class="bbCodeBlock bbCodeBlock--expandable bbCodeBlock--quote js-expandWatch"'
        f' data-quote="{name}" data-source="post: {post_id}" data-attributes="member: 12">'
        f'<div class="bbCodeBlock-title"><a href="/goto/post?id={post_id}"'
        f' class="bbCodeBlock-sourceJump" rel="nofollow">{name} قال:</a></div>'
        f'<div class="bbCodeBlock-content"><div class="bbCodeBlock-expandContent js-expandContent">'
        f"{quoted_text}</div>"
        f'<div class="bbCodeBlock-expandLink js-expandLink"><a role="button" tabindex="0">'
        f"اضغط للتوسيع...</a></div></div></blockquote>"
    )


def build_fixture_archive(root: Path) -> FixtureArchive:
    """Write the fixture thread (JSON and one image) under `root` and describe it."""
    archive = ThreadArchive(root)
    jpeg = _tiny_jpeg()
    sha256, image_path = archive.store_asset(THREAD_KEY, jpeg, ".jpg")
    image_url = f"{BOARD}/attachments/souk-jpg.555/"
    ids = [str(FIRST_POST_ID + index) for index in range(POST_COUNT)]
    roles = {
        "opening": ids[0],
        "wal_maghrib": ids[1],
        "image_first": ids[2],
        "quoted": ids[3],
        "edited": ids[5],
        "hostile": ids[8],
        "image_second": ids[12],
        "quote_same_page": ids[6],
        "hebrew": ids[20],
        "tweet": ids[21],
        "quote_other_page": ids[22],
    }
    texts: dict[str, str] = {
        "opening": "مرحبا بالجميع، هذا الموضوع لأخبار المغرب اليومية. شاركونا ما تقرؤون.",
        "wal_maghrib": "زرت الرباط والمغرب كله جميل في الخريف، والناس طيبون.",
        "image_first": "صورة من السوق القديم في فاس:",
        "quoted": "أظن أن المنتخب سيتأهل إلى كأس العالم بسهولة هذه المرة.",
        "edited": "تصحيح: المباراة يوم السبت وليس يوم الأحد.",
        "image_second": "نفس الصورة مرة أخرى للتذكير:",
        "hebrew": "خبر منقول من صحيفة عبرية:",
        "tweet": "تغريدة وزير الدفاع الإسرائيلي عن الزيارة:",
        "quote_same_page": "معك حق، المنتخب قوي هذا العام.",
        "quote_other_page": "ما زلت أتذكر هذا التوقع من أول الموضوع.",
    }
    hebrew_paragraph = (
        "שר הביטחון Benny Gantz ביקר היום במרוקו ונפגש עם עמיתו. "
        "לדבריו, היחסים בין ישראל לבין מרוקו חזקים מתמיד."
    )
    image_img = f'<img src="{image_path}" alt="souk.jpg" class="bbImage">'
    posts: list[ArchivedPost] = []
    for index, post_id in enumerate(ids):
        position = index + 1
        role = next((r for r, i in roles.items() if i == post_id), "")
        text = texts.get(role, f"مشاركة رقم {position} في هذا النقاش حول الرياضة والسفر.")
        html = _wrap(text)
        content_text = text
        quotes: list[Quote] = []
        embeds: list[Embed] = []
        images: list[PostImage] = []
        if role in ("image_first", "image_second"):
            html = _wrap(f'{text}<br><a href="{image_path}" target="_blank">{image_img}</a>')
            images = [
                PostImage(
                    url=image_url,
                    path=f"threads/{THREAD_KEY}/{image_path}",
                    sha256=sha256,
                    content_type="image/jpeg",
                    bytes=len(jpeg),
                    filename="souk.jpg",
                )
            ]
        elif role == "hebrew":
            html = _wrap(f"{text}<br>\n<br>\n{hebrew_paragraph}")
            content_text = f"{text}\n\n{hebrew_paragraph}"
        elif role == "tweet":
            html = _wrap(f'{text}<br><div class="fm-embed" data-embed-index="0"></div>')
            embeds = [
                Embed(
                    kind="tweet",
                    url="https://twitter.com/gantzbe/status/1463467200000000000",
                    author="בני גנץ - Benny Gantz",
                    handle="@gantzbe",
                    date_text="24 בנוב׳ 2021",
                    text="ביקור היסטורי במרוקו: חתמנו היום על הסכם הביטחון הראשון.",
                    lang="he",
                )
            ]
        elif role in ("quote_same_page", "quote_other_page"):
            quoted_text = texts["quoted"]
            html = _wrap(_quote_html("يوسف", roles["quoted"], quoted_text) + text)
            content_text = f"{quoted_text}\n{text}"
            quotes = [Quote(author="يوسف", post_id=roles["quoted"])]
        elif role == "hostile":
            html = HOSTILE_HTML
            content_text = "منشور مريب فيه رموز غريبة. اضغط هنا"
        board_page = index // BOARD_POSTS_PER_PAGE + 1
        capture = _capture(_board_page_url(board_page), board_page)
        published = START + timedelta(hours=5 * index)
        author = "يوسف" if role == "quoted" else f"عضو{position % 5}"
        edited = (published + timedelta(minutes=30)).isoformat() if role == "edited" else None
        posts.append(
            ArchivedPost(
                id=post_id,
                position=position,
                author=Author(author, f"{BOARD}/members/{position % 5}/"),
                published=published.isoformat(),
                published_text=f"{published.day} نونبر {published.year}",
                edited=edited,
                edited_text="آخر تعديل" if edited else "",
                content_html=html,
                content_text=content_text,
                quotes=quotes,
                embeds=embeds,
                images=images,
                page=board_page,
                source_url=f"{_board_page_url(board_page)}#post-{post_id}",
                fetched_at=capture.fetched_at,
                page_sha256=capture.sha256,
                warc_file=capture.warc_file,
                warc_record_id=capture.warc_record_id,
                first_seen_at=FETCHED_AT,
            )
        )
    board_pages = sorted({post.page for post in posts})
    thread = ArchivedThread(
        key=THREAD_KEY,
        engine="xenforo2",
        thread=ThreadInfo(
            id="2741",
            url=THREAD_URL,
            title=THREAD_TITLE,
            prefix=THREAD_PREFIX,
            breadcrumb=[
                Link("المنتديات", f"{BOARD}/"),
                Link("أخبار وطنية", f"{BOARD}/forums/news.4/"),
            ],
            language="ar-MA",
        ),
        first_archived_at=FETCHED_AT,
        last_archived_at=FETCHED_AT,
        scraper_version="0.1.0",
        pages=[PageCapture(n, _capture(_board_page_url(n), n)) for n in board_pages],
        posts=posts,
        assets=[
            StoredAsset(
                sha256=sha256,
                path=image_path,
                filename="souk.jpg",
                content_type="image/jpeg",
                bytes=len(jpeg),
                urls=[image_url],
                capture=_capture(image_url, 99),
            )
        ],
    )
    archive.save(thread)
    return FixtureArchive(
        root=root, key=THREAD_KEY, post_ids=ids, roles=roles, image_path=image_path
    )
