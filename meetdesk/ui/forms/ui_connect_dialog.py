# Generated from ui/connect_dialog.ui by ui/build.py — do not edit.
# Edit the source and run `make forms`.
# Source SHA-256: f1a47903d5c424ef15f70cda5f3410ee76051b4f7d013c9730e12bcf70f49c64
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'connect_dialog.ui'
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
from PySide6.QtWidgets import (QAbstractButton, QApplication, QDialog, QDialogButtonBox,
    QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QRadioButton, QSizePolicy, QVBoxLayout, QWidget)

class Ui_ConnectDialog(object):
    def setupUi(self, ConnectDialog):
        if not ConnectDialog.objectName():
            ConnectDialog.setObjectName(u"ConnectDialog")
        self.outerLayout = QVBoxLayout(ConnectDialog)
        self.outerLayout.setObjectName(u"outerLayout")
        self.reasonLabel = QLabel(ConnectDialog)
        self.reasonLabel.setObjectName(u"reasonLabel")
        self.reasonLabel.setWordWrap(True)

        self.outerLayout.addWidget(self.reasonLabel)

        self.formLayout = QFormLayout()
        self.formLayout.setObjectName(u"formLayout")
        self.urlLabel = QLabel(ConnectDialog)
        self.urlLabel.setObjectName(u"urlLabel")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.LabelRole, self.urlLabel)

        self.urlEdit = QLineEdit(ConnectDialog)
        self.urlEdit.setObjectName(u"urlEdit")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.FieldRole, self.urlEdit)

        self.urlError = QLabel(ConnectDialog)
        self.urlError.setObjectName(u"urlError")
        self.urlError.setWordWrap(True)

        self.formLayout.setWidget(1, QFormLayout.ItemRole.FieldRole, self.urlError)

        self.nameLabel = QLabel(ConnectDialog)
        self.nameLabel.setObjectName(u"nameLabel")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.LabelRole, self.nameLabel)

        self.nameEdit = QLineEdit(ConnectDialog)
        self.nameEdit.setObjectName(u"nameEdit")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.FieldRole, self.nameEdit)

        self.methodLabel = QLabel(ConnectDialog)
        self.methodLabel.setObjectName(u"methodLabel")

        self.formLayout.setWidget(3, QFormLayout.ItemRole.LabelRole, self.methodLabel)

        self.methodLayout = QHBoxLayout()
        self.methodLayout.setObjectName(u"methodLayout")
        self.passwordRadio = QRadioButton(ConnectDialog)
        self.passwordRadio.setObjectName(u"passwordRadio")
        self.passwordRadio.setChecked(True)

        self.methodLayout.addWidget(self.passwordRadio)

        self.apiKeyRadio = QRadioButton(ConnectDialog)
        self.apiKeyRadio.setObjectName(u"apiKeyRadio")

        self.methodLayout.addWidget(self.apiKeyRadio)


        self.formLayout.setLayout(3, QFormLayout.ItemRole.FieldRole, self.methodLayout)

        self.userLabel = QLabel(ConnectDialog)
        self.userLabel.setObjectName(u"userLabel")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.LabelRole, self.userLabel)

        self.userEdit = QLineEdit(ConnectDialog)
        self.userEdit.setObjectName(u"userEdit")
        self.userEdit.setText(u"admin")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.FieldRole, self.userEdit)

        self.secretLabel = QLabel(ConnectDialog)
        self.secretLabel.setObjectName(u"secretLabel")

        self.formLayout.setWidget(5, QFormLayout.ItemRole.LabelRole, self.secretLabel)

        self.secretEdit = QLineEdit(ConnectDialog)
        self.secretEdit.setObjectName(u"secretEdit")
        self.secretEdit.setEchoMode(QLineEdit.Password)

        self.formLayout.setWidget(5, QFormLayout.ItemRole.FieldRole, self.secretEdit)

        self.secretError = QLabel(ConnectDialog)
        self.secretError.setObjectName(u"secretError")
        self.secretError.setWordWrap(True)

        self.formLayout.setWidget(6, QFormLayout.ItemRole.FieldRole, self.secretError)


        self.outerLayout.addLayout(self.formLayout)

        self.errorLabel = QLabel(ConnectDialog)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.outerLayout.addWidget(self.errorLabel)

        self.buttonBox = QDialogButtonBox(ConnectDialog)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Ok)

        self.outerLayout.addWidget(self.buttonBox)

#if QT_CONFIG(shortcut)
        self.urlLabel.setBuddy(self.urlEdit)
        self.nameLabel.setBuddy(self.nameEdit)
        self.userLabel.setBuddy(self.userEdit)
        self.secretLabel.setBuddy(self.secretEdit)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.urlEdit, self.nameEdit)
        QWidget.setTabOrder(self.nameEdit, self.passwordRadio)
        QWidget.setTabOrder(self.passwordRadio, self.apiKeyRadio)
        QWidget.setTabOrder(self.apiKeyRadio, self.userEdit)
        QWidget.setTabOrder(self.userEdit, self.secretEdit)

        self.retranslateUi(ConnectDialog)

        QMetaObject.connectSlotsByName(ConnectDialog)
    # setupUi

    def retranslateUi(self, ConnectDialog):
        ConnectDialog.setWindowTitle(QCoreApplication.translate("ConnectDialog", u"Connect to a server", None))
#if QT_CONFIG(accessibility)
        ConnectDialog.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Connect to a server", None))
#endif // QT_CONFIG(accessibility)
        self.urlLabel.setText(QCoreApplication.translate("ConnectDialog", u"Server &address", None))
#if QT_CONFIG(accessibility)
        self.urlEdit.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Server address", None))
#endif // QT_CONFIG(accessibility)
        self.urlEdit.setPlaceholderText(QCoreApplication.translate("ConnectDialog", u"https://meet.example.com", None))
        self.nameLabel.setText(QCoreApplication.translate("ConnectDialog", u"&Name in the list", None))
#if QT_CONFIG(accessibility)
        self.nameEdit.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Name in the list", None))
#endif // QT_CONFIG(accessibility)
        self.nameEdit.setPlaceholderText(QCoreApplication.translate("ConnectDialog", u"Optional, e.g. Office server", None))
        self.methodLabel.setText(QCoreApplication.translate("ConnectDialog", u"Sign in with", None))
        self.passwordRadio.setText(QCoreApplication.translate("ConnectDialog", u"Admin &password", None))
#if QT_CONFIG(accessibility)
        self.passwordRadio.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Sign in with the admin password", None))
#endif // QT_CONFIG(accessibility)
        self.apiKeyRadio.setText(QCoreApplication.translate("ConnectDialog", u"API &key", None))
#if QT_CONFIG(accessibility)
        self.apiKeyRadio.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Sign in with an API key", None))
#endif // QT_CONFIG(accessibility)
        self.userLabel.setText(QCoreApplication.translate("ConnectDialog", u"&User", None))
#if QT_CONFIG(accessibility)
        self.userEdit.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"User name", None))
#endif // QT_CONFIG(accessibility)
        self.secretLabel.setText(QCoreApplication.translate("ConnectDialog", u"Pass&word", None))
#if QT_CONFIG(accessibility)
        self.secretEdit.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Password or API key", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.errorLabel.setAccessibleName(QCoreApplication.translate("ConnectDialog", u"Problem", None))
#endif // QT_CONFIG(accessibility)
    # retranslateUi

