"""Client side of MeetDesk, without widgets: the REST client, and later signalling and media."""
