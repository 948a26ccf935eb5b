"""What any chat channel keeps of a conversation: follow-ups of the last answer (followup.py, turns.py)."""
