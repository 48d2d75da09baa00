"""The participants of a meeting as a Qt model: one row per identity and the order they are shown in.

:class:`ParticipantsModel` holds one row per identity, as the signalling reports it (upsert on join and
update, remove on leave) and remembers in which order hands went up; :class:`ParticipantsProxy` orders the
rows: you first, then raised hands in the order they were raised, then moderators, then everyone by name.
The item roles (:data:`BadgesRole`, ...) are what the delegate paints and what tests read.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from typing import Any, Literal

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal

from meetdesk.core.signalling import ParticipantInfo

logger = logging.getLogger(__name__)

Role = Literal["moderator", "speaker"]
Index = QModelIndex | QPersistentModelIndex

#: the ParticipantInfo of a row
ParticipantRole = Qt.ItemDataRole.UserRole + 1
#: whether the row is the local participant
IsYouRole = Qt.ItemDataRole.UserRole + 2
#: "Moderator" or "Speaker"
RoleTextRole = Qt.ItemDataRole.UserRole + 3
#: the badges shown: a list of (kind, text), kind one of "speaking", "hand", "screen", "mic-off", "camera-off",
#: "reconnecting"
BadgesRole = Qt.ItemDataRole.UserRole + 4
#: whether the local participant may change this one's role or remove them
CanModerateRole = Qt.ItemDataRole.UserRole + 5
#: the order of the rows, see :meth:`ParticipantsModel.sort_key`
SortKeyRole = Qt.ItemDataRole.UserRole + 6


class ParticipantsModel(QAbstractListModel):
    """The participants of the meeting, one row per identity, in the order they came.

    Signals:
        countChanged(int): how many participants there are now.
    """

    countChanged = Signal(int)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.participants: list[ParticipantInfo] = []
        self.you: str | None = None
        self.local_role: Role = "speaker"
        self.speaking = ""  # the identity of who speaks now
        self._raised: dict[str, int] = {}  # identity -> when the hand went up (a counter: only the order matters)
        self._raise_counter = itertools.count()

    # --- Qt model API ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.participants)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.participants):
            return None
        participant = self.participants[index.row()]
        if role == ParticipantRole:
            return participant
        if role == IsYouRole:
            return participant.identity == self.you
        if role == Qt.ItemDataRole.DisplayRole:
            return self.name_text(participant)
        if role == RoleTextRole:
            return self.role_text(participant.role)
        if role == BadgesRole:
            return self.badges(participant)
        if role == CanModerateRole:
            return self.can_moderate(participant.identity)
        if role == SortKeyRole:
            return self.sort_key(participant)
        if role in (Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            parts = [self.name_text(participant), self.role_text(participant.role)]
            parts += [text for _kind, text in self.badges(participant)]
            return ", ".join(parts)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and self.can_moderate(participant.identity):
            return self.tr("Press the menu key to mute them, change their role or remove them.")
        return None

    # --- text ---------------------------------------------------------------------------------------------

    def name_text(self, participant: ParticipantInfo) -> str:
        name = participant.name or participant.identity
        return self.tr("{name} (you)").format(name=name) if participant.identity == self.you else name

    def role_text(self, role: str) -> str:
        return self.tr("Moderator") if role == "moderator" else self.tr("Speaker")

    def badges(self, participant: ParticipantInfo) -> list[tuple[str, str]]:
        badges = []
        if participant.identity == self.speaking:
            badges.append(("speaking", self.tr("Speaking")))
        if participant.handRaised:
            badges.append(("hand", self.tr("Hand raised")))
        if participant.screen:
            badges.append(("screen", self.tr("Sharing screen")))
        if not participant.audio:
            badges.append(("mic-off", self.tr("Mic off")))
        if not participant.video:
            badges.append(("camera-off", self.tr("Camera off")))
        if participant.reconnecting:
            badges.append(("reconnecting", self.tr("reconnecting…")))
        return badges

    # --- order and rights ------------------------------------------------------------------------------

    def sort_key(self, participant: ParticipantInfo) -> tuple[int, int, int, int, str, str]:
        raised = self._raised.get(participant.identity)
        return (
            participant.identity != self.you,
            raised is None,
            raised or 0,
            participant.role != "moderator",
            (participant.name or participant.identity).casefold(),
            participant.identity,
        )

    def can_moderate(self, identity: str) -> bool:
        return self.local_role == "moderator" and identity != self.you and self.row_of(identity) >= 0

    # --- changes --------------------------------------------------------------------------------------------

    def row_of(self, identity: str) -> int:
        return next((row for row, p in enumerate(self.participants) if p.identity == identity), -1)

    def participant(self, identity: str) -> ParticipantInfo | None:
        row = self.row_of(identity)
        return self.participants[row] if row >= 0 else None

    def _note_hand(self, participant: ParticipantInfo) -> None:
        if not participant.handRaised:
            self._raised.pop(participant.identity, None)
        elif participant.identity not in self._raised:
            self._raised[participant.identity] = next(self._raise_counter)

    def upsert(self, participant: ParticipantInfo) -> None:
        """Add a participant who joined, or show the new state of one who is here."""
        self._note_hand(participant)
        row = self.row_of(participant.identity)
        if row >= 0:
            self.participants[row] = participant
            self.dataChanged.emit(self.index(row), self.index(row))
            return
        self.beginInsertRows(QModelIndex(), len(self.participants), len(self.participants))
        self.participants.append(participant)
        self.endInsertRows()
        self.countChanged.emit(len(self.participants))

    def remove(self, identity: str) -> bool:
        """Take out a participant who left; False if they were not here."""
        row = self.row_of(identity)
        if row < 0:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.participants[row]
        self._raised.pop(identity, None)
        self.endRemoveRows()
        self.countChanged.emit(len(self.participants))
        return True

    def set_participants(self, participants: Iterable[ParticipantInfo]) -> None:
        """Everyone at once (on a join or a resume); raised hands keep their order where still raised."""
        self.beginResetModel()
        self.participants = []
        for participant in participants:
            if self.row_of(participant.identity) < 0:
                self.participants.append(participant)
        present = {p.identity for p in self.participants}
        self._raised = {identity: n for identity, n in self._raised.items() if identity in present}
        for participant in self.participants:
            self._note_hand(participant)
        self.endResetModel()
        self.countChanged.emit(len(self.participants))

    def set_you(self, identity: str | None) -> None:
        self.you = identity
        self._all_changed()

    def set_local_role(self, role: Role) -> None:
        self.local_role = role
        self._all_changed()

    def set_speaking(self, identity: str) -> None:
        """Who speaks now ("" nobody): their row says so."""
        before, self.speaking = self.speaking, identity
        for who in {before, identity} - {""}:
            row = self.row_of(who)
            if row >= 0:
                self.dataChanged.emit(self.index(row), self.index(row))

    def _all_changed(self) -> None:
        if self.participants:
            self.dataChanged.emit(self.index(0), self.index(len(self.participants) - 1))


class ParticipantsProxy(QSortFilterProxyModel):
    """Orders the participants by :data:`SortKeyRole` and keeps them so as they change."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SortKeyRole)
        self.setDynamicSortFilter(True)
        self.sort(0)

    def lessThan(self, left: Index, right: Index) -> bool:
        return bool(left.data(SortKeyRole) < right.data(SortKeyRole))
