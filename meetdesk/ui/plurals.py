"""English plural forms for ``tr()`` with a count, so that ``self.tr("Delete %n room(s)", "", n)`` reads
"Delete 1 room" and "Delete 2 rooms".

Qt chooses plural forms from a loaded translation; with none, "%n room(s)" would be shown as written. This
translator is the English one: in a source text that has ``%n``, ``(s)`` becomes "s" unless the count is 1,
and ``IRREGULAR`` holds the words English does not pluralise with an s. Qt still puts the number in place
of ``%n`` (in the translation or the source text alike). Other languages come with their own ``.qm`` files
and plural rules; install those after this one, so that they are asked first.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QTranslator

#: ``singular(plural)`` spellings for words whose plural is not the singular plus "s".
IRREGULAR: dict[str, tuple[str, str]] = {
    "person(s)": ("person", "people"),
}
_S = re.compile(r"\(s\)")


def english_plural(source: str, n: int) -> str:
    """``source`` with its ``(s)`` and :data:`IRREGULAR` words in the form for ``n`` (``%n`` left for Qt)."""
    text = source
    for written, (one, many) in IRREGULAR.items():
        text = text.replace(written, one if n == 1 else many)
    return _S.sub("" if n == 1 else "s", text)


class EnglishPlurals(QTranslator):
    """Answers only texts that have ``%n`` and a count; every other text is left to the next translator."""

    def translate(self, context: str, source: str, disambiguation: str | None = None, n: int = -1) -> str | None:
        if n < 0 or "%n" not in source:
            return None  # a null string: "no translation here", Qt asks the next translator or uses the source
        return english_plural(source, n)

    def isEmpty(self) -> bool:
        return False


_installed: list[EnglishPlurals] = []


def install(app: QCoreApplication) -> None:
    """Give ``app`` English plural forms (once per process)."""
    if not _installed:
        translator = EnglishPlurals(app)
        if not app.installTranslator(translator):
            raise RuntimeError("Qt refused the plural-forms translator")
        _installed.append(translator)
