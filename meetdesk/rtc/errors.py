"""The one error every guarded hook into aiortc's internals raises when the installed aiortc lacks them."""

from __future__ import annotations

from typing import Final

#: the aiortc the hooks are written for (tests/unit/rtc/test_aiortc_hooks.py checks the installed one)
PINNED_AIORTC: Final = "1.16."


class AiortcHookError(RuntimeError):
    """The installed aiortc does not have the internals a hook relies on (not the pinned version?)."""
