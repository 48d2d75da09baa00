"""The recorder run on complete tracks (``--repair``, as after a server stopped mid-recording): the whole
composite is made, a camera that stops for a while shows a placeholder rather than its last picture, and the
sound of everyone is in it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av

from meetdesk.core.recorder_protocol import RecorderResult, RosterEntry, RosterParticipant
from tests.integration.recording_media import colour_shares, play, tone
from tests.unit.recorder.synthetic_capture import write_capture


def _repair(directory: Path) -> RecorderResult:
    done = subprocess.run(
        [sys.executable, "-m", "meetdesk.recorder", str(directory), "--repair"],
        capture_output=True,
        text=True,
        timeout=120,  # a composite that hangs (a track waiting on the composite waiting on it) fails here
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return RecorderResult.model_validate_json(done.stdout.strip().splitlines()[-1])


def test_a_repair_composes_every_track_to_its_end_with_no_frozen_tile(tmp_path: Path) -> None:
    # Ana's camera is off from 1 s to 4 s (longer than the recorder reads ahead); Bo is there all along
    write_capture(
        tmp_path,
        [
            ("p-ana", "Ana", 1, [(0.0, 1.0), (4.0, 5.0)], (0.0, 5.0)),
            ("p-bo", "Bo", 2, [(0.0, 5.0)], (0.0, 5.0)),
        ],
    )
    result = _repair(tmp_path)
    assert result.ended == "finished" and 4.8 <= result.duration <= 5.2, result
    output = tmp_path / "out.mp4"
    assert result.size == output.stat().st_size and not list(tmp_path.glob(".*.repair"))
    played = play(output, [1, 2])
    assert abs(played.duration - result.duration) < 0.1
    assert played.colour_share[1] > 0.1 and played.colour_share[2] > 0.1
    assert played.tone_energy(tone(1)) > 20 and played.tone_energy(tone(2)) > 20
    # while her camera is off, Ana's tile is a placeholder, not her last picture
    with av.open(str(output)) as container:
        shares = {}
        for frame in container.decode(video=0):
            assert frame.pts is not None and frame.time_base is not None
            t = float(frame.pts * frame.time_base)
            for moment in (0.8, 2.5, 4.5):
                if abs(t - moment) < 0.02:
                    shares[moment] = colour_shares(frame, [1, 2])
    assert shares[0.8][1] > 0.1 and shares[2.5][1] == 0.0 and shares[4.5][1] > 0.1, shares
    assert all(share[2] > 0.1 for share in shares.values()), shares


def test_a_job_the_recorder_cannot_do_is_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "job.json").write_text(json.dumps({"tracks": "x"}))
    done = subprocess.run(
        [sys.executable, "-m", "meetdesk.recorder", str(tmp_path), "--repair"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("Recorder: cannot make the composite:"), done.stderr


def _shares_at(output: Path, moments: tuple[float, ...], sources: list[int]) -> dict[float, dict[int, float]]:
    shares = {}
    with av.open(str(output)) as container:
        for frame in container.decode(video=0):
            assert frame.pts is not None and frame.time_base is not None
            t = float(frame.pts * frame.time_base)
            for moment in moments:
                if abs(t - moment) < 0.02:
                    shares[moment] = colour_shares(frame, sources)
    return shares


def test_the_layout_follows_people_joining_leaving_and_sharing_a_screen(tmp_path: Path) -> None:
    """Ana all along; Bo leaves at 2 s; Cy joins at 1.5 s and shares a screen (source 7) from 3 s to 4.5 s."""

    def present(t: float, *people: tuple[str, str, bool]) -> RosterEntry:
        return RosterEntry(
            t=t,
            participants=[RosterParticipant(identity=i, name=n, camera=True, screen=s) for i, n, s in people],
        )

    ana, bo, cy = ("p-ana", "Ana", False), ("p-bo", "Bo", False), ("p-cy", "Cy", False)
    write_capture(
        tmp_path,
        [
            ("p-ana", "Ana", 1, [(0.0, 6.0)], (0.0, 6.0)),
            ("p-bo", "Bo", 2, [(0.0, 2.0)], (0.0, 2.0)),
            ("p-cy", "Cy", 3, [(1.5, 6.0)], (1.5, 6.0)),
        ],
        screens=(("p-cy", 7, (3.0, 4.5)),),
        roster=[
            present(0.0, ana, bo),
            present(1.5, ana, bo, cy),
            present(2.0, ana, cy),
            present(3.0, ana, ("p-cy", "Cy", True)),
            present(4.5, ana, cy),
        ],
    )
    result = _repair(tmp_path)
    assert result.ended == "finished"
    shares = _shares_at(tmp_path / "out.mp4", (1.0, 1.8, 2.5, 4.0, 5.5), [1, 2, 3, 7])
    two, three = shares[1.0], shares[1.8]
    assert two[1] > 0.15 and two[2] > 0.15 and two[3] == 0.0, two  # Ana and Bo
    assert all(three[s] > 0.05 for s in (1, 2, 3)), three  # Cy joined: three tiles
    gone = shares[2.5]
    assert gone[2] == 0.0 and gone[1] > 0.15 and gone[3] > 0.15, gone  # Bo left: his tile is gone
    screen = shares[4.0]
    assert screen[7] > 0.4 and 0.0 < screen[1] < 0.1 and 0.0 < screen[3] < 0.1, screen  # the screen large
    after = shares[5.5]
    assert after[7] == 0.0 and after[1] > 0.15 and after[3] > 0.15, after
