"""A small archive written from records, for the site tests: no forum, no network.

One Arabic thread (board language ar-MA) of 24 posts, so 2 site pages at 20 posts a page,
read from 2 board pages. It holds what the site must get right: `والمغرب` without
`المغرب`, a Hebrew paragraph with an English name, quotes within and across pages, a
tweet embed, one image posted twice (stored once), an edited post and a hostile post.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from scraper.archive import ThreadArchive
from scraper.engines.canonical import quote_html  # as every engine stores a quote
from scraper.records import (
    ArchivedPost,
    ArchivedThread,
    Author,
    Capture,
    Embed,
    Link,
    PageCapture,
    PostImage,
    PostRevision,
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
            html = _wrap(quote_html("يوسف", roles["quoted"], quoted_text) + text)
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


# --- Threads made to measure (XSS corpus, page weight, image sizes) ------------------------


@dataclass
class ImageSpec:
    """An image stored as an archive asset: in the post's body (`inline`) or as attachment."""

    filename: str  # as the board named it (shown on the page)
    width: int
    height: int
    colour: tuple[int, int, int] = (48, 112, 196)  # different colours, different files
    image_format: str = "JPEG"  # or "PNG"
    inline: bool = False


@dataclass
class PostSpec:
    """One post of a made-to-measure thread; `html` is the board's raw (unsanitized) body."""

    author: str
    html: str
    text: str = ""
    author_url: str | None = None
    images: list[ImageSpec] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    revisions: list[str] = field(default_factory=list)  # earlier raw bodies, oldest first
    avatar: ImageSpec | None = None  # an uploaded avatar, stored as an asset
    joined: str | None = None  # ISO date
    joined_text: str = ""
    message_count: int | None = None


@dataclass
class StoredImage:
    path: str  # relative to the thread folder
    width: int
    height: int


def image_bytes(spec: ImageSpec) -> bytes:
    """The encoded file of `spec`."""
    buffer = io.BytesIO()
    Image.new("RGB", (spec.width, spec.height), spec.colour).save(buffer, format=spec.image_format)
    return buffer.getvalue()


def build_thread_archive(
    root: Path,
    posts: list[PostSpec],
    *,
    key: str = "forum.example-5000",
    title: str = THREAD_TITLE,
    prefix: str = "",
    breadcrumb: list[Link] | None = None,
    language: str = "ar-MA",
    thread_url: str = f"{BOARD}/threads/made-to-measure.5000/",
) -> tuple[FixtureArchive, list[StoredImage]]:
    """Write one thread of `posts` (and their images) under `root`; all on one board page."""
    archive = ThreadArchive(root)
    capture = _capture(thread_url, 1)
    archived: list[ArchivedPost] = []
    assets: dict[str, StoredAsset] = {}
    stored: list[StoredImage] = []
    for index, spec in enumerate(posts):
        post_id = str(FIRST_POST_ID + index)
        html = spec.html
        images: list[PostImage] = []
        for number, image in enumerate(spec.images):
            data = image_bytes(image)
            extension = ".png" if image.image_format == "PNG" else ".jpg"
            sha256, path = archive.store_asset(key, data, extension)
            url = f"{BOARD}/attachments/{post_id}-{number}.{sha256[:6]}/"
            stored.append(StoredImage(path, image.width, image.height))
            if image.inline:
                html += f'<img src="{path}" alt="{image.filename}" class="bbImage">'
            images.append(
                PostImage(
                    url=url,
                    path=f"threads/{key}/{path}",
                    sha256=sha256,
                    content_type=f"image/{image.image_format.lower()}",
                    bytes=len(data),
                    filename=image.filename,
                )
            )
            assets.setdefault(
                sha256,
                StoredAsset(
                    sha256=sha256,
                    path=path,
                    filename=image.filename,
                    content_type=f"image/{image.image_format.lower()}",
                    bytes=len(data),
                    urls=[url],
                    capture=_capture(url, 100 + len(assets)),
                ),
            )
        published = START + timedelta(hours=3 * index)
        author = Author(spec.author, spec.author_url, joined=spec.joined,
                        joined_text=spec.joined_text, message_count=spec.message_count)
        if spec.avatar is not None:
            data = image_bytes(spec.avatar)
            sha256, path = archive.store_asset(key, data, ".jpg")
            url = f"{BOARD}/data/avatars/l/0/{index}.jpg?1637750000"
            author = replace(author, avatar_url=url, avatar_path=f"threads/{key}/{path}")
            assets.setdefault(sha256, StoredAsset(
                sha256=sha256, path=path, filename=f"avatar-{index}.jpg",
                content_type="image/jpeg", bytes=len(data), urls=[url],
                capture=_capture(url, 100 + len(assets)),
            ))  # fmt: skip
        revisions = [
            PostRevision(
                content_html=_wrap(old_html),
                content_text="",
                edited=None if number == 0 else (published + timedelta(minutes=number)).isoformat(),
                seen_at=f"2026-11-{20 + number:02d}T08:00:00+00:00",
                warc_file=f"threads/{key}/warc/2026112{number}T080000000000Z.warc.gz",
                warc_record_id=f"<urn:uuid:00000000-0000-4000-8000-{index:06d}{number:06d}>",
            )
            for number, old_html in enumerate(spec.revisions)
        ]
        archived.append(
            ArchivedPost(
                id=post_id,
                position=index + 1,
                author=author,
                published=published.isoformat(),
                published_text=f"{published.day} نونبر {published.year}",
                edited=(published + timedelta(hours=1)).isoformat() if spec.revisions else None,
                edited_text="",
                content_html=_wrap(html),
                content_text=spec.text,
                quotes=spec.quotes,
                embeds=spec.embeds,
                images=images,
                page=1,
                source_url=f"{thread_url}#post-{post_id}",
                fetched_at=capture.fetched_at,
                page_sha256=capture.sha256,
                warc_file=capture.warc_file,
                warc_record_id=capture.warc_record_id,
                first_seen_at=FETCHED_AT,
                revisions=revisions,
            )
        )
    thread = ArchivedThread(
        key=key,
        engine="xenforo2",
        thread=ThreadInfo(
            id=key.rsplit("-", 1)[-1],
            url=thread_url,
            title=title,
            prefix=prefix,
            breadcrumb=breadcrumb
            if breadcrumb is not None
            else [Link("المنتديات", f"{BOARD}/"), Link("أخبار وطنية", f"{BOARD}/forums/news.4/")],
            language=language,
        ),
        first_archived_at=FETCHED_AT,
        last_archived_at=FETCHED_AT,
        scraper_version="0.1.0",
        pages=[PageCapture(1, capture)],
        posts=archived,
        assets=list(assets.values()),
    )
    archive.save(thread)
    fixture = FixtureArchive(root=root, key=key, post_ids=[post.id for post in archived])
    return fixture, stored


