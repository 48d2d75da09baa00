"""The list endpoints' page tokens (server/paging.py), shared by rooms and recordings: a token of ours for the
same sort order reads back; anything else is a ValidationFailed on ``nextPageToken`` (a 422), never another
exception (a 500)."""

from __future__ import annotations

import pytest

from meetdesk.core.errors import ValidationFailed
from meetdesk.server.paging import PageTokens, parse_max_items


def test_a_token_reads_back_its_position_for_its_sort_order_only() -> None:
    tokens = PageTokens(b"k" * 32)
    token = tokens.encode("roomName", "asc", "weekly sync", "room-1")
    assert tokens.decode(token, "roomName", "asc") == ("weekly sync", "room-1")
    with pytest.raises(ValidationFailed):
        tokens.decode(token, "roomName", "desc")
    with pytest.raises(ValidationFailed):
        PageTokens(b"other key" * 4).decode(token, "roomName", "asc")


def test_a_signature_that_cannot_be_encoded_is_refused_as_invalid() -> None:
    tokens = PageTokens(b"k" * 32)
    body = tokens.encode("startDate", "desc", 1, "rec-1").split(".")[0]
    with pytest.raises(ValidationFailed):  # a lone surrogate: strict UTF-8 encoding raised UnicodeEncodeError
        tokens.decode(body + ".\udc80", "startDate", "desc")


@pytest.mark.parametrize(("raw", "size"), [(None, 10), ("1", 1), ("2.9", 2), ("1000", 100)])
def test_max_items_is_a_page_size(raw: str | None, size: int) -> None:
    assert parse_max_items(raw) == size


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "ten", ""])
def test_max_items_that_is_not_a_positive_number_is_refused(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_max_items(raw)
