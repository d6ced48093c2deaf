"""SQLAlchemy tables, one aggregate per module; importing this registers them all."""

from app.models.api_key import ApiKey
from app.models.base import Base
from app.models.idempotency import IdempotencyRecord
from app.models.organization import Organization, OrganizationWhatsappNumber

__all__ = ["ApiKey", "Base", "IdempotencyRecord", "Organization", "OrganizationWhatsappNumber"]
