"""The demo forum: XenForo 2.2 markup of the seed thread, its images and its HTTP behaviour."""

from __future__ import annotations

import email.utils
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from PIL import Image
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.demo_forum import DemoForum, SeedPost, build_thread, images, pages
from scraper.demo_forum.seed import SEED_THREAD, Text, Tweet

EXPECTED = json.loads(
    (Path(__file__).parent / "fixtures" / "xenforo_demo_expected.json").read_text("utf-8")
)
# The seed document sits in shared/, beside the repository (CI lays a copy there too).
SEED_TEXT = next(
    (
        path
        for path in (
            Path(__file__).resolve().parents[2] / "shared" / "seed" / "thread.txt",
            Path("/work/shared/seed/thread.txt"),
        )
        if path.exists()
    ),
    Path("shared/seed/thread.txt"),
)
BASE = "http://127.0.0.1:8765"
THREAD_PATH = "/threads/afaq-altaawn-alaskari-byn-almghrb-w-israyyl.2741/"


def parse(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html)


def page_tree(page: int) -> LexborHTMLParser:
    return parse(pages.render_thread_page(page, base_url=BASE))


def text(node: LexborNode | None) -> str:
    assert node is not None
    return node.text(strip=True)


def posts_by_id() -> dict[int, LexborNode]:
    found = {}
    for page in (1, 2):
        for node in page_tree(page).css("article.message.message--post.js-post"):
            found[int((node.attributes["data-content"] or "").removeprefix("post-"))] = node
    return found


# --- the rendered pages (no server) ---------------------------------------------------------


def test_page_container_is_xenforo_2_rtl_arabic() -> None:
    tree = page_tree(1)
    root = tree.css_first("html")
    assert root is not None
    attrs = root.attributes
    assert (attrs["id"], attrs["lang"], attrs["dir"]) == ("XF", "ar-MA", "RTL")
    assert (attrs["data-app"], attrs["data-template"]) == ("public", "thread_view")
    assert attrs["data-content-key"] == "thread-2741"
    assert text(tree.css_first("title")).endswith("| Far-Maroc")
    canonical = tree.css_first("link[rel=canonical]")
    og_url = tree.css_first('meta[property="og:url"]')
    assert canonical is not None and og_url is not None
    assert canonical.attributes["href"] == og_url.attributes["content"] == BASE + THREAD_PATH
    next_link = tree.css_first("link[rel=next]")
    assert next_link is not None and next_link.attributes["href"] == BASE + THREAD_PATH + "page-2"


def test_title_prefix_and_breadcrumbs() -> None:
    tree = page_tree(2)
    title = tree.css_first("h1.p-title-value")
    assert title is not None
    label = title.css_first("span.label")
    assert text(label) == EXPECTED["thread"]["prefix"]
    assert label is not None and "label--" in (label.attributes["class"] or "")
    assert title.css_first("span.label-append") is not None
    assert title.text().replace("\xa0", " ").strip() == (
        f'{EXPECTED["thread"]["prefix"]} {EXPECTED["thread"]["title"]}'
    )
    crumbs = tree.css_first("ul.p-breadcrumbs")
    assert crumbs is not None
    names = [
        text(li.css_first("a[itemprop=item] span[itemprop=name]"))
        for li in crumbs.css("li[itemprop=itemListElement]")
    ]
    assert names == EXPECTED["thread"]["breadcrumb"]


def test_json_ld_describes_the_discussion() -> None:
    script = page_tree(1).css_first('script[type="application/ld+json"]')
    data = json.loads(text(script))
    assert data["@type"] == "DiscussionForumPosting"
    assert data["headline"] == EXPECTED["thread"]["title"]
    assert data["url"] == data["@id"] == BASE + THREAD_PATH
    assert data["author"]["name"] == EXPECTED["thread"]["starter"]
    assert data["datePublished"] == EXPECTED["posts"][0]["published"]
    assert data["interactionStatistic"]["userInteractionCount"] == len(EXPECTED["posts"]) - 1


