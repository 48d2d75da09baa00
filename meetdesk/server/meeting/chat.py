"""Pages of a meeting's chat history: the newest first, bounded by count and by size as sent.

``joined`` once carried the whole history: a hundred messages of escaped control characters made it
larger than a client's frame limit, and every later join failed. Now ``joined`` carries the newest page
and a client asks for older pages (``chat_history``); a page never exceeds
:data:`~meetdesk.core.signalling.CHAT_PAGE_MESSAGES` messages or
:data:`~meetdesk.core.signalling.CHAT_PAGE_BYTES` bytes of JSON, measured as it goes on the wire.
"""

from __future__ import annotations

from collections.abc import Sequence

from meetdesk.core.signalling import CHAT_PAGE_BYTES, CHAT_PAGE_MESSAGES, ChatMessage


def page(history: Sequence[ChatMessage], before: str | None = None) -> tuple[list[ChatMessage], bool]:
    """The newest messages older than the one with id ``before`` (None: the newest of all), oldest first,
    and whether older ones remain. An unknown ``before`` (a message no longer kept) gives an empty page."""
    end = len(history)
    if before is not None:
        end = next((i for i in range(len(history) - 1, -1, -1) if history[i].id == before), 0)
    taken: list[ChatMessage] = []
    size = 0
    start = end
    while start > 0 and len(taken) < CHAT_PAGE_MESSAGES:
        message = history[start - 1]
        size += len(message.model_dump_json().encode()) + 1  # the comma between two
        if size > CHAT_PAGE_BYTES and taken:
            break
        taken.append(message)
        start -= 1
    taken.reverse()
    return taken, start > 0
