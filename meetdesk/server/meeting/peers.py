"""The media router's picture of each participant: its two peer connections, what it publishes and what it gets.

:class:`PeerMedia` holds one participant's publisher and subscriber connections, the tracks it publishes
(:class:`Published`, a camera with its simulcast low layer) and its subscriptions to the others' tracks with
their layers, pauses and downlink estimate. :class:`IceConfig` makes the peer connections; :func:`checked_sdp`
refuses SDP the SFU will not hand to aiortc.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection

from meetdesk.core.errors import BadRequest, ErrorCode
from meetdesk.core.simulcast import Layer, TileSize
from meetdesk.rtc import sdp as sdp_check
from meetdesk.rtc.ice import HostLimitedPeerConnection
from meetdesk.server.meeting.downlink import Downlink
from meetdesk.server.meeting.layer_watch import FullLayerWatch
from meetdesk.server.sfu import Subscription, TrackForwarder


@dataclass(frozen=True)
class IceConfig:
    """ICE servers for real networks; none by default (host candidates suffice on a LAN or loopback).
    ``host_addresses``: the only addresses to offer host candidates on (empty: every interface)."""

    urls: tuple[str, ...] = ()
    username: str | None = None
    credential: str | None = None
    host_addresses: tuple[str, ...] = ()

    def rtc(self) -> RTCConfiguration:
        servers = [RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential)]
        return media_configuration(servers if self.urls else [])

    def peer_connection(self) -> RTCPeerConnection:
        if self.host_addresses:
            return HostLimitedPeerConnection(self.rtc(), self.host_addresses)
        return RTCPeerConnection(self.rtc())


def media_configuration(ice_servers: list[RTCIceServer]) -> RTCConfiguration:
    """Max-bundle: every track on one transport. With aiortc's default (balanced) a third track of a kind
    gets a transport of its own that never connects, and its sender never starts."""
    return RTCConfiguration(iceServers=ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@dataclass(eq=False)
class Published:
    forwarder: TrackForwarder
    identity: str
    source: str
    mid: str
    #: "<identity>/<mid>": names the track in ParticipantInfo.tracks. A republished or restarted track
    #: can get the key of an earlier one: subscriptions are matched by forwarder, not by key alone.
    key: str
    #: a camera's low layer (simulcast), and the mid it comes on
    low: TrackForwarder | None = None
    low_mid: str | None = None
    #: whether the full layer arrives (made with the low layer; the publisher stops the full one on a thin uplink)
    watch: FullLayerWatch | None = None

    def layer(self, layer: Layer) -> TrackForwarder:
        """The forwarder of ``layer`` (the full one when there is no usable low layer; the low one for either
        while the full one does not arrive)."""
        if (layer is Layer.LOW or self.full_idle) and self.has_low:
            assert self.low is not None
            return self.low
        return self.forwarder

    @property
    def has_low(self) -> bool:
        return self.low is not None and not self.low.closed and not self.low.ended

    @property
    def full_idle(self) -> bool:
        """Whether the publisher stopped sending the full layer (its uplink is too thin) while the low one flows."""
        return self.watch is not None and self.watch.idle and self.has_low

    def close(self) -> None:
        self.forwarder.close()
        if self.low is not None:
            self.low.close()
        if self.watch is not None:
            self.watch.close()


@dataclass(eq=False)
class PeerMedia:
    """One participant's two peer connections and what flows through them."""

    identity: str
    publisher: RTCPeerConnection | None = None
    published: list[Published] = field(default_factory=list)
    subscriber: RTCPeerConnection | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)  # Published.key -> subscription
    answer: asyncio.Future[str] | None = None
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    negotiator: asyncio.Task[None] | None = None
    #: the sizes this participant shows the others' cameras at (video_tiles), by identity
    tiles: dict[str, TileSize] = field(default_factory=dict)
    #: the layer each camera subscription forwards now, by Published.key
    layers: dict[str, Layer] = field(default_factory=dict)
    #: changes of layer under way, by Published.key
    switching: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    #: the subscriber's downlink estimate (made with its first video subscription), the cameras paused because
    #: of it (by Published.key), and what the subscriber was last told of them (identities, estimate)
    downlink: Downlink | None = None
    paused: set[str] = field(default_factory=set)
    told: tuple[tuple[str, ...], bool, int | None] = ((), False, None)


def checked_sdp(sdp: str, kind: sdp_check.Kind, offered: int | None = None) -> None:
    """Refuse (BadRequest, ``invalid_sdp``) SDP that is not what a MeetDesk client sends."""
    try:
        sdp_check.check(sdp, kind, offered)
    except sdp_check.SdpProblem as exc:
        raise BadRequest(f"Invalid SDP {kind}: {exc}", code=ErrorCode.INVALID_SDP) from exc
