"""What a publish offer or a subscribe answer may hold (meetdesk.rtc.sdp), on descriptions aiortc made."""

from __future__ import annotations

import re

import pytest

from meetdesk.rtc import sdp
from meetdesk.rtc.sdp import SdpProblem


def thousand_m_lines(offer: str) -> str:
    """The reviewer's offer: a thousand minimal m-lines (~150 kB, under the signalling size cap)."""
    section = (
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:{}\r\na=sendonly\r\na=rtcp-mux\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=rtpmap:0 PCMU/8000\r\n"
    )
    head = offer.split("m=", 1)[0]
    credentials = "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=setup:actpass\r\n"
    fingerprint = re.search(r"a=fingerprint:sha-256 .*\r\n", offer)
    assert fingerprint is not None
    return head + credentials + fingerprint.group(0) + "".join(section.format(i) for i in range(1000))


def test_what_a_client_sends_passes(client_offer: tuple[str, str], full_offer: str) -> None:
    offer, answer = client_offer
    summary = sdp.check(offer, "offer")
    assert (summary.audio, summary.video) == (1, 1) and summary.candidates >= 1
    assert sdp.check(full_offer, "offer").video == 3
    assert sdp.check(answer, "answer", offered=2).audio == 1


def test_a_thousand_m_lines_are_refused(client_offer: tuple[str, str]) -> None:
    offer = thousand_m_lines(client_offer[0])
    assert 100_000 < len(offer) < 200_000
    # counted over the text before any line is parsed (the abuse suite holds the server's loop to 50 ms)
    with pytest.raises(SdpProblem, match="at most 4 media sections"):
        sdp.check(offer, "offer")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: re.sub(r"a=fingerprint:.*\r\n", "", s), "no a DTLS fingerprint"),
        (lambda s: re.sub(r"a=ice-ufrag:.*\r\n", "", s), "no ICE credentials"),
        (lambda s: re.sub(r"a=ice-pwd:.*\r\n", "", s), "no ICE credentials"),
        (lambda s: s.replace("a=setup:actpass", "a=setup:active"), "setup:active"),
        (lambda s: s.replace("m=video", "m=application", 1), "only audio and video"),
        (lambda s: s.replace("a=sendonly", "a=sendonly\x00\x01\xff", 1), "no control characters or binary data"),
        (lambda s: "\x89PNG\r\n\x1a\n" + s, "starts with 'v=0'"),
        (lambda s: s.replace("a=mid:0", "a=mid:" + "0" * 2000), "longer than 1024 characters"),
        (lambda s: s.replace("a=mid:0", "a=mid:0" + "\r\na=x" * 1300), "at most 1200 lines"),
        (lambda s: s.replace("a=mid:0", "a=mid:0" + "\r\na=x" * 201), "at most 200 attributes"),
        (lambda s: s.replace("a=mid:0", "a=mid:0" + "\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host" * 33), "ICE"),
        (lambda s: s.replace("a=mid:0", "a=mid:0\r\nnot a line"), "not of the form"),
        (lambda s: s.split("m=", 1)[0], "no media section"),
        (lambda s: s + s[s.index("m=audio") : s.index("m=video")], "at most 1 audio"),
    ],
)
def test_offers_that_cannot_work_or_ask_too_much_are_refused(
    client_offer: tuple[str, str], change: object, problem: str
) -> None:
    assert callable(change)
    with pytest.raises(SdpProblem, match=re.escape(problem)):
        sdp.check(change(client_offer[0]), "offer")


def test_an_answer_has_as_many_sections_as_the_offer(client_offer: tuple[str, str]) -> None:
    answer = client_offer[1]
    with pytest.raises(SdpProblem, match="the offer had 3"):
        sdp.check(answer, "answer", offered=3)
    with pytest.raises(SdpProblem, match="at most 1 media sections"):
        sdp.check(answer, "answer", offered=1)
    # an answer is not an offer: its DTLS role is its own choice
    assert sdp.check(answer.replace("a=setup:passive", "a=setup:active"), "answer", offered=2).audio == 1
