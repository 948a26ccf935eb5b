"""DingTalk (钉钉): the robot over Stream mode (stream.py)."""
