"""`python -m scraper.cli`: the `forum-mirror` command."""

from . import run

run()
