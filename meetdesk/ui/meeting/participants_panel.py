"""Who is in the meeting: a side panel listing the participants, with moderation for moderators.

:class:`ParticipantsPanel` shows the rows of :mod:`~meetdesk.ui.meeting.participants_model`, painted by
:mod:`~meetdesk.ui.meeting.participants_delegate`; a local moderator gets a "⋮" menu on every other participant
to change their role or remove them (after a confirmation), which the panel only asks the window to do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.core.permissions import DEFAULT_MODERATOR, Permissions
from meetdesk.core.signalling import ParticipantInfo
from meetdesk.ui.meeting.moderation_bar import ModerationBar
from meetdesk.ui.meeting.participants_delegate import ParticipantDelegate, ParticipantsView, elide_name
from meetdesk.ui.meeting.participants_model import (
    BadgesRole,
    CanModerateRole,
    IsYouRole,
    ParticipantRole,
    ParticipantsModel,
    ParticipantsProxy,
    Role,
    RoleTextRole,
    SortKeyRole,
)
from meetdesk.ui.theme.theming import VARIANT

__all__ = [
    "BadgesRole",
    "CanModerateRole",
    "IsYouRole",
    "ParticipantRole",
    "ParticipantsModel",
    "ParticipantsPanel",
    "ParticipantsProxy",
    "Role",
    "RoleTextRole",
    "SortKeyRole",
    "elide_name",
]


logger = logging.getLogger(__name__)


class ParticipantsPanel(QWidget):
    """The participants side panel: a header with the count and the list.

    A local moderator (:meth:`set_local_role`) gets actions on every other participant: "Make moderator" or
    "Make speaker", and "Remove from meeting", which asks for a confirmation first. Speakers get none.

    Signals:
        roleChangeRequested(str, str): the moderator asked to give participant ``identity`` the role
            ``"moderator"`` or ``"speaker"``.
        kickRequested(str): the moderator confirmed removing participant ``identity`` from the meeting.
        muteRequested(str): the moderator asked to mute participant ``identity``.

    The moderator's :attr:`moderation` bar (mute everyone, lock) sits at the foot of the list.
    """

    roleChangeRequested = Signal(str, str)
    kickRequested = Signal(str)
    muteRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ParticipantsModel(self)
        self.proxy = ParticipantsProxy(self)
        self.proxy.setSourceModel(self.model)
        #: the actions menu last opened (kept until the next one opens)
        self.menu: QMenu | None = None
        #: the open "Remove …?" question (None when none is open)
        self.kick_box: QMessageBox | None = None
        self._kick_identity: str | None = None
        #: what the local role may do (until told: a moderator's actions, as before roles existed)
        self._permissions: Permissions = DEFAULT_MODERATOR
        self._build()
        self._connect()
        self._update_title()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.title = QLabel(self)
        self.title.setObjectName("panelTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title)
        self.list = ParticipantsView(self)
        self.list.setAccessibleName(self.tr("Participants"))
        self.list.setModel(self.proxy)
        self.delegate = ParticipantDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        layout.addWidget(self.list, 1)
        self.moderation = ModerationBar(self)
        self.moderation.hide()
        layout.addWidget(self.moderation)

    def _connect(self) -> None:
        self.model.countChanged.connect(lambda _count: self._update_title())
        self.model.modelReset.connect(self._update_title)
        self.delegate.menuClicked.connect(self._menu_requested)
        self.list.menuRequested.connect(self._menu_requested)

    def _update_title(self) -> None:
        count = self.model.rowCount()
        self.title.setText(self.tr("Participants ({count})").format(count=count))
        self.title.setAccessibleName(self.tr("%n participant(s)", "", count))

    # --- state -----------------------------------------------------------------------------------------------

    def set_you(self, identity: str | None) -> None:
        """The local participant's identity: their row comes first, marked "(you)", without actions."""
        self.model.set_you(identity)

    def set_local_role(self, role: Role) -> None:
        """The local participant's role: only a moderator gets the actions on the others."""
        self.model.set_local_role(role)
        self.moderation.setVisible(role == "moderator")
        if role != "moderator":
            self._close_actions()

    def set_local_permissions(self, permissions: Permissions) -> None:
        """What the local participant's role may do: only those of the actions are offered."""
        self._permissions = permissions

    def set_speaking(self, identity: str) -> None:
        """Who speaks now ("" nobody)."""
        self.model.set_speaking(identity)

    def set_participants(self, participants: Iterable[ParticipantInfo]) -> None:
        self.model.set_participants(participants)
        if self._kick_identity is not None and self.model.participant(self._kick_identity) is None:
            self._close_actions()

    def upsert(self, participant: ParticipantInfo) -> None:
        self.model.upsert(participant)

    def remove(self, identity: str) -> None:
        self.model.remove(identity)
        if identity == self._kick_identity:
            self._close_actions()  # they left while the moderator was deciding

    def shown_identities(self) -> list[str]:
        """The identities in the order the list shows them."""
        return [self.proxy.index(row, 0).data(ParticipantRole).identity for row in range(self.proxy.rowCount())]

    # --- actions -----------------------------------------------------------------------------------------------

    def actions_for(self, identity: str) -> list[QAction]:
        """The moderation actions on participant ``identity`` (none for a speaker, or on yourself)."""
        participant = self.model.participant(identity)
        if participant is None or not self.model.can_moderate(identity):
            return []
        actions: list[QAction] = []
        if participant.audio:
            mute = QAction(self.tr("Mute"), self)
            mute.triggered.connect(lambda: self.muteRequested.emit(identity))
            actions.append(mute)
        if self._permissions.canMakeModerator:  # the room's roles may withhold it (OpenVidu Meet 3.8)
            if participant.role == "moderator":
                change = QAction(self.tr("Make speaker"), self)
                change.triggered.connect(lambda: self.roleChangeRequested.emit(identity, "speaker"))
            else:
                change = QAction(self.tr("Make moderator"), self)
                change.triggered.connect(lambda: self.roleChangeRequested.emit(identity, "moderator"))
            actions.append(change)
        if self._permissions.canKickParticipants:
            kick = QAction(self.tr("Remove from meeting…"), self)
            kick.triggered.connect(lambda: self.confirm_kick(identity))
            actions.append(kick)
        return actions

    def open_menu(self, identity: str, at: QPoint) -> QMenu | None:
        """Show the actions on ``identity`` in a menu at global point ``at``; None when there are none."""
        actions = self.actions_for(identity)
        if not actions:
            return None
        self._close_menu()
        participant = self.model.participant(identity)
        menu = QMenu(self)
        menu.setAccessibleName(self.tr("Actions for {name}").format(name=participant.name if participant else identity))
        for action in actions:
            action.setParent(menu)  # they go with the menu
            menu.addAction(action)
        self.menu = menu
        menu.popup(at)
        return menu

    def _menu_requested(self, index: QModelIndex, at: QPoint) -> None:
        participant = index.data(ParticipantRole)
        if participant is not None:
            self.open_menu(participant.identity, at)

    def confirm_kick(self, identity: str) -> QMessageBox | None:
        """Ask whether to remove ``identity``; :attr:`kickRequested` follows only a "Remove"."""
        participant = self.model.participant(identity)
        if participant is None or not self.model.can_moderate(identity):
            return None
        self._close_kick_box()
        name = participant.name or identity
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Remove participant"))
        box.setText(self.tr("Remove {name} from the meeting?").format(name=name))
        box.setInformativeText(self.tr("They leave the meeting at once."))
        remove = box.addButton(self.tr("Remove"), QMessageBox.ButtonRole.AcceptRole)
        remove.setProperty(VARIANT, "danger")
        remove.setAccessibleName(self.tr("Remove {name}").format(name=name))
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.finished.connect(lambda _result: self._kick_answered(box, remove, identity))
        self.kick_box, self._kick_identity = box, identity
        box.open()
        return box

    def _kick_answered(self, box: QMessageBox, remove: QPushButton, identity: str) -> None:
        if self.kick_box is box:
            self.kick_box, self._kick_identity = None, None
        box.deleteLater()
        # they may have left, or the local participant lost the moderator role, while the box was open
        if box.clickedButton() is remove and self.model.can_moderate(identity):
            self.kickRequested.emit(identity)

    def _close_menu(self) -> None:
        if self.menu is not None:
            self.menu.close()
            self.menu.deleteLater()
            self.menu = None

    def _close_kick_box(self) -> None:
        box = self.kick_box
        if box is not None:
            self.kick_box, self._kick_identity = None, None
            box.reject()

    def _close_actions(self) -> None:
        self._close_menu()
        self._close_kick_box()
