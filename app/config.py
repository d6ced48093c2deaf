"""Settings: environment variables with the prefix KLUSMAKELAAR_, validated at start-up."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_PREFIX = "/api/v1"
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class Settings(BaseSettings):
    """All configuration of the service; see the README for the table."""

    model_config = SettingsConfigDict(env_prefix="KLUSMAKELAAR_", extra="ignore")

    database_url: str = "sqlite:///./klusmakelaar.db"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    admin_token: str | None = None
    # The base of links the service hands out; unset: where HOST and PORT are reached
    # from this machine (`local_url`).
    public_base_url: str = ""
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    waha_hmac_key: str | None = None
    demo_data: bool = False
    registration_rate: str = "20/minute"
    # Front ends that browsers may call the API from: comma-separated origins
    # (`https://app.example.org`). None by default: no CORS headers at all.
    cors_origins: str = ""
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: comma-separated
    # addresses or networks, `*` for any. None by default: the client is the peer.
    forwarded_allow_ips: str = ""
    webhook_allow_insecure: bool = False
    hourly_rate_eur: Annotated[float, Field(ge=0)] = 11.0
    log_level: str = "INFO"
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    list_cache_mb: Annotated[int, Field(ge=0, le=4096)] = 32
    # Database connections per worker process, and how long a request waits for one
    # before it is answered 503. PostgreSQL: workers x pool size must fit the server's
    # `max_connections` (checked at start-up).
    db_pool_size: Annotated[int, Field(ge=1, le=500)] = 20
    db_pool_timeout: Annotated[float, Field(gt=0, le=600)] = 10.0
    # Deliver webhooks from this process (false: run `klusmakelaar dispatch` instead).
    dispatcher: bool = True
    event_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # Channels for messages to people (`services.messages`); none set: messages are
    # recorded as `not_sent` and handed to bridges as `message.outgoing` events.
    whatsapp_api_url: str | None = "https://graph.facebook.com/v21.0"
    whatsapp_access_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    # Outside the 24-hour window the Cloud API sends only approved templates: the one
    # for a message kind is this prefix and the kind (`klusmakelaar_reminder`).
    whatsapp_template_prefix: str = "klusmakelaar_"
    waha_url: str | None = None
    waha_api_key: str | None = None
    waha_session: str = "default"
    smtp_url: str | None = None
    mail_from: str | None = None
    # Messages that can wait are held in these hours (Europe/Amsterdam); empty: never.
    quiet_hours: str = "21:00-08:00"
    # Reminders: hours before a gig's start, comma-separated, decimals allowed.
    reminder_hours: str = "24"
    # How long a provider (Cloud API, WAHA, SMTP) may take to answer one message.
    provider_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 15.0

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite://, postgresql:// or postgresql+psycopg://")
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("admin_token")
    @classmethod
    def _strong_admin_token(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 24:
            raise ValueError("must be at least 24 characters (use `openssl rand -hex 32`)")
        return value or None

    @field_validator("registration_rate")
    @classmethod
    def _rate_format(cls, value: str) -> str:
        if not _RATE.match(value):
            raise ValueError("must look like '20/minute' (second, minute, hour or day)")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        import ipaddress

        for part in value.split(","):
            if part.strip() not in ("", "*"):
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{part.strip()!r} is not an address or network (e.g. '10.0.0.0/8')"
                    ) from None
        return value

    @property
    def trusted_proxies(self) -> list[str]:
        """`forwarded_allow_ips` as a list (empty: trust no forwarded header)."""
        return [part.strip() for part in self.forwarded_allow_ips.split(",") if part.strip()]

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value:
            return ""
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_base_url(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = local_url(self.host, self.port)
        return self

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins(cls, value: str) -> str:
        from app.cors import browser_origin

        origins = (browser_origin(part) for part in value.split(",") if part.strip())
        return ",".join(dict.fromkeys(origins))

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """`cors_origins` as a tuple of origins as browsers send them (empty: none)."""
        return tuple(origin for origin in self.cors_origins.split(",") if origin)

    @field_validator("whatsapp_api_url", "waha_url")
    @classmethod
    def _provider_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must look like smtp://user:password@host:587 (or smtps://)")
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str | None) -> str | None:
        if not value:
            return None
        from email.utils import parseaddr

        if "@" not in parseaddr(value)[1]:
            raise ValueError("must be an e-mail address, e.g. 'Klusmakelaar <noreply@example.nl>'")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from app.integrations.quiet_hours import parse

        parse(value)
        return value

    @field_validator("reminder_hours")
    @classmethod
    def _reminder_hours(cls, value: str) -> str:
        try:
            hours = [float(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValueError("must be hours before the start, e.g. '24' or '48,2.5'") from None
        if any(not 0 < hour <= 24 * 30 for hour in hours):
            raise ValueError("each must be more than 0 and at most 720 hours")
        return value

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """`quiet_hours` as (start, end) wall-clock times, or None."""
        from app.integrations.quiet_hours import parse

        return parse(self.quiet_hours)

    @property
    def reminder_moments(self) -> tuple[float, ...]:
        """`reminder_hours` as numbers, largest first (none: no reminders)."""
        parts = (float(part) for part in self.reminder_hours.split(",") if part.strip())
        return tuple(sorted(set(parts), reverse=True))

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @property
    def registration_limit(self) -> tuple[int, int]:
        """The registration rate as (allowed requests, window in seconds)."""
        match = _RATE.match(self.registration_rate)
        assert match is not None
        return int(match.group(1)), _PERIOD_SECONDS[match.group(2)]

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured database is SQLite."""
        return self.database_url.startswith("sqlite")


#: Addresses that mean "every interface": not somewhere to send a browser.
_EVERY_INTERFACE = {"0.0.0.0": "127.0.0.1", "::": "localhost", "": "127.0.0.1"}  # noqa: S104


def local_url(host: str, port: int) -> str:
    """The URL at which this machine reaches a server listening on ``host`` and ``port``."""
    host = _EVERY_INTERFACE.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}" if port == 80 else f"http://{host}:{port}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
