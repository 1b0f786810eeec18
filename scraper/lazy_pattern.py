"""Regular expressions compiled when first used, not when their module is imported.

Every command line imports every engine (a thread URL is offered to each engine's pattern:
engines/__init__.py), and the engines' module-level expressions (some 300, the date grammar's
the longest) cost a tenth of a second of CPU to compile at start-up (measured), before the
first request; most of them a run never uses (another engine's markers and markup).
"""

from __future__ import annotations

import re
from typing import Any, cast


class LazyPattern:
    """A `re.Pattern` stand-in that compiles on its first attribute access; from then on
    its attributes are the compiled pattern's own (bound methods), so a call costs what a
    call of the compiled pattern costs."""

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source, self._flags = source, flags

    def __getattr__(self, name: str) -> Any:
        # Only asked for what the instance does not hold yet: the first use compiles, then
        # keeps each attribute asked for here, so later lookups find it without this call.
        if name.startswith("__"):  # copy, pickle and the like ask for protocol hooks
            raise AttributeError(name)
        value = getattr(self.compiled, name)
        setattr(self, name, value)
        return value

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled once)."""
        compiled: re.Pattern[str] | None = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self.__dict__["_compiled"] = re.compile(self._source, self._flags)
        return compiled

    def __repr__(self) -> str:
        return repr(self.compiled)


def lazy_regex(source: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(source, flags)`, compiled at first use. For module-level expressions read
    through their methods and attributes (`.search`, `.sub`, `.pattern`); `re.sub(p, ...)` and
    `isinstance(p, re.Pattern)` need a real pattern."""
    return cast("re.Pattern[str]", LazyPattern(source, flags))
