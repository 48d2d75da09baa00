"""The composite's file: H.264 and the mixed audio in a fragmented MP4 that plays up to its last fragment.

``movflags=frag_keyframe+empty_moov+default_base_moof``: the header holds no sample table, each keyframe
starts a fragment (``moof`` + ``mdat``) that is complete in itself, and ``flush_packets`` hands every packet
to the operating system as it is muxed. A process killed at any moment leaves the fragments written so far,
which play (the keyframe interval bounds what is lost: a second with the presets).

``global_sidx``: once the recording ends, an index of every fragment (``sidx``) is put after the header. A
player reading the file over HTTP (the app's player, a browser) then knows the length at once and seeks
anywhere with one range request; without it, FFmpeg reads the fragments from the start up to the place asked
for (a 10-minute recording would not show its first picture for many seconds). Putting it there moves the
fragments once, when the file is closed (about a second for 10 minutes of 720p, ``bench/player_bench.py``); a
file whose recorder was killed has no index, and its repair (``--repair``, through this writer) adds one.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import av
import numpy as np

from meetdesk.core.recording_output import OutputEncoding
from meetdesk.recorder.sources import MIX_RATE, Samples

MOVFLAGS: Final = "frag_keyframe+empty_moov+default_base_moof+global_sidx"
X264_PRESET: Final = "ultrafast"


class Mp4Writer:
    """Encodes pictures and mixed sound (float mono at :data:`MIX_RATE`) into ``path``."""

    def __init__(self, path: Path, encoding: OutputEncoding) -> None:
        self.path = path
        self._container: Any = av.open(
            str(path), "w", format="mp4", options={"movflags": MOVFLAGS, "flush_packets": "1"}
        )
        video: Any = self._container.add_stream("libx264", rate=encoding.fps)
        video.width, video.height = encoding.width, encoding.height
        video.pix_fmt = "yuv420p"
        video.bit_rate = encoding.video_bitrate
        video.codec_context.gop_size = encoding.gop
        # zerolatency: no lookahead, no B-frames; a picture leaves the encoder as it is given, so fragments reach
        # the file while the meeting goes on (and a kill loses little)
        video.codec_context.options = {
            "preset": X264_PRESET,
            "tune": "zerolatency",
            "profile": encoding.profile,
            "keyint_min": str(encoding.gop),
            "sc_threshold": "0",
        }
        video.time_base = self._frame_time = Fraction(1, encoding.fps)
        audio: Any = self._container.add_stream(encoding.audio_codec, rate=encoding.sample_rate)
        audio.layout = "mono"
        audio.bit_rate = encoding.audio_bitrate
        self._video, self._audio = video, audio
        frame_size = audio.codec_context.frame_size or 1024
        self._resampler = av.AudioResampler(
            format=audio.codec_context.format.name, layout="mono", rate=encoding.sample_rate, frame_size=frame_size
        )
        self._pictures = 0
        self._mixed = 0
        self.closed = False

    def picture(self, frame: av.VideoFrame) -> None:
        frame.pts = self._pictures
        frame.time_base = self._frame_time
        self._pictures += 1
        self._container.mux(self._video.encode(frame))

    def sound(self, samples: Samples) -> None:
        frame = av.AudioFrame.from_ndarray(
            np.clip(samples, -1.0, 1.0).reshape(1, -1).astype(np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = MIX_RATE
        frame.pts = self._mixed
        frame.time_base = Fraction(1, MIX_RATE)
        self._mixed += len(samples)
        for resampled in self._resampler.resample(frame):
            self._container.mux(self._audio.encode(resampled))

    def close(self) -> int:
        """Flush the encoders, end the file; its size in bytes."""
        if not self.closed:
            self.closed = True
            for resampled in self._resampler.resample(None):
                self._container.mux(self._audio.encode(resampled))
            self._container.mux(self._audio.encode(None))
            self._container.mux(self._video.encode(None))
            self._container.close()
        return self.path.stat().st_size
