"""The network adaptations' switch (meetdesk.rtc.adaptations): read from the environment at each use, and off
it really leaves a receiver without the prompt keyframe request."""

from __future__ import annotations

import pytest
from aiortc import RTCRtpReceiver
from aiortc.rtcrtpreceiver import RemoteStreamTrack

from meetdesk.client.gaps import RECEIVER_HANDLE_RTP
from meetdesk.client.receiving import lean_receiver
from meetdesk.rtc import adaptations


@pytest.mark.parametrize(
    ("value", "on"), [(None, True), ("on", True), ("1", True), ("off", False), (" OFF ", False), ("0", False)]
)
def test_the_switch_reads_the_environment_at_each_use(
    monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool
) -> None:
    if value is None:
        monkeypatch.delenv(adaptations.ENV, raising=False)
    else:
        monkeypatch.setenv(adaptations.ENV, value)
    assert adaptations.enabled() is on


class _Transport:
    """Enough of an RTCDtlsTransport for a receiver that is never started."""

    state = "new"

    def _register_rtp_receiver(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("on", [True, False])
async def test_a_video_receiver_watches_its_gaps_only_with_the_adaptations_on(
    monkeypatch: pytest.MonkeyPatch, on: bool
) -> None:
    monkeypatch.setenv(adaptations.ENV, "on" if on else "off")
    receiver = RTCRtpReceiver("video", _Transport())  # type: ignore[arg-type]
    receiver._track = RemoteStreamTrack(kind="video")  # as aiortc sets it on a remote description
    assert lean_receiver(receiver)
    # the gap watch shadows the receiver's packet handler with an instance attribute of its own
    assert (RECEIVER_HANDLE_RTP in vars(receiver)) is on
