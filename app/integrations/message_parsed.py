"""What a chat message was understood to say: the value the parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from app.integrations.message_vocabulary import Language

MIN_TITLE_LENGTH = 3
MAX_TITLE_LENGTH = 120


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A chat message read as a gig: what was understood and what is missing.

    ``starts_at``/``ends_at`` are aware UTC and only set when both a day and a start
    time were found; ``day``, ``start_time`` and ``end_time`` keep the local
    (Europe/Amsterdam) parts that were found even when the other half is missing.
    """

    language: Language = "nl"
    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    end_defaulted: bool = False
    date_found: bool = False
    time_found: bool = False
    postcode: str | None = None
    address: str | None = None
    capacity: int | None = None
    missing: list[str] = field(default_factory=list)
    day: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    weekday_mismatch: bool = False

    @property
    def complete(self) -> bool:
        """True when title, date and start time were understood: the gig can be `open`."""
        return not self.missing

    @property
    def place(self) -> str | None:
        """The Waar:/Where: text (an alias of ``address``)."""
        return self.address

    def without_date(self) -> ParsedMessage:
        """The same message with its day (and so its start and end) read as not found."""
        missing: list[str] = [
            name for name in ("title", "date", "time") if name in {*self.missing, "date"}
        ]
        return replace(
            self,
            starts_at=None,
            ends_at=None,
            end_defaulted=False,
            date_found=False,
            day=None,
            weekday_mismatch=False,
            missing=missing,
        )
