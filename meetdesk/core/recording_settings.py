"""A room's recording settings (OpenVidu Meet 3.6): ``recording.layout`` and ``recording.encoding``.

The encoding is a preset name or the advanced object ``{video{width, height, framerate, codec, bitrate,
keyFrameInterval, depth}, audio{codec, bitrate, frequency}}``; as upstream, both halves and every field
of each are required, numbers must be positive, and codecs come from upstream's lists. The settings are
stored and validated now; the recorder reads them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError

RecordingLayout = Literal["grid", "speaker", "single-speaker"]
EncodingPreset = Literal[
    "H264_720P_30",
    "H264_720P_60",
    "H264_1080P_30",
    "H264_1080P_60",
    "PORTRAIT_H264_720P_30",
    "PORTRAIT_H264_720P_60",
    "PORTRAIT_H264_1080P_30",
    "PORTRAIT_H264_1080P_60",
]
DEFAULT_LAYOUT: RecordingLayout = "grid"
DEFAULT_ENCODING: EncodingPreset = "H264_720P_30"
PRESETS: tuple[str, ...] = get_args(EncodingPreset)

VideoCodec = Literal["DEFAULT_VC", "H264_BASELINE", "H264_MAIN", "H264_HIGH", "VP8"]
AudioCodec = Literal["DEFAULT_AC", "OPUS", "AAC", "AC_MP3"]
#: a positive, finite JSON number (upstream accepts any; an integer stays an integer)
Positive = Annotated[int | float, Field(gt=0, allow_inf_nan=False)]

_VIDEO_FIELDS = ("width", "height", "framerate", "codec", "bitrate", "keyFrameInterval", "depth")
_AUDIO_FIELDS = ("codec", "bitrate", "frequency")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class VideoEncoding(_Strict):
    width: Positive
    height: Positive
    framerate: Positive
    codec: VideoCodec
    bitrate: Positive
    keyFrameInterval: Positive
    depth: Positive


class AudioEncoding(_Strict):
    codec: AudioCodec
    bitrate: Positive
    frequency: Positive


class EncodingOptions(_Strict):
    video: VideoEncoding
    audio: AudioEncoding


def _branch(value: Any) -> str:
    return "preset" if isinstance(value, str) else "options"


#: a preset or the advanced object; one branch is checked (so an error names only what was meant)
RecordingEncoding = Annotated[
    Annotated[EncodingPreset, Tag("preset")] | Annotated[EncodingOptions, Tag("options")],
    Discriminator(_branch),
]


def check_encoding(value: Any) -> Any:
    """Upstream's sentences for an encoding that is neither a preset nor a whole advanced object (the
    field types are then checked by the models above)."""
    if value is None or isinstance(value, EncodingOptions):
        return value
    if isinstance(value, str):
        if value not in PRESETS:
            raise PydanticCustomError(
                "encoding_preset", "encoding must be one of the presets: {presets}", {"presets": ", ".join(PRESETS)}
            )
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "encoding_type", "Encoding must be either a preset string or an encoding configuration object"
        )
    video, audio = value.get("video"), value.get("audio")
    if not video or not audio:
        raise PydanticCustomError(
            "encoding_halves", "Both video and audio configuration must be provided when using encoding options"
        )
    for half, fields, data in (("video", _VIDEO_FIELDS, video), ("audio", _AUDIO_FIELDS, audio)):
        if not isinstance(data, dict):
            raise PydanticCustomError("encoding_half", "{half} encoding must be a valid object", {"half": half})
        missing = [name for name in fields if name not in data]
        if missing:
            raise PydanticCustomError(
                "encoding_missing",
                "When {half} encoding is provided, required fields are missing: {missing}",
                {"half": half, "missing": ", ".join(missing)},
            )
    return value
