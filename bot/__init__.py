"""The core of the migrant-worker policy information bot.

Nothing in this package imports ``telegram``: the Telegram handlers, the console chat, the CLI and
the tests all call the same plain functions and classes.
"""

__version__ = "0.1.0"
