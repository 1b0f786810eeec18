"""`forum-mirror build`: the site from the archive (site/build.py), said on the console.

Imports only what a build needs, not the rest of the command line (cli/__init__.py runs a
plain `build` without it).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .running import console, left_out

if TYPE_CHECKING:
    from rich.live import Live

    from ..archive import UnreadableThread


def build_status(text: str) -> Live:
    """A status line for the build that starts no thread: `console.status` animates its
    spinner from a thread of its own, and with another thread alive the build does not fork
    its render worker (render_worker.py), so it would render on one core. Imported here:
    every command imports this module, and only a build draws it."""
    from rich.live import Live
    from rich.spinner import Spinner

    return Live(Spinner("dots", text), console=console, auto_refresh=False, transient=True)


def build_mirror(args: argparse.Namespace) -> list[UnreadableThread]:
    """Build the site and say so; the threads left out because they cannot be read."""
    from ..site.build import build_site, unchanged_message  # Pelican loads slowly

    with build_status("building the site and its search index with Pelican"):
        report = build_site(args.archive, args.output)
    if report.unchanged:
        console.print(unchanged_message(args.output, report), highlight=False, markup=False)
        return []  # a build that left a thread out is never recorded as done (unchanged.py)
    console.print(
        f"Built {report.threads} thread(s), {report.posts} post(s) into {args.output}/ "
        f"in {report.seconds:.1f} s. Open {args.output}/index.html (search works from "
        f"file:// too), or publish the folder as it is.", highlight=False)
    return list(report.unreadable)


def cmd_build(args: argparse.Namespace) -> int:
    unreadable = build_mirror(args)
    if unreadable:
        raise left_out(unreadable, "the site")
    return 0
