"""The meeting window's parts: video tiles and their layout, the chat and the participants panels."""
