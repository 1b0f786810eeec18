#!/usr/bin/env bash
# Set up and run the whole test suite (lint, types, unit, end-to-end, headless Chromium).
source "$(dirname "$0")/bootstrap.sh"
install_debian_packages
bootstrap_venv test
bootstrap_node
.venv/bin/ruff check .
.venv/bin/mypy  # strict on scraper/ (pyproject.toml [tool.mypy])
# Many tests start the CLI in a child process: let each find the compiled modules the
# first one wrote rather than compile ~80 modules again (a shell may have turned that off).
unset PYTHONDONTWRITEBYTECODE
exec .venv/bin/python -m pytest --durations=25 "$@"  # the slowest tests, to keep the suite under 15 min
