"""``python -m bot`` is the same program as the ``migrant-bot`` console script."""

import sys

from bot.cli import main

sys.exit(main())
