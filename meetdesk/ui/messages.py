"""Sentences for people: what a failed request means to the user who caused it, and what they can do.

Views put field errors next to their field (:func:`field_errors`) and everything else in the window's
banner (:func:`describe_error`), which offers a retry where retrying can help (:func:`is_transient`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from meetdesk.client.errors import (
    ApiError,
    ConnectionFailed,
    Forbidden,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthorized,
    UnexpectedResponse,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("messages", text)


def describe_error(exc: BaseException) -> str:
    """One sentence saying what happened, in words a user understands."""
    if isinstance(exc, ConnectionFailed):
        return _tr("Cannot reach the server at {url}. Check that it is running and the address is right.").format(
            url=exc.base_url
        )
    if isinstance(exc, Unauthorized):
        return _tr("The server no longer accepts your sign-in (it may have expired). Sign in again.")
    if isinstance(exc, Forbidden):
        return _tr("Your account is not allowed to do this on this server.")
    if isinstance(exc, NotFound):
        return _tr("That room no longer exists; someone may have deleted it. Refresh the list.")
    if isinstance(exc, TooManyRequests):
        if exc.retry_after:
            return _tr("Too many attempts. Try again in {seconds} s.").format(seconds=exc.retry_after)
        return _tr("Too many attempts. Wait a moment and try again.")
    if isinstance(exc, ServerError):
        text = _tr("The server had a problem ({status}). Try again; if it keeps failing, check the server's log.")
        return text.format(status=exc.status)
    if isinstance(exc, UnexpectedResponse):
        return _tr("The server answered something MeetDesk does not understand. Is it a MeetDesk server?")
    if isinstance(exc, ApiError):
        return exc.message
    return _tr("Something went wrong: {error}").format(error=str(exc) or type(exc).__name__)


def is_transient(exc: BaseException) -> bool:
    """Whether the same request may succeed later (offer "Retry")."""
    return isinstance(exc, ConnectionFailed | ServerError | TooManyRequests)


def field_errors(exc: BaseException) -> dict[str, str]:
    """The server's per-field messages of a validation error, keyed by the field's dotted path as the server
    names it (``roomName``, ``autoDeletionDate``, ``config.chat.enabled``)."""
    if not isinstance(exc, ApiError):
        return {}
    out: dict[str, str] = {}
    for detail in exc.details:
        out.setdefault(detail.field, detail.message)
    return out


def as_sentence(text: str) -> str:
    """``text`` ending as a sentence does (a device's note comes without its full stop)."""
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?", "…")) else f"{text}."
