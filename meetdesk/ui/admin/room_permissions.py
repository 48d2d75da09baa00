"""The room editor's Permissions section: what moderators and speakers may do in the room (OpenVidu Meet
3.8's roles), one row per permission in plain words, a column of checkboxes per role.

The section holds roles (:meth:`set_roles`, :meth:`roles`) and says what changed against others
(:meth:`changes`), which is what the room dialog sends with ``PUT /rooms/{id}/roles``.

Signals:
    changed(): a checkbox was ticked or unticked by the user.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from meetdesk.core.permissions import (
    DEFAULT_ROLES,
    PERMISSION_KEYS,
    PermissionKey,
    Permissions,
    Role,
    RolePermissions,
    RoomRoles,
)

#: the rows in the order a person reads them: the meeting, moderation, recordings
ROW_ORDER: tuple[PermissionKey, ...] = (
    "canJoinMeeting",
    "canPublishAudio",
    "canPublishVideo",
    "canShareScreen",
    "canReadChat",
    "canWriteChat",
    "canChangeVirtualBackground",
    "canShareAccessLinks",
    "canMakeModerator",
    "canKickParticipants",
    "canEndMeeting",
    "canRecord",
    "canRetrieveRecordings",
    "canDeleteRecordings",
)
assert sorted(ROW_ORDER) == sorted(PERMISSION_KEYS)


class PermissionsSection(QGroupBox):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Permissions"), parent)
        self.setObjectName("permissionsGroup")
        labels: dict[PermissionKey, str] = {
            "canJoinMeeting": self.tr("Join the meeting"),
            "canPublishAudio": self.tr("Turn on their microphone"),
            "canPublishVideo": self.tr("Turn on their camera"),
            "canShareScreen": self.tr("Share their screen"),
            "canReadChat": self.tr("Read the chat"),
            "canWriteChat": self.tr("Write in the chat"),
            "canChangeVirtualBackground": self.tr("Change their background"),
            "canShareAccessLinks": self.tr("Share the room's links"),
            "canMakeModerator": self.tr("Make others moderators or speakers"),
            "canKickParticipants": self.tr("Remove participants"),
            "canEndMeeting": self.tr("End the meeting for everyone"),
            "canRecord": self.tr("Start and stop recordings"),
            "canRetrieveRecordings": self.tr("Watch the room's recordings"),
            "canDeleteRecordings": self.tr("Delete the room's recordings"),
        }
        outer = QVBoxLayout(self)
        self.hint = QLabel(self.tr("What each role may do here. Changes apply at once."), self)
        self.hint.setWordWrap(True)
        outer.addWidget(self.hint)
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 12, 0)  # the headers clear the scroll bar
        grid.setHorizontalSpacing(16)
        titles = (self.tr("Moderators"), self.tr("Speakers"))
        for column, title in enumerate(titles, start=1):
            header = QLabel(f"<b>{title}</b>", grid_host)
            grid.addWidget(header, 0, column, Qt.AlignmentFlag.AlignHCenter)
        #: the checkboxes, by role and permission
        self.boxes: dict[tuple[Role, PermissionKey], QCheckBox] = {}
        for row, key in enumerate(ROW_ORDER, start=1):
            label = QLabel(labels[key], grid_host)
            label.setWordWrap(True)
            grid.addWidget(label, row, 0)
            for column, (role, title) in enumerate(zip((Role.MODERATOR, Role.SPEAKER), titles, strict=True), start=1):
                box = QCheckBox(grid_host)
                box.setObjectName(f"{role.value}_{key}")
                box.setAccessibleName(self.tr("{role}: {permission}").format(role=title, permission=labels[key]))
                box.toggled.connect(lambda _on: self.changed.emit())
                grid.addWidget(box, row, column, Qt.AlignmentFlag.AlignHCenter)
                self.boxes[(role, key)] = box
        grid.setColumnStretch(0, 1)
        # fourteen rows: scroll inside the dialog rather than grow it past the screen
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(grid_host)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # about a third of the rows at once, the rest a scroll away (the dialog fits a small screen)
        self.scroll.setFixedHeight(grid_host.sizeHint().height() // 3 + 8)
        outer.addWidget(self.scroll)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        outer.addWidget(self.error)
        self.set_roles(DEFAULT_ROLES)

    def set_roles(self, roles: RoomRoles) -> None:
        for (role, key), box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(roles.of(role).allows(key))
            box.blockSignals(False)

    def roles(self) -> RoomRoles:
        def of(role: Role) -> RolePermissions:
            granted = {key: self.boxes[(role, key)].isChecked() for key in PERMISSION_KEYS}
            return RolePermissions(permissions=Permissions.model_validate(granted))

        return RoomRoles(moderator=of(Role.MODERATOR), speaker=of(Role.SPEAKER))

    def changes(self, against: RoomRoles) -> dict[Role, dict[str, bool]]:
        """The permissions that differ from ``against``, by role (a role with none is left out)."""
        now = self.roles()
        found: dict[Role, dict[str, bool]] = {}
        for role in Role:
            before, after = against.of(role), now.of(role)
            diff = {key: after.allows(key) for key in PERMISSION_KEYS if after.allows(key) != before.allows(key)}
            if diff:
                found[role] = diff
        return found
