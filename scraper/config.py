r"""`forum-mirror.toml`: the threads to follow and per-forum settings, read with tomllib.

    threads = [
      "https://forum.example/threads/some-title.123/",
    ]

    [defaults]                      # every forum, unless its own table says otherwise
    contact = "archivist@example.org"

    [forums."forum.example"]        # by host, or host:port
    engine = "phpbb"                # which forum software, when its pages cannot tell
    profile = "fluxbb"              # ... or the selector profile that reads it (below)
    delay = 5.0                     # seconds between requests to this forum
    contact = "https://example.org/archive"
    cookies = "forum.example.cookies.txt"   # relative to this file's folder
    revisit = 2                     # earlier pages each update reads again (recheck.py)
    check_every = "6h"              # a thread checked more recently is not due (schedule.py)
    adaptive = true                 # ... or longer, the longer the thread has been quiet
    max_interval = "7d"             # ... but never longer than this

    [profiles.fluxbb]               # CSS selectors for a board no engine knows (docs/profiles.md)
    url = 'viewtopic\.php\?(?:[^#]*&)?id=([0-9]+)'
    post = "div.blockpost"
    ...

The file lives in the archive folder (`<archive>/forum-mirror.toml`) unless `--config` names
another: one archive, one list of threads, and a git-scraped archive carries its own list.
`write_config` writes the file back atomically in this canonical form (comments are not kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import PROJECT_URL, __version__
from .archive import atomic_write_bytes, check_archive_root
from .engines import ENGINE_NAMES, engines_claiming, url_thread_key, use_profiles
from .engines.profile import PREFIX, Profile, load_profile
from .errors import ConfigError, UnsupportedUrl
from .fetch.settings import USER_AGENT_TOKEN, seconds_problem
from .schedule import DEFAULT_MAX_INTERVAL, Schedule, duration_text, parse_duration

CONFIG_NAME = "forum-mirror.toml"
FORUM_KEYS = ("delay", "contact", "cookies", "engine", "revisit", "check_every", "adaptive",
              "max_interval", "profile")
MAX_REVISIT = 10_000  # no thread has more pages than a run reads (scrape.MAX_PAGES)
# Printable ASCII without parentheses: a User-Agent comment must not be closed early, and
# header values must not carry line breaks.
_CONTACT_RE = re.compile(r"[\x21-\x27\x2a-\x7e]+(?: [\x21-\x27\x2a-\x7e]+)*")


@dataclass(frozen=True)
class ForumSettings:
    """Settings for one forum (host); None means "not set here"."""

    delay: float | None = None
    contact: str | None = None
    cookies: Path | None = None
    engine: str | None = None  # forces the engine (engines.ENGINE_NAMES) for new threads
    revisit: int | None = None  # earlier pages an update reads again (recheck.py)
    check_every: float | None = None  # seconds (schedule.py)
    adaptive: bool | None = None
    max_interval: float | None = None  # seconds
    profile: str | None = None  # the selector profile (`[profiles.NAME]`) that reads it

    @property
    def reader(self) -> str | None:
        """The engine name these settings force: the engine, else `profile:NAME`."""
        return self.engine or (PREFIX + self.profile if self.profile else None)

    def over(self, base: ForumSettings) -> ForumSettings:
        """These settings, with the ones not set here taken from `base`."""
        return ForumSettings(**{
            name: getattr(base, name) if getattr(self, name) is None else getattr(self, name)
            for name in FORUM_KEYS})

    def schedule(self) -> Schedule:
        """How often this forum's threads are checked (every run unless set)."""
        return Schedule(check_every=self.check_every or 0.0, adaptive=bool(self.adaptive),
                        max_interval=(DEFAULT_MAX_INTERVAL if self.max_interval is None
                                      else self.max_interval))


@dataclass
class MirrorConfig:
    """The contents of one `forum-mirror.toml`."""

    path: Path
    threads: list[str] = field(default_factory=list)
    defaults: ForumSettings = field(default_factory=ForumSettings)
    forums: dict[str, ForumSettings] = field(default_factory=dict)  # by host or host:port
    profiles: dict[str, Profile] = field(default_factory=dict)  # selector profiles, by name

    def for_url(self, url: str) -> ForumSettings:
        """The settings that apply to the forum of `url` (its table over `[defaults]`)."""
        parts = urlsplit(url)
        netloc, host = parts.netloc.lower(), (parts.hostname or "").lower()
        own = self.forums.get(netloc) or self.forums.get(host) or ForumSettings()
        return own.over(self.defaults)


