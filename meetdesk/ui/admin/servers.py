"""The servers the admin app knows: the embedded one plus any the user added, remembered in the config dir.

A profile holds no secret — passwords and API keys live in the :class:`CredentialStore`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

EMBEDDED = "embedded"


@dataclass(frozen=True)
class ServerProfile:
    """One server: ``url`` is empty for the embedded server (its port is found when it starts)."""

    name: str
    url: str = ""
    auth: Literal["password", "api_key", "embedded"] = "password"
    username: str = "admin"

    @property
    def key(self) -> str:
        return EMBEDDED if self.auth == "embedded" else self.url.rstrip("/")

    @property
    def is_embedded(self) -> bool:
        return self.auth == "embedded"


EMBEDDED_PROFILE = ServerProfile(name="This computer", auth="embedded")


@dataclass
class ServerList:
    """Profiles in the order shown, and which one was used last (opened at the next start)."""

    path: Path
    profiles: list[ServerProfile] = field(default_factory=lambda: [EMBEDDED_PROFILE])
    last: str = EMBEDDED

    @classmethod
    def load(cls, path: Path) -> ServerList:
        servers = cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            profiles = [ServerProfile(**item) for item in raw.get("profiles", []) if item.get("auth") != "embedded"]
            servers.profiles = [EMBEDDED_PROFILE, *profiles]
            servers.last = str(raw.get("last", EMBEDDED))
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            logger.warning("Ignoring unreadable server list %s (%s)", path, type(exc).__name__)
        if servers.find(servers.last) is None:
            servers.last = EMBEDDED
        return servers

    def find(self, key: str) -> ServerProfile | None:
        return next((p for p in self.profiles if p.key == key), None)

    def add(self, profile: ServerProfile) -> None:
        """Add or replace (same URL) a profile."""
        self.profiles = [p for p in self.profiles if p.key != profile.key] + [profile]
        self.save()

    def remove(self, key: str) -> None:
        if key == EMBEDDED:
            return
        self.profiles = [p for p in self.profiles if p.key != key]
        if self.last == key:
            self.last = EMBEDDED
        self.save()

    def use(self, key: str) -> None:
        self.last = key
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"profiles": [asdict(p) for p in self.profiles if not p.is_embedded], "last": self.last}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)