def test_posts_match_the_truth_table() -> None:
    found = posts_by_id()
    assert list(found) == [p["id"] for p in EXPECTED["posts"]]
    for want in EXPECTED["posts"]:
        node = found[want["id"]]
        post_id = want["id"]
        assert node.attributes["data-author"] == want["author"]
        assert node.attributes["id"] == f"js-post-{post_id}"
        assert node.css_first(f"span.u-anchorTarget#post-{post_id}") is not None
        name = node.css_first(".message-user h4.message-name a.username")
        assert name is not None and text(name) == want["author"]
        assert name.attributes["href"] == want["author_url"]
        assert name.attributes["data-user-id"] == str(want["author_id"])
        assert text(node.css_first(".message-userTitle"))
        extras = [text(dt) for dt in node.css(".message-userExtras dl.pairs dt")]
        assert {"تاريخ التسجيل", "المشاركات"} <= set(extras)
        avatar = node.css_first(".message-avatar a.avatar")
        assert avatar is not None and avatar.attributes["href"] == want["author_url"]
        picture = avatar.css_first("img")
        if want["author_avatar"] is None:  # XenForo's default letter avatar
            assert picture is None and "avatar--default" in (avatar.attributes["class"] or "")
        else:  # an uploaded one: m in src, l (2x) in srcset, as XenForo 2.2 renders it
            assert picture is not None
            assert picture.attributes["srcset"] == f"{want['author_avatar']} 2x"
            assert picture.attributes["src"] == want["author_avatar"].replace("/l/", "/m/")
            assert picture.attributes["alt"] == want["author"]
            assert (picture.attributes["width"], picture.attributes["height"]) == ("96", "96")

        time = node.css_first("ul.message-attribution-main a time.u-dt")
        assert time is not None
        anchor = time.parent
        assert anchor is not None and anchor.attributes["href"] == f"{THREAD_PATH}post-{post_id}"
        machine = time.attributes["datetime"] or ""
        assert machine.endswith("+0100")
        assert datetime.fromisoformat(machine) == datetime.fromisoformat(want["published"])
        assert text(time) == time.attributes["data-date-string"] == want["published_text"]
        assert int(time.attributes["data-time"] or 0) == int(
            datetime.fromisoformat(want["published"]).timestamp()
        )
        numbers = [text(a) for a in node.css("ul.message-attribution-opposite a[rel=nofollow]")]
        assert f"#{want['position']}" in numbers

        body = node.css_first(
            "div.message-content.js-messageContent > div.message-userContent"
            " > article.message-body.js-selectToQuote > div.bbWrapper"
        )
        assert body is not None
        assert want["snippet"] in body.text()
        assert len(body.css("img.bbImage")) == want["inline_images"]
        assert [i.attributes["alt"] for i in body.css("img.bbImage")] == want["inline_image_files"]
        listed = [text(n) for n in node.css("section.message-attachments li.file span.file-name")]
        assert listed == want["attachments"]
        quotes = [b.attributes["data-source"] for b in body.css("blockquote.bbCodeBlock--quote")]
        assert quotes == [f"post: {q}" for q in want["quotes"]]
        assert (body.css_first("blockquote.twitter-tweet") is not None) == want["has_tweet"]
        edit = node.css_first("div.message-lastEdit time")
        if want["edited"] is None:
            assert edit is None
        else:
            assert edit is not None and "آخر تعديل" in (edit.parent.text() if edit.parent else "")
            edited = datetime.fromisoformat(edit.attributes["datetime"] or "")
            assert edited == datetime.fromisoformat(want["edited"])


def test_dates_use_maghrebi_month_names() -> None:
    time = posts_by_id()[118244].css_first("ul.message-attribution-main time")
    assert time is not None
    assert time.attributes["datetime"] == "2021-11-24T10:42:35+0100"
    assert time.attributes["data-date-string"] == "24 نونبر 2021"
    assert time.attributes["data-time-string"] == "10:42"
    assert time.attributes["title"] == "24 نونبر 2021 على 10:42"
    assert pages.date_string(datetime(2021, 12, 1)) == "1 دجنبر 2021"
    assert pages.date_string(datetime(2021, 8, 1)) == "1 غشت 2021"


