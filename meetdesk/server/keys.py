"""The server's secret keys, kept out of the database: a JSON file readable by the server's user only.

- ``signing``: JWTs (and page tokens) are signed with keys derived from it. ``meetdesk rotate-signing-key``
  replaces it; every token signed before stops working, on a running server too (it reads the file again
  when the file changes).
- ``storage``: seals the API key in the database (AES-GCM), so that webhooks can still be signed with the
  key while the database alone reveals nothing an attacker could sign or call with. Never rotated by the
  command: a new one would make the sealed key unreadable.

The file is ``keys.json`` in the data dir (``MEETDESK_KEY_FILE`` elsewhere, e.g. a file shared by several
server nodes on one PostgreSQL database), written atomically with mode 0600 from the start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from meetdesk.server.private_files import write_private

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "keys.json"


class KeyFileError(Exception):
    """The key file is missing or unreadable; the message says which file and what to do."""


@dataclass(frozen=True)
class _Material:
    signing: bytes
    storage: bytes
    rotated_at: int

    def dump(self) -> bytes:
        document = {
            "version": 1,
            "signing": self.signing.hex(),
            "storage": self.storage.hex(),
            "rotatedAt": self.rotated_at,
        }
        return json.dumps(document, indent=2).encode() + b"\n"

    @classmethod
    def parse(cls, data: bytes, path: Path) -> _Material:
        try:
            document = json.loads(data)
            material = cls(
                bytes.fromhex(document["signing"]), bytes.fromhex(document["storage"]), int(document["rotatedAt"])
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyFileError(f"The key file {path} is damaged ({exc}); restore it from a backup") from exc
        if len(material.signing) < 32 or len(material.storage) != 32:
            raise KeyFileError(f"The key file {path} holds keys of the wrong length; restore it from a backup")
        return material


class ServerKeys:
    """The keys of one server, read from their file (and read again when the file changes)."""

    def __init__(self, path: Path, material: _Material, stamp: tuple[int, int, int]) -> None:
        self.path = path
        self._material = material
        self._stamp = stamp

    @classmethod
    def open(cls, path: Path, legacy_signing: bytes | None = None) -> ServerKeys:
        """Read the key file; create it when missing (signing with ``legacy_signing`` when given: the key a
        database of an older MeetDesk kept in its rows, so that tokens issued before the move stay valid)."""
        if not path.exists():
            signing = legacy_signing or secrets.token_bytes(32)
            write_private(path, _Material(signing, secrets.token_bytes(32), int(time.time())).dump())
            logger.info("Created the server's key file %s", path)
        return cls._read(path)

    @classmethod
    def _read(cls, path: Path) -> ServerKeys:
        try:
            info = path.stat()
            data = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"Cannot read the key file {path}: {exc.strerror}") from exc
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(path, 0o600)  # an older copy or a restore made it readable by others
        return cls(path, _Material.parse(data, path), (info.st_ino, info.st_mtime_ns, info.st_size))

    def _current(self) -> _Material:
        try:
            info = self.path.stat()
        except OSError:
            return self._material  # gone while running: keep signing with what we have; the log says so below
        if (info.st_ino, info.st_mtime_ns, info.st_size) != self._stamp:
            try:
                fresh = ServerKeys._read(self.path)
            except KeyFileError as exc:
                logger.warning("Kept the keys in use: %s", exc)
                self._stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            else:
                if fresh._material.signing != self._material.signing:
                    logger.info("The signing key was rotated: tokens issued before now are no longer accepted")
                self._material, self._stamp = fresh._material, fresh._stamp
        return self._material

    def derive(self, purpose: str) -> bytes:
        """A key for one purpose, derived from the current signing key."""
        return hmac.digest(self._current().signing, purpose.encode(), hashlib.sha256)

    def rotate_signing_key(self) -> None:
        material = self._current()
        fresh = _Material(secrets.token_bytes(32), material.storage, int(time.time()))
        write_private(self.path, fresh.dump())
        self._material = fresh
        info = self.path.stat()
        self._stamp = (info.st_ino, info.st_mtime_ns, info.st_size)

    # sealing ----------------------------------------------------------------------------------------

    def seal(self, text: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self._current().storage).encrypt(nonce, text.encode(), b"meetdesk-sealed-v1")
        return base64.b64encode(nonce + sealed).decode()

    def unseal(self, sealed: str) -> str | None:
        """The text sealed here, or None when it was sealed with another storage key (the file was replaced)."""
        try:
            raw = base64.b64decode(sealed)
            return AESGCM(self._current().storage).decrypt(raw[:12], raw[12:], b"meetdesk-sealed-v1").decode()
        except (ValueError, InvalidTag):
            return None


def rotate_signing_key(path: Path) -> None:
    """``meetdesk rotate-signing-key``: a new signing key in the existing key file (same owner as before)."""
    if not path.exists():
        raise KeyFileError(f"There is no key file at {path}: start the server once with this data dir first")
    owner = path.stat()
    ServerKeys._read(path).rotate_signing_key()
    if os.geteuid() == 0 and (owner.st_uid, owner.st_gid) != (0, 0):
        os.chown(path, owner.st_uid, owner.st_gid)  # run as root for a server running as its own user


def hash_api_key(api_key: str) -> str:
    """SHA-256 is enough here: keys are long random strings, not passwords a dictionary could guess."""
    return hashlib.sha256(api_key.encode()).hexdigest()
