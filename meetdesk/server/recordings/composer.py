"""The server's handle on one composite recorder process (``python -m meetdesk.recorder``), and MP4 probing.

:class:`RecorderProcess` writes the job, starts the process (its log in ``recorder.log`` beside the tracks),
appends roster lines as the meeting changes, stops it with a command line and reads its one result line.
The process runs apart from the server's event loop: encoding never holds up forwarding, and a recorder
that dies leaves the server (and its capture) running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path
from typing import Any, Final

import av

from meetdesk.core.recorder_protocol import (
    JOB_FILE,
    RECORDER_LOG,
    ROSTER_FILE,
    RecorderJob,
    RecorderResult,
    RecorderStarted,
    RosterEntry,
    StopCommand,
)

logger = logging.getLogger(__name__)

FINISH_TIMEOUT_S: Final = 120.0  # for a recorder far behind (it runs below the server) to catch up


class RecorderFailed(Exception):
    """The recorder ended without a result (killed, crashed, or it could not start); the message says how."""


class RecorderNotStarted(RecorderFailed):
    """A live recorder did not say it started within the time allowed (it is killed); the message says so."""


class RecorderProcess:
    """One running composite of the recording in ``directory``."""

    def __init__(self, directory: Path, job: RecorderJob) -> None:
        self.directory = directory
        self.job = job
        self._process: asyncio.subprocess.Process | None = None
        self._roster: list[Any] | None = None
        self.stopping = False

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self, *, repair: bool = False, confirm_within: float | None = None) -> None:
        """Start the process; live, with ``confirm_within``, wait that many seconds for its
        :class:`RecorderStarted` line (:class:`RecorderNotStarted` otherwise, the process killed)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / JOB_FILE).write_text(self.job.model_dump_json())
        with (self.directory / RECORDER_LOG).open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "meetdesk.recorder",
                str(self.directory),
                *(["--repair"] if repair else []),
                stdin=asyncio.subprocess.DEVNULL if repair else asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )
        logger.info("Recorder(%s) started, pid %s", self.directory.name, self._process.pid)
        if repair or confirm_within is None:
            return
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), confirm_within)
            RecorderStarted.model_validate_json(line)
        except (TimeoutError, ValueError):  # no line in time, or the end of its output (it died): not started
            self.kill()
            await self._process.wait()
            raise RecorderNotStarted(
                f"The recorder did not confirm that it started within {confirm_within:g} seconds"
            ) from None

    def roster(self, entry: RosterEntry) -> None:
        """Tell the recorder who is in the meeting from ``entry.t`` on (when it changed)."""
        participants = [p.model_dump() for p in entry.participants]
        if participants == self._roster:
            return
        self._roster = participants
        with (self.directory / ROSTER_FILE).open("a") as file:
            file.write(entry.model_dump_json() + "\n")

    async def exited(self) -> int:
        """Wait for the process to end; its exit status (negative: killed by that signal)."""
        assert self._process is not None
        return await self._process.wait()

    async def finish(self, end: float | None, timeout: float = FINISH_TIMEOUT_S) -> RecorderResult:
        """Stop at ``end`` seconds (None: a repair, which ends by itself) and wait for the result."""
        process = self._process
        assert process is not None and process.stdout is not None
        self.stopping = True
        if end is not None and process.stdin is not None:
            with contextlib.suppress(ConnectionError):  # it died: said below
                process.stdin.write((StopCommand(end=end).model_dump_json() + "\n").encode())
                await process.stdin.drain()
                process.stdin.close()
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
            status = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            self.kill()
            raise RecorderFailed(f"The recorder did not finish within {timeout:.0f} seconds.") from None
        if not line:
            raise RecorderFailed(_how(status))
        return RecorderResult.model_validate_json(line)

    def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()


def _how(status: int) -> str:
    if status < 0:
        return f"The recorder process was killed (signal {-status})."
    return f"The recorder process ended with status {status} without making the video file."


def probe(path: Path) -> tuple[float, int] | None:
    """(duration in seconds, size in bytes) of an MP4 as far as it plays; None when nothing of it plays."""
    if not path.exists():
        return None
    size = path.stat().st_size
    end = 0.0
    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            for packet in container.demux(video):
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except (av.FFmpegError, IndexError, OSError):  # cut mid-fragment: what was read before counts
        pass
    return (end, size) if end > 0 else None
