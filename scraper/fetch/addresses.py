"""Refusal of non-public addresses, before any connection is attempted.

A forum page decides which asset URLs we fetch, so a hostile post could point us at the
archivist's own network (a router, a cloud metadata service at 169.254.169.254). Hosts that
resolve to private, loopback, link-local, multicast or reserved addresses are refused unless
named in `allow_private_hosts` (the CLI adds the hosts of the thread URLs it is given) or
`allow_private_addresses` is set.

The check resolves the name itself and httpx resolves it again to connect, so a DNS server
that answers differently the second time is not stopped; literal addresses always are.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import httpx

from ..errors import FetchFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def url_host(url: str) -> str:
    """The host of `url` as the guard compares it (lower case), "" if `url` has none."""
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return ""


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

    def __init__(self, allow_hosts: frozenset[str], *, allow_all: bool = False) -> None:
        self._allow_hosts = frozenset(host.lower() for host in allow_hosts)
        self._allow_all = allow_all
        self._refusals: dict[str, str | None] = {}  # host -> why it is refused, None if not
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        """Raise `FetchFailed` unless `url` may be fetched."""
        parsed = httpx.URL(url)
        host = parsed.host
        if self._allow_all or host in self._allow_hosts:
            return
        with self._lock:
            known = host in self._refusals
            why = self._refusals.get(host)
        if not known:
            why = self._why_refused(host, parsed.port or (443 if parsed.scheme == "https" else 80))
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
