"""The server's own certificate and the settings that decide when it speaks TLS."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509

from meetdesk.core.fingerprint import is_pin
from meetdesk.server.config import ServerSettings, SettingsError
from meetdesk.server.tls import ensure_certificate


def names(path: Path) -> set[str]:
    san = x509.load_pem_x509_certificate(path.read_bytes()).extensions
    value = san.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(ip) for ip in value.get_values_for_type(x509.IPAddress)} | set(value.get_values_for_type(x509.DNSName))


def test_the_certificate_names_the_address_and_keeps_its_key_when_the_address_changes(tmp_path: Path) -> None:
    first = ensure_certificate(tmp_path, ["192.168.1.20", "0.0.0.0"])  # noqa: S104 - a certificate, nothing bound
    assert first.pin is not None and is_pin(first.pin)
    assert names(first.cert_file) == {"192.168.1.20"}  # not 0.0.0.0: nobody reaches a server there
    assert stat.S_IMODE(first.key_file.stat().st_mode) == 0o600
    assert ensure_certificate(tmp_path, ["192.168.1.20"]).cert_file.read_bytes() == first.cert_file.read_bytes()
    moved = ensure_certificate(tmp_path, ["meet.lan", "10.0.0.5"])
    assert names(moved.cert_file) == {"meet.lan", "10.0.0.5"}
    assert moved.pin == first.pin  # same key: links already handed out still match


def test_a_key_with_loose_rights_is_tightened(tmp_path: Path) -> None:
    ensure_certificate(tmp_path, ["10.0.0.5"]).key_file.chmod(0o644)
    again = ensure_certificate(tmp_path, ["10.0.0.5"])
    assert stat.S_IMODE(again.key_file.stat().st_mode) == 0o600


def test_tls_is_on_off_loopback_and_links_say_https() -> None:
    assert not ServerSettings(host="127.0.0.1").tls_enabled
    shared = ServerSettings(host="192.168.1.20", port=6080)
    assert shared.tls_enabled and shared.public_base_url == "https://192.168.1.20:6080"
    pinned = ServerSettings(host="192.168.1.20", link_pin="sha256:" + "A" * 43)
    assert pinned.link_base == "https://192.168.1.20:6080#fp=sha256:" + "A" * 43


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        (ServerSettings(host="192.168.1.20", tls=False), "Refusing to serve plain HTTP on 192.168.1.20"),
        (ServerSettings(host="0.0.0.0"), "needs --base-url"),  # noqa: S104 - checked, not bound
        (ServerSettings(host="10.0.0.5", base_url="http://10.0.0.5:6080"), "use https://"),
        (ServerSettings(host="10.0.0.5", tls_cert_file=Path("c.pem")), "go together"),
    ],
)
def test_settings_that_would_expose_secrets_or_break_links_are_refused(settings: ServerSettings, says: str) -> None:
    with pytest.raises(SettingsError, match=says) as refused:
        settings.check()
    assert str(refused.value).endswith(".")


def test_plain_http_on_loopback_behind_a_tls_proxy_is_fine() -> None:
    ServerSettings(host="127.0.0.1", base_url="https://meet.example.com").check()
