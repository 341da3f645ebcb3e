"""The Telegram front end: thin python-telegram-bot callbacks over the core in ``bot``.

Every handler is registered in one place, :func:`handlers.application.build_application`.
"""
