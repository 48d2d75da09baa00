"""Recording settings in the room config (OpenVidu Meet 3.6) against a real ``meetdesk server`` process:
``recording.layout`` and ``recording.encoding`` (a preset or the advanced object), stored, merged, validated."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from meetdesk.client.api import MeetDeskClient, ValidationError
from meetdesk.core.models import RoomConfigPatch
from tests.conftest import API_KEY, ServerProcess

ADVANCED: dict[str, Any] = {
    "video": {
        "width": 1080,
        "height": 1920,
        "framerate": 30,
        "codec": "H264_HIGH",
        "bitrate": 4500,
        "keyFrameInterval": 2.5,
        "depth": 24,
    },
    "audio": {"codec": "OPUS", "bitrate": 128, "frequency": 48000},
}


async def test_defaults_presets_and_advanced_encoding_are_stored(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as api:
        plain = (await api.post("/api/v1/rooms", json={"roomName": "Plain"})).json()
        assert plain["config"]["recording"]["layout"] == "grid"
        assert plain["config"]["recording"]["encoding"] == "H264_720P_30"

        body = {"roomName": "Portrait", "config": {"recording": {"layout": "single-speaker", "encoding": ADVANCED}}}
        created = await api.post("/api/v1/rooms", json=body)
        assert created.status_code == 201, created.text
        room_id = created.json()["roomId"]
        stored = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()["recording"]
        assert (stored["layout"], stored["encoding"], stored["enabled"]) == ("single-speaker", ADVANCED, True)

        # a partial update merges: the layout given, the encoding kept; then a preset replaces the object
        answer = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"recording": {"layout": "speaker"}}})
        assert answer.status_code == 200, answer.text
        assert answer.json()["room"]["config"]["recording"]["encoding"] == ADVANCED
        await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"recording": {"encoding": "H264_1080P_60"}}})
        stored = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()["recording"]
        assert (stored["layout"], stored["encoding"]) == ("speaker", "H264_1080P_60")

    # the server restarts: what was stored is read back the same
    server_process.stop()
    server_process.start()
    async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as api:
        stored = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()["recording"]
        assert (stored["layout"], stored["encoding"]) == ("speaker", "H264_1080P_60")


def _without(half: str, name: str) -> dict[str, Any]:
    return {**ADVANCED, half: {k: v for k, v in ADVANCED[half].items() if k != name}}


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"layout": "mosaic"}, "'grid', 'speaker' or 'single-speaker'"),
    ({"encoding": "H264_4K_30"}, "encoding must be one of the presets: H264_720P_30, H264_720P_60"),
    ({"encoding": 7}, "Encoding must be either a preset string or an encoding configuration object"),
    ({"encoding": {"video": ADVANCED["video"]}}, "Both video and audio configuration must be provided"),
    ({"encoding": {"audio": ADVANCED["audio"]}}, "Both video and audio configuration must be provided"),
    ({"encoding": _without("video", "depth")}, "When video encoding is provided, required fields are missing: depth"),
    ({"encoding": _without("audio", "frequency")}, "When audio encoding is provided, required fields are missing"),
    ({"encoding": {**ADVANCED, "video": {**ADVANCED["video"], "width": 0}}}, "greater than 0"),
    ({"encoding": {**ADVANCED, "video": {**ADVANCED["video"], "codec": "AV1"}}}, "'VP8'"),
    ({"encoding": {**ADVANCED, "audio": {**ADVANCED["audio"], "codec": "MP5"}}}, "'OPUS'"),
    ({"encoding": {**ADVANCED, "audio": {**ADVANCED["audio"], "channels": 2}}}, "channels"),
]  # fmt: skip


async def test_invalid_recording_settings_are_422(server_process: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, headers={"X-API-KEY": API_KEY}) as api:
        room_id = (await api.post("/api/v1/rooms", json={"roomName": "Kept"})).json()["roomId"]
        for recording, sentence in INVALID:
            created = await api.post("/api/v1/rooms", json={"roomName": "Bad", "config": {"recording": recording}})
            assert created.status_code == 422, created.text
            assert sentence in created.text
            update = await api.put(f"/api/v1/rooms/{room_id}/config", json={"config": {"recording": recording}})
            assert update.status_code == 422, update.text
            assert sentence in update.text
        # nothing made, nothing changed
        assert [room["roomName"] for room in (await api.get("/api/v1/rooms")).json()["rooms"]] == ["Kept"]
        kept = (await api.get(f"/api/v1/rooms/{room_id}/config")).json()["recording"]
        assert (kept["layout"], kept["encoding"]) == ("grid", "H264_720P_30")


async def test_client_recording_settings(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY) as client:
        room = await client.create_room({"roomName": "Team", "config": {"recording": {"encoding": ADVANCED}}})
        assert room.config.recording.encoding.model_dump() == ADVANCED  # type: ignore[union-attr]
        patch = RoomConfigPatch.model_validate(
            {"recording": {"layout": "speaker", "encoding": "PORTRAIT_H264_720P_60"}}
        )
        changed = await client.update_room_config(room.roomId, patch)
        assert (changed.config.recording.layout, changed.config.recording.encoding) == (
            "speaker",
            "PORTRAIT_H264_720P_60",
        )
        with pytest.raises(ValidationError):
            await client.update_room_config(room.roomId, {"recording": {"layout": "mosaic"}})
