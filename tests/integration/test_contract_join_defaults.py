"""``meetdesk join`` (the headless participant) honours the room's ``initialAudioEnabled`` /
``initialVideoEnabled`` (OpenVidu Meet 3.9), as the participant window does: seen by another participant
of the meeting, against a real server process, with the command run as a user runs it.
"""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from meetdesk.core.signalling import ParticipantInfo, ParticipantJoined, ParticipantLeft, ParticipantUpdated
from tests.conftest import ServerProcess
from tests.integration.contract_helpers import Remote
from tests.integration.meeting_helpers import create_room, join


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"initialAudioEnabled": False, "initialVideoEnabled": False}, (False, False)),
        ({"initialAudioEnabled": False}, (False, True)),
        ({}, (True, True)),  # the defaults: both on (and the test can see them on)
    ],
)
async def test_join_command_starts_the_microphone_and_camera_as_the_room_says(
    server_process: ServerProcess, config: dict[str, bool], expected: tuple[bool, bool]
) -> None:
    remote = Remote(server_process.url)
    room = await create_room(remote, config=config)  # type: ignore[arg-type]
    ana = await join(remote, room, "moderator", "Ana")  # type: ignore[arg-type]
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "meetdesk", "--log-level", "WARNING", "join", room["speakerUrl"],
            "--name", "Bot", "--synthetic", "--duration", "3", "--json",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0
        summary = json.loads(out)
        assert (summary["microphoneOn"], summary["cameraOn"]) == expected
        # what Ana saw of Bot, up to its leaving: its media state comes before its leave on its one socket, so
        # everything it said of its microphone and camera is in here
        seen: list[ParticipantInfo] = []
        while True:
            message = await asyncio.wait_for(ana.inbox.get(), 30)
            if isinstance(message, ParticipantJoined | ParticipantUpdated) and message.participant.name == "Bot":
                seen.append(message.participant)
            if isinstance(message, ParticipantLeft) and seen and message.identity == seen[0].identity:
                break
        assert any(info.tracks for info in seen), "Bot published its tracks"
        assert (any(info.audio for info in seen), any(info.video for info in seen)) == expected
    finally:
        await ana.client.close()
