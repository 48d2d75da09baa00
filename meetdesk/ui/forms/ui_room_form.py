# Generated from ui/room_form.ui by ui/build.py — do not edit.
# Edit the source and run `make forms`.
# Source SHA-256: 1ca70b82b86653ba4ccf725c1d9aeeee09a02f8dd93501493e1c059818e26658
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'room_form.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QCheckBox, QComboBox,
    QDateTimeEdit, QDialog, QDialogButtonBox, QGridLayout,
    QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QProgressBar, QSizePolicy, QSpacerItem, QToolButton,
    QVBoxLayout, QWidget)

class Ui_RoomForm(object):
    def setupUi(self, RoomForm):
        if not RoomForm.objectName():
            RoomForm.setObjectName(u"RoomForm")
        RoomForm.setSizeGripEnabled(False)
        self.mainLayout = QVBoxLayout(RoomForm)
        self.mainLayout.setObjectName(u"mainLayout")
        self.basicLayout = QGridLayout()
        self.basicLayout.setObjectName(u"basicLayout")
        self.nameLabel = QLabel(RoomForm)
        self.nameLabel.setObjectName(u"nameLabel")

        self.basicLayout.addWidget(self.nameLabel, 0, 0, 1, 1)

        self.nameEdit = QLineEdit(RoomForm)
        self.nameEdit.setObjectName(u"nameEdit")
        self.nameEdit.setClearButtonEnabled(True)

        self.basicLayout.addWidget(self.nameEdit, 0, 1, 1, 1)

        self.nameCounter = QLabel(RoomForm)
        self.nameCounter.setObjectName(u"nameCounter")
        self.nameCounter.setText(u"0/50")
        self.nameCounter.setAlignment(Qt.AlignmentFlag.AlignRight|Qt.AlignmentFlag.AlignVCenter)

        self.basicLayout.addWidget(self.nameCounter, 0, 2, 1, 1)

        self.nameHint = QLabel(RoomForm)
        self.nameHint.setObjectName(u"nameHint")
        self.nameHint.setWordWrap(True)

        self.basicLayout.addWidget(self.nameHint, 1, 1, 1, 2)

        self.nameError = QLabel(RoomForm)
        self.nameError.setObjectName(u"nameError")
        self.nameError.setWordWrap(True)

        self.basicLayout.addWidget(self.nameError, 2, 1, 1, 2)


        self.mainLayout.addLayout(self.basicLayout)

        self.advancedToggle = QToolButton(RoomForm)
        self.advancedToggle.setObjectName(u"advancedToggle")
        self.advancedToggle.setCheckable(True)
        self.advancedToggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advancedToggle.setAutoRaise(True)
        self.advancedToggle.setArrowType(Qt.ArrowType.RightArrow)

        self.mainLayout.addWidget(self.advancedToggle)

        self.advancedPanel = QWidget(RoomForm)
        self.advancedPanel.setObjectName(u"advancedPanel")
        self.advancedLayout = QVBoxLayout(self.advancedPanel)
        self.advancedLayout.setObjectName(u"advancedLayout")
        self.advancedLayout.setContentsMargins(0, 0, 0, 0)
        self.autoDeletionGroup = QGroupBox(self.advancedPanel)
        self.autoDeletionGroup.setObjectName(u"autoDeletionGroup")
        self.autoDeletionLayout = QGridLayout(self.autoDeletionGroup)
        self.autoDeletionLayout.setObjectName(u"autoDeletionLayout")
        self.autoDeleteCheck = QCheckBox(self.autoDeletionGroup)
        self.autoDeleteCheck.setObjectName(u"autoDeleteCheck")

        self.autoDeletionLayout.addWidget(self.autoDeleteCheck, 0, 0, 1, 2)

        self.autoDeletionDateLabel = QLabel(self.autoDeletionGroup)
        self.autoDeletionDateLabel.setObjectName(u"autoDeletionDateLabel")

        self.autoDeletionLayout.addWidget(self.autoDeletionDateLabel, 1, 0, 1, 1)

        self.autoDeletionEdit = QDateTimeEdit(self.autoDeletionGroup)
        self.autoDeletionEdit.setObjectName(u"autoDeletionEdit")
        self.autoDeletionEdit.setDisplayFormat(u"yyyy-MM-dd HH:mm")
        self.autoDeletionEdit.setCalendarPopup(True)

        self.autoDeletionLayout.addWidget(self.autoDeletionEdit, 1, 1, 1, 1)

        self.dateError = QLabel(self.autoDeletionGroup)
        self.dateError.setObjectName(u"dateError")
        self.dateError.setWordWrap(True)

        self.autoDeletionLayout.addWidget(self.dateError, 2, 1, 1, 1)

        self.withMeetingLabel = QLabel(self.autoDeletionGroup)
        self.withMeetingLabel.setObjectName(u"withMeetingLabel")

        self.autoDeletionLayout.addWidget(self.withMeetingLabel, 3, 0, 1, 1)

        self.withMeetingCombo = QComboBox(self.autoDeletionGroup)
        self.withMeetingCombo.setObjectName(u"withMeetingCombo")
        self.withMeetingCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.autoDeletionLayout.addWidget(self.withMeetingCombo, 3, 1, 1, 1)

        self.withRecordingsLabel = QLabel(self.autoDeletionGroup)
        self.withRecordingsLabel.setObjectName(u"withRecordingsLabel")

        self.autoDeletionLayout.addWidget(self.withRecordingsLabel, 4, 0, 1, 1)

        self.withRecordingsCombo = QComboBox(self.autoDeletionGroup)
        self.withRecordingsCombo.setObjectName(u"withRecordingsCombo")
        self.withRecordingsCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.autoDeletionLayout.addWidget(self.withRecordingsCombo, 4, 1, 1, 1)

        self.policyError = QLabel(self.autoDeletionGroup)
        self.policyError.setObjectName(u"policyError")
        self.policyError.setWordWrap(True)

        self.autoDeletionLayout.addWidget(self.policyError, 5, 1, 1, 1)


        self.advancedLayout.addWidget(self.autoDeletionGroup)

        self.recordingGroup = QGroupBox(self.advancedPanel)
        self.recordingGroup.setObjectName(u"recordingGroup")
        self.recordingLayout = QGridLayout(self.recordingGroup)
        self.recordingLayout.setObjectName(u"recordingLayout")
        self.recordingCheck = QCheckBox(self.recordingGroup)
        self.recordingCheck.setObjectName(u"recordingCheck")
        self.recordingCheck.setChecked(True)

        self.recordingLayout.addWidget(self.recordingCheck, 0, 0, 1, 2)

        self.recordingAccessLabel = QLabel(self.recordingGroup)
        self.recordingAccessLabel.setObjectName(u"recordingAccessLabel")

        self.recordingLayout.addWidget(self.recordingAccessLabel, 1, 0, 1, 1)

        self.recordingAccessCombo = QComboBox(self.recordingGroup)
        self.recordingAccessCombo.setObjectName(u"recordingAccessCombo")
        self.recordingAccessCombo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.recordingLayout.addWidget(self.recordingAccessCombo, 1, 1, 1, 1)

        self.recordingError = QLabel(self.recordingGroup)
        self.recordingError.setObjectName(u"recordingError")
        self.recordingError.setWordWrap(True)

        self.recordingLayout.addWidget(self.recordingError, 2, 1, 1, 1)


        self.advancedLayout.addWidget(self.recordingGroup)

        self.featuresGroup = QGroupBox(self.advancedPanel)
        self.featuresGroup.setObjectName(u"featuresGroup")
        self.featuresLayout = QVBoxLayout(self.featuresGroup)
        self.featuresLayout.setObjectName(u"featuresLayout")
        self.chatCheck = QCheckBox(self.featuresGroup)
        self.chatCheck.setObjectName(u"chatCheck")
        self.chatCheck.setChecked(True)

        self.featuresLayout.addWidget(self.chatCheck)

        self.chatError = QLabel(self.featuresGroup)
        self.chatError.setObjectName(u"chatError")
        self.chatError.setWordWrap(True)

        self.featuresLayout.addWidget(self.chatError)

        self.virtualBackgroundCheck = QCheckBox(self.featuresGroup)
        self.virtualBackgroundCheck.setObjectName(u"virtualBackgroundCheck")
        self.virtualBackgroundCheck.setChecked(True)

        self.featuresLayout.addWidget(self.virtualBackgroundCheck)

        self.virtualBackgroundError = QLabel(self.featuresGroup)
        self.virtualBackgroundError.setObjectName(u"virtualBackgroundError")
        self.virtualBackgroundError.setWordWrap(True)

        self.featuresLayout.addWidget(self.virtualBackgroundError)


        self.advancedLayout.addWidget(self.featuresGroup)


        self.mainLayout.addWidget(self.advancedPanel)

        self.formError = QLabel(RoomForm)
        self.formError.setObjectName(u"formError")
        self.formError.setWordWrap(True)
        self.formError.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.mainLayout.addWidget(self.formError)

        self.bottomSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.mainLayout.addItem(self.bottomSpacer)

        self.buttonRow = QHBoxLayout()
        self.buttonRow.setObjectName(u"buttonRow")
        self.busyBar = QProgressBar(RoomForm)
        self.busyBar.setObjectName(u"busyBar")
        self.busyBar.setMaximum(0)
        self.busyBar.setTextVisible(False)

        self.buttonRow.addWidget(self.busyBar)

        self.busyLabel = QLabel(RoomForm)
        self.busyLabel.setObjectName(u"busyLabel")

        self.buttonRow.addWidget(self.busyLabel)

        self.buttonSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.buttonRow.addItem(self.buttonSpacer)

        self.buttonBox = QDialogButtonBox(RoomForm)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.StandardButton.Cancel|QDialogButtonBox.StandardButton.Ok)

        self.buttonRow.addWidget(self.buttonBox)


        self.mainLayout.addLayout(self.buttonRow)

