"""Serving recordings' files: where a recording's MP4 is, byte ranges of it, and many of them as a ZIP.

A recording's video file is ``<recordings dir>/<recordingId>/<filename>``: both names come from the store
(the id is checked by :func:`meetdesk.core.recordings.parse_recording_id`, the file name made from it), never
from a request, and the path is checked to stay inside the recordings directory. Files are read in chunks by
a thread (Starlette iterates a plain iterator in its thread pool): never whole into memory, never on the loop.
The ZIP is written by :mod:`zipfile` into a sink that hands each chunk on as soon as it is written, with
stored (not deflated) entries: an MP4 does not compress, and the archive costs one chunk of memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from meetdesk.server.store.recordings import RecordingRecord

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d{1,19})-(\d{0,19})")


def media_path(directory: Path, record: RecordingRecord) -> Path | None:
    """The recording's video file if it exists (and lies inside ``directory``), else None."""
    if not record.filename:
        return None
    root = directory.resolve()
    path = (root / record.recording_id / record.filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


class RangeMalformed(ValueError):
    """A ``Range`` header that is not ``bytes=start-[end]`` (a 422)."""


class RangeNotSatisfiable(ValueError):
    """A range starting at or past the end of the file (a 416); the message names the file's size."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str, size: int) -> ByteRange:
    """The bytes ``Range: bytes=start-[end]`` asks of a file of ``size`` bytes; an end past it is clamped."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise RangeMalformed(f"Invalid range header '{header[:100]}': expected bytes=start-end or bytes=start-")
    start = int(match[1])
    if match[2] and int(match[2]) < start:
        raise RangeMalformed(f"Invalid range header '{header[:100]}': the end is before the start")
    if start >= size:
        raise RangeNotSatisfiable(f"Range start {start} is past the end of the file (size {size} bytes)")
    end = int(match[2]) if match[2] else size - 1
    return ByteRange(start, min(end, size - 1))


def file_chunks(source: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of the open file ``source`` from ``start``, a chunk at a time; closes it when done.

    The file is opened by the caller before the response starts, so that a recording deleted meanwhile is
    still read to its end (its data stays until the last handle closes) rather than failing mid-answer."""
    with source:
        source.seek(start)
        remaining = length
        while remaining > 0:
            data = source.read(min(CHUNK, remaining))
            if not data:
                return  # the file shrank meanwhile: the client sees a short body, never a hang
            remaining -= len(data)
            yield data


class _Sink:
    """A write-only, unseekable file for :class:`zipfile.ZipFile` that keeps what was written until taken."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def zip_stream(entries: Iterable[tuple[str, Path]]) -> Iterator[bytes]:
    """A ZIP of ``(name in the archive, file)`` pairs, produced as it is written. A file gone since it was
    listed (deleted meanwhile) is left out rather than ending the archive half-written."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:  # type: ignore[call-overload]
        for name, path in entries:
            try:
                source = path.open("rb")
                modified = time.localtime(os.fstat(source.fileno()).st_mtime)[:6]
            except OSError:
                logger.warning("Recording file %s is gone: left out of the ZIP", path.name)
                continue
            info = zipfile.ZipInfo(name, date_time=modified)
            with source, archive.open(info, "w", force_zip64=True) as target:
                while data := source.read(CHUNK):
                    target.write(data)
                    if chunk := sink.take():
                        yield chunk
            if chunk := sink.take():
                yield chunk
    if chunk := sink.take():
        yield chunk


async def remove_files(directory: Path, recording_id: str) -> None:
    """Remove a recording's folder (its tracks and video file), if it lies inside ``directory``."""

    def remove() -> None:
        root = directory.resolve()
        folder = (root / recording_id).resolve()
        if folder.is_relative_to(root) and folder != root and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)

    await asyncio.to_thread(remove)
