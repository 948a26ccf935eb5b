"""Every knob of reportqa, in one pydantic-settings model.

Sources, highest priority first: keyword arguments, ``REPORTQA_*`` environment variables, a ``.env``
file in the working directory, then ``config/reportqa.toml``. Nothing else in the project reads
``os.environ`` (the system locale, for the command line's language, is read here too).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _bundled_root() -> Path:
    """Where the shipped ``config/`` and sample ``reports/`` live.

    An installed wheel carries them in ``reportqa/bundled``; a source checkout (or an editable
    install) has them at the repository root.
    """
    package = Path(__file__).resolve().parent
    if (package / "bundled" / "config").is_dir():
        return package / "bundled"
    return package.parents[1]


BUNDLED_ROOT = _bundled_root()
BUNDLED_CONFIG_DIR = BUNDLED_ROOT / "config"
BUNDLED_REPORTS_DIR = BUNDLED_ROOT / "reports"

IdList = Annotated[frozenset[int], NoDecode]
NameList = Annotated[frozenset[str], NoDecode]  # a platform's own user ids (WeCom userid, DingTalk staffId)


class Settings(BaseSettings):
    """reportqa's settings (environment prefix ``REPORTQA_``)."""

    model_config = SettingsConfigDict(
        env_prefix="REPORTQA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file=BUNDLED_CONFIG_DIR / "reportqa.toml",
    )

    # Telegram
    bot_token: SecretStr | None = None
    bot_api_url: str = "https://api.telegram.org/bot"
    bot_file_url: str = "https://api.telegram.org/file/bot"
    allowed_users: IdList = frozenset()
    allowed_chats: IdList = frozenset()
    admins: IdList = frozenset()
    page_size: int = Field(3, ge=1, le=10)
    rate_limit_per_minute: int = Field(20, ge=1)
    max_question_chars: int = Field(200, ge=10)
    # a follow-up (那2023年呢, 第二条详细说说) refines the chat's last question (a user's own in a group)
    # for this long after it was answered; the bot keeps it in its database, so a restart keeps it too
    conversation_minutes: float = Field(30.0, ge=0)
    # Inline mode sends a query at every pause in typing: its own budget, sized for typing (a person
    # typing three questions in a minute sends 30-60), apart from the questions' budget above;
    # answers to a query already seen (or one that only adds a half-typed word) come from a short
    # per-user cache and cost nothing
    inline_rate_limit_per_minute: int = Field(120, ge=1)
    inline_cache_seconds: float = Field(120.0, ge=0)
    # with BotFather's /setinlinefeedback off, the last query of a typing burst (no new query for
    # this long) is what goes into the question log; with it on, only the result a user picks
    inline_burst_seconds: float = Field(8.0, gt=0)
    # Subscriptions: how often the bot looks for an index built outside it (cron), how many a chat may
    # hold, and the spacing of notifications (Telegram: ~30 messages a second, 20 a minute in a group)
    notify_check_seconds: float = Field(60.0, gt=0)
    max_subscriptions_per_chat: int = Field(20, ge=1)
    notify_interval_seconds: float = Field(0.05, ge=0)
    notify_chat_interval_seconds: float = Field(3.0, ge=0)
    send_file_mb: int = Field(50, ge=1)  # 📎 sends the report file up to Telegram's upload limit
    # Every Bot API call ends within bot_request_seconds (a 50 MB upload of 📎 included); a reply Telegram
    # refuses for now (429 after its retry_after, 5xx, a timeout) is sent again within reply_retry_seconds
    # in all, then replaced by a short notice
    bot_request_seconds: float = Field(120.0, gt=0)
    reply_retry_seconds: float = Field(30.0, ge=0)
    # Webhook instead of polling (behind a reverse proxy): the public URL Telegram posts to, the
    # address and port this process listens on, and the secret Telegram sends in every request
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    webhook_check_seconds: float = Field(60.0, gt=0)  # how often the bot asks Telegram whether it still posts here

    # WeCom (企业微信) 智能机器人 over its long connection (channels/wecom/): the bot id and secret from
    # the admin console (API 模式 → 使用长连接); a private deployment (政务微信) gives its own URL (ws:// too)
    wecom_bot_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_ws_url: str = "wss://openws.work.weixin.qq.com"
    wecom_bot_name: str = ""  # the name people @mention in a group (stripped from the question)
    # a private deployment whose certificate a company CA signed: that CA's PEM file (also for the WeCom
    # app's API host); unset: the system's CAs
    wecom_ca_file: Path | None = None
    wecom_allowed_users: NameList = frozenset()  # WeCom userids; none here and none in admins: everyone
    wecom_admins: NameList = frozenset()
    # WeCom counts replies and pushes together: 30 a minute per chat (im-protocols.md 1.7, MEMO §9)
    wecom_messages_per_minute: int = Field(30, ge=1)
    # WeCom 自建应用 in callback mode (channels/wecom/callback.py), for deployments that use an app rather
    # than a 智能机器人: private chats with the app; WeCom posts each message, signed and AES-encrypted, to
    # this process (listen address, port and path behind the deployment's HTTPS proxy); replies go
    # through the API host (政务微信: its own)
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_app_secret: SecretStr | None = None
    wecom_callback_token: SecretStr | None = None
    wecom_encoding_aes_key: SecretStr | None = None
    wecom_api_url: str = "https://qyapi.weixin.qq.com"
    wecom_callback_listen: str = "127.0.0.1"
    wecom_callback_port: int = Field(8088, ge=0, le=65535)  # 0: any free port (tests)
    wecom_callback_path: str = "/wecom/callback"
    # DingTalk (钉钉) Stream mode (channels/dingtalk/): the app's Client ID (AppKey) and Client Secret;
    # a private deployment (浙政钉) gives its own hosts: the OpenAPI gateway, and the old OAPI host that
    # media uploads go to and session webhooks must come from
    dingtalk_client_id: str | None = None
    dingtalk_client_secret: SecretStr | None = None
    dingtalk_api_url: str = "https://api.dingtalk.com"
    dingtalk_oapi_url: str = "https://oapi.dingtalk.com"
    dingtalk_bot_name: str = ""
    dingtalk_ca_file: Path | None = None  # as wecom_ca_file, for a private DingTalk (浙政钉)
    dingtalk_allowed_users: NameList = frozenset()  # staffIds (senderStaffId)
    dingtalk_admins: NameList = frozenset()
    # DingTalk robots: 20 messages a minute per conversation, beyond that throttled for 10 minutes
    dingtalk_messages_per_minute: int = Field(20, ge=1)
    # The long connections (WeCom and DingTalk): a heartbeat every so often (two unanswered: the link is
    # dead), reconnection after a drop at retry * 2^n seconds up to the maximum, a wrong secret tried
    # again no sooner than auth_retry (a few times a minute at most, as both platforms throttle logins),
    # and how long a frame's answer is awaited
    channel_heartbeat_seconds: float = Field(30.0, gt=0)
    channel_retry_seconds: float = Field(1.0, gt=0)
    channel_retry_max_seconds: float = Field(60.0, gt=0)
    channel_auth_retry_seconds: float = Field(20.0, gt=0)
    channel_answer_seconds: float = Field(5.0, gt=0)

    # Folders
    reports_dir: Path = BUNDLED_REPORTS_DIR
    index_dir: Path = Path("index")
    config_dir: Path = BUNDLED_CONFIG_DIR
    bot_state_db: Path | None = None  # paging sessions and the question log; default index_dir/bot.sqlite3
    # how long an operation waits while another process holds the state database before it gives up
    # (a question's session and log line are then kept in memory and written when it is free)
    state_busy_seconds: float = Field(2.0, gt=0)

    # Files
    max_file_mb: int = Field(20, ge=1)  # larger report files are refused (a real report is well under 1 MB)
    # Each file is parsed in a worker process within these budgets; a file over one is named and
    # skipped (a real report takes well under a second and a hundred MB)
    parse_seconds_per_file: float = Field(120.0, gt=0)
    parse_memory_mb: int = Field(2048, ge=0)  # beyond the worker's own; 0: no memory limit
    parse_workers: int = Field(0, ge=0)  # 0: one per core

    # reportqa crawl: the reports from the units' own sites (crawl/)
    crawl_user_agent: str = "reportqa-crawler/0.1 (+https://github.com/reportqa; fetches published work reports)"
    crawl_delay_seconds: float = Field(0.5, ge=0)  # between two requests to one host (robots.txt may ask for more)
    crawl_timeout_seconds: float = Field(30.0, gt=0)  # one request, connect to last byte
    crawl_max_pages: int = Field(500, ge=1)  # requests per source and run, pages and attachments together
    # An update of an index of at least this many passages keeps the last full build's files as they
    # are and writes the new and changed reports as an overlay (overlay.py: seconds instead of a
    # minute at 1M passages, the same scores), until the overlay or the dead passages pass this share
    # of the base; then the next update is a full build again.
    overlay_min_passages: int = Field(200_000, ge=0)
    overlay_max_share: float = Field(0.05, ge=0.0, le=1.0)

    # Passages
    passage_max_chars: int = Field(1200, ge=200)
    passage_min_chars: int = Field(80, ge=0)

    # Ranking (chosen by measurement with ../shared/eval/score.py; see README)
    bm25_variant: Literal["okapi", "l", "plus"] = "plus"
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    bm25_delta: float = 0.5
    top_k: int = Field(5, ge=1, le=100)
    # memory for the most common terms' weights as dense rows (faster questions on large indexes)
    dense_budget_mb: int = Field(160, ge=0)
    # Long-running processes (the bot) add up common-word questions in a compiled loop, compiled in
    # the background after the index loads, when numba (the ``fast`` extra) is installed; one-shot
    # commands never import it (its import alone costs more than a cold question). Same answers.
    compiled_ranking: bool = True
    # ... for indexes of at least this many passages: under it numpy answers every question in well
    # under a millisecond, and numba would cost its compile time and some 100 MB of memory for nothing
    compiled_ranking_min_passages: int = Field(20_000, ge=0)
    # A passage must cover at least this share of the question's informative weight (its terms'
    # IDF) to be an answer at all; below it the honest answer is "nothing found".
    min_coverage: float = Field(0.45, ge=0.0, le=1.0)
    # The unit or place a question names counts as covered by every passage its filter lets through
    # (绍兴 in 绍兴's own report); the question's other words must still carry this share on their own.
    min_content_coverage: float = Field(0.25, ge=0.0, le=1.0)

    # Library changes from the bot (upload, /reindex, /remove) run as a child process: this long
    build_timeout_s: int = Field(900, ge=10)

    # The command line's status lines: zh or en; unset, the system locale's (LC_ALL, LC_MESSAGES, LANG:
    # zh_* → zh, anything else → en). The bot answers each user in their own language whatever this says.
    language: Literal["zh", "en"] | None = None

    # Operator's handles: Prometheus metrics at /metrics and a health check at /health, served by the
    # bot's own process on this address and port (unset: not served)
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = Field(None, ge=1, le=65535)
    # /health says 503 when the messenger has not been heard from (a poll answered, a webhook checked)
    # for this long
    health_stale_seconds: float = Field(180.0, gt=0)

    def cli_language(self) -> Literal["zh", "en"]:
        """The language of the command line's own lines."""
        return self.language or system_language()

    def environment(self) -> dict[str, str]:
        """These settings as ``REPORTQA_*`` variables, for a child process (``reportqa add`` run by the
        bot) to see exactly what this one sees; the bot token is left out, folders made absolute."""
        env: dict[str, str] = {}
        for name, value in self:
            if name == "bot_token" or value is None or isinstance(value, SecretStr):
                continue
            if isinstance(value, frozenset):
                text = ",".join(str(v) for v in sorted(value, key=str))
            elif isinstance(value, Path):
                text = str(value.resolve())
            else:
                text = str(value)
            env[f"REPORTQA_{name.upper()}"] = text
        return env

    @field_validator("webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - as a webhook's secret."""
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("REPORTQA_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("wecom_allowed_users", "wecom_admins", "dingtalk_allowed_users", "dingtalk_admins",
                     mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
        return value

    def messenger_names(self) -> list[str]:
        """The messengers whose credentials are set: the channels ``python bot.py`` starts."""
        names = []
        if self.bot_token is not None and self.bot_token.get_secret_value().strip():
            names.append("telegram")
        if self.wecom_bot_id and self.wecom_secret is not None:
            names.append("wecom")
        if (self.wecom_corp_id and self.wecom_agent_id is not None and self.wecom_app_secret is not None
                and self.wecom_callback_token is not None and self.wecom_encoding_aes_key is not None):
            names.append("wecom-app")
        if self.dingtalk_client_id and self.dingtalk_client_secret is not None:
            names.append("dingtalk")
        return names

    @field_validator("allowed_users", "allowed_chats", "admins", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        if isinstance(value, int):
            return frozenset({value})
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )


def system_language(environ: Mapping[str, str] | None = None) -> Literal["zh", "en"]:
    """The language of the system locale, as POSIX picks it (LC_ALL, then LC_MESSAGES, then LANG):
    Chinese for a zh_* locale, English otherwise (C, POSIX, en_US …)."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
