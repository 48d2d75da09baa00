"""How a person's name is shown in small: the initials of an avatar or of a tile without video.

One function for every place that shows initials (tiles, the participants list, the device view, the theme
editor's preview), so a name reads the same everywhere.
"""

from __future__ import annotations

import unicodedata


def _letter(word: str) -> str:
    """The first letter or digit of ``word`` ("" when it has none: "(you)" has "y", "—" has none)."""
    return next((char for char in word if unicodedata.category(char)[0] in "LN"), "")


def initials(name: str) -> str:
    """Up to two letters for an avatar: the first letters of the first and the last word.

    "Alice Admin" → "AA", "bo" → "B", "Ana María da Silva" → "AS", "  " → "?". Words without a letter or a
    digit (a dash, an emoji) are skipped. Callers pass the name itself, never a decorated label such as
    "Alice (you)".
    """
    letters = [letter for letter in (_letter(word) for word in name.split()) if letter]
    if not letters:
        return "?"
    picked = letters[0] if len(letters) == 1 else letters[0] + letters[-1]
    return picked.upper()
