"""Guards for every hook the SFU has into aiortc's internals (see ``meetdesk/server/sfu/hooks.py``).

If one of these fails, the pinned aiortc changed under the SFU: the forwarder would silently start
decoding, stop forwarding, or lose keyframe requests. Read the new aiortc source and adapt
``hooks.py`` before touching these tests.
"""

from __future__ import annotations

import asyncio
import fractions
import inspect
import queue
import threading
from collections.abc import AsyncIterator

import aiortc
import av
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack, decoder_worker
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket, RtpPacket, pack_remb_fci

from meetdesk.rtc import internals
from meetdesk.rtc.errors import PINNED_AIORTC
from meetdesk.server.sfu import hooks
from meetdesk.server.sfu.assembler import OpusFrameAssembler, Vp8FrameAssembler

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)


def source(function: object) -> str:
    return inspect.getsource(function)  # type: ignore[arg-type]


@pytest.fixture
async def pc() -> AsyncIterator[RTCPeerConnection]:
    connection = RTCPeerConnection()
    yield connection
    await connection.close()


def video_receiver(pc: RTCPeerConnection) -> RTCRtpReceiver:
    receiver = pc.addTransceiver("video").receiver
    # what RTCPeerConnection does when a remote description adds the track
    receiver._track = RemoteStreamTrack(kind="video")
    return receiver


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__.startswith(PINNED_AIORTC), (
        f"aiortc {aiortc.__version__} is not the version the SFU hooks were written for; re-check hooks.py"
    )


async def test_receiver_has_the_private_attributes_the_tap_replaces(pc: RTCPeerConnection) -> None:
    receiver = video_receiver(pc)
    hooks.check_receiver(receiver)
    assert isinstance(getattr(receiver, internals.RECEIVER_JITTER_BUFFER), JitterBuffer)
    assert isinstance(getattr(receiver, internals.RECEIVER_DECODER_QUEUE), queue.Queue)
    assert getattr(receiver, internals.RECEIVER_DECODER_THREAD) is None
    assert getattr(receiver, internals.RECEIVER_KIND) == "video"
    assert getattr(receiver, internals.RECEIVER_CODECS) == {}
    pli = RTCRtpReceiver._send_rtcp_pli
    assert inspect.iscoroutinefunction(pli)
    assert list(inspect.signature(pli).parameters) == ["self", "media_ssrc"]


def test_receiver_feeds_the_jitter_buffer_and_decoder_queue_as_the_tap_expects() -> None:
    handle = source(RTCRtpReceiver._handle_rtp_packet)
    # the assembler reads the depayloaded data the receiver stores on the packet ...
    assert "packet._data = depayload(codec, packet.payload)" in handle
    # ... and takes the jitter buffer's place, with its return shape
    assert "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)" in handle
    assert handle.index("packet._data = depayload") < handle.index("self.__jitter_buffer.add(packet)")
    assert "self.__decoder_queue.put((codec, encoded_frame))" in handle
    # retransmissions reach the assembler unwrapped, with the media codec's payload type
    assert handle.index("packet = unwrap_rtx(") < handle.index("self.__jitter_buffer.add(packet)")
    # the codec map the assembler checks payload types against is filled in place by receive()
    assert "self.__codecs[codec.payloadType] = codec" in source(RTCRtpReceiver.receive)
    # the decoder thread reads the queue object found on the receiver when receive() runs
    receive = source(RTCRtpReceiver.receive)
    assert "target=decoder_worker" in receive and "self.__decoder_queue," in receive
    # stopping (stop(), RTCP BYE, disconnect) puts None on that queue: the tap's end-of-stream signal
    stop = source(RTCRtpReceiver._RTCRtpReceiver__stop_decoder)  # type: ignore[attr-defined]
    assert "self.__decoder_queue.put(None)" in stop and "self.__decoder_thread.join()" in stop
    assert "self.__stop_decoder()" in source(RTCRtpReceiver.stop)
    assert "self.__stop_decoder()" in source(RTCRtpReceiver._handle_disconnect)


async def test_decoder_worker_ends_at_once_on_the_tap_queue_without_a_decoder() -> None:
    loop = asyncio.get_running_loop()
    output: asyncio.Queue[object] = asyncio.Queue()
    ended: list[bool] = []
    stand_in = hooks._EndOfStream(lambda: ended.append(True))
    thread = threading.Thread(target=decoder_worker, args=(loop, stand_in, output, threading.Event()))
    thread.start()
    await loop.run_in_executor(None, thread.join, 5.0)
    assert not thread.is_alive()
    assert await asyncio.wait_for(output.get(), 5.0) is None  # the remote track is told it ended
    assert not ended  # the thread ending is not the stream ending
    stand_in.put(None)
    stand_in.put(None)
    assert ended == [True]


