"""Numbers as reports and questions write them: Chinese numerals (二〇二一, 二十三) and figures (23次, 98%,
1.5万余人次), defined once for ingest (dates and years), answers (figures asked for, compared, counted)
and present (the excerpt around a figure)."""

from __future__ import annotations

import re

CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "o": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_YEAR_CHARS = "〇零○Ｏ一二三四五六七八九"

# a figure: 23次, 98%, 1.5万余人次, 31个工作日 (its unit and 余 belong to it), never a year (2021年)
FIGURE = re.compile(r"(?<![\d.])(?!(?:19|20)\d{2}\s*年)\d+(?:\.\d+)?(?:\s*(?:%|％|‰))?(?:余|多)?"
                    r"(?:个工作日|人次|万|亿|千)?"
                    r"(?:个|次|场|人|件|项|名|期|份|元|家|条|部|批|户|所|天|年|月|小时|分钟|台|辆|块|册|处|起|宗)?")
# a figure written in words with its unit: 三位律师, 两期培训 (what an achievement counts too)
SPOKEN_FIGURE = re.compile(r"[一二三四五六七八九十两百千万]+"
                           r"(?:%|个|次|场|人|件|项|名|位|万|亿|期|份|元|家|余|条|部|批|户|所)")


def cn_number(text: str) -> int:
    """十一 → 11, 二十三 → 23, 三十 → 30 (numbers up to 99)."""
    if "十" not in text:
        return CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[units] if units else 0)


def year_value(text: str) -> int:
    """2021, or 二〇二一 → 2021."""
    if text.isdigit():
        return int(text)
    return int("".join(str(CN_DIGITS.get(ch, ch)) for ch in text))
