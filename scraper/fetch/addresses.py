"""Refusal of non-public addresses, before any connection is attempted.

A forum page decides which asset URLs we fetch, so a hostile post could point us at the
archivist's own network (a router, a cloud metadata service at 169.254.169.254). Hosts that
resolve to private, loopback, link-local, multicast or reserved addresses are refused unless
their origin (scheme, host and port: another port of the same host is another service) is
in `allow_private_origins` (the CLI adds those of the thread URLs it is given) or
`allow_private_addresses` is set.

The check resolves the name itself and httpx resolves it again to connect, so a DNS server
that answers differently the second time is not stopped; literal addresses always are.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

from ..errors import FetchFailed, UnsupportedUrl
from ..urls import origin_of

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def non_public_kind(address: Address) -> str | None:
    """Why `address` is not a public one ("private", "loopback", ...), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return kind
    return None if address.is_global else "non-public"


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[Address]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []  # the connection attempt will fail and say why
    # IPv6 results may carry a zone ("fe80::1%eth0"), which ip_address() rejects.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


class PrivateAddressGuard:
    """Raises `FetchFailed` for URLs whose host is, or resolves to, a non-public address."""

    def __init__(self, allow_origins: frozenset[str], *, allow_all: bool = False) -> None:
        self._allow_origins = frozenset(str(origin_of(origin)) for origin in allow_origins)
        self._allow_all = allow_all
        self._refusals: dict[str, str | None] = {}  # host -> why it is refused, None if not
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        """Raise `FetchFailed` unless `url` may be fetched."""
        try:
            origin = origin_of(url)
        except UnsupportedUrl as error:
            raise FetchFailed(f"not fetched: {error}") from None
        if self._allow_all or str(origin) in self._allow_origins:
            return
        host = origin.host
        with self._lock:
            known = host in self._refusals
            why = self._refusals.get(host)
        if not known:
            why = self._why_refused(host, origin.effective_port)
            with self._lock:
                self._refusals[host] = why
        if why:
            raise FetchFailed(
                f"refusing {url}: {why}; pass --allow-private-addresses if you mean it"
            )

    @staticmethod
    def _why_refused(host: str, port: int) -> str | None:
        for address in _resolve(host, port):
            kind = non_public_kind(address)
            if kind is None:
                continue
            if _literal(host) is not None:
                return f"{address} is a {kind} address"
            return f"{host} resolves to {address}, a {kind} address"
        return None
