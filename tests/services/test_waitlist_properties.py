"""Property-based tests of the waitlist against a simple reference model.

Any sequence of sign-ups, cancellations and capacity changes keeps confirmed people
within capacity, waitlist positions dense (1..n), and promotes first come, first
served, skipping groups too large for the free spots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.auth import Principal
from app.db import Database
from app.errors import Conflict
from app.models import Gig
from app.schemas.association import AssociationCreate
from app.schemas.gig import GigCreate, GigUpdate
from app.schemas.organization import OrganizationCreate
from app.schemas.signup import SignupCreate
from app.services import associations, gigs, organizations, signups
from tests.direct import db_session, run

ADMIN = Principal(role="admin", key_id="tests")


@dataclass
class Reference:
    """The rules, written as plainly as possible."""

    capacity: int
    entries: list[list[object]] = field(default_factory=list)  # [size, status]

    def confirmed(self) -> int:
        return sum(int(size) for size, status in self.entries if status == "confirmed")  # type: ignore[call-overload]

    def promote(self) -> None:
        spots = self.capacity - self.confirmed()
        for entry in self.entries:
            if entry[1] == "waitlisted" and int(entry[0]) <= spots:  # type: ignore[call-overload]
                entry[1] = "confirmed"
                spots -= int(entry[0])  # type: ignore[call-overload]

    def sign_up(self, size: int) -> None:
        status = "confirmed" if self.confirmed() + size <= self.capacity else "waitlisted"
        self.entries.append([size, status])

    def cancel(self, index: int) -> None:
        was_confirmed = self.entries[index][1] == "confirmed"
        self.entries[index][1] = "cancelled"
        if was_confirmed:
            self.promote()

    def set_capacity(self, capacity: int) -> bool:
        if capacity < self.confirmed():
            return False
        raised = capacity > self.capacity
        self.capacity = capacity
        if raised:
            self.promote()
        return True


operations = st.lists(
    st.one_of(
        st.tuples(st.just("signup"), st.integers(1, 4)),
        st.tuples(st.just("signup"), st.integers(1, 2)),
        st.tuples(st.just("cancel"), st.integers(0, 40)),
        st.tuples(st.just("capacity"), st.integers(1, 12)),
    ),
    min_size=4,
    max_size=30,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(initial=st.integers(1, 8), steps=operations)
def test_waitlist_matches_the_reference(
    app: FastAPI, initial: int, steps: list[tuple[str, int]]
) -> None:
    database = app.state.database
    run(database, _run_steps(database, initial, steps))


async def _run_steps(database: Database, initial: int, steps: list[tuple[str, int]]) -> None:
    """The steps through the services, each in its own transaction, checked after each."""
    start = datetime.now(UTC) + timedelta(days=30)
    organization = await organizations.create(
        database, principal=ADMIN, organization_in=OrganizationCreate(name="P")
    )
    gig = await gigs.create(
        database,
        principal=ADMIN,
        gig_in=GigCreate(
            organization_id=organization.item.id, title="Eigenschappen", category="other",
            kind="group", starts_at=start, ends_at=start + timedelta(hours=2), capacity=initial,
            group_size_max=None,
        ),
    )  # fmt: skip
    gig_id = gig.item.id
    reference = Reference(capacity=initial)
    signup_ids: list[str] = []
    for kind, value in steps:
        if kind == "signup":
            current = await gigs.get_visible(database, principal=ADMIN, gig_id=gig_id)
            if value > current.item.capacity:
                continue  # outside the group bounds: a 422, not a waitlist question
            association = await associations.create(
                database,
                principal=ADMIN,
                association_in=AssociationCreate(name=f"Groep {len(signup_ids)} {gig_id}"),
                base_url="",
            )
            signup = await signups.sign_up(
                database, principal=ADMIN, gig_id=gig_id,
                signup_in=SignupCreate(association_id=association.item.id, size=value),
            )  # fmt: skip
            signup_ids.append(signup.id)
            reference.sign_up(value)
        elif kind == "cancel":
            active = [i for i, entry in enumerate(reference.entries) if entry[1] != "cancelled"]
            if not active:
                continue
            index = active[value % len(active)]
            await signups.cancel(database, principal=ADMIN, signup_id=signup_ids[index])
            reference.cancel(index)
        else:
            accepted = reference.set_capacity(value)
            try:
                await gigs.update_gig(database, principal=ADMIN, gig_id=gig_id,
                                      gig_in=GigUpdate(capacity=value), if_match=None)  # fmt: skip
                assert accepted
            except Conflict:
                assert not accepted
        reads = [
            await signups.get_visible(database, principal=ADMIN, signup_id=signup_id)
            for signup_id in signup_ids
        ]
        with db_session(database.url) as session:
            gig_row = session.get(Gig, gig_id)
        assert gig_row is not None
        assert [read.status for read in reads] == [entry[1] for entry in reference.entries]
        assert gig_row.confirmed_people == reference.confirmed() <= gig_row.capacity
        positions = [read.waitlist_position for read in reads if read.status == "waitlisted"]
        assert positions == list(range(1, len(positions) + 1))
        assert gig_row.waitlist_count == len(positions)
