"""Where the desktop app keeps server passwords and API keys: the OS keyring, or — only where no keyring
backend exists (a kiosk, a bare container) — a file readable by this user alone, and it says so.

Secrets are keyed by server URL and user name. Nothing here logs a secret.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail

logger = logging.getLogger(__name__)

SERVICE = "meetdesk"


def _usable_keyring() -> keyring.backend.KeyringBackend | None:
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


class CredentialStore:
    """Secrets for servers: ``get(url, user)`` / ``set(url, user, secret)`` / ``delete(url, user)``.

    ``fallback_reason`` is None when the OS keyring is used, else the sentence the app shows the user.
    """

    def __init__(self, config_dir: Path, *, use_keyring: bool = True) -> None:
        self.file = config_dir / "credentials.json"
        self._backend = _usable_keyring() if use_keyring else None
        self.fallback_reason: str | None = None
        if self._backend is None:
            self.fallback_reason = (
                f"No system keyring is available, so MeetDesk keeps sign-in secrets in {self.file}, "
                "readable only by your user account."
            )
            logger.warning("No keyring backend: secrets go to %s (mode 0600)", self.file)

    @property
    def location(self) -> str:
        return "the system keyring" if self._backend is not None else str(self.file)

    @staticmethod
    def _key(url: str, user: str) -> str:
        return f"{url.rstrip('/')}|{user}"

    def get(self, url: str, user: str) -> str | None:
        key = self._key(url, user)
        if self._backend is not None:
            try:
                return self._backend.get_password(SERVICE, key)
            except keyring.errors.KeyringError as exc:
                logger.warning("Keyring read failed (%s); trying the fallback file", type(exc).__name__)
        return self._read_file().get(key)

    def set(self, url: str, user: str, secret: str) -> None:
        key = self._key(url, user)
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE, key, secret)
                return
            except keyring.errors.KeyringError as exc:
                logger.warning("Keyring write failed (%s); using the fallback file", type(exc).__name__)
        data = self._read_file()
        data[key] = secret
        self._write_file(data)

    def delete(self, url: str, user: str) -> None:
        key = self._key(url, user)
        if self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, key)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                logger.warning("Keyring delete failed (%s)", type(exc).__name__)
        data = self._read_file()
        if data.pop(key, None) is not None:
            self._write_file(data)

    def _read_file(self) -> dict[str, str]:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("Cannot read %s (%s); starting with no saved secrets", self.file, type(exc).__name__)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(k): str(v) for k, v in raw.items() if isinstance(v, str)}

    def _write_file(self, data: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        # created 0600 from the start: the secret is never readable by others, not even for a moment
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)
        os.replace(tmp, self.file)
