"""Persistence on SQLAlchemy Core (async): SQLite by default, any engine with an async driver otherwise."""

from meetdesk.server.store.db import Database

__all__ = ["Database"]
