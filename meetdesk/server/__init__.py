"""The bundled MeetDesk server: REST API, store, meetings, scheduler. Never imports Qt."""
