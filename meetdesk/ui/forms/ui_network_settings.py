# Generated from ui/network_settings.ui by ui/build.py — do not edit.
# Edit the source and run `make forms`.
# Source SHA-256: 05f90b4b92bbd180f5e4e4a3d8c21ec16470cd511939ecbdf350552f4e81b811
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'network_settings.ui'
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
    QDialog, QDialogButtonBox, QFormLayout, QLabel,
    QSizePolicy, QVBoxLayout, QWidget)

class Ui_NetworkSettingsDialog(object):
    def setupUi(self, NetworkSettingsDialog):
        if not NetworkSettingsDialog.objectName():
            NetworkSettingsDialog.setObjectName(u"NetworkSettingsDialog")
        self.outerLayout = QVBoxLayout(NetworkSettingsDialog)
        self.outerLayout.setObjectName(u"outerLayout")
        self.introLabel = QLabel(NetworkSettingsDialog)
        self.introLabel.setObjectName(u"introLabel")
        self.introLabel.setWordWrap(True)

        self.outerLayout.addWidget(self.introLabel)

        self.shareCheck = QCheckBox(NetworkSettingsDialog)
        self.shareCheck.setObjectName(u"shareCheck")

        self.outerLayout.addWidget(self.shareCheck)

        self.formLayout = QFormLayout()
        self.formLayout.setObjectName(u"formLayout")
        self.formLayout.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.listenLabel = QLabel(NetworkSettingsDialog)
        self.listenLabel.setObjectName(u"listenLabel")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.LabelRole, self.listenLabel)

        self.listenCombo = QComboBox(NetworkSettingsDialog)
        self.listenCombo.setObjectName(u"listenCombo")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.FieldRole, self.listenCombo)

        self.listenError = QLabel(NetworkSettingsDialog)
        self.listenError.setObjectName(u"listenError")
        self.listenError.setWordWrap(True)

        self.formLayout.setWidget(1, QFormLayout.ItemRole.FieldRole, self.listenError)

        self.addressLabel = QLabel(NetworkSettingsDialog)
        self.addressLabel.setObjectName(u"addressLabel")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.LabelRole, self.addressLabel)

        self.addressCombo = QComboBox(NetworkSettingsDialog)
        self.addressCombo.setObjectName(u"addressCombo")
        self.addressCombo.setEditable(True)

        self.formLayout.setWidget(2, QFormLayout.ItemRole.FieldRole, self.addressCombo)

        self.addressError = QLabel(NetworkSettingsDialog)
        self.addressError.setObjectName(u"addressError")
        self.addressError.setWordWrap(True)

        self.formLayout.setWidget(3, QFormLayout.ItemRole.FieldRole, self.addressError)

        self.linkLabel = QLabel(NetworkSettingsDialog)
        self.linkLabel.setObjectName(u"linkLabel")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.LabelRole, self.linkLabel)

        self.linkPreview = QLabel(NetworkSettingsDialog)
        self.linkPreview.setObjectName(u"linkPreview")
        self.linkPreview.setWordWrap(True)
        self.linkPreview.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.formLayout.setWidget(4, QFormLayout.ItemRole.FieldRole, self.linkPreview)

        self.fingerprintLabel = QLabel(NetworkSettingsDialog)
        self.fingerprintLabel.setObjectName(u"fingerprintLabel")

        self.formLayout.setWidget(5, QFormLayout.ItemRole.LabelRole, self.fingerprintLabel)

        self.fingerprintValue = QLabel(NetworkSettingsDialog)
        self.fingerprintValue.setObjectName(u"fingerprintValue")
        self.fingerprintValue.setWordWrap(True)
        self.fingerprintValue.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.formLayout.setWidget(5, QFormLayout.ItemRole.FieldRole, self.fingerprintValue)


        self.outerLayout.addLayout(self.formLayout)

        self.noteLabel = QLabel(NetworkSettingsDialog)
        self.noteLabel.setObjectName(u"noteLabel")
        self.noteLabel.setWordWrap(True)

        self.outerLayout.addWidget(self.noteLabel)

        self.errorLabel = QLabel(NetworkSettingsDialog)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.outerLayout.addWidget(self.errorLabel)

        self.buttonBox = QDialogButtonBox(NetworkSettingsDialog)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Save)

        self.outerLayout.addWidget(self.buttonBox)

#if QT_CONFIG(shortcut)
        self.listenLabel.setBuddy(self.listenCombo)
        self.addressLabel.setBuddy(self.addressCombo)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.shareCheck, self.listenCombo)
        QWidget.setTabOrder(self.listenCombo, self.addressCombo)

        self.retranslateUi(NetworkSettingsDialog)

        QMetaObject.connectSlotsByName(NetworkSettingsDialog)
    # setupUi

    def retranslateUi(self, NetworkSettingsDialog):
        NetworkSettingsDialog.setWindowTitle(QCoreApplication.translate("NetworkSettingsDialog", u"Share on the network", None))
#if QT_CONFIG(accessibility)
        NetworkSettingsDialog.setAccessibleName(QCoreApplication.translate("NetworkSettingsDialog", u"Share on the network", None))
#endif // QT_CONFIG(accessibility)
        self.introLabel.setText(QCoreApplication.translate("NetworkSettingsDialog", u"Off, the server on this computer is reached from this computer only, and so are its room links. On, people on your network join with links that name the address below; the server then speaks only encrypted HTTPS, with a certificate of its own whose fingerprint every link carries.", None))
        self.shareCheck.setText(QCoreApplication.translate("NetworkSettingsDialog", u"&Share this computer's server on the network", None))
#if QT_CONFIG(accessibility)
        self.shareCheck.setAccessibleName(QCoreApplication.translate("NetworkSettingsDialog", u"Share this computer's server on the network", None))
#endif // QT_CONFIG(accessibility)
        self.listenLabel.setText(QCoreApplication.translate("NetworkSettingsDialog", u"&Listen on", None))
#if QT_CONFIG(accessibility)
        self.listenCombo.setAccessibleName(QCoreApplication.translate("NetworkSettingsDialog", u"Network to listen on", None))
#endif // QT_CONFIG(accessibility)
        self.addressLabel.setText(QCoreApplication.translate("NetworkSettingsDialog", u"&Address others use", None))
#if QT_CONFIG(accessibility)
        self.addressCombo.setAccessibleName(QCoreApplication.translate("NetworkSettingsDialog", u"Address others reach this computer at", None))
#endif // QT_CONFIG(accessibility)
        self.linkLabel.setText(QCoreApplication.translate("NetworkSettingsDialog", u"Links", None))
        self.fingerprintLabel.setText(QCoreApplication.translate("NetworkSettingsDialog", u"Certificate", None))
#if QT_CONFIG(accessibility)
        self.errorLabel.setAccessibleName(QCoreApplication.translate("NetworkSettingsDialog", u"Problem", None))
#endif // QT_CONFIG(accessibility)
    # retranslateUi

