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

import functools
import importlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from ..errors import ConfigError, UnsupportedUrl
from ..urls import canonical_url, shown
from .base import Engine
from .claims import CLAIMS, Claim
from .profile import PREFIX, Profile, is_profile_name, profile_engine

# Every engine, in the order claims and detection try them: `registered()`, also readable as
# the attribute `ENGINES` (module `__getattr__`); their names: `ENGINE_NAMES`.
ENGINES: tuple[type[Engine], ...]


@functools.cache
def registered() -> tuple[type[Engine], ...]:
    """Every engine class. Imported at first use, not with this package: a process that
    reads pages with one engine imports that one alone (`engines_claiming`,
    `engine_named`); this is for what needs all (detection, listings)."""
    return tuple(_engine_class(claim) for claim in CLAIMS)


@functools.cache
def _engine_class(claim: Claim) -> type[Engine]:
    engine_class: type[Engine] = getattr(
        importlib.import_module(f"{__name__}.{claim.module}"), claim.class_name)
    return engine_class


def __getattr__(name: str) -> object:
    """`ENGINES`, from `registered()` (PEP 562)."""
    if name == "ENGINES":
        return registered()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _names() -> tuple[str, ...]:
    return tuple(claim.name for claim in CLAIMS)


class _EngineNames(Sequence[str]):
    """The engines' names, looked up when first read: `--engine`'s choices, which every
    command line declares, and the config file's check of `engine` (a command that reads
    no thread imports no engine)."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return _names()[index]

    def __len__(self) -> int:
        return len(_names())


ENGINE_NAMES: Sequence[str] = _EngineNames()


def _supported() -> str:
    return "; ".join(f"{e.name} (e.g. {e.example})" for e in registered())


def engines_claiming(url: str) -> list[Engine]:
    """The engines whose URL pattern claims `url`, in `ENGINES` order; UnsupportedUrl if
    `url` is no usable http(s) URL at all."""
    try:
        canonical = canonical_url(url)
    except UnsupportedUrl as error:
        raise UnsupportedUrl(f"{error}; supported forum engines: {_supported()}") from None
    return [_engine_class(claim)() for claim in CLAIMS if claim.pattern.match(canonical)]


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


# The selector profiles of the run's config file (`use_profiles`), by engine name.
_profiles: dict[str, type[Engine]] = {}
_profiles_source = ["no config file"]


def use_profiles(profiles: Sequence[Profile], source: str) -> None:
    """Make the selector profiles of the config file `source` the engines `profile:NAME`."""
    _profiles.clear()
    _profiles.update({PREFIX + p.name: profile_engine(p) for p in profiles})
    _profiles_source[0] = source


def engine_named(name: str) -> Engine:
    """The engine called `name` (the `engine` field of an archived thread, `--engine`), or
    the selector profile `profile:NAME` of the run's config file (ConfigError when that file
    does not define it, so a thread archived with a profile since removed says so)."""
    if is_profile_name(name):
        if name in _profiles:
            return _profiles[name]()
        known = ", ".join(n.removeprefix(PREFIX) for n in _profiles) or "none"
        raise ConfigError(f"{_profiles_source[0]}: no profile {name.removeprefix(PREFIX)!r} "
                          f"([profiles.{name.removeprefix(PREFIX)}]), which this thread was "
                          f"archived with; profiles defined: {known}")
    for claim in CLAIMS:
        if claim.name == name:
            return _engine_class(claim)()
    raise UnsupportedUrl(f"no engine named {name!r}; known: "
                         f"{', '.join(e.name for e in registered())}")


def cookie_names(set_cookie: str) -> list[str]:
    """The names of the cookies a `Set-Cookie` header sets (repeated ones joined by ", ")."""
    return re.findall(r"(?:^|,)\s*([^=;,\s]+)=", set_cookie)


@dataclass(frozen=True)
class Score:
    """How much of one engine's signs a page shows (`detect` picks the highest)."""

    engine: Engine
    markers: tuple[str, ...]  # the signs seen, by name
    cookie: bool  # one of its default cookie names was set
    # What counts: a generic engine's signs count only where no board engine's show.
    score: int


def engine_scores(html: str, candidates: list[Engine] | None = None,
                  cookies: list[str] | tuple[str, ...] = ()) -> list[Score]:
    """Each candidate's signs on the page (default: every engine), in candidate order."""
    engines = candidates or [engine_class() for engine_class in registered()]
    seen = [(engine, tuple(engine.markers(html)),
             any(name.startswith(engine.cookie_prefixes) for name in cookies)
             if engine.cookie_prefixes else False) for engine in engines]
    boards = any((markers or cookie) for engine, markers, cookie in seen if not engine.generic)
    return [Score(engine, markers, cookie,
                  0 if engine.generic and boards else len(markers) + cookie)
            for engine, markers, cookie in seen]


def detect(html: str, url: str, candidates: list[Engine] | None = None,
           cookies: list[str] | tuple[str, ...] = ()) -> Engine:
    """The engine whose markers `html` (and whose cookie names `cookies`) show most, among
    `candidates` (default: all); generic engines (schema.org) only where no board engine's
    markers show.

    A page with no marker of any candidate is read by the first candidate whose URL shape
    it has (its reading says what is wrong: a wall, a changed layout); a tie, or no marker
    on a page whose URL no engine claims, is UnsupportedUrl naming the engines and what was
    looked for.
    """
    scores = engine_scores(html, candidates, cookies)
    best = max(found.score for found in scores)
    winners = [found.engine for found in scores if found.score == best]
    if best > 0 and len(winners) == 1:
        return winners[0]
    if best == 0 and candidates:
        return candidates[0]
    seen = ", ".join(f"{found.engine.name}: {found.score}" for found in scores)
    why = "no engine's markers" if best == 0 else "as many markers of several engines"
    raise UnsupportedUrl(
        f"cannot tell which forum software serves {shown(url)}: its page shows {why} "
        f"(generator meta, html#XF/#XenForo, body#phpbb, MyBB scripts, vBulletin's vb_ "
        f"globals, smf_scripturl, ipsApp, the boards' cookie names, schema.org "
        f"DiscussionForumPosting; scores {seen}); pass --engine NAME or --profile NAME")


__all__ = [
    "ENGINES",
    "ENGINE_NAMES",
    "Engine",
    "Score",
    "cookie_names",
    "detect",
    "engine_for_url",
    "engine_named",
    "engine_scores",
    "engines_claiming",
    "registered",
    "url_thread_key",
    "use_profiles",
]
