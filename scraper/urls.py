"""Canonical URLs: the one place a URL's origin is normalised, before it names or reaches anything.

A thread has one folder however its URL is spelled. The scheme and host are lower-cased,
an internationalised host name is written in punycode (IDNA 2003, Python's `idna` codec),
a trailing dot and the scheme's default port are dropped, and for a thread's identity the
fragment goes. Path and query stay as they are: the board decides what they mean.

A user name or password in a URL is never sent nor stored: a thread URL carrying one is
refused (cookies are how to log in to a board), and one found on a page is dropped from it.
A URL this module cannot read raises `UnsupportedUrl` (thread URLs) or gives None (URLs on
a page), never another exception.
"""

from __future__ import annotations

import encodings.idna
import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, urljoin, urlsplit, urlunsplit

from .errors import UnsupportedUrl

# RFC 9110 section 4.1 asks for at least 8000 octets; longer is not a URL a board links to.
MAX_URL_LENGTH = 8000
MAX_HOST_LENGTH = 253  # RFC 1035 section 2.3.4, without the trailing dot
DEFAULT_PORTS = {"http": 80, "https": 443}
# The rule a thread key (its folder name) obeys; archive readers check the same rule.
THREAD_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")
MAX_THREAD_KEY_LENGTH = 200

# Host names as RFC 1123 allows them, after IDNA: letters, digits, inner hyphens.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A host whose last label is a number is an IPv4 address (as browsers read it), or nothing.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_PORT = re.compile(r"[0-9]{1,5}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
SHOWN_LENGTH = 200
# Every link of a page names the same few hosts: each spelling is read once (IDNA and
# address parsing cost more than the rest of a URL), up to this many spellings.
_KNOWN_HOSTS_LIMIT = 4096
_known_hosts: dict[str, tuple[str, int | None]] = {}


@dataclass(frozen=True)
class Origin:
    """A URL's scheme, host and port, canonical: two spellings of one origin compare equal."""

    scheme: str  # "http" or "https"
    host: str  # punycode name, dotted IPv4, or compressed IPv6 (without brackets)
    port: int | None  # None: the scheme's default port

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}"


def shown(url: str) -> str:
    """`url` as messages and logs may show it: user name and password masked, length capped."""
    masked = _USERINFO.sub(r"\1***@", url)
    return masked if len(masked) <= SHOWN_LENGTH else masked[:SHOWN_LENGTH] + "..."


# Asked again and again of the same few URLs: each engine's `matches` canonicalises the URL
# it is given (one thread's engine lookups took some 45 calls), and so do its parsing and its
# state (a tenth of a small thread's CPU time in a run of a thousand). A cache holds far
# more than a run's threads; errors (UnsupportedUrl) are not cached.
@functools.lru_cache(maxsize=8192)
def canonical_url(url: str) -> str:
    """The one spelling of a thread URL; `UnsupportedUrl` if it is not a usable http(s) URL
    or carries a user name or password."""
    parts, origin = _parse(url, drop_userinfo=False)
    return urlunsplit((origin.scheme, origin.netloc, _spaces_encoded(parts.path) or "/",
                       _spaces_encoded(parts.query), ""))


@functools.lru_cache(maxsize=8192)  # as canonical_url: each lane asks it of every URL it sends
def origin_of(url: str) -> Origin:
    """The canonical origin of an http(s) URL; `UnsupportedUrl` as for `canonical_url`."""
    return _parse(url, drop_userinfo=False)[1]


def page_url(value: str, base: str) -> str | None:
    """A URL found on the page at `base`, made absolute: http(s) ones with a canonical origin
    and no user name or password, others as joined; None if it cannot be read at all."""
    value = value.strip()
    if value.startswith("/") and not value.startswith("//"):
        # A path from the root means the same on every page of a site: read it once per
        # site (each post repeats its author's links, each page the same avatars).
        base = _site_root(base)
        if _PLAIN_PATH.fullmatch(value) and (origin := _root_origin(base)) is not None:
            # A plain path (each post's own permalinks are one of a kind: no cache helps
            # them) needs no joining: nothing in it for urljoin to resolve or drop.
            joined = origin + value
            if len(joined) <= MAX_URL_LENGTH:
                return joined
    return _page_url(value, base)


# A path that joins to a root as it is: no dot segment, empty segment (urljoin drops them),
# parameters, query or fragment, white space (encoded) or control character.
_PLAIN_PATH = re.compile(r"(?:/(?!\.{1,2}(?:/|$))[^/?#;\s\x00-\x1f\x7f]+)+/?")


@functools.lru_cache(maxsize=1024)
def _root_origin(root: str) -> str | None:
    """The canonical `scheme://host[:port]` of a site root, or None when it is not one."""
    try:
        return str(_parse(root, drop_userinfo=True)[1])
    except UnsupportedUrl:
        return None


