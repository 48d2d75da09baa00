"""Rooms on the server: the service every change of a room goes through (``service.py``)."""