def default_config_path(archive: Path) -> Path:
    """Where the config lives when `--config` is not given; ArchiveError when `archive` is
    a file (it is not a config problem, though reading the file would say so)."""
    check_archive_root(archive)
    return archive / CONFIG_NAME


def user_agent(contact: str | None) -> str:
    """The User-Agent header: project, version, project URL and the operator's contact."""
    base = f"{USER_AGENT_TOKEN}/{__version__} (+{PROJECT_URL}"
    return f"{base}; contact: {contact})" if contact else f"{base})"


def check_contact(contact: str, where: str = "contact") -> str:
    """`contact` if it can go into a User-Agent header, else ConfigError naming `where`."""
    if not _CONTACT_RE.fullmatch(contact):
        raise ConfigError(
            f"{where}: {contact!r} cannot go into a User-Agent header; give an e-mail address "
            "or URL in printable ASCII, without parentheses or line breaks"
        )
    return contact


def load_config(path: Path, *, required: bool = False) -> MirrorConfig:
    """Read `path`; a missing file is an empty config unless `required`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist") from None
        use_profiles([], str(path))  # none: a thread archived with one says so
        return MirrorConfig(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    import tomllib  # only now: a scrape into a new archive has no config file to parse

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return _config_from(path, data)


def _config_from(path: Path, data: dict[str, Any]) -> MirrorConfig:
    unknown = sorted(set(data) - {"threads", "defaults", "forums", "profiles"})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: threads, defaults, "
                          "forums, profiles)")
    config = MirrorConfig(path)
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table of [profiles.NAME] tables")
    config.profiles = {name: load_profile(path, name, table) for name, table in profiles.items()}
    threads = data.get("threads", [])
    if not isinstance(threads, list):
        raise ConfigError(f"{path}: 'threads' must be a list of thread URLs")
    for index, url in enumerate(threads):
        where = f"{path}: threads[{index}]"
        if not isinstance(url, str):
            raise ConfigError(f"{where} must be a URL string, not {_type_name(url)}")
        try:
            engines_claiming(url)  # a usable URL; which engine reads it is the page's say
        except UnsupportedUrl as error:
            raise ConfigError(f"{where}: {error}") from None
        config.threads.append(url)
    config.defaults = _forum_settings(path, "defaults", data.get("defaults", {}))
    forums = data.get("forums", {})
    if not isinstance(forums, dict):
        raise ConfigError(f"{path}: 'forums' must be a table of [forums.\"HOST\"] tables")
    for host, table in forums.items():
        config.forums[host.lower()] = _forum_settings(path, f'forums."{host}"', table)
    for name, settings in [("defaults", config.defaults),
                           *((f'forums."{h}"', f) for h, f in config.forums.items())]:
        if settings.profile is not None and settings.profile not in config.profiles:
            raise ConfigError(f"{path}: {name}.profile names no profile: {settings.profile!r} "
                              f"(defined: {', '.join(config.profiles) or 'none'})")
        if settings.profile is not None and settings.engine is not None:
            raise ConfigError(f"{path}: {name} sets both engine and profile; keep one")
    # The engines `profile:NAME` of this run (an archived thread names its profile so).
    use_profiles(list(config.profiles.values()), str(path))
    return config


def _forum_settings(path: Path, name: str, table: Any) -> ForumSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table ({', '.join(FORUM_KEYS)})")
    unknown = sorted(set(table) - set(FORUM_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {name}.{unknown[0]} (known: {', '.join(FORUM_KEYS)})"
        )
    settings = ForumSettings()
    if "engine" in table:
        engine = table["engine"]
        if engine not in ENGINE_NAMES:
            raise ConfigError(f"{path}: {name}.engine must be one of {', '.join(ENGINE_NAMES)}, "
                              f"not {engine!r}")
        settings = replace(settings, engine=engine)
    if "profile" in table:
        if not isinstance(table["profile"], str) or not table["profile"]:
            raise ConfigError(f"{path}: {name}.profile must be the name of a [profiles.NAME] "
                              "table")
        settings = replace(settings, profile=table["profile"])
    if "delay" in table:
        delay = table["delay"]
        problem = ("must be a number of seconds" if isinstance(delay, bool)
                   or not isinstance(delay, int | float) else seconds_problem(delay))
        if problem:
            raise ConfigError(f"{path}: {name}.delay {problem}, not {delay!r}")
        settings = replace(settings, delay=float(delay))
    if "contact" in table:
        contact = table["contact"]
        if not isinstance(contact, str):
            raise ConfigError(f"{path}: {name}.contact must be a string, not {_type_name(contact)}")
        settings = replace(settings, contact=check_contact(contact, f"{path}: {name}.contact"))
    if "cookies" in table:
        cookies = table["cookies"]
        if not isinstance(cookies, str) or not cookies:
            raise ConfigError(f"{path}: {name}.cookies must be a file path string")
        # Relative to the config file, so the config works whatever the working directory.
        settings = replace(settings, cookies=path.parent / Path(cookies).expanduser())
    if "revisit" in table:
        revisit = table["revisit"]
        if (isinstance(revisit, bool) or not isinstance(revisit, int)
                or not 0 <= revisit <= MAX_REVISIT):
            raise ConfigError(f"{path}: {name}.revisit must be a whole number of pages from 0 "
                              f"to {MAX_REVISIT:,}, not {revisit!r}")
        settings = replace(settings, revisit=revisit)
    if "check_every" in table:
        settings = replace(settings, check_every=_duration(path, name, table, "check_every"))
    if "max_interval" in table:
        settings = replace(settings, max_interval=_duration(path, name, table, "max_interval"))
    if "adaptive" in table:
        if not isinstance(table["adaptive"], bool):
            raise ConfigError(f"{path}: {name}.adaptive must be true or false, not "
                              f"{table['adaptive']!r}")
        settings = replace(settings, adaptive=table["adaptive"])
    return settings


def _duration(path: Path, name: str, table: dict[str, Any], key: str) -> float:
    seconds = parse_duration(table[key])
    if seconds is None:
        raise ConfigError(f'{path}: {name}.{key} must be a duration such as "30m", "6h" or '
                          f'"7d" (or a number of seconds), not {table[key]!r}')
    return seconds


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        dict: "a table",
        list: "an array",
    }.get(type(value), type(value).__name__)


def add_thread(config: MirrorConfig, url: str, settings: ForumSettings) -> bool:
    """Add `url` to the threads (unless the same thread is listed) and set the given settings
    on its forum's table; return whether anything changed."""
    if not engines_claiming(url) and not (settings.reader or config.for_url(url).reader):
        raise UnsupportedUrl(f"{url} is not a thread URL of any forum engine; name its engine "
                             f"with --engine ({', '.join(ENGINE_NAMES)})")
    key = url_thread_key(url) or url  # a permalink: only its page names the thread
    changed = False
    if not any((url_thread_key(u) or u) == key for u in config.threads):
        config.threads.append(url)
        changed = True
    if settings != ForumSettings():
        host = urlsplit(url).netloc.lower()
        current = config.forums.get(host, ForumSettings())
        merged = settings.over(current)
        if merged != current:
            config.forums[host] = merged
            changed = True
    return changed


