"""``python -m meetdesk.recorder <recording dir> [--repair]``: the composite recorder process (see the package).

Live (the default): follows the capture until a :class:`~meetdesk.core.recorder_protocol.StopCommand` line
arrives on standard input; the end of standard input without one (the server went away) or SIGTERM ends it
with what is composed. ``--repair``: the tracks are complete; the MP4 is made beside the old one and moved
over it when done. Live, a :class:`~meetdesk.core.recorder_protocol.RecorderStarted` line comes first on
standard output, once the job is loaded. Either way one :class:`~meetdesk.core.recorder_protocol.RecorderResult`
line is printed on standard output at the end; the exit status is 0, or 2 when the job cannot be done (the
reason on standard error).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from pydantic import ValidationError

from meetdesk.core.recorder_protocol import RecorderStarted, StopCommand
from meetdesk.core.recording_output import UnsupportedEncoding
from meetdesk.recorder.composite import Composite, load_job

logger = logging.getLogger("meetdesk.recorder")

RECORDER_NICE = 10


def _listen(composite: Composite) -> None:
    """Commands on standard input; its end without a stop means the server is gone."""
    for line in sys.stdin:
        try:
            command = StopCommand.model_validate_json(line)
        except ValidationError:
            logger.warning("Recorder: ignored a line that is not a command")
            continue
        composite.stop(command.end)
        return
    composite.abandon()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meetdesk.recorder", description=__doc__)
    parser.add_argument("directory", type=Path, help="the recording's directory (with job.json)")
    parser.add_argument("--repair", action="store_true", help="make the composite from complete tracks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    try:
        job = load_job(args.directory)
        output = Path(job.output)
        target = output.with_name(f".{output.name}.repair") if args.repair else output
        composite = Composite(job, args.directory, live=not args.repair, output=target)
    except (OSError, ValueError, UnsupportedEncoding) as exc:
        print(f"Recorder: cannot make the composite: {exc}", file=sys.stderr)
        return 2

    def terminate(signum: int, frame: FrameType | None) -> None:
        composite.abandon()

    # below the server: when the machine is short of CPU, forwarding goes on and the composite falls behind
    # (it follows the files, and catches up when the CPU frees up)
    os.nice(RECORDER_NICE)
    signal.signal(signal.SIGTERM, terminate)
    logger.info("Recorder: pid %d, %s", os.getpid(), "repairing" if args.repair else "recording")
    if not args.repair:
        threading.Thread(target=_listen, args=(composite,), name="commands", daemon=True).start()
        print(RecorderStarted().model_dump_json(), flush=True)  # the server waits for this to call it active
    result = composite.run()
    if args.repair:
        os.replace(target, output)
    logger.info("Recorder: %s, %.2f s, %d bytes", result.ended, result.duration, result.size)
    print(result.model_dump_json(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
