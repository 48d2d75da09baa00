"""A server shared on the network: HTTPS/WSS with its own certificate on a non-loopback address, clients
that pin it through the room link, media offered on the advertised address only, and plain HTTP refused
off loopback. Real server processes on this machine's own non-loopback address."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509

from meetdesk.client.api import MeetDeskClient, parse_room_link
from meetdesk.client.errors import CertificateMismatch, UnknownCertificate
from meetdesk.client.lobby import ErrorReason, LinkProblem, inspect_link
from meetdesk.client.session import MeetingSession
from meetdesk.client.signalling import SignallingClient, SignallingError
from meetdesk.client.tls import KnownServers
from meetdesk.core.addresses import local_addresses
from meetdesk.core.fingerprint import certificate_pin
from meetdesk.core.signalling import SubscribeOffer
from tests.conftest import ADMIN_PASSWORD, ADMIN_USER, API_KEY, free_port
from tests.integration.meeting_helpers import frames_from, until

READY = "Uvicorn running on"


def lan_address() -> str:
    """This machine's first non-loopback IPv4 address: what "Share on the network" would offer."""
    for local in local_addresses():
        if local.version == 4:
            return local.address
    pytest.skip("this machine has no non-loopback IPv4 address to share a server on")


@dataclass
class NetworkServer:
    """``meetdesk server --host <address>`` in a child process; ``output`` is everything it printed."""

    address: str
    port: int
    data_dir: Path
    process: asyncio.subprocess.Process | None = None
    output: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}"

    @property
    def pin(self) -> str:
        certificate = x509.load_pem_x509_certificate((self.data_dir / "tls-cert.pem").read_bytes())
        return certificate_pin(certificate.public_bytes(serialization_der()))

    async def start(self, *args: str) -> int | None:
        """Start; returns None once it listens, or its exit code if it stopped first."""
        env = {
            **os.environ,
            "MEETDESK_INITIAL_ADMIN_USER": ADMIN_USER,
            "MEETDESK_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "MEETDESK_INITIAL_API_KEY": API_KEY,
        }
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "meetdesk", "server", "--host", self.address, "--port", str(self.port),
            "--data-dir", str(self.data_dir), *args,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        ready = asyncio.get_running_loop().create_future()

        async def read() -> None:
            assert self.process is not None and self.process.stdout is not None
            async for raw in self.process.stdout:
                line = raw.decode(errors="replace")
                self.output.append(line)
                if READY in line and not ready.done():
                    ready.set_result(None)
            if not ready.done():
                ready.set_result(await self.process.wait())

        self._reader = asyncio.create_task(read())
        return await asyncio.wait_for(ready, 60)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 30)
        if self._reader is not None:
            await self._reader


def serialization_der() -> object:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


@pytest.fixture
async def shared(tmp_path: Path) -> AsyncIterator[NetworkServer]:
    server = NetworkServer(lan_address(), free_port(), tmp_path / "data")
    assert await server.start() is None, "".join(server.output)
    yield server
    await server.stop()


async def test_plain_http_off_loopback_is_refused_with_a_reason(tmp_path: Path) -> None:
    server = NetworkServer(lan_address(), free_port(), tmp_path / "data")
    code = await server.start("--no-tls")
    assert code == 2
    said = "".join(server.output)
    assert f"Refusing to serve plain HTTP on {server.address}" in said
    assert "would cross the network unencrypted" in said
    with pytest.raises(OSError):  # nothing was bound
        await asyncio.open_connection(server.address, server.port)


async def test_the_server_serves_https_with_its_own_certificate_and_pinned_links(shared: NetworkServer) -> None:
    key_file = shared.data_dir / "tls-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    certificate = x509.load_pem_x509_certificate((shared.data_dir / "tls-cert.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == [shared.address]
    async with MeetDeskClient(shared.url, api_key=API_KEY, pin=shared.pin) as api:
        room = await api.create_room({"roomName": "Shared"})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    link = parse_room_link(room.moderatorUrl)
    assert link.base_url == shared.url and link.pin == shared.pin
    assert room.moderatorUrl.endswith(f"#fp={shared.pin}")  # the fragment: clients read it, servers never see it
    # the person who started the server is told the fingerprint too
    assert any(shared.pin in line for line in shared.output)


async def test_participants_join_through_pinned_links_and_media_flows(shared: NetworkServer) -> None:
    async with MeetDeskClient(shared.url, api_key=API_KEY, pin=shared.pin) as api:
        room = await api.create_room({"roomName": "Shared"})
    assert room.moderatorUrl is not None and room.speakerUrl is not None
    info = await inspect_link(room.speakerUrl)
    assert info.room_name == "Shared"
    ana = MeetingSession(room.moderatorUrl, "Ana", source_id=1)
    bo = MeetingSession(room.speakerUrl, "Bo", source_id=2)
    try:
        ana_id = (await ana.join()).you.identity
        bo_id = (await bo.join()).you.identity
        await until(lambda: frames_from(bo, ana_id) >= 10 and frames_from(ana, bo_id) >= 10, timeout=60)
        [track] = [r for r in bo.remote.values() if r.identity == ana_id and r.kind == "video"]
        assert track.markers_seen == {1}  # Ana's own pictures, through the SFU on the shared address
    finally:
        await bo.leave()
        await ana.leave()


