"""Paging of the list endpoints (rooms, recordings): ``maxItems`` read as OpenVidu Meet reads it, and the
opaque ``nextPageToken`` that names where the next page starts, signed so that a forged or altered token is
refused (422), never trusted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math

from meetdesk.core.errors import ValidationFailed

MAX_ITEMS_CAP = 100
DEFAULT_MAX_ITEMS = 10


def parse_max_items(raw: str | None) -> int:
    """``maxItems`` as a page size: a positive number (a fraction rounded down), at most :data:`MAX_ITEMS_CAP`."""
    if raw is None:
        return DEFAULT_MAX_ITEMS
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1:
        raise ValidationFailed.one("maxItems", "maxItems must be a positive number")
    return min(MAX_ITEMS_CAP, math.floor(value))


class PageTokens:
    """Opaque, signed positions in a sorted list: the sort field and order, the sort key and the id of the last
    item given."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.digest(self._key, payload, hashlib.sha256)[:16]).decode().rstrip("=")

    def encode(self, field: str, order: str, key: int | str, item_id: str) -> str:
        payload = json.dumps([field, order, key, item_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._sign(payload)

    def decode(self, token: str, field: str, order: str) -> tuple[int | str, str]:
        """The position a token names; anything but a token of ours for this sort order is a 422."""
        invalid = ValidationFailed.one("nextPageToken", "Invalid nextPageToken: ask for the first page again")
        try:
            body, signature = token.split(".")
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError) as exc:  # also non-ASCII text (binascii.Error is a ValueError)
            raise invalid from exc
        # bytes, not str: compare_digest refuses non-ASCII str with a TypeError (and a lone surrogate cannot be
        # encoded strictly)
        if not hmac.compare_digest(self._sign(payload).encode(), signature.encode("utf-8", "replace")):
            raise invalid
        token_field, token_order, key, item_id = json.loads(payload)  # signed by us: well formed
        if (token_field, token_order) != (field, order):
            raise ValidationFailed.one(
                "nextPageToken", "nextPageToken belongs to another sort order: ask for the first page again"
            )
        return key, item_id
