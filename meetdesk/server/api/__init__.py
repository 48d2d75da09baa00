"""HTTP routes: the public API (``/api/v1``) and the internal API for the desktop app (``/internal-api/v1``)."""
