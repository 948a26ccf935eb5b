"""The bot's help texts and command menu; its messages are in the one catalog (``present/catalog.py``)."""

from __future__ import annotations

from telegram import BotCommand

from reportqa.domain.lang import lang_of
from reportqa.present.catalog import reason_text
from reportqa.present.catalog import say as catalog_say

HELP = {
    "zh": (
        "<b>法治政府建设报告问答</b>\n"
        "直接发送问题即可，例如：\n"
        "• 哪些单位在2021年开展了执法培训\n"
        "• 应急局 2021 普法\n"
        "• 玉龙镇公共服务中心有多少个窗口\n"
        "也可以用英文提问：which units hired legal advisers\n\n"
        "每条结果注明单位、年度、日期和章节；按钮可翻页、查看全文、目录、📎 原文文件、分享，"
        "👍/👎 告诉我答得对不对。\n"
        "在群里：用 /ask 问题，或 @我，或回复我的消息。\n"
        "在任意聊天中输入 @{bot} 问题，可把带出处的摘录分享出去。\n"
        "/scope 大足区（或 /scope 应急管理局 2021-2023）：此后的问题只在这个范围内回答，/scope off 取消；"
        "群里由管理员设置。\n"
        "/subscribe 执法培训：收录的新报告中有相关内容时通知本聊天；/subscriptions 查看和退订。\n\n"
        "/units 单位列表 · /years 年度 · /unit 名称 某单位的报告 · /scope 范围"
    ),
    "en": (
        "<b>Q&amp;A over government work reports (法治政府建设情况报告)</b>\n"
        "Send a question, for example:\n"
        "• which units held enforcement training in 2021\n"
        "• 哪些单位聘请了法律顾问\n"
        "Answers are the reports' own Chinese passages, each cited with unit, year, date and section; "
        "buttons page through results, show the full section, the report outline, send 📎 the report file, "
        "or share; 👍/👎 tell me whether the answer was right.\n"
        "In groups: /ask question, mention me, or reply to me.\n"
        "In any chat: type @{bot} question to share a cited excerpt.\n"
        "/scope 大足区 (or /scope 应急管理局 2021-2023): later questions are answered within it, /scope off "
        "ends it; in groups administrators set it.\n"
        "/subscribe 执法培训: be told here when newly indexed reports answer it; /subscriptions to see or end them.\n\n"
        "/units units · /years years · /unit name that unit's reports · /scope scope"
    ),
}

INLINE_HELP_TITLE = {"zh": "输入问题，分享带出处的摘录", "en": "Type a question to share a cited excerpt"}
INLINE_HELP_BODY = {
    "zh": "用法：在任意聊天中输入 @{bot} 执法培训，然后选择一条结果发送。",
    "en": "Usage: type @{bot} enforcement training in any chat, then pick a result to send it.",
}

def warning_text(warning: str, english: bool) -> str:
    """An indexer's warning about a report (English in the index and the JSON) in the reader's language."""
    return reason_text(warning, lang_of(english))


def say(key: str, english: bool, **values: object) -> str:
    """``present/catalog.say`` for the bot's ``english`` flag."""
    return catalog_say(key, lang_of(english), **values)


COMMANDS = {
    "zh": [
        BotCommand("ask", "提问（群聊中使用）"),
        BotCommand("units", "已收录的单位"),
        BotCommand("years", "已收录的年度"),
        BotCommand("unit", "某单位的报告"),
        BotCommand("scope", "本聊天的回答范围"),
        BotCommand("subscribe", "订阅：新报告有相关内容时通知"),
        BotCommand("subscriptions", "本聊天的订阅"),
        BotCommand("help", "使用说明"),
        BotCommand("whoami", "我的用户 ID（发给管理员以获准使用）"),
        BotCommand("stats", "使用统计（管理员）"),
        BotCommand("reindex", "重新扫描报告文件夹（管理员）"),
        BotCommand("remove", "移除一份报告（管理员）"),
    ],
    "en": [
        BotCommand("ask", "ask a question (in groups)"),
        BotCommand("units", "units indexed"),
        BotCommand("years", "years indexed"),
        BotCommand("unit", "one unit's reports"),
        BotCommand("scope", "this chat's scope"),
        BotCommand("subscribe", "be told when new reports answer a question"),
        BotCommand("subscriptions", "this chat's subscriptions"),
        BotCommand("help", "how to use"),
        BotCommand("whoami", "your user id (for an administrator to let you in)"),
        BotCommand("stats", "usage statistics (admins)"),
        BotCommand("reindex", "rescan the reports folder (admins)"),
        BotCommand("remove", "take a report out (admins)"),
    ],
}
