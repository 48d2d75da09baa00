"""The admin app's link to one server at a time: the embedded one (started on demand and kept up by a
:class:`~meetdesk.client.supervisor.Supervisor`, signed in with the password kept for it) or another one
(admin login or API key, secret from the credential store)."""

from __future__ import annotations

import asyncio
import logging

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.credentials import CredentialStore
from meetdesk.client.embedded import ADMIN_USER, EmbeddedServer
from meetdesk.client.errors import ApiError, Unauthorized
from meetdesk.client.sharing import NetworkSharing
from meetdesk.client.supervisor import Supervisor
from meetdesk.client.tls import KnownServers
from meetdesk.ui.admin.servers import ServerList, ServerProfile

logger = logging.getLogger(__name__)


class SignInNeeded(Exception):
    """No usable secret for this server: the user must type one (the message says why)."""

    def __init__(self, profile: ServerProfile, message: str) -> None:
        super().__init__(message)
        self.profile = profile


class AdminConnection:
    """Opens servers and holds the client of the current one."""

    def __init__(
        self,
        servers: ServerList,
        credentials: CredentialStore,
        embedded: EmbeddedServer,
        known: KnownServers | None = None,
    ) -> None:
        self.servers = servers
        self.credentials = credentials
        self.embedded = embedded
        self.supervisor = Supervisor(embedded)
        #: certificate fingerprints the user confirmed for other servers (as SSH's known_hosts)
        self.known = known if known is not None else KnownServers.load(servers.path.parent / "known_servers.json")
        self.client: MeetDeskClient | None = None
        self.profile: ServerProfile | None = None

    @property
    def url(self) -> str | None:
        return self.client.base_url if self.client is not None else None

    async def open(self, profile: ServerProfile, secret: str | None = None) -> MeetDeskClient:
        """Connect and sign in; on success the profile is remembered (and a typed secret saved)."""
        if profile.is_embedded:
            client = await self._open_embedded(profile)
        else:
            client = await self._open_remote(profile, secret)
        old, self.client, self.profile = self.client, client, profile
        if old is not None:
            await old.aclose()
        if not profile.is_embedded:
            self.servers.add(profile)
        self.servers.use(profile.key)
        logger.info("Connected to %s as %s", client.base_url, "API key" if profile.auth == "api_key" else "admin")
        return client

    async def answers(self, timeout: float = 3.0) -> bool:
        """Whether the current server answers now (a request that needs no credentials and costs nothing)."""
        client = self.client
        if client is None:
            return False
        try:
            await asyncio.wait_for(client.get_security(), timeout)
        except (ApiError, TimeoutError):
            return False
        return True

    async def reconnect(self) -> MeetDeskClient:
        """Sign in again to the current server (after a restart, an expired session)."""
        if self.profile is None:
            raise RuntimeError("no server was opened")
        return await self.open(self.profile)

    async def _open_embedded(self, profile: ServerProfile) -> MeetDeskClient:
        url = await self.supervisor.start()
        password = self.embedded.admin_password()
        if password is None:
            raise SignInNeeded(
                profile,
                f"The admin password of the server on this computer is not in {self.credentials.location}. "
                "Sign in with it once and MeetDesk will remember it.",
            )
        client = MeetDeskClient(url, pin=self.embedded.pin)  # its certificate, read from its data dir
        try:
            await client.login(ADMIN_USER, password)
        except Unauthorized as exc:
            await client.aclose()
            raise SignInNeeded(profile, "The saved admin password of this computer's server was refused.") from exc
        except BaseException:
            await client.aclose()
            raise
        return client

    async def _open_remote(self, profile: ServerProfile, secret: str | None) -> MeetDeskClient:
        typed = secret is not None
        if secret is None:
            secret = self.credentials.get(profile.url, profile.username if profile.auth == "password" else "api-key")
        if secret is None:
            raise SignInNeeded(profile, f"Sign in to {profile.url}.")
        if profile.auth == "api_key":
            client = MeetDeskClient(profile.url, api_key=secret, known=self.known)
        else:
            client = MeetDeskClient(profile.url, known=self.known)
        try:
            if profile.auth == "api_key":
                await client.list_rooms(max_items=1, fields=("roomId",))  # proves the key works
            else:
                await client.login(profile.username, secret)
        except Unauthorized as exc:
            await client.aclose()
            raise SignInNeeded(profile, "The server refused these credentials.") from exc
        except BaseException:
            await client.aclose()
            raise
        if typed:
            self.credentials.set(profile.url, profile.username if profile.auth == "password" else "api-key", secret)
        return client

    async def share(self, sharing: NetworkSharing) -> MeetDeskClient | None:
        """Keep ``sharing`` for this computer's server and, when this app runs it, restart it with it (same
        port); if it is the server in use, sign in to it again: the new client (None otherwise)."""
        self.embedded.check_can_restart()
        running = self.embedded.pid is not None
        in_use = running and self.profile is not None and self.profile.is_embedded
        if in_use and self.client is not None:  # its connections go with the server it reached
            old, self.client = self.client, None
            await old.aclose()
        await self.supervisor.stop()
        self.embedded.use_sharing(sharing)
        if not running:
            return None
        await self.supervisor.start()
        if not in_use:
            return None
        assert self.profile is not None
        return await self.open(self.profile)

    async def close(self) -> None:
        """Close the client and stop the embedded server if this app started it."""
        client, self.client = self.client, None
        if client is not None:
            await client.aclose()
        await self.supervisor.stop()
