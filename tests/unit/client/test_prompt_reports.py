"""PromptReports: extra receiver reports on RTX streams while their packets come, and on a video stream losing much."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtcpRrPacket, RtpPacket

from meetdesk.client import prompt_reports
from meetdesk.client.prompt_reports import (
    MEDIA_REPORT_S,
    PROMPT_EXPECTED,
    RECEIVER_REMOTE_STREAMS,
    RTX_REPORT_S,
    PromptReports,
)
from meetdesk.rtc.internals import RECEIVER_RTCP_SSRC

MEDIA, RTX = 1111, 2222


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[RTCRtpReceiver, list[RtcpRrPacket]]]:
    """A video receiver of a real peer connection whose reports are kept instead of sent."""
    pc = RTCPeerConnection()
    receiver = pc.addTransceiver("video").receiver
    setattr(receiver, RECEIVER_RTCP_SSRC, 4321)
    sent: list[RtcpRrPacket] = []

    async def send_rtcp(packet: RtcpRrPacket) -> None:
        sent.append(packet)

    receiver._send_rtcp = send_rtcp  # type: ignore[method-assign]
    yield receiver, sent
    await pc.close()


def arrive(receiver: RTCRtpReceiver, ssrc: int, sequence_numbers: range | list[int]) -> None:
    """Packets counted by the receiver's own statistics, as its receive path counts them."""
    streams: dict[int, StreamStatistics] = getattr(receiver, RECEIVER_REMOTE_STREAMS)
    stats = streams.setdefault(ssrc, StreamStatistics(90_000))
    for sequence_number in sequence_numbers:
        stats.add(RtpPacket(payload_type=96, sequence_number=sequence_number, timestamp=sequence_number, ssrc=ssrc))


async def test_rtx_packets_bring_one_report_on_their_stream_soon_and_none_on_the_media(
    receiver: tuple[RTCRtpReceiver, list[RtcpRrPacket]],
) -> None:
    rx, sent = receiver
    reports = PromptReports(rx)
    arrive(rx, MEDIA, range(100))
    arrive(rx, RTX, range(10))
    for _ in range(10):
        reports.rtx(RTX)
    await asyncio.sleep(RTX_REPORT_S / 2)
    assert sent == []
    await asyncio.sleep(RTX_REPORT_S)
    assert len(sent) == 1 and sent[0].ssrc == 4321
    assert [(r.ssrc, r.highest_sequence, r.packets_lost) for r in sent[0].reports] == [(RTX, 9, 0)]
    await asyncio.sleep(RTX_REPORT_S * 2)
    assert len(sent) == 1  # nothing more came: nothing more is said


async def test_a_video_stream_losing_much_is_reported_at_once_and_not_again_too_soon(
    receiver: tuple[RTCRtpReceiver, list[RtcpRrPacket]],
) -> None:
    rx, sent = receiver
    reports = PromptReports(rx)
    arrive(rx, MEDIA, [seq for seq in range(PROMPT_EXPECTED) if seq % 4])  # a quarter lost: not enough
    reports.losing(MEDIA, 10.0)
    assert sent == []
    arrive(rx, MEDIA, [seq for seq in range(PROMPT_EXPECTED, 3 * PROMPT_EXPECTED) if seq % 4 == 0])
    reports.losing(MEDIA, 10.1)  # now 25 of the 56 from the first got (1) to the highest (56)
    await asyncio.sleep(0)
    assert len(sent) == 1
    (report,) = sent[0].reports
    assert report.ssrc == MEDIA and report.highest_sequence == 56
    assert report.packets_lost == 31 and report.fraction_lost == 31 * 256 // 56
    arrive(rx, MEDIA, [3 * PROMPT_EXPECTED + 3 * seq for seq in range(PROMPT_EXPECTED)])  # two thirds lost again
    reports.losing(MEDIA, 10.1 + MEDIA_REPORT_S / 2)
    await asyncio.sleep(0)
    assert len(sent) == 1  # too soon after the last
    reports.losing(MEDIA, 10.1 + MEDIA_REPORT_S)
    await asyncio.sleep(0)
    assert len(sent) == 2 and sent[1].reports[0].fraction_lost > 0.6 * 256


async def test_few_packets_lost_are_left_to_aiortcs_reports(
    receiver: tuple[RTCRtpReceiver, list[RtcpRrPacket]],
) -> None:
    rx, sent = receiver
    reports = PromptReports(rx)
    arrive(rx, MEDIA, [seq for seq in range(200) if seq % 10])  # 10 % lost at random
    for at in range(20):
        reports.losing(MEDIA, at * MEDIA_REPORT_S)
    await asyncio.sleep(0)
    assert sent == []


def test_check_receiver_fails_loudly_without_the_internals() -> None:
    from meetdesk.rtc.errors import AiortcHookError

    with pytest.raises(AiortcHookError):
        prompt_reports.check_receiver(object())  # type: ignore[arg-type]
