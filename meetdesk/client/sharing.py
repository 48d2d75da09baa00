""" "Share on the network" for the embedded server: where it listens and the address room links use.

Off (the default), the embedded server listens on loopback and its links work on this computer only.
On, it listens on the chosen address (one of this computer's, or every interface) and serves HTTPS with
its own certificate; links name the address others reach it at, which may differ from the one it listens
on (a name, ``meet.lan``, or the address of a router that forwards to it). Kept in the embedded server's
data dir (``sharing.json``), next to the server it configures; no secret in it.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from meetdesk.core.addresses import is_local_address, is_loopback, is_unspecified, local_addresses

logger = logging.getLogger(__name__)

FILE = "sharing.json"
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - offered on purpose, as "every interface", with TLS
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


class SharingProblem(enum.Enum):
    """Why settings cannot be used (the dialog says it in words, next to the field)."""

    NO_NETWORK = "no_network"  # listen: none chosen
    NOT_THIS_COMPUTER = "not_this_computer"  # listen: an address this computer does not have (any more)
    NO_ADDRESS = "no_address"  # address: empty
    SPACE = "space"  # address: has a space
    NOT_AN_ADDRESS = "not_an_address"  # address: neither an IP address nor a host name
    LOOPBACK = "loopback"  # either: reaches this computer only


@dataclass(frozen=True)
class NetworkSharing:
    """``listen``: the address to bind (one of this computer's, or ``0.0.0.0``); ``address``: the host room
    links use (an IP address or a DNS name)."""

    enabled: bool = False
    listen: str = ""
    address: str = ""

    @classmethod
    def load(cls, data_dir: Path) -> NetworkSharing:
        try:
            raw = json.loads((data_dir / FILE).read_text(encoding="utf-8"))
            return cls(bool(raw.get("enabled")), str(raw.get("listen", "")), str(raw.get("address", "")))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning("Ignoring unreadable sharing settings in %s (%s)", data_dir, type(exc).__name__)
            return cls()

    def save(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / (FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, data_dir / FILE)

    @property
    def active(self) -> bool:
        """On, with addresses to use (a half-filled setting never reaches the server)."""
        return self.enabled and bool(self.listen) and bool(self.address)

    @property
    def bind_host(self) -> str:
        return self.listen if self.active else "127.0.0.1"

    def base_url(self, port: int) -> str:
        """The address of the server as room links name it."""
        if not self.active:
            return f"http://127.0.0.1:{port}"
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"https://{host}:{port}"

    def problems(self) -> dict[str, SharingProblem]:
        """What is wrong, by field (``listen``, ``address``); empty when it can be used (or when off)."""
        if not self.enabled:
            return {}
        found: dict[str, SharingProblem] = {}
        if not self.listen:
            found["listen"] = SharingProblem.NO_NETWORK
        elif is_loopback(self.listen):
            found["listen"] = SharingProblem.LOOPBACK
        elif not is_unspecified(self.listen) and not is_local_address(self.listen):
            found["listen"] = SharingProblem.NOT_THIS_COMPUTER
        address = self.address.strip()
        if not address:
            found["address"] = SharingProblem.NO_ADDRESS
        elif any(ch.isspace() for ch in address):
            found["address"] = SharingProblem.SPACE
        elif not _is_host(address):
            found["address"] = SharingProblem.NOT_AN_ADDRESS
        elif is_loopback(address):
            found["address"] = SharingProblem.LOOPBACK
        return found


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return bool(_HOSTNAME.match(text))
    return True


def suggested_addresses() -> list[tuple[str, str]]:
    """(address, interface name) for each address of this computer others may reach, IPv4 first."""
    return [(a.address, a.interface) for a in local_addresses()]
