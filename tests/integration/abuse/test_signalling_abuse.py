"""One participant must never freeze or block a room: hostile signalling against a real ``meetdesk server``
while a headless pair in the same room goes on sending and receiving video.

Every case is an attacker on its own signalling socket (or several). Each must get an error reply (or
be closed, for a socket that never joins), the attacker's socket must live on where the protocol says so,
and the pair's frames must keep coming. The module's server is held to the abuse suite's 50 ms loop
stall (conftest) and its memory is measured around the 1,000-m-line offers.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
import websockets
from aiortc import RTCPeerConnection
from websockets.asyncio.client import ClientConnection

from meetdesk.client.session import MeetingSession
from meetdesk.client.signalling import signalling_url
from meetdesk.core.signalling import ChatHistoryPage, ChatReceived
from tests.integration.abuse.conftest import AbuseServer
from tests.integration.meeting_helpers import frames_from, until

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

JOIN_TIMEOUT = 2.0
ANSWER_TIMEOUT = 2.0
JOINING_PER_ADDRESS = 4
SERVER_ENV = {
    "MEETDESK_JOIN_TIMEOUT": str(JOIN_TIMEOUT),
    "MEETDESK_ANSWER_TIMEOUT": str(ANSWER_TIMEOUT),
    "MEETDESK_MAX_JOINING_SOCKETS_PER_ADDRESS": str(JOINING_PER_ADDRESS),
}
#: frames each of the pair must receive of the other after an attack (at ~30 fps: about half a second)
FRAMES_AFTER = 15


@dataclass
class Room:
    room_id: str
    moderator_url: str
    speaker_url: str
    speaker_secret: str


@pytest.fixture(scope="module")
def room(abuse_server: AbuseServer) -> Room:
    with abuse_server.http(**abuse_server.key) as http:
        response = http.post("/api/v1/rooms", json={"roomName": "Under attack"})
        assert response.status_code == 201, response.text
    body = response.json()
    secrets = [re.search(r"secret=([^&#]+)", body[f"{role}Url"]).group(1) for role in ("moderator", "speaker")]  # type: ignore[union-attr]
    abuse_server.keep_secret(*secrets)
    return Room(body["roomId"], body["moderatorUrl"], body["speakerUrl"], secrets[1])


@dataclass
class Pair:
    ana: MeetingSession
    bo: MeetingSession

    def frames(self) -> tuple[int, int]:
        """(frames Ana got of Bo's camera, frames Bo got of Ana's)"""
        assert self.ana.joined is not None and self.bo.joined is not None
        return (
            frames_from(self.ana, self.bo.joined.you.identity),
            frames_from(self.bo, self.ana.joined.you.identity),
        )

    async def still_receiving(self, before: tuple[int, int]) -> None:
        # frame counters have no event to await: polled
        await until(lambda: all(now >= then + FRAMES_AFTER for now, then in zip(self.frames(), before, strict=True)))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pair(abuse_server: AbuseServer, room: Room) -> AsyncIterator[Pair]:
    ana = MeetingSession(room.moderator_url, "Ana", source_id=1)
    bo = MeetingSession(room.speaker_url, "Bo", source_id=2)
    await ana.join()
    await bo.join()
    abuse_server.keep_secret(ana.token or "", bo.token or "")
    pair = Pair(ana, bo)
    try:
        await pair.still_receiving((0, 0))
        yield pair
    finally:
        await ana.leave()
        await bo.leave()


class Attacker:
    """A raw signalling socket: what it sends is not checked on this side."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def connect(cls, server: AbuseServer) -> Attacker:
        return cls(await websockets.connect(signalling_url(server.url), max_size=2**20))

    @classmethod
    async def join(cls, server: AbuseServer, room: Room, name: str = "Mallory") -> Attacker:
        token = await asyncio.to_thread(server.participant_token, room.room_id, room.speaker_secret, name)
        attacker = await cls.connect(server)
        await attacker.send(json.dumps({"type": "join", "token": token}))
        await attacker.next("joined")
        return attacker

    async def send(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def next(self, kind: str, timeout: float = 10.0, **fields: object) -> dict[str, object]:
        """The next message of type ``kind`` with ``fields`` (others skipped: offers, presence)."""

        async def find() -> dict[str, object]:
            while True:
                message = json.loads(await self.ws.recv())
                if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                    return message  # type: ignore[no-any-return]

        return await asyncio.wait_for(find(), timeout)

    async def error(self, code: str, **fields: object) -> str:
        """The next error of ``code``; its message."""
        message = await self.next("error", code=code, **fields)
        return str(message["message"])

    async def alive(self) -> None:
        await self.send(json.dumps({"type": "ping"}))
        await self.next("pong")

    async def close(self) -> None:
        await self.ws.close()


async def aiortc_offer() -> str:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


def thousand_m_lines(offer: str) -> str:
    section = (
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:{}\r\na=sendonly\r\na=rtcp-mux\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    head, first = offer.split("m=", 1)
    session = "".join(line + "\r\n" for line in first.split("\r\n") if re.match(r"a=(ice-|fingerprint|setup)", line))
    return head + session + "".join(section.format(i) for i in range(1000))


def publish(sdp: str) -> str:
    return json.dumps({"type": "publish_offer", "sdp": sdp})


def server_rss_kib(server: AbuseServer) -> int:
    assert server.process.process is not None
    status = Path(f"/proc/{server.process.process.pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert found is not None
    return int(found.group(1))


# --- the cases -----------------------------------------------------------------------------------

Case = Callable[[AbuseServer, Room, Pair], Awaitable[None]]


async def thousand_m_line_offers(server: AbuseServer, room: Room, pair: Pair) -> None:
    attacker = await Attacker.join(server, room)
    offer = thousand_m_lines(await aiortc_offer())
    assert 130_000 < len(offer) < 200_000
    before = server_rss_kib(server)
    for _ in range(20):
        await attacker.send(publish(offer))
        assert "at most 4 media sections" in await attacker.error("invalid_sdp", ref="publish_offer")
    await attacker.alive()
    grown = server_rss_kib(server) - before
    print(f"server RSS around 20 offers of 1,000 m-lines: {before} KiB -> {before + grown} KiB")
    assert grown < 20 * 1024, f"the server grew {grown} KiB"
    await attacker.close()


def offer_case(change: Callable[[str], str], problem: str) -> Case:
    async def case(server: AbuseServer, room: Room, pair: Pair) -> None:
        attacker = await Attacker.join(server, room)
        await attacker.send(publish(change(await aiortc_offer())))
        assert problem in await attacker.error("invalid_sdp", ref="publish_offer")
        await attacker.alive()
        await attacker.close()

    return case


async def deeply_nested_frame(server: AbuseServer, room: Room, pair: Pair) -> None:
    attacker = await Attacker.join(server, room)
    for frame in ("[" * 100_000, '{"type": "chat", "text": ' + "[" * 100_000, '{"a":' * 50_000):
        await attacker.send(frame)
        await attacker.error("malformed")
    await attacker.alive()
    await attacker.close()


async def binary_frames(server: AbuseServer, room: Room, pair: Pair) -> None:
    attacker = await Attacker.join(server, room)
    await attacker.send(b"\x00\xff" * 1000)
    assert "binary frame" in await attacker.error("malformed")
    await attacker.alive()
    await attacker.close()
    # before its join too: the socket is told and may still join
    early = await Attacker.connect(server)
    await early.send(b"\x89PNG")
    await early.error("malformed")
    await early.close()


async def unanswered_offer_then_a_stray_answer(server: AbuseServer, room: Room, pair: Pair) -> None:
    attacker = await Attacker.join(server, room)
    await attacker.next("subscribe_offer")  # the pair's tracks, offered; never answered
    assert "not answered" in await attacker.error("timeout", ref="subscribe_offer")
    await attacker.send(json.dumps({"type": "subscribe_answer", "sdp": await aiortc_offer()}))
    assert "state is 'none'" in await attacker.error("bad_state", ref="subscribe_answer")
    await attacker.alive()
    await attacker.close()


async def control_characters_in_chat(server: AbuseServer, room: Room, pair: Pair) -> None:
    attacker = await Attacker.join(server, room)
    await attacker.send(json.dumps({"type": "chat", "text": "\x01" * 2000}))
    assert "control characters" in await attacker.error("malformed", ref="chat")
    await attacker.alive()
    await attacker.close()


async def socket_that_only_pings(server: AbuseServer, room: Room, pair: Pair) -> None:
    attacker = await Attacker.connect(server)

    async def keep_pinging() -> None:
        while True:
            await attacker.send(json.dumps({"type": "ping"}))
            await asyncio.sleep(JOIN_TIMEOUT / 8)  # the attack: a message well within every join timeout

    pinger = asyncio.create_task(keep_pinging())
    try:
        # each ping is told to join first; then the deadline passes, counted from the socket's opening
        while "within 2 s" not in await attacker.error("not_joined", timeout=JOIN_TIMEOUT * 3):
            pass
        await asyncio.wait_for(attacker.ws.wait_closed(), JOIN_TIMEOUT)
    finally:
        pinger.cancel()
        await asyncio.wait([pinger])
        await attacker.close()


async def many_sockets_that_never_join(server: AbuseServer, room: Room, pair: Pair) -> None:
    held = [await Attacker.connect(server) for _ in range(JOINING_PER_ADDRESS)]
    for attacker in held:
        await attacker.send(json.dumps({"type": "ping"}))
        await attacker.error("not_joined")  # each is being served (counted) before the next comes
    one_more = await Attacker.connect(server)
    assert "waiting to join" in await one_more.error("rate_limited")
    await asyncio.wait_for(one_more.ws.wait_closed(), JOIN_TIMEOUT)
    for attacker in held:
        await attacker.close()


CASES: dict[str, Case] = {
    "1000 m-lines": thousand_m_line_offers,
    "no fingerprint": offer_case(lambda s: re.sub(r"a=fingerprint:.*\r\n", "", s), "DTLS fingerprint"),
    "no ICE credentials": offer_case(lambda s: re.sub(r"a=ice-(ufrag|pwd):.*\r\n", "", s), "ICE credentials"),
    "setup:active offered": offer_case(lambda s: s.replace("a=setup:actpass", "a=setup:active"), "setup:active"),
    "binary garbage SDP": offer_case(lambda s: "v=0\r\n" + bytes(range(256)).decode("latin-1"), "binary data"),
    "frames nested 100,000 deep": deeply_nested_frame,
    "binary frames": binary_frames,
    "unanswered offer, stray answer": unanswered_offer_then_a_stray_answer,
    "control characters in chat": control_characters_in_chat,
    "socket that only pings": socket_that_only_pings,
    "sockets that never join": many_sockets_that_never_join,
}


@pytest.mark.parametrize("name", list(CASES))
async def test_an_attack_gets_an_error_and_the_room_goes_on(
    name: str, abuse_server: AbuseServer, room: Room, pair: Pair
) -> None:
    before = pair.frames()
    await asyncio.wait_for(CASES[name](abuse_server, room, pair), 30)
    await pair.still_receiving(before)


async def test_chat_history_never_blocks_a_join(abuse_server: AbuseServer, room: Room, pair: Pair) -> None:
    """140 messages of 2,000 four-byte characters (1.1 MB of history; control characters are refused now) and
    a newcomer still joins: ``joined`` carries the newest page and the rest comes on request."""
    for n in range(140):  # from both: each within its socket's burst of messages
        await (pair.ana if n % 2 else pair.bo).chat(f"{n:03d}" + "😀" * 1997)
    # chat goes without an acknowledgement: until the last one comes back, the server may not have them all
    last = f"{139:03d}"
    await anext(e async for e in pair.bo.events() if isinstance(e, ChatReceived) and e.message.text.startswith(last))
    newcomer = MeetingSession(room.speaker_url, "Cy", source_id=3, publish_video=False, publish_audio=False)
    await newcomer.join()
    abuse_server.keep_secret(newcomer.token or "")
    try:
        assert newcomer.joined is not None
        page = newcomer.joined.chat
        assert 0 < len(page) <= 50 and newcomer.joined.chatMore
        assert len(newcomer.joined.model_dump_json(exclude_none=True).encode()) < 128 * 1024
        assert page[-1].text[:3] in ("138", "139")  # the newest, oldest first
        seen = [m.text[:3] for m in page]
        events = newcomer.events()
        while await newcomer.fetch_older_chat():
            older = await anext(e async for e in events if isinstance(e, ChatHistoryPage))
            seen = [m.text[:3] for m in older.messages] + seen
        # every message once (two senders: the server may have taken two neighbours in either order)
        assert sorted(seen) == [f"{n:03d}" for n in range(140)]
    finally:
        await newcomer.leave()
