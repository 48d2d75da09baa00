"""``python -m meetdesk`` is the ``meetdesk`` command."""

import sys

from meetdesk.cli import main

sys.exit(main())
