"""Kiosk mode without widgets: the kiosk's configuration, PIN, stage machine, logs, crash handler and watchdog.

The kiosk is an unattended participant in a physical meeting room (``meetdesk kiosk``). Its screens live in
:mod:`meetdesk.ui.kiosk`; everything here is plain Python that the screens, the watchdog and the tests share.
"""
