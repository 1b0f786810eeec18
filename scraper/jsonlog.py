"""`--log-json`: JSON Lines logs for schedulers, one object per line.

Every object has `time` (UTC ISO 8601), `level`, `event` and `message`; events add their own
fields (`thread`, `url`, counts, `exit_code`, ...). Log records of the library (retries,
robots.txt decisions, warnings) come through as `"event": "log"`. A run ends with one
`"event": "summary"` object.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

# Events go only to the JSON log: the console already says the same in sentences. A plain
# Logger outside the registry: Pelican makes every registered logger a LimitLogger, which
# drops a message it has seen before, and each run's summary line may repeat the last one's.
events = logging.Logger("forum_mirror.events", logging.INFO)
events.propagate = False
events.addHandler(logging.NullHandler())  # no "last resort" printing without --log-json


class JsonLinesHandler(logging.Handler):
    """Writes each log record as one JSON object on its own line, flushed at once."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.INFO)
        self.stream = stream
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        """Write `record` as one line."""
        try:
            entry: dict[str, Any] = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"
                ),
                "level": record.levelname.lower(),
                "event": getattr(record, "event", "log"),
                "message": record.getMessage(),
            }
            if entry["event"] == "log":
                entry["logger"] = record.name
            entry.update(getattr(record, "fields", {}))
            line = json.dumps(entry, ensure_ascii=False, default=str)
            with self._write_lock:  # asset downloads log from several threads
                self.stream.write(line + "\n")
                self.stream.flush()
        except Exception:
            self.handleError(record)


def event(name: str, message: str, level: int = logging.INFO, /, **fields: Any) -> None:
    """Log one event for the JSON log (`name` becomes its `event` field)."""
    events.log(level, message, extra={"event": name, "fields": fields})


@contextlib.contextmanager
def json_log(target: str | None) -> Iterator[None]:
    """While open, write JSON Lines to `target`: a file (appended to, so runs accumulate),
    '-' for standard output, or None for no JSON log at all."""
    if target is None:
        yield
        return
    with contextlib.ExitStack() as stack:
        if target == "-":
            stream: TextIO = sys.stdout
        else:
            path = Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            stream = stack.enter_context(path.open("a", encoding="utf-8"))
        handler = JsonLinesHandler(stream)
        root = logging.getLogger()
        root.addHandler(handler)
        events.addHandler(handler)
        try:
            yield
        finally:
            root.removeHandler(handler)
            events.removeHandler(handler)
