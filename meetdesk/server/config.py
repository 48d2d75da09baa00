"""Server settings: command line first, then ``MEETDESK_*`` environment variables, then defaults."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from meetdesk.core.addresses import is_local_address, is_loopback, is_unspecified
from meetdesk.server.ratelimit import parse_networks

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6080
MAX_BODY_BYTES = 1024 * 1024


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("meetdesk", appauthor=False)) / "server"


class SettingsError(ValueError):
    """Settings the server refuses to start with; the message says why and what to do."""


#: Numeric settings read from ``MEETDESK_<NAME>`` as they are named here.
_NUMBERS: dict[str, type[int] | type[float]] = {
    "header_timeout": float,
    "body_timeout": float,
    "max_connections_per_address": int,
    "max_connections": int,
    "join_timeout": float,
    "max_joining_sockets_per_address": int,
    "answer_timeout": float,
    "minute_seconds": float,
    "recording_disk_floor_mb": int,
    "max_composites": int,
    "recording_start_timeout": float,
    "kiosk_offline_after": float,
    "kiosk_sweep_interval": float,
}


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Public address of this server; room links are built on it. Defaults to ``http://host:port``.
    base_url: str | None = None
    #: SQLAlchemy async URL; default: an SQLite file in ``data_dir``.
    database_url: str | None = None
    #: Seconds between two runs of the auto-deletion job.
    auto_deletion_interval: float = 60.0
    initial_admin_user: str = "admin"
    #: Empty: a random password, printed once at first start.
    initial_admin_password: str = ""
    #: Empty: no API key until an admin creates one.
    initial_api_key: str = ""
    max_body_bytes: int = MAX_BODY_BYTES
    #: Seconds a participant whose connection dropped keeps its seat, waiting to resume.
    reconnect_grace: float = 20.0
    #: HTTPS and WSS. None: on when ``host`` is not loopback (plain HTTP is refused there, see :meth:`check`).
    tls: bool | None = None
    #: A certificate and key of the operator's; without them the server makes its own (``server/tls.py``).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    #: The pin of the server's own certificate, set at start; room links carry it (``#fp=``).
    link_pin: str | None = None
    #: Seconds a client has to send a whole request head; seconds a request body may stall.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    #: Connections open at once from one client address, and in all (kept below the open-file limit).
    max_connections_per_address: int = 128
    max_connections: int = 4096
    #: Seconds a signalling socket has to send ``join`` (whatever it sends before); sockets not joined yet
    #: open at once from one client address.
    join_timeout: float = 10.0
    max_joining_sockets_per_address: int = 16
    #: Seconds a participant has to answer the server's subscribe offer before it is given up.
    answer_timeout: float = 10.0
    #: Seconds in a minute of a room's duration limit: 60. Tests only set it lower (``MEETDESK_MINUTE_SECONDS``)
    #: so that a meeting limited to minutes ends in seconds.
    minute_seconds: float = 60.0
    #: The server's secret keys (signing, storage); default ``keys.json`` in ``data_dir``.
    key_file: Path | None = None
    #: Where recordings are kept (their tracks and MP4); default ``recordings`` in ``data_dir``.
    recordings_dir: Path | None = None
    #: MiB kept free on the recordings' disk: below it no recording starts, and a running one stops.
    recording_disk_floor_mb: int = 1024
    #: Composite recorders at once (each takes about half a core); 0: one per core.
    max_composites: int = 0
    #: Seconds a recorder has to confirm it started; a start not confirmed by then is refused (503).
    recording_start_timeout: float = 20.0
    #: Seconds without a heartbeat before a kiosk counts as offline; seconds between two checks for that.
    kiosk_offline_after: float = 60.0
    kiosk_sweep_interval: float = 5.0
    #: Reverse proxies (addresses or CIDR blocks) whose ``X-Forwarded-For`` names the client for rate limits.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def tls_enabled(self) -> bool:
        return self.tls if self.tls is not None else not is_loopback(self.host)

    @property
    def public_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls_enabled else 'http'}://{host}:{self.port}"

    @property
    def link_base(self) -> str:
        """What room links start with: the public base URL, and the certificate pin as a fragment when the
        server made its own certificate (``https://…:6080#fp=sha256:…``;
        :func:`~meetdesk.server.rooms.service.room_link` moves the fragment to the link's end)."""
        return self.public_base_url + (f"#fp={self.link_pin}" if self.link_pin else "")

    @property
    def public_host(self) -> str:
        """The host of :attr:`public_base_url`: the address others reach this server at."""
        return urlsplit(self.public_base_url).hostname or self.host

    def check(self) -> None:
        """Raise :class:`SettingsError` (a sentence for the person starting the server) if these settings
        would expose secrets on a network or give out links that lead nowhere."""
        if not self.tls_enabled and not is_loopback(self.host):
            raise SettingsError(
                f"Refusing to serve plain HTTP on {self.host}: room-link secrets, tokens and media keys would "
                "cross the network unencrypted. Leave out --no-tls (the server then makes its own certificate), "
                "or listen on 127.0.0.1 behind a TLS proxy."
            )
        if is_unspecified(self.host) and not self.base_url:
            raise SettingsError(
                f"Listening on every interface ({self.host}) needs --base-url with the address others reach, "
                "e.g. --base-url https://192.168.1.20:6080, for the room links."
            )
        scheme = urlsplit(self.public_base_url).scheme
        if scheme not in ("http", "https") or not urlsplit(self.public_base_url).hostname:
            raise SettingsError(f"--base-url must be an http:// or https:// address, not {self.public_base_url!r}.")
        if self.tls_enabled and scheme != "https":
            raise SettingsError(
                f"--base-url {self.public_base_url} starts with http:// but this server speaks HTTPS: "
                "use https:// so that room links work."
            )
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise SettingsError("--tls-cert and --tls-key go together: give both, or neither.")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise SettingsError(
                f"MEETDESK_TRUSTED_PROXIES: {exc}; give addresses or networks, e.g. 10.0.0.1,10.1.0.0/16."
            ) from exc

    def ice_addresses(self) -> tuple[str, ...]:
        """The addresses the SFU offers for media (its ICE host candidates): those of this computer that the
        public host names, when the server is reached over a network; empty (every address) on loopback,
        or when the public host is not on this computer (behind NAT: then every address is offered)."""
        if is_loopback(self.host):
            return ()
        host = self.public_host
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
        except OSError:
            logger.warning("The public host %s does not resolve here: media is offered on every address", host)
            return ()
        addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
        local = tuple(a for a in addresses if is_local_address(a) and not is_loopback(a))
        if not local:
            logger.warning(
                "The public host %s is not an address of this computer (NAT?): media is offered on every address",
                host,
            )
        return local

    @classmethod
    def from_env(cls, **overrides: object) -> ServerSettings:
        """Settings from ``MEETDESK_*`` variables; keyword arguments that are not None win."""
        env = os.environ
        values: dict[str, object] = {}
        if env.get("MEETDESK_DATA_DIR"):
            values["data_dir"] = Path(env["MEETDESK_DATA_DIR"])
        if env.get("MEETDESK_HOST"):
            values["host"] = env["MEETDESK_HOST"]
        if env.get("MEETDESK_PORT"):
            values["port"] = int(env["MEETDESK_PORT"])
        if env.get("MEETDESK_BASE_URL"):
            values["base_url"] = env["MEETDESK_BASE_URL"]
        if env.get("MEETDESK_KEY_FILE"):
            values["key_file"] = Path(env["MEETDESK_KEY_FILE"])
        if env.get("MEETDESK_RECORDINGS_DIR"):
            values["recordings_dir"] = Path(env["MEETDESK_RECORDINGS_DIR"])
        if env.get("MEETDESK_DATABASE_URL"):
            values["database_url"] = env["MEETDESK_DATABASE_URL"]
        if env.get("MEETDESK_AUTO_DELETION_INTERVAL"):
            values["auto_deletion_interval"] = float(env["MEETDESK_AUTO_DELETION_INTERVAL"])
        if env.get("MEETDESK_INITIAL_ADMIN_USER"):
            values["initial_admin_user"] = env["MEETDESK_INITIAL_ADMIN_USER"]
        if env.get("MEETDESK_TLS"):
            values["tls"] = env["MEETDESK_TLS"].strip().lower() in ("1", "true", "yes", "on")
        if env.get("MEETDESK_TLS_CERT"):
            values["tls_cert_file"] = Path(env["MEETDESK_TLS_CERT"])
        if env.get("MEETDESK_TLS_KEY"):
            values["tls_key_file"] = Path(env["MEETDESK_TLS_KEY"])
        for name, convert in _NUMBERS.items():
            variable = f"MEETDESK_{name.upper()}"
            if env.get(variable):
                values[name] = convert(env[variable])
        if env.get("MEETDESK_TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(env["MEETDESK_TRUSTED_PROXIES"].replace(",", " ").split())
        values["initial_admin_password"] = env.get("MEETDESK_INITIAL_ADMIN_PASSWORD", "")
        values["initial_api_key"] = env.get("MEETDESK_INITIAL_API_KEY", "")
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def effective_key_file(self) -> Path:
        from meetdesk.server.keys import KEY_FILE_NAME

        return self.key_file or self.data_dir / KEY_FILE_NAME

    @property
    def effective_recordings_dir(self) -> Path:
        return self.recordings_dir or self.data_dir / "recordings"

    @property
    def effective_database_url(self) -> str:
        from meetdesk.server.store.db import sqlite_url

        return self.database_url or sqlite_url(self.data_dir)
