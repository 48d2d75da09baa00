"""Reading a file while another process still writes it: at its end, a read waits for more."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Final

POLL_S: Final = 0.02


class FollowedFile:
    """A file read as it grows (``tail -f``): a read at its end waits until more is written or ``finished()``
    says that nothing more will come (then it reads what is left and reports the end).

    Deliberately without ``seek``: PyAV then reads it as a stream (Matroska's live mode needs no index).
    ``close()`` makes a waiting read return the end at once.
    """

    def __init__(self, path: Path, finished: Callable[[], bool]) -> None:
        self._file: BinaryIO = path.open("rb")
        self._finished = finished
        self._closed = False

    def read(self, size: int = -1) -> bytes:
        while not self._closed:
            data = self._file.read(size)
            if data:
                return data
            if self._finished():
                return self._file.read(size)  # written between the read above and the end being known
            time.sleep(POLL_S)
        return b""

    def close(self) -> None:
        self._closed = True
