"""The CLI against hostile boards and careless users: stop signals, cookie values under -v,
bad option and config values, unexpected errors, and the bootstrap's output.

Stop signals are real signals sent to a real `forum-mirror` process while the demo forum
(or a scripted server) holds a request open; the archive is checked afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.cli import main
from scraper.demo_forum import DemoForum, RequestLog

from .fetch_server import FetchServer, Reply
from .test_fetch_scope import cookies_txt

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 30
# Wide enough that rich never wraps a line, so a value cannot hide across two lines.
CHILD_ENV = {**os.environ, "COLUMNS": "400"}


def spawn(*args: str) -> subprocess.Popen[str]:
    """`forum-mirror ARGS...` in a subprocess, from this worktree's code."""
    return subprocess.Popen([sys.executable, "-m", "scraper.cli", *args], cwd=ROOT,
                            env=CHILD_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for `process`; its exit code, standard output and standard error."""
    try:
        out, err = process.communicate(timeout=CHILD_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out, err


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + CHILD_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


class SignalAt:
    """A DemoForum hook: at the first request whose path contains `marker`, sends `signum`
    to the scraper, then holds that request open for `hold` seconds (it is in flight)."""

    def __init__(self, forum: DemoForum, marker: str, signum: int, hold: float = 0.5) -> None:
        self.forum, self.marker, self.signum, self.hold = forum, marker, signum, hold
        self.process: subprocess.Popen[str] | None = None
        self.sent_at: float | None = None
        forum.on_request = self

    def __call__(self, entry: RequestLog) -> None:
        if self.sent_at is None and self.marker in entry.path and self.process is not None:
            self.sent_at = time.monotonic()
            self.process.send_signal(self.signum)
            time.sleep(self.hold)

    def requests_after(self) -> list[str]:
        assert self.sent_at is not None, f"no request for {self.marker} arrived"
        return [r.path for r in self.forum.requests if r.time > self.sent_at]


def assert_archive_verifies(archive: Path) -> None:
    assert main(["verify", "--archive", str(archive)]) == 0
    assert not list(archive.rglob("*.tmp"))


# --- output closed by its reader (`| head`) -------------------------------------------------

@pytest.mark.parametrize("command", [
    ("engines",),  # 7 KB: written by the flush at exit
    ("export", "--archive", "ARCHIVE"),  # 42 KB: the write fails inside the command
])
def test_output_closed_by_its_reader_ends_silently_with_141(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(ROOT / "tests" / "fixtures" / "archive-v1", archive)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before a byte is written: like `| head -0`
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scraper.cli",
             *(str(archive) if part == "ARCHIVE" else part for part in command)],
            cwd=ROOT, env=CHILD_ENV, stdout=write_end, stderr=subprocess.PIPE, text=True,
            timeout=CHILD_TIMEOUT)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")


# --- case 6: Ctrl-C and SIGTERM ------------------------------------------------------------


def test_sigterm_mid_pages_stops_at_once_keeps_the_earlier_archive_and_writes_the_summary(
    tmp_path: Path,
) -> None:
    with DemoForum(posts_per_page=2) as forum:  # robots.txt, 4 pages, 8 assets
        assert main(["scrape", forum.thread_url, "--archive", str(tmp_path), "--delay", "0"]) == 0
        (thread_json,) = tmp_path.glob("threads/*/thread.json")
        before = thread_json.read_bytes()
        hook = SignalAt(forum, "/page-2", signal.SIGTERM)
        hook.process = spawn("scrape", forum.thread_url, "--archive", str(tmp_path),
                             "--delay", "0", "--log-json", "-")
        code, out, err = finish(hook.process)
        assert hook.requests_after() == []  # page-2 was in flight; nothing was sent after it
    assert code == 143, err
    entries = json_lines(out)
    assert entries[-1]["event"] == "summary" and entries[-1]["exit_code"] == 143
    (interrupted,) = [e for e in entries if e["event"] == "interrupted"]
    assert interrupted["signal"] == "SIGTERM" and interrupted["threads_done"] == 0
    assert "interrupted by SIGTERM: 0 of 1 thread(s) done" in err
    assert "Traceback" not in err
    assert thread_json.read_bytes() == before  # the unfinished run changed nothing
    assert len(list(tmp_path.glob("threads/*/warc/*.warc.gz"))) == 2  # its exchanges are kept
    assert_archive_verifies(tmp_path)


def test_sigterm_mid_assets_saves_the_read_thread_with_the_rest_of_its_assets_failed(
    tmp_path: Path,
) -> None:
    with DemoForum(posts_per_page=2) as forum:
        hook = SignalAt(forum, "/attachments/", signal.SIGTERM)
        hook.process = spawn("scrape", forum.thread_url, "--archive", str(tmp_path),
                             "--delay", "0", "--log-json", "-")
        code, out, err = finish(hook.process)
        assert hook.requests_after() == []
        asset_requests = [r for r in forum.requests if not r.path.startswith(("/threads/",
                                                                              "/robots.txt"))]
    assert code == 143, err
    assert len(asset_requests) == 1  # the one in flight when the signal came
    (thread_json,) = tmp_path.glob("threads/*/thread.json")
    thread = json.loads(thread_json.read_text("utf-8"))
    assert len(thread["posts"]) == 8 and len(thread["assets"]) == 1
    assert len(thread["runs"][-1]["failed_assets"]) == 8  # of 9 asset URLs (one an avatar)
    entries = json_lines(out)
    (archived,) = [e for e in entries if e["event"] == "thread_archived"]
    assert archived["failed_assets"] == 8
    assert entries[-1]["event"] == "summary" and entries[-1]["exit_code"] == 143
    assert entries[-1]["new_posts"] == 8
    assert "Traceback" not in err
    assert_archive_verifies(tmp_path)


@pytest.mark.parametrize(
    ("options", "page"),
    [
        (["--delay", "60"], Reply(200, b"<html></html>")),  # the throttle's wait
        (["--delay", "0"], Reply(503, b"busy", [("Retry-After", "60")])),  # a retry's wait
    ],
    ids=["throttle", "retry-after"],
)
def test_a_stop_signal_ends_a_polite_wait_at_once(
    tmp_path: Path, options: list[str], page: Reply
) -> None:
    with FetchServer() as server:
        server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        server.route("/threads/slow.1/", page)
        process = spawn("scrape", server.url("/threads/slow.1/"), "--archive", str(tmp_path),
                        *options)
        expected = 2 if page.status == 503 else 1  # robots.txt, then the page if no throttle
        wait_until(lambda: len(server.requests) == expected, "the requests before the wait")
        time.sleep(0.3)  # now waiting: 60 s for the throttle or for Retry-After
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code, _, err = finish(process)
        assert time.monotonic() - started < 5
        assert len(server.requests) == expected
    assert code == 143, err
    assert "interrupted by SIGTERM" in err and "Traceback" not in err
    assert not list(tmp_path.glob("threads/*/thread.json"))


def test_sigterm_stops_an_update_with_its_summary_and_no_build(tmp_path: Path) -> None:
    archive, output = tmp_path / "archive", tmp_path / "output"
    with DemoForum() as forum:
        assert main(["scrape", forum.thread_url, "--archive", str(archive), "--delay", "0"]) == 0
        (thread_json,) = archive.glob("threads/*/thread.json")
        before, seen = thread_json.read_bytes(), len(forum.requests)
        process = spawn("update", "--archive", str(archive), "--build", "--output",
                        str(output), "--delay", "60", "--log-json", "-")
        wait_until(lambda: len(forum.requests) == seen + 1, "robots.txt")
        time.sleep(0.3)  # waiting 60 s before the thread's last page
        process.send_signal(signal.SIGTERM)
        code, out, err = finish(process)
        assert len(forum.requests) == seen + 1
    assert code == 143, err
    summary = json_lines(out)[-1]
    assert summary["event"] == "summary" and summary["command"] == "update"
    assert summary["exit_code"] == 143 and summary["threads_checked"] == 0
    assert "interrupted by SIGTERM: 0 of 1 thread(s) done" in err and "Checked 0 thread(s)" in err
    assert not output.exists()  # a stopped run builds nothing
    assert thread_json.read_bytes() == before
    assert_archive_verifies(archive)


def test_a_second_ctrl_c_exits_at_once_leaving_no_half_written_file(tmp_path: Path) -> None:
    with FetchServer() as server:
        server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        server.route("/threads/hang.1/", Reply(200, b"<html></html>", delay=20))
        process = spawn("scrape", server.url("/threads/hang.1/"), "--archive", str(tmp_path),
                        "--delay", "0", "--max-retries", "0")
        wait_until(lambda: len(server.requests) == 2, "the page request")
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert process.poll() is None  # the first one waits for the request in flight ...
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        code, _, err = finish(process)  # ... the second does not
        assert time.monotonic() - started < 3
    assert code == 130, err
    assert "stopped at once" in err and "Traceback" not in err
    assert not list(tmp_path.glob("threads/*/thread.json"))
    assert not list(tmp_path.rglob("*.tmp"))
    (part,) = tmp_path.glob("threads/*/warc/*.warc.gz.part")  # what the run did fetch
    assert part.stat().st_size > 0


# --- case 11: cookie values under -v -------------------------------------------------------

BOARD_COOKIE = "Q7m2dXf4Kp1sYw9e"  # the demo forum's Set-Cookie: xf_csrf=...
OUR_COOKIE = "our-s3cr3t-login-cookie"


def test_verbose_output_never_shows_a_cookie_value(tmp_path: Path) -> None:
    cookies = cookies_txt(tmp_path / "cookies.txt", ("127.0.0.1", "xf_session", OUR_COOKIE))
    with DemoForum() as forum:
        code, out, err = finish(spawn("-v", "scrape", forum.thread_url, "--archive",
                                      str(tmp_path / "archive"), "--delay", "0",
                                      "--cookies", str(cookies), "--log-json", "-"))
        sent = [r.headers.get("Cookie") or "" for r in forum.requests]
    assert code == 0, err
    assert any(f"xf_csrf={BOARD_COOKIE}" in cookie for cookie in sent)  # both were in play
    assert all(f"xf_session={OUR_COOKIE}" in cookie for cookie in sent)
    assert f"GET {forum.thread_url} -> 200" in err  # -v logs every request
    for value in (BOARD_COOKIE, OUR_COOKIE):
        assert value not in out and value not in err


# --- case 13: bad options and config values ------------------------------------------------

UNREACHABLE = "http://127.0.0.1:9/threads/t.1/"  # port 9 (discard): refused at once


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scrape", UNREACHABLE, "--delay", "nan"], "--delay: must be a number of seconds"),
        (["scrape", UNREACHABLE, "--delay", "inf"], "--delay: must be a number of seconds"),
        (["update", "--delay", "1e300"], "at most 604800, not 1e300"),
        (["scrape", UNREACHABLE, "--timeout", "-5"], "--timeout: must be a number of seconds, "
                                                     "more than 0"),
        (["scrape", UNREACHABLE, "--timeout", "0"], "--timeout: must be"),
        (["scrape", UNREACHABLE, "--max-retries", "-1"], "--max-retries: must be a whole "
                                                         "number from 0 to 100, not -1"),
        (["scrape", UNREACHABLE, "--max-page-bytes", "-1"], "--max-page-bytes: must be a "
                                                            "whole number 1 or more, not -1"),
        (["scrape", UNREACHABLE, "--max-asset-bytes", "0"], "--max-asset-bytes: must be"),
        (["scrape", UNREACHABLE, "--backoff-cap", "nan"], "--backoff-cap: must be"),
        (["scrape", UNREACHABLE, "--max-retry-after=-inf"], "--max-retry-after: must be"),
        (["scrape", UNREACHABLE, "--max-download-seconds", "0"],
         "--max-download-seconds: must be"),
        (["scrape", UNREACHABLE, "--autothrottle-max-delay", "nan"],
         "--autothrottle-max-delay: must be"),
        (["add", UNREACHABLE, "--delay", "nan"], "--delay: must be a number of seconds"),
        (["demo", "--port", "70000"], "--port: must be a whole number from 0 to 65535"),
        (["demo-forum", "--port", "-1"], "--port: must be a whole number from 0 to 65535"),
    ],
)
def test_a_bad_number_is_a_usage_error(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--archive", str(tmp_path)] if argv[0] != "demo-forum" else argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "usage:" in err
    assert not (tmp_path / "threads").exists()


def test_export_to_a_folder_or_into_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    (archive / "threads").mkdir(parents=True)
    for target, message in [(tmp_path, "is a folder; name a file in it"),
                            (tmp_path / "missing" / "posts.jsonl",
                             f"folder {tmp_path / 'missing'} does not exist")]:
        with pytest.raises(SystemExit) as exit_info:
            main(["export", "--archive", str(archive), "-o", str(target)])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "missing").exists()


def test_a_json_log_that_is_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["update", "--archive", str(tmp_path), "--log-json", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--log-json: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("table", "key"),
    [("[defaults]\ndelay = nan", "defaults.delay"),
     ("[defaults]\ndelay = inf", "defaults.delay"),
     ('[forums."127.0.0.1"]\ndelay = nan', 'forums."127.0.0.1".delay')],
)
def test_a_config_delay_that_is_not_finite_is_a_config_error(
    table: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "forum-mirror.toml"
    config.write_text(f"threads = []\n\n{table}\n", "utf-8")
    assert main(["update", "--archive", str(tmp_path)]) == 12
    err = capsys.readouterr().err
    assert f"{config}: {key} must be a number of seconds" in err


# Runs the real CLI with verify broken from inside (no input reaches such a bug on purpose).
BROKEN_VERIFY = r"""
import sys
import scraper.verify

def verify_archive(archive):
    raise RuntimeError("disk on fire")

scraper.verify.verify_archive = verify_archive
from scraper.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_an_unexpected_error_is_one_line_and_the_traceback_only_follows_with_v(
    tmp_path: Path, verbose: bool
) -> None:
    (tmp_path / "threads").mkdir()
    args = [*(["-v"] if verbose else []), "verify", "--archive", str(tmp_path)]
    process = subprocess.run([sys.executable, "-c", BROKEN_VERIFY, *args], cwd=ROOT,
                             env=CHILD_ENV, capture_output=True, text=True,
                             timeout=CHILD_TIMEOUT)
    assert process.returncode == 1
    lines = process.stderr.splitlines()
    hint = "the traceback follows" if verbose else "run with -v for the traceback"
    assert lines[0] == f"error: internal error: RuntimeError: disk on fire; {hint}"
    if verbose:
        assert lines[1] == "Traceback (most recent call last):"
        assert lines[-1] == "RuntimeError: disk on fire"
    else:
        assert len(lines) == 1


# --- case 18: the bootstrap's output -------------------------------------------------------


def test_a_failing_bootstrap_step_says_so_in_one_line_and_names_its_log(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    broken_python = tmp_path / "python3"
    broken_python.write_text("#!/bin/sh\necho 'Error: ensurepip is not available' >&2\nexit 1\n")
    broken_python.chmod(0o755)
    process = subprocess.run(["bash", "-c", "source scripts/bootstrap.sh && bootstrap_venv"],
                             cwd=tmp_path, env={**os.environ, "PYTHON": str(broken_python)},
                             capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    assert process.returncode != 0
    log = tmp_path / ".venv" / "bootstrap.log"
    assert "ensurepip is not available" in log.read_text("utf-8")  # the whole story ...
    output = (process.stdout + process.stderr).splitlines()
    assert output[0].startswith("creating .venv")  # ... and on screen a line per step
    assert any(f"failed; the full log is {log.relative_to(tmp_path)}" in line
               for line in output)
