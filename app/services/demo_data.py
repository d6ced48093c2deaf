"""The demo data set: deterministic, and only ever loaded into an empty database."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Organization
from app.schemas.organization import OrganizationCreate
from app.services import organizations

DEMO_ORGANIZATIONS = (
    OrganizationCreate(
        name="Link050",
        kind="broker",
        email="info@link050.example",
        website="https://link050.example",
        description="Het vrijwilligerssteunpunt van Groningen: makelaar tussen vraag en aanbod.",
        whatsapp_numbers=["+31501234567"],
    ),
    OrganizationCreate(
        name="Humanitas Groningen",
        email="groningen@humanitas.example",
        description="Maatjesprojecten, thuisadministratie en bezoek aan ouderen.",
        whatsapp_numbers=["+31612340001"],
    ),
    OrganizationCreate(
        name="Present Groningen",
        email="info@presentgroningen.example",
        description="Koppelt groepen vrijwilligers aan klussen bij mensen die het zwaar hebben.",
        whatsapp_numbers=["+31612340002"],
    ),
    OrganizationCreate(
        name="WIJ Groningen",
        email="vrijwilligers@wijgroningen.example",
        description="Wijkteams: welzijn, zorg en werk in de buurt.",
    ),
    OrganizationCreate(
        name="WerkPro",
        email="info@werkpro.example",
        description="Dagbesteding, re-integratie en buurtwerk.",
    ),
)


def is_empty(session: Session) -> bool:
    """Whether the database holds no organisations yet (the demo set's marker)."""
    return session.scalar(select(func.count()).select_from(Organization)) == 0


def load_demo_data(database: Database) -> bool:
    """Load the demo set into an empty database; False (and nothing written) otherwise."""
    with database.writer() as session, session.begin():
        if not is_empty(session):
            return False
        for organization_in in DEMO_ORGANIZATIONS:
            organizations.create(session=session, organization_in=organization_in)
    return True