@pytest.fixture
def second_address() -> Iterator[str]:
    """A non-loopback address besides the shared one: the machine's own, or (as root) one on a dummy interface
    made for the test and removed after it (TEST-NET-2, reaches nobody)."""
    addresses = [a.address for a in local_addresses()]
    if len(addresses) > 1:
        yield addresses[1]
        return
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs a second non-loopback address (or root, to add one on a dummy interface)")
    name = f"mdtest{os.getpid() % 10000}"
    made = subprocess.run(["ip", "link", "add", name, "type", "dummy"], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"needs a second non-loopback address; no dummy interface here ({made.stderr.strip()})")
    try:
        subprocess.run(["ip", "addr", "add", "198.51.100.7/32", "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield "198.51.100.7"
    finally:
        subprocess.run(["ip", "link", "del", name], check=True)


async def test_the_sfu_offers_media_on_the_shared_address_only(shared: NetworkServer, second_address: str) -> None:
    others = {a.address for a in local_addresses()} - {shared.address}
    assert second_address in others
    async with MeetDeskClient(shared.url, api_key=API_KEY, pin=shared.pin) as api:
        room = await api.create_room({"roomName": "Shared"})
        assert room.moderatorUrl is not None and room.speakerUrl is not None
        link = parse_room_link(room.speakerUrl)
        token = await api.participant_token(link.room_id, link.secret, "Bo")
    ana = MeetingSession(room.moderatorUrl, "Ana", source_id=1)  # publishes: Bo is offered her tracks
    await ana.join()
    signalling = await SignallingClient.connect(shared.url, token, pin=link.pin)
    try:
        offers = (m async for m in signalling.messages() if isinstance(m, SubscribeOffer))
        offer = await asyncio.wait_for(anext(offers), 30)
    finally:
        await signalling.close()
        await ana.leave()
    hosts = {line.split()[4] for line in offer.sdp.splitlines() if line.startswith("a=candidate:")}
    assert hosts == {shared.address}, f"offered {hosts}, not only {shared.address} (this machine also has {others})"


async def test_a_link_with_another_fingerprint_is_refused(shared: NetworkServer) -> None:
    async with MeetDeskClient(shared.url, api_key=API_KEY, pin=shared.pin) as api:
        room = await api.create_room({"roomName": "Shared"})
    assert room.speakerUrl is not None
    forged = re.sub(r"#fp=sha256:.*$", "#fp=sha256:" + "A" * 43, room.speakerUrl)
    with pytest.raises(LinkProblem) as problem:
        await inspect_link(forged)
    assert problem.value.reason is ErrorReason.UNTRUSTED_CERTIFICATE
    assert "does not match the fingerprint in the link" in problem.value.message
    assert problem.value.message.endswith("Ask for a new link.")
    assert not problem.value.can_retry  # the same link would be refused again
    session = MeetingSession(forged, "Eve")
    with pytest.raises(CertificateMismatch):
        await session.join()
    cut_short = room.speakerUrl.split("#")[0]  # no fingerprint, and no authority vouches for the certificate
    with pytest.raises(LinkProblem) as problem:
        await inspect_link(cut_short)
    assert problem.value.reason is ErrorReason.UNTRUSTED_CERTIFICATE
    assert problem.value.message.endswith("Ask for the link again and copy all of it (it ends with #fp=…).")
    link = parse_room_link(forged)
    with pytest.raises(SignallingError) as refused:
        await SignallingClient.connect(shared.url, "any-token", pin=link.pin)
    assert refused.value.code == "certificate"


async def test_without_a_pin_the_fingerprint_is_confirmed_once(shared: NetworkServer, tmp_path: Path) -> None:
    known = KnownServers.load(tmp_path / "known.json")
    async with MeetDeskClient(shared.url, api_key=API_KEY, known=known) as api:
        with pytest.raises(UnknownCertificate) as unknown:
            await api.list_rooms()
    assert unknown.value.presented == shared.pin
    assert "No certificate authority vouches" in unknown.value.message
    known.remember(shared.url, unknown.value.presented)  # the person compared it and said yes
    again = KnownServers.load(tmp_path / "known.json")  # ... and it is remembered
    async with MeetDeskClient(shared.url, api_key=API_KEY, known=again) as api:
        assert (await api.list_rooms()).rooms == []
    again.remember(shared.url, "sha256:" + "B" * 43)  # as if the server's certificate had changed
    async with MeetDeskClient(shared.url, api_key=API_KEY, known=again) as api:
        with pytest.raises(CertificateMismatch) as changed:
            await api.list_rooms()
    assert "changed since you last connected" in changed.value.message


async def test_an_idle_client_connection_does_not_hold_the_stop_up(shared: NetworkServer) -> None:
    async with MeetDeskClient(shared.url, api_key=API_KEY, pin=shared.pin) as api:
        await api.list_rooms()  # leaves an idle keep-alive TLS connection, which never sends close_notify
        await shared.stop()
    said = "".join(shared.output)
    assert "Application shutdown complete" in said
    assert "timeout graceful shutdown exceeded" not in said


async def test_a_new_certificate_for_the_same_key_is_trusted_by_clients_already_connected(
    shared: NetworkServer,
) -> None:
    async with MeetDeskClient(shared.url, api_key=API_KEY, pin=shared.pin) as api:
        room = await api.create_room({"roomName": "Shared"})
        assert room.speakerUrl is not None
        link = parse_room_link(room.speakerUrl)
        token = await api.participant_token(link.room_id, link.secret, "Bo")
        before = (shared.data_dir / "tls-cert.pem").read_bytes()
        await shared.stop()
        (shared.data_dir / "tls-cert.pem").unlink()  # as when it is renewed: a new certificate, the same key
        assert await shared.start() is None, "".join(shared.output)
        assert (shared.data_dir / "tls-cert.pem").read_bytes() != before and shared.pin == link.pin
        signalling = await SignallingClient.connect(shared.url, token, pin=link.pin)  # trusted the old one
        try:
            assert signalling.joined is not None
        finally:
            await signalling.close()
        assert (await api.get_room(room.roomId)).roomName == "Shared"  # its connections trusted the old one too
