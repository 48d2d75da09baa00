"""The client library's recordings calls against a real ``meetdesk server`` process: starting and stopping with
a headless participant in the meeting, listing a page at a time, share links and tokens, streaming downloads
with their progress, a ZIP, and deletions, each answer a model and each refusal the client's error class."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from meetdesk.client.session import MeetingSession
from meetdesk.core.recordings import RecordingStatus
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess
from tests.integration.recording_helpers import seed_recording, small_mp4


async def test_recordings_through_the_client(server_process: ServerProcess, tmp_path: Path) -> None:
    async with MeetDeskClient(server_process.url, api_key=API_KEY, timeout=30) as client:
        room = await client.create_room({"roomName": "Client room"})
        with pytest.raises(Conflict):
            await client.start_recording(room.roomId)  # nobody in the meeting
        ana = MeetingSession(room.moderatorUrl, "Ana", source_id=1, publish_audio=False)
        await ana.join()
        try:
            started = await client.start_recording(room.roomId, layout="single-speaker")
            assert started.status is RecordingStatus.ACTIVE and started.layout == "single-speaker"
            with pytest.raises(Conflict):
                await client.delete_recording(started.recordingId)
            stopped = await client.stop_recording(started.recordingId)
            assert stopped.status in (RecordingStatus.ENDING, RecordingStatus.COMPLETE)
        finally:
            await ana.leave()

        made = [seed_recording(server_process, room.roomId, "Client room", start_date=1000 + i) for i in range(3)]
        page = await client.list_recordings(room_id=room.roomId, max_items=2, sort_field="startDate", sort_order="asc")
        assert [r.recordingId for r in page.recordings] == [made[0].recording_id, made[1].recording_id]
        assert page.pagination.isTruncated and page.pagination.nextPageToken
        every = [r.recordingId async for r in client.iter_recordings(room_id=room.roomId, max_items=2)]
        assert sorted(every) == sorted([m.recording_id for m in made] + [started.recordingId])
        exact = client.iter_recordings(room_name="client room", room_name_match_mode="exact", max_items=2)
        assert len([r async for r in exact]) == 4
        cased = client.iter_recordings(room_name="client room", room_name_case_insensitive=False)
        assert [r async for r in cased] == []
        assert (await client.get_recording(made[0].recording_id)).size == len(small_mp4())
        with pytest.raises(ValidationError):
            await client.get_recording("not-a-recording")
        with pytest.raises(NotFound):
            await client.get_recording(f"{room.roomId}--EG_nothing--n1")

        # a range, a whole download to a file and to a stream, with progress, and a ZIP
        assert await client.read_recording_media(made[0].recording_id, 4, 11) == small_mp4()[4:12]
        seen: list[tuple[int, int | None]] = []
        target = tmp_path / "one.mp4"
        written = await client.download_recording(
            made[0].recording_id, target, progress=lambda got, total: seen.append((got, total))
        )
        assert written == len(small_mp4()) and target.read_bytes() == small_mp4()
        assert seen and seen[-1] == (len(small_mp4()), len(small_mp4()))
        buffer = io.BytesIO()
        assert await client.download_recording(made[1].recording_id, buffer) == len(small_mp4())
        archive_path = tmp_path / "all.zip"
        zipped: list[int] = []
        await client.download_recordings_zip(
            [m.recording_id for m in made], archive_path, progress=lambda got, _total: zipped.append(got)
        )
        assert sorted(zipfile.ZipFile(archive_path).namelist()) == sorted(m.filename for m in made)
        assert zipped and zipped[-1] == archive_path.stat().st_size

        # share links: the public secret plays anonymously, the private one only for a signed-in admin
        url = await client.recording_url(made[2].recording_id)
        secret = parse_qs(urlsplit(url).query)["secret"][0]
        private_url = await client.recording_url(made[2].recording_id, private=True)
        private = parse_qs(urlsplit(private_url).query)["secret"][0]
        async with MeetDeskClient(server_process.url) as stranger:
            assert (await stranger.get_recording(made[2].recording_id, secret=secret)).recordingId == made[
                2
            ].recording_id
            assert await stranger.read_recording_media(made[2].recording_id, 0, 3, secret=secret) == small_mp4()[:4]
            with pytest.raises(Unauthorized):
                await stranger.download_recording(made[2].recording_id, io.BytesIO(), secret=private)
            with pytest.raises(Unauthorized):
                await stranger.delete_recording(made[2].recording_id)
            token = await stranger.recording_token(room.roomId, parse_qs(urlsplit(room.speakerUrl).query)["secret"][0])
            assert token
        async with MeetDeskClient(server_process.url) as admin:
            await admin.login(ADMIN_USER, ADMIN_PASSWORD)
            assert await admin.download_recording(made[2].recording_id, io.BytesIO(), secret=private) > 0

        # a speaker's token lists but may not delete
        speaker_secret = parse_qs(urlsplit(room.speakerUrl).query)["secret"][0]
        async with MeetDeskClient(server_process.url) as speaker:
            speaker.credentials.participant_token = await speaker.participant_token(room.roomId, speaker_secret)
            assert len((await speaker.list_recordings()).recordings) == 4
            with pytest.raises(Forbidden):
                await speaker.delete_recording(made[2].recording_id)

        await client.delete_recording(made[0].recording_id)
        outcome = await client.bulk_delete_recordings([made[1].recording_id, made[0].recording_id])
        assert outcome.deleted == [made[1].recording_id]
        assert [f.recordingId for f in outcome.failed] == [made[0].recording_id]
        done = await client.bulk_delete_recordings([made[2].recording_id])
        assert done.deleted == [made[2].recording_id] and done.failed == []
