"""The screen share's track: sources come and go under a sender that must never see the stream end."""

from __future__ import annotations

import asyncio

import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetdesk.client.media.source_view import SourceView
from meetdesk.client.media.switchable import SwitchableAudioTrack, SwitchableVideoTrack
from meetdesk.client.media.synthetic import (
    SyntheticCamera,
    SyntheticMicrophone,
    decode_marker,
    dominant_frequency,
    tone_frequency,
)


async def settle() -> None:
    """Let every ready task run (a recv() that can return, returns)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_frames_come_from_the_current_source_on_one_timeline() -> None:
    track = SwitchableVideoTrack()
    track.attach(SyntheticCamera(1, fps=60))
    first = [await track.recv() for _ in range(3)]
    assert [decode_marker(f)[0] for f in first] == [1, 1, 1]
    track.attach(SyntheticCamera(2, fps=60))  # a new source starts its own pts at 0 ...
    second = [await track.recv() for _ in range(3)]
    assert [decode_marker(f)[0] for f in second] == [2, 2, 2]
    pts = [f.pts for f in first + second]
    assert pts == sorted(set(pts))  # ... but the track's timeline goes on


async def test_without_a_source_recv_waits_and_then_continues() -> None:
    track = SwitchableVideoTrack()
    waiting = asyncio.create_task(track.recv())
    await settle()
    assert not waiting.done()
    track.attach(SyntheticCamera(3))
    assert decode_marker(await asyncio.wait_for(waiting, 5))[0] == 3
    old = track.detach()
    assert isinstance(old, SyntheticCamera) and track.source is None
    waiting = asyncio.create_task(track.recv())
    await settle()
    assert not waiting.done()
    track.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiting, 5)


async def test_a_source_that_ends_is_reported_and_the_track_lives_on() -> None:
    ended: list[MediaStreamTrack] = []
    track = SwitchableVideoTrack(on_source_ended=ended.append)
    source = SyntheticCamera(4)
    track.attach(source)
    await track.recv()
    source.stop()
    waiting = asyncio.create_task(track.recv())
    await settle()
    assert ended == [source] and track.source is None and not waiting.done()
    track.attach(SyntheticCamera(5))
    assert decode_marker(await asyncio.wait_for(waiting, 5))[0] == 5


async def test_a_source_view_ends_without_ending_its_source() -> None:
    source = SyntheticCamera(6)
    view = SourceView(source)
    assert view.kind == "video"
    assert decode_marker(await view.recv())[0] == 6
    view.stop()  # what aiortc does to a sender's track when its connection closes
    with pytest.raises(MediaStreamError):
        await view.recv()
    assert source.readyState == "live"
    assert decode_marker(await SourceView(source).recv())[0] == 6


async def test_the_microphone_changes_under_one_audio_timeline() -> None:
    """The microphone's switchable track: a new microphone carries on the samples' count, an ended one waits."""
    track = SwitchableAudioTrack()
    track.attach(SyntheticMicrophone(1))
    first = [await track.recv() for _ in range(3)]
    assert dominant_frequency(first[-1].to_ndarray().reshape(-1), first[-1].sample_rate) == pytest.approx(
        tone_frequency(1), abs=15
    )
    old = track.source
    track.attach(SyntheticMicrophone(2))
    assert old is not None
    old.stop()
    second = [await track.recv() for _ in range(3)]
    assert dominant_frequency(second[-1].to_ndarray().reshape(-1), second[-1].sample_rate) == pytest.approx(
        tone_frequency(2), abs=15
    )
    frames = first + second
    assert [f.pts for f in frames] == [sum(f.samples for f in frames[:i]) for i in range(len(frames))]
    with pytest.raises(ValueError, match="video track cannot be an audio source"):
        track.attach(SyntheticCamera(3))
    track.detach()
    waiting = asyncio.create_task(track.recv())
    await settle()
    assert not waiting.done()  # no microphone: the sender waits, it does not end
    track.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiting, 5)
