"""Who is in the meeting: a side panel listing the participants, with moderation for moderators.

:class:`ParticipantsModel` holds one row per identity, as the signalling reports it (upsert on join and
update, remove on leave) and remembers in which order hands went up; :class:`ParticipantsProxy` orders the
rows: you first, then raised hands in the order they were raised, then moderators, then everyone by name.
:class:`ParticipantsPanel` shows them; a local moderator gets a "⋮" menu on every other participant to
change their role or remove them (after a confirmation), which the panel only asks the window to do.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from meetdesk.core.names import initials
from meetdesk.core.signalling import ParticipantInfo
from meetdesk.ui.meeting.moderation_bar import ModerationBar
from meetdesk.ui.theme.theming import VARIANT

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

HAND = "\N{RAISED HAND}"
_R = QPalette.ColorRole
#: the palette roles a badge is painted with: (fill, border, text)
CHIP_ROLES = {
    "hand": (_R.Highlight, _R.Highlight, _R.HighlightedText),
    "speaking": (_R.Base, _R.Highlight, _R.Text),
    "reconnecting": (_R.Base, _R.BrightText, _R.BrightText),
    "other": (_R.AlternateBase, _R.Mid, _R.Text),
}
MENU = "\N{VERTICAL ELLIPSIS}"


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


class Row(NamedTuple):
    """Where the parts of a participant's row go, in a row whose top-left is (0, 0)."""

    avatar: QRect
    menu: QRect | None  # the "⋮" button, None without actions
    name: QRect
    role: QRect
    role_text: str
    chips: list[tuple[QRect, str, str]]  # (where, kind, text)
    height: int


