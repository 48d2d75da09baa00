"""What a room's ``recording.encoding`` means for the composite MP4: sizes, rates and codecs the recorder uses.

A preset (``H264_720P_30`` …, ``PORTRAIT_*`` swapping width and height) follows LiveKit Egress's table, with
a keyframe every second so that a fragment (one per keyframe) is at most a second of video. The advanced
object is taken field by field; what MeetDesk's MP4 cannot honour (VP8 video, a bit depth other than 8, odd
sizes, a sample rate the audio codec does not have) is refused with a sentence (:class:`UnsupportedEncoding`)
before anything is recorded, never quietly changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from meetdesk.core.recording_settings import PRESETS


class UnsupportedEncoding(ValueError):
    """An encoding the composite cannot be made with; the message is a sentence saying which part."""


@dataclass(frozen=True, slots=True)
class OutputEncoding:
    width: int
    height: int
    fps: int
    video_bitrate: int  # bit/s
    keyframe_interval: float  # seconds
    #: x264's profile
    profile: str
    #: PyAV's encoder name and the sample rate and bitrate (bit/s) of the mixed audio
    audio_codec: str
    sample_rate: int
    audio_bitrate: int

    @property
    def gop(self) -> int:
        return max(1, round(self.fps * self.keyframe_interval))


_PRESET_SIZES: Final = {"720P": (1280, 720), "1080P": (1920, 1080)}
_PRESET_BITRATES: Final = {("720P", 30): 3_000_000, ("720P", 60): 4_500_000, ("1080P", 30): 4_500_000}
_PROFILES: Final = {"DEFAULT_VC": "main", "H264_BASELINE": "baseline", "H264_MAIN": "main", "H264_HIGH": "high"}
_AUDIO: Final = {"DEFAULT_AC": "aac", "AAC": "aac", "OPUS": "libopus", "AC_MP3": "libmp3lame"}
_RATES: Final = {
    "aac": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000),
    "libopus": (8000, 12000, 16000, 24000, 48000),
    "libmp3lame": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
}


def _preset(name: str) -> OutputEncoding:
    portrait = name.startswith("PORTRAIT_")
    _, size, rate = name.removeprefix("PORTRAIT_").split("_")
    fps = int(rate)
    width, height = _PRESET_SIZES[size]
    if portrait:
        width, height = height, width
    bitrate = _PRESET_BITRATES.get((size, fps), 6_000_000)
    return OutputEncoding(width, height, fps, bitrate, 1.0, "main", "aac", 48_000, 128_000)


def _whole(value: Any, what: str) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise UnsupportedEncoding(f"The recording's {what} must be a whole number, not {value}.")
    return int(value)


def output_encoding(encoding: str | dict[str, Any]) -> OutputEncoding:
    """The output for a room's ``recording.encoding`` (validated by the room's config already)."""
    if isinstance(encoding, str):
        if encoding not in PRESETS:
            raise UnsupportedEncoding(f"The recording encoding '{encoding}' is not a preset.")
        return _preset(encoding)
    video, audio = encoding["video"], encoding["audio"]
    if video["codec"] not in _PROFILES:
        raise UnsupportedEncoding("MP4 recordings are made with H.264 video: VP8 is not supported.")
    if _whole(video["depth"], "video depth") != 8:
        raise UnsupportedEncoding(f"MP4 recordings have 8-bit video: a depth of {video['depth']} is not supported.")
    width, height = _whole(video["width"], "video width"), _whole(video["height"], "video height")
    if width % 2 or height % 2 or not (64 <= width <= 3840 and 64 <= height <= 3840):
        raise UnsupportedEncoding(
            f"The recording's video size must be even and between 64 and 3840 pixels, not {width}x{height}."
        )
    fps = _whole(video["framerate"], "frame rate")
    if not 1 <= fps <= 60:
        raise UnsupportedEncoding(f"The recording's frame rate must be between 1 and 60, not {fps}.")
    codec = _AUDIO[audio["codec"]]
    rate = _whole(audio["frequency"], "audio frequency")
    if rate not in _RATES[codec]:
        allowed = ", ".join(str(r) for r in _RATES[codec])
        raise UnsupportedEncoding(f"The recording's audio frequency must be one of {allowed} Hz for {audio['codec']}.")
    return OutputEncoding(
        width,
        height,
        fps,
        round(float(video["bitrate"]) * 1000),
        float(video["keyFrameInterval"]),
        _PROFILES[video["codec"]],
        codec,
        rate,
        round(float(audio["bitrate"]) * 1000),
    )
