"""The kinds of events (API.md, "Events and webhooks")."""

from __future__ import annotations

from typing import Literal, get_args

EventType = Literal[
    "gig.created",
    "gig.updated",
    "gig.cancelled",
    "gig.completed",
    "signup.confirmed",
    "signup.waitlisted",
    "signup.promoted",
    "signup.cancelled",
    "signup.attended",
    "signup.reconfirmed",
    "message.outgoing",
    "volunteer.erased",
    "webhook.disabled",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