@functools.lru_cache(maxsize=1024)
def _site_root(base: str) -> str:
    """`base` without its path, query and fragment: all a root path is joined with."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return base  # unreadable: joining fails the same way
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


@functools.lru_cache(maxsize=16384)
def _page_url(value: str, base: str) -> str | None:
    try:
        joined = urljoin(base, value)
        scheme = urlsplit(joined).scheme
    except ValueError:  # e.g. "http://[::1/x": an unbalanced IPv6 bracket
        return None
    if scheme not in DEFAULT_PORTS:
        return joined  # mailto:, ftp: ... are not ours to canonicalise; never fetched either
    try:
        parts, origin = _parse(joined, drop_userinfo=True)
    except UnsupportedUrl:
        return None
    return urlunsplit((origin.scheme, origin.netloc, _spaces_encoded(parts.path) or "/",
                       _spaces_encoded(parts.query),
                       parts.fragment))


def same_site(first: str, second: str) -> bool:
    """Whether two URLs are on one board: the same origin, or one that differs only by the
    board's own http -> https (default ports) or `www.` prefix. False for unreadable URLs."""
    try:
        a, b = _parse(first, drop_userinfo=True)[1], _parse(second, drop_userinfo=True)[1]
    except UnsupportedUrl:
        return False
    if a.host.removeprefix("www.") != b.host.removeprefix("www."):
        return False
    return (a.scheme, a.port) == (b.scheme, b.port) or (a.port is None and b.port is None)


def thread_key(origin: Origin, thread_id: str) -> str:
    """The folder name of a thread: host, `_port` when not the default, `-` and its id
    (e.g. `127.0.0.1_8765-2741`); `UnsupportedUrl` if that is no valid key. A numeric id
    loses its leading zeros (`x.007` is thread 7), whichever engine read it."""
    if thread_id.isascii() and thread_id.isdigit():
        thread_id = thread_id.lstrip("0") or "0"
    host = origin.host
    if ":" in host:  # IPv6: every group spelled out, so the name starts with a digit
        host = ipaddress.IPv6Address(host).exploded.replace(":", "_")
    port = "" if origin.port is None else f"_{origin.port}"
    key = f"{host}{port}-{thread_id}"
    if len(key) > MAX_THREAD_KEY_LENGTH or THREAD_KEY.fullmatch(key) is None:
        raise UnsupportedUrl(
            f"{shown(str(origin))} thread {thread_id[:20]!r} gives no usable folder name "
            f"(at most {MAX_THREAD_KEY_LENGTH} of a-z 0-9 . _ -): the host name or thread id "
            "is too long or unusual"
        )
    return key


def _spaces_encoded(text: str) -> str:
    """`text` with its white space percent-encoded, as browsers send it: a URL read back
    is stripped of white space at its ends, so a space that ends a path must not be bare."""
    return _WHITESPACE.sub(lambda space: quote(space.group()), text)


def _parse(url: str, *, drop_userinfo: bool) -> tuple[SplitResult, Origin]:
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise UnsupportedUrl(f"{shown(text)} is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL.search(text):
        raise UnsupportedUrl(f"{shown(text)!r} contains control characters")
    try:
        parts = urlsplit(text)
    except ValueError as error:  # unbalanced [ ], or a netloc that NFKC turns into / ? # @
        raise UnsupportedUrl(f"{shown(text)} is not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UnsupportedUrl(f"{shown(text)} is not an http or https URL")
    _, at, hostport = parts.netloc.rpartition("@")
    if at and not drop_userinfo:
        raise UnsupportedUrl(
            f"{shown(text)} carries a user name or password, which forum-mirror never sends "
            "or stores; to read a board as a logged-in member, export its cookies and pass "
            "--cookies FILE"
        )
    host, port = _host_and_port(hostport, text)
    if port == DEFAULT_PORTS[scheme]:
        port = None
    return parts, Origin(scheme, host, port)


def _host_and_port(hostport: str, url: str) -> tuple[str, int | None]:
    """The canonical host and port of a URL's `host[:port]`; `UnsupportedUrl` names `url`."""
    known = _known_hosts.get(hostport)
    if known is not None:
        return known
    found = _read_host_and_port(hostport, url)
    if len(_known_hosts) < _KNOWN_HOSTS_LIMIT:  # refusals are not kept: they name their URL
        _known_hosts[hostport] = found
    return found


def _read_host_and_port(hostport: str, url: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        literal, _, port_part = hostport[1:].partition("]")
        host = _ipv6(literal, url)
    else:
        name, colon, port = hostport.partition(":")
        host, port_part = _host_name(name, url), colon + port
    if port_part in ("", ":"):  # "host:" means the default port, as browsers read it
        return host, None
    digits = port_part.removeprefix(":")
    if (not port_part.startswith(":") or _PORT.fullmatch(digits) is None
            or not 0 < int(digits) < 2**16):
        raise UnsupportedUrl(f"{shown(url)} has no valid port (1-65535) after its host")
    return host, int(digits)


def _ipv6(literal: str, url: str) -> str:
    if "%" in literal:
        raise UnsupportedUrl(f"{shown(url)}: IPv6 zone identifiers are not supported")
    try:
        return ipaddress.IPv6Address(literal).compressed
    except ValueError:
        raise UnsupportedUrl(f"{shown(url)} has no valid IPv6 address in [ ]") from None


def _host_name(name: str, url: str) -> str:
    name = name.removesuffix(".")  # "example.com." is the same host, fully qualified
    if not name:
        raise UnsupportedUrl(f"{shown(url)} has no host")
    try:
        host = name.encode("idna").decode("ascii").lower()
        labels = host.split(".")
        for label in labels:
            if label.startswith("xn--"):
                encodings.idna.ToUnicode(label)  # an A-label must decode and round-trip
    except UnicodeError:
        raise UnsupportedUrl(f"{shown(url)} has no valid host name") from None
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise UnsupportedUrl(f"{shown(url)} has no valid IPv4 address") from None
    if len(host) > MAX_HOST_LENGTH or not all(_LABEL.fullmatch(label) for label in labels):
        raise UnsupportedUrl(
            f"{shown(url)} has no valid host name (letters, digits, inner hyphens, dots)"
        )
    return host
