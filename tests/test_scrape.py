"""Scraping the running demo forum over HTTP: posts, assets, provenance, WARC, politeness."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest
from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from scraper.archive import SCHEMA_PATH, ThreadArchive
from scraper.cli import main
from scraper.demo_forum import DemoForum, SeedPost
from scraper.fetch import FetchSettings, PoliteClient
from scraper.scrape import scrape_thread

from .conftest import ScrapedDemo, html_server
from .fetch_server import FetchServer, Reply

EXPECTED = json.loads(
    (Path(__file__).parent / "fixtures" / "xenforo_demo_expected.json").read_text("utf-8")
)


def load_thread(scraped: ScrapedDemo) -> dict:
    (path,) = (scraped.root / "threads").glob("*/thread.json")
    return json.loads(path.read_text("utf-8"))


def test_every_post_is_archived_as_the_board_shows_it(scraped_demo: ScrapedDemo) -> None:
    posts = load_thread(scraped_demo)["posts"]
    expected = EXPECTED["posts"]
    assert [p["id"] for p in posts] == [str(e["id"]) for e in expected]
    for post, want in zip(posts, expected, strict=True):
        assert post["position"] == want["position"]
        assert post["page"] == want["page"]
        assert post["author"]["name"] == want["author"]
        assert post["author"]["url"].endswith(want["author_url"])
        assert post["published"] == want["published"]
        assert post["published_text"] == want["published_text"]
        assert post["edited"] == want["edited"]
        assert [q["post_id"] for q in post["quotes"]] == [str(q) for q in want["quotes"]]
        assert len(post["images"]) == want["inline_images"] + len(want["attachments"])
        assert want["snippet"] in post["content_text"]
        assert bool(post["embeds"]) == want["has_tweet"]


def test_thread_metadata(scraped_demo: ScrapedDemo) -> None:
    data = load_thread(scraped_demo)
    thread = data["thread"]
    assert thread["id"] == str(EXPECTED["thread"]["id"])
    assert thread["title"] == EXPECTED["thread"]["title"]
    assert thread["prefix"] == EXPECTED["thread"]["prefix"]
    assert [b["title"] for b in thread["breadcrumb"]] == EXPECTED["thread"]["breadcrumb"]
    assert thread["url"] == scraped_demo.forum.thread_url
    assert len(data["pages"]) == EXPECTED["thread"]["pages"] >= 2
    assert data["engine"] == "xenforo2"


def test_archive_matches_its_json_schema(scraped_demo: ScrapedDemo) -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    jsonschema.validate(load_thread(scraped_demo), schema)


def test_tweet_is_kept_as_static_data_without_script(scraped_demo: ScrapedDemo) -> None:
    (post,) = [p for p in load_thread(scraped_demo)["posts"] if p["embeds"]]
    (tweet,) = post["embeds"]
    assert tweet["kind"] == "tweet"
    assert tweet["handle"] == "@gantzbe"
    assert "Benny Gantz" in tweet["author"]
    assert "מרוקו" in tweet["text"]
    assert tweet["url"].startswith("https://twitter.com/gantzbe/status/")
    assert "fm-embed" in post["content_html"]
    assert "<script" not in post["content_html"]
    assert "twitter-tweet" not in post["content_html"]


def test_images_are_full_size_stored_once_and_local(scraped_demo: ScrapedDemo) -> None:
    data = load_thread(scraped_demo)
    thread_dir = scraped_demo.root / "threads" / data["key"]
    names = [i["filename"] for p in data["posts"] for i in p["images"]]
    assert names.count("Benny-Gantz-Abdellatif-Loudiyi1.jpg") == 2
    avatars = [a for a in data["assets"] if a["filename"].startswith("avatar-")]
    assert len(data["assets"]) - len(avatars) == len(set(names)) == len(names) - 1
    for asset in (a for a in data["assets"] if a not in avatars):
        payload = (thread_dir / asset["path"]).read_bytes()
        assert hashlib.sha256(payload).hexdigest() == asset["sha256"]
        assert payload[:3] == b"\xff\xd8\xff"  # JPEG
        assert "/data/" not in asset["capture"]["final_url"]  # not the thumbnail
    for post, want in zip(data["posts"], EXPECTED["posts"], strict=True):
        for image in post["images"]:
            assert (scraped_demo.root / image["path"]).is_file()
            local = image["path"].split("/", 2)[2]  # relative to the thread folder
            inline = image["filename"] in want["inline_image_files"]
            assert (f'src="{local}"' in post["content_html"]) == inline
            assert image["url"] not in post["content_html"]


def test_every_post_points_at_a_warc_record_of_its_page(scraped_demo: ScrapedDemo) -> None:
    data = load_thread(scraped_demo)
    payload_by_id: dict[str, bytes] = {}
    types: set[str] = set()
    warc_files = {p["warc_file"] for p in data["posts"]}
    assert len(warc_files) == 1
    with (scraped_demo.root / warc_files.pop()).open("rb") as stream:
        for record in ArchiveIterator(stream):
            types.add(record.rec_type)
            if record.rec_type == "response":
                payload_by_id[record.rec_headers.get_header("WARC-Record-ID")] = (
                    record.content_stream().read())
    assert {"warcinfo", "request", "response"} <= types
    for post in data["posts"]:
        payload = payload_by_id[post["warc_record_id"]]
        assert hashlib.sha256(payload).hexdigest() == post["page_sha256"]
        assert f'data-content="post-{post["id"]}"' in payload.decode("utf-8")
    for asset in data["assets"]:
        assert asset["capture"]["warc_record_id"] in payload_by_id


def test_scraping_twice_adds_nothing_twice(demo_forum: DemoForum, tmp_path: Path) -> None:
    archive = ThreadArchive(tmp_path)
    with PoliteClient(FetchSettings(delay=0.01, allow_private_addresses=True)) as client:
        first = scrape_thread(demo_forum.thread_url, archive, client)
        second = scrape_thread(demo_forum.thread_url, archive, client)
    assert first.new_posts == len(EXPECTED["posts"]) and second.new_posts == 0
    assert second.changed_posts == 0 and second.new_assets == 0
    thread = archive.load(first.key)
    assert thread is not None
    assert len(thread.posts) == len({p.id for p in thread.posts}) == len(EXPECTED["posts"])
    assert len(thread.assets) == first.assets
    assert len(thread.runs) == 2
    assert len(list((tmp_path / "threads" / first.key / "assets").iterdir())) == first.assets
    # the second run asked for the pages conditionally and not for the immutable attachments
    assert second.requests == len(thread.pages)
    second_run = demo_forum.requests[-len(thread.pages):]
    assert all(r.headers.get("If-None-Match") for r in second_run)
    first_captures = [p.capture for p in thread.pages]
    assert all(c.warc_file == first.warc_file for c in first_captures)  # 304: kept as archived


def test_delay_between_requests_is_measured_at_the_server(tmp_path: Path) -> None:
    delay = 0.3
    with DemoForum() as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path),
                     "--delay", str(delay)])
        times = [r.time for r in forum.requests]
    assert code == 0
    assert len(times) >= 8  # robots.txt, pages and images all count
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= delay * 0.95, gaps


def test_robots_disallow_refuses_clearly_and_fetches_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with DemoForum(robots_txt="User-agent: *\nDisallow: /threads/\n") as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path), "--delay", "0"])
        paths = [r.path for r in forum.requests]
    assert code != 0
    assert "robots.txt" in capsys.readouterr().err
    assert paths == ["/robots.txt"]
    assert not (tmp_path / "threads").exists() or not any((tmp_path / "threads").iterdir())


def test_user_agent_names_the_project_and_a_contact(scraped_demo: ScrapedDemo) -> None:
    agents = {r.headers.get("User-Agent", "") for r in scraped_demo.forum.requests}
    assert agents and all(a.startswith("forum-mirror/") and "+http" in a for a in agents)


def login_wall(path: str) -> tuple[int, bytes]:
    if path == "/robots.txt":
        return 404, b""
    if path.startswith("/threads/members-only."):
        return 200, ('<html id="XF" data-template="login"><head><title>تسجيل الدخول</title>'
                     '</head><body><form><input type="password"></form></body></html>').encode()
    return 200, b"<html><body><form>Please log in</form></body></html>"


@pytest.fixture
def login_wall_server() -> Iterator[str]:
    with html_server(login_wall) as url:
        yield url


@pytest.mark.parametrize(
    ("make_url", "exit_code", "message"),
    [
        (lambda base: f"{base}/forums/news.12/", 2, "cannot tell which forum software"),
        (lambda base: "http://127.0.0.1:9/threads/t.1/", 4, "127.0.0.1:9"),
        (lambda base: f"{base}/threads/t.1/", 5, "not a XenForo 2 page"),
        (lambda base: f"{base}/threads/members-only.2/", 7, "login wall"),
    ],
    ids=["unsupported-url", "unreachable-host", "no-posts", "login-wall-200"],
)
def test_bad_input_gets_one_clear_line_and_a_nonzero_exit(
    make_url: Callable[[str], str], exit_code: int, message: str, login_wall_server: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["scrape", make_url(login_wall_server), "--archive", str(tmp_path),
                 "--delay", "0", "--max-retries", "0"])
    err = capsys.readouterr().err.strip()
    assert code == exit_code
    assert message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "threads").exists() or not any((tmp_path / "threads").iterdir())


def test_asset_hosts_proceed_in_parallel_each_at_its_own_pace(tmp_path: Path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (31, 92, 122)).save(png, format="PNG")
    delay = 0.3
    with FetchServer() as cdn:
        cdn.route("/robots.txt", Reply(status=404))
        names = ["a.png", "b.png", "c.png"]
        for name in names:
            cdn.route(f"/{name}", Reply(body=png.getvalue() + name.encode(),
                                        headers=[("Content-Type", "image/png")]))
        html = "".join(f'<img class="bbImage" src="{cdn.url("/" + n)}" alt="{n}">'
                       for n in names)
        with DemoForum(host="localhost", extra_posts=[SeedPost(content_html=html)]) as forum:
            with PoliteClient(FetchSettings(delay=delay, allow_private_addresses=True)) as client:
                summary = scrape_thread(forum.thread_url, ThreadArchive(tmp_path), client)
            board_assets = [r.time for r in forum.requests if r.path.startswith("/attachments/")]
        cdn_assets = [r.at for r in cdn.requests if r.path in {f"/{n}" for n in names}]
    assert summary.failed_assets == []
    assert summary.assets == 7 + 1 + len(names)  # attachments, one uploaded avatar, images
    # the CDN did not wait for the board's seven attachments ...
    assert cdn_assets[0] < board_assets[-1] - delay
    # ... and each host kept its own delay
    for times in (board_assets, cdn_assets):
        assert min(b - a for a, b in itertools.pairwise(times)) >= delay * 0.95
