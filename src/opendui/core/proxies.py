"""The client's address behind reverse proxies (pure: no Django import).

Behind the documented HTTPS proxy every request comes from the proxy's address, so the
login throttles and the audit trail would see one client. The proxy appends the address
it received the request from to `X-Forwarded-For`; every entry to the left of it may
have been written by the client itself. So the header is read only when
`OPENDUI_TRUSTED_PROXIES` says which hops are ours, and only from the right:

- a number N: the last N hops (REMOTE_ADDR included) are our proxies; the client is the
  address the outermost of them received the request from;
- addresses or networks (comma-separated): hops are walked from the right while they are
  trusted; the first untrusted one is the client.

Empty: `X-Forwarded-For` is ignored and REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from opendui.core.identifiers import ascii_digits

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """What OPENDUI_TRUSTED_PROXIES names: a count of hops, or the proxies' networks."""

    count: int = 0
    networks: tuple[Network, ...] = ()

    @property
    def configured(self) -> bool:
        return self.count > 0 or bool(self.networks)

    def trusts(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in self.networks)


def parse_trusted_proxies(value: str) -> TrustedProxies:
    """Read the setting; raise ValueError with an explanation when it is malformed."""
    value = (value or "").strip()
    if not value:
        return TrustedProxies()
    if ascii_digits(value):
        count = int(value)
        if count > 10:
            raise ValueError(f"OPENDUI_TRUSTED_PROXIES: {count} proxies in a row is implausible")
        return TrustedProxies(count=count)
    networks = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"OPENDUI_TRUSTED_PROXIES: {item!r} is neither an address nor a network"
            ) from None
    return TrustedProxies(networks=tuple(networks))


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:  # "[2001:db8::1]:443"
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:  # "203.0.113.7:51234"
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(remote_addr: str, forwarded_for: str, trusted: TrustedProxies) -> str | None:
    """The client's address in compressed form, or None when it cannot be told."""
    remote = _address(remote_addr or "")
    if remote is None:
        return None
    if not trusted.configured or not forwarded_for:
        return remote.compressed
    hops = [_address(part) for part in forwarded_for.split(",")]
    if trusted.count:
        # REMOTE_ADDR is the innermost proxy; the N-1 entries at the right end of the header
        # were appended by the other proxies; the one before them is the client.
        chain = [*hops, remote]
        if len(chain) <= trusted.count:
            return remote.compressed  # fewer hops than proxies: not through the proxies
        client = chain[-(trusted.count + 1)]
        return client.compressed if client is not None else remote.compressed
    if not trusted.trusts(remote):
        return remote.compressed  # the request did not come through our proxy
    current = remote
    for hop in reversed(hops):
        if hop is None:
            return current.compressed  # a garbled entry: keep the last hop we could read
        if not trusted.trusts(hop):
            return hop.compressed
        current = hop
    return current.compressed
