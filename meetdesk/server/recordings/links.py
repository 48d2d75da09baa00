"""Share links of recordings: each recording has a public and a private secret (OpenVidu Meet's ``/url``).

The secrets are not stored per recording: each is an HMAC of the recording's id under a key made once per
server and kept in its database (``global_config``), so a link works for as long as its recording exists and
the key never changes when the JWT signing key is rotated. A secret is 128 bits, URL-safe, compared in
constant time, and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import StrEnum
from urllib.parse import quote

from meetdesk.server.store.accounts import AccountStore

#: the ``global_config`` entry that holds the key (hex)
KEY_NAME = "recording_links_key"


class SecretKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class RecordingLinks:
    """Makes and recognises the share secrets of recordings."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    async def open(cls, accounts: AccountStore) -> RecordingLinks:
        """The server's links, with the key made on the first start and read from the database after it."""
        stored = await accounts.config(KEY_NAME)
        if not isinstance(stored, str):
            stored = secrets.token_hex(32)
            await accounts.set_config(KEY_NAME, stored)
        return cls(bytes.fromhex(stored))

    def derive(self, purpose: str) -> bytes:
        """A key for another purpose (page tokens), never usable as a secret."""
        return hmac.digest(self._key, f"purpose:{purpose}".encode(), hashlib.sha256)

    def secret(self, recording_id: str, kind: SecretKind) -> str:
        digest = hmac.digest(self._key, f"{kind.value}:{recording_id}".encode(), hashlib.sha256)[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def kind_of(self, recording_id: str, secret: str) -> SecretKind | None:
        """Which of the recording's secrets ``secret`` is, if either."""
        for kind in SecretKind:
            if hmac.compare_digest(self.secret(recording_id, kind).encode(), secret.encode("utf-8", "replace")):
                return kind
        return None

    def url(self, base_url: str, recording_id: str, kind: SecretKind) -> str:
        """``<base>/recording/{id}?secret=…``: the recording's page, which plays it in a browser."""
        return f"{base_url}/recording/{quote(recording_id)}?secret={self.secret(recording_id, kind)}"
