"""docs/scheduling.md and contrib/: the cron line, the systemd units and the CI workflow."""

from __future__ import annotations

import configparser
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.cli import build_parser, main
from scraper.demo_forum import DemoForum

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "contrib/systemd/forum-mirror-update.service"
TIMER = ROOT / "contrib/systemd/forum-mirror-update.timer"
WORKFLOW = ROOT / "contrib/github-actions/forum-mirror.yml"
DOC = ROOT / "docs/scheduling.md"
INSTALLED = "/opt/forum-mirror/.venv/bin/forum-mirror"  # the path the service file names
SHELL_OPERATORS = {"||", "&&", "|", ";", ">", ">>", "2>&1"}


def forum_mirror_commands(text: str) -> list[list[str]]:
    """The argument lists of every `forum-mirror COMMAND ...` in a shell text, up to the
    first shell operator."""
    commands = []
    for match in re.finditer(
        r"(?:^|[\s/])forum-mirror (update|scrape|add|build|verify)\b.*", text, re.MULTILINE
    ):
        words = []
        for word in shlex.split(match[0].split("forum-mirror ", 1)[1]):
            if word in SHELL_OPERATORS or word.startswith(">"):
                break
            words.append(word)
        commands.append(words)
    return commands


def cron_line() -> str:
    (block,) = re.findall(r"```cron\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    (line,) = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    fields = line.split(None, 5)
    assert len(fields) == 6 and all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), line
    return fields[5]


def exec_start() -> str:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read(SERVICE, encoding="utf-8")
    return unit["Service"]["ExecStart"]


def workflow_runs() -> list[str]:
    """The `run:` scripts of the workflow (a line-based read: PyYAML is not a dependency)."""
    lines = WORKFLOW.read_text("utf-8").splitlines()
    runs = []
    for index, line in enumerate(lines):
        match = re.match(r"^(\s*)(?:- )?run: ?(.*)$", line)
        if not match:
            continue
        if match[2] != "|":
            runs.append(match[2])
            continue
        indent = len(match[1])
        block = []
        for following in lines[index + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following.strip())
        runs.append("\n".join(block))
    return runs


def test_workflow_is_scheduled_and_commits_the_archive() -> None:
    text = WORKFLOW.read_text("utf-8")
    assert "\t" not in text  # YAML forbids tabs for indentation
    assert re.search(r"^on:\n(?:\s.*\n)*?\s+schedule:\n\s+- cron: \"[\d*/ ]+\"", text, re.M)
    assert "actions/checkout@" in text and "actions/setup-python@" in text
    runs = workflow_runs()
    assert any(r.startswith("pip install") for r in runs)
    (update,) = [c for r in runs for c in forum_mirror_commands(r)]
    assert update[:3] == ["update", "--archive", "content"] and "--log-json" in update
    commit = next(r for r in runs if "git commit" in r)
    assert "git add content" in commit and "git push" in commit


def test_every_documented_command_parses_with_the_real_parser() -> None:
    commands = [
        *forum_mirror_commands(cron_line()),
        *forum_mirror_commands(exec_start()),
        *[c for r in workflow_runs() for c in forum_mirror_commands(r)],
    ]
    assert len(commands) == 3
    for words in commands:
        args = build_parser().parse_args(words)
        assert args.command == "update" and args.log_json


def test_the_documented_commands_run_against_the_demo_forum(tmp_path: Path) -> None:
    archive = tmp_path / "content"
    with DemoForum() as forum:
        assert main(["scrape", forum.thread_url, "--archive", str(archive), "--delay", "0"]) == 0
        for words in (
            forum_mirror_commands(cron_line())[0],
            forum_mirror_commands(exec_start())[0],
        ):
            # As written, run in the folder that holds content/ (the paths are relative).
            args = [w if w not in ("content", "output") else str(tmp_path / w) for w in words]
            args = [str(tmp_path / w) if w.endswith(".jsonl") else w for w in args]
            assert main([*args, "--delay", "0"]) == 0, words
    log = next(tmp_path.rglob("*.jsonl")).read_text("utf-8").splitlines()
    summaries = [json.loads(line) for line in log if '"summary"' in line]
    assert [s["exit_code"] for s in summaries] == [0, 0]
    assert (tmp_path / "output" / "index.html").is_file()  # the service also rebuilds


def test_systemd_units_are_well_formed() -> None:
    timer = configparser.ConfigParser(interpolation=None, strict=False)
    timer.read(TIMER, encoding="utf-8")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"
    assert shlex.split(exec_start())[0] == INSTALLED


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (apt package systemd)",
)
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # verify insists that ExecStart's program exists: point it at this checkout's command.
    installed = Path(sys.executable).with_name("forum-mirror")
    assert installed.is_file()
    service = SERVICE.read_text("utf-8").replace(INSTALLED, str(installed))
    (tmp_path / SERVICE.name).write_text(service, "utf-8")
    shutil.copy(TIMER, tmp_path / TIMER.name)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / TIMER.name), str(tmp_path / SERVICE.name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
