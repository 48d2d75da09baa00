"""What a session description from the other side may contain, checked before aiortc sees it.

aiortc parses whatever it is given and builds a transceiver, a jitter buffer and a decoder per m-line:
a 150 kB offer with a thousand m-lines costs hundreds of megabytes and seconds of the event loop. The
protocol needs far less (a participant publishes a microphone, a camera and a screen), so a description
is refused here, cheaply and in one pass over its lines, when it holds more than the protocol can use or
lacks what a connection cannot work without (DTLS fingerprint, ICE credentials). An offer must leave
the DTLS role to the answerer (``a=setup:actpass``, RFC 5763); ``a=setup:active`` in an offer cannot work.

Pure: strings in, :class:`SdpProblem` out. Used by the server on ``publish_offer`` and ``subscribe_answer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: audio m-lines a description may hold: the microphone
MAX_AUDIO_SECTIONS = 1
#: video m-lines: the camera, a second (simulcast) layer of it, and the screen
MAX_VIDEO_SECTIONS = 3
MAX_SECTIONS = MAX_AUDIO_SECTIONS + MAX_VIDEO_SECTIONS
#: ICE candidates per m-line and in all (a host with several interfaces, srflx and relay candidates)
MAX_CANDIDATES_PER_SECTION = 32
MAX_CANDIDATES = 64
#: attribute lines (``a=``) per m-line: a browser's video m-line with every codec has ~80
MAX_ATTRIBUTES_PER_SECTION = 200
MAX_LINES = 1200
MAX_LINE_CHARS = 1024
MEDIA_KINDS = ("audio", "video")

Kind = Literal["offer", "answer"]


class SdpProblem(ValueError):
    """A description refused before it reaches aiortc; the message says why, in a sentence."""


@dataclass(frozen=True)
class SdpSummary:
    """What a description that passed :func:`check` holds."""

    audio: int
    video: int
    candidates: int


def check(sdp: str, kind: Kind, offered: int | None = None) -> SdpSummary:
    """Refuse ``sdp`` (an ``offer`` or an ``answer`` from the other side) with :class:`SdpProblem` when it
    holds more than the protocol allows or cannot work; otherwise return what it holds.

    An offer may hold :data:`MAX_AUDIO_SECTIONS` audio and :data:`MAX_VIDEO_SECTIONS` video m-lines; an
    answer exactly as many as the offer it answers (``offered``: that offer's m-lines).
    """
    limit = MAX_SECTIONS if offered is None else offered
    if not sdp.startswith("v=0"):
        raise SdpProblem("A session description starts with 'v=0'.")
    if len(sdp) > MAX_LINES * MAX_LINE_CHARS:
        raise SdpProblem("The session description is too long.")
    # counting first, in C: a thousand m-lines are refused before a single line is looked at in Python
    if sdp.count("\nm=") > limit:
        raise SdpProblem(f"This session description may have at most {limit} media sections (m-lines).")
    if sdp.count("\n") >= MAX_LINES:
        raise SdpProblem(f"A session description has at most {MAX_LINES} lines.")
    if not sdp.isprintable() and not _printable_but_line_breaks(sdp):
        raise SdpProblem("A session description is text: it holds no control characters or binary data.")
    summary = _check_lines(sdp.splitlines(), kind)
    if offered is None and (summary.audio > MAX_AUDIO_SECTIONS or summary.video > MAX_VIDEO_SECTIONS):
        raise SdpProblem(
            f"An offer has at most {MAX_AUDIO_SECTIONS} audio and {MAX_VIDEO_SECTIONS} video media sections."
        )
    if offered is not None and summary.audio + summary.video != offered:
        raise SdpProblem(f"The answer has {summary.audio + summary.video} media sections; the offer had {offered}.")
    return summary


def _printable_but_line_breaks(sdp: str) -> bool:
    return sdp.replace("\r\n", "").replace("\n", "").replace("\t", " ").isprintable()


def _check_lines(lines: list[str], kind: Kind) -> SdpSummary:
    kinds: list[str] = []
    session: set[str] = set()
    sections: list[set[str]] = []
    candidates = 0
    in_section = 0  # candidates and attributes in the current m-line
    attributes = 0
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        if len(line) > MAX_LINE_CHARS:
            raise SdpProblem(f"Line {number} of the session description is longer than {MAX_LINE_CHARS} characters.")
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise SdpProblem(f"Line {number} of the session description is not of the form 'x=value'.")
        if line.startswith("m="):
            media = line[2:].split(" ", 1)[0]
            if media not in MEDIA_KINDS:
                raise SdpProblem(f"Media section {len(kinds) + 1} is '{media[:20]}': only audio and video are sent.")
            kinds.append(media)
            sections.append(set())
            in_section = attributes = 0
            continue
        if not line.startswith("a="):
            continue
        name, _, value = line[2:].partition(":")
        names = sections[-1] if sections else session
        names.add(name)
        if name == "setup" and kind == "offer" and value.strip() == "active":
            raise SdpProblem("An offer leaves the DTLS role to the answerer: 'a=setup:active' cannot be offered.")
        if sections:
            attributes += 1
            if attributes > MAX_ATTRIBUTES_PER_SECTION:
                raise SdpProblem(f"A media section has at most {MAX_ATTRIBUTES_PER_SECTION} attributes.")
            if name == "candidate":
                in_section += 1
                candidates += 1
                if in_section > MAX_CANDIDATES_PER_SECTION or candidates > MAX_CANDIDATES:
                    raise SdpProblem(
                        f"A session description has at most {MAX_CANDIDATES_PER_SECTION} ICE candidates per media "
                        f"section and {MAX_CANDIDATES} in all."
                    )
    audio, video = kinds.count("audio"), kinds.count("video")
    if not kinds:
        raise SdpProblem("The session description has no media section.")
    for required, what in (
        ("fingerprint", "a DTLS fingerprint"),
        ("ice-ufrag", "ICE credentials"),
        ("ice-pwd", "ICE credentials"),
    ):
        if required not in session and not all(required in names for names in sections):
            raise SdpProblem(f"The session description has no {what} ('a={required}'): it cannot connect.")
    return SdpSummary(audio=audio, video=video, candidates=candidates)
