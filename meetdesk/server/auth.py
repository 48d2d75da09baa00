"""Passwords and JSON Web Tokens (the login limit is in ``ratelimit.py``).

Tokens are HS256 JWTs signed with a key derived from the server's signing key (``server/keys.py``: a 0600
file, not the database; rotating it voids every token). Their ``typ`` claim says
what they are for (``access``, ``refresh``, ``participant``), so one kind can never stand in for another.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pydantic

from meetdesk.core.claims import ParticipantClaims
from meetdesk.core.errors import Unauthorized

ACCESS_TTL_S = 2 * 3600
REFRESH_TTL_S = 24 * 3600
PARTICIPANT_TTL_S = 2 * 3600

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


class TokenService:
    """Issues and checks the server's JWTs."""

    def __init__(self, key: Callable[[], str]) -> None:
        self._key = key  # asked each time: the signing key may be rotated while the server runs

    def issue(self, typ: str, subject: str | None, ttl_s: int, **claims: Any) -> tuple[str, dict[str, Any]]:
        now_s = time.time()
        now = int(now_s)
        payload: dict[str, Any] = {
            "typ": typ,
            "iat": now,
            "iat_ms": int(now_s * 1000),  # finer than iat: a password change voids tokens issued before it
            "exp": now + ttl_s,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        if subject is not None:
            payload["sub"] = subject
        return jwt.encode(payload, self._key(), algorithm="HS256"), payload

    def decode(self, token: str, typ: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key(), algorithms=["HS256"], options={"require": ["exp", "iat", "typ"]}
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized("Invalid token") from exc
        if claims.get("typ") != typ:
            raise Unauthorized("Invalid token")
        return claims

    def participant(self, token: str) -> ParticipantClaims:
        """A participant token's claims, checked and typed (401 for anything else)."""
        claims = self.decode(token, "participant")
        try:
            return ParticipantClaims.model_validate(claims)
        except pydantic.ValidationError as exc:  # a token of an older server, or not one of ours
            raise Unauthorized("Invalid token") from exc


async def hash_password_off_loop(password: str) -> str:
    """scrypt takes tens of milliseconds: run it in a thread so that the event loop keeps serving."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_off_loop(password: str, stored: str | None) -> bool:
    """Check a password; with no stored hash, still spend the same time (timing must not reveal users)."""
    return await asyncio.to_thread(verify_password, password, stored or _dummy_hash())


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
