"""Kill `forum-mirror` with SIGKILL at every request and every file write of a first scrape
and of an update, resume each time, and count the kill points that lost or doubled nothing.

    .venv/bin/python benchmarks/kill_test.py

The checks are those of tests/test_crash_safety.py (which runs most of these points); this
runs all of them and prints "N kill points, M passed". Exit status 1 if any failed.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_crash_safety import sweep


def main() -> int:
    started = time.monotonic()
    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    with tempfile.TemporaryDirectory() as workdir, quiet[0], quiet[1]:
        results = sweep(Path(workdir))  # the CLI's own output is not the point here
    tried = sum(len(r.tried) for r in results)
    passed = sum(r.passed for r in results)
    for result in results:
        single = [kills[0] for kills in result.tried if len(kills) == 1]
        kinds = {k: sum(1 for p in single if p.kind == k) for k in ("request", "write")}
        print(
            f"{result.summary()} ({kinds['request']} at a request, "
            f"{kinds['write']} in the write phase)"
        )
        for failure in result.failures:
            print(f"  FAILED {failure}")
    print(f"{tried} kill points, {passed} passed ({time.monotonic() - started:.0f} s)")
    return 0 if passed == tried else 1


if __name__ == "__main__":
    sys.exit(main())
