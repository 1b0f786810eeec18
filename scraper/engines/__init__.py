"""Forum engines: one module per forum software, each turning a thread page into records.

An engine never does HTTP. It declares which thread URLs it handles (`pattern`, with an
`example` beside it), where a thread's first page is, and how to read one page.
"""

from __future__ import annotations

from ..errors import UnsupportedUrl
from ..urls import canonical_url, shown
from .base import Engine
from .xenforo import XenForo2

ENGINES: tuple[type[Engine], ...] = (XenForo2,)


def engine_for_url(url: str) -> Engine:
    """The engine that handles this thread URL, or UnsupportedUrl naming the supported ones
    (or saying why the URL is unusable: see urls.canonical_url)."""
    supported = "; ".join(f"{e.name} (e.g. {e.example})" for e in ENGINES)
    try:
        canonical = canonical_url(url)
    except UnsupportedUrl as error:
        raise UnsupportedUrl(f"{error}; supported forum engines: {supported}") from None
    for engine_class in ENGINES:
        if engine_class.matches(canonical):
            return engine_class()
    raise UnsupportedUrl(
        f"{shown(url)} is not a thread URL of a supported forum engine: {supported}"
    )


def engine_named(name: str) -> Engine:
    """The engine that wrote an archived thread (its `engine` field)."""
    for engine_class in ENGINES:
        if engine_class.name == name:
            return engine_class()
    raise UnsupportedUrl(f"no engine named {name!r}; known: {', '.join(e.name for e in ENGINES)}")


__all__ = ["ENGINES", "Engine", "engine_for_url", "engine_named"]
