"""The kiosk's screens: the full-screen window, its home screen, the meeting, the PIN dialog."""
