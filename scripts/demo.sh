#!/usr/bin/env bash
# Set up and run the demo: the bundled forum -> scrape -> build -> serve on 127.0.0.1.
source "$(dirname "$0")/bootstrap.sh"
bootstrap_venv
exec .venv/bin/forum-mirror demo "$@"