#if QT_CONFIG(shortcut)
        self.nameLabel.setBuddy(self.nameEdit)
        self.autoDeletionDateLabel.setBuddy(self.autoDeletionEdit)
        self.withMeetingLabel.setBuddy(self.withMeetingCombo)
        self.withRecordingsLabel.setBuddy(self.withRecordingsCombo)
        self.recordingAccessLabel.setBuddy(self.recordingAccessCombo)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.nameEdit, self.advancedToggle)
        QWidget.setTabOrder(self.advancedToggle, self.autoDeleteCheck)
        QWidget.setTabOrder(self.autoDeleteCheck, self.autoDeletionEdit)
        QWidget.setTabOrder(self.autoDeletionEdit, self.withMeetingCombo)
        QWidget.setTabOrder(self.withMeetingCombo, self.withRecordingsCombo)
        QWidget.setTabOrder(self.withRecordingsCombo, self.recordingCheck)
        QWidget.setTabOrder(self.recordingCheck, self.recordingAccessCombo)
        QWidget.setTabOrder(self.recordingAccessCombo, self.chatCheck)
        QWidget.setTabOrder(self.chatCheck, self.virtualBackgroundCheck)
        QWidget.setTabOrder(self.virtualBackgroundCheck, self.buttonBox)

        self.retranslateUi(RoomForm)

        QMetaObject.connectSlotsByName(RoomForm)
    # setupUi

    def retranslateUi(self, RoomForm):
        RoomForm.setWindowTitle(QCoreApplication.translate("RoomForm", u"New room", None))
