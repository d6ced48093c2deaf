"""Building blocks of every request and response model."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Self

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

DEFAULT_PHONE_REGION = "NL"


def rfc3339(value: datetime) -> str:
    """A timestamp as every response writes it: UTC, with microseconds and a Z."""
    # isoformat, not strftime: the same text at a fraction of the cost (every response).
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


# Every timestamp in a response: UTC, always with microseconds, e.g. 2027-06-14T08:00:00.000000Z.
Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class RequestModel(BaseModel):
    """A request body: unknown and read-only fields are rejected, so typos never pass."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    """A response body, built from ORM rows or plain values."""

    model_config = ConfigDict(from_attributes=True)


def normalize_phone(value: str) -> str:
    """E.164 form of a phone number; national numbers are read as Dutch."""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PhoneNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=32),
    AfterValidator(normalize_phone),
    Field(examples=["+31612345678"], description="E.164; `06 12345678` is read as Dutch."),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
WebsiteUrl = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s/$.?#][^\s]*$"
    ),
]


class PatchModel(RequestModel):
    """A partial update: only the fields sent change; `null` clears only optional fields."""

    not_nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in self.not_nullable & self.model_fields_set:
            if getattr(self, name) is None:
                raise PydanticCustomError("not_nullable", f"`{name}` cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields that were sent, with their new values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")


def normalize_postcode(value: str) -> str:
    """A Dutch postcode as `9711 AB`; `9711ab` is accepted."""
    match = _POSTCODE.match(value.strip())
    if match is None or match.group(2).upper() in {"SA", "SD", "SS"}:
        raise ValueError("not a Dutch postcode (e.g. 9711 AB)")
    return f"{match.group(1)} {match.group(2).upper()}"


def fold_text(value: str) -> str:
    """Lower case without accents: `Één Café` → `een cafe` (for matching and search)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


Postcode = Annotated[
    str, AfterValidator(normalize_postcode), Field(examples=["9711 AB"], max_length=8)
]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Area = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Skills = Annotated[list[Skill], Field(max_length=30)]
LanguageCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-zA-Z]{2,3}$"),
    Field(description="ISO 639 code, e.g. `nl`, `en`, `ar`."),
]
Languages = Annotated[list[LanguageCode], Field(max_length=20)]
Category = Literal[
    "board",
    "information_advice",
    "visiting",
    "training",
    "advocacy",
    "office",
    "odd_jobs",
    "personal_advice",
    "transport",
    "fundraising",
    "care",
    "other",
]
