"""The credential store: the OS keyring when one exists, else a 0600 file — and it says which."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from meetdesk.client.credentials import CredentialStore


class MemoryKeyring(KeyringBackend):
    """A keyring backend in memory: stands in for the OS service (this machine has none)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


def test_without_a_keyring_secrets_go_to_a_file_only_the_user_can_read(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, use_keyring=False)
    assert store.fallback_reason is not None and str(store.file) in store.fallback_reason
    store.set("https://meet.example.com/", "admin", "s3cret-value")
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    # a new store (the next app start) reads it back; the URL's trailing slash does not matter
    again = CredentialStore(tmp_path, use_keyring=False)
    assert again.get("https://meet.example.com", "admin") == "s3cret-value"
    assert again.get("https://meet.example.com", "other") is None
    again.delete("https://meet.example.com", "admin")
    assert CredentialStore(tmp_path, use_keyring=False).get("https://meet.example.com", "admin") is None


def test_a_corrupt_file_is_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "credentials.json").write_text("{not json")
    store = CredentialStore(tmp_path, use_keyring=False)
    assert store.get("http://x", "admin") is None
    store.set("http://x", "admin", "fresh")
    assert store.get("http://x", "admin") == "fresh"


def test_with_a_keyring_nothing_is_written_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    store = CredentialStore(tmp_path)
    assert store.fallback_reason is None
    assert store.location == "the system keyring"
    store.set("http://127.0.0.1:6080", "admin", "pw")
    assert backend.items == {("meetdesk", "http://127.0.0.1:6080|admin"): "pw"}
    assert store.get("http://127.0.0.1:6080", "admin") == "pw"
    assert not store.file.exists()
