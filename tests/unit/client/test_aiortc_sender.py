"""Guards the aiortc internal the client relies on: ``RTCRtpSender._enabled``, the mute switch.

``meetdesk.client.publisher`` mutes the camera and microphone by clearing it, and sets it again
after every answer because aiortc resets it from the negotiated direction. If the pinned aiortc
changes either behaviour, these tests fail and muting needs another way.
"""

from __future__ import annotations

from aiortc import RTCPeerConnection, RTCRtpCodecParameters

from meetdesk.client.media.synthetic import SyntheticCamera
from meetdesk.client.publisher import SENDER_ENABLED


async def test_a_disabled_sender_reads_its_track_and_sends_nothing() -> None:
    pc = RTCPeerConnection()
    camera = SyntheticCamera(1, width=64, height=48)
    transceiver = pc.addTransceiver(camera, direction="sendonly")
    sender = transceiver.sender
    try:
        assert getattr(sender, SENDER_ENABLED) is True
        setattr(sender, SENDER_ENABLED, False)
        vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
        assert await sender._next_encoded_frame(vp8) is None
        assert camera.frames_sent == 1  # the frame was taken from the track (none pile up), then dropped
        setattr(sender, SENDER_ENABLED, True)
        encoded = await sender._next_encoded_frame(vp8)
        assert encoded is not None and encoded.payloads
    finally:
        await pc.close()


async def test_an_answer_resets_the_switch_from_the_direction() -> None:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(SyntheticCamera(1), direction="sendonly")
    try:
        setattr(transceiver.sender, SENDER_ENABLED, False)
        transceiver._setCurrentDirection("sendonly")  # what setRemoteDescription(answer) does
        assert getattr(transceiver.sender, SENDER_ENABLED) is True
    finally:
        await pc.close()
