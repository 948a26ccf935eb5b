"""The Telegram bot: ``python bot.py`` (settings from REPORTQA_* variables, .env, config/)."""

from reportqa.bot.app import main

if __name__ == "__main__":
    raise SystemExit(main())
