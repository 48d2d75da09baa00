import pytest
from pydantic import ValidationError

from meetdesk.core.signalling import (
    CLIENT_MESSAGE,
    SERVER_MESSAGE,
    Joined,
    JoinedRoom,
    Left,
    LeftReason,
    LockMeeting,
    MeetingLocked,
    Muted,
    MuteEveryone,
    MuteParticipant,
    Resubscribe,
    SubscribedTrack,
    SubscribeOffer,
)


def test_resubscribe_parses_as_a_client_message() -> None:
    message = CLIENT_MESSAGE.validate_json('{"type": "resubscribe", "v": 1}')
    assert message == Resubscribe()
    assert CLIENT_MESSAGE.validate_json(Resubscribe().model_dump_json()) == message


def test_resubscribe_ignores_unknown_fields_like_every_message() -> None:
    # the protocol is forward compatible: fields a peer does not know are dropped, not refused
    message = CLIENT_MESSAGE.validate_json('{"type": "resubscribe", "v": 1, "reason": "ice failed"}')
    assert message == Resubscribe() and "reason" not in message.model_dump()


@pytest.mark.parametrize("raw", ['{"type": "resubscribe", "v": 2}', '{"type": "resubscribe", "v": "1"}'])
def test_resubscribe_of_another_protocol_version_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as exc:
        CLIENT_MESSAGE.validate_json(raw)
    assert exc.value.errors()[0]["loc"] == ("resubscribe", "v")


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        CLIENT_MESSAGE.validate_json('{"type": "resubscribe_all", "v": 1}')
    assert exc.value.errors()[0]["type"] == "union_tag_invalid"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"type": "mute", "v": 1, "identity": "p-1"}', MuteParticipant(identity="p-1")),
        ('{"type": "mute_everyone", "v": 1}', MuteEveryone()),
        ('{"type": "lock", "v": 1, "locked": true}', LockMeeting(locked=True)),
    ],
)
def test_moderation_messages_parse(raw: str, expected: object) -> None:
    assert CLIENT_MESSAGE.validate_json(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "mute", "v": 1}',
        '{"type": "mute", "v": 1, "identity": ""}',
        '{"type": "lock", "v": 1, "locked": "yes"}',
    ],
)
def test_moderation_messages_without_what_they_need_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        CLIENT_MESSAGE.validate_json(raw)


def test_the_server_tells_who_muted_and_who_locked() -> None:
    muted = SERVER_MESSAGE.validate_json('{"type": "muted", "v": 1, "by": "p-1", "byName": "Alice"}')
    locked = SERVER_MESSAGE.validate_json(
        '{"type": "meeting_locked", "v": 1, "locked": false, "by": "p-1", "byName": "Alice"}'
    )
    assert muted == Muted(by="p-1", byName="Alice")
    assert locked == MeetingLocked(locked=False, by="p-1", byName="Alice")
    left = SERVER_MESSAGE.validate_json('{"type": "left", "v": 1, "reason": "room_deleted"}')
    assert left == Left(reason=LeftReason.ROOM_DELETED)


def test_nobody_speaking_survives_the_wire() -> None:
    """The server sends messages without their None values: "nobody speaks now" must still parse."""
    from meetdesk.core.signalling import SERVER_MESSAGE, ActiveSpeaker

    wire = ActiveSpeaker(identity=None).model_dump_json(exclude_none=True)
    assert SERVER_MESSAGE.validate_json(wire) == ActiveSpeaker(identity=None)


def test_a_subscribe_offers_track_map_is_typed() -> None:
    track = '{"identity": "ana", "kind": "video", "source": "camera"}'
    raw = f'{{"v": 1, "type": "subscribe_offer", "sdp": "v=0", "tracks": {{"0": {track}}}}}'
    offer = SERVER_MESSAGE.validate_json(raw)
    assert isinstance(offer, SubscribeOffer)
    got = offer.tracks["0"]
    assert isinstance(got, SubscribedTrack)
    assert (got.identity, got.kind, got.source, got.key) == ("ana", "video", "camera", "ana/camera")


@pytest.mark.parametrize(
    "track",
    [
        '{"identity": "ana", "kind": "video"}',  # no source: read with .get() it became "ana/" once
        '{"identity": "ana", "kind": "video", "source": "camera_low"}',  # a publish label, never forwarded as such
        '{"identity": "", "kind": "audio", "source": "microphone"}',
        '{"identity": "ana", "kind": "data", "source": "camera"}',
        '"ana/camera"',
    ],
)
def test_a_subscribe_offer_with_a_bad_track_is_refused_at_the_edge(track: str) -> None:
    with pytest.raises(ValidationError):
        SERVER_MESSAGE.validate_json(f'{{"v": 1, "type": "subscribe_offer", "sdp": "v=0", "tracks": {{"0": {track}}}}}')


def test_joined_carries_the_room_as_a_model() -> None:
    raw = {
        "v": 1,
        "type": "joined",
        "sessionId": "s",
        "you": {"identity": "a", "name": "Ana", "role": "moderator", "joinedAt": 0},
        "participants": [],
        "room": {
            "roomId": "team-1",
            "roomName": "Team",
            "config": {"maxParticipants": 4, "initialVideoEnabled": False},
        },
        "chat": [],
        "reconnectGrace": 20.0,
    }
    joined = SERVER_MESSAGE.validate_python(raw)
    assert isinstance(joined, Joined)
    assert isinstance(joined.room, JoinedRoom)
    assert (joined.room.config.maxParticipants, joined.room.config.initialVideoEnabled) == (4, False)
    with pytest.raises(ValidationError):
        SERVER_MESSAGE.validate_python({**raw, "room": {"roomId": "team-1", "roomName": "Team", "config": "junk"}})
