"""The device fields of a kiosk's settings form: an editable combo box per kind offering the names the kiosk
reported in its last heartbeat, "the first one found", and the configured name marked "(not connected)" when the
kiosk does not have it. Any other name may still be typed (a device not plugged in now)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from meetdesk.core.kiosks import MAX_DEVICE_NAME, Kiosk, KioskDevice

#: characters of a configured name shown before "(not connected)"
SHOWN_NAME = 28


def kiosk_lacks(kiosk: Kiosk, reported: KioskDevice, name: str) -> bool:
    """Whether the kiosk said it does not have the device ``name`` (it matches names ignoring case). A kiosk not
    heard from yet, or one that lists nothing but uses that device, is not said to lack it."""
    if kiosk.lastSeenAt is None:
        return False
    wanted = name.casefold()
    if reported.found and reported.name is not None and reported.name.casefold() == wanted:
        return False
    return all(present.casefold() != wanted for present in reported.available)


class DeviceCombo(QComboBox):
    """One kind of device: ``name()`` is the name to send (None: the first one found)."""

    def __init__(
        self, kiosk: Kiosk, reported: KioskDevice, configured: str | None, first: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(12)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(28)
        line = self.lineEdit()
        line.setMaxLength(MAX_DEVICE_NAME + 40)  # room for a typed name too long: refused in words, not cut
        line.setPlaceholderText(first)
        self.addItem(first, None)
        for present in reported.available:
            self.addItem(present, present)
        if configured is None:
            self.setCurrentIndex(0)
        elif kiosk_lacks(kiosk, reported, configured):
            # a long name is shortened here, so that the mark shows (the whole name is what is sent)
            shown = configured if len(configured) <= SHOWN_NAME else configured[: SHOWN_NAME - 1].rstrip() + "…"
            self.addItem(self.tr("{name} (not connected)").format(name=shown), configured)
            self.setItemData(self.count() - 1, configured, Qt.ItemDataRole.ToolTipRole)
            self.setCurrentIndex(self.count() - 1)
        else:
            known = next(
                (i for i in range(1, self.count()) if self.itemText(i).casefold() == configured.casefold()), -1
            )
            if known >= 0 and self.itemText(known) == configured:
                self.setCurrentIndex(known)
            else:
                self.setCurrentIndex(-1)
                self.setEditText(configured)
        line.setCursorPosition(0)  # a long name shows its beginning

    def name(self) -> str | None:
        """The device chosen (an item's name) or typed; None for the first one found, or nothing typed."""
        text = self.currentText().strip()
        if not text:
            return None
        index = self.findText(text)
        if index >= 0:
            data = self.itemData(index)
            return data if isinstance(data, str) or data is None else None
        return text
