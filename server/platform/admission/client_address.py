"""The client's address: the connecting peer, or what trusted proxies say it is.

Each proxy appends the address it received the request from to
`X-Forwarded-For` (or, per RFC 7239, a `for=` element to `Forwarded`); a
client may write anything in front. So the chain is read from the right,
starting at the peer: while the address at hand is a trusted proxy, the
entry before it says who that proxy heard from. The first untrusted
address is the client; entries left of it are the client's own claims and
are never believed. An untrusted peer's headers are ignored altogether.

The REST bridge is such a proxy (it appends its HTTP peer), so REST and
direct gRPC calls are resolved by this one reader. The operator names which
header their proxies write (`proxy_header`): reading the other one would
believe whatever a client put there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Literal, TypeAlias

IpAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
ProxyHeader: TypeAlias = Literal["x-forwarded-for", "forwarded"]

# Loopback: the bridge in front of this server, and a proxy on the same host.
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1/128")


def peer_ip(peer: str) -> str:
    """The address part of a gRPC peer string (ipv4:1.2.3.4:5, ipv6:[::1]:5)."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]")
    return rest or peer


def parse_networks(entries: Iterable[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or CIDR networks; ValueError names the first that is neither."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


def _address(text: str) -> IpAddress | None:
    """An IP address written alone, with a port, or in brackets; IPv4-mapped IPv6 as IPv4."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _forwarded_for(header: str) -> list[str]:
    """The `for=` values of an RFC 7239 `Forwarded` header, in order ("" where an element has none)."""
    hops = []
    for element in header.split(","):
        value = ""
        for pair in element.split(";"):
            name, _, given = pair.partition("=")
            if name.strip().lower() == "for":
                value = given
        hops.append(value)
    return hops


class ClientAddresses:
    def __init__(
        self, trusted_proxies: Iterable[str] = DEFAULT_TRUSTED_PROXIES, header: ProxyHeader = "x-forwarded-for"
    ) -> None:
        self._trusted = parse_networks(trusted_proxies)
        self._header = header
        # The same few peers and proxies call again and again: parse each once.
        self._read = lru_cache(maxsize=4096)(self._read_uncached)

    def _read_uncached(self, text: str) -> tuple[str, bool] | None:
        """An address as text (normalised) and whether it is a trusted proxy; None if it is none."""
        address = _address(text)
        if address is None:
            return None
        return str(address), any(address in network for network in self._trusted)

    def _chain(self, metadata: Mapping[str, str]) -> list[str]:
        value = metadata.get(self._header, "")
        if not value:
            return []
        return _forwarded_for(value) if self._header == "forwarded" else value.split(",")

    def resolve(self, peer: str, metadata: Mapping[str, str]) -> str:
        """The client's address for a call from gRPC peer `peer` with these (lower-case) metadata."""
        direct = peer_ip(peer)
        read = self._read(direct)
        if read is None:
            return direct
        address, trusted = read
        if not trusted:
            return address
        for hop in reversed(self._chain(metadata)):
            reported = self._read(hop)
            if reported is None:
                break  # a trusted proxy reported no usable address: it is the last one known
            address, trusted = reported
            if not trusted:
                break
        return address
