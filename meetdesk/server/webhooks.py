"""Webhook events: ``{event, creationDate, data}`` POSTed with an HMAC-SHA256 signature.

``X-Signature`` is the hex HMAC-SHA256 of ``"{X-Timestamp}.{body}"`` keyed with the API key, so a
receiver that knows the key can check both origin and integrity.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import httpx

from meetdesk.core.models import now_ms

logger = logging.getLogger(__name__)


def signature(timestamp: int, body: bytes, key: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def encode_event(event: str, data: dict[str, Any], timestamp: int) -> bytes:
    return json.dumps({"event": event, "creationDate": timestamp, "data": data}, separators=(",", ":")).encode()


async def send_once(client: httpx.AsyncClient, url: str, event: str, data: dict[str, Any], key: str) -> int:
    """POST one signed event; returns the receiver's status. Raises httpx.HTTPError when unreachable."""
    timestamp = now_ms()
    body = encode_event(event, data, timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": str(timestamp),
        "X-Signature": signature(timestamp, body, key),
    }
    response = await client.post(url, content=body, headers=headers)
    return response.status_code
