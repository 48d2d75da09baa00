"""The event hub: fan-out to every listener, bounded queues, a listener that falls behind dropped on its own."""

from __future__ import annotations

import json

from meetdesk.core.events import SERVER_EVENT, RoomDeleted
from meetdesk.server.events import EventHub


async def test_every_listener_gets_each_event_and_one_that_falls_behind_is_dropped_alone() -> None:
    hub = EventHub(queue_limit=3)
    with hub.listen() as reading, hub.listen() as stuck:
        for n in range(3):
            hub.publish(RoomDeleted(roomId=f"room-{n}"))
            assert SERVER_EVENT.validate_json(await reading.next() or "") == RoomDeleted(roomId=f"room-{n}")
        assert hub.listener_count == 2 and not stuck.dropped  # three waiting: at its limit, still in

        hub.publish(RoomDeleted(roomId="room-3"))  # a fourth: never waits, drops the one that does not read
        assert stuck.dropped and not reading.dropped
        assert hub.listener_count == 1
        assert json.loads(await reading.next() or "") == {"v": 1, "type": "room_deleted", "roomId": "room-3"}
        assert [await stuck.next() for _ in range(4)][-1] is None  # what it had, then the end
    assert hub.listener_count == 0
