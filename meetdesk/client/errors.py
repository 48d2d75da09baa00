"""The exceptions of the REST client: one class per kind of failure, all :class:`ApiError`.

They mirror the server's domain errors (``meetdesk.core.errors``) and are built from its error body
``{error, message, details?: [{field, message}]}``. ``str(exc)`` is the server's sentence, ready to be
shown to a person; ``error`` is the short kind (or OpenVidu's code, such as ``room_has_active_meeting``).
:class:`ConnectionFailed` is the one error without an HTTP status: the server could not be reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import httpx

from meetdesk.core.fingerprint import pin_for_people

__all__ = [
    "ApiError",
    "BadRequest",
    "CertificateError",
    "CertificateMismatch",
    "Conflict",
    "ConnectionFailed",
    "FieldError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "ServerError",
    "TooManyRequests",
    "Unauthorized",
    "UnexpectedResponse",
    "UnknownCertificate",
    "ValidationError",
    "error_from_response",
]


class FieldError(NamedTuple):
    """One bad field of a request, as the server named it: ``(field, message)``."""

    field: str
    message: str


class ApiError(Exception):
    """A request that did not succeed.

    ``status`` is the HTTP status (``None`` when no answer came back), ``error`` the short kind of error,
    ``message`` the server's sentence (also ``str(exc)``), ``details`` the bad fields of a 422.
    """

    def __init__(self, status: int | None, error: str, message: str, details: Iterable[FieldError] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details: list[FieldError] = list(details)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, error={self.error!r}, message={self.message!r})"


class BadRequest(ApiError):
    """400: a malformed request, a wrong current password, an invalid refresh token, an unknown secret..."""


class Unauthorized(ApiError):
    """401: no credentials, or wrong ones (bad API key, expired or revoked token, failed login)."""


class Forbidden(ApiError):
    """403: valid credentials that do not reach the resource (a participant token on admin routes)."""


class NotFound(ApiError):
    """404: an unknown room (or route)."""


class Conflict(ApiError):
    """409: valid, but clashes with the room's state. ``error`` carries OpenVidu's code for refused deletions."""


class PayloadTooLarge(ApiError):
    """413: the request body is over the server's limit."""


class ValidationError(ApiError):
    """422: the request parsed but some fields are wrong; ``details`` names each of them."""


class TooManyRequests(ApiError):
    """429: too many attempts (failed logins); ``retry_after`` is the wait in seconds, when the server said."""

    def __init__(
        self,
        status: int | None,
        error: str,
        message: str,
        details: Iterable[FieldError] = (),
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(status, error, message, details)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the server failed; its log has the details."""


class UnexpectedResponse(ApiError):
    """A successful status whose body is not what this client expects (not a MeetDesk server, or another version)."""


class ConnectionFailed(ApiError):
    """The server could not be reached: refused connection, unknown host, timeout, dropped connection."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(None, "Connection Failed", f"Cannot reach the MeetDesk server at {base_url}: {reason}")
        self.base_url = base_url
        self.reason = reason


class CertificateError(ApiError):
    """The server's TLS certificate is not the one this client may trust, so nothing was sent to it.
    ``presented`` is the pin of the certificate it showed (``sha256:…``)."""

    def __init__(self, base_url: str, presented: str, message: str) -> None:
        super().__init__(None, "Untrusted Certificate", message)
        self.base_url = base_url
        self.presented = presented


class CertificateMismatch(CertificateError):
    """The certificate does not match the pin: the link's (``from_link``) or the one remembered for this server."""

    def __init__(self, base_url: str, expected: str, presented: str, *, from_link: bool) -> None:
        host = _host(base_url)
        if from_link:
            message = (
                f"The server at {host} presented a certificate that does not match the fingerprint in the link, so "
                "MeetDesk did not connect: someone may be intercepting the connection, or the server's certificate "
                "was replaced. Ask for a new link."
            )
        else:
            message = (
                f"The certificate of {host} changed since you last connected, so MeetDesk refused it: someone may "
                "be intercepting the connection. If its administrator replaced it, check the new fingerprint "
                f"({pin_for_people(presented)}) with them before trusting it."
            )
        super().__init__(base_url, presented, message)
        self.expected = expected
        self.from_link = from_link


class UnknownCertificate(CertificateError):
    """No pin is known for this server and no certificate authority vouches for it: a person may confirm
    the fingerprint once (as SSH asks), after which it is remembered."""

    def __init__(self, base_url: str, presented: str) -> None:
        super().__init__(
            base_url,
            presented,
            f"No certificate authority vouches for the certificate of {_host(base_url)}. Its fingerprint is "
            f"{pin_for_people(presented)}: trust it only if that is the fingerprint the server shows.",
        )


def _host(base_url: str) -> str:
    return urlsplit(base_url).netloc or base_url


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationError,
    429: TooManyRequests,
}


def _details(raw: Any) -> list[FieldError]:
    if not isinstance(raw, list):
        return []
    return [
        FieldError(str(item.get("field", "")), str(item.get("message", ""))) for item in raw if isinstance(item, dict)
    ]


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "").strip()
    return int(value) if value.isdigit() else None


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error response; a body that is not MeetDesk's error JSON still gives one."""
    status = response.status_code
    reason = response.reason_phrase or "Error"
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        error = body.get("error")
        error = error if isinstance(error, str) and error else reason
        message: str = body["message"]
        details = _details(body.get("details"))
    else:
        error = reason
        message = f"The server answered with HTTP {status} {reason}".rstrip()
        details = []
    cls = ServerError if status >= 500 else _BY_STATUS.get(status, ApiError)
    if cls is TooManyRequests:
        return TooManyRequests(status, error, message, details, retry_after=_retry_after(response))
    return cls(status, error, message, details)
