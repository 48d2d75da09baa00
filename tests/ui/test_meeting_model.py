"""The meeting window's view-model on its own: every property notifies once per real change, never for a
value it already had, and the participants' signals say who changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetdesk.core.signalling import ParticipantInfo
from meetdesk.ui.meeting.model import Connection, Layout, MeetingModel


def person(identity: str, name: str, **state: Any) -> ParticipantInfo:
    return ParticipantInfo(identity=identity, name=name, role=state.pop("role", "speaker"), joinedAt=0, **state)


class Recorder:
    """Every emission of every signal of a model, in order: (signal name, args)."""

    def __init__(self, model: MeetingModel) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        for name in (
            "titleChanged", "youChanged", "roleChanged", "participantAdded", "participantChanged",
            "participantRemoved", "participantsReset", "countChanged", "activeSpeakerChanged", "layoutChanged",
            "pinnedChanged", "startedAtChanged", "unreadChanged", "micOnChanged", "cameraOnChanged",
            "handRaisedChanged", "sharingChanged", "devicesChanged", "connectionChanged", "canChatChanged",
        ):  # fmt: skip
            getattr(model, name).connect(self._keep(name))

    def _keep(self, name: str) -> Callable[..., None]:
        return lambda *args: self.calls.append((name, args))

    def take(self) -> list[tuple[str, tuple[Any, ...]]]:
        calls, self.calls = self.calls, []
        return calls


def test_each_property_notifies_once_per_real_change() -> None:
    model = MeetingModel()
    seen = Recorder(model)
    changes: list[tuple[Callable[[Any], None], Any, str, tuple[Any, ...]]] = [
        (model.set_title, "Daily stand-up", "titleChanged", ("Daily stand-up",)),
        (model.set_role, "moderator", "roleChanged", ("moderator",)),
        (model.set_layout, Layout.SPEAKER, "layoutChanged", ("speaker",)),
        (model.set_pinned, "bo/camera", "pinnedChanged", ("bo/camera",)),
        (model.set_started_at, 1_700_000_000.0, "startedAtChanged", (1_700_000_000.0,)),
        (model.set_unread, 3, "unreadChanged", (3,)),
        (model.set_mic_on, False, "micOnChanged", (False,)),
        (model.set_camera_on, False, "cameraOnChanged", (False,)),
        (model.set_hand_raised, True, "handRaisedChanged", (True,)),
        (model.set_sharing, True, "sharingChanged", (True,)),
        (model.set_connection, Connection.RECONNECTING, "connectionChanged", ("reconnecting",)),
        (model.set_can_chat, False, "canChatChanged", (False,)),
    ]
    for setter, value, signal, args in changes:
        setter(value)
        assert seen.take() == [(signal, args)], signal
        setter(value)  # the same value again: nothing
        assert seen.take() == [], signal
    model.set_layout("speaker")  # the same layout by its name: nothing
    model.set_devices(microphone=True, camera=True)  # as it was
    assert seen.take() == []
    model.set_devices(microphone=False, camera=True)
    assert seen.take() == [("devicesChanged", ())]


def test_participants_notify_who_changed_and_only_when_something_did() -> None:
    model = MeetingModel()
    seen = Recorder(model)
    you, bo = person("you1", "Alice Admin", role="moderator"), person("bo1", "Bo")
    model.reset_participants(you, [bo])
    assert seen.take() == [
        ("youChanged", ("you1",)),
        ("roleChanged", ("moderator",)),
        ("participantsReset", ()),
        ("countChanged", (2,)),
    ]
    assert model.you == you and model.count == 2 and model.is_you("you1") and not model.is_you("bo1")

    model.upsert(bo)  # the same record again (a resumed session re-sends everyone): nothing
    assert seen.take() == []
    model.upsert(person("bo1", "Bo", audio=True))
    assert seen.take() == [("participantChanged", ("bo1",))]
    cy = person("cy1", "Cy")
    model.upsert(cy)
    assert seen.take() == [("participantAdded", ("cy1",)), ("countChanged", (3,))]

    # speaking: the one who stopped and the one who started change; the same speaker again is nothing
    model.set_active_speaker("bo1")
    assert seen.take() == [("activeSpeakerChanged", ("bo1",)), ("participantChanged", ("bo1",))]
    assert model.is_speaking("bo1") and not model.is_speaking("cy1")
    model.set_active_speaker("bo1")
    assert seen.take() == []
    model.set_active_speaker("cy1")
    assert seen.take() == [
        ("activeSpeakerChanged", ("cy1",)),
        ("participantChanged", ("bo1",)),
        ("participantChanged", ("cy1",)),
    ]

    # your own record carries your hand: the model's hand follows what the server says
    model.upsert(person("you1", "Alice Admin", role="moderator", handRaised=True))
    assert seen.take() == [("participantChanged", ("you1",)), ("handRaisedChanged", (True,))]

    # a speaker who leaves stops speaking; a pinned tile of theirs is unpinned
    model.set_pinned("cy1/screen")
    seen.take()
    assert model.remove("cy1") == cy
    assert seen.take() == [
        ("activeSpeakerChanged", ("",)),
        ("pinnedChanged", ("",)),
        ("participantRemoved", ("cy1", "Cy")),
        ("countChanged", (2,)),
    ]
    assert model.remove("cy1") is None  # not here any more: nothing
    assert seen.take() == []


def test_elapsed_time_counts_from_the_meeting_start() -> None:
    model = MeetingModel()
    assert model.elapsed(now=1000.0) == 0  # unknown start
    model.set_started_at(1000.0)
    assert model.elapsed(now=1000.0) == 0
    assert model.elapsed(now=3725.9) == 2725
    assert model.elapsed(now=990.0) == 0  # a clock a little behind the server's never shows a negative time
