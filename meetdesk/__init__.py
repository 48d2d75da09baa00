"""MeetDesk: a desktop meeting client and administration app with its own bundled server."""

__version__ = "0.1.0"
