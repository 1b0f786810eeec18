"""Pagefind's index of the built site, so the search box works on every page."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from ..errors import ForumMirrorError

log = logging.getLogger(__name__)


class SearchIndexFailed(ForumMirrorError):
    """Pagefind could not index the built site."""


def index_site(output: Path, language: str) -> None:
    """Write Pagefind's index of `output`'s thread pages to `output/pagefind/`.

    `language` is forced for every page: Pagefind keeps one index per language, and a
    search must find Arabic, Hebrew and English posts from any page.
    """
    command = [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(output),
        "--force-language",
        language.split("-")[0],
        # Hits must name page files: from a folder URL, relative links would break.
        "--keep-index-url",
        "--quiet",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.stdout.strip():
        log.debug("pagefind: %s", result.stdout.strip())
    if result.returncode != 0:
        raise SearchIndexFailed(
            f"Pagefind failed to index {output} (exit {result.returncode}): "
            f"{result.stderr.strip() or result.stdout.strip()}. "
            "Check that 'pagefind[bin]' is installed in this Python environment."
        )
