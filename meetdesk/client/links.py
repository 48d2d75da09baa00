"""Room links and credentials as the client library carries them, and the masking that keeps their secrets out
of logs (httpx logs every request's URL; a room link's secret may be in it)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from meetdesk.core.fingerprint import is_pin

# --- secrets stay out of logs --------------------------------------------------------------------

_SECRET_IN_PATH = re.compile(r"(/roles/)[^/?#]+")
_SECRET_IN_QUERY = re.compile(r"([?&]secret=)[^&#]+")


def redact(url: str) -> str:
    """``url`` with room-link secrets masked (in a ``/roles/{secret}`` path or a ``secret=`` query)."""
    return _SECRET_IN_QUERY.sub(r"\1***", _SECRET_IN_PATH.sub(r"\1***", url))


class _RedactHttpxLog(logging.Filter):
    """httpx logs every request's full URL at INFO; mask the secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            record.args = (args[0], redact(str(args[1])), *args[2:])
        return True


logging.getLogger("httpx").addFilter(_RedactHttpxLog())


# --- credentials and room links ------------------------------------------------------------------


@dataclass(repr=False)
class Credentials:
    """What the client authenticates with; change the fields at will. ``repr`` says only which are set."""

    api_key: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    participant_token: str | None = None
    #: OpenVidu Meet 3.4's recording token (``X-Recording-Token``): a room's recordings, from a room or recordings link
    recording_token: str | None = None

    def __repr__(self) -> str:
        names = ("api_key", "access_token", "refresh_token", "participant_token", "recording_token")
        return "Credentials(" + ", ".join(f"{n}={'set' if getattr(self, n) else 'None'}" for n in names) + ")"


@dataclass(frozen=True)
class RoomLink:
    """A room link ``<base_url>/room/<room_id>?secret=<secret>[#fp=<pin>]``, taken apart. ``pin``: the
    fingerprint of the server's certificate, which MeetDesk clients then insist on (see client/tls.py)."""

    base_url: str
    room_id: str
    secret: str = field(repr=False)
    pin: str | None = None

    @property
    def url(self) -> str:
        fragment = f"#fp={self.pin}" if self.pin else ""
        return f"{self.base_url}/room/{self.room_id}?secret={quote(self.secret, safe='')}{fragment}"


@dataclass(frozen=True)
class RecordingsLink:
    """A room's recording-only link ``<base_url>/room/<room_id>/recordings?secret=<secret>[#fp=<pin>]`` (its
    ``access.anonymous.recording.url``), taken apart: it opens the room's recordings, never its meeting."""

    base_url: str
    room_id: str
    secret: str = field(repr=False)
    pin: str | None = None

    @property
    def url(self) -> str:
        fragment = f"#fp={self.pin}" if self.pin else ""
        return f"{self.base_url}/room/{self.room_id}/recordings?secret={quote(self.secret, safe='')}{fragment}"

    @property
    def room_link(self) -> RoomLink:
        """The same server, room and secret as a :class:`RoomLink` (what the recording view's client is made for)."""
        return RoomLink(self.base_url, self.room_id, self.secret, self.pin)


_ROOM_PATH = re.compile(r"^(?P<prefix>.*)/room/(?P<room_id>[A-Za-z0-9_-]+)/?$")
_RECORDINGS_PATH = re.compile(r"^(?P<prefix>.*)/room/(?P<room_id>[A-Za-z0-9_-]+)/recordings/?$")


class NotARoomLink(ValueError):
    """Not a room link; ``missing_secret`` when only its ``?secret=`` part is missing (say so, not "not a link").
    The message never repeats the secret."""

    def __init__(self, message: str, *, missing_secret: bool = False) -> None:
        super().__init__(message)
        self.missing_secret = missing_secret


def parse_room_link(url: str) -> RoomLink:
    """Parse a moderator or speaker link. Raises :class:`NotARoomLink` (a ValueError) if it is not one."""
    base_url, room_id, secret, pin = _parse(url, _ROOM_PATH, "expected <server address>/room/<room id>?secret=<secret>")
    return RoomLink(base_url, room_id, secret, pin)


def parse_recordings_link(url: str) -> RecordingsLink:
    """Parse a room's recording-only link (``…/room/<room id>/recordings?secret=…``). Raises :class:`NotARoomLink`."""
    expected = "expected <server address>/room/<room id>/recordings?secret=<secret>"
    base_url, room_id, secret, pin = _parse(url, _RECORDINGS_PATH, expected)
    return RecordingsLink(base_url, room_id, secret, pin)


def parse_any_link(url: str) -> RoomLink | RecordingsLink:
    """A room link, or a room's recordings link (told apart by the path's ``/recordings`` end). Raises
    :class:`NotARoomLink` for anything else, saying what a room link looks like."""
    path = urlsplit(url.strip()).path
    return parse_recordings_link(url) if _RECORDINGS_PATH.match(path) else parse_room_link(url)


def _parse(url: str, path_pattern: re.Pattern[str], expected: str) -> tuple[str, str, str, str | None]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotARoomLink(f"Not a room link: it must start with http:// or https:// and a server name ({expected})")
    match = path_pattern.match(parts.path)
    if match is None:
        raise NotARoomLink(f"Not a room link: the address has no /room/<room id> at its end ({expected})")
    secrets = parse_qs(parts.query).get("secret", [])
    if len(secrets) != 1 or not secrets[0].strip():
        raise NotARoomLink(f"Not a room link: it needs exactly one non-empty secret ({expected})", missing_secret=True)
    pins = parse_qs(parts.fragment).get("fp", [])
    if pins and (len(pins) != 1 or not is_pin(pins[0])):
        raise NotARoomLink("Not a room link: its certificate fingerprint (#fp=) is damaged; copy the whole link again")
    if pins and parts.scheme != "https":
        raise NotARoomLink("Not a room link: it pins a certificate but starts with http://; copy the whole link again")
    base_url = f"{parts.scheme}://{parts.netloc}{match['prefix']}".rstrip("/")
    return base_url, match["room_id"], secrets[0].strip(), pins[0] if pins else None
