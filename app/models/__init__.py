"""SQLAlchemy tables, one aggregate per module; importing this registers them all."""

from app.models.api_key import ApiKey
from app.models.association import Association, AssociationMember
from app.models.base import Base
from app.models.event import DispatchCursor, Event, Webhook, WebhookAttempt, WebhookDelivery
from app.models.gig import Gig, GigSeries, GigSkill
from app.models.idempotency import IdempotencyRecord
from app.models.inbound_message import ChatDraft, InboundMessage
from app.models.instance_secret import InstanceSecret
from app.models.message import Message, MessageOptOut
from app.models.organization import (
    Organization,
    OrganizationWhatsappNumber,
    WhatsappNumberClaim,
)
from app.models.rate_limit import RateLimitCounter
from app.models.report_line import ReportDirty, ReportLine, ReportRefresh
from app.models.signup import Signup, SignupMember
from app.models.volunteer import Attestation, LoginCode, Volunteer

__all__ = [
    "ApiKey",
    "Association",
    "AssociationMember",
    "Attestation",
    "Base",
    "ChatDraft",
    "DispatchCursor",
    "Event",
    "Gig",
    "GigSeries",
    "GigSkill",
    "IdempotencyRecord",
    "InboundMessage",
    "InstanceSecret",
    "LoginCode",
    "Message",
    "MessageOptOut",
    "Organization",
    "OrganizationWhatsappNumber",
    "RateLimitCounter",
    "ReportDirty",
    "ReportLine",
    "ReportRefresh",
    "Signup",
    "SignupMember",
    "Volunteer",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WhatsappNumberClaim",
]
