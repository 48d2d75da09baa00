"""Typed async client of the MeetDesk REST API: the public ``/api/v1`` and the internal ``/internal-api/v1``.

One method per endpoint, each returning the models of ``meetdesk.core.models`` (or the small result models
of :mod:`.results`) and raising an :class:`~meetdesk.client.errors.ApiError` subclass when the request fails::

    async with MeetDeskClient("http://127.0.0.1:6080", api_key=key) as client:
        room = await client.create_room({"roomName": "Daily"})
        async for room in client.iter_rooms(max_items=50):
            ...

Credentials live in :attr:`MeetDeskClient.credentials` and may change at any time; every one that is
set is sent, and the server uses the strongest (access token, then API key, then participant token).
:meth:`MeetDeskClient.login` stores an admin's tokens; a 401 on a request made with the access token
then triggers one refresh and one retry. Secrets and tokens are never logged: the room-link secret that
``room_role`` puts in its path is also masked in httpx's own request log.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote, urlsplit

import httpx
import pydantic
from pydantic import BaseModel

from meetdesk.client.access import RoomAccessApi
from meetdesk.client.errors import (
    ApiError,
    BadRequest,
    CertificateError,
    CertificateMismatch,
    Conflict,
    ConnectionFailed,
    FieldError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServerError,
    TooManyRequests,
    Unauthorized,
    UnexpectedResponse,
    UnknownCertificate,
    ValidationError,
    error_from_response,
)
from meetdesk.client.events import EventsLost, stream_events
from meetdesk.client.kiosks import KiosksApi
from meetdesk.client.links import Credentials, RoomLink, parse_room_link, redact
from meetdesk.client.meetings import PublicMeetings
from meetdesk.client.members import MemberTokens
from meetdesk.client.recordings import RecordingsApi
from meetdesk.client.results import (
    ApiKey,
    BulkDeletionFailure,
    BulkDeletionResult,
    BulkDeletionSuccess,
    DeletionResult,
    Profile,
    RoomRole,
    StatusChange,
    _AppearanceBody,
    _Meetings,
)
from meetdesk.client.tls import (
    KnownServers,
    authority_context,
    certificate_problem,
    is_certificate_failure,
    server_context,
)
from meetdesk.client.webhooks import RegisteredWebhooks
from meetdesk.core.events import MeetingInfo, ServerEvent
from meetdesk.core.models import (
    MeetRoom,
    MeetRoomTheme,
    RoomConfig,
    RoomConfigPatch,
    RoomList,
    RoomOptions,
    RoomStatus,
    RoomUpdate,
    SecurityConfig,
    WebhookConfig,
    WithMeeting,
    WithRecordings,
)
from meetdesk.core.signalling import ParticipantInfo

__all__ = [
    "ApiError",
    "ApiKey",
    "BadRequest",
    "BulkDeletionFailure",
    "BulkDeletionResult",
    "BulkDeletionSuccess",
    "CertificateError",
    "CertificateMismatch",
    "Conflict",
    "ConnectionFailed",
    "Credentials",
    "DeletionResult",
    "EventsLost",
    "FieldError",
    "Forbidden",
    "MeetDeskClient",
    "NotFound",
    "PayloadTooLarge",
    "Profile",
    "RoomLink",
    "RoomRole",
    "ServerError",
    "StatusChange",
    "TooManyRequests",
    "Unauthorized",
    "UnexpectedResponse",
    "UnknownCertificate",
    "ValidationError",
    "parse_room_link",
]

logger = logging.getLogger(__name__)

PUBLIC = "/api/v1"
INTERNAL = "/internal-api/v1"
REFRESH_HEADER = "X-Refresh-Token"

WithMeetingValue = Literal["force", "when_meeting_ends", "fail"]
WithRecordingsValue = Literal["force", "close", "fail"]
SortField = Literal["creationDate", "roomName", "autoDeletionDate"]
SortOrder = Literal["asc", "desc"]
AuthMode = Literal["none", "moderators_only", "all_users"]
Fields = str | Sequence[str]
#: ``roomNameMatchMode`` (3.8); without it the server matches part of the name, ignoring case
NameMatchMode = Literal["exact", "prefix", "partial", "regex"]

_M = TypeVar("_M", bound=BaseModel)


# --- the client ----------------------------------------------------------------------------------


def _segment(value: str, what: str) -> str:
    """One URL path segment; ``.`` is escaped too, so that ``..`` cannot climb out of the route."""
    if not value:
        raise ValueError(f"{what} cannot be empty")
    return quote(value, safe="").replace(".", "%2E")


def _fields(fields: Fields | None) -> str | None:
    """The ``fields`` projection; ``roomId`` is always asked for, since every MeetRoom has one."""
    if fields is None:
        return None
    names = [f.strip() for f in (fields.split(",") if isinstance(fields, str) else fields) if f.strip()]
    return ",".join(dict.fromkeys(["roomId", *names]))


def _extra_fields(extra_fields: Fields | None) -> str | None:
    """``extraFields``: upstream's extra MeetRoom properties (MeetDesk has ``config``) added to ``fields``."""
    if extra_fields is None:
        return None
    names = extra_fields.split(",") if isinstance(extra_fields, str) else extra_fields
    return ",".join(dict.fromkeys(f.strip() for f in names if f.strip())) or None


