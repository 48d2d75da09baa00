"""The participants' tiles and how they are laid out: a grid, or a speaker layout with a strip.

A :class:`Tile` is a :class:`VideoView` that also paints who it is (name, "mic off", a raised hand) and a ring
while its participant speaks. When the server holds a camera's video back because this window's connection does not
carry it, that tile shows the initials with "Video paused: weak connection" instead of a frozen picture, and its
connection bars say "poor" (:func:`paused_quality`). :class:`TileArea` places the tiles by hand (``setGeometry`` in
``resizeEvent``: a layout engine would only add work per frame): in the grid every tile gets the same cell, columns
chosen so the cells are as large as possible at 16:9; in the speaker layout the main tile (the pinned one, else a
screen share, else the active speaker) takes the room and the others sit in a strip below it. A screen share is
pinned for everyone when it starts, until someone unpins it.
"""

from __future__ import annotations

from collections.abc import Iterable

import av
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QMenu, QWidget

from meetdesk.core import layout
from meetdesk.core.signalling import ParticipantInfo, Quality
from meetdesk.ui.meeting.model import Layout, MeetingModel
from meetdesk.ui.meeting.participants_delegate import elide_name
from meetdesk.ui.meeting.video_view import VideoView

__all__ = ["SELF", "Layout", "Tile", "TileArea", "grid_cells"]

GAP = 6
#: from a tile's edges to its name, hand and connection chips
MARGIN = 8
STRIP_HEIGHT = 132
ASPECT = 16 / 9
#: the key of your own tile (the self view)
SELF = "self"
_QUALITY_ORDER: tuple[Quality, ...] = ("lost", "poor", "good", "excellent")


def paused_quality(quality: Quality | None, paused: bool) -> Quality | None:
    """The quality a tile shows: no better than "poor" while its video is paused for this window's weak connection
    (what this window gets of that participant is poor, whatever their own connection)."""
    if not paused:
        return quality
    return min(quality or "poor", "poor", key=_QUALITY_ORDER.index)


