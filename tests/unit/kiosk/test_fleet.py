"""Where an enrolled kiosk keeps who it is (``kiosk/fleet.py``): its credential in a file only its user reads
(no keyring here), found again for the same server only, and forgotten on demand."""

from __future__ import annotations

import stat
from pathlib import Path

from meetdesk.kiosk.fleet import FleetCredentials, FleetIdentity, socket_url, split_server

SERVER = "https://meet.example.org:6080#fp=sha256:AB:CD"


def test_a_server_address_carries_its_certificate_pin() -> None:
    assert split_server(SERVER) == ("https://meet.example.org:6080", "sha256:AB:CD")
    assert split_server("http://127.0.0.1:6080/") == ("http://127.0.0.1:6080", None)
    assert socket_url("https://meet.example.org:6080") == "wss://meet.example.org:6080/internal-api/v1/kiosks/connect"


def test_the_credential_is_kept_privately_and_found_again_for_its_server_only(tmp_path: Path) -> None:
    store = FleetCredentials(tmp_path / "state", tmp_path / "secrets", use_keyring=False)
    assert store.load(SERVER) is None
    identity = FleetIdentity(SERVER, "k-123", "board-abc", "c" * 43)
    assert "c" * 43 not in repr(identity)
    store.save(identity)

    secrets_file = tmp_path / "secrets" / "credentials.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert "c" * 43 not in (tmp_path / "state" / "fleet.json").read_text()  # who it is, not its secret
    again = FleetCredentials(tmp_path / "state", tmp_path / "secrets", use_keyring=False)
    assert again.load("https://meet.example.org:6080") == identity.__class__(
        "https://meet.example.org:6080", "k-123", "board-abc", "c" * 43
    )
    assert again.load("https://elsewhere.example.org:6080") is None

    again.forget(SERVER)
    assert again.load(SERVER) is None
    assert not (tmp_path / "state" / "fleet.json").exists()
