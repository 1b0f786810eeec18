"""What a command costs before its first request and after its last: the modules the command
line imports, regular expressions compiled at first use, and the program's end (exit_now)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.lazy_pattern import LazyPattern, lazy_regex

ROOT = Path(__file__).resolve().parent.parent


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_a_lazy_regex_compiles_at_first_use_and_then_is_the_pattern_it_names() -> None:
    broken = lazy_regex("(unclosed")  # not compiled yet: no error
    with pytest.raises(re.error):
        broken.search("x")
    words = lazy_regex(r"(?P<word>[a-z]+)", re.IGNORECASE)
    assert isinstance(words, LazyPattern)
    assert words.pattern == r"(?P<word>[a-z]+)" and words.flags & re.IGNORECASE
    match = words.search("12 Ab")
    assert match is not None and match["word"] == "Ab"
    assert words.sub("-", "a1b") == "-1-" and words.findall("a b") == ["a", "b"]
    assert repr(words) == repr(re.compile(r"(?P<word>[a-z]+)", re.IGNORECASE))
    assert "search" in vars(words)  # kept: the next call goes straight to the pattern


def test_the_command_line_imports_no_module_only_other_commands_need() -> None:
    loaded = python("import sys, scraper.cli.commands\n"
                    "print(' '.join(sorted(sys.modules)))")
    assert loaded.returncode == 0, loaded.stderr
    modules = set(loaded.stdout.split())
    assert "scraper.engines.xenforo" not in modules  # every engine: at the first claim
    assert not modules & {"tomllib", "tomli_w", "rich.live", "rich.progress", "pelican"}


def test_the_program_ends_with_its_status_its_output_flushed_and_its_exit_functions_run(
        ) -> None:
    ended = python("import atexit, sys\n"
                   "from scraper.cli import exit_now\n"
                   "atexit.register(lambda: print('exit function', file=sys.stderr))\n"
                   "sys.stdout.write('x' * 200_000)\n"
                   "exit_now(3)\n")
    assert ended.returncode == 3
    assert ended.stdout == "x" * 200_000 and ended.stderr == "exit function\n"


def test_the_program_waits_for_a_thread_still_running() -> None:
    ended = python("import threading, time\n"
                   "from scraper.cli import exit_now\n"
                   "threading.Thread(target=lambda: (time.sleep(0.2), print('done'))).start()\n"
                   "exit_now(4)\n")
    assert (ended.returncode, ended.stdout) == (4, "done\n")


# No command imports the engines up front: the one that claims a URL is imported when asked
# for (engines/claims.py, tests/test_engine_routing.py).
@pytest.mark.parametrize(("command", "engines"), [("scrape", False), ("verify", False)])
def test_the_program_imports_with_the_collector_off_then_freezes_and_restarts_it(
        command: str, engines: bool) -> None:
    ended = python("import gc, sys, scraper.cli\n"
                   "def main():\n"
                   "    print(gc.isenabled(), gc.get_freeze_count() > 10_000,\n"
                   "          'scraper.cli.commands' in sys.modules,\n"
                   "          'scraper.engines.xenforo' in sys.modules)\n"
                   "    return 5\n"
                   "scraper.cli.main = main\n"
                   f"sys.argv = ['forum-mirror', {command!r}]\n"
                   "scraper.cli.run()\n")
    assert ended.returncode == 5, ended.stderr
    assert ended.stdout.split() == ["True", "True", "True", str(engines)]
