"""The demo data set: deterministic, and only ever loaded into an empty database.

The organisations and the eight Contractus associations named in the city's policy,
40 gigs over Groningen's neighbourhoods in the coming weeks, 30 volunteers, and one gig
that started an hour ago with a confirmed volunteer (`STARTED_GIG`, so attendance can
be recorded at once). Times are relative to the moment it is loaded; everything else is
fixed (a seeded RNG). The README's "Demo data" table describes it.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.auth import Principal
from app.db import Database, Tx, writes
from app.models import Organization, Volunteer
from app.schemas.association import AssociationCreate
from app.schemas.gig import GigCreate, GigLocation, GigUpdate
from app.schemas.organization import OrganizationCreate
from app.schemas.signup import SignupCreate
from app.schemas.volunteer import AvailabilityWindow, VolunteerCreate
from app.services import associations, gigs, organizations, signups, volunteers

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ADMIN = Principal(role="admin", key_id="demo-data")

DEMO_ORGANIZATIONS = (
    OrganizationCreate(name="Link050", kind="broker", email="info@link050.example",
                       website="https://link050.example", whatsapp_numbers=["+31501234567"],
                       description="Het vrijwilligerssteunpunt van Groningen: makelaar tussen vraag en aanbod."),
    OrganizationCreate(name="Humanitas Groningen", email="groningen@humanitas.example",
                       whatsapp_numbers=["+31612340001"],
                       description="Maatjesprojecten, thuisadministratie en bezoek aan ouderen."),
    OrganizationCreate(name="Present Groningen", email="info@presentgroningen.example",
                       whatsapp_numbers=["+31612340002"],
                       description="Koppelt groepen vrijwilligers aan klussen bij mensen die het zwaar hebben."),
    OrganizationCreate(name="WIJ Groningen", email="vrijwilligers@wijgroningen.example",
                       description="Wijkteams: welzijn, zorg en werk in de buurt."),
    OrganizationCreate(name="WerkPro", email="info@werkpro.example",
                       description="Dagbesteding, re-integratie en buurtwerk."),
)  # fmt: skip

CONTRACTUS: tuple[tuple[str, list[str], list[str]], ...] = (
    ("Albertus Magnus", ["odd_jobs", "fundraising"], ["Binnenstad"]),
    ("Bernlef", ["visiting", "care"], []),
    ("Cleopatra", ["training", "visiting"], ["Selwerd", "Paddepoel"]),
    ("Dizkartes", ["odd_jobs", "transport"], []),
    ("GSV Groningen", ["information_advice", "training"], ["Oosterpoort"]),
    ("Navigators", ["care", "visiting", "odd_jobs"], []),
    ("Unitas", ["fundraising", "office"], ["Binnenstad", "Schildersbuurt"]),
    ("Vindicat atque Polit", ["odd_jobs", "fundraising", "board"], []),
)

NEIGHBOURHOODS = (
    ("Binnenstad", "9711 AB", 53.2194, 6.5665),
    ("Oosterpoort", "9724 AB", 53.2105, 6.5770),
    ("Schildersbuurt", "9718 SB", 53.2140, 6.5470),
    ("Paddepoel", "9742 AB", 53.2330, 6.5420),
    ("Selwerd", "9741 AB", 53.2330, 6.5580),
    ("Vinkhuizen", "9746 AB", 53.2290, 6.5180),
    ("Korrewegwijk", "9715 AB", 53.2300, 6.5810),
    ("Oosterparkwijk", "9713 AB", 53.2190, 6.5880),
    ("Helpman", "9722 AB", 53.1960, 6.5750),
    ("Corpus den Hoorn", "9728 AB", 53.2010, 6.5490),
    ("Lewenborg", "9733 AB", 53.2330, 6.6320),
    ("Beijum", "9736 AB", 53.2420, 6.6040),
)

# title, category, kind, capacity, group bounds, skills, accessible, guidance, repeatable
GIG_TEMPLATES: tuple[tuple[Any, ...], ...] = (
    ("Penningmeester helpen met de jaarrekening", "board", "one_off", 1, None, ["boekhouden"], True, False, False),
    ("Notuleren bij de bewonersvergadering", "board", "one_off", 1, None, ["notuleren"], True, False, True),
    ("Spreekuur formulieren invullen", "information_advice", "one_off", 2, None, ["administratie"], True, True, True),
    ("Informatiemarkt voor nieuwe Groningers", "information_advice", "group", 8, (3, 8), ["Engels"], True, False, True),
    ("Koffie schenken in het buurthuis", "visiting", "one_off", 3, None, ["gastvrijheid"], True, True, True),
    ("Wandelen met bewoners van het verpleeghuis", "visiting", "group", 10, (4, 10), [], True, True, True),
    ("Voorlezen aan kinderen in de bibliotheek", "training", "one_off", 2, None, ["voorlezen"], True, False, True),
    ("Huiswerkbegeleiding voor brugklassers", "training", "one_off", 4, None, ["wiskunde", "Engels"], True, False, True),
    ("Taalcafé: Nederlands oefenen", "training", "group", 6, (2, 6), ["Nederlands"], True, True, True),
    ("Handtekeningen ophalen voor het buurtpark", "advocacy", "one_off", 5, None, [], False, False, False),
    ("Post sorteren en archief opruimen", "office", "one_off", 2, None, ["administratie"], True, True, False),
    ("Website van het buurthuis bijwerken", "office", "one_off", 1, None, ["websites"], True, False, False),
    ("Tuin opknappen bij buurthuis De Kroon", "odd_jobs", "group", 8, (4, 8), ["tuinieren"], False, False, True),
    ("Schilderen van een woonkamer", "odd_jobs", "group", 6, (3, 6), ["schilderen"], False, False, False),
    ("Fietsen repareren bij de fietsenwerkplaats", "odd_jobs", "one_off", 3, None, ["fietsen repareren"], True, True, True),
    ("Meubels in elkaar zetten voor een nieuwe bewoner", "odd_jobs", "one_off", 2, None, ["klussen"], False, False, False),
    ("Sneeuwvrij maken van stoepen bij ouderen", "odd_jobs", "group", 10, (2, 10), [], False, False, True),
    ("Hulp bij de belastingaangifte", "personal_advice", "one_off", 2, None, ["belastingaangifte"], True, False, True),
    ("Budgetcoaching: eerste gesprek", "personal_advice", "one_off", 1, None, ["geldzaken"], True, False, False),
    ("Boodschappen rijden voor ouderen", "transport", "one_off", 2, None, ["rijbewijs"], False, False, True),
    ("Rolstoelduwen bij het Bevrijdingsfestival", "transport", "group", 8, (4, 8), [], True, True, True),
    ("Collecte voor het Nationaal Fonds Kinderhulp", "fundraising", "one_off", 6, None, [], True, True, True),
    ("Kerstmarkt-kraam bemensen voor het goede doel", "fundraising", "group", 6, (2, 6), ["verkoop"], True, False, True),
    ("Sponsorloop organiseren", "fundraising", "group", 12, (4, 12), ["organiseren"], True, False, True),
    ("Maaltijd koken voor de inloop", "care", "group", 6, (3, 6), ["koken"], True, True, True),
    ("Gezelschap bij dagbesteding", "care", "one_off", 2, None, ["geduld"], True, True, True),
    ("Opruimen na de wijkmarkt", "other", "group", 10, (3, 10), [], False, True, True),
    ("Foto's maken bij het buurtfeest", "other", "one_off", 1, None, ["fotografie"], True, False, False),
)  # fmt: skip

FIRST_NAMES = ("Sanne", "Daan", "Femke", "Joost", "Noor", "Thijs", "Lotte", "Sem", "Eva", "Bram",
               "Aisha", "Mehmet", "Ilse", "Wouter", "Yara", "Pieter", "Marieke", "Kees", "Fatima", "Ruben",
               "Anouk", "Henk", "Lieke", "Jelle", "Sophie", "Tim", "Grietje", "Omar", "Esther", "Luuk")  # fmt: skip
LAST_NAMES = (
    "de Vries",
    "Bakker",
    "Smit",
    "Dijkstra",
    "Visser",
    "Mulder",
    "Boer",
    "Hoekstra",
    "Meijer",
    "Kramer",
)
SKILLS = ("tuinieren", "koken", "administratie", "Engels", "rijbewijs", "voorlezen", "schilderen",
          "websites", "boekhouden", "fotografie", "klussen", "geduld")  # fmt: skip
CATEGORIES = ("board", "information_advice", "visiting", "training", "advocacy", "office", "odd_jobs",
              "personal_advice", "transport", "fundraising", "care", "other")  # fmt: skip


# The gig that is on now: Humanitas, Oosterpoort, started an hour before loading, with
# the first demo volunteer confirmed.
STARTED_GIG: Final = "Koffie schenken in De Kroon (nu bezig)"
STARTED_VOLUNTEER: Final = "Sanne de Vries"


async def is_empty(tx: Tx) -> bool:
    """Whether the database holds no organisations yet (the demo set's marker)."""
    return bool(await tx.scalar(select(func.count()).select_from(Organization)) == 0)


def _local(day: datetime, hour: int) -> datetime:
    return datetime.combine(day.date(), time(hour), tzinfo=AMSTERDAM).astimezone(UTC)


async def _load(tx: Tx, now: datetime) -> None:
    rng = random.Random(50)  # noqa: S311 (demo data, not security)
    organization_ids = [
        (await organizations.create(tx, principal=ADMIN, organization_in=organization_in)).item.id
        for organization_in in DEMO_ORGANIZATIONS
    ]
    for name, categories, areas in CONTRACTUS:
        await associations.create(
            tx, principal=ADMIN, base_url="",
            association_in=AssociationCreate(name=name, contractus=True, preferred_categories=categories,
                                             preferred_areas=areas),
        )  # fmt: skip
    today = now.astimezone(AMSTERDAM)
    for index in range(40):
        title, category, kind, capacity, bounds, skills, accessible, guidance, repeatable = (
            GIG_TEMPLATES[index % len(GIG_TEMPLATES)]
        )
        area, postcode, lat, lon = NEIGHBOURHOODS[index % len(NEIGHBOURHOODS)]
        day = today + timedelta(days=1 + (index * 37) % 42)
        start = _local(day, rng.choice((9, 10, 13, 14, 19)))
        gig_in = GigCreate(
            organization_id=organization_ids[index % len(organization_ids)],
            title=title, category=category, kind=kind, capacity=capacity,
            group_size_min=bounds[0] if bounds else None, group_size_max=bounds[1] if bounds else None,
            description=f"{title} in {area}. Geen ervaring nodig; we leggen alles uit.",
            starts_at=start, ends_at=start + timedelta(hours=rng.choice((2, 3, 4))),
            location=GigLocation(address=f"{area}, Groningen", postcode=postcode, area=area,
                                 lat=round(lat + rng.uniform(-0.004, 0.004), 5),
                                 lon=round(lon + rng.uniform(-0.006, 0.006), 5)),
            skills=skills, languages=["nl", "en"] if "Engels" in skills else ["nl"],
            accessible=accessible, guidance_available=guidance, repeatable=repeatable,
        )  # fmt: skip
        await gigs.create(tx, principal=ADMIN, gig_in=gig_in)
    for index in range(30):
        area, postcode, lat, lon = NEIGHBOURHOODS[(index * 5) % len(NEIGHBOURHOODS)]
        first = FIRST_NAMES[index]
        windows = [
            AvailabilityWindow(weekday=weekday, start=start, end=end)
            for weekday, start, end in rng.sample(
                [(5, "09:00", "13:00"), (6, "10:00", "16:00"), (2, "18:00", "22:00"),
                 (0, "09:00", "17:00"), (3, "13:00", "17:00"), (4, "19:00", "23:00")], k=2)
        ]  # fmt: skip
        await volunteers.register(
            tx,
            volunteer_in=VolunteerCreate(
                name=f"{first} {LAST_NAMES[index % len(LAST_NAMES)]}", consent=True,
                email=f"{first.lower()}{index}@example.org", postcode=postcode, area=area,
                lat=round(lat + rng.uniform(-0.005, 0.005), 5), lon=round(lon + rng.uniform(-0.005, 0.005), 5),
                skills=rng.sample(SKILLS, k=2), interests=rng.sample(CATEGORIES, k=3),
                languages=["nl", "en"] if index % 3 == 0 else ["nl"], availability=windows,
                max_hours_per_month=rng.choice((None, 8.0, 16.0)),
                needs_guidance=index % 10 == 7, needs_accessible=index % 12 == 5,
            ),
        )  # fmt: skip


@writes
async def _load_if_empty(tx: Tx, now: datetime) -> str | None:
    """Load the set; the id of the gig that is to be on now, or None when not empty."""
    if not await is_empty(tx):
        return None
    await _load(tx, now)
    humanitas = await tx.scalar(
        select(Organization.id).where(Organization.name == "Humanitas Groningen")
    )
    area, postcode, lat, lon = NEIGHBOURHOODS[1]
    # Made ahead (a sign-up needs a gig that has not started), moved to now afterwards.
    start = now + timedelta(days=1)
    gig = await gigs.insert_gig(
        tx, principal=ADMIN, source="api",
        gig_in=GigCreate(
            organization_id=humanitas, title=STARTED_GIG, category="visiting", kind="one_off",
            description="Koffie en thee schenken voor de buurt. Geen ervaring nodig.",
            starts_at=start, ends_at=start + timedelta(hours=3), capacity=3,
            location=GigLocation(address="Buurthuis De Kroon, Oosterpoort", postcode=postcode,
                                 area=area, lat=lat, lon=lon),
            accessible=True, guidance_available=True,
        ),
    )  # fmt: skip
    return str(gig.id)


async def _start(database: Database, gig_id: str, now: datetime) -> None:
    """Sign the first demo volunteer up for the gig, then move it to an hour ago."""
    async with database.read() as tx:
        volunteer_id = await tx.scalar(
            select(Volunteer.id).where(Volunteer.name == STARTED_VOLUNTEER)
        )
    await signups.sign_up(
        database, principal=ADMIN, gig_id=gig_id,
        signup_in=SignupCreate(volunteer_id=volunteer_id),
    )  # fmt: skip
    start = now - timedelta(hours=1)
    await gigs.update_gig(
        database, principal=ADMIN, gig_id=gig_id, if_match=None,
        gig_in=GigUpdate(starts_at=start, ends_at=start + timedelta(hours=3)),
    )  # fmt: skip


async def load_demo_data(database: Database, *, now: datetime | None = None) -> bool:
    """Load the demo set into an empty database (one transaction, then the sign-up for
    the gig that is on now); False, and nothing written, when it is not empty."""
    now = now or datetime.now(UTC)
    started = await _load_if_empty(database, now)
    if started is None:
        return False
    await _start(database, started, now)
    return True
