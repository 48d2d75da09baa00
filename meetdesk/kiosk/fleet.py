"""The kiosk's side of the fleet: enrolment (a one-time code for a credential), where the credential is kept,
participant tokens for its room, and its socket to the server (heartbeats up, the admin's commands down).

The credential goes to the OS keyring when there is one, else to a file readable by this user alone next to the
kiosk's configuration (:class:`~meetdesk.client.credentials.CredentialStore`); which kiosk it is (id, room,
server) is kept in ``fleet.json`` in the state directory. Nothing here logs the credential or the code.

:class:`FleetLink` keeps the socket open forever: reconnects with a growing delay (to a cap) while the server is
away, sends a heartbeat at the pace the server asks for and at once on each change, and hands every message the
server sends to the kiosk window. A credential the server refuses (the kiosk was removed, or enrolled again) ends
it: the kiosk says so on its screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import websockets
from pydantic import BaseModel, ValidationError

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.errors import ApiError, ConnectionFailed, TooManyRequests, Unauthorized
from meetdesk.core.kiosks import (
    CLOSE_KIOSK_REMOVED,
    HEARTBEAT_INTERVAL_S,
    SERVER_MESSAGE,
    Enrolment,
    ErrorMessage,
    Heartbeat,
    KioskToken,
    LogsUpload,
    ServerMessage,
    Welcome,
)

logger = logging.getLogger(__name__)

KIOSKS: Final = "/internal-api/v1/kiosks"
FLEET_FILE: Final = "fleet.json"
CREDENTIAL_USER: Final = "kiosk"
#: seconds between two tries to reach the server's kiosk socket (the last repeats, forever)
RECONNECT_DELAYS_S: Final = (1.0, 2.0, 3.0, 5.0, 10.0)
CONNECT_TIMEOUT_S: Final = 10.0


class EnrolmentProblem(Exception):
    """The code could not be exchanged: a sentence for the screen; ``retry``: whether trying again may help
    (the server was away) rather than only a new code."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


class KioskRemoved(Unauthorized):
    """The server no longer takes this kiosk's credential: it was removed, or enrolled again elsewhere. (An
    :class:`Unauthorized`: a meeting session asking for a token gives up on it, as on any refusal.)"""

    def __init__(self) -> None:
        super().__init__(401, "Kiosk Error", "This kiosk was removed from the server.")


def split_server(server: str) -> tuple[str, str | None]:
    """``https://host:6080#fp=sha256:…`` → the base URL and the certificate pin (a room link's ``#fp=``)."""
    base, _, fragment = server.strip().partition("#")
    pin = fragment[3:] if fragment.startswith("fp=") else None
    return base.rstrip("/"), pin


@dataclass(frozen=True)
class FleetIdentity:
    """An enrolled kiosk: its server, id, room, and credential (never shown)."""

    server: str
    kiosk_id: str
    room_id: str
    credential: str = field(repr=False)

    @property
    def base_url(self) -> str:
        return split_server(self.server)[0]

    @property
    def pin(self) -> str | None:
        return split_server(self.server)[1]

    def client(self, timeout: float = 10.0) -> MeetDeskClient:
        return MeetDeskClient(self.base_url, timeout=timeout, pin=self.pin)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}


class FleetCredentials:
    """Where an enrolled kiosk keeps who it is: ``fleet.json`` in ``state_dir``, the credential in the keyring
    (else in ``secrets_dir``/credentials.json, mode 0600)."""

    def __init__(self, state_dir: Path, secrets_dir: Path, *, use_keyring: bool = True) -> None:
        self.file = state_dir / FLEET_FILE
        self.secrets = CredentialStore(secrets_dir, use_keyring=use_keyring)

    def load(self, server: str) -> FleetIdentity | None:
        """The identity enrolled on ``server`` (None: not enrolled there, or its credential is gone)."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            kiosk_id, room_id, saved = str(data["kioskId"]), str(data["roomId"]), str(data["server"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if split_server(saved)[0] != split_server(server)[0]:
            return None
        credential = self.secrets.get(split_server(server)[0], CREDENTIAL_USER)
        if not credential:
            return None
        return FleetIdentity(server, kiosk_id, room_id, credential)

    def save(self, identity: FleetIdentity) -> None:
        self.secrets.set(identity.base_url, CREDENTIAL_USER, identity.credential)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        data = {"server": identity.server, "kioskId": identity.kiosk_id, "roomId": identity.room_id}
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.file)
        logger.info(
            "Kiosk(%s) enrolled on %s: credential kept in %s",
            identity.kiosk_id,
            identity.base_url,
            self.secrets.location,
        )

    def forget(self, server: str) -> None:
        self.secrets.delete(split_server(server)[0], CREDENTIAL_USER)
        with contextlib.suppress(FileNotFoundError):
            self.file.unlink()


async def enrol(server: str, code: str) -> tuple[FleetIdentity, Enrolment]:
    """Exchange ``code`` for this kiosk's credential. Raises :class:`EnrolmentProblem`."""
    base, pin = split_server(server)
    try:
        async with MeetDeskClient(base, pin=pin) as api:
            response = await api._request("POST", f"{KIOSKS}/enrol", body={"code": code})
            enrolment = Enrolment.model_validate(response.json())
    except Unauthorized:
        raise EnrolmentProblem(
            "The server refused the enrolment code: it is mistyped, used already or more than 24 hours old. "
            "Ask an administrator for a new code (Kiosks page, Re-enrol).",
            retry=False,
        ) from None
    except TooManyRequests as exc:
        raise EnrolmentProblem(
            f"The server refuses more enrolment attempts from this computer for now. Try again in "
            f"{exc.retry_after or 60} s.",
            retry=True,
        ) from None
    except ConnectionFailed:
        raise EnrolmentProblem(
            f"The server {base} does not answer. Check the network and the address.", retry=True
        ) from None
    except (ApiError, ValidationError) as exc:
        raise EnrolmentProblem(f"The server {base} could not enrol this kiosk ({exc}).", retry=True) from None
    return FleetIdentity(server, enrolment.kioskId, enrolment.roomId, enrolment.credential), enrolment


