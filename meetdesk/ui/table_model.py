"""What every table of a server's objects shares (the rooms, recordings and kiosks tables): rows of one kind of
object known by its id, columns given as specs (header, the field the server sorts by, right-aligned or not),
Qt's model API answered from them, rows changed and removed by id, the requests it started kept until they end,
and the loading / error state that the pages show.

A model says what its cells show (:meth:`TableModel.text`, and :meth:`TableModel.cell` for the roles of its
own) and how the server sorts (:meth:`TableModel.sort_by`); how it fetches its rows stays its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette

Index = QModelIndex | QPersistentModelIndex
#: the role that answers a row's object, in every table (``RoomRole``, ``RecordingRole``, ``KioskRole``)
ItemRole = Qt.ItemDataRole.UserRole + 1
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    header: str
    #: the field the server sorts by when the column's header is clicked (None: the server cannot)
    sort_field: str | None = None
    #: numbers: right-aligned
    numeric: bool = False


class TableModel(QAbstractTableModel, Generic[T]):
    """Rows of ``T`` (:attr:`rows`) known by ``key(row)``, shown in ``columns``.

    Signals:
        loadingChanged(bool): the rows are being read (True) or not (False).
        errorChanged(object): the rows could not be read (the exception; the rows last seen are kept), or None
            once they could again.
    """

    loadingChanged = Signal(bool)
    errorChanged = Signal(object)

    #: rows last seen are greyed while :attr:`error` says the server cannot tell whether they are still true
    greyed_on_error = False

    def __init__(self, columns: Sequence[Column], key: Callable[[T], str], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[T] = []
        #: why the rows could not be read the last time they were asked for (None: they could)
        self.error: BaseException | None = None
        self.loaded_once = False
        self._key = key
        self._loading = False
        self._tasks: set[asyncio.Future[Any]] = set()

    # --- Qt model API ---------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        item = self.rows[index.row()]
        if role == ItemRole:
            return item
        return self.cell(item, index.column(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        field = self.columns[column].sort_field if 0 <= column < len(self.columns) else None
        if field is not None:
            self.sort_by(field, "asc" if order == Qt.SortOrder.AscendingOrder else "desc")

    # --- what a model says (its own) ------------------------------------------------------------------------

    def text(self, item: T, column: int) -> str:
        """What ``column`` of ``item``'s row says (shown, and read out by screen readers)."""
        return ""

    def cell(self, item: T, column: int, role: int) -> Any:
        """What a cell answers for ``role``: a model answers its own roles first, then asks this."""
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.text(item, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[column].numeric:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and self.greyed_on_error and self.error is not None:
            return QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def sort_by(self, field: str, order: str) -> None:
        """Sort by the server's ``field`` (``asc`` or ``desc``): a model whose columns name sort fields asks
        the server again."""

    # --- rows by id -----------------------------------------------------------------------------------------

    def row_of(self, key: str) -> int | None:
        return next((row for row, item in enumerate(self.rows) if self._key(item) == key), None)

    def find(self, key: str) -> T | None:
        row = self.row_of(key)
        return None if row is None else self.rows[row]

    def remove(self, key: str) -> None:
        """An object gone (deleted elsewhere, or no longer listed): its row taken out."""
        self._remove_row(key)

    def _remove_row(self, key: str) -> bool:
        row = self.row_of(key)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.rows[row]
        self.endRemoveRows()
        return True

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def _columns_changed(self, first: int = 0, last: int | None = None, roles: Sequence[int] = ()) -> None:
        """Every row's cells from column ``first`` to ``last`` (the last column) show something new."""
        if self.rows:
            end = self.index(len(self.rows) - 1, len(self.columns) - 1 if last is None else last)
            self.dataChanged.emit(self.index(0, first), end, list(roles))

    # --- state ----------------------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """Whether the rows are being read."""
        return self._loading

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    def _set_error(self, error: BaseException | None) -> None:
        if error is self.error:
            return
        self.error = error
        if self.greyed_on_error:
            self._columns_changed()  # greyed or not
        self.errorChanged.emit(error)

    def _spawn(self, coro: Coroutine[Any, Any, None], *, reported: bool = False) -> asyncio.Task[None]:
        """Run ``coro``, kept until it ends. ``reported``: its failure is the model's to show (through
        :attr:`error` or a signal), so it is taken here rather than logged again by asyncio."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._reported if reported else self._tasks.discard)
        return task

    def _reported(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # taken: the failure was shown already
