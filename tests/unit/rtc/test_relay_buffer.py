"""The bounded relay reader (:mod:`meetdesk.rtc.relay_buffer`): its queue keeps the newest frames, and the hook
into aiortc's relay track is still there; the microphone a kiosk publishes (LocalMedia) uses it, so a publisher
connection that stops reading for a while finds fresh audio, not everything since."""

from __future__ import annotations

import av
import pytest
from aiortc.contrib.media import MediaRelay

from meetdesk.client.media.local import PUBLISHED_AUDIO_BACKLOG, LocalMedia
from meetdesk.client.media.synthetic import SyntheticMicrophone
from meetdesk.rtc.relay_buffer import RELAY_QUEUE, NewestFrames, subscribe_bounded


def test_newest_frames_drops_the_oldest() -> None:
    queue = NewestFrames(3)
    for item in range(5):
        queue.put_nowait(item)
    assert [queue.get_nowait() for _ in range(queue.qsize())] == [2, 3, 4]
    assert queue.dropped == 2
    with pytest.raises(ValueError, match="needs a size"):
        NewestFrames(0)


async def test_the_relay_track_queue_is_bounded() -> None:
    relay, source = MediaRelay(), SyntheticMicrophone(1)
    track = subscribe_bounded(relay, source, 4)
    queue = getattr(track, RELAY_QUEUE)
    assert isinstance(queue, NewestFrames) and queue.maxsize == 4
    frame = await track.recv()  # the relay fills that queue (the hook does its job)
    assert isinstance(frame, av.AudioFrame)
    track.stop()
    source.stop()


async def test_published_audio_left_unread_stays_fresh() -> None:
    media = LocalMedia(synthetic=True)
    try:
        assert await media.use_microphone(None)  # its level meter keeps reading, as in a meeting
        _, published = media.publish_tracks()
        assert published is not None
        first = await published.recv()  # read, then left unread: its publisher connection is being rebuilt
        _, other = media.publish_tracks()  # a reader that goes on: 50 frames (a second) pass meanwhile
        assert other is not None
        for _ in range(50):
            last = await other.recv()
        assert isinstance(first, av.AudioFrame) and isinstance(last, av.AudioFrame)
        resumed = await published.recv()
        assert isinstance(resumed, av.AudioFrame) and resumed.pts is not None and last.pts is not None
        # what it reads next is the last few frames, not the one after the first (a second late, and growing)
        assert resumed.pts >= last.pts - PUBLISHED_AUDIO_BACKLOG * last.samples
        published.stop()
        other.stop()
    finally:
        media.close()
