"""The `forum-mirror` command line (commands.py), behind an entry that takes `build` first.

`forum-mirror build` when nothing changed since the last build is done in a few stat calls
(site/unchanged.py), but importing the whole command line (rich, httpx, every engine) cost
most of a second: more than such a build at 1,000 posts, and a third of one after a thread
changed. So `main` answers a plain `build [--archive DIR] [--output DIR]` with the standard
library alone when nothing changed, runs any other plain build with build.py alone, and
imports commands.py for everything else; the names other code imports from `scraper.cli`
are those of commands.py, loaded when first asked for.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import select
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

DEFAULT_ARCHIVE = Path("content")
DEFAULT_OUTPUT = Path("output")
# The options of `build` answered here, as given in full (argparse also takes abbreviations
# and other spellings: those go through commands.py, which checks the same way).
_BUILD_OPTIONS = {"--archive": DEFAULT_ARCHIVE, "--output": DEFAULT_OUTPUT}
# The exit code when whoever read the output closed it first (`forum-mirror engines | head`):
# the shell's for a death by SIGPIPE (128 + 13), which Python turns into BrokenPipeError.
OUTPUT_CLOSED = 141


def _build_folders(argv: Sequence[str]) -> dict[str, Path] | None:
    """The archive and output of `build [--archive DIR] [--output DIR]`; None for any other
    command line (another command, any other option, `--help`)."""
    if not argv or argv[0] != "build":
        return None
    folders = dict(_BUILD_OPTIONS)
    rest = list(argv[1:])
    while rest:
        option, equals, value = rest.pop(0).partition("=")
        if option not in folders or (equals and not value):
            return None
        if not equals:
            if not rest or rest[0].startswith("-"):
                return None  # missing value: argparse says what is wrong
            value = rest.pop(0)
        folders[option] = Path(value)
    return {"archive": folders["--archive"], "output": folders["--output"]}


def main(argv: Sequence[str] | None = None) -> int:
    """Run `forum-mirror ARGV` (sys.argv's by default); the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    folders = _build_folders(arguments)
    if folders is not None:
        from ..site.build import unchanged_build, unchanged_message

        report = unchanged_build(folders["archive"], folders["output"])
        if report is not None:
            print(unchanged_message(folders["output"], report), file=sys.stderr)
            return 0
        import argparse

        from .build import cmd_build
        from .running import run_command

        # The arguments as commands.py's parser gives them for this command line.
        return run_command(argparse.Namespace(command="build", verbose=False,
                                              handler=cmd_build, **folders))  # fmt: skip
    from .commands import main as run_commands

    return run_commands(arguments)


# Commands that read threads from a board: they import httpx's transport (httpcore, h11)
# anyway, so they do so in `_import_for`'s window. (The engine that claims a URL is imported
# when it is asked for, alone: engines/claims.py.)
_FETCHING_COMMANDS = frozenset({"scrape", "update", "add", "worker"})


def _import_for(arguments: Sequence[str]) -> None:
    """Import what the command line needs with the garbage collector off, then freeze it.

    Imports make objects that live as long as the process and hardly any garbage, yet they
    set off collection after collection: 70-90 of them, a sixth of the start-up's CPU
    (measured, gc.callbacks). Frozen, those objects are no longer walked by the run's full
    collections either (0.05-0.1 s of CPU in a 4,000-post scrape). The collector is on again
    before any work: cycles the run makes are collected as usual, memory stays bounded.
    """
    gc.disable()
    try:
        importlib.import_module(f"{__name__}.commands")
        if arguments and arguments[0] in _FETCHING_COMMANDS:
            import httpcore  # noqa: F401  (the transport's, made at the first request)
    finally:
        gc.freeze()
        gc.enable()


def run() -> NoReturn:
    """The `forum-mirror` program: `main`, then the process ends with its exit status (also
    when the command line stops it: `--help`, `--version`, a usage error)."""
    arguments = sys.argv[1:]
    if _build_folders(arguments) is None:  # `build`'s own path imports almost nothing
        _import_for(arguments)
    try:
        code = main()
    except SystemExit as stop:
        if not isinstance(stop.code, int | None):
            raise  # a message to print: the interpreter's exit does
        code = stop.code or 0
    exit_now(code)


def exit_now(code: int) -> NoReturn:
    """End the process with `code`: exit functions run and output is flushed as at any exit,
    but the interpreter's teardown of every module is skipped (0.05-0.1 s of CPU after every
    command, measured, more than some commands take). When another thread still runs, or
    the output cannot be flushed, the process exits the usual way, which waits and reports."""
    main_thread = threading.main_thread()
    if any(thread is not main_thread and not thread.daemon and thread.is_alive()
           for thread in threading.enumerate()):
        sys.exit(code)
    atexit._run_exitfuncs()  # logging's flush and close among them
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BrokenPipeError:
        if not output_closed():
            sys.exit(code)
        os._exit(OUTPUT_CLOSED)
    except (OSError, ValueError):  # as Python itself says so
        sys.exit(code)
    os._exit(code)


def output_closed() -> bool:
    """Whether standard output is a pipe its reader closed: then what is left to write goes
    nowhere (so the flush at exit cannot fail again), as `head` and the like expect."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's capture)
        return False
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)  # a pipe without reader: POLLERR
    if not any(events & select.POLLERR for _, events in poller.poll(0)):
        return False
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
    return True


def __getattr__(name: str) -> Any:
    """`from scraper.cli import build_parser` and the like: the command line's own names."""
    if name.startswith("__"):  # what the import system asks of any module
        raise AttributeError(name)
    # Not `from . import commands`: that asks this function for `commands` first.
    commands = importlib.import_module(f"{__name__}.commands")
    return getattr(commands, name)
