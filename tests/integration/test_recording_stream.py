"""The loopback stream a media player plays recordings from (client/recording_stream.py), against a real server
process: byte ranges passed through both ways with the client's credentials, refusals passed back (and kept
for the player to say in words), and nothing served without the stream's key."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import CertificateError, NotFound, Unauthorized
from meetdesk.client.recording_stream import RecordingStream
from meetdesk.core.fingerprint import certificate_pin
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, ServerProcess, free_port
from tests.integration.recording_helpers import seed_recording

pytestmark = pytest.mark.slow


async def test_ranges_pass_through_with_the_clients_credentials(server_process: ServerProcess) -> None:
    video = os.urandom(300_000)
    async with MeetDeskClient(server_process.url) as client:
        await client.login(ADMIN_USER, ADMIN_PASSWORD)  # an admin's bearer token, which no media player can send
        room = await client.create_room({"roomName": "Board meeting"})
        seeded = seed_recording(server_process, room.roomId, "Board meeting", media=video)
        stream = RecordingStream(client)
        url = await stream.url(seeded.recording_id)
        assert url.startswith("http://127.0.0.1:")
        try:
            async with httpx.AsyncClient() as player:  # a player: no credentials at all
                whole = await player.get(url)
                assert whole.status_code == 200 and whole.content == video
                assert whole.headers["accept-ranges"] == "bytes"
                assert whole.headers["content-length"] == str(len(video))
                assert whole.headers["connection"] == "close"

                part = await player.get(url, headers={"Range": "bytes=1000-1999"})
                assert part.status_code == 206 and part.content == video[1000:2000]
                assert part.headers["content-range"] == f"bytes 1000-1999/{len(video)}"
                tail = await player.get(url, headers={"Range": "bytes=299000-"})
                assert tail.status_code == 206 and tail.content == video[299_000:]

                past = await player.get(url, headers={"Range": "bytes=400000-"})
                assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(video)}"
                assert stream.failures == {}  # asking past the end is how players learn the size, not a failure

                # the same path without the stream's key, or with another key: nothing
                base, recording = url.split("/")[2], url.split("/")[4]
                assert (await player.get(f"http://{base}/{recording}")).status_code == 404
                assert (await player.get(f"http://{base}/not-the-key/{recording}")).status_code == 404
                assert (await player.post(url)).status_code == 405

                # a recording deleted meanwhile: the server's 404 passed back, and kept in words for the player
                await client.delete_recording(seeded.recording_id)
                gone = await player.get(url)
                assert gone.status_code == 404
                assert isinstance(stream.failures[seeded.recording_id], NotFound)
            assert stream.requests == 5  # the GETs of the recording (not the refused ones)
            assert "not-the-key" not in repr(stream) and url.split("/")[3] not in repr(stream)
            assert stream.redact(f"could not open {url}") == (f"could not open http://{base}/***/{seeded.recording_id}")
        finally:
            await stream.aclose()
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient() as player:
                await player.get(url)  # closed: nothing listens any more


async def test_a_refused_sign_in_is_passed_back_as_such(server_process: ServerProcess) -> None:
    async with MeetDeskClient(server_process.url, access_token="not-a-token") as client:
        stream = RecordingStream(client)
        try:
            url = await stream.url("board_meeting-abc")
            async with httpx.AsyncClient() as player:
                refused = await player.get(url)
            assert refused.status_code == 401
            assert isinstance(stream.failures["board_meeting-abc"], Unauthorized)
        finally:
            await stream.aclose()


async def test_a_pinned_https_server_is_trusted_as_the_client_trusts_it(tmp_path: Path) -> None:
    """A server shared over TLS with its own certificate: the player speaks plain HTTP to the loopback stream,
    which reaches the server with the client's pinned trust; a client with another pin gets nothing."""
    server = ServerProcess(tmp_path / "data", free_port(), extra_env={"MEETDESK_TLS": "1"})
    server.start()
    try:
        certificate = x509.load_pem_x509_certificate((server.data_dir / "tls-cert.pem").read_bytes())
        pin = certificate_pin(certificate.public_bytes(serialization.Encoding.DER))
        video = os.urandom(50_000)
        async with MeetDeskClient(server.url, api_key=API_KEY, pin=pin) as client:
            assert client.base_url.startswith("https://")
            room = await client.create_room({"roomName": "Board meeting"})
            seeded = seed_recording(server, room.roomId, "Board meeting", media=video)
            stream = RecordingStream(client)
            try:
                url = await stream.url(seeded.recording_id)
                async with httpx.AsyncClient() as player:
                    part = await player.get(url, headers={"Range": "bytes=100-199"})
                assert part.status_code == 206 and part.content == video[100:200]
            finally:
                await stream.aclose()
        wrong = "sha256:" + "00" * 32
        async with MeetDeskClient(server.url, api_key=API_KEY, pin=wrong) as client:
            stream = RecordingStream(client)
            try:
                url = await stream.url(seeded.recording_id)
                async with httpx.AsyncClient() as player:
                    refused = await player.get(url)
                assert refused.status_code == 502
                assert isinstance(stream.failures[seeded.recording_id], CertificateError)
            finally:
                await stream.aclose()
    finally:
        server.stop()
