"""Forms generated from the Designer sources in ``ui/*.ui`` by ``ui/build.py`` (``make forms``).

Do not edit the ``ui_*.py`` modules here: edit the ``.ui`` file in Qt Designer and rebuild.
"""
