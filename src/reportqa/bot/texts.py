"""What the bot says in its own words, in Chinese and English."""

from __future__ import annotations

from telegram import BotCommand

from reportqa.ingest.pipeline import PDF_NOTE

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
    "index_damaged": ("索引已损坏，暂时无法回答。请管理员发送 /reindex 从报告文件重建索引。",
                      "The index is damaged, so I cannot answer for now. An administrator can send /reindex to "
                      "rebuild it from the report files."),
    "expired": ("这个按钮已过期，请重新提问。", "This button has expired; please ask again."),
    "bad_button": ("无效的按钮。", "Invalid button."),
    "gone": ("该段落已不在索引中（报告已更新），请重新提问。", "That passage is no longer indexed; please ask again."),
    "no_more": ("没有更多结果了。", "No more results."),
    "exporting": ("正在生成文件…", "Making the file…"),
    "export_caption": ("完整结果：共 {n} 条", "The whole answer: {n} results"),
    "admins_only": ("此命令仅限管理员使用。", "This command is for administrators."),
    "unit_usage": ("用法：/unit 单位名称（可只写一部分，如 /unit 应急）", "Usage: /unit name (part of it is fine)"),
    "upload_refused": ("只有管理员可以添加报告；请把文件发给管理员。",
                       "Only administrators can add reports; please send the file to one."),
    "upload_type": ("不支持 {suffix} 文件，请发送 .txt、.md、.docx、.doc、.wps、.pdf、.ofd、.html 或 .mhtml。",
                    "{suffix} files are not supported; send .txt, .md, .docx, .doc, .wps, .pdf, .ofd, .html or "
                    ".mhtml."),
    "upload_size": ("文件超过 {mb} MB，无法接收。", "The file is larger than {mb} MB; it cannot be taken."),
    "upload_received": ("📥 已收到 {name}，正在读取并加入索引…", "📥 Got {name}; reading and indexing it…"),
    "upload_download_failed": ("下载文件失败，请重新发送。", "Downloading the file failed; please send it again."),
    "lib_added": ("✅ 已加入索引", "✅ Added to the index"),
    "lib_duplicate": ("ℹ️ 这份报告已在库中，未重复保存", "ℹ️ This report is already in the library; not stored twice"),
    "lib_unreadable": ("❌ 无法读取这个文件，索引未改变", "❌ The file cannot be read; the index is unchanged"),
    "lib_refused": ("❌ 未接收，索引未改变", "❌ Not taken; the index is unchanged"),
    "lib_removed": ("🗑 已移出索引（文件移到 .removed/，可恢复）",
                    "🗑 Removed from the index (the file was moved to .removed/, recoverable)"),
    "lib_not_found": ("没有找到这个报告文件", "No report file by that name"),
    "lib_ambiguous": ("有多个报告文件符合，请写得更具体", "Several report files match; please be more specific"),
    "lib_failed": ("⚠️ 处理失败，原索引继续使用", "⚠️ That failed; the previous index stays in use"),
    "reindexing": ("🔄 正在重新扫描报告文件夹…", "🔄 Rescanning the reports folder…"),
    "reindexed": ("✅ 索引已更新", "✅ Index updated"),
    "remove_usage": ("用法：/remove 文件名（可写路径、文件名或其中一部分）",
                     "Usage: /remove file (its path, file name or part of it)"),
    "inline_wait": ("输入太快了，请 {seconds} 秒后再试", "Typing faster than I may answer; wait {seconds} s"),
    "nothing_found": ("没有找到相关内容", "Nothing found"),
    "vote_up": ("谢谢！已记录 👍", "Thanks! Noted 👍"),
    "vote_down": ("已记录 👎", "Noted 👎"),
    "vote_same": ("已经记录过了", "Already noted"),
    "ask_reason": ("哪里不对？（可选，点一下即可）", "What was wrong? (optional: one tap)"),
    "reason_saved": ("谢谢，已记录：{reason}", "Thanks, noted: {reason}"),
    "vote_first": ("请先在回答下点 👎", "Press 👎 under the answer first"),
    "file_missing": ("报告文件已不在库中。", "The report file is no longer in the library."),
    "file_changed": ("报告文件在索引之后改动过，请管理员发送 /reindex 后再取。",
                     "The report file changed after it was indexed; ask an administrator to /reindex."),
    "file_too_big": ("文件超过 {mb} MB，Telegram 无法发送。", "The file is over {mb} MB; Telegram cannot send it."),
    "file_failed": ("发送文件失败，请稍后再试。", "Sending the file failed; please try again later."),
    "reply_failed": ("回答没能发出（Telegram 拒绝或超时），请再问一次。",
                     "The answer could not be sent (Telegram refused it or timed out); please ask again."),
    "state_busy": ("暂时无法保存，请稍后再试。", "That could not be saved just now; please try again in a moment."),
    "scope_none": ("本聊天没有设置范围。用法：/scope 大足区 或 /scope 应急管理局 2021-2023",
                   "This chat has no scope. Usage: /scope 大足区 or /scope 应急管理局 2021-2023"),
    "scope_is": ("本聊天的范围：{scope}（/scope off 取消）", "This chat's scope: {scope} (/scope off to end it)"),
    "scope_set": ("📌 范围已设为：{scope}（{n} 份报告）。问题另指明单位、地区或年份时，按问题回答。/scope off 取消。",
                  "📌 Scope set: {scope} ({n} reports). A question naming its own unit, place or year is answered "
                  "for that. /scope off ends it."),
    "scope_off": ("范围已取消，回答所有报告。", "Scope removed: answers come from every report."),
    "scope_admins": ("只有群管理员可以设置本群的范围。", "Only the group's administrators can set its scope."),
    "subscribe_usage": ("用法：/subscribe 主题（可加单位、地区），例如 /subscribe 执法培训 或 /subscribe 大足区 普法。"
                        "收录的新报告中有相关内容时，会在这里通知。",
                        "Usage: /subscribe topic (a unit or place may be added), e.g. /subscribe 执法培训 or "
                        "/subscribe 大足区 普法. When newly indexed reports answer it, you are told here."),
    "subscribe_vague": ("订阅需要一个主题、单位或地区，例如 /subscribe 执法培训。",
                        "A subscription needs a topic, unit or place, e.g. /subscribe enforcement training."),
    "subscribed": ("🔔 已订阅 #{id}：{question}\n收录的新报告中有相关内容时，会在这里通知（每份报告只通知一次）。"
                   "/subscriptions 查看和退订。",
                   "🔔 Subscribed #{id}: {question}\nWhen newly indexed reports answer it, you are told here (once per "
                   "report). /subscriptions to see or end them."),
    "subscribed_now": ("现有报告中已有 {n} 条相关结果，直接提问即可查看。", "The reports indexed now already give {n} "
                       "results; ask the question to see them."),
    "subscribed_missing": ("目前未收录{unit}的报告；收录后有相关内容即通知。",
                           "No reports from {unit} are indexed yet; you are told when one answers it."),
    "subscribe_again": ("本聊天已订阅过 #{id}：{question}", "This chat already has #{id}: {question}"),
    "subscribe_full": ("本聊天的订阅已达 {n} 个，请先用 /subscriptions 退订一些。",
                       "This chat has {n} subscriptions, the most it may; end some with /subscriptions first."),
    "subscribe_admins": ("只有群管理员可以管理本群的订阅。",
                         "Only the group's administrators manage its subscriptions."),
    "subscriptions_none": ("本聊天没有订阅。用法：/subscribe 执法培训", "This chat has no subscriptions. Usage: "
                           "/subscribe enforcement training"),
    "subscriptions_head": ("本聊天的订阅（{n}）：点按钮退订，或 /unsubscribe 编号",
                           "This chat's subscriptions ({n}): tap to end one, or /unsubscribe number"),
    "unsubscribe_usage": ("用法：/unsubscribe 编号（见 /subscriptions），或 /unsubscribe all",
                          "Usage: /unsubscribe number (see /subscriptions), or /unsubscribe all"),
    "unsubscribed": ("🔕 已退订 #{id}：{question}", "🔕 Ended #{id}: {question}"),
    "unsubscribed_all": ("🔕 已退订本聊天的全部 {n} 个订阅", "🔕 Ended all {n} of this chat's subscriptions"),
    "no_subscription": ("本聊天没有编号为 {id} 的订阅。", "This chat has no subscription #{id}."),
    "units_named": ("“{name}”对应 {n} 个单位，点编号看单位页：", "“{name}” fits {n} units; tap a number for its page:"),
    "units_more": ("另有 {n} 个单位未列出，请写得更具体。", "{n} more not listed; be more specific."),
    "no_unit": ("没有名称包含“{name}”的单位。已收录的单位：{units}",
                "No unit's name contains “{name}”. Units indexed: {units}"),
}


# the indexer's warnings about a report (English in the index and the CLI), as a Chinese reply shows them
WARNINGS_ZH = {
    "date taken from the publication line, not a signature": "日期取自发布行，文末没有落款日期",
    "no title found": "没有找到标题",
    "unit unknown (not stated; name it in metadata.csv)": "未识别出单位（报告中没有写明，可在 metadata.csv 中填写）",
    "year unknown": "未识别出年度",
    "no signing date found": "没有找到落款日期",
    "no headings found: the whole text is one section": "没有识别出标题层级，全文作为一节",
}


PDF_NOTE_ZH = "PDF 读取提示："


def warning_text(warning: str, english: bool) -> str:
    if english:
        return warning
    if warning.startswith(PDF_NOTE):  # the library's own words, prefixed in the user's language
        return PDF_NOTE_ZH + warning[len(PDF_NOTE):]
    return WARNINGS_ZH.get(warning, warning)


def say(key: str, english: bool, **values: object) -> str:
    zh, en = MESSAGES[key]
    return (en if english else zh).format(**values)


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
        BotCommand("stats", "usage statistics (admins)"),
        BotCommand("reindex", "rescan the reports folder (admins)"),
        BotCommand("remove", "take a report out (admins)"),
    ],
}
