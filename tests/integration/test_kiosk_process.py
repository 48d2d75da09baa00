"""``meetdesk kiosk`` as a process (offscreen, synthetic devices) against a real server process, watched by a
headless participant: it joins by itself; after the server is killed (SIGKILL) and started again, and after a
5 s and a 90 s network cut, it is back in the meeting with media both ways, with no touch; SIGTERM (systemctl
stop) leaves the meeting and exits 0.

The network the test cuts is the kiosk's whole path to the server: a TCP proxy for its REST and signalling, and
the impairment relay (:class:`~meetdesk.rtc.relay_service.RelayService`) for its media, which the kiosk is
started behind (``MEETDESK_MEDIA_RELAY``). The kiosk's state is read from its heartbeat file (another process: no
signal reaches the test), its media from what the participant receives and what the heartbeat counts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from meetdesk.client.session import MeetingSession
from meetdesk.kiosk.health import Heartbeat, read_heartbeat
from meetdesk.rtc.network_path import NetworkPath
from tests.conftest import API_KEY, ServerProcess
from tests.integration.meeting_helpers import until

pytestmark = pytest.mark.slow

KIOSK_SOURCE = 9


@dataclass
class KioskProcess:
    process: subprocess.Popen[bytes]
    state_dir: Path
    output: Path

    def heartbeat(self) -> Heartbeat | None:
        return read_heartbeat(self.state_dir)

    async def reaches(self, check: Callable[[Heartbeat], bool], what: str, timeout: float = 60.0) -> Heartbeat:
        """Wait until the kiosk's heartbeat says ``check``; it must not exit meanwhile."""
        seen: list[Heartbeat] = []

        def ok() -> bool:
            assert self.process.poll() is None, f"the kiosk exited:\n{self.output.read_text()[-3000:]}"
            beat = self.heartbeat()
            if beat is not None and check(beat):
                seen.append(beat)
                return True
            return False

        try:
            await until(ok, timeout)  # the heartbeat file is rewritten every 2 s and at each change of stage
        except TimeoutError:
            raise AssertionError(f"the kiosk never got to: {what} (last: {self.heartbeat()})") from None
        return seen[-1]

    async def receives_media(self, frames: int = 25) -> None:
        """Wait until the kiosk has received ``frames`` more audio and video frames from the room."""
        start = (await self.reaches(in_meeting, "the meeting")).frames_received

        def more(beat: Heartbeat) -> bool:
            got = beat.frames_received
            return in_meeting(beat) and all(got.get(k, 0) >= start.get(k, 0) + frames for k in ("audio", "video"))

        await self.reaches(more, "receiving the room's audio and video")


@pytest.fixture
def start_kiosk(tmp_path: Path) -> Iterator[Callable[..., KioskProcess]]:
    started: list[KioskProcess] = []

    def start(link: str, network: NetworkPath | None = None) -> KioskProcess:
        state = tmp_path / f"kiosk{len(started)}"
        output = tmp_path / f"kiosk{len(started)}.log"
        command = [sys.executable, "-m", "meetdesk", "kiosk", "--room-link", link, "--name", "Board room"]
        command += ["--synthetic-devices", "--pin", "2468", "--source-id", str(KIOSK_SOURCE), "--state-dir", str(state)]
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(network.env if network is not None else {})}
        with output.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        kiosk = KioskProcess(process, state, output)
        started.append(kiosk)
        return kiosk

    yield start
    for kiosk in started:
        if kiosk.process.poll() is None:
            kiosk.process.kill()
            kiosk.process.wait()


