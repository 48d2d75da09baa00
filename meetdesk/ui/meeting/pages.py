"""The small pages of the participant flow: the link's error page, the join view, the end view.

Each is a centred card: a title, a sentence, the controls. They emit what the user chose; the
:class:`~meetdesk.ui.meeting.window.ParticipantWindow` moves between them.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meetdesk.client.lobby import ErrorReason, LinkProblem, RoomInfo
from meetdesk.core.signalling import LeftReason
from meetdesk.ui.theme.theming import VARIANT

NAME_MAX = 50


class Card(QWidget):
    """A page whose content sits in a centred column of readable width."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card = QFrame()
        self.card.setObjectName("card")
        self.card.setMinimumWidth(420)
        self.card.setMaximumWidth(560)
        self.body = QVBoxLayout(self.card)
        self.body.setContentsMargins(28, 24, 28, 24)
        self.body.setSpacing(12)
        row.addWidget(self.card, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.title = QLabel()
        self.title.setObjectName("pageTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.text = QLabel()
        self.text.setObjectName("pageText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.title)
        self.body.addWidget(self.text)

    def fitted(self, name: str) -> str:
        """``name`` for the title: the words wrap; a word too long for a line is shortened with "…" in the
        middle (the page's tooltip then has it whole)."""
        metrics = QFontMetrics(self.title.font())
        width = self.card.minimumWidth() - 2 * 28 - metrics.horizontalAdvance("“”")
        return " ".join(
            word
            if metrics.horizontalAdvance(word) <= width
            else metrics.elidedText(word, Qt.TextElideMode.ElideMiddle, width)
            for word in name.split(" ")
        )


#: what the error page says per reason: (title, sentence); {room} is the room's name, {server} its server
ERROR_TEXTS: dict[str, tuple[str, str]] = {
    ErrorReason.INVALID_LINK: (
        QT_TRANSLATE_NOOP("ErrorPage", "This is not a room link"),
        QT_TRANSLATE_NOOP(
            "ErrorPage",
            "Copy the whole link again from the invitation: a room link has /room/ and ?secret= in it.",
        ),
    ),
    ErrorReason.MISSING_ROOM_SECRET: (
        QT_TRANSLATE_NOOP("ErrorPage", "The link is incomplete"),
        QT_TRANSLATE_NOOP(
            "ErrorPage", "The link has no secret, so it cannot open the room. Copy the whole link, with its end."
        ),
    ),
    ErrorReason.INVALID_ROOM: (
        QT_TRANSLATE_NOOP("ErrorPage", "This room does not exist"),
        QT_TRANSLATE_NOOP(
            "ErrorPage",
            "{server} has no such room: it may have been deleted. Ask whoever sent the link for a new one.",
        ),
    ),
    ErrorReason.INVALID_ROOM_SECRET: (
        QT_TRANSLATE_NOOP("ErrorPage", "The link's secret is not valid"),
        QT_TRANSLATE_NOOP(
            "ErrorPage",
            "The link may be mistyped or out of date. Ask whoever sent it for a new link.",
        ),
    ),
    ErrorReason.CLOSED_ROOM: (
        QT_TRANSLATE_NOOP("ErrorPage", "{room} is closed"),
        QT_TRANSLATE_NOOP(
            "ErrorPage",
            "The room is closed, or its meeting is locked: nobody new can join now. Try again once a moderator "
            "unlocks it or an administrator reopens the room.",
        ),
    ),
    ErrorReason.UNAUTHORIZED: (
        QT_TRANSLATE_NOOP("ErrorPage", "Sign-in required"),
        QT_TRANSLATE_NOOP("ErrorPage", "{room} only lets signed-in users join. Sign in to {server} first."),
    ),
    ErrorReason.UNREACHABLE: (
        QT_TRANSLATE_NOOP("ErrorPage", "The server does not answer"),
        QT_TRANSLATE_NOOP(
            "ErrorPage",
            "{server} does not answer. Check that this computer is online, or ask whoever sent the link whether "
            "the server is running, then try again.",
        ),
    ),
    ErrorReason.INTERNAL_ERROR: (
        QT_TRANSLATE_NOOP("ErrorPage", "Something went wrong on the server"),
        QT_TRANSLATE_NOOP(
            "ErrorPage",
            "{server} could not check the link. Try again in a moment; if it keeps failing, tell the server's "
            "administrator.",
        ),
    ),
}


class ErrorPage(Card):
    """A link that cannot be joined, and why, in words a person can act on. "Try again" only where a second try
    can help (a closed room, a server that does not answer); another link can always be pasted."""

    retryRequested = Signal()
    otherLinkRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("errorPage", parent)
        self.reason = ""
        self.link = QLineEdit()
        self.link.setObjectName("otherLink")
        self.link.setPlaceholderText(self.tr("Paste another room link"))
        self.link.setAccessibleName(self.tr("Room link"))
        self.link.returnPressed.connect(self._open)
        self.body.addWidget(self.link)
        buttons = QHBoxLayout()
        self.retry = QPushButton(self.tr("Try again"))
        self.retry.clicked.connect(self.retryRequested.emit)
        self.open_button = QPushButton(self.tr("Open link"))
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self._open)
        buttons.addStretch(1)
        buttons.addWidget(self.retry)
        buttons.addWidget(self.open_button)
        self.body.addLayout(buttons)

    def show_problem(self, problem: LinkProblem) -> None:
        self.reason = problem.reason.value
        texts = ERROR_TEXTS.get(problem.reason)
        if texts is None:  # a reason this page has no words of its own for: the lobby's sentence
            self.title.setText(problem.title)
            self.text.setText(problem.message)
        else:
            full = problem.room_name or ""
            room = self.tr("“{name}”").format(name=self.fitted(full)) if full else self.tr("This room")
            server = problem.server or self.tr("The server")
            self.title.setText(self.tr(texts[0]).format(room=room))
            self.text.setText(self.tr(texts[1]).format(room=room, server=server))
            whole = self.tr(texts[0]).format(room=self.tr("“{name}”").format(name=full))
            self.title.setToolTip(whole if full and whole != self.title.text() else "")
        self.retry.setVisible(problem.can_retry)
        # one primary button: "Try again" where it can help, else opening the pasted link
        for button, primary in ((self.retry, problem.can_retry), (self.open_button, not problem.can_retry)):
            button.setDefault(primary)
            button.setProperty(VARIANT, None if primary else "secondary")
            button.style().unpolish(button)
            button.style().polish(button)

    def _open(self) -> None:
        if self.link.text().strip():
            self.otherLinkRequested.emit(self.link.text().strip())


class JoinPage(Card):
    """The join view: the room's name, the nickname (required, remembered)."""

    nameChosen = Signal(str)
    recordingsRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("joinPage", parent)
        self.role = QLabel()
        self.role.setObjectName("roleLabel")
        self.body.addWidget(self.role)
        label = QLabel(self.tr("Your name"))
        self.name = QLineEdit()
        self.name.setObjectName("nickname")
        self.name.setMaxLength(NAME_MAX)
        self.name.setAccessibleName(self.tr("Your name"))
        self.name.setPlaceholderText(self.tr("How the others will see you"))
        label.setBuddy(self.name)
        self.name.returnPressed.connect(self._submit)
        self.name.textChanged.connect(lambda: self.error.hide())
        self.error = QLabel()
        self.error.setObjectName("nameError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.body.addWidget(label)
        self.body.addWidget(self.name)
        self.body.addWidget(self.error)
        buttons = QHBoxLayout()
        self.recordings = QPushButton(self.tr("View recordings"))
        self.recordings.setObjectName("recordingsLink")
        self.recordings.setFlat(True)
        self.recordings.clicked.connect(self.recordingsRequested.emit)
        self.next = QPushButton(self.tr("Continue"))
        self.next.setObjectName("continueButton")
        self.next.setDefault(True)
        self.next.clicked.connect(self._submit)
        buttons.addWidget(self.recordings)
        buttons.addStretch(1)
        buttons.addWidget(self.next)
        self.body.addLayout(buttons)

    def show_room(self, info: RoomInfo, remembered_name: str) -> None:
        self.title.setText(self.fitted(info.room_name))
        self.title.setToolTip(info.room_name)
        self.text.setText(self.tr("You are about to join this meeting."))
        self.role.setText(
            self.tr("You join as a moderator.") if info.is_moderator else self.tr("You join as a speaker.")
        )
        self.recordings.setVisible(info.can_see_recordings)  # the recording view, for roles that may see them
        if remembered_name and not self.name.text():
            self.name.setText(remembered_name)
        self.name.setFocus()

    def _submit(self) -> None:
        name = " ".join(self.name.text().split())
        if not name:
            self.error.setText(self.tr("Enter a name so the others know who you are."))
            self.error.show()
            self.name.setFocus()
            return
        self.nameChosen.emit(name)


#: OpenVidu Meet's end-view titles and a sentence for each reason
END_TEXTS: dict[str, tuple[str, str]] = {
    LeftReason.VOLUNTARY_LEAVE: ("You left the meeting", "You can join again with the same link."),
    LeftReason.PARTICIPANT_KICKED: ("You were removed from the meeting", "A moderator removed you from this meeting."),
    LeftReason.MEETING_ENDED: ("The meeting has ended", "A moderator ended the meeting for everyone."),
    LeftReason.MEETING_ENDED_BY_SELF: ("The meeting has ended", "You ended the meeting for everyone."),
    LeftReason.ROOM_DELETED: ("The room was deleted", "The meeting ended because its room no longer exists."),
    LeftReason.MAX_DURATION_REACHED: (
        "The meeting reached its time limit",
        "The room allows meetings of a limited length, and this one has run its time.",
    ),
    LeftReason.NETWORK_DISCONNECT: (
        "Disconnected from the meeting",
        "The connection to the meeting was lost and could not be restored.",
    ),
    LeftReason.SERVER_SHUTDOWN: ("Disconnected from the meeting", "The meeting server shut down."),
    LeftReason.DUPLICATE_IDENTITY: (
        "You joined from somewhere else",
        "You joined this meeting from another window or device.",
    ),
    LeftReason.UNKNOWN: ("The meeting ended unexpectedly", "Something went wrong. You can try to join again."),
}


#: end reasons after which rejoining cannot work
NO_WAY_BACK = frozenset({LeftReason.PARTICIPANT_KICKED, LeftReason.ROOM_DELETED})


class EndPage(Card):
    """The end view: why the meeting ended for this participant, and a way back."""

    rejoinRequested = Signal()
    backRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("endPage", parent)
        self.reason = ""
        self.detail = QLabel()
        self.detail.setObjectName("endDetail")
        self.detail.setWordWrap(True)
        self.body.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.back = QPushButton(self.tr("Back to rooms"))
        self.back.setObjectName("backButton")
        self.back.clicked.connect(self.backRequested.emit)
        self.rejoin = QPushButton(self.tr("Rejoin"))
        self.rejoin.setObjectName("rejoinButton")
        self.rejoin.setDefault(True)
        self.rejoin.clicked.connect(self.rejoinRequested.emit)
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.rejoin)
        self.body.addLayout(buttons)

    def show_reason(self, reason: str, detail: str = "", *, can_go_back: bool = False) -> None:
        self.reason = reason
        title, text = END_TEXTS.get(reason, END_TEXTS[LeftReason.UNKNOWN])
        self.title.setText(self.tr(title))
        self.text.setText(self.tr(text))
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        # a kicked participant may not come back in this meeting, nor anyone to a deleted room; the others may try
        self.rejoin.setVisible(reason not in NO_WAY_BACK)
        self.back.setVisible(can_go_back)