@pytest.mark.parametrize("tap_before_receive", [True, False], ids=["tap-then-receive", "receive-then-tap"])
async def test_tap_stops_the_decoder_thread_and_reports_the_end(
    pc: RTCPeerConnection, tap_before_receive: bool
) -> None:
    receiver = video_receiver(pc)
    ended: list[bool] = []
    if tap_before_receive:
        assembler = hooks.tap_receiver(receiver, lambda frame: None, lambda: ended.append(True))
    await receiver.receive(RTCRtpReceiveParameters(codecs=[VP8]))
    if not tap_before_receive:
        assert hooks.decoder_thread(receiver) is not None
        assembler = hooks.tap_receiver(receiver, lambda frame: None, lambda: ended.append(True))
    thread = hooks.decoder_thread(receiver)
    assert thread is not None
    await asyncio.get_running_loop().run_in_executor(None, thread.join, 5.0)
    assert not thread.is_alive()
    assert getattr(receiver, internals.RECEIVER_JITTER_BUFFER) is assembler
    assert isinstance(assembler, Vp8FrameAssembler)
    assert assembler._guard._codecs == {VP8.payloadType: VP8}  # the receiver's map, as receive() filled it
    await receiver.stop()
    assert ended == [True]


async def test_audio_receivers_get_the_opus_assembler(pc: RTCPeerConnection) -> None:
    receiver = pc.addTransceiver("audio").receiver
    assert isinstance(hooks.tap_receiver(receiver, lambda frame: None, lambda: None), OpusFrameAssembler)


def test_sender_routes_pli_and_fir_through_send_keyframe() -> None:
    assert list(inspect.signature(RTCRtpSender._send_keyframe).parameters) == ["self"]
    handle = source(RTCRtpSender._handle_rtcp_packet)
    branch = handle[handle.index("RTCP_PSFB_FIR") :]
    assert "RTCP_PSFB_PLI" in branch
    assert branch.index("self._send_keyframe()") < branch.index("RTCP_PSFB_APP")


async def test_redirected_sender_calls_the_forwarder_not_its_encoder(pc: RTCPeerConnection) -> None:
    sender = pc.addTransceiver("video").sender
    calls: list[bool] = []

    def request() -> None:
        calls.append(True)

    hooks.redirect_keyframe_requests(sender, request)
    sender._send_keyframe()
    assert calls == [True]
    assert sender._RTCRtpSender__force_keyframe is False  # type: ignore[attr-defined]
    hooks.restore_keyframe_requests(sender, lambda: None)  # redirected to someone else: left alone
    sender._send_keyframe()
    assert calls == [True, True]
    hooks.restore_keyframe_requests(sender, request)
    sender._send_keyframe()
    assert calls == [True, True]
    assert sender._RTCRtpSender__force_keyframe is True  # type: ignore[attr-defined]


def test_sender_packs_packets_without_encoding() -> None:
    """The subscriber side needs no hook only because of this branch: av.Packet -> pack(), not encode()."""
    next_frame = source(RTCRtpSender._next_encoded_frame)
    assert "data = await self.__track.recv()" in next_frame
    assert "if isinstance(data, Frame):" in next_frame
    assert "self.__encoder.pack(data)" in next_frame
    assert next_frame.index("if isinstance(data, Frame):") < next_frame.index("self.__encoder.pack(data)")
    # and pack() never opens a codec
    assert "self.codec" not in source(Vp8Encoder.pack)
    assert "self.codec" not in source(OpusEncoder.pack)


def test_check_functions_fail_loudly_on_objects_without_the_internals() -> None:
    with pytest.raises(hooks.AiortcHookError, match="RTCRtpReceiver lacks"):
        hooks.check_receiver(object())  # type: ignore[arg-type]
    with pytest.raises(hooks.AiortcHookError, match="RTCRtpSender lacks"):
        hooks.check_sender(object())  # type: ignore[arg-type]


def test_a_sender_whose_track_is_replaced_by_none_idles_and_lives_on() -> None:
    """Subscription.close() relies on this to free a transceiver for the next subscription:
    the RTP loop ends for good on MediaStreamError, but idles while the track is None, and an
    empty VP8 packet (the filler a detached track returns) sends nothing."""
    run = source(RTCRtpSender._run_rtp)
    assert "if not self.__track:" in run and "await asyncio.sleep(0.02)" in run
    assert "except (asyncio.CancelledError, ConnectionError, MediaStreamError):" in run
    assert run.index("if not self.__track:") < run.index("await self._next_encoded_frame(codec)")
    assert "if not payloads:\n            return None" in source(RTCRtpSender._next_encoded_frame)
    packet = av.Packet(b"")
    packet.pts, packet.time_base = 0, fractions.Fraction(1, 90000)
    assert Vp8Encoder().pack(packet)[0] == []