async def create_room(url: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-KEY": API_KEY}) as api:
        response = await api.post("/api/v1/rooms", json={"roomName": "Board room 4.12"})
        assert response.status_code == 201
        room: dict[str, str] = response.json()
        return room


def camera_frames(observer: MeetingSession) -> int:
    """Camera frames ``observer`` received (the kiosk is the only one who sends a camera)."""
    return sum(r.frames for r in observer.remote.values() if r.source == "camera")


async def sees_the_kiosk(observer: MeetingSession, frames: int = 20) -> None:
    start = camera_frames(observer)
    await until(lambda: camera_frames(observer) >= start + frames, 60)
    markers = {m for r in observer.remote.values() if r.source == "camera" for m in r.markers_seen}
    assert markers == {KIOSK_SOURCE}


def in_meeting(beat: Heartbeat) -> bool:
    return beat.stage == "meeting" and beat.connected


async def test_a_server_killed_and_started_again_finds_the_kiosk_back_in_its_meeting(
    server_process: ServerProcess, start_kiosk: Callable[..., KioskProcess]
) -> None:
    room = await create_room(server_process.url)
    observer = MeetingSession(room["moderatorUrl"], "Observer", publish_video=False, publish_audio=False)
    await observer.join()
    try:
        kiosk = start_kiosk(room["speakerUrl"])
        first = await kiosk.reaches(in_meeting, "the meeting")
        assert first.devices_found == {"camera": "Test pattern", "microphone": "Test tone", "speaker": "Null speaker"}
        await sees_the_kiosk(observer)

        await asyncio.to_thread(server_process.stop, signal.SIGKILL)
        await kiosk.reaches(lambda beat: not beat.connected, "noticing the server is gone")
        await asyncio.to_thread(server_process.start)
        await kiosk.reaches(in_meeting, "the meeting again, after the restart")
        await sees_the_kiosk(observer)  # the observer rejoined too; the kiosk's camera reaches it again
        assert kiosk.process.poll() is None  # the same process: nobody touched it

        kiosk.process.send_signal(signal.SIGTERM)  # systemctl --user stop
        assert await asyncio.to_thread(kiosk.process.wait, 60) == 0
    finally:
        await observer.leave()


@pytest.mark.parametrize("seconds", [5, pytest.param(90, marks=pytest.mark.timeout(600))], ids=["5s", "90s"])
async def test_after_a_network_cut_the_kiosk_is_back_by_itself_with_media_both_ways(
    seconds: int, server_process: ServerProcess, start_kiosk: Callable[..., KioskProcess]
) -> None:
    room = await create_room(server_process.url)
    network = await NetworkPath(server_process.port).start()  # REST and signalling through a proxy, media a relay
    observer = MeetingSession(room["moderatorUrl"], "Observer", source_id=3)  # sends a camera and a tone
    await observer.join()
    try:
        kiosk = start_kiosk(network.link(room["speakerUrl"]), network)
        await kiosk.reaches(in_meeting, "the meeting")
        await sees_the_kiosk(observer)
        await kiosk.receives_media()
        assert network.media.total("up").sent > 0 and network.media.total("down").sent > 0  # its media takes the path

        network.cut()  # the kiosk's network to the server fails, signalling and media...
        cut = await kiosk.reaches(
            lambda beat: not beat.connected and beat.reconnect_in is not None, "showing “Reconnecting in N s”"
        )
        assert cut.stage in ("meeting", "waiting")
        frames = camera_frames(observer)
        await asyncio.sleep(seconds)  # ...for this long (the length of the cut is the scenario, not a wait for news)
        assert camera_frames(observer) <= frames + 1, "media crossed the cut"
        still = await kiosk.reaches(lambda beat: beat.stage != "home", "still trying at the end of the cut")
        assert not still.connected and still.reconnect_in is not None  # it never gave up
        network.restore()

        await kiosk.reaches(in_meeting, "the meeting again, after the cut")
        await sees_the_kiosk(observer)  # the room sees the kiosk's camera again...
        await kiosk.receives_media()  # ...and the kiosk receives the room's audio and video
        assert kiosk.process.poll() is None  # the same process: nobody touched it
    finally:
        await observer.leave()
        await network.close()
