"""The desktop app: the only package that imports QtWidgets (views, view-models, theming)."""