def test_sender_stores_every_packet_in_its_history_and_answers_nacks_through_retransmit() -> None:
    """keep_history relies on these: each sent packet goes into the history by ``history[...] = packet``
    before it is sent, and each NACKed sequence number calls ``self._retransmit(seq)``."""
    run = source(RTCRtpSender._run_rtp)
    assert "self.__rtp_history[packet.sequence_number % RTP_HISTORY_SIZE] = (" in run
    handle = source(RTCRtpSender._handle_rtcp_packet)
    assert "for seq in packet.lost:\n                await self._retransmit(seq)" in handle
    retransmit = source(RTCRtpSender._retransmit)
    for used in ("self.__rtx_payload_type", "self._rtx_ssrc", "self.__rtx_sequence_number", "wrap_rtx("):
        assert used in retransmit
    assert "packet.serialize(self.__rtp_header_extensions_map)" in retransmit


class _Transport:
    """Where a sender's retransmissions go (the DTLS transport's ``_send_rtp``)."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def _send_rtp(self, data: bytes) -> None:
        self.sent.append(data)


async def test_a_sender_with_the_sfu_history_retransmits_from_it_as_rtx(pc: RTCPeerConnection) -> None:
    sender = pc.addTransceiver("video").sender
    history = hooks.keep_history(sender)
    assert hooks.keep_history(sender) is history and hooks.history_of(sender) is history
    assert getattr(sender, hooks.SENDER_HISTORY) is history
    transport = _Transport()
    sender._RTCRtpSender__transport = transport  # type: ignore[attr-defined]
    # what the RTP loop does for each packet it sends, and what send() sets for a negotiated RTX codec
    for seq in (65534, 65535, 0, 1):
        packet = aiortc.rtp.RtpPacket(payload_type=97, sequence_number=seq, timestamp=1000, ssrc=sender._ssrc)
        packet.payload = bytes([seq & 0xFF]) * 100
        history[seq % 128] = packet
    sender._RTCRtpSender__rtx_payload_type = 98  # type: ignore[attr-defined]
    rtx_seq = sender._RTCRtpSender__rtx_sequence_number  # type: ignore[attr-defined]
    await sender._retransmit(0)
    await sender._retransmit(5)  # never sent: nothing
    [data] = transport.sent
    rtx = aiortc.rtp.RtpPacket.parse(data)
    assert (rtx.payload_type, rtx.ssrc, rtx.sequence_number) == (98, sender._rtx_ssrc, rtx_seq)
    assert rtx.payload == b"\x00\x00" + bytes([0]) * 100  # the original's sequence number, then its payload
    assert sender._RTCRtpSender__rtx_sequence_number == (rtx_seq + 1) & 0xFFFF  # type: ignore[attr-defined]
    assert (history.retransmitted, history.unavailable) == (1, 1)


async def test_loss_reports_are_read_before_aiortc_handles_them_and_an_rr_goes_upstream(pc: RTCPeerConnection) -> None:
    """watch_loss_reports and report_loss_upstream rely on: RR reports carry the sender's _ssrc; a receiver
    has an RTCP SSRC once started and _send_rtcp(packet) to send one."""
    sender = pc.addTransceiver("audio").sender
    seen: list[float] = []
    hooks.watch_loss_reports(sender, seen.append)
    info = aiortc.rtp.RtcpReceiverInfo(
        ssrc=sender._ssrc, fraction_lost=64, packets_lost=1, highest_sequence=1, jitter=0, lsr=0, dlsr=0
    )
    await sender._handle_rtcp_packet(aiortc.rtp.RtcpRrPacket(ssrc=1, reports=[info]))
    assert seen == [0.25]
    receiver = pc.addTransceiver("audio").receiver
    assert hasattr(receiver, internals.RECEIVER_RTCP_SSRC) and callable(getattr(receiver, internals.RECEIVER_SEND_RTCP))
    sent: list[object] = []

    async def send(packet: object) -> None:
        sent.append(packet)

    setattr(receiver, internals.RECEIVER_SEND_RTCP, send)
    setattr(receiver, internals.RECEIVER_RTCP_SSRC, None)
    await hooks.report_loss_upstream(receiver, 1234, 0.1)
    assert sent == []  # no RTCP SSRC yet: nothing to send from
    setattr(receiver, internals.RECEIVER_RTCP_SSRC, 77)
    await hooks.report_loss_upstream(receiver, 1234, 0.1)
    [packet] = sent
    assert isinstance(packet, aiortc.rtp.RtcpRrPacket) and packet.ssrc == 77
    assert (packet.reports[0].ssrc, packet.reports[0].fraction_lost) == (1234, 26)


async def test_the_publishers_receiver_nacks_recent_losses_only_and_a_cut_not_at_all(pc: RTCPeerConnection) -> None:
    receiver = video_receiver(pc)
    sent: list[list[int]] = []

    async def send_rtcp(packet: object) -> None:
        sent.append(list(packet.lost))  # type: ignore[attr-defined]

    setattr(receiver, internals.RECEIVER_SEND_RTCP, send_rtcp)
    hooks.limit_nacks(receiver)
    generator = getattr(receiver, hooks.RECEIVER_NACK_GENERATOR)
    generator.max_seq = 1000
    generator.missing = {990, 900, 995}
    await receiver._send_rtcp_nack(1234, sorted(generator.missing))
    assert sent == [[990, 995]]  # 900 is too old to help: not asked for, and forgotten
    assert generator.missing == {990, 995}
    generator.missing = set(range(950, 1000))  # 50 at once: a cut
    await receiver._send_rtcp_nack(1234, sorted(generator.missing))
    assert sent == [[990, 995]] and generator.missing == set()


async def test_sender_feedback_hook_reads_remb_and_loss_and_aiortc_still_handles_them(pc: RTCPeerConnection) -> None:
    sender = pc.addTransceiver("video").sender
    hooks.check_feedback(sender)
    rembs: list[int] = []
    losses: list[float] = []
    rtx_reports: list[tuple[int, int]] = []
    hooks.observe_feedback(sender, rembs.append, losses.append, lambda *report: rtx_reports.append(report))
    remb = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(345_000, [sender._ssrc]))
    await sender._handle_rtcp_packet(remb)
    other = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(1, [sender._ssrc + 1]))
    await sender._handle_rtcp_packet(other)  # about another stream: not ours
    report = RtcpReceiverInfo(
        ssrc=sender._ssrc, fraction_lost=64, packets_lost=3, highest_sequence=10, jitter=0, lsr=0, dlsr=0
    )
    rtx_report = RtcpReceiverInfo(
        ssrc=sender._rtx_ssrc, fraction_lost=0, packets_lost=2, highest_sequence=70_000, jitter=0, lsr=0, dlsr=0
    )
    await sender._handle_rtcp_packet(RtcpRrPacket(ssrc=1, reports=[report, rtx_report]))
    assert rembs == [345_000] and losses == [0.25]
    assert rtx_reports == [(70_000, 2)]  # the report on its RTX stream: what the probe's verdict reads
    # a report on the RTX stream alone (a MeetDesk receiver's prompt one) is routed to the sender too
    router = getattr(sender.transport, internals.TRANSPORT_ROUTER)
    assert router.route_rtcp(RtcpRrPacket(ssrc=1, reports=[rtx_report])) == {sender}
    # aiortc handled them as before: the receiver report reached its statistics
    stats = await sender.getStats()
    assert any(getattr(s, "packetsLost", None) == 3 for s in stats.values())
    octets, packets = hooks.sent_counts(sender)
    assert (octets, packets) == (0, 0)


def test_sender_keeps_its_media_counters_and_rtx_state_where_the_probe_reads_them() -> None:
    run = source(RTCRtpSender._run_rtp)
    assert "self.__octet_count += len(payload)" in run and "self.__packet_count += 1" in run
    assert "self.__rtp_history[packet.sequence_number % RTP_HISTORY_SIZE]" in run
    assert "packet.extensions.abs_send_time" in run and "packet.extensions.mid = self.__mid" in run
    retransmit = source(RTCRtpSender._retransmit)
    assert "self.__rtx_sequence_number = uint16_add(self.__rtx_sequence_number, 1)" in retransmit
    # the receiver counts what arrives for its estimate before it drops an RTX packet without payload
    handle = source(RTCRtpReceiver._handle_rtp_packet)
    assert handle.index("remote_bitrate_estimator.add") < handle.index("len(packet.payload) < 2")
    assert "payload_size=len(packet.payload) + packet.padding_size" in handle


def test_newest_packets_of_aiortcs_own_history_follow_its_ring() -> None:
    history = {seq % 128: RtpPacket(sequence_number=seq & 0xFFFF) for seq in range(65500, 65536 + 40)}
    newest = hooks._newest_packets(history, 5)
    assert [p.sequence_number for p in newest] == [39, 38, 37, 36, 35]
    assert hooks._newest_packets({}, 5) == []