#if QT_CONFIG(accessibility)
        RoomForm.setAccessibleName(QCoreApplication.translate("RoomForm", u"Room settings", None))
#endif // QT_CONFIG(accessibility)
        self.nameLabel.setText(QCoreApplication.translate("RoomForm", u"Room &name", None))
#if QT_CONFIG(accessibility)
        self.nameEdit.setAccessibleName(QCoreApplication.translate("RoomForm", u"Room name", None))
#endif // QT_CONFIG(accessibility)
        self.nameEdit.setPlaceholderText(QCoreApplication.translate("RoomForm", u"Room", None))
#if QT_CONFIG(accessibility)
        self.nameCounter.setAccessibleName(QCoreApplication.translate("RoomForm", u"Name length", None))
#endif // QT_CONFIG(accessibility)
        self.nameHint.setText(QCoreApplication.translate("RoomForm", u"Optional: an empty name gives \u201cRoom\u201d.", None))
#if QT_CONFIG(accessibility)
        self.nameError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Room name problem", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.advancedToggle.setAccessibleName(QCoreApplication.translate("RoomForm", u"Advanced setup", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.advancedToggle.setAccessibleDescription(QCoreApplication.translate("RoomForm", u"Shows or hides auto-deletion, recording and feature settings", None))
#endif // QT_CONFIG(accessibility)
        self.advancedToggle.setText(QCoreApplication.translate("RoomForm", u"&Advanced setup", None))
        self.autoDeletionGroup.setTitle(QCoreApplication.translate("RoomForm", u"Automatic deletion", None))
