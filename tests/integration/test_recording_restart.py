"""The server process killed (SIGKILL) in the middle of a recording: its recorder goes away by itself, and
the server, started again, makes the recording's composite from the captured tracks (``complete``)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from meetdesk.client.session import MeetingSession
from meetdesk.core.recorder_protocol import RECORDER_LOG
from meetdesk.server.recordings.composer import probe
from meetdesk.server.recordings.service import REPAIR_DETAILS
from tests.conftest import API_KEY, ServerProcess
from tests.integration.meeting_helpers import frames_from, until
from tests.integration.recording_media import play, tone

pytestmark = pytest.mark.slow


def _pids(log: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"Recorder: pid (\d+)", log.read_text())]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_recording_cut_by_a_killed_server_is_made_whole_at_its_restart(
    server_process: ServerProcess,
) -> None:
    headers = {"X-API-KEY": API_KEY}
    async with httpx.AsyncClient(base_url=server_process.url, headers=headers, timeout=30) as api:
        room = (await api.post("/api/v1/rooms", json={"roomName": "Crash"})).json()
        ana = MeetingSession(room["moderatorUrl"], "Ana", source_id=1)
        bo = MeetingSession(room["speakerUrl"], "Bo", source_id=2)
        try:
            await ana.join()
            await bo.join()
            bo_id = bo.joined.you.identity  # type: ignore[union-attr]
            await until(lambda: frames_from(ana, bo_id) >= 10)
            started = time.monotonic()
            response = await api.post("/api/v1/recordings", json={"roomId": room["roomId"]})
            assert response.status_code == 201, response.text
            recording = response.json()
            directory = server_process.data_dir / "recordings" / recording["recordingId"]
            media = directory / recording["filename"]

            def playing() -> bool:  # fragments reach the file as the recorder writes them: polled
                played = probe(media)
                return played is not None and played[0] >= 2.0

            await until(playing, timeout=60)
            server_process.stop(signal.SIGKILL)
            killed = time.monotonic()
        finally:
            await ana.leave()
            await bo.leave()
        partial = probe(media)  # what the live composite had written when the server died
        assert partial is not None
        [live_pid] = _pids(directory / RECORDER_LOG)
        # the recorder sees its server gone (the end of its standard input) and ends by itself
        await until(lambda: not _alive(live_pid), timeout=60)
        server_process.start()
        record = (await api.get(f"/api/v1/recordings/{recording['recordingId']}")).json()
        deadline = time.monotonic() + 120
        while record["status"] in ("starting", "active", "ending"):  # the repair runs in the background: polled
            assert time.monotonic() < deadline, record
            await asyncio.sleep(0.2)
            record = (await api.get(f"/api/v1/recordings/{recording['recordingId']}")).json()
        assert record["status"] == "complete", record
        assert record["details"] == REPAIR_DETAILS and "error" not in record
        # the whole recording up to the kill, from the tracks (not only what the live composite had written)
        assert partial[0] < record["duration"] <= killed - started + 0.5, (record, partial, killed - started)
        assert record["endDate"] == record["startDate"] + round(record["duration"] * 1000)
        assert record["size"] == media.stat().st_size
        assert all(not _alive(pid) for pid in _pids(directory / RECORDER_LOG))
    played = play(media, [1, 2])
    assert abs(played.duration - record["duration"]) < 0.1
    assert played.colour_share[1] > 0.1 and played.colour_share[2] > 0.1, played.colour_share
    assert played.tone_energy(tone(1)) > 20 and played.tone_energy(tone(2)) > 20
