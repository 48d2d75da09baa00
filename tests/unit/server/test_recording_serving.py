"""Serving recordings' files: byte ranges read as upstream does, a file deleted while it is being sent, and a
ZIP that leaves out a file gone since it was listed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from meetdesk.server.recordings.serving import (
    ByteRange,
    RangeMalformed,
    RangeNotSatisfiable,
    file_chunks,
    parse_range,
    zip_stream,
)


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=10-", ByteRange(10, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),  # an end past the file is clamped
        (" bytes=0-0 ", ByteRange(0, 0)),
        ("bytes=999-999", ByteRange(999, 999)),
    ],
)
def test_ranges(header: str, wanted: ByteRange) -> None:
    assert parse_range(header, 1000) == wanted


@pytest.mark.parametrize("header", ["bytes=-5", "bytes=5-1", "bytes=a-", "bits=0-1", "bytes=0-1,3-4", "bytes="])
def test_malformed_ranges(header: str) -> None:
    with pytest.raises(RangeMalformed):
        parse_range(header, 1000)


def test_a_range_past_the_end_names_the_size() -> None:
    with pytest.raises(RangeNotSatisfiable, match="1000 bytes"):
        parse_range("bytes=1000-", 1000)


def test_a_file_deleted_while_it_is_sent_is_sent_whole(tmp_path: Path) -> None:
    path = tmp_path / "r.mp4"
    path.write_bytes(bytes(range(256)) * 4096)
    chunks = file_chunks(path.open("rb"), 100, 600_000)
    first = next(chunks)
    path.unlink()
    assert first + b"".join(chunks) == (bytes(range(256)) * 4096)[100:600_100]


def test_a_zip_leaves_out_a_file_gone_since_it_was_listed(tmp_path: Path) -> None:
    kept = tmp_path / "a.mp4"
    kept.write_bytes(b"a" * 300_000)
    archive = b"".join(zip_stream([("gone.mp4", tmp_path / "gone.mp4"), ("a.mp4", kept)]))
    with zipfile.ZipFile(io.BytesIO(archive)) as found:
        assert found.namelist() == ["a.mp4"] and found.read("a.mp4") == kept.read_bytes()
