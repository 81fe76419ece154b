"""The client's IP address: the peer's, or what trusted proxies say in X-Forwarded-For.

Rate limits and the audit log are keyed by it, so a client must not be able to choose it: the
header is believed only as far as it was written by proxies listed in VOLT_TRUSTED_PROXIES.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import HTTPConnection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A real chain has a handful of proxies; walking a client-sent header of thousands of entries
# would be work done for an attacker. Past this many hops the nearest trusted one is the answer.
MAX_FORWARDED_HOPS = 16
UNKNOWN_CLIENT = "unknown"


def parse_networks(items: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Settings' `trusted_proxies` (IPs or CIDR) as networks; a bare IP is a /32 or /128."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items)


def client_ip(conn: HTTPConnection, trusted: Sequence[IPNetwork]) -> str:
    """The peer address, unless the peer is a trusted proxy: then X-Forwarded-For is walked from
    the right (the entry the nearest proxy appended), skipping trusted hops, and the first
    untrusted address is the client. Entries further left were written by the client itself.

    A malformed entry stops the walk at the last address that is known to be genuine.
    """
    peer_host = conn.client.host if conn.client else None
    peer = parse_ip(peer_host)
    if peer is None:
        return peer_host or UNKNOWN_CLIENT  # Unix socket, or a test client named "testclient"
    if not _is_trusted(peer, trusted):
        return str(peer)
    current = peer
    for hop in list(reversed(_forwarded_for(conn)))[:MAX_FORWARDED_HOPS]:
        address = parse_ip(hop)
        if address is None:
            break
        current = address
        if not _is_trusted(address, trusted):
            break
    return str(current)


def parse_ip(text: str | None) -> IPAddress | None:
    """An address, tolerating the forms proxies write: `1.2.3.4:port`, `[v6]:port`, `[v6]`.

    IPv4-mapped IPv6 (`::ffff:1.2.3.4`, from dual-stack sockets) becomes the IPv4 address, so that
    one client has one identity and IPv4 proxy networks match.
    """
    if not text:
        return None
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port; bare IPv6 has several colons
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in trusted)


def _forwarded_for(conn: HTTPConnection) -> list[str]:
    # Several X-Forwarded-For headers mean the same as one joined by commas (RFC 9110 §5.3).
    return [
        item.strip()
        for header in conn.headers.getlist("x-forwarded-for")
        for item in header.split(",")
    ]
