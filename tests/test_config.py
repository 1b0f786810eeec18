"""forum-mirror.toml: `add`, threads to follow, per-forum settings, and clear errors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from scraper.archive import ThreadArchive
from scraper.cli import main
from scraper.config import load_config
from scraper.demo_forum import DemoForum

CONTACT = "archivist@example.org"


def test_add_writes_the_config_and_is_idempotent(tmp_path: Path) -> None:
    url = "https://forum.example/threads/some-title.123/"
    assert main(["add", url, "--archive", str(tmp_path), "--delay", "5", "--contact", CONTACT]) == 0
    path = tmp_path / "forum-mirror.toml"
    first = path.read_text("utf-8")
    assert tomllib.loads(first) == {
        "threads": [url],
        "forums": {"forum.example": {"delay": 5.0, "contact": CONTACT}},
    }
    # The same thread under another slug or page is the same thread: nothing changes.
    assert (
        main(
            ["add", "https://forum.example/threads/renamed.123/page-2", "--archive", str(tmp_path)]
        )
        == 0
    )
    assert path.read_text("utf-8") == first
    config = load_config(path)
    assert config.for_url(url).delay == 5.0 and config.for_url(url).contact == CONTACT


def test_add_refuses_an_unsupported_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["add", "https://example.org/blog/post-1", "--archive", str(tmp_path)]) == 2
    assert "not a thread URL" in capsys.readouterr().err
    assert not (tmp_path / "forum-mirror.toml").exists()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("threads = [", "not valid TOML"),
        ('treads = ["https://forum.example/threads/a.1/"]', "'treads'"),
        ('threads = "https://forum.example/threads/a.1/"', "'threads' must be a list"),
        ("threads = [1]", "threads[0]"),
        ('[forums."forum.example"]\ndelay = "fast"', 'forums."forum.example".delay'),
        ('[forums."forum.example"]\ndelai = 2', 'forums."forum.example".delai'),
        ('[defaults]\ncontact = "me (at) example"', "defaults.contact"),
    ],
)
def test_a_bad_config_stops_update_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    path = tmp_path / "forum-mirror.toml"
    path.write_text(text + "\n", "utf-8")
    assert main(["update", "--archive", str(tmp_path)]) == 12
    err = " ".join(capsys.readouterr().err.split())  # rich may wrap long lines
    assert str(path) in err and named in err


def test_update_scrapes_config_threads_with_their_forum_settings(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with DemoForum() as forum:
        assert (
            main(
                [
                    "add",
                    forum.thread_url,
                    "--archive",
                    str(archive),
                    "--delay",
                    "0.01",
                    "--contact",
                    CONTACT,
                ]
            )
            == 0
        )
        assert main(["update", "--archive", str(archive), "--max-retries", "0"]) == 0
        agents = {r.headers.get("User-Agent") for r in forum.requests}
        (thread,) = ThreadArchive(archive).threads()
        assert len(thread.posts) == 8 and thread.runs[-1]["settings"]["delay"] == 0.01
        # An option on the command line wins over the file.
        assert (
            main(
                [
                    "update",
                    "--archive",
                    str(archive),
                    "--delay",
                    "0",
                    "--contact",
                    "https://example.net/who",
                ]
            )
            == 0
        )
        later = {r.headers.get("User-Agent") for r in forum.requests} - agents
    assert len(agents) == 1 and CONTACT in agents.pop()
    assert len(later) == 1 and "https://example.net/who" in later.pop()
    # Nothing changed: the thread's folder stays; the run record keeps the settings used.
    (thread,) = ThreadArchive(archive).threads()
    assert thread.runs[-1]["settings"]["delay"] == 0.01
    last_run = json.loads(sorted((archive / "runs").glob("*.json"))[-1].read_text("utf-8"))
    assert [f["settings"]["delay"] for f in last_run["warc_files"]] == [0.0]


def test_config_cookies_reach_the_board(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    with DemoForum() as forum:
        (archive / "board.cookies.txt").write_text(
            "# Netscape HTTP Cookie File\n"
            "127.0.0.1\tFALSE\t/\tFALSE\t0\txf_session\tsecret-session\n",
            "utf-8",
        )
        (archive / "forum-mirror.toml").write_text(
            f'threads = ["{forum.thread_url}"]\n\n'
            f'[forums."{forum.base_url.removeprefix("http://")}"]\n'
            'delay = 0.0\ncookies = "board.cookies.txt"\n',
            "utf-8",
        )
        assert main(["update", "--archive", str(archive)]) == 0
        cookies = {r.headers.get("Cookie", "") for r in forum.requests if "/threads/" in r.path}
    assert cookies and all("xf_session=secret-session" in c for c in cookies)


def test_explicit_config_file_must_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    assert main(["update", "--archive", str(tmp_path), "--config", str(missing)]) == 12
    assert str(missing) in capsys.readouterr().err
