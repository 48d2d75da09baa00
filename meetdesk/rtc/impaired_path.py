"""Putting a participant's media behind an :class:`~meetdesk.rtc.impair.ImpairedLink`.

:class:`ImpairedPeerConnection` is an ``RTCPeerConnection`` whose ICE can only meet the server through its
link, whoever offers first:

- it gathers host candidates on 127.0.0.1 only (:func:`meetdesk.rtc.ice.limit_host_candidates`), so the
  relay sees one participant address;
- the description it gives the server (``localDescription``) names the relay's server-facing socket as
  its only candidate, so the server's checks and media go through the relay;
- the description it takes from the server (``setRemoteDescription``) names the relay's participant-facing
  socket as the server's only candidate, and tells the relay where the server really is (its first IPv4
  candidate on this computer).

:class:`ImpairedNetwork` is the factory a :class:`~meetdesk.client.session.MeetingSession` takes
(``peer_connection=``): one link per peer connection (publisher and subscriber, and the new ones built on
reconnection), all shaped alike, so a test or bench sets the impairment once for the participant.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal, Protocol

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from meetdesk.core.addresses import is_local_address

from .ice import limit_host_candidates
from .impair import LOOPBACK, Address, Direction, DirectionStats, ImpairedLink, Impairment

_CANDIDATE = re.compile(r"^a=candidate:(\S+) (\d+) (udp) (\d+) (\S+) (\d+) typ (\S+)(.*)$", re.IGNORECASE)


def route_candidates(sdp: str, address: Address) -> tuple[str, Address | None]:
    """``sdp`` with, per media section, its first IPv4 UDP host candidate on this computer moved to ``address``
    and every other candidate gone; and the address that candidate had (None: it had none)."""
    lines = sdp.split("\r\n")
    out: list[str] = []
    found: Address | None = None
    kept_in_section = False
    for line in lines:
        if line.startswith("m="):
            kept_in_section = False
        match = _CANDIDATE.match(line)
        if match is None:
            out.append(line)
            continue
        foundation, component, transport, priority, host, port, kind, rest = match.groups()
        if kept_in_section or component != "1" or kind != "host" or ":" in host or not is_local_address(host):
            continue
        found = found or (host, int(port))
        kept_in_section = True
        out.append(f"a=candidate:{foundation} 1 {transport} {priority} {address[0]} {address[1]} typ host{rest}")
    return "\r\n".join(out), found


class LinkEnds(Protocol):
    """What a peer connection needs of its link: an :class:`ImpairedLink` here, or one in another process
    (:class:`meetdesk.rtc.relay_service.RemoteLink`)."""

    #: where the relay sends what the participant sends (set once the server's description is known)
    server: Address | None

    async def start(self) -> object: ...

    @property
    def client_address(self) -> Address: ...

    @property
    def server_address(self) -> Address: ...

    def close(self) -> None: ...


class ImpairedPeerConnection(RTCPeerConnection):
    """A peer connection that reaches the server through ``link`` only (module docstring)."""

    def __init__(self, configuration: RTCConfiguration, link: LinkEnds) -> None:
        super().__init__(configuration)
        self.link = link

    @property
    def localDescription(self) -> RTCSessionDescription:
        description = super().localDescription
        if description is None:
            return description
        sdp, _ = route_candidates(description.sdp, self.link.server_address)
        return RTCSessionDescription(sdp=sdp, type=description.type)

    async def setLocalDescription(self, sessionDescription: RTCSessionDescription | None = None) -> None:
        await self.link.start()
        limit_host_candidates(self, [LOOPBACK])  # gathering starts in setLocalDescription
        await super().setLocalDescription(sessionDescription)

    async def setRemoteDescription(self, sessionDescription: RTCSessionDescription) -> None:
        await self.link.start()
        sdp, server = route_candidates(sessionDescription.sdp, self.link.client_address)
        if server is not None:
            self.link.server = server
        await super().setRemoteDescription(RTCSessionDescription(sdp=sdp, type=sessionDescription.type))

    async def close(self) -> None:
        await super().close()
        self.link.close()


class LinkGroup:
    """Links shaped alike: :meth:`set` applies to every link now and to come, :meth:`total` sums their counts.
    ``seed`` makes each link's loss and jitter repeatable."""

    def __init__(self, seed: int | None = None) -> None:
        self.links: list[ImpairedLink] = []
        self._seed = seed
        self._impairments: dict[Direction, Impairment] = {"up": Impairment(), "down": Impairment()}

    def new_link(self) -> ImpairedLink:
        """A new link of the group, shaped as the others (its sockets open on first use)."""
        link = ImpairedLink(seed=None if self._seed is None else self._seed + len(self.links))
        for direction, impairment in self._impairments.items():
            link.set(direction, impairment)
        self.links.append(link)
        return link

    def set(
        self, direction: Direction | Literal["both"], impairment: Impairment | None = None, **changes: object
    ) -> None:
        """As :meth:`ImpairedLink.set`, for the group's links now and to come."""
        directions: tuple[Direction, ...] = ("up", "down") if direction == "both" else (direction,)
        for name in directions:
            self._impairments[name] = replace(impairment or self._impairments[name], **changes)  # type: ignore[arg-type]
            for link in self.links:
                link.set(name, self._impairments[name])

    def total(self, direction: Direction) -> DirectionStats:
        """The counts of every link of the group, summed."""
        total = DirectionStats()
        for link in self.links:
            for name, value in vars(link.stats(direction)).items():
                setattr(total, name, getattr(total, name) + value)
        return total


class ImpairedNetwork(LinkGroup):
    """One participant's network: a link per peer connection, every one shaped by :meth:`set` alike.
    ``seed`` makes each link's loss and jitter repeatable."""

    def peer_connection(self, configuration: RTCConfiguration) -> RTCPeerConnection:
        """A new peer connection behind a new link of this network (its sockets open on first use)."""
        return ImpairedPeerConnection(configuration, self.new_link())

    def close(self) -> None:
        for link in self.links:
            link.close()
