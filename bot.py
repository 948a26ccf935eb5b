"""The Telegram bot: ``python bot.py`` (settings from REPORTQA_* variables, .env, config/)."""

from reportqa.interrupts import quiet_interrupts

if __name__ == "__main__":
    quiet_interrupts()  # Ctrl-C while the bot's modules load: one line and exit 130, not a traceback
    from reportqa.channels.telegram.app import main

    raise SystemExit(main())