#if QT_CONFIG(accessibility)
        self.autoDeleteCheck.setAccessibleName(QCoreApplication.translate("RoomForm", u"Delete this room automatically", None))
#endif // QT_CONFIG(accessibility)
        self.autoDeleteCheck.setText(QCoreApplication.translate("RoomForm", u"Delete this room a&utomatically", None))
        self.autoDeletionDateLabel.setText(QCoreApplication.translate("RoomForm", u"&Date and time", None))
#if QT_CONFIG(accessibility)
        self.autoDeletionEdit.setAccessibleName(QCoreApplication.translate("RoomForm", u"Auto-deletion date and time", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.dateError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Auto-deletion date problem", None))
#endif // QT_CONFIG(accessibility)
        self.withMeetingLabel.setText(QCoreApplication.translate("RoomForm", u"If a &meeting is in progress", None))
#if QT_CONFIG(accessibility)
        self.withMeetingCombo.setAccessibleName(QCoreApplication.translate("RoomForm", u"When a meeting is in progress at the deletion time", None))
#endif // QT_CONFIG(accessibility)
        self.withRecordingsLabel.setText(QCoreApplication.translate("RoomForm", u"If the room &has recordings", None))
#if QT_CONFIG(accessibility)
        self.withRecordingsCombo.setAccessibleName(QCoreApplication.translate("RoomForm", u"When the room has recordings at the deletion time", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.policyError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Auto-deletion policy problem", None))
#endif // QT_CONFIG(accessibility)
        self.recordingGroup.setTitle(QCoreApplication.translate("RoomForm", u"Recording", None))
#if QT_CONFIG(accessibility)
        self.recordingCheck.setAccessibleName(QCoreApplication.translate("RoomForm", u"Allow recording", None))
#endif // QT_CONFIG(accessibility)
        self.recordingCheck.setText(QCoreApplication.translate("RoomForm", u"Allow &recording in this room", None))
        self.recordingAccessLabel.setText(QCoreApplication.translate("RoomForm", u"&Who can watch recordings", None))
#if QT_CONFIG(accessibility)
        self.recordingAccessCombo.setAccessibleName(QCoreApplication.translate("RoomForm", u"Who can watch recordings", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.recordingError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Recording settings problem", None))
#endif // QT_CONFIG(accessibility)
        self.featuresGroup.setTitle(QCoreApplication.translate("RoomForm", u"Features", None))
#if QT_CONFIG(accessibility)
        self.chatCheck.setAccessibleName(QCoreApplication.translate("RoomForm", u"Chat", None))
#endif // QT_CONFIG(accessibility)
        self.chatCheck.setText(QCoreApplication.translate("RoomForm", u"&Chat", None))
#if QT_CONFIG(accessibility)
        self.chatError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Chat setting problem", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.virtualBackgroundCheck.setAccessibleName(QCoreApplication.translate("RoomForm", u"Virtual backgrounds", None))
#endif // QT_CONFIG(accessibility)
        self.virtualBackgroundCheck.setText(QCoreApplication.translate("RoomForm", u"&Virtual backgrounds", None))
#if QT_CONFIG(accessibility)
        self.virtualBackgroundError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Virtual backgrounds setting problem", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.formError.setAccessibleName(QCoreApplication.translate("RoomForm", u"Problem", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.busyBar.setAccessibleName(QCoreApplication.translate("RoomForm", u"Saving", None))
#endif // QT_CONFIG(accessibility)
        self.busyLabel.setText(QCoreApplication.translate("RoomForm", u"Saving\u2026", None))
    # retranslateUi

