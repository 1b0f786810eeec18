"""Selector profiles: a board no engine knows (FluxBB), read by contrib/profiles/fluxbb.toml.

The profile's validation names the file, the profile and the key (exit 12); its reading of
the fixture pages is the truth table's (tests/fixtures/fluxbb/expected.json); and over
HTTP a FluxBB board known only through the profile archives, verifies, builds and updates
(one new post, and an unchanged thread's re-check cost), keeps finding its profile by the
thread's `engine` ("profile:fluxbb"), and says so clearly when the profile is gone.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from scraper.cli import main
from scraper.config import load_config
from scraper.engines import engine_named
from scraper.engines.profile import load_profile, profile_engine
from scraper.errors import AccessBlocked, ConfigError
from scraper.records import AssetRef

from .fixture_board import FIXTURES, FLUXBB, NEW_POST_TEXT, SEED_IMAGES, FixtureBoard, expected

PROFILE_FILE = Path(__file__).parent.parent / "contrib" / "profiles" / "fluxbb.toml"
PROFILE_TEXT = PROFILE_FILE.read_text("utf-8")
TRUTH = expected("fluxbb")


def fluxbb_table() -> dict[str, Any]:
    table: dict[str, Any] = tomllib.loads(PROFILE_TEXT)["profiles"]["fluxbb"]
    return table


@pytest.fixture(scope="module")
def board() -> Iterator[FixtureBoard]:
    with FixtureBoard(FLUXBB) as served:
        yield served


def write_config(archive: Path, board: FixtureBoard, *, forum: bool = True,
                 profile: str = PROFILE_TEXT) -> Path:
    archive.mkdir(parents=True, exist_ok=True)
    config = archive / "forum-mirror.toml"
    host = urlsplit(board.origin).netloc
    config.write_text((f'[forums."{host}"]\nprofile = "fluxbb"\n\n' if forum else "")
                      + profile, "utf-8")
    return config


def run(*args: str) -> int:
    return main([*args, "--delay", "0", "--max-retries", "0", "--timeout", "5"])


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    ({"colour": "red"}, "profiles.fluxbb: unknown key 'colour'"),
    ({"post": "div.blockpost["}, "profiles.fluxbb.post: 'div.blockpost[' is not a CSS selector"),
    ({"author": {"selector": "dt", "attr": "x"}}, "profiles.fluxbb.author: unknown key 'attr'"),
    ({"post_id": {"attribute": "id", "regex": "p([0-9]+"}},
     "profiles.fluxbb.post_id.regex: 'p([0-9]+' does not compile"),
    ({"url": "viewtopic\\.php"}, "profiles.fluxbb.url: 'viewtopic\\\\.php' has no group"),
    ({"content": None}, "profiles.fluxbb: missing required key 'content'"),
    ({"first_page": "viewtopic.php?id={topic}"}, "profiles.fluxbb.first_page:"),
    ({"date_format": 7}, "profiles.fluxbb.date_format must be a PHP date() format"),
])
def test_a_bad_profile_names_the_file_the_profile_and_the_key(change: dict[str, Any],
                                                              message: str) -> None:
    table = fluxbb_table()
    for key, value in change.items():
        if value is None:
            del table[key]
        else:
            table[key] = value
    with pytest.raises(ConfigError) as error:
        load_profile(Path("/srv/forum-mirror.toml"), "fluxbb", table)
    assert str(error.value).startswith("/srv/forum-mirror.toml: ")
    assert message in str(error.value)


def test_a_forum_naming_a_missing_profile_is_exit_12(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "forum-mirror.toml"
    config.write_text('[forums."fluxbb.example"]\nprofile = "punbb"\n\n' + PROFILE_TEXT, "utf-8")
    with pytest.raises(ConfigError, match=r"forums.\"fluxbb.example\".profile names no "
                                          r"profile: 'punbb' \(defined: fluxbb\)"):
        load_config(config)
    assert main(["update", "--config", str(config), "--archive", str(tmp_path)]) == 12
    assert "names no profile" in capsys.readouterr().err


def test_the_config_file_keeps_its_profiles_when_add_rewrites_it(tmp_path: Path) -> None:
    config = tmp_path / "forum-mirror.toml"
    config.write_text(PROFILE_TEXT, "utf-8")
    assert main(["add", "https://fluxbb.example/viewtopic.php?id=17", "--profile", "fluxbb",
                 "--config", str(config)]) == 0
    again = load_config(config)
    assert again.forums["fluxbb.example"].profile == "fluxbb"
    assert again.profiles["fluxbb"].table == fluxbb_table()


# -- reading the fixture pages ------------------------------------------------------------


def test_the_profile_reads_every_post_as_the_truth_table_says() -> None:
    engine = profile_engine(load_profile(PROFILE_FILE, "fluxbb", fluxbb_table()))()
    assert engine.name == "profile:fluxbb"
    posts = []
    for number, url in enumerate(TRUTH["page_urls"], 1):
        page = engine.parse_page((FIXTURES / "fluxbb" / f"page-{number}.html").read_text(
            "utf-8"), url)
        assert (page.page_number, page.last_page, page.next_url) == (
            number, TRUTH["last_page"], TRUTH["next_urls"][number - 1])
        assert (page.thread.id, page.thread.url, page.thread.title) == (
            TRUTH["thread_id"], TRUTH["thread_url"], TRUTH["title"])
        assert [[link.title, link.url] for link in page.thread.breadcrumb] == TRUTH["breadcrumb"]
        posts += [(number, post) for post in page.posts]
    assert len(posts) == len(TRUTH["posts"])
    for (number, post), want in zip(posts, TRUTH["posts"], strict=True):
        assert (post.id, post.position, number) == (want["post_id"], want["position"],
                                                     want["page"])
        assert (post.author.name, post.author.member_id) == (want["author"], want["member_id"])
        assert (post.published, post.published_text) == (want["published"],
                                                          want["published_text"])
        assert want["snippet"] in post.content_text
        assert [{"author": q.author, "post_id": q.post_id} for q in post.quotes] == want["quotes"]
        assert [{"url": a.url, "filename": a.filename, "kind": a.kind}
                for a in post.assets] == want["assets"]
        assert "postedit" not in post.content_html and "quotebox" not in post.content_html
    quoted = posts[2][1].content_html
    assert re.search(r'<blockquote class="fm-quote" data-author="Marrakchi" data-post-id="">'
                     r'<div class="fm-quote-body"><div><p>يجب', quoted), quoted


def test_the_profile_engine_routes_its_url_forms() -> None:
    engine = profile_engine(load_profile(PROFILE_FILE, "fluxbb", fluxbb_table()))()
    for url in ("https://fluxbb.example/viewtopic.php?id=17",
                "https://fluxbb.example/viewtopic.php?id=17&p=2",
                "https://fluxbb.example/forum/viewtopic.php?action=new&id=017"):
        assert engine.matches(url)
        assert engine.thread_id(url) == "17"
    assert engine.first_page_url("https://fluxbb.example/viewtopic.php?id=17&p=2") == (
        "https://fluxbb.example/viewtopic.php?id=17")
    assert not engine.matches("https://fluxbb.example/viewtopic.php?pid=174")


def test_a_page_url_template_and_a_wall_selector() -> None:
    table = {key: value for key, value in fluxbb_table().items() if key != "next_page"}
    table["page_url"] = "viewtopic.php?id={id}&p={page}"
    engine = profile_engine(load_profile(PROFILE_FILE, "fluxbb", table))()
    first = (FIXTURES / "fluxbb" / "page-1.html").read_text("utf-8")
    assert engine.parse_page(first, TRUTH["page_urls"][0]).next_url == TRUTH["next_urls"][0]
    last = (FIXTURES / "fluxbb" / "page-2.html").read_text("utf-8")
    assert engine.parse_page(last, TRUTH["page_urls"][1]).next_url is None
    wall = first.replace('<div id="brdmain">', '<div id="brdmain"><div id="msg" class="block">'
                         "<h2>Info</h2><p>You do not have permission.</p></div>")
    with pytest.raises(AccessBlocked, match=r"a page profile fluxbb calls a wall \(#msg.block\)"):
        engine.parse_page(wall, TRUTH["page_urls"][0])


# -- over HTTP ----------------------------------------------------------------------------


def test_a_board_known_only_through_a_profile_archives_and_updates(
        board: FixtureBoard, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive, output = tmp_path / "archive", tmp_path / "site"
    write_config(archive, board)
    board.updated = False
    assert run("scrape", board.thread_url, "--archive", str(archive)) == 0
    assert "Read by the selector profile 'fluxbb'." in capsys.readouterr().err
    (path,) = archive.glob("threads/*/thread.json")
    data = json.loads(path.read_text("utf-8"))
    assert data["engine"] == "profile:fluxbb"
    assert (data["key"], data["thread"]["title"]) == (
        f"127.0.0.1_{board.port}-17", TRUTH["title"])
    assert [(p["id"], p["position"], p["page"], p["author"]["name"], p["published"])
            for p in data["posts"]] == [
        (w["post_id"], w["position"], w["page"], w["author"], w["published"])
        for w in TRUTH["posts"]]
    for post, want in zip(data["posts"], TRUTH["posts"], strict=True):
        for asset, image in zip(want["assets"], post["images"], strict=True):
            seed = SEED_IMAGES[asset["filename"]]
            assert image["sha256"] == hashlib.sha256(seed.read_bytes()).hexdigest()
            assert (archive / image["path"]).read_bytes() == seed.read_bytes()
    assert main(["verify", "--archive", str(archive)]) == 0
    assert main(["build", "--archive", str(archive), "--output", str(output)]) == 0
    html = "".join(p.read_text("utf-8") for p in (output / "threads" / data["key"]).glob(
        "*.html"))
    for want in TRUTH["posts"]:
        assert f'id="post-{want["post_id"]}"' in html
    assert 'class="fm-quote-title"' in html and "blockpost" not in html

    before = len(board.requests)
    assert run("update", "--archive", str(archive)) == 0
    unchanged = [urlsplit(r.path) for r in board.requests[before:]]
    # robots.txt, the last page (304) and the one earlier page revisited (304).
    assert [u.path for u in unchanged] == ["/robots.txt", "/viewtopic.php", "/viewtopic.php"]

    board.add_post()
    try:
        assert run("update", "--archive", str(archive)) == 0
    finally:
        board.updated = False
    after = json.loads(path.read_text("utf-8"))
    assert after["runs"][-1]["new_posts"] == 1
    new = [p for p in after["posts"] if p["id"] not in {w["post_id"] for w in TRUTH["posts"]}]
    assert [(p["id"], p["position"]) for p in new] == [("181", 7)]
    assert NEW_POST_TEXT in new[0]["content_text"]

    # The profile removed from the config: a clear exit 12, before any request.
    write_config(archive, board, forum=False, profile="")
    before = len(board.requests)
    assert run("update", "--archive", str(archive)) == 12
    err = capsys.readouterr().err
    assert f"thread 127.0.0.1_{board.port}-17 was archived with the selector profile " in err
    assert "'fluxbb', which this file no longer defines" in err
    assert run("update", board.thread_url, "--archive", str(archive)) == 12  # named, too
    assert len(board.requests) == before
    with pytest.raises(ConfigError, match="no profile 'fluxbb'"):
        engine_named("profile:fluxbb")


def test_profile_option_forces_the_profile_and_an_unknown_one_is_exit_12(
        board: FixtureBoard, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "archive"
    write_config(archive, board, forum=False)
    assert run("scrape", board.thread_url, "--archive", str(archive), "--profile", "punbb") == 12
    assert "no profile 'punbb' for --profile (defined: fluxbb" in capsys.readouterr().err
    assert run("scrape", board.thread_url, "--archive", str(archive), "--profile", "fluxbb") == 0
    (path,) = archive.glob("threads/*/thread.json")
    assert json.loads(path.read_text("utf-8"))["engine"] == "profile:fluxbb"
    with pytest.raises(SystemExit):
        main(["scrape", board.thread_url, "--engine", "smf", "--profile", "fluxbb"])


def test_attachments_avatars_and_relative_times_a_profile_names() -> None:
    """The keys the FluxBB profile needs not: an attachment list, the avatar, and a time the
    board shows relative to the day ("Today"), read against the page's fetch time."""
    table = {**fluxbb_table(), "attachments": ".postright .attachments a",
             "avatar": ".postavatar img"}
    engine = profile_engine(load_profile(PROFILE_FILE, "fluxbb", table))()
    html = (FIXTURES / "fluxbb" / "page-1.html").read_text("utf-8").replace(
        '<a href="viewtopic.php?pid=171#p171">2021-11-24 08:12:00</a>',
        '<a href="viewtopic.php?pid=171#p171">Today 08:12:00</a>').replace(
        "</div>\n\t\t\t\t</div>\n\t\t\t</div>\n\t\t</div>\n\t\t<div class=\"inbox\">",
        '</div>\n<div class="attachments"><a href="attachment.php?item=5">مذكرة.pdf</a></div>'
        "\n\t\t\t\t</div>\n\t\t\t</div>\n\t\t</div>\n\t\t<div class=\"inbox\">", 1)
    page = engine.parse_page(html, TRUTH["page_urls"][0], fetched_at="2021-11-24T20:00:00Z")
    first = page.posts[0]
    origin = TRUTH["page_urls"][0].rsplit("/", 1)[0]
    assert first.assets[0] == AssetRef(f"{origin}/attachment.php?item=5", "مذكرة.pdf")
    assert first.author.avatar_url == "https://fluxbb.example/img/avatars/3.png?m=1637740000"
    # (naive: the profile names no time_zone, and FluxBB shows the reader's own)
    assert (first.published_text, first.published) == ("Today 08:12:00", "2021-11-24T08:12:00")
    assert [a.kind for a in page.posts[1].assets] == [
        a["kind"] for a in TRUTH["posts"][1]["assets"]]