def test_quote_is_rendered_as_xenforo_2_2_does() -> None:
    quote = posts_by_id()[118302].css_first("blockquote")
    assert quote is not None
    assert quote.attributes["data-attributes"] == "member: 1187"
    assert quote.attributes["data-quote"] == "atlas_eagle"
    assert quote.attributes["data-source"] == "post: 118287"
    classes = set((quote.attributes["class"] or "").split())
    assert {"bbCodeBlock", "bbCodeBlock--expandable", "bbCodeBlock--quote"} <= classes
    jump = quote.css_first(".bbCodeBlock-title a.bbCodeBlock-sourceJump")
    assert jump is not None
    assert jump.attributes["href"] == "/goto/post?id=118287"
    assert jump.attributes["data-content-selector"] == "#post-118287"
    assert "atlas_eagle" in text(jump)
    content = text(quote.css_first(".bbCodeBlock-content .bbCodeBlock-expandContent"))
    quoted_post = posts_by_id()[118287].css_first(".bbWrapper")
    assert quoted_post is not None and content in quoted_post.text()


def test_tweet_embed_keeps_text_author_handle_date_and_link() -> None:
    body = posts_by_id()[118287].css_first(".bbWrapper")
    assert body is not None
    wrapper = body.css_first('[data-media-site-id="twitter"]')
    assert wrapper is not None and wrapper.attributes["data-media-key"] == "1463571208437166080"
    tweet = wrapper.css_first("blockquote.twitter-tweet")
    assert tweet is not None and tweet.attributes["data-lang"] == "he"
    paragraph = tweet.css_first("p")
    assert paragraph is not None and paragraph.attributes["dir"] == "rtl"
    assert "מרוקו" in paragraph.text()
    links = {text(a): a.attributes["href"] for a in tweet.css("a")}
    assert links["pic.twitter.com/bRlRBbpWbR"] == "https://t.co/bRlRBbpWbR"
    assert links["November 24, 2021"] == (
        "https://twitter.com/gantzbe/status/1463571208437166080"
    )
    assert "— בני גנץ - Benny Gantz (@gantzbe)" in tweet.text()
    assert body.css_first("script") is None  # XenForo loads widgets via xf/embed.js


def test_inline_images_and_attachment_list_markup() -> None:
    post = posts_by_id()[118421]
    wrappers = post.css(".bbWrapper div.bbImageWrapper.js-lbImage")
    assert len(wrappers) == 3
    for wrapper in wrappers:
        image = wrapper.css_first("img.bbImage")
        assert image is not None
        assert image.attributes["src"] == wrapper.attributes["data-src"]
        assert (image.attributes["src"] or "").startswith(BASE + "/attachments/")
        assert image.attributes["alt"] == image.attributes["title"] == wrapper.attributes["title"]
        assert image.attributes["loading"] == "lazy"
        assert image.attributes["width"] and image.attributes["height"]
    item = posts_by_id()[118244].css_first(
        "section.message-attachments > ul.attachmentList > li.file.file--linked"
    )
    assert item is not None
    preview = item.css_first("a.file-preview.js-lbImage")
    assert preview is not None
    assert preview.attributes["href"] == (
        "/attachments/7c588b94-630c-43ad-a66a-5096614aed7a-jpeg.41236/"
    )
    thumb = preview.css_first("img")
    assert thumb is not None
    assert (thumb.attributes["src"] or "").startswith("/data/attachments/41/41193-")
    assert thumb.attributes["alt"] == "7C588B94-630C-43AD-A66A-5096614AED7A.jpeg"


def test_pagination_links() -> None:
    first, second = page_tree(1), page_tree(2)
    assert len(first.css("article.message--post")) == 5
    assert len(second.css("article.message--post")) == 3
    nav = first.css_first("div.pageNav")
    assert nav is not None
    assert [text(a) for a in nav.css("ul.pageNav-main li.pageNav-page a")] == ["1", "2"]
    assert text(nav.css_first("li.pageNav-page--current a")) == "1"
    next_link = nav.css_first("a.pageNav-jump.pageNav-jump--next")
    assert next_link is not None and next_link.attributes["href"] == THREAD_PATH + "page-2"
    assert nav.css_first("a.pageNav-jump--prev") is None
    nav2 = second.css_first("div.pageNav")
    assert nav2 is not None
    assert nav2.css_first("a.pageNav-jump--next") is None
    prev_link = nav2.css_first("a.pageNav-jump.pageNav-jump--prev")
    assert prev_link is not None and prev_link.attributes["href"] == THREAD_PATH
    with pytest.raises(ValueError):
        pages.render_thread_page(3)


