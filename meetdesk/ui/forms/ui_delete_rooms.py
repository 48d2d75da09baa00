# Generated from ui/delete_rooms.ui by ui/build.py — do not edit.
# Edit the source and run `make forms`.
# Source SHA-256: 40ffdd8c9ef03d346fef885727601a149aab58475cc9916bd059ecd26775b202
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'delete_rooms.ui'
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
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QApplication, QDialog,
    QDialogButtonBox, QGroupBox, QHBoxLayout, QHeaderView,
    QLabel, QProgressBar, QRadioButton, QSizePolicy,
    QSpacerItem, QStackedWidget, QTableView, QVBoxLayout,
    QWidget)

class Ui_DeleteRooms(object):
    def setupUi(self, DeleteRooms):
        if not DeleteRooms.objectName():
            DeleteRooms.setObjectName(u"DeleteRooms")
        self.mainLayout = QVBoxLayout(DeleteRooms)
        self.mainLayout.setObjectName(u"mainLayout")
        self.pages = QStackedWidget(DeleteRooms)
        self.pages.setObjectName(u"pages")
        self.policyPage = QWidget()
        self.policyPage.setObjectName(u"policyPage")
        self.policyLayout = QVBoxLayout(self.policyPage)
        self.policyLayout.setObjectName(u"policyLayout")
        self.policyLayout.setContentsMargins(0, 0, 0, 0)
        self.questionLabel = QLabel(self.policyPage)
        self.questionLabel.setObjectName(u"questionLabel")
        self.questionLabel.setWordWrap(True)
        self.questionLabel.setTextFormat(Qt.TextFormat.PlainText)

        self.policyLayout.addWidget(self.questionLabel)

        self.meetingGroup = QGroupBox(self.policyPage)
        self.meetingGroup.setObjectName(u"meetingGroup")
        self.meetingLayout = QVBoxLayout(self.meetingGroup)
        self.meetingLayout.setObjectName(u"meetingLayout")
        self.meetingFailRadio = QRadioButton(self.meetingGroup)
        self.meetingFailRadio.setObjectName(u"meetingFailRadio")
        self.meetingFailRadio.setChecked(True)

        self.meetingLayout.addWidget(self.meetingFailRadio)

        self.meetingWhenEndsRadio = QRadioButton(self.meetingGroup)
        self.meetingWhenEndsRadio.setObjectName(u"meetingWhenEndsRadio")

        self.meetingLayout.addWidget(self.meetingWhenEndsRadio)

        self.meetingForceRadio = QRadioButton(self.meetingGroup)
        self.meetingForceRadio.setObjectName(u"meetingForceRadio")

        self.meetingLayout.addWidget(self.meetingForceRadio)


        self.policyLayout.addWidget(self.meetingGroup)

        self.recordingsGroup = QGroupBox(self.policyPage)
        self.recordingsGroup.setObjectName(u"recordingsGroup")
        self.recordingsLayout = QVBoxLayout(self.recordingsGroup)
        self.recordingsLayout.setObjectName(u"recordingsLayout")
        self.recordingsFailRadio = QRadioButton(self.recordingsGroup)
        self.recordingsFailRadio.setObjectName(u"recordingsFailRadio")
        self.recordingsFailRadio.setChecked(True)

        self.recordingsLayout.addWidget(self.recordingsFailRadio)

        self.recordingsCloseRadio = QRadioButton(self.recordingsGroup)
        self.recordingsCloseRadio.setObjectName(u"recordingsCloseRadio")

        self.recordingsLayout.addWidget(self.recordingsCloseRadio)

        self.recordingsForceRadio = QRadioButton(self.recordingsGroup)
        self.recordingsForceRadio.setObjectName(u"recordingsForceRadio")

        self.recordingsLayout.addWidget(self.recordingsForceRadio)


        self.policyLayout.addWidget(self.recordingsGroup)

        self.errorLabel = QLabel(self.policyPage)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)
        self.errorLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.policyLayout.addWidget(self.errorLabel)

        self.policySpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.policyLayout.addItem(self.policySpacer)

        self.pages.addWidget(self.policyPage)
        self.resultPage = QWidget()
        self.resultPage.setObjectName(u"resultPage")
        self.resultLayout = QVBoxLayout(self.resultPage)
        self.resultLayout.setObjectName(u"resultLayout")
        self.resultLayout.setContentsMargins(0, 0, 0, 0)
        self.summaryLabel = QLabel(self.resultPage)
        self.summaryLabel.setObjectName(u"summaryLabel")
        self.summaryLabel.setWordWrap(True)
        self.summaryLabel.setTextFormat(Qt.TextFormat.PlainText)

        self.resultLayout.addWidget(self.summaryLabel)

        self.outcomeTable = QTableView(self.resultPage)
        self.outcomeTable.setObjectName(u"outcomeTable")
        self.outcomeTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.outcomeTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.outcomeTable.setWordWrap(False)
        self.outcomeTable.setCornerButtonEnabled(False)
        self.outcomeTable.horizontalHeader().setStretchLastSection(True)
        self.outcomeTable.verticalHeader().setVisible(False)

        self.resultLayout.addWidget(self.outcomeTable)

        self.pages.addWidget(self.resultPage)

        self.mainLayout.addWidget(self.pages)

        self.buttonRow = QHBoxLayout()
        self.buttonRow.setObjectName(u"buttonRow")
        self.busyBar = QProgressBar(DeleteRooms)
        self.busyBar.setObjectName(u"busyBar")
        self.busyBar.setMaximum(0)
        self.busyBar.setTextVisible(False)

        self.buttonRow.addWidget(self.busyBar)

        self.busyLabel = QLabel(DeleteRooms)
        self.busyLabel.setObjectName(u"busyLabel")

        self.buttonRow.addWidget(self.busyLabel)

        self.buttonSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.buttonRow.addItem(self.buttonSpacer)

        self.buttonBox = QDialogButtonBox(DeleteRooms)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.StandardButton.Cancel|QDialogButtonBox.StandardButton.Ok)

        self.buttonRow.addWidget(self.buttonBox)


        self.mainLayout.addLayout(self.buttonRow)

        QWidget.setTabOrder(self.meetingFailRadio, self.meetingWhenEndsRadio)
        QWidget.setTabOrder(self.meetingWhenEndsRadio, self.meetingForceRadio)
        QWidget.setTabOrder(self.meetingForceRadio, self.recordingsFailRadio)
        QWidget.setTabOrder(self.recordingsFailRadio, self.recordingsCloseRadio)
        QWidget.setTabOrder(self.recordingsCloseRadio, self.recordingsForceRadio)
        QWidget.setTabOrder(self.recordingsForceRadio, self.outcomeTable)
        QWidget.setTabOrder(self.outcomeTable, self.buttonBox)

        self.retranslateUi(DeleteRooms)

        self.pages.setCurrentIndex(0)


        QMetaObject.connectSlotsByName(DeleteRooms)
    # setupUi

    def retranslateUi(self, DeleteRooms):
        DeleteRooms.setWindowTitle(QCoreApplication.translate("DeleteRooms", u"Delete rooms", None))
