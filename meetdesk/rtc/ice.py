"""Hooks into aiortc's ICE: host candidates on chosen addresses only.

aioice has no option to gather on some interfaces only and aiortc passes none, so
:func:`limit_host_candidates` shadows aioice's ``Connection.get_component_candidates`` (reached through the
gatherer's private ``_connection``) on the gatherers of one peer connection. The SFU uses it to offer only
the addresses others reach the server at (:class:`HostLimitedPeerConnection`); the impairment harness to
keep a participant on loopback (:mod:`meetdesk.rtc.impaired_path`). tests/unit/rtc/test_aiortc_hooks.py
guards the names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

import aiortc
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcicetransport import RTCIceGatherer

from .errors import PINNED_AIORTC, AiortcHookError

GATHERER_CONNECTION: Final = "_connection"
CONNECTION_HOST_CANDIDATES: Final = "get_component_candidates"


def check_gatherer(gatherer: RTCIceGatherer) -> Any:
    """The aioice connection behind ``gatherer``; :class:`AiortcHookError` unless it has the method
    :func:`limit_host_candidates` shadows."""
    connection = getattr(gatherer, GATHERER_CONNECTION, None)
    if not callable(getattr(type(connection), CONNECTION_HOST_CANDIDATES, None)):
        raise AiortcHookError(
            f"aiortc {aiortc.__version__} RTCIceGatherer has no aioice connection with {CONNECTION_HOST_CANDIDATES}; "
            f"the SFU is written for aiortc {PINNED_AIORTC}x"
        )
    return connection


def _gatherers(pc: RTCPeerConnection) -> list[RTCIceGatherer]:
    gatherers: list[RTCIceGatherer] = []
    for transceiver in pc.getTransceivers():
        for dtls in (transceiver.sender.transport, transceiver.receiver.transport):
            ice = getattr(dtls, "transport", None)
            gatherer = getattr(ice, "iceGatherer", None)
            if isinstance(gatherer, RTCIceGatherer) and gatherer not in gatherers:
                gatherers.append(gatherer)
    return gatherers


def limit_host_candidates(pc: RTCPeerConnection, addresses: Sequence[str]) -> None:
    """Make the gatherers of ``pc`` that have not gathered yet offer host candidates on ``addresses`` only."""
    wanted = list(addresses)
    for gatherer in _gatherers(pc):
        if gatherer.state != "new":
            continue
        connection = check_gatherer(gatherer)
        if CONNECTION_HOST_CANDIDATES in vars(connection):
            continue  # limited already (a transport shared by bundled transceivers)
        setattr(
            connection,
            CONNECTION_HOST_CANDIDATES,
            _on_addresses(getattr(connection, CONNECTION_HOST_CANDIDATES), wanted),
        )


def _on_addresses(original: Callable[..., Any], wanted: list[str]) -> Callable[..., Any]:
    """``get_component_candidates``, but on ``wanted`` whatever addresses aioice found."""

    async def on_wanted_addresses(component: int, addresses: list[str], timeout: int = 5) -> Any:
        return await original(component=component, addresses=wanted, timeout=timeout)

    return on_wanted_addresses


class HostLimitedPeerConnection(RTCPeerConnection):
    """A peer connection whose ICE host candidates are on ``host_addresses`` only (the address that room
    links name, when the server is shared on a network): clients are not offered interfaces that do not
    reach them (a VPN, a container bridge), and a firewall needs opening for one address only."""

    def __init__(self, configuration: RTCConfiguration, host_addresses: Sequence[str]) -> None:
        super().__init__(configuration)
        self.host_addresses = tuple(host_addresses)

    async def setLocalDescription(self, sessionDescription: RTCSessionDescription | None = None) -> None:
        limit_host_candidates(self, self.host_addresses)  # gathering starts in setLocalDescription
        await super().setLocalDescription(sessionDescription)