def config_toml(config: MirrorConfig) -> str:
    """The config as TOML text."""
    document: dict[str, Any] = {"threads": list(config.threads)}
    defaults = _settings_table(config.path, config.defaults)
    if defaults:
        document["defaults"] = defaults
    if config.forums:
        document["forums"] = {host: _settings_table(config.path, settings)
                              for host, settings in sorted(config.forums.items())}
    if config.profiles:
        document["profiles"] = {name: profile.table for name, profile in config.profiles.items()}
    import tomli_w  # only the commands that write the config (add) need it

    return ("# forum-mirror configuration; `forum-mirror add URL` edits it.\n\n"
            + tomli_w.dumps(document))


def _settings_table(path: Path, settings: ForumSettings) -> dict[str, Any]:
    """One forum's settings (or the defaults) as the config file spells them."""
    table: dict[str, Any] = {}
    if settings.engine is not None:
        table["engine"] = settings.engine
    if settings.profile is not None:
        table["profile"] = settings.profile
    if settings.delay is not None:
        table["delay"] = settings.delay
    if settings.contact is not None:
        table["contact"] = settings.contact
    if settings.cookies is not None:
        cookies, folder = settings.cookies.resolve(), path.parent.resolve()
        if cookies.is_relative_to(folder):  # keep it relative to the file, as it is read
            cookies = cookies.relative_to(folder)
        table["cookies"] = cookies.as_posix()
    if settings.revisit is not None:
        table["revisit"] = settings.revisit
    if settings.check_every is not None:
        table["check_every"] = duration_text(settings.check_every)
    if settings.adaptive is not None:
        table["adaptive"] = settings.adaptive
    if settings.max_interval is not None:
        table["max_interval"] = duration_text(settings.max_interval)
    return table


def write_config(config: MirrorConfig) -> None:
    """Write the config file atomically (temporary file, then rename)."""
    atomic_write_bytes(config.path, config_toml(config).encode("utf-8"))
