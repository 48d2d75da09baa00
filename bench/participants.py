"""Meeting participants in worker processes, for the benchmarks: :class:`MeetingSession` objects that join
from a room link, publish the synthetic camera and microphone, receive everybody else, and report.

The parent drives a :class:`Worker` (one process, several participants of one room) through a pipe:
it joins them, waits until each receives video and audio from every other participant of the room,
opens a measuring window (``"mark"``) and gets a report when it stops them (``"stop"``).

:func:`install_light_media` (optional, in a worker process only) lets a small machine carry many
participants: VP8 and Opus are replayed from pre-encoded clips instead of encoded, and received frames
are counted from their RTP packets instead of being reassembled and decoded. What goes over the wire,
and so what the server does, stays that of real participants (less the receivers' RTCP feedback).
The camera clip can have another size than the synthetic camera's default (``camera``), and participants
can be send-only (``receive=False``: :func:`install_send_only`), for a bench that measures one receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import time
from pathlib import Path
from typing import Any, ClassVar

import av
import numpy as np
from _common import poll_until  # bench/ is on sys.path
from aiortc import (
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpReceiver,
    RTCSessionDescription,
    rtcrtpsender,
    rtp,
)
from aiortc.codecs.base import Encoder
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RtpPacket
from av.frame import Frame
from rest_bench import BenchError
from sfu_bench import CLIP_FRAMES

from meetdesk.client.media.synthetic import SyntheticCamera, SyntheticMicrophone
from meetdesk.client.session import MeetingSession
from meetdesk.rtc.clock import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE

JOIN_TIMEOUT_S = 60.0  # one join under load, and one first frame
FLOWING_TIMEOUT_S = 180.0  # every participant receiving every other one, on a saturated machine


# --- light media: what lets 2 cores carry 30 participants next to the server -------------------------


class ReplayVp8Encoder(Vp8Encoder):
    """Sends the next frame of a pre-encoded synthetic-camera clip instead of encoding the frame it is given
    (whose pts it keeps); a keyframe request restarts the clip, which starts with a keyframe."""

    created = 0

    def __init__(self, clip: list[bytes]) -> None:
        super().__init__()
        self.clip = clip
        self.index = 0
        ReplayVp8Encoder.created += 1

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        if force_keyframe:
            self.index = 0
        packet = av.Packet(self.clip[self.index])
        packet.pts, packet.time_base = frame.pts, frame.time_base
        self.index = (self.index + 1) % len(self.clip)
        return self.pack(packet)


class ReplayOpusEncoder(OpusEncoder):
    """Sends the next packet of a pre-encoded second of the synthetic microphone's tone (keeping the pts)."""

    def __init__(self, clip: list[bytes]) -> None:
        super().__init__()
        self.clip = clip
        self.index = 0

    def encode(self, frame: Frame, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        packet = av.Packet(self.clip[self.index])
        packet.pts, packet.time_base = frame.pts, frame.time_base
        self.index = (self.index + 1) % len(self.clip)
        return self.pack(packet)


def vp8_clip(width: int = 640, height: int = 480, frames: int = CLIP_FRAMES) -> list[bytes]:
    """Frames of the synthetic camera (source 1) at ``width`` x ``height``, VP8 as aiortc encodes them, the first
    a keyframe (what ``sfu_bench.encode_clips`` makes at the default size)."""
    camera, encoder = SyntheticCamera(source_id=1, width=width, height=height), Vp8Encoder()
    clip = []
    for n in range(frames):
        payloads, _ = encoder.encode(camera.make_frame(n), force_keyframe=n == 0)
        clip.append(b"".join(vp8_depayload(p) for p in payloads))
    return clip


def opus_clip(frames: int = 50) -> list[bytes]:
    microphone, encoder = SyntheticMicrophone(source_id=1), OpusEncoder()
    return [payload for n in range(frames) for payload in encoder.encode(microphone.make_frame(n))[0]]


def audio_level_dbov(frame: av.AudioFrame) -> int:
    """``aiortc.rtp.compute_audio_level_dbov`` (RFC 6465 appendix A), the same value with numpy instead of a
    Python loop over the samples: the sender computes it for every 20 ms of audio."""
    samples = np.frombuffer(bytes(frame.planes[0]), dtype=np.int16).astype(np.float64)
    rms = math.sqrt(float(np.dot(samples, samples)) / (frame.samples * 32767 * 32767))
    return round(min(max(20 * math.log10(rms), -127), 0)) if rms > 0 else -127


def counted_frame(kind: str) -> Frame:
    """What a participant's track yields for each frame received, in place of a decoded one."""
    if kind == "video":
        return av.VideoFrame(32, 32, "gray")  # too small for a synthetic marker: not read (nor converted)
    frame = av.AudioFrame(format="s16", layout="mono", samples=960)
    frame.sample_rate = 48_000
    return frame


class CountingReceiver:
    """Replaces ``RTCRtpReceiver._handle_rtp_packet``: one placeholder frame per received frame (a video
    frame ends on the RTP marker bit; every audio packet is a frame) goes straight to the track, without
    bitrate estimation, NACKs, jitter buffer or decoding: a participant's receiving costs a fraction."""

    frames: ClassVar[dict[str, Frame]] = {"video": counted_frame("video"), "audio": counted_frame("audio")}
    calls = 0

    @staticmethod
    async def handle_rtp_packet(receiver: RTCRtpReceiver, packet: RtpPacket, arrival_time_ms: int) -> None:
        CountingReceiver.calls += 1
        track = getattr(receiver, "_track", None)  # renamed by an aiortc upgrade: no frames, and the run says so
        if track is not None and (track.kind == "audio" or packet.marker):
            track._queue.put_nowait(CountingReceiver.frames[track.kind])


def install_light_media(camera: tuple[int, int] = (640, 480)) -> None:
    """In a participants' worker process only: VP8 and Opus are replayed, not encoded (the video clip is
    ``camera`` = (width, height) in size); received frames are counted, not reassembled and decoded
    (:class:`CountingReceiver`); the camera's frames (whose pixels nobody reads any more) are blank; the
    sender's audio level is computed with numpy. What goes over the wire, and so what the server does,
    stays that of real participants (less the receivers' RTCP feedback)."""
    for owner, name in (
        (rtcrtpsender, "get_encoder"),
        (rtp, "compute_audio_level_dbov"),
        (RTCRtpReceiver, "_handle_rtp_packet"),
    ):
        if not callable(getattr(owner, name, None)):
            raise BenchError(f"aiortc changed: {owner.__name__}.{name} is gone; the light media hooks need updating")
    if not hasattr(RemoteStreamTrack(kind="audio"), "_queue"):
        raise BenchError("aiortc changed: RemoteStreamTrack has no _queue; the light media hooks need updating")
    video, audio = vp8_clip(*camera), opus_clip()
    real_encoder = rtcrtpsender.get_encoder

    def get_encoder(codec: RTCRtpCodecParameters) -> Encoder:
        mime = codec.mimeType.lower()
        if mime in ("video/vp8", "audio/opus"):
            return ReplayVp8Encoder(video) if mime == "video/vp8" else ReplayOpusEncoder(audio)
        return real_encoder(codec)

    def blank_frame(camera: SyntheticCamera, frame_number: int) -> av.VideoFrame:
        frame = av.VideoFrame(32, 32, "yuv420p")
        frame.pts = round(frame_number * VIDEO_CLOCK_RATE / camera.fps)
        frame.time_base = VIDEO_TIME_BASE
        return frame

    rtcrtpsender.get_encoder = get_encoder  # type: ignore[attr-defined]
    rtp.compute_audio_level_dbov = audio_level_dbov
    RTCRtpReceiver._handle_rtp_packet = CountingReceiver.handle_rtp_packet  # type: ignore[method-assign, assignment]
    SyntheticCamera.make_frame = blank_frame  # type: ignore[assignment, method-assign]


def install_send_only() -> None:
    """In a participants' worker process only: every answer this process gives makes its transceivers
    inactive, so a participant's subscriber connection (the server offers, the participant answers) is
    set up but carries nothing, and the server forwards it nothing. The participant publishes as before
    (its publisher connection offers). For benches that measure one receiver on a small machine."""
    create_answer = RTCPeerConnection.createAnswer

    async def inactive_answer(pc: RTCPeerConnection) -> RTCSessionDescription:
        for transceiver in pc.getTransceivers():
            transceiver.direction = "inactive"
        return await create_answer(pc)

    RTCPeerConnection.createAnswer = inactive_answer  # type: ignore[method-assign, assignment]


# --- participants in worker processes ------------------------------------------------------------


def group_main(
    link: str,
    names: list[str],
    first_source: int,
    room_size: int,
    nice: int,
    light: bool,
    conn: multiprocessing.connection.Connection,
    camera: tuple[int, int] = (640, 480),
    receive: bool = True,
) -> None:
    os.nice(nice)
    if light:
        try:
            install_light_media(camera)
        except BenchError as exc:
            conn.send({"error": str(exc)})
            return
    if not receive:
        install_send_only()
    asyncio.run(Group(link, names, first_source, room_size, light, conn, receive).run())


class Group:
    """Participants of one room in one process (the room may have more, in other processes): join, report,
    keep media flowing until told to stop. Send-only participants (``receive`` False) expect nothing.

    Messages to the parent, in order: ``{"joined"}``, ``{"flowing"}``, then ``{"marked"}`` for each
    ``"mark"`` and the final ``{"report"}`` for ``"stop"``; ``{"error"}`` instead of any of them.
    """

    def __init__(
        self,
        link: str,
        names: list[str],
        first_source: int,
        room_size: int,
        light: bool,
        conn: multiprocessing.connection.Connection,
        receive: bool = True,
    ) -> None:
        self.link = link
        self.names = names
        self.first_source = first_source
        self.room_size = room_size
        self.light = light
        self.conn = conn
        self.receive = receive
        self.sessions: list[MeetingSession] = []
        self.marked: dict[int, int] = {}  # id(RemoteTrack) -> its frames when the window opened
        self.marked_at = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        report: dict[str, Any] = {}
        try:
            start = time.monotonic()
            for i, name in enumerate(self.names):
                # light media replays one pre-encoded clip whatever the layer: no low layer to send
                session = MeetingSession(
                    self.link, name, source_id=(self.first_source + i - 1) % 255 + 1, simulcast=not self.light
                )
                self.sessions.append(session)
                await asyncio.wait_for(session.join(), JOIN_TIMEOUT_S)
            identities = [self.identity(s) for s in self.sessions]
            self.conn.send({"joined": identities, "seconds": time.monotonic() - start})
            start = time.monotonic()
            await poll_until(lambda: self.received() >= self.expected(), FLOWING_TIMEOUT_S, 0.1)
            received = self.received()
            if self.light and received and not (ReplayVp8Encoder.created and CountingReceiver.calls):
                raise BenchError("the light media hooks were not used: aiortc must have changed")
            self.conn.send(
                {"flowing": received, "expected": self.expected(), "seconds": time.monotonic() - start}
                | ({"missing": await self.missing()} if received < self.expected() else {})
            )
            while await loop.run_in_executor(None, self.conn.recv) == "mark":
                self.marked_at = time.monotonic()
                self.marked = self.frames()
                self.conn.send({"marked": True})
            report = self.report()
        except Exception as exc:  # the parent reports it and fails the run
            self.conn.send({"error": f"{type(exc).__name__}: {exc}"})
        finally:
            await asyncio.gather(*(s.leave() for s in self.sessions), return_exceptions=True)
        if report:
            self.conn.send({"report": report})

    @staticmethod
    def identity(session: MeetingSession) -> str:
        assert session.joined is not None
        return session.joined.you.identity

    def expected(self) -> int:
        """(receiver, sender, kind) triples: everybody else's video and audio at each of ours."""
        return len(self.sessions) * (self.room_size - 1) * 2 if self.receive else 0

    def triples(self) -> set[tuple[str, str, str]]:
        return {
            (self.identity(s), r.identity, r.kind)
            for s in self.sessions
            for r in s.remote.values()
            if r.frames > 0 and r.identity != self.identity(s)
        }

    def received(self) -> int:
        return len(self.triples())

    async def missing(self, limit: int = 12) -> list[str]:
        """Remote tracks without media, and how many RTP packets arrived for each."""
        lines = []
        for session in self.sessions:
            me = self.identity(session)
            offered = {(r.identity, r.kind) for r in session.remote.values() if r.identity != me}
            if len(offered) < (self.room_size - 1) * 2:
                lines.append(f"{me}: {(self.room_size - 1) * 2 - len(offered)} remote tracks not offered")
            for r in session.remote.values():
                if r.frames == 0 and r.identity != me:
                    lines.append(f"{me} <- {r.identity} {r.kind}: {await self.diagnose(session, r.mid)}")
        return lines[:limit]

    @staticmethod
    async def diagnose(session: MeetingSession, mid: str) -> str:
        """RTP packets that reached a remote track's receiver: none (not sent, or lost) or some (not assembled)."""
        pc = getattr(session, "_subscriber", None)  # the session's subscriber connection, for diagnostics only
        pc = getattr(pc, "pc", pc)
        if not isinstance(pc, RTCPeerConnection):
            return f"mid {mid}, no subscriber connection"
        transceiver = next((t for t in pc.getTransceivers() if t.mid == mid), None)
        if transceiver is None:
            return f"mid {mid}, no transceiver"
        stats = await transceiver.receiver.getStats()
        packets = sum(getattr(s, "packetsReceived", 0) for s in stats.values() if s.type == "inbound-rtp")
        return f"mid {mid}, {packets} RTP packets received, connection {pc.connectionState}"

    def frames(self) -> dict[int, int]:
        """Video frames so far per remote track (by object: a rebuilt connection brings new ones, from 0)."""
        return {id(r): r.frames for s in self.sessions for r in s.remote.values() if r.kind == "video"}

    def report(self) -> dict[str, Any]:
        window = time.monotonic() - self.marked_at
        now = self.frames()
        fps = [(frames - self.marked.get(key, 0)) / window for key, frames in now.items()] if self.marked_at else []
        kinds = [r.kind for s in self.sessions for r in s.remote.values() if r.frames > 0]
        return {
            "fps": fps,
            "video": kinds.count("video"),
            "audio": kinds.count("audio"),
            "received": self.received(),
            "udp_drops": udp_drops(os.getpid()),
        }


def udp_drops(pid: int) -> int:
    """Datagrams the kernel dropped (receive buffer full) on the UDP sockets a process holds now (Linux)."""
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    drops = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    drops += int(fields[-1])
    return drops


class Worker:
    """The parent's handle on a :class:`Group` in its own process (``camera`` and ``receive``: see
    :func:`install_light_media`, which ``camera`` needs, and :func:`install_send_only`)."""

    def __init__(
        self,
        link: str,
        names: list[str],
        first_source: int,
        room_size: int,
        nice: int = 0,
        light: bool = False,
        camera: tuple[int, int] = (640, 480),
        receive: bool = True,
    ) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        args = (link, names, first_source, room_size, nice, light, child, camera, receive)
        self.process = ctx.Process(target=group_main, args=args, daemon=True)
        self.process.start()
        self.stopped = False

    async def expect(self, key: str, timeout: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self.conn.poll, timeout):
            raise BenchError(f"participants' worker process sent no {key!r} within {timeout:.0f} s")
        reply: dict[str, Any] = self.conn.recv()
        if "error" in reply:
            raise BenchError(f"participants' worker process failed: {reply['error']}")
        if key not in reply:
            raise BenchError(f"participants' worker process sent {sorted(reply)}, expected {key!r}")
        return reply

    def send(self, command: str) -> None:
        self.conn.send(command)

    async def stop(self) -> dict[str, Any]:
        """Ask for the report; everybody leaves."""
        if self.stopped:
            return {}
        self.stopped = True
        try:
            self.send("stop")
            return (await self.expect("report", 60))["report"]  # type: ignore[no-any-return]
        finally:
            await asyncio.get_running_loop().run_in_executor(None, self.process.join, 15)
            if self.process.is_alive():
                self.process.kill()


async def close_all(workers: list[Worker]) -> None:
    for worker in workers:
        with contextlib.suppress(BenchError, OSError, EOFError):
            await worker.stop()
