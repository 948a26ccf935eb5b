"""The Telegram bot: handlers, keyboards, inline mode, access control, state in SQLite."""
