"""The operator's handles on a running bot, whatever messenger it speaks (issue 32).

- **One JSON line per question** on the ``reportqa.questions`` logger: time, channel, chat kind,
  intent, filters, hits, latency, empty or not, and the question itself — never a token, never any
  other text of the chat.
- **Prometheus metrics** (``prometheus-client``, a registry of its own): questions by channel and
  intent, empty answers, a latency histogram, votes, refused attempts, the served index's reports,
  passages, size and age.
- **Health**: 200 while the index loads and every channel's messenger has been heard from lately
  (a poll answered, a webhook checked, an update received), else 503 with the reasons.

A channel (Telegram now; WeCom and DingTalk later) reports into one ``Monitor``: ``question``,
``vote``, ``refused``, and ``heard`` / ``trouble`` for its link to the messenger. ``serve`` puts
``/metrics`` and ``/health`` on ``REPORTQA_METRICS_LISTEN:REPORTQA_METRICS_PORT`` in the process's own
event loop (tornado, which python-telegram-bot's webhook server already brings).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from reportqa.errors import IndexDamaged

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer

    from reportqa.retrieval.serving import IndexHolder

question_log = logging.getLogger("reportqa.questions")
log = logging.getLogger(__name__)

# seconds; a cold question over a large index takes ~1 s, a warm one a few ms (benchmarks/RESULTS.md)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class QuestionEvent:
    """One question answered, as any channel reports it."""

    channel: str  # telegram | wecom | dingtalk …
    chat_kind: str  # private | group | supergroup | inline …
    intent: str  # units | passages | overview | followup …
    filters: dict
    hits: int  # results (units for a units answer) the answer holds
    latency_ms: float
    question: str

    @property
    def empty(self) -> bool:
        return self.hits == 0

    def log_line(self, now: float | None = None) -> str:
        """The question's one JSON log line."""
        at = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.UTC)
        return json.dumps({"time": at.isoformat(timespec="milliseconds"), "event": "question",
                           "channel": self.channel, "chat": self.chat_kind, "intent": self.intent,
                           "filters": self.filters, "hits": self.hits, "empty": self.empty,
                           "latency_ms": round(self.latency_ms, 1), "question": self.question},
                          ensure_ascii=False, sort_keys=False)


@dataclass
class Link:
    """What a channel last heard from its messenger."""

    last_heard: float | None = None
    last_trouble: str | None = None
    down: str | None = None  # a long connection known to be down now (why, and when it is tried again)


@dataclass(frozen=True)
class IndexFacts:
    reports: int
    passages: int
    size_bytes: int
    built_at: float  # when the served generation was written (its manifest's time)


def generation_facts(generation: Path, reports: int, passages: int) -> IndexFacts:
    """Size on disk and build time of a served generation (its files, hard links counted once each)."""
    size = 0
    built = 0.0
    with os.scandir(generation) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                size += info.st_size
                if entry.name == "MANIFEST.json":
                    built = info.st_mtime
    return IndexFacts(reports, passages, size, built or generation.stat().st_mtime)


