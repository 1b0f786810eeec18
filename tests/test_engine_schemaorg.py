"""The generic schema.org engine's truth table, its place in detection, and `probe`.

Fixtures: tests/fixtures/schemaorg/ (README: a board with only schema.org markup, after
Discourse's crawler view, and a JSON-LD page after Google's forum guidelines). `probe`
runs over HTTP against the fixture boards of this engine and of the FluxBB profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scraper.cli import main
from scraper.engines import detect, engine_named, engine_scores
from scraper.engines.base import Response
from scraper.errors import LayoutChanged

from .fetch_server import Reply, SeenRequest
from .fixture_board import BOARDS, FIXTURES, FLUXBB, FixtureBoard, expected
from .test_profiles import write_config

TRUTH = expected("schemaorg")
ENGINE = engine_named("schemaorg")


def page_html(name: str) -> str:
    return (FIXTURES / "schemaorg" / name).read_text("utf-8")


def test_every_post_and_page_is_the_truth_tables() -> None:
    read = []
    for number, url in enumerate(TRUTH["page_urls"], 1):
        page = ENGINE.parse_page(page_html(f"page-{number}.html"), url)
        assert (page.page_number, page.next_url) == (number, TRUTH["next_urls"][number - 1])
        assert (page.thread.id, page.thread.url, page.thread.title, page.thread.language) == (
            TRUTH["thread_id"], TRUTH["thread_url"], TRUTH["title"], TRUTH["language"])
        assert [[link.title, link.url] for link in page.thread.breadcrumb] == TRUTH["breadcrumb"]
        read += [(number, post) for post in page.posts]
    for (number, post), want in zip(read, TRUTH["posts"], strict=True):
        assert (post.id, post.position, number) == (want["post_id"], want["position"],
                                                     want["page"])
        assert (post.author.name, post.author.url, post.author.member_id) == (
            want["author"], want["author_url"], want["member_id"])
        assert (post.published, post.published_text) == (want["published"],
                                                          want["published_text"])
        assert want["snippet"] in post.content_text
        assert [{"author": q.author, "post_id": q.post_id} for q in post.quotes] == want["quotes"]
        assert [{"url": a.url, "filename": a.filename, "kind": a.kind}
                for a in post.assets] == want["assets"]
        assert "itemprop" not in post.content_html and "lightbox" not in post.content_html


def test_json_ld_with_threaded_comments_and_posts_without_ids(
        caplog: pytest.LogCaptureFixture) -> None:
    truth = TRUTH["jsonld"]
    page = ENGINE.parse_page(page_html(truth["file"]), truth["url"])
    assert (page.thread.id, page.thread.title, page.thread.language) == (
        truth["thread_id"], truth["title"], truth["language"])
    assert [[link.title, link.url] for link in page.thread.breadcrumb] == truth["breadcrumb"]
    assert [[p.id, p.position, p.author.name, p.published, p.content_text[:len(w[4])]]
            for p, w in zip(page.posts, truth["posts"], strict=True)] == truth["posts"]
    assert [a.url for a in page.posts[0].assets] == [truth["attachment"]]
    assert page.posts[0].content_html.count("<p>") == 2  # its text's two paragraphs
    assert truth["skipped"] in caplog.text
    assert page.next_url is None


def test_positions_continue_from_the_cursor_across_pages_and_rechecks() -> None:
    """Posts that show no number are counted on from the page before (the cursor)."""
    def unnumbered(name: str) -> str:  # ids of their own, no shown position
        return page_html(name).replace("itemprop='position'>#", "itemprop='identifier'>p")

    html1, html2 = unnumbered("page-1.html"), unnumbered("page-2.html")
    first = ENGINE.read(Response(TRUTH["page_urls"][0], TRUTH["page_urls"][0], 200, html1), None)
    assert [(p.id, p.position) for p in first.page.posts] == [("p1", 1), ("p2", 2), ("p3", 3)]
    assert first.next is not None
    second = ENGINE.read(Response(first.next.url, first.next.url, 200, html2), first.cursor)
    assert [p.position for p in second.page.posts] == [4, 5] and second.complete
    again = ENGINE.recheck_request(second.cursor)
    rechecked = ENGINE.read(Response(again.url, again.url, 200, html2), again.cursor)
    assert [p.position for p in rechecked.page.posts] == [4, 5]


def test_it_is_tried_last_and_only_where_no_board_engine_shows() -> None:
    page = page_html("page-1.html")
    assert detect(page, "http://127.0.0.1:1/neutral").name == "schemaorg"
    # A phpBB page that also carries the markup is phpBB's: the generic engine scores 0.
    phpbb = (FIXTURES / "phpbb-3.3" / "page-1.html").read_text("utf-8")
    both = phpbb.replace("</head>", '<script type="application/ld+json">{"@type": '
                                    '"DiscussionForumPosting"}</script></head>')
    scores = {s.engine.name: s for s in engine_scores(both)}
    assert scores["schemaorg"].markers and scores["schemaorg"].score == 0
    assert detect(both, "http://127.0.0.1:1/neutral").name == "phpbb"
    with pytest.raises(LayoutChanged, match=r"no schema\.org DiscussionForumPosting"):
        ENGINE.parse_page("<html><body><p>nothing here</p></body></html>", TRUTH["thread_url"])


# -- probe --------------------------------------------------------------------------------


class RobotsBoard(FixtureBoard):
    """The schema.org board with a robots.txt that forbids everything."""

    def reply_for(self, seen: SeenRequest) -> Reply:
        if urlsplit(seen.path).path == "/robots.txt":
            return Reply(200, b"User-agent: *\nDisallow: /\n", [("Content-Type", "text/plain")])
        return super().reply_for(seen)


@pytest.fixture(scope="module")
def board() -> Iterator[FixtureBoard]:
    with FixtureBoard(BOARDS["schemaorg"], neutral_path="/some/neutral/path") as served:
        yield served


def probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["probe", *args, "--delay", "0", "--max-retries", "0", "--timeout", "5"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_probe_shows_the_engine_why_the_posts_and_the_next_page(
        board: FixtureBoard, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    before = len(board.requests)
    code, out, _ = probe(capsys, board.thread_url, "--archive", str(archive), "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["engine"], report["why"]) == ("schemaorg", "the most of its markers on "
                                                              "the page")
    assert report["markers"] == ["DiscussionForumPosting microdata"]
    assert {s["engine"]: s["score"] for s in report["scores"]}["phpbb"] == 0
    assert (report["thread"]["id"], report["thread"]["title"]) == (TRUTH["thread_id"],
                                                                   TRUTH["title"])
    assert report["next_url"] == board.url_of(TRUTH["next_urls"][0])
    assert [(p["id"], p["author"], p["published"], p["published_text"])
            for p in report["posts"]] == [
        (w["post_id"], w["author"], w["published"], w["published_text"])
        for w in TRUTH["posts"][:3]]
    assert report["posts"][0]["images"] == [board.url_of(TRUTH["posts"][0]["assets"][0]["url"])]
    assert report["warnings"] == []
    # robots.txt and the one page; nothing archived, not even the folder.
    assert [urlsplit(r.path).path for r in board.requests[before:]] == [
        "/robots.txt", urlsplit(board.thread_url).path]
    assert report["requests"] == 2 and not archive.exists()

    code, out, _ = probe(capsys, board.origin + "/some/neutral/path", "--archive", str(archive))
    assert code == 0
    assert out.startswith("engine: schemaorg (the most of its markers on the page)\n")
    assert "  #3 post 3 by casablanca_watcher: 2021-11-24T10:42:00+00:00 (shown " in out
    assert "nothing was written to the archive" in out and not archive.exists()


def test_probe_with_a_profile_warns_of_times_that_did_not_parse(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    with FixtureBoard(FLUXBB) as fluxbb:
        # A profile reading the time from the wrong element: it no longer parses.
        profile = (Path(__file__).parent.parent / "contrib/profiles/fluxbb.toml").read_text(
            "utf-8").replace('published = "h2 a"', 'published = "h3"')
        write_config(archive, fluxbb, forum=False, profile=profile)
        code, out, _ = probe(capsys, fluxbb.thread_url, "--archive", str(archive), "--profile",
                             "fluxbb", "--json")
        assert code == 0, out
        report = json.loads(out)
        assert (report["engine"], report["why"]) == ("profile:fluxbb",
                                                     "named on the command line")
        assert [p["id"] for p in report["posts"]] == ["171", "172", "174", "175"]
        assert report["warnings"][0] == (
            "post 171: the time 'آفاق التعاون العسكري بين المغرب و إسرائيل' did not parse")
        assert len(report["warnings"]) == 4
        code, _, err = probe(capsys, fluxbb.thread_url, "--archive", str(archive))
    # Without the profile, phpBB claims the URL shape (viewtopic.php) and finds no posts.
    assert code == 5 and "phpbb" in err.lower()
    assert sorted(p.name for p in archive.iterdir()) == ["forum-mirror.toml"]


@pytest.mark.parametrize(("path", "code"), [
    ("/nothing/here", 4), ("/robots-forbid", 3), ("/viewtopic.php?id=17", 5)])
def test_probe_exits_as_scrape_does(path: str, code: int, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    server = RobotsBoard if code == 3 else FixtureBoard
    with server(FLUXBB if code == 5 else BOARDS["schemaorg"]) as board:
        got, _, err = probe(capsys, board.origin + path, "--archive", str(tmp_path / "a"),
                            "--engine", "schemaorg")
    assert got == code, err
    assert not (tmp_path / "a").exists()
