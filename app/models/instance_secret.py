"""Secrets of this installation, made by a migration (never by a request)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class InstanceSecret(Base):
    """A named random key, e.g. the one calendar tokens are derived from."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