def _dump(value: BaseModel | Mapping[str, Any]) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return dict(value)


def _unexpected(response: httpx.Response, message: str) -> UnexpectedResponse:
    return UnexpectedResponse(response.status_code, "Unexpected Response", message)


def _validate(model: type[_M], response: httpx.Response, data: Any) -> _M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = f"{exc.error_count()} problem(s) in {model.__name__}"
        raise _unexpected(response, f"The server's answer does not match this client ({problems})") from exc


def _string(response: httpx.Response, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _unexpected(response, f"The server's answer has no {key}")
    return value


def _is_partial_failure(response: httpx.Response) -> bool:
    try:
        data = response.json()
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("failed"), list)


def _query(**params: str | int | None) -> dict[str, str | int]:
    return {key: value for key, value in params.items() if value is not None}


class MeetDeskClient(KiosksApi, MemberTokens, PublicMeetings, RecordingsApi, RegisteredWebhooks, RoomAccessApi):
    """An async client of one MeetDesk server. Use ``async with`` (or call :meth:`aclose`)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        participant_token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        pin: str | None = None,
        known: KnownServers | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an http:// or https:// address, such as http://127.0.0.1:6080")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.credentials = Credentials(api_key, access_token, None, participant_token)
        #: the certificate pin (a room link's ``#fp=``); ``known``: pins a person confirmed (see client/tls.py)
        self.pin = pin
        self.known = known
        self._transport = transport
        self._refresh_lock = asyncio.Lock()
        self._http_lock = asyncio.Lock()
        self._http_client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"MeetDeskClient({self.base_url!r}, {self.credentials!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()

    async def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context this client trusts the server with (None for http://); checks the pin first.
        Raises CertificateMismatch or ConnectionFailed. The signalling socket uses the same one."""
        return await server_context(self.base_url, pin=self.pin, known=self.known, timeout=self.timeout)

    async def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made at the first request: an https server's certificate is checked first."""
        async with self._http_lock:
            if self._http_client is None:
                verify = authority_context() if self._transport is not None else await self.ssl_context()
                self._http_client = httpx.AsyncClient(
                    base_url=self.base_url,
                    transport=self._transport,
                    timeout=httpx.Timeout(self.timeout),
                    verify=verify or authority_context(),
                    headers={"Accept": "application/json"},
                    follow_redirects=False,
                )
            return self._http_client

    # plumbing ------------------------------------------------------------------------------------

    def _auth_headers(self) -> dict[str, str]:
        creds = self.credentials
        headers: dict[str, str] = {}
        if creds.access_token:
            headers["Authorization"] = f"Bearer {creds.access_token}"
        if creds.api_key:
            headers["X-API-KEY"] = creds.api_key
        if creds.participant_token:
            headers["X-Participant-Token"] = creds.participant_token
        if creds.recording_token:
            headers["X-Recording-Token"] = creds.recording_token
        return headers

    async def _send(
        self, method: str, path: str, params: Mapping[str, str | int] | None, body: Any, headers: Mapping[str, str]
    ) -> httpx.Response:
        for attempt in range(2):
            http = await self._http()
            try:
                response = await http.request(
                    method, path, params=params, json=body, headers={**self._auth_headers(), **headers}
                )
                break
            except httpx.TimeoutException as exc:
                raise ConnectionFailed(self.base_url, f"no answer within {self.timeout:g} s") from exc
            except httpx.TransportError as exc:
                if not is_certificate_failure(exc):
                    raise ConnectionFailed(self.base_url, str(exc) or type(exc).__name__) from exc
                problem = await certificate_problem(self.base_url, pin=self.pin, known=self.known, timeout=self.timeout)
                if problem is not None or attempt:
                    raise problem or ConnectionFailed(self.base_url, "its certificate was refused") from exc
                # a new certificate for the same key (the server renewed it): trust it; nothing was sent
                old, self._http_client = self._http_client, None
                if old is not None:
                    await old.aclose()
        logger.debug("%s %s -> %d", method, redact(path), response.status_code)
        return response

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
        refresh: bool = True,
    ) -> httpx.Response:
        """Send; on a 401 to an access token, refresh it once and retry; raise for an error status."""
        sent_token = self.credentials.access_token
        response = await self._send(method, path, params, body, headers or {})
        if response.status_code == 401 and refresh and sent_token and await self._refresh_after_401(sent_token):
            response = await self._send(method, path, params, body, headers or {})
        if response.is_success or response.status_code in accept:
            return response
        raise error_from_response(response)

    async def _refresh_after_401(self, sent_token: str) -> bool:
        """Whether a fresh access token is there to retry with (refreshing here if nobody else did)."""
        async with self._refresh_lock:
            if self.credentials.access_token != sent_token:
                return self.credentials.access_token is not None
            if not self.credentials.refresh_token:
                return False
            try:
                await self.refresh()
            except (BadRequest, Unauthorized):
                self.credentials.access_token = self.credentials.refresh_token = None
                return False
            return True

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise _unexpected(response, "The server's answer is not JSON: is this a MeetDesk server?") from exc

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise _unexpected(response, "The server's answer is not a JSON object")
        return data

    def _items(self, response: httpx.Response) -> list[Any]:
        data = self._json(response)
        if not isinstance(data, list):
            raise _unexpected(response, "The server's answer is not a JSON array")
        return data

    def _parse(self, model: type[_M], response: httpx.Response) -> _M:
        return _validate(model, response, self._json(response))

    # rooms: /api/v1 ------------------------------------------------------------------------------

    async def create_room(self, options: RoomOptions | Mapping[str, Any] | None = None) -> MeetRoom:
        """Create a room. A dict is sent as given (the server validates it); a RoomOptions is already valid."""
        response = await self._request("POST", f"{PUBLIC}/rooms", body=None if options is None else _dump(options))
        return self._parse(MeetRoom, response)

    async def list_rooms(
        self,
        *,
        max_items: int | None = None,
        next_page_token: str | None = None,
        room_name: str | None = None,
        status: RoomStatus | str | None = None,
        sort_field: SortField | None = None,
        sort_order: SortOrder | None = None,
        fields: Fields | None = None,
        extra_fields: Fields | None = None,
        room_name_match_mode: NameMatchMode | None = None,
        room_name_case_insensitive: bool | None = None,
    ) -> RoomList:
        """One page of rooms; ``pagination.nextPageToken`` asks for the next one. ``fields`` keeps only the
        properties named (``extra_fields``, such as ``config``, are added to that selection)."""
        params = _query(
            maxItems=max_items,
            nextPageToken=next_page_token,
            roomName=room_name,
            roomNameMatchMode=room_name_match_mode,
            roomNameCaseInsensitive=None
            if room_name_case_insensitive is None
            else str(room_name_case_insensitive).lower(),
            status=None if status is None else str(status),
            sortField=sort_field,
            sortOrder=sort_order,
            fields=_fields(fields),
            extraFields=_extra_fields(extra_fields),
        )
        return self._parse(RoomList, await self._request("GET", f"{PUBLIC}/rooms", params=params))

    async def iter_rooms(
        self,
        *,
        max_items: int | None = None,
        room_name: str | None = None,
        status: RoomStatus | str | None = None,
        sort_field: SortField | None = None,
        sort_order: SortOrder | None = None,
        fields: Fields | None = None,
        extra_fields: Fields | None = None,
        room_name_match_mode: NameMatchMode | None = None,
        room_name_case_insensitive: bool | None = None,
    ) -> AsyncIterator[MeetRoom]:
        """Every matching room, fetching pages of ``max_items`` as it goes."""
        token: str | None = None
        while True:
            page = await self.list_rooms(
                max_items=max_items,
                next_page_token=token,
                room_name=room_name,
                status=status,
                sort_field=sort_field,
                sort_order=sort_order,
                fields=fields,
                extra_fields=extra_fields,
                room_name_match_mode=room_name_match_mode,
                room_name_case_insensitive=room_name_case_insensitive,
            )
            for room in page.rooms:
                yield room
            token = page.pagination.nextPageToken
            if not page.pagination.isTruncated or not token:
                return

    async def get_room(
        self, room_id: str, fields: Fields | None = None, extra_fields: Fields | None = None
    ) -> MeetRoom:
        path = f"{PUBLIC}/rooms/{_segment(room_id, 'room_id')}"
        params = _query(fields=_fields(fields), extraFields=_extra_fields(extra_fields))
        return self._parse(MeetRoom, await self._request("GET", path, params=params))

    async def update_room(self, room_id: str, changes: RoomUpdate | Mapping[str, Any]) -> MeetRoom:
        """Rename a room or change its auto-deletion, e.g. ``{"roomName": "Retro", "autoDeletionDate": None}``
        (None clears the date); returns the room, whose id and links are unchanged. Conflict during a meeting."""
        body = changes.model_dump(mode="json", exclude_unset=True) if isinstance(changes, RoomUpdate) else dict(changes)
        path = f"{PUBLIC}/rooms/{_segment(room_id, 'room_id')}"
        return self._parse(MeetRoom, await self._request("PATCH", path, body=body))

    async def get_room_config(self, room_id: str) -> RoomConfig:
        path = f"{PUBLIC}/rooms/{_segment(room_id, 'room_id')}/config"
        return self._parse(RoomConfig, await self._request("GET", path))

    async def update_room_config(
        self, room_id: str, config: RoomConfigPatch | RoomConfig | Mapping[str, Any]
    ) -> MeetRoom:
        """Merge a (partial) config into the room's, e.g. ``{"chat": {"enabled": False}}``; returns the room. A whole
        :class:`RoomConfig` is the room's config as it should be: its limits left unset are lifted."""
        path = f"{PUBLIC}/rooms/{_segment(room_id, 'room_id')}/config"
        body = _dump(config)
        if isinstance(config, RoomConfig):  # a whole config: a limit it does not set is lifted (null), not kept
            body.update({key: getattr(config, key) for key in ("maxParticipants", "maxDurationMinutes")})
        response = await self._request("PUT", path, body={"config": body})
        return _validate(MeetRoom, response, self._object(response).get("room"))

    async def set_room_status(self, room_id: str, status: Literal["open", "closed"]) -> StatusChange:
        path = f"{PUBLIC}/rooms/{_segment(room_id, 'room_id')}/status"
        response = await self._request("PUT", path, body={"status": status})
        return _validate(StatusChange, response, {**self._object(response), "status": response.status_code})

    async def delete_room(
        self,
        room_id: str,
        with_meeting: WithMeeting | WithMeetingValue = "fail",
        with_recordings: WithRecordings | WithRecordingsValue = "fail",
    ) -> DeletionResult:
        """Delete (or close, or schedule the deletion of) a room. A refusal is a Conflict with OpenVidu's code."""
        path = f"{PUBLIC}/rooms/{_segment(room_id, 'room_id')}"
        params = {"withMeeting": str(with_meeting), "withRecordings": str(with_recordings)}
        response = await self._request("DELETE", path, params=params)
        return _validate(DeletionResult, response, {**self._object(response), "status": response.status_code})

    async def bulk_delete_rooms(
        self,
        room_ids: Iterable[str],
        with_meeting: WithMeeting | WithMeetingValue = "fail",
        with_recordings: WithRecordings | WithRecordingsValue = "fail",
    ) -> BulkDeletionResult:
        """Delete several rooms; rooms that could not be deleted are in ``failed`` (this does not raise)."""
        params = {
            "roomIds": ",".join(room_ids),
            "withMeeting": str(with_meeting),
            "withRecordings": str(with_recordings),
        }
        response = await self._request("DELETE", f"{PUBLIC}/rooms", params=params, accept=(400,))
        if response.status_code == 400 and not _is_partial_failure(response):
            raise error_from_response(response)  # a plain bad request
        return self._parse(BulkDeletionResult, response)

    # live view: /internal-api/v1 (admins and API keys) -------------------------------------------

    async def list_meetings(self) -> list[MeetingInfo]:
        """The meetings under way, with how many people are in each."""
        return self._parse(_Meetings, await self._request("GET", f"{INTERNAL}/meetings")).meetings

    def events(
        self, *, retry_delay: float = 0.5, max_retry_delay: float = 10.0
    ) -> AsyncIterator[ServerEvent | EventsLost]:
        """Room and meeting changes as the server pushes them, reconnecting by itself (``meetdesk.client.events``).

        Each connection starts with ``Subscribed`` (the meetings now); an ``EventsLost`` says the socket dropped.
        """
        return stream_events(self, retry_delay=retry_delay, max_retry_delay=max_retry_delay)

    # auth and users: /internal-api/v1 ------------------------------------------------------------

    async def login(self, username: str, password: str) -> None:
        """Log in as an admin: the access and refresh tokens are stored and used from now on."""
        body = {"username": username, "password": password}
        response = await self._request("POST", f"{INTERNAL}/auth/login", body=body, refresh=False)
        data = self._object(response)
        access, refresh = _string(response, data, "accessToken"), _string(response, data, "refreshToken")
        self.credentials.access_token, self.credentials.refresh_token = access, refresh

    async def refresh(self) -> None:
        """Get a new access token with the stored refresh token (BadRequest if it is missing or invalid)."""
        headers = {REFRESH_HEADER: self.credentials.refresh_token or ""}
        response = await self._request("POST", f"{INTERNAL}/auth/refresh", headers=headers, refresh=False)
        self.credentials.access_token = _string(response, self._object(response), "accessToken")

    async def logout(self) -> None:
        """Revoke the stored access and refresh tokens on the server and forget them here."""
        headers = {REFRESH_HEADER: self.credentials.refresh_token} if self.credentials.refresh_token else {}
        try:
            await self._request("POST", f"{INTERNAL}/auth/logout", headers=headers, refresh=False)
        finally:
            self.credentials.access_token = self.credentials.refresh_token = None

    async def get_api_keys(self) -> list[ApiKey]:
        response = await self._request("GET", f"{INTERNAL}/auth/api-keys")
        return [_validate(ApiKey, response, item) for item in self._items(response)]

    async def create_api_key(self) -> ApiKey:
        """Create a new API key; the previous one stops working."""
        return self._parse(ApiKey, await self._request("POST", f"{INTERNAL}/auth/api-keys"))

    async def delete_api_keys(self) -> None:
        await self._request("DELETE", f"{INTERNAL}/auth/api-keys")

    async def profile(self) -> Profile:
        return self._parse(Profile, await self._request("GET", f"{INTERNAL}/users/profile"))

    async def change_password(self, current: str, new: str) -> None:
        body = {"currentPassword": current, "newPassword": new}
        await self._request("POST", f"{INTERNAL}/users/change-password", body=body)

    # participants --------------------------------------------------------------------------------

    async def participant_token(self, room_id: str, secret: str, participant_name: str | None = None) -> str:
        """Exchange a room link's secret for a participant token (without a name: to browse recordings only).

        The token is returned, not stored: set ``credentials.participant_token`` to act as the participant.
        """
        body: dict[str, str] = {"roomId": room_id, "secret": secret}
        if participant_name is not None:
            body["participantName"] = participant_name
        response = await self._request("POST", f"{INTERNAL}/participants/token", body=body)
        return _string(response, self._object(response), "token")

    async def room_roles(self, room_id: str) -> list[RoomRole]:
        response = await self._request("GET", f"{INTERNAL}/rooms/{_segment(room_id, 'room_id')}/roles")
        return [_validate(RoomRole, response, item) for item in self._items(response)]

    async def room_role(self, room_id: str, secret: str) -> RoomRole:
        """The role a room link's secret grants (BadRequest if the secret is not the room's)."""
        path = f"{INTERNAL}/rooms/{_segment(room_id, 'room_id')}/roles/{_segment(secret, 'secret')}"
        return self._parse(RoomRole, await self._request("GET", path))

    # meetings (a moderator's participant token) --------------------------------------------------

    async def mute_participant(self, room_id: str, identity: str) -> ParticipantInfo:
        """Mute someone: the server stops forwarding their microphone until they unmute."""
        path = f"{INTERNAL}/meetings/{_segment(room_id, 'room_id')}/participants/{_segment(identity, 'identity')}/mute"
        response = await self._request("POST", path)
        return _validate(ParticipantInfo, response, self._object(response).get("participant"))

    async def mute_everyone(self, room_id: str) -> list[str]:
        """Mute everyone but the caller; returns the identities whose microphone was on."""
        response = await self._request("POST", f"{INTERNAL}/meetings/{_segment(room_id, 'room_id')}/mute")
        muted = self._object(response).get("muted")
        if not isinstance(muted, list) or not all(isinstance(item, str) for item in muted):
            raise _unexpected(response, "The server's answer has no list of muted participants")
        return muted

    async def lock_meeting(self, room_id: str, locked: bool) -> None:
        """Lock the meeting (nobody new may join) or unlock it."""
        path = f"{INTERNAL}/meetings/{_segment(room_id, 'room_id')}/lock"
        await self._request("PUT", path, body={"locked": locked})

    # global configuration ------------------------------------------------------------------------

    async def get_appearance(self) -> MeetRoomTheme | None:
        """The theme of meeting views, or None when none was set."""
        body = self._parse(_AppearanceBody, await self._request("GET", f"{INTERNAL}/config/rooms/appearance"))
        return body.appearance.themes[0] if body.appearance.themes else None

    async def set_appearance(self, theme: MeetRoomTheme | Mapping[str, Any]) -> None:
        # every colour, an unset one as null: the server merges what is sent into the stored theme
        sent = theme.model_dump(mode="json") if isinstance(theme, BaseModel) else dict(theme)
        body = {"appearance": {"themes": [sent]}}
        await self._request("PUT", f"{INTERNAL}/config/rooms/appearance", body=body)

    async def get_security(self) -> SecurityConfig:
        """Who must log in to join rooms (needs no credentials)."""
        return self._parse(SecurityConfig, await self._request("GET", f"{INTERNAL}/config/security"))

    async def set_security(self, auth_mode: AuthMode) -> None:
        """``none``, ``moderators_only`` or ``all_users``: who must be a logged-in admin to join rooms."""
        body = {"authentication": {"authMethod": {"type": "single_user"}, "authModeToAccessRoom": auth_mode}}
        await self._request("PUT", f"{INTERNAL}/config/security", body=body)

    async def get_webhooks(self) -> WebhookConfig:
        return self._parse(WebhookConfig, await self._request("GET", f"{INTERNAL}/config/webhooks"))

    async def set_webhooks(self, enabled: bool, url: str | None = None) -> None:
        body: dict[str, Any] = {"enabled": enabled}
        if url is not None:
            body["url"] = url
        await self._request("PUT", f"{INTERNAL}/config/webhooks", body=body)

    async def test_webhook(self, url: str) -> None:
        """Have the server send a signed test event to ``url``; BadRequest if it is unreachable or refuses it."""
        await self._request("POST", f"{INTERNAL}/config/webhooks/test", body={"url": url})
