"""`python -m scraper.cli`: the `forum-mirror` command."""

import sys

from . import main

sys.exit(main())