def test_page_chrome_back_and_top_buttons_are_outside_posts() -> None:
    tree = page_tree(2)
    assert text(tree.css_first(".u-navButtons .u-srOnly")) == "عودة"
    assert text(tree.css_first(".u-scrollButtons .u-srOnly")) == "أعلى"
    for body in tree.css(".bbWrapper"):
        assert "عودة\nأعلى" not in body.text()
    assert tree.css_first("footer.p-footer") is not None


def test_pages_are_identical_on_every_render() -> None:
    assert pages.render_thread_page(1) == pages.render_thread_page(1)
    assert pages.render_forum_index() == pages.render_forum_index()


def test_seed_text_is_kept_verbatim_and_complete() -> None:
    if not SEED_TEXT.exists():
        pytest.skip("seed document not available")
    seed = SEED_TEXT.read_text("utf-8")
    own_texts = [s.text for p in SEED_THREAD.posts for s in p.segments if isinstance(s, Text)]
    for chunk in own_texts:
        assert chunk in seed
    filenames = {a.filename for p in SEED_THREAD.posts for a in p.attachments}
    lines = [line for line in seed.split("\n") if line.strip("\xa0 ")]
    title, chrome, body = lines[0], lines[-2:], lines[1:-2]
    assert title == f"{SEED_THREAD.prefix}\xa0{SEED_THREAD.title}"
    assert chrome == ["عودة", "أعلى"]
    (tweet,) = [s for p in SEED_THREAD.posts for s in p.segments if isinstance(s, Tweet)]
    for line in body:
        if line in filenames or line.startswith(("חתמתי", "— בני גנץ")):
            continue
        assert sum(line in chunk for chunk in own_texts) >= 1, line
    assert seed.count(f"{tweet.text} {tweet.media_text}\n— {tweet.author_name}") == 1


def test_truth_table_is_what_the_seed_renders() -> None:
    assert EXPECTED["thread"]["id"] == SEED_THREAD.thread_id
    assert EXPECTED["thread"]["pages"] == pages.page_count(SEED_THREAD)
    for want, post in zip(EXPECTED["posts"], SEED_THREAD.posts, strict=True):
        assert want["id"] == post.post_id
        assert want["published"] == post.posted_at.isoformat()
    authors = {p["author"] for p in EXPECTED["posts"]}
    assert len(authors) == 3 and any(a.isascii() for a in authors)
    days = {p["published"][:10] for p in EXPECTED["posts"]}
    assert min(days) >= "2021-11-23" and max(days) <= "2021-11-26"
    names = [n for p in EXPECTED["posts"] for n in p["inline_image_files"] + p["attachments"]]
    assert names.count("Benny-Gantz-Abdellatif-Loudiyi1.jpg") == 2
    assert len(names) == 8 and len(set(names)) == 7


def test_extra_posts_are_appended_raw_with_next_ids() -> None:
    hostile = '<script>alert("x")</script><p onclick="steal()">hi</p>'
    thread = build_thread([SeedPost(content_html=hostile), SeedPost(content_html="<b>2</b>")])
    assert [p.post_id for p in thread.posts[-2:]] == [118422, 118423]
    assert [p.position for p in thread.posts[-2:]] == [9, 10]
    html = pages.render_thread_page(2, thread=thread, base_url=BASE)
    assert f'<div class="bbWrapper">{hostile}</div>' in html


# --- images ---------------------------------------------------------------------------------


def test_images_are_jpegs_of_fixed_size_and_distinct() -> None:
    names = sorted({a.filename for p in SEED_THREAD.posts for a in p.attachments})
    digests = set()
    for name in names:
        full = images.full_image(name)
        thumb = images.thumbnail(name)
        assert full[:3] == thumb[:3] == b"\xff\xd8\xff"
        with Image.open(io.BytesIO(full)) as picture:
            assert picture.format == "JPEG"
            assert picture.size == images.image_size(name)
        with Image.open(io.BytesIO(thumb)) as small:
            assert small.size == images.thumbnail_size(name)
            assert small.size[0] == images.THUMBNAIL_WIDTH
        assert thumb != full and len(thumb) < len(full)
        digests.add(hashlib.sha256(full).hexdigest())
    assert len(digests) == len(names)


