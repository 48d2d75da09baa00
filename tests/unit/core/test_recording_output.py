"""What a room's recording encoding means for the MP4, and the encodings refused before recording."""

from __future__ import annotations

from typing import Any

import pytest

from meetdesk.core.recording_output import UnsupportedEncoding, output_encoding


def _advanced(**video: Any) -> dict[str, Any]:
    base = {
        "width": 640,
        "height": 360,
        "framerate": 25,
        "codec": "H264_HIGH",
        "bitrate": 1500,
        "keyFrameInterval": 2,
        "depth": 8,
    }
    return {"video": {**base, **video}, "audio": {"codec": "OPUS", "bitrate": 64, "frequency": 48000}}


def test_presets() -> None:
    default = output_encoding("H264_720P_30")
    assert (default.width, default.height, default.fps, default.video_bitrate) == (1280, 720, 30, 3_000_000)
    assert (default.audio_codec, default.gop) == ("aac", 30)
    portrait = output_encoding("PORTRAIT_H264_1080P_60")
    assert (portrait.width, portrait.height, portrait.fps) == (1080, 1920, 60)


def test_the_advanced_object_is_followed_field_by_field() -> None:
    out = output_encoding(_advanced())
    assert (out.width, out.height, out.fps, out.video_bitrate, out.gop, out.profile) == (
        640,
        360,
        25,
        1_500_000,
        50,
        "high",
    )
    assert (out.audio_codec, out.audio_bitrate, out.sample_rate) == ("libopus", 64_000, 48_000)


@pytest.mark.parametrize(
    ("video", "sentence"),
    [
        ({"codec": "VP8"}, "MP4 recordings are made with H.264 video: VP8 is not supported."),
        ({"depth": 10}, "MP4 recordings have 8-bit video: a depth of 10 is not supported."),
        ({"width": 641}, "The recording's video size must be even and between 64 and 3840 pixels, not 641x360."),
        ({"framerate": 24.5}, "The recording's frame rate must be a whole number, not 24.5."),
    ],
)
def test_what_the_mp4_cannot_honour_is_refused_with_a_sentence(video: dict[str, Any], sentence: str) -> None:
    with pytest.raises(UnsupportedEncoding) as refused:
        output_encoding(_advanced(**video))
    assert str(refused.value) == sentence
