"""Configuration from the environment (and a `.env` file). Every name is documented in README."""

import base64
from datetime import timedelta
from functools import cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.vocab import LEVELS

# Development-only secrets: usable on a laptop, refused anywhere else.
_DEV_REPORTER_KEY = "dev:" + base64.b64encode(b"hotline-intake-dev-key-32-bytes!").decode()
_DEV_HASH_KEY = "hotline-intake-dev-hash-key"

DEFAULT_ACK = "critical=900,high=7200,medium=86400,low=259200"
# Seconds, or "<N>wd" for N working days (weekends and Vietnam's public holidays skipped).
DEFAULT_ACTION = "critical=43200,high=43200,medium=7wd,low=7wd"


def parse_level_map(raw: str, *, allow_working_days: bool) -> dict[str, str]:
    """`critical=900,high=7200` -> {"critical": "900", ...}; every routed level required."""
    out: dict[str, str] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in LEVELS or name == "none":
            raise ValueError(f"bad entry {part!r}: expected <level>=<value>")
        digits = value[:-2] if allow_working_days and value.endswith("wd") else value
        if not digits.isdigit() or int(digits) <= 0:
            raise ValueError(f"bad value for {name}: {value!r}")
        out[name] = value
    missing = {"critical", "high", "medium", "low"} - out.keys()
    if missing:
        raise ValueError(f"missing levels: {', '.join(sorted(missing))}")
    return out


def normalise_database_url(url: str) -> str:
    """Plain postgresql:// and postgres:// URLs are mapped to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/hotline.db"
    ack_deadlines: str = DEFAULT_ACK
    action_deadlines: str = DEFAULT_ACTION
    escalation_interval: float = Field(default=30.0, gt=0)
    audit_seal_interval: float = Field(default=1.0, gt=0)
    scheduler_in_process: bool = True
    # "kid:base64(32 bytes)" comma-separated; the first encrypts, all decrypt (rotation).
    reporter_keys: str = _DEV_REPORTER_KEY
    reporter_hash_key: str = _DEV_HASH_KEY
    max_body_bytes: int = Field(default=262_144, gt=1024)
    idempotency_ttl_hours: int = Field(default=48, ge=24)
    audit_checkpoint_path: str | None = None
    db_pool_size: int = Field(default=10, gt=0)
    db_statement_timeout_ms: int = Field(default=15_000, gt=0)
    log_level: str = "INFO"
    # role=requests per second:burst, per API key
    rate_limits: str = "callcentre=50:200,app=20:100,agency=10:60,admin=20:100"

    @field_validator("ack_deadlines")
    @classmethod
    def _check_ack(cls, v: str) -> str:
        parse_level_map(v, allow_working_days=False)
        return v

    @field_validator("action_deadlines")
    @classmethod
    def _check_action(cls, v: str) -> str:
        parse_level_map(v, allow_working_days=True)
        return v

    @field_validator("rate_limits")
    @classmethod
    def _check_rates(cls, v: str) -> str:
        from app.ratelimit import parse_limits

        parse_limits(v)
        return v

    @field_validator("database_url")
    @classmethod
    def _map_driver(cls, v: str) -> str:
        return normalise_database_url(v)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "Settings":
        if self.environment == "production" and (
            self.reporter_keys == _DEV_REPORTER_KEY or self.reporter_hash_key == _DEV_HASH_KEY
        ):
            raise ValueError(
                "REPORTER_KEYS and REPORTER_HASH_KEY must be set outside development"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ack_deadline(self, level: str) -> timedelta:
        seconds = parse_level_map(self.ack_deadlines, allow_working_days=False)[level]
        return timedelta(seconds=int(seconds))

    def action_deadline_spec(self, level: str) -> str:
        return parse_level_map(self.action_deadlines, allow_working_days=True)[level]


@cache
def get_settings() -> Settings:
    return Settings()


async def app_settings() -> Settings:
    """get_settings as a request dependency that needs no worker thread (it does no I/O)."""
    return get_settings()
