"""Answers and the bot's own words as text: what any channel shows (ARCHITECTURE.md's ``present/``)."""
