"""What a chat message was understood to say: the value the parser returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from app.integrations.message_doubts import Doubt, PartOfDay
from app.integrations.message_vocabulary import Language

MIN_TITLE_LENGTH = 3
MAX_TITLE_LENGTH = 120


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A chat message read as a gig: what was understood and what is missing.

    ``starts_at``/``ends_at`` are aware UTC and only set when both a day and a start
    time were found; ``day``, ``start_time`` and ``end_time`` keep the local
    (Europe/Amsterdam) parts that were found even when the other half is missing.
    ``missing`` names what was not found (``title``, ``date``, ``time``, ``end``) and
    ``doubts`` what was found but is not certain (`app.integrations.message_doubts`);
    either keeps the gig a draft.
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
    doubts: tuple[Doubt, ...] = ()
    #: The days to choose between, when the message names more than one.
    date_options: tuple[date, ...] = ()
    #: A day and month without a year that passed recently ("1 december" on 2 December).
    passed_day: date | None = None
    recurring: str | None = None
    part_of_day: PartOfDay | None = None
    area: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def complete(self) -> bool:
        """True when title, date, start and end are each certain: the gig can be `open`."""
        return not self.missing and not self.doubts

    @property
    def place(self) -> str | None:
        """The Waar:/Where: text (an alias of ``address``)."""
        return self.address

    def without_date(self) -> ParsedMessage:
        """The same message with its day (and so its start and end) read as not found."""
        missing: list[str] = [
            name for name in ("title", "date", "time", "end") if name in {*self.missing, "date"}
        ]
        return replace(
            self,
            starts_at=None,
            ends_at=None,
            date_found=False,
            day=None,
            weekday_mismatch=False,
            missing=missing,
            doubts=tuple(doubt for doubt in self.doubts if doubt == "recurring"),
            date_options=(),
            passed_day=None,
        )