class ParticipantDelegate(QStyledItemDelegate):
    """Paints a participant: initials in a circle, the name, the role, badges (hand raised, mic off, ...) that
    wrap onto more lines when the panel is narrow, and for a moderator a "⋮" button that opens the actions.

    Signals:
        menuClicked(QModelIndex, QPoint): the "⋮" of this row was clicked; the point (global) is where the
            menu should open.
    """

    menuClicked = Signal(QModelIndex, QPoint)

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def _geometry(self, font: QFont, index: Index) -> Row:
        """Where everything goes in a row whose top-left is (0, 0)."""
        metrics = QFontMetrics(font)
        em = metrics.height()
        pad = max(6, em // 2)
        width = self._view.viewport().width()
        avatar = QRect(pad, pad, 2 * em, 2 * em)
        menu = QRect(width - pad - round(1.6 * em), pad, round(1.6 * em), round(1.6 * em))
        can_moderate = bool(index.data(CanModerateRole))
        left = avatar.right() + 1 + pad
        right = (menu.left() - pad // 2) if can_moderate else width - pad
        name = QRect(left, pad, max(0, right - left), em)
        chip_height = em + 4
        x, y = left, name.bottom() + 1 + pad // 3
        role_text = index.data(RoleTextRole) or ""
        role = QRect(x, y, metrics.horizontalAdvance(role_text) + 2, chip_height)
        x = role.right() + 1 + pad
        chips = []
        for kind, text in index.data(BadgesRole) or []:
            label = f"{HAND} {text}" if kind == "hand" and metrics.inFontUcs4(ord(HAND)) else text
            chip_width = min(metrics.horizontalAdvance(label) + em, width - pad - left)
            if x + chip_width > width - pad and x > left:
                x, y = left, y + chip_height + pad // 3  # wrap
            chips.append((QRect(x, y, chip_width, chip_height), kind, label))
            x += chip_width + pad // 2
        bottom = max(avatar.bottom(), y + chip_height - 1) + 1 + pad
        return Row(avatar, menu if can_moderate else None, name, role, role_text, chips, bottom)

    def menu_rect(self, index: QModelIndex, row: QRect | None = None) -> QRect | None:
        """The "⋮" button of the row of ``index`` (at ``row``, else where the view shows it) in the viewport's
        coordinates; None when the row has no actions."""
        rect = self._geometry(self._view.font(), index).menu
        if rect is None:
            return None
        return rect.translated((row if row is not None else self._view.visualRect(index)).topLeft())

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(self._view.viewport().width(), self._geometry(option.font, index).height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        geometry = self._geometry(option.font, index)
        palette = option.palette
        origin = option.rect.topLeft()
        participant: ParticipantInfo | None = index.data(ParticipantRole)
        if participant is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_role = QPalette.ColorRole.Text
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, palette.color(QPalette.ColorRole.AlternateBase))
        if option.state & QStyle.StateFlag.State_HasFocus and self._view.hasFocus():
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(option.rect.adjusted(1, 1, -1, -1))

        # initials in a circle
        avatar = geometry.avatar.translated(origin)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawEllipse(avatar)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, initials(participant.name or participant.identity))

        # name and role
        name_rect = geometry.name.translated(origin)
        painter.setPen(palette.color(text_role))
        name = elide_name(index.data() or "", participant.name or participant.identity, bold, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.setFont(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        role = geometry.role.translated(origin)
        painter.drawText(role, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, geometry.role_text)

        # badges
        metrics = QFontMetrics(option.font)
        for rect, kind, label in geometry.chips:
            chip = rect.translated(origin)
            fill, border, text = CHIP_ROLES.get(kind, CHIP_ROLES["other"])
            painter.setPen(QPen(palette.color(border), 1))
            painter.setBrush(palette.color(fill))
            radius = chip.height() / 2
            painter.drawRoundedRect(chip.adjusted(0, 0, -1, -1), radius, radius)
            painter.setPen(palette.color(text))
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, chip.width() - metrics.height() // 2)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, shown)

        # the actions button
        menu = geometry.menu
        if menu is not None:
            button = menu.translated(origin)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.setBrush(palette.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(button.adjusted(0, 0, -1, -1), 4, 4)
            painter.setFont(bold)
            painter.setPen(palette.color(text_role))
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, MENU)
        painter.restore()

    def editorEvent(self, event: QEvent, model: Any, option: QStyleOptionViewItem, index: Index) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and isinstance(index, QModelIndex)
        ):
            button = self.menu_rect(index, option.rect)
            if (
                button is not None
                and event.button() == Qt.MouseButton.LeftButton
                and button.contains(event.position().toPoint())
            ):
                self.menuClicked.emit(index, self._view.viewport().mapToGlobal(button.bottomLeft() + QPoint(0, 1)))
                return True
        return super().editorEvent(event, model, option, index)


def elide_name(text: str, name: str, font: QFont, width: int) -> str:
    """``text`` (the name with maybe " (you)") fitted to ``width``: the name gives way, the " (you)" stays."""
    metrics = QFontMetrics(font)
    if metrics.horizontalAdvance(text) <= width:
        return text
    room = width - metrics.horizontalAdvance(text) + metrics.horizontalAdvance(name)
    if name in text and text != name and room >= 3 * metrics.horizontalAdvance("…"):
        return text.replace(name, metrics.elidedText(name, Qt.TextElideMode.ElideRight, room), 1)
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


class ParticipantsView(QListView):
    """The list; the menu key, Shift+F10, Enter or a right click open the actions of a participant.

    Signals:
        menuRequested(QModelIndex, QPoint): open the actions of this row at this global point.
    """

    menuRequested = Signal(QModelIndex, QPoint)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Keyboard:
            index = self.currentIndex()
            if index.isValid():
                self.menuRequested.emit(index, self.viewport().mapToGlobal(self.visualRect(index).center()))
        else:
            index = self.indexAt(event.pos())
            if index.isValid():
                self.menuRequested.emit(index, event.globalPos())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        shift_f10 = event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
        if index.isValid() and (shift_f10 or event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.menuRequested.emit(index, self.viewport().mapToGlobal(self.visualRect(index).center()))
            event.accept()
            return
        super().keyPressEvent(event)


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
        if participant.role == "moderator":
            change = QAction(self.tr("Make speaker"), self)
            change.triggered.connect(lambda: self.roleChangeRequested.emit(identity, "speaker"))
        else:
            change = QAction(self.tr("Make moderator"), self)
            change.triggered.connect(lambda: self.roleChangeRequested.emit(identity, "moderator"))
        kick = QAction(self.tr("Remove from meeting…"), self)
        kick.triggered.connect(lambda: self.confirm_kick(identity))
        if not participant.audio:
            return [change, kick]
        mute = QAction(self.tr("Mute"), self)
        mute.triggered.connect(lambda: self.muteRequested.emit(identity))
        return [mute, change, kick]

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
