"""``reportqa chat``: the bot's replies in the terminal, buttons included.

Each reply is what the bot would send, as plain text (bold as 【】), followed by the buttons the bot
would put under it as numbered actions: typing the number presses the button. Commands forgive
spacing and case (``全文4``, ``全文 4``, ``full 4``), ``/help`` and ``help`` are help, not questions; a
result number from any page of the current question still works after paging on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reportqa.answers.compose import Answer, answer_parsed
from reportqa.conversations.turns import DEFAULT_TTL_SECONDS, Context, answer_turn, turn_messages
from reportqa.present.actions import answer_buttons
from reportqa.present.render import esc, html_to_text, render_answer_html, render_outline_html, render_passage_html
from reportqa.retrieval.searcher import Result, SearchIndex

CHAT_HELP = """Type a question (中文 or English). Under each answer its buttons are numbered: type the number
to press one. Commands:
  more / 更多 / 下一页        the next page          back / 上一页   the previous page
  全文 N / full N            the whole section of result N (any page of this question)
  目录 N / outline N         the outline of result N's report
  原文 N / file N            where result N's report file is
  clear / 清除               forget the question     help / 帮助      this text
  quit / 退出                leave
Follow-ups refine the last question: 那2023年呢, 玉龙镇呢, 只看培训的, 第二条详细说说, 还有吗, 它明年打算怎么做."""

_COMMAND = re.compile(r"^/?(?P<word>[a-z]+|[\u4e00-\u9fff]{2,3})\s*(?P<number>\d{1,4})?$", re.IGNORECASE)
_PRESS = re.compile(r"^[\[#＃]?(?P<n>\d{1,3})[\]]?$")
WORDS = {
    "help": "help", "帮助": "help", "start": "help", "h": "help",
    "more": "next", "更多": "next", "下一页": "next", "next": "next", "n": "next",
    "back": "prev", "prev": "prev", "previous": "prev", "上一页": "prev", "p": "prev",
    "full": "full", "全文": "full",
    "outline": "outline", "目录": "outline",
    "file": "file", "原文": "file",
    "clear": "clear", "清除": "clear", "清空": "clear", "reset": "clear",
}
QUIT_WORDS = frozenset({"quit", "exit", "退出", "q", "/quit"})


@dataclass
class Action:
    label: str
    kind: str  # what pressing it does: page | full | outline | file | export | vote | share
    value: int | str = 0


@dataclass
class ChatSession:
    """One terminal conversation: the current question's answer, every result it has shown, and the
    buttons under the last reply."""

    searcher: SearchIndex
    page_size: int
    answer: Answer | None = None
    shown: dict[int, Result] = field(default_factory=dict)  # rank → result, over every page seen
    actions: list[Action] = field(default_factory=list)
    context: Context | None = None  # the conversation's last question, for follow-ups
    ttl_seconds: float = DEFAULT_TTL_SECONDS

    async def turn(self, line: str) -> str:
        """One line typed → what the bot would send, as plain text."""
        line = line.strip()
        press = _PRESS.match(line)
        if press and self.actions and 1 <= int(press["n"]) <= len(self.actions):
            return await self._press(self.actions[int(press["n"]) - 1])
        command = _COMMAND.match(line)
        what = WORDS.get(command["word"].lower()) if command else None
        if command and what is not None:
            number = int(command["number"]) if command["number"] else None
            return await self._command(what, number)
        if line.startswith("/"):
            return f"没有这个命令：{line.split()[0]}（help 查看可用的命令）"
        return await self._ask(line)

    async def _command(self, what: str, number: int | None) -> str:
        if what == "help":
            return CHAT_HELP
        if what == "clear":
            self.answer, self.shown, self.actions, self.context = None, {}, [], None
            return "已清除。请提问。"
        if self.answer is None:
            return "先问一个问题。"
        if what in {"next", "prev"}:
            step = self.page_size if what == "next" else -self.page_size
            offset = self.answer.offset + step
            if offset < 0:
                return "已经是第一页。"
            if offset >= self.answer.total:
                return "没有更多结果了。"
            return await self._page(offset)
        rank = number if number is not None else (self.answer.results[0].rank if self.answer.results else 1)
        result = self.shown.get(rank)
        if result is None:
            first, last = min(self.shown, default=0), max(self.shown, default=0)
            return f"没有第 {rank} 条结果（这个问题已显示第 {first}–{last} 条）。"
        return await self._press(Action("", what, result.passage_id if what == "full" else result.report.id))

    async def _ask(self, question: str) -> str:
        """A question, or a follow-up of the last one (那2023年呢, 第二条详细说说, 还有吗)."""
        turn = await answer_turn(self.searcher, question, self.context, self.page_size, ttl=self.ttl_seconds)
        self.context = turn.context
        if turn.answer is None:  # one result in full, or a note: the last answer's buttons stay
            return "\n\n".join(html_to_text(m) for m in turn_messages(turn, False))
        if turn.followup is None or turn.followup.kind != "more":
            self.shown = {}
        self.answer = turn.answer
        lead = esc(turn.followup.lead(turn.answer.question.language == "en")) if turn.followup else ""
        return self._reply(turn.answer, lead)

    async def _page(self, offset: int) -> str:
        assert self.answer is not None
        answer = await answer_parsed(self.searcher, self.answer.question, self.page_size, offset)
        self.answer = answer
        return self._reply(answer)

    def _reply(self, answer: Answer, lead: str = "") -> str:
        self.shown.update({r.rank: r for r in answer.results})
        self.actions = actions_of(answer, self.page_size)
        text = html_to_text(render_answer_html(answer, answer.question.language == "en", lead=lead))
        return f"{text}\n\n{actions_line(self.actions)}" if self.actions else text

    async def _press(self, action: Action) -> str:
        if action.kind == "page":
            return await self._page(int(action.value))
        if action.kind == "full":
            result = await self.searcher.passage(int(action.value))
            if result is None:
                return "该段落已不在索引中，请重新提问。"
            return "\n\n".join(html_to_text(m) for m in render_passage_html(result))
        if action.kind == "outline" or action.kind == "file":
            report = self.searcher.reports.get(int(action.value))
            if report is None:
                return "该报告已不在索引中，请重新提问。"
            if action.kind == "file":  # its path in the folder the index was built from
                return f"📎 原文文件：{report.source}（报告文件夹中的路径；在 Telegram 中按 📎 会发送文件本身）"
            sections = [p.section for p in await self.searcher.report_sections(report.id)]
            return html_to_text(render_outline_html(report, sections))
        if action.kind == "export":
            return "📊 完整结果的文件：reportqa ask 问题 --export 文件.xlsx（或 .docx、.csv）"
        if action.kind == "vote":
            return "（👍/👎 在 Telegram 中记录；终端里不记录）"
        return f"↗ 分享：在任意 Telegram 聊天中输入 @机器人 {action.value}"


def actions_of(answer: Answer, page_size: int) -> list[Action]:
    """The buttons every channel puts under this answer (``present/actions.answer_buttons``), as choices."""
    kinds = {"fs": "full", "ol": "outline", "sf": "file", "pg": "page", "ex": "export", "fb": "vote"}
    actions: list[Action] = []
    for row in answer_buttons(answer, "chat", page_size, answer.question.language):
        for button in row:
            data = button.data
            if data is None:  # ↗ share: a question to ask in another chat
                actions.append(Action(button.label, "share", str(button.share or "")))
                continue
            prefix, _, rest = data.partition(":")
            value: int | str = rest.rsplit(":", 1)[-1]
            if prefix in {"fs", "ol", "sf", "pg"}:
                value = int(str(value))
            actions.append(Action(button.label, kinds.get(prefix, "vote"), value))
    return actions


def actions_line(actions: list[Action]) -> str:
    return "  ".join(f"[{i}] {a.label}" for i, a in enumerate(actions, start=1))