#if QT_CONFIG(accessibility)
        DeleteRooms.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Delete rooms", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.questionLabel.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Rooms to delete", None))
#endif // QT_CONFIG(accessibility)
        self.meetingGroup.setTitle(QCoreApplication.translate("DeleteRooms", u"If a room has a meeting in progress", None))
#if QT_CONFIG(accessibility)
        self.meetingFailRadio.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Don't delete rooms with a meeting in progress", None))
#endif // QT_CONFIG(accessibility)
        self.meetingFailRadio.setText(QCoreApplication.translate("DeleteRooms", u"&Don't delete rooms with a meeting in progress", None))
#if QT_CONFIG(accessibility)
        self.meetingWhenEndsRadio.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Delete when the meeting ends", None))
#endif // QT_CONFIG(accessibility)
        self.meetingWhenEndsRadio.setText(QCoreApplication.translate("DeleteRooms", u"Delete &when the meeting ends", None))
#if QT_CONFIG(accessibility)
        self.meetingForceRadio.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"End the meeting now and delete", None))
#endif // QT_CONFIG(accessibility)
        self.meetingForceRadio.setText(QCoreApplication.translate("DeleteRooms", u"&End the meeting now and delete", None))
        self.recordingsGroup.setTitle(QCoreApplication.translate("DeleteRooms", u"If a room has recordings", None))
#if QT_CONFIG(accessibility)
        self.recordingsFailRadio.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Don't delete rooms that have recordings", None))
#endif // QT_CONFIG(accessibility)
        self.recordingsFailRadio.setText(QCoreApplication.translate("DeleteRooms", u"Do&n't delete rooms that have recordings", None))
#if QT_CONFIG(accessibility)
        self.recordingsCloseRadio.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Close the room and keep its recordings", None))
#endif // QT_CONFIG(accessibility)
        self.recordingsCloseRadio.setText(QCoreApplication.translate("DeleteRooms", u"&Close the room and keep its recordings", None))
#if QT_CONFIG(accessibility)
        self.recordingsForceRadio.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Delete the room and its recordings", None))
#endif // QT_CONFIG(accessibility)
        self.recordingsForceRadio.setText(QCoreApplication.translate("DeleteRooms", u"Delete the room and its &recordings", None))
#if QT_CONFIG(accessibility)
        self.errorLabel.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Problem", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.summaryLabel.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Summary", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.outcomeTable.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"What happened to each room", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.busyBar.setAccessibleName(QCoreApplication.translate("DeleteRooms", u"Deleting", None))
#endif // QT_CONFIG(accessibility)
        self.busyLabel.setText(QCoreApplication.translate("DeleteRooms", u"Deleting\u2026", None))
    # retranslateUi

