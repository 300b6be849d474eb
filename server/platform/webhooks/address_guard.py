"""Where deliveries may go: HTTPS URLs whose host is a public address (SSRF guard).

A URL is checked when it is registered and again at every delivery, on the
addresses DNS answers then; the request goes to the address that was checked
(the host name kept for SNI, certificate and Host), so a DNS answer that changes
in between cannot point a delivery inside. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedUrl(ValueError):
    """The URL is not one deliveries may go to (the message says why)."""


def parse(url: str) -> tuple[str, int]:
    """The URL's host and port; refuses anything but an absolute https:// URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise RefusedUrl("url is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise RefusedUrl("url must be an https:// URL")
    if not parts.hostname:
        raise RefusedUrl("url must name a host")
    if parts.username or parts.password:
        raise RefusedUrl("url must not carry credentials")
    return parts.hostname, port


def literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[IpAddress]:
    """The host's addresses, IPv4 first."""
    found = literal(host)
    if found is not None:
        return [found]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RefusedUrl(f"{host} does not resolve ({exc.strerror})") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    return sorted(addresses, key=lambda a: a.version)


async def allowed_addresses(host: str, port: int, allow_private: bool) -> list[IpAddress]:
    """The addresses a delivery to `host` may connect to; refuses if any is not public."""
    addresses = await resolve(host, port)
    if not allow_private:
        inside = [str(a) for a in addresses if not is_public(a)]
        if inside:
            raise RefusedUrl(f"{host} resolves to a non-public address ({', '.join(inside)})")
    return addresses


async def check_registration(url: str, allow_private: bool) -> None:
    """At registration: https, and a host that is (or resolves to) public addresses only.
    A name that does not resolve yet is accepted; each delivery checks again."""
    host, port = parse(url)
    try:
        addresses = await resolve(host, port)
    except RefusedUrl:
        return
    inside = [str(a) for a in addresses if not is_public(a)]
    if inside and not allow_private:
        raise RefusedUrl(f"url points to a non-public address ({', '.join(inside)})")
