"""The bot: ``python bot.py`` starts every messenger whose credentials are set — Telegram, WeCom
(企业微信), DingTalk (钉钉) — on one core (settings from REPORTQA_* variables, .env, config/)."""

from reportqa.interrupts import quiet_interrupts

if __name__ == "__main__":
    quiet_interrupts()  # Ctrl-C while the bot's modules load: one line and exit 130, not a traceback
    from reportqa.launch import main

    raise SystemExit(main())
