"""The room editor's Links section: which of the room's links let people in (OpenVidu Meet 3.8's room access).

Each anonymous link (moderator, speaker, recordings) can be turned off and on again; a link turned off is
refused to anyone new, and the people already in the meeting stay. :meth:`changes` says what differs from
the room's, which the room dialog sends with ``PUT /rooms/{id}/access``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from meetdesk.core.access import LINK_KINDS, LinkKind, RoomAccess


class LinksSection(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Links"), parent)
        self.setObjectName("linksGroup")
        layout = QVBoxLayout(self)
        texts: dict[LinkKind, str] = {
            "moderator": self.tr("The moderator link lets people in"),
            "speaker": self.tr("The speaker link lets people in"),
            "recording": self.tr("The recordings link opens the recordings"),
        }
        self.boxes: dict[LinkKind, QCheckBox] = {}
        for kind in LINK_KINDS:
            box = QCheckBox(texts[kind], self)
            box.setObjectName(f"{kind}LinkCheck")
            box.setAccessibleName(texts[kind])
            box.setChecked(True)
            layout.addWidget(box)
            self.boxes[kind] = box
        self.hint = QLabel(self.tr("A link turned off lets nobody new in; those in the meeting stay."), self)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        layout.addWidget(self.error)

    def set_enabled_links(self, access: RoomAccess) -> None:
        for kind, box in self.boxes.items():
            box.setChecked(access.enabled(kind))

    def changes(self, against: RoomAccess) -> dict[LinkKind, bool]:
        """The links whose state differs from ``against``: True to turn on, False to turn off."""
        return {kind: box.isChecked() for kind, box in self.boxes.items() if box.isChecked() != against.enabled(kind)}
