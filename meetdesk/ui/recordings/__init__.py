"""Recordings on screen, shared by the admin app's Recordings page and the participant window's recording view:
the recordings list model (statuses in words, live while in progress), the download bar, and the player (a
view-model on QtMultimedia, its widget and its window)."""
