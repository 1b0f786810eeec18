"""An optional schedule per forum (`check_every`, `adaptive`, `max_interval`): threads not due
are skipped without a request and reported, a thread named on the command line is always
checked, and the adaptive interval grows with a thread's quiet time and shrinks on a change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scraper.cli import main
from scraper.config import load_config
from scraper.demo_forum import DemoForum, SeedPost
from scraper.errors import ConfigError
from scraper.schedule import Schedule, parse_duration
from tests.test_update_state import run


def log_entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def set_state_times(archive: Path, *, checked_ago: timedelta, changed_ago: timedelta) -> Path:
    """Make the one thread's state say it was checked and changed that long ago."""
    (path,) = (archive / "state" / "threads").glob("*.json")
    data = json.loads(path.read_text("utf-8"))
    now = datetime.now(UTC)
    data["last_checked"] = (now - checked_ago).isoformat(timespec="seconds")
    data["last_changed"] = (now - changed_ago).isoformat(timespec="seconds")
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_threads_not_due_are_skipped_and_reported_and_a_named_one_is_checked(
    tmp_path: Path,
) -> None:
    log = tmp_path / "update.jsonl"
    with DemoForum() as first, DemoForum() as second:
        assert run("scrape", first.thread_url, second.thread_url, "--archive", str(tmp_path)) == 0
        (tmp_path / "forum-mirror.toml").write_text('[defaults]\ncheck_every = "6h"\n', "utf-8")
        before = len(first.requests) + len(second.requests)
        assert run("update", "--archive", str(tmp_path), "--log-json", str(log)) == 0
        assert len(first.requests) + len(second.requests) == before  # not one request
        asked_before = len(first.requests)
        assert run("update", first.thread_url, "--archive", str(tmp_path)) == 0
        assert len(first.requests) > asked_before
    entries = log_entries(log)
    not_due = [e for e in entries if e["event"] == "thread_not_due"]
    assert len(not_due) == 2 and all(e["due_at"] > e["last_checked"] for e in not_due)
    assert entries[-1]["event"] == "summary" and entries[-1]["threads_not_due"] == 2
    assert entries[-1]["threads_checked"] == 0 and entries[-1]["exit_code"] == 0
    record = json.loads(sorted((tmp_path / "runs").glob("*.json"))[0].read_text("utf-8"))
    assert [t["outcome"] for t in record["threads"]] == ["not_due", "not_due"]


def test_the_adaptive_interval_grows_with_quiet_time_and_shortens_after_a_change(
    tmp_path: Path,
) -> None:
    (tmp_path / "forum-mirror.toml").write_text(
        '[defaults]\ncheck_every = "1h"\nadaptive = true\nmax_interval = "7d"\n', "utf-8")
    schedule = load_config(tmp_path / "forum-mirror.toml").defaults.schedule()
    assert schedule == Schedule(check_every=3600, adaptive=True, max_interval=7 * 86400)
    log = tmp_path / "update.jsonl"
    with DemoForum() as forum:
        port, url = int(forum.base_url.rsplit(":", 1)[1]), forum.thread_url
        assert run("scrape", url, "--archive", str(tmp_path)) == 0
        # Quiet for 60 days, checked 2 days ago: its interval is the maximum, 7 days.
        state = set_state_times(tmp_path, checked_ago=timedelta(days=2),
                                changed_ago=timedelta(days=60))
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path), "--log-json", str(log)) == 0
        assert len(forum.requests) == before
    data = json.loads(state.read_text("utf-8"))
    quiet_interval = schedule.interval(data["last_checked"], data["last_changed"])
    assert quiet_interval == 7 * 86400
    set_state_times(tmp_path, checked_ago=timedelta(days=8), changed_ago=timedelta(days=60))
    grown = [SeedPost(post_id=990001, content_html="<p>رد جديد</p>")]
    with DemoForum(port=port, extra_posts=grown) as forum:
        assert run("update", "--archive", str(tmp_path), "--log-json", str(log)) == 0  # due
        assert any(r.path.startswith("/threads/") for r in forum.requests)
        data = json.loads(state.read_text("utf-8"))
        # It just changed: due again after check_every, not after a week.
        assert schedule.interval(data["last_checked"], data["last_changed"]) == 3600
        before = len(forum.requests)
        assert run("update", "--archive", str(tmp_path), "--log-json", str(log)) == 0
        assert len(forum.requests) == before  # checked a moment ago: not due
    summaries = [e for e in log_entries(log) if e["event"] == "summary"]
    assert [s["threads_not_due"] for s in summaries] == [1, 0, 1]
    assert summaries[1]["new_posts"] == 1


def test_schedule_settings_are_checked_and_written_back(tmp_path: Path) -> None:
    assert [parse_duration(v) for v in ("90s", "30m", "6h", "7d", "2w", 45, "1.5h")] == [
        90, 1800, 21600, 604800, 1209600, 45, 5400]
    assert [parse_duration(v) for v in ("6 hours", "-1", True, -3, "")] == [None] * 5
    path = tmp_path / "forum-mirror.toml"
    for bad in ('check_every = "often"', "adaptive = 1", "revisit = -1", 'max_interval = "7x"'):
        path.write_text(f"[defaults]\n{bad}\n", "utf-8")
        with pytest.raises(ConfigError, match=bad.split(" ")[0]):
            load_config(path)
    path.write_text('[forums."127.0.0.1"]\nrevisit = 3\ncheck_every = "6h"\nadaptive = false\n',
                    "utf-8")
    assert main(["add", "http://127.0.0.1/threads/x.5/", "--archive", str(tmp_path)]) == 0
    forum = load_config(path).for_url("http://127.0.0.1/threads/x.5/")
    assert (forum.revisit, forum.check_every, forum.adaptive) == (3, 21600, False)
    assert 'check_every = "6h"' in path.read_text("utf-8")
