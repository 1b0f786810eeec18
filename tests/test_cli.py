"""The CLI as users run it: `demo`, `demo-forum`, `build`, and its --help manual."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scraper.cli import main


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_scrapes_and_builds_the_mirror(tmp_path: Path) -> None:
    archive, output = tmp_path / "content", tmp_path / "output"
    code = main(["demo", "--archive", str(archive), "--output", str(output),
                 "--forum-port", str(free_port()), "--no-serve", "--delay", "0.01"])
    assert code == 0
    (thread_json,) = archive.glob("threads/*/thread.json")
    posts = json.loads(thread_json.read_text("utf-8"))["posts"]
    assert len(posts) == 8
    page = (output / "threads" / thread_json.parent.name / "index.html").read_text("utf-8")
    assert all(f'id="post-{p["id"]}"' in page for p in posts)
    assert (output / "search" / "offline-index.js").is_file()


def test_demo_forum_serves_until_interrupted() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scraper.cli", "demo-forum", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "demo forum did not start"
                time.sleep(0.1)
        assert answer.status_code == 200
        page = httpx.get(f"http://127.0.0.1:{port}/threads/"
                         "afaq-altaawn-alaskari-byn-almghrb-w-israyyl.2741/", timeout=5)
        assert page.status_code == 200 and 'id="XF"' in page.text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_build_of_a_missing_archive_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["build", "--archive", str(tmp_path / "nope"), "--output", str(tmp_path / "o")])
    assert code != 0
    assert "is not an archive folder" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["scrape", "update", "add", "build", "export", "demo",
                                     "demo-forum"])
def test_every_command_documents_its_options(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "default" in capsys.readouterr().out


def test_log_json_dash_writes_json_lines_to_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scraper.demo_forum import DemoForum

    with DemoForum() as forum:
        code = main(["scrape", forum.thread_url, "--archive", str(tmp_path), "--delay", "0",
                     "--log-json", "-"])
    assert code == 0
    out = capsys.readouterr().out  # human messages stay on standard error
    entries = [json.loads(line) for line in out.splitlines()]
    assert [e["event"] for e in entries if e["event"] != "log"] == ["thread_archived", "summary"]
    assert entries[-1]["new_posts"] == 8 and entries[-1]["exit_code"] == 0


def test_a_fatal_error_still_ends_the_json_log_with_a_summary(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    assert main(["update", "--archive", str(tmp_path), "--log-json", str(log)]) == 1
    (summary,) = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert summary["event"] == "summary" and summary["exit_code"] == 1
    assert "no threads archived" in summary["message"]