def test_uploaded_avatars_are_square_jpegs_of_every_size_and_deterministic() -> None:
    colours = ("#3d7a1f", "#9edb70")
    for size, pixels in images.AVATAR_SIZES.items():
        data = images.avatar("FAR_Observer", colours, size)
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == "JPEG" and picture.size == (pixels, pixels)
        images.avatar.cache_clear()
        assert images.avatar("FAR_Observer", colours, size) == data
    assert images.avatar("other", colours, "m") != images.avatar("FAR_Observer", colours, "m")


def test_images_are_deterministic() -> None:
    name = "israelmaroc.jpg"
    cached = images.full_image(name)
    images.full_image.cache_clear()
    images.thumbnail.cache_clear()
    images._picture.cache_clear()
    assert images.full_image(name) == cached
    assert images.file_hash(name) == hashlib.md5(cached).hexdigest()


# --- the server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forum() -> Iterator[DemoForum]:
    with DemoForum() as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=10) as session:
        yield session


def test_server_binds_loopback_and_reports_urls(forum: DemoForum) -> None:
    assert forum.base_url.startswith("http://127.0.0.1:")
    assert forum.thread_url == forum.base_url + THREAD_PATH
    with pytest.raises(ValueError):
        DemoForum(host="0.0.0.0")
    with pytest.raises(RuntimeError):
        _ = DemoForum().base_url


