"""Theming: the server theme turned into palette and stylesheet, the theme editor and its preview."""
