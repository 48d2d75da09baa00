"""A fixed-budget ``hypothesis`` fuzzer over the signalling messages: the protocol's parsing on its own
(many cases), then a real server's socket (a bounded number of cases).

Generated messages are of every known ``type`` with fields of any JSON shape, nested deep, or not JSON at
all. The parser answers with a message or a ``ValidationError``, nothing else; the server answers each with
an error or what the message asks for, its socket lives on (a ``ping`` still gets its ``pong``), and its log
holds no traceback (the abuse suite's conftest checks it, with the loop-stall bound).
"""

from __future__ import annotations

import json
import re
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st
from pydantic import ValidationError
from websockets.sync.client import ClientConnection, connect

from meetdesk.client.signalling import signalling_url
from meetdesk.core.signalling import CLIENT_MESSAGE, SERVER_MESSAGE
from tests.integration.abuse.conftest import AbuseServer

pytestmark = pytest.mark.slow

TYPES = [
    "join", "publish_offer", "subscribe_answer", "resubscribe", "media_state", "audio_level", "connection_quality",
    "chat", "chat_history", "raise_hand", "reaction", "kick", "set_role", "end_meeting", "mute", "mute_everyone",
    "lock", "leave", "ping", "no_such_type",
]  # fmt: skip
#: what a speaker may send the real server without ending its own session (leave) or being refused for
#: flooding: the parser sees every type
SERVER_TYPES = [t for t in TYPES if t not in ("leave", "join")]
FIELDS = ["v", "token", "resume", "sdp", "sources", "audio", "video", "screen", "level", "quality", "text",
          "before", "raised", "emoji", "identity", "role", "locked"]  # fmt: skip

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30), st.just("v=0\r\n")
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def messages(types: list[str]) -> st.SearchStrategy[str]:
    message = st.builds(
        lambda kind, fields: json.dumps({"type": kind, **fields}),
        st.sampled_from(types),
        st.dictionaries(st.sampled_from(FIELDS), values, max_size=5),
    )
    nested = st.integers(1, 100_000).map(lambda depth: "[" * depth + "]" * depth)
    return st.one_of(message, message, nested, st.text(max_size=200))


@hypothesis.settings(
    max_examples=1000,
    deadline=1000,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
@hypothesis.given(messages(TYPES))
def test_the_parser_answers_a_message_or_a_validation_error(text: str) -> None:
    try:
        message = CLIENT_MESSAGE.validate_json(text)
    except ValidationError:
        return
    assert message.type in TYPES


def _ask(ws: ClientConnection, text: str) -> list[dict[str, Any]]:
    """Send ``text`` then a ping; what came back until the pong."""
    ws.send(text)
    ws.send(json.dumps({"type": "ping"}))
    replies = []
    while True:
        reply = json.loads(ws.recv(timeout=10))
        SERVER_MESSAGE.validate_python(reply)  # the server speaks its own protocol
        if reply["type"] == "pong":
            return replies
        replies.append(reply)


def test_a_real_server_answers_and_keeps_the_socket(abuse_server: AbuseServer) -> None:
    with abuse_server.http(**abuse_server.key) as http:
        room = http.post("/api/v1/rooms", json={"roomName": "Fuzzed"}).json()
    secret = re.search(r"secret=([^&#]+)", room["speakerUrl"]).group(1)  # type: ignore[union-attr]
    abuse_server.keep_secret(secret)
    token = abuse_server.participant_token(room["roomId"], secret, "Fuzz")
    with connect(signalling_url(abuse_server.url), max_size=2**20) as ws:
        ws.send(json.dumps({"type": "join", "token": token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "joined"

        @hypothesis.settings(
            max_examples=40,
            deadline=None,  # a round trip to a server process: bounded by the count and the recv timeout
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(messages(SERVER_TYPES))
        def fuzz(text: str) -> None:
            for reply in _ask(ws, text):
                assert reply["type"] != "left", reply  # nothing a speaker sends ends its session but leave

        fuzz()