async def room_token(identity: FleetIdentity) -> KioskToken:
    """A participant token for the kiosk's room. Raises :class:`KioskRemoved` or the client's ApiError."""
    async with identity.client() as api:
        try:
            response = await api._request("POST", f"{KIOSKS}/token", headers=identity.bearer, refresh=False)
        except Unauthorized:
            raise KioskRemoved from None
        return KioskToken.model_validate(response.json())


def socket_url(base_url: str) -> str:
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{KIOSKS}/connect"


class FleetLink:
    """The kiosk's socket to its server, kept open forever (see the module's docstring).

    ``heartbeat()`` says how the kiosk is now; ``on_message`` gets every message the server sends (welcome,
    command, settings); ``on_removed`` is called once when the server refuses the credential, and the link ends.
    """

    def __init__(
        self,
        identity: FleetIdentity,
        heartbeat: Callable[[], Heartbeat],
        on_message: Callable[[ServerMessage], None],
        on_removed: Callable[[], None],
    ) -> None:
        self.identity = identity
        self._heartbeat = heartbeat
        self._on_message = on_message
        self._on_removed = on_removed
        self.interval = HEARTBEAT_INTERVAL_S
        self.connected = False
        self._ws: websockets.ClientConnection | None = None
        self._wake = asyncio.Event()

    def beat_now(self) -> None:
        """Send a heartbeat at once (the kiosk's state changed)."""
        self._wake.set()

    async def send(self, message: BaseModel) -> None:
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(websockets.WebSocketException, OSError):
                await ws.send(message.model_dump_json())

    async def send_logs(self, text: str) -> None:
        await self.send(LogsUpload(text=text))

    async def run(self) -> None:
        """Until the credential is refused (then ``on_removed``) or the task is cancelled."""
        attempt = 0
        while True:
            try:
                async with self.identity.client() as api:
                    context = await api.ssl_context()
                ws = await asyncio.wait_for(
                    websockets.connect(
                        socket_url(self.identity.base_url), additional_headers=self.identity.bearer, ssl=context
                    ),
                    CONNECT_TIMEOUT_S,
                )
            except websockets.InvalidStatus as exc:
                if exc.response.status_code == 401:
                    self._removed()
                    return
                reason = f"the server answered {exc.response.status_code}"
            except (ApiError, OSError, TimeoutError, websockets.WebSocketException) as exc:
                reason = str(exc) or type(exc).__name__
            else:
                attempt = 0
                code = await self._serve(ws)
                if code == CLOSE_KIOSK_REMOVED:
                    self._removed()
                    return
                reason = f"the connection closed ({code})"
            delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
            attempt += 1
            logger.info("Kiosk(%s) fleet socket: %s; again in %.0f s", self.identity.kiosk_id, reason, delay)
            await asyncio.sleep(delay)

    def _removed(self) -> None:
        logger.warning("Kiosk(%s): the server no longer knows this kiosk's credential", self.identity.kiosk_id)
        self._on_removed()

    async def _serve(self, ws: websockets.ClientConnection) -> int | None:
        self._ws, self.connected = ws, True
        beats = asyncio.create_task(self._beat(ws))
        try:
            async for text in ws:
                try:
                    message = SERVER_MESSAGE.validate_json(text)
                except ValidationError:
                    logger.warning("Kiosk(%s): a message from the server not understood", self.identity.kiosk_id)
                    continue
                if isinstance(message, Welcome):
                    self.interval = message.heartbeatInterval
                    self._wake.set()
                if isinstance(message, ErrorMessage):
                    logger.warning(
                        "Kiosk(%s): the server did not take a message: %s", self.identity.kiosk_id, message.message
                    )
                    continue
                self._on_message(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._ws, self.connected = None, False
            beats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beats
        return ws.close_code

    async def _beat(self, ws: websockets.ClientConnection) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await ws.send(self._heartbeat().model_dump_json())
            except websockets.WebSocketException:
                return
