"""The kiosk's admin PIN: kept only as a salted scrypt hash, checked with a lock-out that grows with wrong tries.

A PIN is short, so the hash alone does not protect it from a patient attacker with the file; what protects
the kiosk is that the file is not reachable from the room, and that the screen allows few guesses
(:class:`PinGuard`: three free tries, then a wait that doubles with every further wrong one, up to 30 min, as
Zoom Rooms' lock-out does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Final

_N, _R, _P = 2**14, 8, 1
PIN_PATTERN: Final = re.compile(r"^[0-9]{4,16}$")
#: wrong tries allowed before the first wait
FREE_TRIES: Final = 3
FIRST_LOCKOUT_S: Final = 30.0
MAX_LOCKOUT_S: Final = 1800.0


def valid_pin(pin: str) -> bool:
    """4 to 16 digits."""
    return PIN_PATTERN.match(pin) is not None


def hash_pin(pin: str) -> str:
    """``scrypt$N$r$p$salt$digest`` of ``pin`` (raises ValueError when it is not 4 to 16 digits)."""
    if not valid_pin(pin):
        raise ValueError("A PIN is 4 to 16 digits.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def is_pin_hash(text: str) -> bool:
    """Whether ``text`` has the shape :func:`hash_pin` produces."""
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:4]):
        return False
    try:
        return (
            len(base64.b64decode(parts[4], validate=True)) >= 8 and len(base64.b64decode(parts[5], validate=True)) == 32
        )
    except ValueError:
        return False


def verify_pin(pin: str, stored: str) -> bool:
    if not is_pin_hash(stored):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(actual, base64.b64decode(digest))


class PinGuard:
    """Checks PINs against ``stored`` and refuses to check while locked out after too many wrong ones.

    ``clock``: seconds, monotonic (tests pass their own)."""

    def __init__(self, stored: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._stored = stored
        self._clock = clock
        self.wrong = 0
        self._locked_until = 0.0

    def wait_left(self) -> float:
        """Seconds before the next try is accepted (0: now)."""
        return max(0.0, self._locked_until - self._clock())

    def check(self, pin: str) -> bool:
        """True for the right PIN (which clears the count). While locked out, nothing is checked: False."""
        if self.wait_left() > 0:
            return False
        if verify_pin(pin, self._stored):
            self.wrong = 0
            return True
        self.wrong += 1
        if self.wrong >= FREE_TRIES:
            wait = min(MAX_LOCKOUT_S, FIRST_LOCKOUT_S * 2 ** (self.wrong - FREE_TRIES))
            self._locked_until = self._clock() + wait
        return False
