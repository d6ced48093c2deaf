"""The sign-up form: read from the posted body, checked by the API's own rules
(`VolunteerCreate`), each failure named by the field it belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qs

from pydantic import BaseModel, EmailStr, ValidationError

from app.integrations.message_vocabulary import Language
from app.schemas.common import PhoneNumber
from app.schemas.volunteer import VolunteerCreate


class _Contact(BaseModel):
    """The contact field, read by the API's rules for an e-mail address or a phone number."""

    email: EmailStr | None = None
    phone: PhoneNumber | None = None


#: A form is a few short fields; anything longer is not ours.
MAX_FORM_BYTES: Final = 8 * 1024
_MAX_NAME_CHARS: Final = 200
#: Characters no name has (a NUL cannot even be stored by PostgreSQL).
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def parse_form(body: bytes) -> dict[str, str]:
    """The fields of a `application/x-www-form-urlencoded` body (the first value of each;
    nothing for a body that is too long or not text)."""
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=20)
    except ValueError:  # more fields than any form of ours has
        return {}
    return {name: values[0] for name, values in fields.items() if values}


@dataclass
class SignupForm:
    """What the visitor typed, and the text key of what is wrong with each field."""

    name: str = ""
    contact: str = ""
    consent: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    volunteer: VolunteerCreate | None = None

    @property
    def by_email(self) -> bool:
        """Whether the contact is an e-mail address (else a phone number)."""
        return "@" in self.contact


def read_signup_form(fields: dict[str, str], language: Language) -> SignupForm:
    """The form, checked: `volunteer` is set when nothing is wrong."""
    form = SignupForm(
        name=fields.get("name", "").strip()[: _MAX_NAME_CHARS * 2],
        contact=fields.get("contact", "").strip()[:320],
        consent=fields.get("consent") in ("yes", "on", "true"),
    )
    if not form.name:
        form.errors["name"] = "name_missing"
    elif len(form.name) > _MAX_NAME_CHARS:
        form.errors["name"] = "name_too_long"
    elif _CONTROL.search(form.name):
        form.errors["name"] = "name_invalid"
    contact = {"email": form.contact} if form.by_email else {"phone": form.contact}
    if not form.contact:
        form.errors["contact"] = "contact_missing"
    else:
        try:
            _Contact.model_validate(contact)
        except ValidationError:
            form.errors["contact"] = "contact_invalid"
    if not form.consent:
        form.errors["consent"] = "consent_missing"
    if form.errors:
        return form
    try:
        form.volunteer = VolunteerCreate.model_validate(
            {"name": form.name, "consent": True, "languages": [language], **contact}
        )
    except ValidationError:  # the same rules as above: only what they do not name
        form.errors["contact"] = "contact_invalid"
    return form


def read_contact(typed: str) -> _Contact | None:
    """A phone number or e-mail address as the API stores it, or None if it is neither."""
    typed = typed.strip()[:320]
    if not typed:
        return None
    try:
        return _Contact.model_validate({"email": typed} if "@" in typed else {"phone": typed})
    except ValidationError:
        return None
