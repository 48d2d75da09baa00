"""A fixed-budget ``hypothesis`` fuzzer over the SDP checks, on offers aiortc made, mutated line by line.

Whatever the mutation, :func:`meetdesk.rtc.sdp.check` answers with a summary or :class:`SdpProblem`,
never another exception; and a description it lets through is one aiortc's own parser reads as holding no
more media sections and candidates than the limits (no line-break trick gets a thousand m-lines past the
count). Derandomized, bounded examples and deadline: the same cases on every run, in ``make test``.
"""

from __future__ import annotations

import contextlib

import hypothesis
from aiortc.sdp import SessionDescription
from hypothesis import strategies as st

from meetdesk.rtc import sdp
from meetdesk.rtc.sdp import SdpProblem

BUDGET = hypothesis.settings(
    max_examples=200, deadline=1000, derandomize=True, database=None, suppress_health_check=list(hypothesis.HealthCheck)
)

#: text a mutation may insert: SDP-like lines, line breaks of every kind, control and non-ASCII characters
pieces = st.one_of(
    st.sampled_from(
        [
            "m=audio 9 UDP/TLS/RTP/SAVPF 0",
            "m=video 9 UDP/TLS/RTP/SAVPF 97",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "a=candidate:1 1 udp 1 127.0.0.1 9 typ host",
            "a=setup:active",
            "a=fingerprint:sha-256 00",
            "a=ice-ufrag:x",
            "\r",
            "\n",
            "\r\n",
            "\x0b",
            "\x85",
            "\u2028",
            "\x00",
        ]
    ),
    st.text(max_size=40),
)


@st.composite
def mutated(draw: st.DrawFn, offer: str) -> str:
    lines = offer.split("\r\n")
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "splice"]))
        if action == "delete" and at < len(lines):
            del lines[at]
        elif action == "duplicate" and at < len(lines):
            lines[at:at] = [lines[at]] * draw(st.integers(1, 40))
        elif action == "insert":
            lines.insert(at, draw(pieces))
        elif at < len(lines):
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(pieces) + line[cut:]
    return "\r\n".join(lines)


def test_mutated_offers_are_refused_or_within_bounds(client_offer: tuple[str, str]) -> None:
    @BUDGET
    @hypothesis.given(st.data())
    def check(data: st.DataObject) -> None:
        text = data.draw(mutated(client_offer[0]))
        try:
            summary = sdp.check(text, "offer")
        except SdpProblem as problem:
            assert str(problem).endswith(".")  # a sentence the client can show
            return
        assert summary.audio <= sdp.MAX_AUDIO_SECTIONS and summary.video <= sdp.MAX_VIDEO_SECTIONS
        try:
            parsed = SessionDescription.parse(text)
        except Exception:  # aiortc refusing it is fine: the server answers invalid_sdp then
            return
        assert len(parsed.media) <= sdp.MAX_SECTIONS
        assert sum(len(m.ice_candidates) for m in parsed.media) <= sdp.MAX_CANDIDATES

    check()


@BUDGET
@hypothesis.given(st.text(max_size=2000))
def test_any_text_is_refused_or_passes_never_raises_otherwise(text: str) -> None:
    with contextlib.suppress(SdpProblem):
        sdp.check(text, "offer")
