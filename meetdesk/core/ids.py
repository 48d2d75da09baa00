"""Identifiers and secrets: room ids derived from names, room-link secrets.

Room ids follow OpenVidu Meet 3.6+: the name lower-cased, accents stripped, only ``[a-z0-9 _-]`` kept
(an emoji is dropped), spaces and hyphens turned into ``_``, runs of ``_`` collapsed to one (``room``
when nothing is left), then ``-`` and a random 15-character suffix. The prefix is deterministic so that
scripts and tests can predict it.
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata

ROOM_ID_SUFFIX_LENGTH = 15
_SUFFIX_ALPHABET = string.ascii_letters + string.digits
_NOT_ID_CHAR = re.compile(r"[^a-z0-9 _-]")
_SEPARATOR_RUN = re.compile(r"[ _-]+")
_NOT_ROOM_ID_CHAR = re.compile(r"[^A-Za-z0-9_-]")

#: Bytes of randomness in a room-link secret (192 bits; the contract asks for at least 128).
SECRET_BYTES = 24


def room_id_prefix(room_name: str) -> str:
    """The deterministic part of a room id: ``"Habitación José"`` -> ``"habitacion_jose"``,
    ``"meeting 🎉 room"`` -> ``"meeting_room"``."""
    decomposed = unicodedata.normalize("NFD", room_name)
    without_marks = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    kept = _NOT_ID_CHAR.sub("", without_marks.lower())
    # Leading/trailing underscores come only from spaces or punctuation at the ends: drop them.
    prefix = _SEPARATOR_RUN.sub("_", kept).strip("_")
    return prefix or "room"


def new_room_id(room_name: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(ROOM_ID_SUFFIX_LENGTH))
    return f"{room_id_prefix(room_name)}-{suffix}"


def sanitize_room_id(raw: str) -> str:
    """A room id as a client sent it, trimmed and stripped of characters no room id contains."""
    return _NOT_ROOM_ID_CHAR.sub("", raw.strip())


def new_secret() -> str:
    """A room-link secret: URL-safe, :data:`SECRET_BYTES` bytes of randomness."""
    return secrets.token_urlsafe(SECRET_BYTES)


def new_api_key() -> str:
    return "meetdesk-" + secrets.token_urlsafe(32)


def new_password() -> str:
    return secrets.token_urlsafe(15)