def test_thread_pages_are_served_as_utf8_html(forum: DemoForum, client: httpx.Client) -> None:
    for url in (forum.thread_url, forum.thread_url + "page-2"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["etag"] and response.headers["last-modified"]
        tree = parse(response.text)
        canonical = tree.css_first("link[rel=canonical]")
        assert canonical is not None and canonical.attributes["href"] == url
    assert client.get(forum.thread_url).content == client.get(forum.thread_url).content


def test_other_routes(forum: DemoForum, client: httpx.Client) -> None:
    index = client.get(forum.base_url + "/")
    assert index.status_code == 200
    forum_link = parse(index.text).css_first("h3.node-title a")
    assert forum_link is not None
    listing = client.get(forum.base_url + (forum_link.attributes["href"] or ""))
    assert listing.status_code == 200
    thread_link = parse(listing.text).css_first(".structItem-title a[data-tp-primary]")
    assert thread_link is not None and thread_link.attributes["href"] == THREAD_PATH
    member = client.get(forum.base_url + EXPECTED["posts"][1]["author_url"])
    assert member.status_code == 200
    assert EXPECTED["posts"][1]["author"] in member.text
    for path in ("/nope", "/threads/x.9999/", "/members/x.1/", "/attachments/x.1/",
                 "/data/attachments/41/41193-00000000000000000000000000000000.jpg"):
        missing = client.get(forum.base_url + path)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"] == "text/html; charset=utf-8"
        assert parse(missing.text).css_first("html#XF") is not None


def test_robots_txt_allows_everything_by_default(forum: DemoForum, client: httpx.Client) -> None:
    response = client.get(forum.base_url + "/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "User-agent: *" in response.text
    assert "Disallow: /" not in response.text and "Crawl-delay" not in response.text


def test_robots_txt_can_be_overridden() -> None:
    body = "User-agent: *\nDisallow: /threads/\n"
    with DemoForum(robots_txt=body) as custom, httpx.Client() as session:
        assert session.get(custom.base_url + "/robots.txt").text == body


def test_redirects_follow_xenforo(forum: DemoForum, client: httpx.Client) -> None:
    base = forum.base_url
    cases = {
        THREAD_PATH + "page-3": (301, THREAD_PATH + "page-2"),
        THREAD_PATH + "page-1": (301, THREAD_PATH),
        "/threads/2741/": (301, THREAD_PATH),
        THREAD_PATH.rstrip("/"): (301, THREAD_PATH),
        "/threads/wrong-slug.2741/page-2": (301, THREAD_PATH + "page-2"),
        THREAD_PATH + "post-118421": (301, THREAD_PATH + "page-2#post-118421"),
        "/posts/118201/": (301, THREAD_PATH + "#post-118201"),
        "/goto/post?id=118287": (303, THREAD_PATH + "#post-118287"),
        "/goto/post?id=118302": (303, THREAD_PATH + "page-2#post-118302"),
    }
    for path, (status, target) in cases.items():
        response = client.get(base + path)
        assert response.status_code == status, path
        assert response.headers["location"] == base + target, path
    assert client.get(base + "/goto/post?id=1").status_code == 404


def test_attachments_are_jpegs_and_thumbnails_differ(
    forum: DemoForum, client: httpx.Client
) -> None:
    tree = parse(client.get(forum.thread_url).text)
    preview = tree.css_first("section.message-attachments a.file-preview")
    assert preview is not None
    full = client.get(forum.base_url + (preview.attributes["href"] or ""))
    thumb_img = preview.css_first("img")
    assert thumb_img is not None
    thumb = client.get(forum.base_url + (thumb_img.attributes["src"] or ""))
    for response in (full, thumb):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.content[:3] == b"\xff\xd8\xff"
        assert response.headers["etag"] and response.headers["last-modified"]
    assert thumb.content != full.content and len(thumb.content) < len(full.content)
    inline = tree.css_first("img.bbImage")
    assert inline is not None
    assert client.get(inline.attributes["src"] or "").headers["content-type"] == "image/jpeg"


def test_uploaded_avatars_are_served_and_letter_avatars_have_no_file(
    forum: DemoForum, client: httpx.Client
) -> None:
    with_avatar = [p for p in EXPECTED["posts"] if p["author_avatar"]]
    without = [p for p in EXPECTED["posts"] if not p["author_avatar"]]
    assert with_avatar and without  # the demo shows both kinds
    response = client.get(forum.base_url + with_avatar[0]["author_avatar"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as picture:
        assert picture.size == (192, 192)
    small = with_avatar[0]["author_avatar"].replace("/l/", "/s/")
    assert client.get(forum.base_url + small).status_code == 200
    user_id = without[0]["author_id"]
    letter_only = f"/data/avatars/l/{user_id // 1000}/{user_id}.jpg"
    assert client.get(forum.base_url + letter_only).status_code == 404


def test_the_twice_posted_image_is_two_attachments_with_the_same_bytes(
    forum: DemoForum, client: httpx.Client
) -> None:
    first = client.get(forum.base_url + "/attachments/benny-gantz-abdellatif-loudiyi1-jpg.41262/")
    again = client.get(forum.base_url + "/attachments/benny-gantz-abdellatif-loudiyi1-jpg.41289/")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    disposition = first.headers["content-disposition"]
    assert 'filename="Benny-Gantz-Abdellatif-Loudiyi1.jpg"' in disposition


def test_conditional_requests_get_304(forum: DemoForum, client: httpx.Client) -> None:
    for url in (forum.thread_url, forum.base_url + "/attachments/israelmaroc-jpg.41275/"):
        response = client.get(url)
        etag, modified = response.headers["etag"], response.headers["last-modified"]
        cached = client.get(url, headers={"If-None-Match": etag})
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["etag"] == etag
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        earlier = email.utils.format_datetime(
            email.utils.parsedate_to_datetime(modified).replace(year=2020), usegmt=True
        )
        assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200


def test_head_sends_headers_only(forum: DemoForum, client: httpx.Client) -> None:
    response = client.head(forum.thread_url)
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) > 1000


def test_every_request_is_logged(forum: DemoForum, client: httpx.Client) -> None:
    before = len(forum.requests)
    client.get(forum.base_url + "/goto/post?id=118201", headers={"User-Agent": "probe/1"})
    entry = forum.requests[before]
    assert (entry.method, entry.path) == ("GET", "/goto/post?id=118201")
    assert entry.headers["User-Agent"] == "probe/1"
    assert entry.time > 0


def test_posts_per_page_and_extra_posts() -> None:
    extra = [SeedPost(content_html="<script>document.title='pwned'</script>")]
    with DemoForum(posts_per_page=3, extra_posts=extra) as custom, httpx.Client() as session:
        last = session.get(custom.thread_url + "page-3")
        assert last.status_code == 200
        tree = parse(last.text)
        ids = [n.attributes["data-content"] for n in tree.css("article.message--post")]
        assert ids == ["post-118355", "post-118421", "post-118422"]
        assert "<script>document.title='pwned'</script>" in last.text
        assert tree.css_first("a.pageNav-jump--next") is None
        nav = tree.css_first("div.pageNav")  # XenForo repeats it above and below the posts
        assert nav is not None
        assert [text(a) for a in nav.css("ul.pageNav-main li.pageNav-page a")] == ["1", "2", "3"]
