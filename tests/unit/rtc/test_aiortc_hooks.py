"""Every hook into aiortc's and aioice's internals that meetdesk.rtc makes is still there and does its job:
the peer-connection close (:mod:`meetdesk.rtc.peer`) and the host-candidate limit (:mod:`meetdesk.rtc.ice`).
The SFU's media hooks are guarded in tests/unit/sfu/test_aiortc_hooks.py, the client's receiver in
tests/unit/client/test_receiving.py."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator

import aiortc
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack

from meetdesk.rtc import ice, internals
from meetdesk.rtc.errors import PINNED_AIORTC, AiortcHookError
from meetdesk.rtc.peer import CONSENT_TASK, ICE_CONNECTION, START_EVENT, close_peer_connection, consent_tasks


def source(function: object) -> str:
    return inspect.getsource(function)  # type: ignore[arg-type]


@pytest.fixture
async def pc() -> AsyncIterator[RTCPeerConnection]:
    connection = RTCPeerConnection()
    yield connection
    await connection.close()


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__.startswith(PINNED_AIORTC)


async def _connected_pair() -> tuple[RTCPeerConnection, RTCPeerConnection]:
    config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    offerer, answerer = RTCPeerConnection(config), RTCPeerConnection(config)
    offerer.addTrack(AudioStreamTrack())
    connected = asyncio.Event()

    @offerer.on("connectionstatechange")
    def _state() -> None:
        if offerer.connectionState == "connected":
            connected.set()

    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)
    await asyncio.wait_for(connected.wait(), 10)
    return offerer, answerer


async def test_the_ice_internals_it_reaches_are_there_and_closing_stops_the_consent_checks() -> None:
    offerer, answerer = await _connected_pair()
    try:
        ice = offerer.getTransceivers()[0].sender.transport.transport
        assert hasattr(ice, ICE_CONNECTION), "aiortc's RTCIceTransport no longer keeps its aioice connection there"
        assert hasattr(getattr(ice, ICE_CONNECTION), CONSENT_TASK), "aioice renamed its consent-freshness task"
        assert isinstance(getattr(ice, START_EVENT), asyncio.Event), "aiortc no longer marks the end of connect()"
        tasks = consent_tasks(offerer)
        assert len(tasks) == 1  # one bundled transport, checking consent while connected
        await close_peer_connection(offerer)
        assert tasks[0].done() and not consent_tasks(offerer)
    finally:
        await close_peer_connection(answerer)
        await offerer.close()


def host_candidates(sdp: str) -> set[str]:
    """The addresses of the host candidates in an SDP."""
    return {line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:") and " typ host" in line}


async def offer_candidates(pc: RTCPeerConnection) -> set[str]:
    pc.addTransceiver("video", direction="sendonly")
    pc.addTransceiver("audio", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    return host_candidates(pc.localDescription.sdp)


async def test_the_sfu_offers_host_candidates_on_the_wanted_address_only() -> None:
    from meetdesk.core.addresses import local_addresses
    from meetdesk.server.meeting.peers import media_configuration

    everywhere = RTCPeerConnection(media_configuration([]))
    try:
        offered_everywhere = await offer_candidates(everywhere)
    finally:
        await everywhere.close()
    if len(offered_everywhere) < 2:
        pytest.skip(f"needs two non-loopback addresses to tell a limit from none (has {offered_everywhere})")
    wanted = local_addresses()[0].address
    limited = ice.HostLimitedPeerConnection(media_configuration([]), [wanted])
    try:
        assert await offer_candidates(limited) == {wanted}
    finally:
        await limited.close()


async def test_the_ice_gatherer_has_the_aioice_method_the_limit_shadows(pc: RTCPeerConnection) -> None:
    from aioice import Connection

    pc.addTransceiver("audio")
    [gatherer] = ice._gatherers(pc)
    assert isinstance(ice.check_gatherer(gatherer), Connection)
    # aioice gathers host candidates through this method, by keyword, on the addresses it found itself
    assert "self.get_component_candidates(component=component, addresses=addresses)" in source(
        Connection.gather_candidates
    )
    assert list(inspect.signature(Connection.get_component_candidates).parameters) == [
        "self",
        "component",
        "addresses",
        "timeout",
    ]
    # ... and aiortc gathers in setLocalDescription, which the limited connection overrides
    assert "await self.__gather()" in source(RTCPeerConnection.setLocalDescription)


def test_check_gatherer_fails_loudly_without_an_aioice_connection() -> None:
    with pytest.raises(AiortcHookError):
        ice.check_gatherer(object())  # type: ignore[arg-type]


async def test_the_receiver_internals_the_gap_watch_uses_are_there(pc: RTCPeerConnection) -> None:
    from aiortc.jitterbuffer import JitterBuffer
    from aiortc.rtcdtlstransport import RTCDtlsTransport
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    from meetdesk.client import gaps

    receiver = pc.addTransceiver("video").receiver
    gaps.check_receiver(receiver)
    buffer = getattr(receiver, internals.RECEIVER_JITTER_BUFFER)
    assert isinstance(buffer, JitterBuffer) and buffer.capacity == gaps.VIDEO_JITTER_CAPACITY
    # the DTLS transport calls the handler through the instance, so an instance attribute shadows it
    assert "await receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms)" in source(
        RTCDtlsTransport._handle_rtp_data
    )
    assert "self.__jitter_buffer.add(packet)" in source(RTCRtpReceiver._handle_rtp_packet)
    with pytest.raises(AiortcHookError):
        gaps.check_receiver(object())  # type: ignore[arg-type]


async def test_the_receiver_internals_the_prompt_reports_use_are_there(pc: RTCPeerConnection) -> None:
    from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics

    from meetdesk.client import prompt_reports

    receiver = pc.addTransceiver("video").receiver
    prompt_reports.check_receiver(receiver)
    assert isinstance(getattr(receiver, prompt_reports.RECEIVER_REMOTE_STREAMS), dict)
    stats = StreamStatistics(90_000)
    assert hasattr(stats, prompt_reports.STATS_EXPECTED_PRIOR) and hasattr(stats, prompt_reports.STATS_RECEIVED_PRIOR)
    # a report is what aiortc's own loop sends: the fraction since the last (which moves the priors), from there
    run = source(RTCRtpReceiver._run_rtcp)
    assert "fraction_lost=stream.fraction_lost" in run and "for ssrc, stream in self.__remote_streams.items()" in run
    fraction = source(StreamStatistics.fraction_lost.fget)
    assert "self._expected_prior = self.packets_expected" in fraction
    assert "self._received_prior = self.packets_received" in fraction
