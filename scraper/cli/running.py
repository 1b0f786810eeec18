"""Running one parsed command: logging, SIGTERM, the JSON log, and how an error ends it.

Only rich and the standard library besides our errors: `build` runs through here without
the rest of the command line (cli/__init__.py).
"""

from __future__ import annotations

import argparse
import logging
import signal
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from ..errors import ArchiveError, ForumMirrorError, Interrupted
from ..jsonlog import event, json_log
from . import OUTPUT_CLOSED, output_closed

if TYPE_CHECKING:
    from ..archive import UnreadableThread

console = Console(stderr=True, soft_wrap=True)


def run_command(args: argparse.Namespace) -> int:
    """Run the command `args.handler` with the console's logging; its exit status."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False, show_time=False)],
    )
    if not args.verbose:  # our own notes, without every library's chatter
        logging.getLogger("scraper").setLevel(logging.INFO)
    # httpcore's debug trace dumps every response's headers, Set-Cookie values included;
    # -v logs each request itself (scraper.fetch.client), without them.
    logging.getLogger("httpcore").setLevel(logging.INFO)
    # SIGTERM ends any command as Ctrl-C does (scrape and update stop gracefully instead).
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        with json_log(getattr(args, "log_json", None)):
            return _run(args)
    except OSError as error:  # only opening or closing the JSON log: _run catches the rest
        console.print(f"[bold red]error:[/] cannot write the JSON log {escape(args.log_json)}: "
                      f"{escape(str(error))}", highlight=False)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _run(args: argparse.Namespace) -> int:
    """Run the command; any error ends in one line on the console and the JSON summary."""
    try:
        return args.handler(args)  # type: ignore[no-any-return]
    except KeyboardInterrupt:
        return _failed(args, Interrupted(signal.SIGINT))
    except ForumMirrorError as error:
        return _failed(args, error)
    except Exception as unexpected:
        if isinstance(unexpected, BrokenPipeError) and output_closed():
            # The reader had what it wanted (`| head`): no message, as any Unix tool.
            event("summary", "the output was closed by its reader", logging.INFO,
                  command=args.command, exit_code=OUTPUT_CLOSED)
            return OUTPUT_CLOSED
        hint = "the traceback follows" if args.verbose else "run with -v for the traceback"
        internal = ForumMirrorError(f"internal error: {type(unexpected).__name__}: "
                                    f"{unexpected}; {hint}")
        code = _failed(args, internal, type(unexpected).__name__)
        if args.verbose:  # the plain traceback: rich's shows local values, cookies among them
            console.print(escape(traceback.format_exc().rstrip()), highlight=False)
        return code


def _failed(args: argparse.Namespace, error: ForumMirrorError, name: str | None = None) -> int:
    console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    event("summary", str(error), logging.ERROR, command=args.command,
          error=name or getattr(error, "error_type", type(error).__name__),
          exit_code=error.exit_code)
    return error.exit_code


def left_out(unreadable: Sequence[UnreadableThread], what: str) -> ArchiveError:
    """The error ending a command that handled every thread but these."""
    files = ", ".join(str(thread.path) for thread in unreadable)
    return ArchiveError(f"{len(unreadable)} thread(s) cannot be read and were left out of "
                        f"{what}: {files}")
