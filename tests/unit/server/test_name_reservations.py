"""Display names reserved per room: a name asked for and never joined with is free again after a while."""

from __future__ import annotations

from meetdesk.server.meeting.registry import NAME_RESERVATION_S, UNUSED_NAME_RESERVATION_S, NameReservations


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_names_asked_for_and_never_used_expire() -> None:
    clock = Clock()
    names = NameReservations(clock)
    # a caller asks for token after token named "Alice" and never joins
    assert [names.reserve("room", "Alice") for _ in range(3)] == ["Alice", "Alice_1", "Alice_2"]
    clock.now += UNUSED_NAME_RESERVATION_S + 1
    assert names.reserve("room", "alice") == "alice"  # the real Alice is not "Alice_3"


def test_a_name_joined_with_stays_reserved() -> None:
    clock = Clock()
    names = NameReservations(clock)
    joined = names.reserve("room", "Bo")
    names.claim("room", joined)
    clock.now += UNUSED_NAME_RESERVATION_S + 1
    assert names.reserve("room", "Bo") == "Bo_1"
    clock.now += NAME_RESERVATION_S
    assert names.reserve("room", "Bo") == "Bo"
    names.release("room", "Bo")
    assert names.reserve("room", "Bo") == "Bo"
