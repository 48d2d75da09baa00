"""The theme editor's preview: the meeting window itself, in the theme being edited.

The preview is built from the meeting window's own widgets (header, sharing banner, tiles, chat panel,
toolbar) observing a static demo :class:`~meetdesk.ui.meeting.model.MeetingModel`, styled with the palette
and stylesheet the theme gives the whole app, so it can never drift from what participants see. Those
widgets live in a frame that is never on screen, laid out at a meeting window's size; the preview paints a
picture of it, scaled to fit, and takes a new picture when the theme or the size changes. Nothing in the
picture reacts to clicks or keys: it is a picture.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPalette, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from meetdesk.core.permissions import DEFAULT_MODERATOR
from meetdesk.core.signalling import ChatMessage, ParticipantInfo
from meetdesk.core.theme import DEFAULT_LIGHT, Slot, ThemeTokens, derive_tokens
from meetdesk.ui.meeting.chat_panel import ChatPanel
from meetdesk.ui.meeting.model import MeetingModel
from meetdesk.ui.meeting.overlays import SharingBanner
from meetdesk.ui.meeting.tiles import SELF, TileArea
from meetdesk.ui.meeting.toolbar import MeetingHeader, MeetingToolbar
from meetdesk.ui.theme.theming import palette_for, stylesheet_for

#: the size the meeting is laid out at before it is scaled into the preview (the meeting window's default width)
FRAME_WIDTH = 1180
#: the demo meeting's duration, as its timer shows it
DEMO_ELAPSED_S = 12 * 60 + 34


class DemoMeetingModel(MeetingModel):
    """A meeting that stands still: four people, Ana speaking, a shared screen, two unread messages."""

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        you = ParticipantInfo(identity="you", name=tr("Sam Lee"), role="moderator", joinedAt=0, audio=True)
        others = [
            ParticipantInfo(identity="ana", name=tr("Ana Silva"), role="speaker", joinedAt=0, audio=True),
            ParticipantInfo(identity="ben", name=tr("Ben Okafor"), role="speaker", joinedAt=0, handRaised=True),
            ParticipantInfo(
                identity="chen", name=tr("Chen Wu"), role="speaker", joinedAt=0, audio=True, quality="poor"
            ),
        ]
        self.set_title(tr("Weekly sync"))
        self.set_permissions(DEFAULT_MODERATOR)  # what "you", the moderator, may do: Leave… with End for all
        self.reset_participants(you, others)
        self.set_active_speaker("ana")
        self.set_started_at(time.time() - DEMO_ELAPSED_S)
        self.set_unread(2)
        self.set_sharing(True)

    def elapsed(self, now: float | None = None) -> int:
        return DEMO_ELAPSED_S  # a picture: the clock does not run


class MeetingPreview(QWidget):
    """The meeting window in :attr:`tokens`' colours; :meth:`set_tokens` repaints it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tokens = derive_tokens(DEFAULT_LIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(self.tr("Meeting preview"))
        self.setAccessibleDescription(
            self.tr("How a meeting looks in this theme: the meeting window with participants, chat and toolbar.")
        )
        self.model = DemoMeetingModel()
        self.model.setParent(self)
        self._picture = QPixmap()
        self._build()
        self.destroyed.connect(self.frame.deleteLater)
        self._restyle()

    def _build(self) -> None:
        """The meeting window's parts, as :class:`~meetdesk.ui.meeting.meeting_page.MeetingPage` lays them out."""
        frame = self.frame = QWidget()
        frame.setObjectName("previewFrame")
        frame.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        frame.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        root = QVBoxLayout(frame)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        self.header = MeetingHeader(self.model)
        root.addWidget(self.header)
        self.banner = SharingBanner(self.model)
        root.addWidget(self.banner)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        self.tiles = TileArea(self.model)
        body.addWidget(self.tiles, 1)
        self.chat = ChatPanel(you="you")
        self.chat.setFixedWidth(320)
        for number, (who, name, text) in enumerate(
            [
                ("ana", self.model.participant("ana"), self.tr("Shall we start with the roadmap?")),
                ("you", self.model.participant("you"), self.tr("Yes, sharing my screen now.")),
            ]
        ):
            sender = name.name if name is not None else who
            sent = round((time.time() - 180 + 60 * number) * 1000)
            message = ChatMessage(id=f"demo{number}", identity=who, name=sender, time=sent, text=text)
            self.chat.add_message(message, own=who == "you")
        body.addWidget(self.chat)
        root.addLayout(body, 1)
        self.toolbar = MeetingToolbar(self.model)
        root.addWidget(self.toolbar)
        for widget in frame.findChildren(QWidget):
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    @property
    def tokens(self) -> ThemeTokens:
        return self._tokens

    def set_tokens(self, tokens: ThemeTokens) -> None:
        if tokens != self._tokens:
            self._tokens = tokens
            self._restyle()

    def _restyle(self) -> None:
        tokens = self._tokens
        em = QFontMetrics(self.font()).height()
        self.frame.setStyleSheet(
            stylesheet_for(tokens, em) + f"\n#previewFrame {{ background-color: {tokens.background}; }}"
        )
        # as the app's palette would: a palette set on a widget with a stylesheet does not reach its children
        palette = palette_for(tokens)
        for widget in [self.frame, *self.frame.findChildren(QWidget)]:
            widget.setPalette(palette)
        self._snap()

    # the picture --------------------------------------------------------------------------------------

    def _frame_size(self) -> QSize:
        """A meeting window's size with the preview's proportions (so the picture fills it), between 16:9 and 4:3
        as windows are: a tall preview shows a window with room around it, not a window no one has."""
        width, height = max(1, self.width()), max(1, self.height())
        tall = round(FRAME_WIDTH * height / width)
        return QSize(FRAME_WIDTH, min(FRAME_WIDTH * 3 // 4, max(FRAME_WIDTH * 9 // 16, tall)))

    def _snap(self) -> None:
        frame = self.frame
        frame.resize(self._frame_size())
        if not frame.isVisible():
            frame.show()  # laid out and polished, never on screen (WA_DontShowOnScreen)
        frame.layout().activate()
        self.tiles.relayout()
        self._picture = frame.grab()
        self.update()

    def _scale(self) -> float:
        picture = self._picture
        if picture.isNull():
            return 1.0
        ratio = picture.devicePixelRatio()
        return min(self.width() / (picture.width() / ratio), self.height() / (picture.height() / ratio))

    def _target(self) -> QRect:
        ratio = self._picture.devicePixelRatio() or 1.0
        scale = self._scale()
        width = round(self._picture.width() / ratio * scale)
        height = round(self._picture.height() / ratio * scale)
        width, height = min(width, self.width() - 2), min(height, self.height() - 2)  # room for the edge
        return QRect((self.width() - width) // 2, (self.height() - height) // 2, width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._snap()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), self.palette().window())
        if not self._picture.isNull():
            target = self._target()
            painter.drawPixmap(target, self._picture)
            painter.setPen(self.palette().color(QPalette.ColorRole.Mid))  # the window's edge, on any background
            painter.drawRect(target.adjusted(-1, -1, 0, 0))
        painter.end()

    def sizeHint(self) -> QSize:
        em = QFontMetrics(self.font()).height()
        return QSize(round(42 * em), round(28 * em))

    def minimumSizeHint(self) -> QSize:
        em = QFontMetrics(self.font()).height()
        return QSize(round(24 * em), round(16 * em))

    # where each colour shows ------------------------------------------------------------------------

    def _in_frame(self, widget: QWidget, point: QPoint) -> QPoint:
        """``point`` of ``widget`` (in the frame) where the preview paints it."""
        at = widget.mapTo(self.frame, point)
        target, scale = self._target(), self._scale()
        return QPoint(target.x() + round(at.x() * scale), target.y() + round(at.y() * scale))

    def sample_point(self, slot: Slot) -> QPoint:
        """A point painted in exactly ``slot``'s colour (for tests and screenshots)."""
        if slot == "backgroundColor":  # the header, between the room's name and the timer
            header = self.header
            return self._in_frame(header, QPoint(header.width() // 2, header.height() // 2))
        if slot == "surfaceColor":  # the chat's list, under the messages
            view = self.chat.list
            return self._in_frame(view, QPoint(view.width() // 2, view.height() - 12))
        if slot == "primaryColor":  # the Leave button, left of its label
            leave = self.toolbar.leave_button
            return self._in_frame(leave, QPoint(max(4, leave.width() // 8), leave.height() // 2))
        if slot == "secondaryColor":  # the "you are sharing" banner, right of its sentence
            banner = self.banner
            return self._in_frame(banner, QPoint(banner.width() * 3 // 4, banner.height() // 2))
        # accentColor: the initials' circle of a tile without video, above the letters
        tile = self.tiles.tiles[SELF]
        diameter = max(24, min(tile.width(), tile.height()) * 2 // 5)
        centre = tile.rect().center()
        return self._in_frame(tile, QPoint(centre.x(), centre.y() - round(diameter * 0.36)))
