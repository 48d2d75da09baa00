"""Recordings on screen, shared by the admin app's Recordings page and the participant window's recording view:
the recordings list model (statuses in words, live while in progress) and the download bar."""
