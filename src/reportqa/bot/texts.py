"""What the bot says in its own words, in Chinese and English."""

from __future__ import annotations

from telegram import BotCommand

HELP = {
    "zh": (
        "<b>法治政府建设报告问答</b>\n"
        "直接发送问题即可，例如：\n"
        "• 哪些单位在2021年开展了执法培训\n"
        "• 应急局 2021 普法\n"
        "• 玉龙镇公共服务中心有多少个窗口\n"
        "也可以用英文提问：which units hired legal advisers\n\n"
        "每条结果注明单位、年度、日期和章节；按钮可翻页、查看全文、查看报告目录、分享。\n"
        "在群里：用 /ask 问题，或 @我，或回复我的消息。\n"
        "在任意聊天中输入 @{bot} 问题，可把带出处的摘录分享出去。\n\n"
        "/units 单位列表 · /years 年度 · /unit 名称 某单位的报告"
    ),
    "en": (
        "<b>Q&amp;A over government work reports (法治政府建设情况报告)</b>\n"
        "Send a question, for example:\n"
        "• which units held enforcement training in 2021\n"
        "• 哪些单位聘请了法律顾问\n"
        "Answers are the reports' own Chinese passages, each cited with unit, year, date and section; "
        "buttons page through results, show the full section, the report outline, or share.\n"
        "In groups: /ask question, mention me, or reply to me.\n"
        "In any chat: type @{bot} question to share a cited excerpt.\n\n"
        "/units units · /years years · /unit name that unit's reports"
    ),
}

INLINE_HELP_TITLE = {"zh": "输入问题，分享带出处的摘录", "en": "Type a question to share a cited excerpt"}
INLINE_HELP_BODY = {
    "zh": "用法：在任意聊天中输入 @{bot} 执法培训，然后选择一条结果发送。",
    "en": "Usage: type @{bot} enforcement training in any chat, then pick a result to send it.",
}

MESSAGES = {
    "refused": ("抱歉，您没有使用本机器人的权限。如需使用，请联系管理员。",
                "Sorry, you are not allowed to use this bot. Please ask an administrator."),
    "rate_limited": ("提问太频繁了，请 {seconds} 秒后再试。", "Too many questions; please try again in {seconds} s."),
    "ask_usage": ("用法：/ask 问题，例如 /ask 哪些单位开展了执法培训",
                  "Usage: /ask question, e.g. /ask which units held enforcement training"),
    "empty_question": ("请发送一个问题，例如：哪些单位开展了执法培训",
                       "Please send a question, e.g. enforcement training"),
    "cut": ("（问题过长，只按前 {n} 个字检索）", "(question too long: searched its first {n} characters)"),
    "error": ("抱歉，处理时出错了，请稍后再试。", "Sorry, something went wrong. Please try again later."),
    "expired": ("这个按钮已过期，请重新提问。", "This button has expired; please ask again."),
    "bad_button": ("无效的按钮。", "Invalid button."),
    "gone": ("该段落已不在索引中（报告已更新），请重新提问。", "That passage is no longer indexed; please ask again."),
    "no_more": ("没有更多结果了。", "No more results."),
    "admins_only": ("此命令仅限管理员使用。", "This command is for administrators."),
    "unit_usage": ("用法：/unit 单位名称（可只写一部分，如 /unit 应急）", "Usage: /unit name (part of it is fine)"),
    "no_unit": ("没有名称包含“{name}”的单位。已收录的单位：{units}",
                "No unit's name contains “{name}”. Units indexed: {units}"),
}


def say(key: str, english: bool, **values: object) -> str:
    zh, en = MESSAGES[key]
    return (en if english else zh).format(**values)


COMMANDS = {
    "zh": [
        BotCommand("ask", "提问（群聊中使用）"),
        BotCommand("units", "已收录的单位"),
        BotCommand("years", "已收录的年度"),
        BotCommand("unit", "某单位的报告"),
        BotCommand("help", "使用说明"),
        BotCommand("stats", "使用统计（管理员）"),
    ],
    "en": [
        BotCommand("ask", "ask a question (in groups)"),
        BotCommand("units", "units indexed"),
        BotCommand("years", "years indexed"),
        BotCommand("unit", "one unit's reports"),
        BotCommand("help", "how to use"),
        BotCommand("stats", "usage statistics (admins)"),
    ],
}
