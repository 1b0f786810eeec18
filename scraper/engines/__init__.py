"""Forum engines: one module per forum software, each a pure reader of its threads.

An engine never does HTTP. It declares which thread URLs it claims (`pattern`, with an
`example` and more `examples` beside it), the signs its pages carry (`markers`), where a
thread's reading starts and how to read one response (engines/base.py).

Which engine reads a thread: the one named (`--engine`, a forum's `engine` in the config
file, or the engine an archived thread was archived with); else the only engine whose
pattern claims the URL; else the first page decides (`detect`): every candidate scores it
by its markers and the best score wins.
"""

from __future__ import annotations

import re

from ..errors import UnsupportedUrl
from ..urls import canonical_url, shown
from .base import Engine
from .discourse import Discourse
from .flarum import Flarum
from .invision import Invision
from .mybb import MyBB
from .nodebb import NodeBB
from .phpbb import PhpBB
from .smf import SMF
from .vanilla import Vanilla
from .vbulletin import VBulletin
from .vbulletin5 import VBulletin5
from .woltlab import WoltLab
from .xenforo import XenForo2
from .xenforo1 import XenForo1

ENGINES: tuple[type[Engine], ...] = (XenForo2, XenForo1, PhpBB, MyBB, VBulletin, SMF, Invision,
                                     Discourse, Flarum, NodeBB, VBulletin5, Vanilla, WoltLab)


def _supported() -> str:
    return "; ".join(f"{e.name} (e.g. {e.example})" for e in ENGINES)


def engines_claiming(url: str) -> list[Engine]:
    """The engines whose URL pattern claims `url`, in `ENGINES` order; UnsupportedUrl if
    `url` is no usable http(s) URL at all."""
    try:
        canonical = canonical_url(url)
    except UnsupportedUrl as error:
        raise UnsupportedUrl(f"{error}; supported forum engines: {_supported()}") from None
    return [engine_class() for engine_class in ENGINES if engine_class.matches(canonical)]


def engine_for_url(url: str) -> Engine:
    """The one engine whose pattern claims `url`; UnsupportedUrl when none does, or when
    several do and only the page can tell (see `detect`)."""
    claiming = engines_claiming(url)
    if len(claiming) == 1:
        return claiming[0]
    if claiming:
        raise UnsupportedUrl(
            f"{shown(url)} has the URL shape of {' and '.join(e.name for e in claiming)}; "
            "its first page tells which (or pass --engine NAME)")
    raise UnsupportedUrl(
        f"{shown(url)} is not a thread URL of a supported forum engine: {_supported()}"
    )


def url_thread_key(url: str) -> str | None:
    """The thread key `url` names when the engines claiming it agree on one; None when no
    engine claims it or the URL alone names no thread (a post permalink): then its page does."""
    keys: set[str] = set()
    for engine in engines_claiming(url):
        try:
            keys.add(engine.thread_key(url))
        except UnsupportedUrl:
            return None
    return keys.pop() if len(keys) == 1 else None


def engine_named(name: str) -> Engine:
    """The engine called `name` (the `engine` field of an archived thread, `--engine`)."""
    for engine_class in ENGINES:
        if engine_class.name == name:
            return engine_class()
    raise UnsupportedUrl(f"no engine named {name!r}; known: {', '.join(e.name for e in ENGINES)}")


def cookie_names(set_cookie: str) -> list[str]:
    """The names of the cookies a `Set-Cookie` header sets (repeated ones joined by ", ")."""
    return re.findall(r"(?:^|,)\s*([^=;,\s]+)=", set_cookie)


def detect(html: str, url: str, candidates: list[Engine] | None = None,
           cookies: list[str] | tuple[str, ...] = ()) -> Engine:
    """The engine whose markers `html` (and whose cookie names `cookies`) show most, among
    `candidates` (default: all).

    A page with no marker of any candidate is read by the first candidate whose URL shape
    it has (its reading says what is wrong: a wall, a changed layout); a tie, or no marker
    on a page whose URL no engine claims, is UnsupportedUrl naming the engines and what was
    looked for.
    """
    engines = candidates or [engine_class() for engine_class in ENGINES]
    scores = [(len(engine.markers(html)) + any(name.startswith(engine.cookie_prefixes)
                                               for name in cookies), engine)
              for engine in engines]
    best = max(score for score, _ in scores)
    winners = [engine for score, engine in scores if score == best]
    if best > 0 and len(winners) == 1:
        return winners[0]
    if best == 0 and candidates:
        return candidates[0]
    seen = ", ".join(f"{engine.name}: {score}" for score, engine in scores)
    why = "no engine's markers" if best == 0 else "as many markers of several engines"
    raise UnsupportedUrl(
        f"cannot tell which forum software serves {shown(url)}: its page shows {why} "
        f"(generator meta, html#XF/#XenForo, body#phpbb, MyBB scripts, vBulletin's vb_ "
        f"globals, smf_scripturl, ipsApp, the boards' cookie names; scores {seen}); pass "
        "--engine NAME")


ENGINE_NAMES = tuple(engine_class.name for engine_class in ENGINES)

__all__ = ["ENGINES", "ENGINE_NAMES", "Engine", "cookie_names", "detect", "engine_for_url",
           "engine_named", "engines_claiming", "url_thread_key"]
