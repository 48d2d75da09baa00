""" "Share on the network" settings, pinned room links and remembered fingerprints (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from meetdesk.client.api import parse_room_link
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import EmbeddedServer, EmbeddedServerError
from meetdesk.client.sharing import NetworkSharing, SharingProblem
from meetdesk.client.tls import KnownServers, origin
from meetdesk.core.addresses import local_addresses

PIN = "sha256:" + "A" * 43


def test_off_is_loopback_and_on_is_https_on_the_address_others_use(tmp_path: Path) -> None:
    assert NetworkSharing().base_url(6080) == "http://127.0.0.1:6080"
    assert NetworkSharing().bind_host == "127.0.0.1"
    shared = NetworkSharing(True, "0.0.0.0", "meet.lan")  # noqa: S104 - a setting, nothing bound
    assert shared.base_url(6080) == "https://meet.lan:6080" and shared.bind_host == "0.0.0.0"  # noqa: S104
    assert NetworkSharing(True, "0.0.0.0", "fd00::5").base_url(6080) == "https://[fd00::5]:6080"  # noqa: S104
    shared.save(tmp_path)
    assert NetworkSharing.load(tmp_path) == shared
    (tmp_path / "sharing.json").write_text("{not json")
    assert NetworkSharing.load(tmp_path) == NetworkSharing()  # unreadable: off, as on a first start


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("", SharingProblem.NO_ADDRESS),
        ("my computer", SharingProblem.SPACE),
        ("meet_lan!", SharingProblem.NOT_AN_ADDRESS),
        ("127.0.0.1", SharingProblem.LOOPBACK),
        ("localhost", SharingProblem.LOOPBACK),
    ],
)
def test_an_address_others_cannot_use_is_refused(address: str, problem: SharingProblem) -> None:
    problems = NetworkSharing(True, "0.0.0.0", address).problems()  # noqa: S104 - a setting, nothing bound
    assert problems == {"address": problem}


def test_a_network_that_is_not_this_computers_is_refused() -> None:
    problems = NetworkSharing(True, "203.0.113.9", "203.0.113.9").problems()
    assert problems == {"listen": SharingProblem.NOT_THIS_COMPUTER}
    assert NetworkSharing(True, "127.0.0.1", "10.0.0.5").problems()["listen"] is SharingProblem.LOOPBACK
    assert NetworkSharing(False, "203.0.113.9", "").problems() == {}  # off: nothing to check


def test_a_machine_address_is_accepted() -> None:
    addresses = [a.address for a in local_addresses()]
    if not addresses:
        pytest.skip("this machine has no non-loopback address")
    assert NetworkSharing(True, addresses[0], addresses[0]).problems() == {}


async def test_the_embedded_server_does_not_start_on_an_address_it_cannot_have(tmp_path: Path) -> None:
    NetworkSharing(True, "203.0.113.9", "203.0.113.9").save(tmp_path / "embedded")
    server = EmbeddedServer(tmp_path / "embedded", CredentialStore(tmp_path / "config", use_keyring=False))
    with pytest.raises(EmbeddedServerError) as refused:
        await server.start()
    assert "cannot listen on 203.0.113.9, which “Share on the network” names" in str(refused.value)
    assert server.process is None  # nothing was started


def test_room_links_carry_the_pin_in_their_fragment() -> None:
    link = parse_room_link(f"https://10.0.0.5:6080/room/r-1?secret=s3cr3t#fp={PIN}")
    assert (link.base_url, link.room_id, link.pin) == ("https://10.0.0.5:6080", "r-1", PIN)
    assert link.url == f"https://10.0.0.5:6080/room/r-1?secret=s3cr3t#fp={PIN}"
    assert parse_room_link("https://10.0.0.5:6080/room/r-1?secret=s").pin is None
    with pytest.raises(ValueError, match="fingerprint"):
        parse_room_link("https://10.0.0.5:6080/room/r-1?secret=s#fp=sha256:short")
    with pytest.raises(ValueError, match="starts with http://"):
        parse_room_link(f"http://10.0.0.5:6080/room/r-1?secret=s#fp={PIN}")


def test_known_servers_remember_a_fingerprint_per_host_and_port(tmp_path: Path) -> None:
    assert origin("https://Meet.LAN") == "meet.lan:443" and origin("https://[fd00::5]:6080/x") == "[fd00::5]:6080"
    known = KnownServers.load(tmp_path / "known.json")
    known.remember("https://meet.lan:6080", PIN)
    assert KnownServers.load(tmp_path / "known.json").get("https://meet.lan:6080/api") == PIN
    assert known.get("https://meet.lan:6081") is None
    with pytest.raises(ValueError):
        known.remember("https://meet.lan:6080", "not a pin")
    known.forget("https://meet.lan:6080")
    assert KnownServers.load(tmp_path / "known.json").get("https://meet.lan:6080") is None
