"""The admin half of the desktop app: main window, rooms manager, room form, delete dialog, servers."""
