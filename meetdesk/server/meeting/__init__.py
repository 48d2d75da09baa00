"""Live meetings: participants, their signalling connections, moderation, chat and media."""
