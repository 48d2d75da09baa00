"""This computer's network addresses, and which hosts are loopback: what "Share on the network" offers and
what the SFU may announce for ICE. Reads the interface list (``ifaddr``, which aioice uses too); opens no
socket."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ifaddr

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class LocalAddress:
    """One address of one interface (``interface`` is its name as the system shows it, e.g. ``eth0``)."""

    interface: str
    address: str

    @property
    def version(self) -> int:
        return ipaddress.ip_address(self.address).version


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this computer only."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_unspecified(host: str) -> bool:
    """``0.0.0.0`` or ``::``: every interface."""
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_unspecified
    except ValueError:
        return False


def local_addresses() -> list[LocalAddress]:
    """Addresses others may reach this computer at: IPv4 first, then global IPv6; no loopback or link-local
    address (those need a scope, or reach nobody else)."""
    found: list[LocalAddress] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            raw = ip.ip if isinstance(ip.ip, str) else ip.ip[0]
            try:
                address = ipaddress.ip_address(raw)
            except ValueError:
                continue
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            found.append(LocalAddress(adapter.nice_name or adapter.name, str(address)))
    return sorted(found, key=lambda a: a.version)


def is_local_address(host: str) -> bool:
    """Whether ``host`` is an address of one of this computer's interfaces (loopback included)."""
    host = host.strip().strip("[]")
    if is_loopback(host):
        return True
    try:
        wanted = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ipaddress.ip_address(a.address) == wanted for a in local_addresses())