def seed_like_posts(count: int) -> list[PostSpec]:
    """`count` posts cut from the demo forum's seed thread (Arabic text, quotes, a tweet,
    inline images and attachments), cycled: a realistic thread of any length."""
    from scraper.demo_forum import images as seed_images
    from scraper.demo_forum.seed import SEED_THREAD, InlineImage, Text, Tweet
    from scraper.demo_forum.seed import Quote as SeedQuote

    def image(filename: str, inline: bool) -> ImageSpec:
        width, height = seed_images.image_size(filename)
        digest = hashlib.sha256(filename.encode()).digest()
        return ImageSpec(filename, width, height, (digest[0], digest[1], digest[2]), inline=inline)

    seed = SEED_THREAD.posts
    posts: list[PostSpec] = []
    for index in range(count):
        source = seed[index % len(seed)]
        html_parts: list[str] = []
        texts: list[str] = []
        specs: list[ImageSpec] = []
        embeds: list[Embed] = []
        quotes: list[Quote] = []
        inline = set(source.inline_attachment_ids)
        for segment in source.segments:
            if isinstance(segment, Text):
                html_parts.append(segment.text.replace("\n", "<br>\n"))
                texts.append(segment.text)
            elif isinstance(segment, SeedQuote):
                # Quote the post `count` back in this thread, so quotes link within the page.
                quoted = str(FIRST_POST_ID + max(0, index - 1))
                html_parts.append(quote_html(segment.username, quoted, segment.text))
                quotes.append(Quote(segment.username, quoted))
                texts.append(segment.text)
            elif isinstance(segment, Tweet):
                html_parts.append(f'<div class="fm-embed" data-embed-index="{len(embeds)}"></div>')
                embeds.append(
                    Embed("tweet", segment.url, segment.author_name, f"@{segment.handle}",
                          segment.date_text, segment.text, segment.lang)
                )  # fmt: skip
            elif isinstance(segment, InlineImage):
                specs.append(image(source.attachment(segment.attachment_id).filename, True))
        specs += [
            image(a.filename, False) for a in source.attachments if a.attachment_id not in inline
        ]
        posts.append(
            PostSpec(
                author=source.author.username,
                author_url=f"{BOARD}/members/{source.author.slug}.{source.author.user_id}/",
                html="".join(html_parts),
                text="\n".join(texts),
                images=specs,
                embeds=embeds,
                quotes=quotes,
            )
        )
    return posts


def settings_file(folder: Path, **overrides: object) -> Path:
    """pelicanconf.py with `overrides` (e.g. THREAD_POSTS_PER_PAGE=50), written to `folder`."""
    from scraper.site.build import DEFAULT_SETTINGS_FILE

    repo = DEFAULT_SETTINGS_FILE.parent
    lines = [
        DEFAULT_SETTINGS_FILE.read_text(),
        # Relative paths in the settings are read from the settings file's folder.
        f"THEME = {str(repo / 'theme')!r}",
        f"PLUGIN_PATHS = [{str(repo)!r}]",
        *(f"{name} = {value!r}" for name, value in overrides.items()),
    ]
    path = folder / "pelicanconf.py"
    path.write_text("\n".join(lines) + "\n")
    return path
