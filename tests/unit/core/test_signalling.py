import pytest
from pydantic import ValidationError

from meetdesk.core.signalling import CLIENT_MESSAGE, Resubscribe


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