@dataclass
class Monitor:
    """Metrics, health and the question log of one bot process."""

    holder: IndexHolder | None = None
    stale_seconds: float = 180.0
    clock: Callable[[], float] = time.time
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    links: dict[str, Link] = field(default_factory=dict)
    started: float = field(default=0.0)
    _facts: tuple[str, IndexFacts] | None = None

    def __post_init__(self) -> None:
        self.started = self.clock()
        r = self.registry
        self.questions = Counter("reportqa_questions", "Questions answered", ["channel", "intent"], registry=r)
        self.empty = Counter("reportqa_empty_answers", "Questions answered with nothing found", ["channel", "intent"],
                             registry=r)
        self.latency = Histogram("reportqa_question_seconds", "Time from a question to its answer",
                                 ["channel"], buckets=LATENCY_BUCKETS, registry=r)
        self.votes = Counter("reportqa_votes", "Votes on answers", ["channel", "vote"], registry=r)
        self.refusals = Counter("reportqa_refused", "Attempts by users the allowlist does not admit", ["channel"],
                                registry=r)
        self.index_reports = Gauge("reportqa_index_reports", "Reports in the served index", registry=r)
        self.index_passages = Gauge("reportqa_index_passages", "Passages in the served index", registry=r)
        self.index_bytes = Gauge("reportqa_index_size_bytes", "Size of the served index generation on disk", registry=r)
        self.index_age = Gauge("reportqa_index_age_seconds", "Seconds since the served index was built", registry=r)
        self.up = Gauge("reportqa_healthy", "1 while /health says 200", registry=r)

    # -- what channels report --------------------------------------------------------------------

    def question(self, event: QuestionEvent) -> None:
        question_log.info(event.log_line(self.clock()))
        self.questions.labels(event.channel, event.intent).inc()
        if event.empty:
            self.empty.labels(event.channel, event.intent).inc()
        self.latency.labels(event.channel).observe(event.latency_ms / 1000)

    def vote(self, channel: str, helpful: bool) -> None:
        self.votes.labels(channel, "helpful" if helpful else "unhelpful").inc()

    def refused(self, channel: str) -> None:
        self.refusals.labels(channel).inc()

    def watch(self, channel: str) -> None:
        """A channel whose link to its messenger /health checks."""
        self.links.setdefault(channel, Link())

    def heard(self, channel: str) -> None:
        """The messenger answered (a poll returned, the webhook was found set, an update came)."""
        link = self.links.setdefault(channel, Link())
        link.last_heard = self.clock()
        link.last_trouble = None
        link.down = None

    def trouble(self, channel: str, reason: str) -> None:
        self.links.setdefault(channel, Link()).last_trouble = reason[:300]

    def down(self, channel: str, reason: str) -> None:
        """A long connection (WeCom, DingTalk) is down: /health says so at once, until it is heard again."""
        link = self.links.setdefault(channel, Link())
        link.down = link.last_trouble = reason[:300]

    # -- what the operator reads -----------------------------------------------------------------

    async def index_problem(self) -> str | None:
        """Why the index does not load, or None (and the index gauges brought up to date)."""
        if self.holder is None:
            return None
        try:
            searcher = await self.holder.get()
        except IndexDamaged as exc:
            return f"index: {exc}"
        except Exception as exc:  # no index and none can be built, a folder gone …
            return f"index: cannot be loaded ({type(exc).__name__}: {exc})"
        name = searcher.generation.name
        if self._facts is None or self._facts[0] != name:
            try:
                self._facts = (name, generation_facts(searcher.generation, len(searcher.reports),
                                                      int(searcher.passage_count)))
            except OSError as exc:
                return f"index: its files cannot be read ({exc.strerror or exc})"
        facts = self._facts[1]
        self.index_reports.set(facts.reports)
        self.index_passages.set(facts.passages)
        self.index_bytes.set(facts.size_bytes)
        self.index_age.set(max(0.0, self.clock() - facts.built_at))
        return None

    def link_problems(self) -> list[str]:
        now = self.clock()
        problems = []
        for channel, link in sorted(self.links.items()):
            if link.down is not None:
                problems.append(f"{channel}: {link.down}")
                continue
            since = link.last_heard if link.last_heard is not None else self.started
            if now - since > self.stale_seconds:
                heard = (f"nothing heard from it for {now - since:.0f} s" if link.last_heard is not None
                         else f"nothing heard from it since the bot started {now - since:.0f} s ago")
                trouble = f" (last error: {link.last_trouble})" if link.last_trouble else ""
                problems.append(f"{channel}: {heard}{trouble}")
        return problems

    async def health(self) -> tuple[int, str]:
        """(200, "ok …") or (503, the reasons, one a line)."""
        problems = [p for p in [await self.index_problem()] if p] + self.link_problems()
        self.up.set(0 if problems else 1)
        if problems:
            return 503, "\n".join(problems) + "\n"
        facts = self._facts[1] if self._facts else None
        served = f" — index {facts.reports} reports, {facts.passages} passages" if facts else ""
        return 200, f"ok{served}\n"

    async def metrics(self) -> bytes:
        await self.health()  # the index gauges and reportqa_healthy as of this scrape
        return generate_latest(self.registry)

    # -- the HTTP endpoint -----------------------------------------------------------------------

    def serve(self, listen: str, port: int) -> HTTPServer:
        """``/metrics`` and ``/health`` on ``listen:port`` in the running event loop (raises OSError
        when the port is taken: the bot then stops loudly, as for a webhook port)."""
        from tornado.httpserver import HTTPServer
        from tornado.web import Application, RequestHandler

        monitor = self

        class Metrics(RequestHandler):
            async def get(self) -> None:
                self.set_header("Content-Type", CONTENT_TYPE_LATEST)
                self.write(await monitor.metrics())

        class Health(RequestHandler):
            async def get(self) -> None:
                status, text = await monitor.health()
                self.set_status(status)
                self.set_header("Content-Type", "text/plain; charset=utf-8")
                self.write(text)

        server = HTTPServer(Application([(r"/metrics", Metrics), (r"/health", Health)]), xheaders=False)
        server.listen(port, address=listen)
        log.info("metrics at http://%s:%d/metrics, health at /health", listen, port)
        return server


def question_log_to(stream: object) -> None:
    """The question log as bare JSON lines on ``stream`` (no time/level prefix: each line parses as
    JSON), apart from the other log lines; ``python bot.py`` sends it to standard error."""
    handler = logging.StreamHandler(stream)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(message)s"))
    question_log.addHandler(handler)
    question_log.setLevel(logging.INFO)
    question_log.propagate = False
