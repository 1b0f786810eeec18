"""The static mirror as a Pelican plugin: add `"scraper.site"` to `PLUGINS`.

The plugin adds one generator, which reads the archive at `PATH` (not Pelican's articles)
and writes the thread pages with the theme in `theme/`, and a writer that leaves a page
whose bytes did not change untouched (output.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Pelican is imported only once a build needs it: `build.py` first checks, without it,
# whether anything changed at all (unchanged.py), and importing Pelican costs more.
if TYPE_CHECKING:
    from pelican import Pelican

    from .generator import ThreadSiteGenerator
    from .output import SkipUnchangedWriter


def get_generators(pelican: Pelican) -> type[ThreadSiteGenerator]:
    """Pelican's `get_generators` signal: our generator runs alongside the built-in ones."""
    from .generator import ThreadSiteGenerator

    return ThreadSiteGenerator


def get_writer(pelican: Pelican) -> type[SkipUnchangedWriter]:
    """Pelican's `get_writer` signal: pages are compared before they are written."""
    from .output import SkipUnchangedWriter

    return SkipUnchangedWriter


def register() -> None:
    """Connect the plugin to Pelican's signals."""
    from pelican import signals

    signals.get_generators.connect(get_generators)
    signals.get_writer.connect(get_writer)