class Tile(VideoView):
    """One participant's camera (or screen share, or self view) with its badges."""

    pinRequested = Signal(str)  # tile key; "" to unpin

    def __init__(
        self, key: str, name: str, parent: QWidget | None = None, *, screen: bool = False, you: bool = False
    ) -> None:
        super().__init__(name, parent)
        self.key = key
        self.is_screen = screen
        self.is_you = you
        self.identity = key.split("/", 1)[0]
        self.muted = False
        self.camera_off = False
        self.hand_raised = False
        self.speaking = False
        self.pinned = False
        self.reconnecting = False
        self.video_paused = False  # the server holds this camera back for this window's weak connection
        self.quality: Quality | None = None  # None: not known (your own tile, a screen)
        self._chips: dict[str, tuple[tuple[object, ...], QPixmap]] = {}
        self._elided: tuple[tuple[str, int, int], str] | None = None
        self._hand_text: tuple[tuple[int, int, bool], str] | None = None
        self.setAccessibleName(self.label)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    @property
    def label(self) -> str:
        """The name as the tile shows it; :attr:`name` (its initials) stays the bare name."""
        if self.is_screen:
            return self.tr("{name}'s screen").format(name=self.name)
        return self.tr("{name} (you)").format(name=self.name) if self.is_you else self.name

    def set_state(
        self,
        *,
        name: str | None = None,
        muted: bool | None = None,
        camera_off: bool | None = None,
        hand_raised: bool | None = None,
        speaking: bool | None = None,
        reconnecting: bool | None = None,
        video_paused: bool | None = None,
        quality: Quality | None = None,
    ) -> None:
        changed = False
        for attribute, value in (
            ("name", name),
            ("muted", muted),
            ("camera_off", camera_off),
            ("hand_raised", hand_raised),
            ("speaking", speaking),
            ("reconnecting", reconnecting),
            ("video_paused", video_paused),
            ("quality", quality),
        ):
            if value is not None and getattr(self, attribute) != value:
                setattr(self, attribute, value)
                changed = True
        if camera_off or video_paused:
            self.clear()  # no frozen picture: the initials, and why there is no video
        if changed:
            self.setAccessibleName(self.label)
            self.update()

    @property
    def badges(self) -> list[str]:
        """What the tile says besides the name, in words (also what tests and screen readers read)."""
        out = []
        if self.hand_raised:
            out.append(self.tr("hand raised"))
        if self.muted and not self.is_screen:
            out.append(self.tr("mic off"))
        if self.reconnecting:
            out.append(self.tr("reconnecting…"))
        if self.pinned:
            out.append(self.tr("pinned"))
        if self.shows_paused:
            out.append(self.paused_text.lower())
        if self.quality in ("poor", "lost") and not self.is_screen:
            out.append(self.quality_text.lower())
        return out

    def show_frame(self, frame: av.VideoFrame) -> None:
        if not self.video_paused:  # a frame still on its way when the pause came would freeze on the tile
            super().show_frame(frame)

    @property
    def shows_paused(self) -> bool:
        return self.video_paused and not self.camera_off and not self.is_screen

    @property
    def paused_text(self) -> str:
        return self.tr("Video paused: weak connection")

    @property
    def shows_quality(self) -> bool:
        return self.quality is not None and not self.is_screen

    @property
    def quality_text(self) -> str:
        """The connection's quality in words ("" when the tile shows none)."""
        if self.is_screen or self.quality is None:
            return ""
        return {
            "excellent": self.tr("Excellent connection"),
            "good": self.tr("Good connection"),
            "poor": self.tr("Poor connection"),
            "lost": self.tr("Connection lost"),
        }[self.quality]

    # painting ----------------------------------------------------------------------------------------

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(11, min(15, self.height() // 14)))
        return font

    def paint_overlay(self, painter: QPainter) -> None:
        label = self._label_pixmap()
        painter.drawPixmap(MARGIN, self.height() - round(label.height() / label.devicePixelRatio()) - MARGIN, label)
        if self.hand_raised:
            painter.drawPixmap(MARGIN, MARGIN, self._hand_pixmap())
        if self.shows_quality:
            self._paint_quality(painter)
        if self.shows_paused:
            painter.drawPixmap(self.paused_rect().topLeft(), self._paused_pixmap())
        if self.speaking:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 4))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.rect().adjusted(2, 2, -2, -2), 6, 6)

    def quality_rect(self) -> QRect:
        """Where the connection-quality bars are painted (top right)."""
        size = max(14, min(22, self.height() // 8))
        return QRect(self.width() - MARGIN - size - 8, MARGIN, size + 8, size + 6)

    def _paint_quality(self, painter: QPainter) -> None:
        painter.drawPixmap(self.quality_rect().topLeft(), self._quality_pixmap())

    def _quality_pixmap(self) -> QPixmap:
        """The connection's bars, drawn once per change (a tile repaints 30 times a second)."""
        box = QRect(QPoint(0, 0), self.quality_rect().size())
        ratio = self.devicePixelRatioF()
        key = (self.quality, box.width(), box.height(), ratio)
        cached = self._chips.get("quality")
        if cached is not None and cached[0] == key:
            return cached[1]
        pixmap = QPixmap(round(box.width() * ratio), round(box.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 5, 5)
        bars = {"excellent": 3, "good": 2, "poor": 1, "lost": 0}[self.quality or "good"]
        colour = {3: QColor("white"), 2: QColor("white"), 1: QColor(255, 176, 32), 0: QColor(255, 99, 99)}[bars]
        inner = box.adjusted(4, 3, -4, -3)
        width = max(2, (inner.width() - 4) // 3)
        for n in range(3):
            height = round(inner.height() * (n + 1) / 3)
            bar = QRect(inner.x() + n * (width + 2), inner.bottom() - height + 1, width, height)
            painter.setBrush(colour if n < bars else QColor(255, 255, 255, 70))
            painter.drawRoundedRect(bar, 1, 1)
        if bars == 0:  # lost: a cross over the empty bars
            painter.setPen(QPen(colour, 2))
            painter.drawLine(inner.topLeft(), inner.bottomRight())
            painter.drawLine(inner.bottomLeft(), inner.topRight())
        painter.end()
        self._chips["quality"] = (key, pixmap)
        return pixmap

    def _paused_layout(self) -> tuple[QRect, QRect]:
        """Where the initials' circle may go and where "Video paused: weak connection" is painted: the two centred
        one above the other, between the top and the name (a filmstrip tile is short)."""
        pixmap = self._paused_pixmap()
        ratio = pixmap.devicePixelRatio()
        width, height = round(pixmap.width() / ratio), round(pixmap.height() / ratio)
        name_top = self.height() - MARGIN - QFontMetrics(self._font()).height() - 8  # the name chip's top
        gap = MARGIN // 2
        circle_area = QRect(0, 0, self.width(), max(24, name_top - gap - height - gap))
        diameter = max(24, min(circle_area.width(), circle_area.height()) * 2 // 5)  # as VideoView draws it
        top = min(circle_area.center().y() + diameter // 2 + gap, name_top - gap - height)
        return circle_area, QRect((self.width() - width) // 2, max(0, top), width, height)

    def paused_rect(self) -> QRect:
        """Where "Video paused: weak connection" is painted: centred under the initials, above the name."""
        return self._paused_layout()[1]

    def _paint_initials(self, painter: QPainter, rect: QRect) -> None:
        super()._paint_initials(painter, self._paused_layout()[0] if self.shows_paused else rect)

    def _paused_pixmap(self) -> QPixmap:
        metrics = QFontMetrics(self._font())
        room = max(10, self.width() - 2 * MARGIN - 16)
        text = self.paused_text
        if metrics.horizontalAdvance(text) > room:
            short = self.tr("Video paused")
            text = (
                short
                if metrics.horizontalAdvance(short) <= room
                else metrics.elidedText(short, Qt.TextElideMode.ElideRight, room)
            )
        return self._chip(text, QColor(0, 0, 0, 170), QColor(255, 200, 90), "paused")

    def hand_text(self) -> str:
        """The raised-hand chip's words: the longest that fits the tile (a filmstrip tile is narrow)."""
        key = (self.width(), self.height(), self.shows_quality)
        if self._hand_text is None or self._hand_text[0] != key:
            self._hand_text = (key, self._fit_hand_text())
        return self._hand_text[1]

    def _fit_hand_text(self) -> str:
        metrics = QFontMetrics(self._font())
        room = self.width() - 2 * MARGIN - 16 - (self.quality_rect().width() + MARGIN if self.shows_quality else 0)
        for text in (self.tr("Hand raised"), self.tr("Hand")):
            if metrics.horizontalAdvance(text) <= room:
                return text
        return metrics.elidedText(self.tr("Hand"), Qt.TextElideMode.ElideRight, max(0, room))

    def hand_rect(self) -> QRect:
        """Where the raised-hand chip is painted (top left)."""
        metrics = QFontMetrics(self._font())
        return QRect(MARGIN, MARGIN, metrics.horizontalAdvance(self.hand_text()) + 16, metrics.height() + 8)

    def _hand_pixmap(self) -> QPixmap:
        palette = self.palette()
        return self._chip(
            self.hand_text(),
            palette.color(QPalette.ColorRole.Highlight),
            palette.color(QPalette.ColorRole.HighlightedText),
            "hand",
        )

    def _label_pixmap(self) -> QPixmap:
        """The name and badges, drawn once per change (a tile repaints 30 times a second)."""
        parts = [self.label]
        if self.muted and not self.is_screen:
            parts.append("· " + self.tr("mic off"))
        if self.reconnecting:
            parts.append("· " + self.tr("reconnecting…"))
        if self.pinned:
            parts.append("· " + self.tr("pinned"))
        full, width = " ".join(parts), max(10, self.width() - 40)
        key = (full, width, self.height())
        if self._elided is None or self._elided[0] != key:  # fitting the text costs more than painting it
            # the name gives way, "(you)" and the state stay
            self._elided = (key, elide_name(full, self.name, self._font(), width))
        return self._chip(self._elided[1], QColor(0, 0, 0, 150), QColor("white"), "label")

    def _chip(self, text: str, fill: QColor, ink: QColor, slot: str) -> QPixmap:
        """``text`` on a rounded ``fill``, cached per slot until the text, the size or the colours change."""
        ratio = self.devicePixelRatioF()
        key = (text, self.width(), self.height(), ratio, fill.rgba(), ink.rgba())
        cached = self._chips.get(slot)
        if cached is not None and cached[0] == key:
            return cached[1]
        font = self._font()
        metrics = QFontMetrics(font)
        box = QRect(0, 0, metrics.horizontalAdvance(text) + 16, metrics.height() + 8)
        pixmap = QPixmap(round(box.width() * ratio), round(box.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(ink)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        self._chips[slot] = (key, pixmap)
        return pixmap

    # pinning ---------------------------------------------------------------------------------------

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.pinRequested.emit("" if self.pinned else self.key)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        action = QAction(self.tr("Unpin") if self.pinned else self.tr("Pin for me"), menu)
        action.triggered.connect(lambda: self.pinRequested.emit("" if self.pinned else self.key))
        menu.addAction(action)
        menu.exec(event.globalPos())


class TileArea(QWidget):
    """Every tile of the meeting, laid out as a grid or with one main tile; observes a :class:`MeetingModel`.

    Each participant in the model gets a camera tile (yours is :data:`SELF`, the self view) and, while they share,
    a screen tile. The layout, the pinned tile and the active speaker are the model's.

    Signals:
        layoutChanged(str): the layout is now "grid" or "speaker".
        cameraSizesChanged(dict): the sizes the others' cameras are shown at now, in device pixels
            ({identity: (width, height)}), after a layout that changed them (the server forwards small tiles
            the camera's low layer).
    """

    layoutChanged = Signal(str)
    cameraSizesChanged = Signal(dict)

    def __init__(self, model: MeetingModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(self.sizePolicy().Policy.Expanding, self.sizePolicy().Policy.Expanding)
        self.model = model if model is not None else MeetingModel(self)
        self.tiles: dict[str, Tile] = {}
        self._order: list[str] = []
        self.camera_sizes: dict[str, tuple[int, int]] = {}
        model = self.model
        model.participantsReset.connect(self._reset)
        model.participantAdded.connect(self._sync)
        model.participantChanged.connect(self._sync)
        model.participantRemoved.connect(lambda identity, _name: self._drop(identity))
        model.micOnChanged.connect(lambda _on: self._sync_self())
        model.cameraOnChanged.connect(lambda _on: self._sync_self())
        model.devicesChanged.connect(self._sync_self)
        model.handRaisedChanged.connect(lambda _on: self._sync_self())
        model.layoutChanged.connect(self._layout_changed)
        model.pinnedChanged.connect(self._pinned_changed)
        model.activeSpeakerChanged.connect(self._speaker_changed)
        self._reset()

    # following the model -----------------------------------------------------------------------------

    def _reset(self) -> None:
        you = self.model.you
        for key in [k for k in self.tiles if k != SELF or you is None]:
            self.remove_tile(key)
        if you is None:
            return
        self.add_tile(SELF, you.name, first=True, you=True).mirrored = True
        for identity in self.model.participants:
            self._sync(identity)

    def _sync(self, identity: str) -> None:
        participant = self.model.participant(identity)
        if participant is None:
            return
        if self.model.is_you(identity):
            self._sync_self()
            return
        tile = self.add_tile(f"{identity}/camera", participant.name)
        self._apply(tile, participant)
        screen_key = f"{identity}/screen"
        if participant.screen and screen_key not in self.tiles:
            self.add_tile(screen_key, participant.name, screen=True)
        elif not participant.screen and screen_key in self.tiles:
            self.remove_tile(screen_key)
        elif screen_key in self.tiles:
            self.tiles[screen_key].set_state(name=participant.name)

    def _apply(self, tile: Tile, participant: ParticipantInfo) -> None:
        tile.set_state(
            name=participant.name,
            muted=not participant.audio,
            camera_off=not participant.video,
            hand_raised=participant.handRaised,
            reconnecting=participant.reconnecting,
            speaking=self.model.is_speaking(participant.identity),
            video_paused=self.model.is_video_paused(participant.identity),
            quality=paused_quality(participant.quality, self.model.is_video_paused(participant.identity)),
        )

    def _sync_self(self) -> None:
        tile, model = self.tiles.get(SELF), self.model
        you = model.you
        if tile is None or you is None:
            return
        tile.identity = you.identity
        tile.set_state(
            name=you.name,
            muted=not (model.mic_on and model.has_microphone),
            camera_off=not (model.camera_on and model.has_camera),
            hand_raised=model.hand_raised,
            speaking=model.is_speaking(you.identity),
            quality=you.quality,  # as this window graded it and the server tells everyone
        )

    def _drop(self, identity: str) -> None:
        for tile in list(self.tiles_of(identity)):
            if tile.key != SELF:
                self.remove_tile(tile.key)

    def _layout_changed(self, mode: str) -> None:
        self.layoutChanged.emit(mode)
        self.relayout()

    def _pinned_changed(self, key: str) -> None:
        for tile_key, tile in self.tiles.items():
            if tile.pinned != (tile_key == key):
                tile.pinned = tile_key == key
                tile.update()
        if key and self.model.layout is Layout.GRID:
            self.model.set_layout(Layout.SPEAKER)
        else:
            self.relayout()

    def _speaker_changed(self, identity: str) -> None:
        if self.model.layout is Layout.SPEAKER and not self.model.pinned:
            self.relayout()

    # tiles -----------------------------------------------------------------------------------------

    @property
    def layout_mode(self) -> Layout:
        return self.model.layout

    @property
    def pinned(self) -> str | None:
        return self.model.pinned or None

    @property
    def active_speaker(self) -> str | None:
        return self.model.active_speaker or None

    def add_tile(self, key: str, name: str, *, screen: bool = False, first: bool = False, you: bool = False) -> Tile:
        tile = self.tiles.get(key)
        if tile is not None:
            tile.set_state(name=name)
            return tile
        tile = Tile(key, name, self, screen=screen, you=you)
        tile.pinRequested.connect(self.pin)
        self.tiles[key] = tile
        self._order.insert(0 if first else len(self._order), key)
        tile.pinned = key == self.model.pinned
        if screen:
            self.pin(key)  # a screen share goes big for everyone; one click unpins it
        tile.show()
        self.relayout()
        return tile

    def tile_for_frame(self, key: str, identity: str, source: str) -> Tile | None:
        """The tile a received frame goes to; a screen share's frames may come before the news of it."""
        tile = self.tiles.get(key)
        if tile is None and source == "screen":
            participant = self.model.participant(identity)
            tile = self.add_tile(key, participant.name if participant else identity, screen=True)
        return tile

    def remove_tile(self, key: str) -> None:
        tile = self.tiles.pop(key, None)
        if tile is None:
            return
        self._order.remove(key)
        tile.hide()
        tile.deleteLater()
        if self.model.pinned == key:
            self.model.set_pinned("")
        self.relayout()

    def tiles_of(self, identity: str) -> Iterable[Tile]:
        return [t for t in self.tiles.values() if t.identity == identity]

    def pin(self, key: str) -> None:
        """Pin tile ``key`` big ("" or an unknown key: unpin)."""
        key = key if key in self.tiles else ""
        if key == self.model.pinned:
            self._pinned_changed(key)
        else:
            self.model.set_pinned(key)

    def set_active_speaker(self, identity: str | None) -> None:
        self.model.set_active_speaker(identity)

    def set_layout(self, mode: Layout | str) -> None:
        self.model.set_layout(mode)
        self.relayout()

    # layout ----------------------------------------------------------------------------------------

    @property
    def main_key(self) -> str | None:
        """The tile the speaker layout shows big."""
        if self.model.pinned in self.tiles:
            return self.model.pinned
        screens = [k for k in self._order if self.tiles[k].is_screen]
        if screens:
            return screens[-1]
        speaking = [k for k in self._order if k != SELF and self.model.is_speaking(self.tiles[k].identity)]
        if speaking:
            return speaking[0]
        remote = [k for k in self._order if k != SELF]
        return (remote or self._order or [None])[0]

    def resizeEvent(self, event: object) -> None:
        self.relayout()

    def relayout(self) -> None:
        self._place()
        ratio = self.devicePixelRatioF()
        sizes = {
            tile.identity: (round(tile.width() * ratio), round(tile.height() * ratio))
            for key, tile in self.tiles.items()
            if key != SELF and not tile.is_screen
        }
        if sizes != self.camera_sizes:
            self.camera_sizes = sizes
            self.cameraSizesChanged.emit(sizes)

    def _place(self) -> None:
        area = self.rect().adjusted(GAP, GAP, -GAP, -GAP)
        keys = list(self._order)
        if not keys or area.isEmpty():
            return
        if self.layout_mode is Layout.SPEAKER and len(keys) > 1:
            main = self.main_key
            assert main is not None
            others = [k for k in keys if k != main]
            strip = QRect(area.x(), area.bottom() - STRIP_HEIGHT + 1, area.width(), STRIP_HEIGHT)
            stage = QRect(area.x(), area.y(), area.width(), area.height() - STRIP_HEIGHT - GAP)
            self.tiles[main].setGeometry(stage)
            cell_width = min(round(STRIP_HEIGHT * ASPECT), (strip.width() - GAP * (len(others) - 1)) // len(others))
            x = strip.x() + (strip.width() - (cell_width * len(others) + GAP * (len(others) - 1))) // 2
            for key in others:
                self.tiles[key].setGeometry(QRect(x, strip.y(), cell_width, strip.height()))
                x += cell_width + GAP
            return
        for key, cell in zip(keys, grid_cells(len(keys), area), strict=True):
            self.tiles[key].setGeometry(cell)


def grid_cells(count: int, area: QRect, aspect: float = ASPECT) -> list[QRect]:
    """``count`` equal 16:9 cells filling ``area`` as well as possible, rows centred (the maths is
    :func:`meetdesk.core.layout.grid_cells`, shared with the recorder's composite)."""
    cells = layout.grid_cells(count, area.x(), area.y(), area.width(), area.height(), gap=GAP, aspect=aspect)
    return [QRect(QPoint(cell.x, cell.y), QSize(cell.width, cell.height)) for cell in cells]
