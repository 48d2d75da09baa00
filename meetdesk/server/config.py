"""Server settings: command line first, then ``MEETDESK_*`` environment variables, then defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6080
MAX_BODY_BYTES = 1024 * 1024


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("meetdesk", appauthor=False)) / "server"


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

    @property
    def public_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

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
        if env.get("MEETDESK_DATABASE_URL"):
            values["database_url"] = env["MEETDESK_DATABASE_URL"]
        if env.get("MEETDESK_AUTO_DELETION_INTERVAL"):
            values["auto_deletion_interval"] = float(env["MEETDESK_AUTO_DELETION_INTERVAL"])
        if env.get("MEETDESK_INITIAL_ADMIN_USER"):
            values["initial_admin_user"] = env["MEETDESK_INITIAL_ADMIN_USER"]
        values["initial_admin_password"] = env.get("MEETDESK_INITIAL_ADMIN_PASSWORD", "")
        values["initial_api_key"] = env.get("MEETDESK_INITIAL_API_KEY", "")
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]

    @property
    def effective_database_url(self) -> str:
        from meetdesk.server.store.db import sqlite_url

        return self.database_url or sqlite_url(self.data_dir)
