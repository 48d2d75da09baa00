"""Recordings to play in the player's tests: MP4s written by the recorder's own writer (fragmented H.264 + AAC,
a keyframe a second), whose pictures say where they are (the picture's brightness steps with each second), put
in a real server's store as a finished recording."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import av
import numpy as np

from meetdesk.client.api import MeetDeskClient
from meetdesk.core.recording_output import OutputEncoding
from meetdesk.core.recordings import MeetRecording
from meetdesk.recorder.output import Mp4Writer
from meetdesk.recorder.sources import MIX_RATE
from tests.conftest import ServerProcess
from tests.integration.recording_helpers import seed_recording

FPS = 30
#: small pictures: the tests are about playing, not decoding cost
SMALL = OutputEncoding(320, 180, FPS, 400_000, 1.0, "main", "aac", 48_000, 64_000)


@cache
def recorded_mp4(seconds: int = 12) -> bytes:
    """``seconds`` of a recorder-made MP4: second ``n``'s pictures have brightness ``16 * n`` (mod 256) and a
    white bar moving across; a 440 Hz tone plays throughout."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recording.mp4"
        writer = Mp4Writer(path, SMALL)
        picture = np.zeros((SMALL.height, SMALL.width, 3), np.uint8)
        tone = (0.2 * np.sin(np.arange(MIX_RATE) * 2 * np.pi * 440 / MIX_RATE)).astype(np.float32)
        for index in range(seconds * FPS):
            second = index // FPS
            picture[:] = (16 * second) % 256
            x = (index * 4) % (SMALL.width - 20)
            picture[40:60, x : x + 20] = 255
            writer.picture(av.VideoFrame.from_ndarray(picture, format="rgb24"))
            if index % FPS == 0:
                writer.sound(tone)
        writer.close()
        return path.read_bytes()


async def ready_recording(
    client: MeetDeskClient, server: ServerProcess, room_name: str = "Board meeting", seconds: int = 12
) -> MeetRecording:
    """A finished recording of ``seconds`` in a new room, as the API lists it."""
    room = await client.create_room({"roomName": room_name})
    seeded = seed_recording(
        server, room.roomId, room.roomName or room_name, duration_ms=seconds * 1000, media=recorded_mp4(seconds)
    )
    return await client.get_recording(seeded.recording_id)
