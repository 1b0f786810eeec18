"""The static mirror as a Pelican plugin: add `"scraper.site"` to `PLUGINS`.

The plugin adds one generator, which reads the archive at `PATH` (not Pelican's articles)
and writes the thread pages with the theme in `theme/`, and a writer that leaves a page
whose bytes did not change untouched (output.py).
"""

from __future__ import annotations

from pelican import Pelican, signals

from .generator import ThreadSiteGenerator
from .output import SkipUnchangedWriter


def get_generators(pelican: Pelican) -> type[ThreadSiteGenerator]:
    """Pelican's `get_generators` signal: our generator runs alongside the built-in ones."""
    return ThreadSiteGenerator


def get_writer(pelican: Pelican) -> type[SkipUnchangedWriter]:
    """Pelican's `get_writer` signal: pages are compared before they are written."""
    return SkipUnchangedWriter


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    signals.get_generators.connect(get_generators)
    signals.get_writer.connect(get_writer)
