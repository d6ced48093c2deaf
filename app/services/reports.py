"""Reports: what volunteering brought (`impact`) and the figures anyone may see (`public`).

Each report is one statement (`reports_query`) over the report lines (made up to date
first: `report_lines.refresh`), run on a read connection, whose rows are already the
report's rows; they are only labelled and rendered here (`reports_render`),
and kept with the rule of `reports_cache`. The public report's rule is `reports_public`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select

from app.auth import Principal
from app.db import Database, Row
from app.errors import ReportsCatchingUp
from app.models.base import utcnow
from app.schemas.report import (
    GroupBy,
    ImpactReport,
    ImpactRow,
    PublicGroupBy,
    PublicReport,
    PublicRow,
    ReportLanguage,
)
from app.services import report_lines, reports_public
from app.services.caches import Caches
from app.services.reports_cache import ReportAnswer
from app.services.reports_period import Period
from app.services.reports_query import shape_and_values, statement
from app.services.reports_render import csv_body, csv_filename, label, svg_body

#: How often a report is made when a write marked a gig between its lines' refresh and
#: its statement (each time after another refresh).
REFRESH_TRIES = 2
ReportForm = Literal["json", "csv", "svg"]
MEDIA_TYPES: dict[ReportForm, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8; header=present",
    "svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What a report is asked for: the period, the grouping, the language of labels."""

    period: Period
    group_by: GroupBy
    lang: ReportLanguage = "nl"


def scope_of(principal: Principal) -> str | None:
    """Whose gigs a caller's reports count: None for the admin (all), else the caller's
    organisation (`require_role("organization")` lets no one else in)."""
    if principal.is_admin:
        return None
    assert principal.organization_id is not None, "an organisation key has its organisation"
    return principal.organization_id


async def impact(
    database: Database,
    caches: Caches,
    *,
    principal: Principal,
    query_string: bytes,
    parse: Callable[[], ReportRequest],
    form: ReportForm,
    hourly_rate_eur: float,
) -> ReportAnswer:
    """The impact report of the caller's gigs (the admin: all) in ``form``.

    From the report cache while nothing was committed since it was made; only then is
    the query string read (``parse``, which raises 422 for bad parameters).
    """
    organization_id = scope_of(principal)
    key = ("impact", form, organization_id or "*", query_string.decode("latin-1"))

    async def make() -> tuple[ReportAnswer, datetime | None]:
        request = parse()
        shape, values = shape_and_values(
            request.group_by, request.period, organization_id=organization_id
        )
        rows, exact = await _rows(database, statement(shape), values)
        report = ImpactReport(
            items=[_impact_row(row, request, hourly_rate_eur) for row in rows],
            hourly_rate_eur=hourly_rate_eur,
        )
        body = _render(report, form, request)
        answer = ReportAnswer(body, MEDIA_TYPES[form], _headers(form, request))
        return answer, None if exact else utcnow()

    version = await caches.reports.version(database)
    return await caches.reports.answer(key, version, make, _lines_made(database, caches))


async def public(
    database: Database,
    caches: Caches,
    *,
    query_string: bytes,
    parse: Callable[[], ReportRequest],
    hourly_rate_eur: float,
    now: datetime,
) -> ReportAnswer:
    """The public report (`reports_public` says what is shown and why)."""
    key = ("public", "json", "*", query_string.decode("latin-1"))

    async def make() -> tuple[ReportAnswer, datetime | None]:
        request = parse()
        group_by: PublicGroupBy = _public_group(request.group_by)
        reports_public.check_period(request.period)
        shape, values = shape_and_values(
            group_by,
            request.period,
            organization_id=None,
            public=True,
            open_before=reports_public.first_open_month(now),
        )
        rows, exact = await _rows(database, statement(shape), values)
        report = PublicReport(
            items=[_public_row(row, request, hourly_rate_eur) for row in rows],
            hourly_rate_eur=hourly_rate_eur,
        )
        answer = ReportAnswer(report.model_dump_json().encode(), MEDIA_TYPES["json"], {})
        return answer, reports_public.valid_until(request.period, now) if exact else utcnow()

    version = await caches.reports.version(database)
    return await caches.reports.answer(key, version, make, _lines_made(database, caches))


def _lines_made(
    database: Database, caches: Caches
) -> Callable[[str | None], Awaitable[str | None]]:
    """Before a report is made: its lines made up to date, and the data version after
    (while another refresh runs long, the statement says whether the lines are stale)."""

    async def prepare(version: str | None) -> str | None:
        try:
            if await report_lines.refresh(database):
                return await caches.reports.version(database)
        except report_lines.RefreshBusy:
            pass
        return version

    return prepare


async def _rows(
    database: Database, query: Select[Any], values: dict[str, Any]
) -> tuple[list[Row], bool]:
    """The report's rows, and whether its lines were up to date in the statement's
    snapshot. A gig marked meanwhile (by a write after the refresh) is made again and the
    report asked again; if writes keep coming, the rows count what the lines held (the
    writes of the last moments may be missing), and the answer is not kept, so the next
    one counts them. While another refresh runs long (the first after the upgrade makes
    every line): 503, try again."""
    for tries_left in range(REFRESH_TRIES - 1, -1, -1):
        async with database.read(long=True) as tx:
            rows = await tx.rows(query, values)
        exact = not rows[0].stale
        if exact or not tries_left:
            return [row for row in rows if row.gigs is not None], exact
        try:
            await report_lines.refresh(database)
        except report_lines.RefreshBusy:
            raise ReportsCatchingUp(
                "The report's figures are being brought up to date; try again in a little while."
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _public_group(group_by: GroupBy) -> PublicGroupBy:
    if group_by in ("area", "category", "month"):
        return group_by
    raise ValueError(f"the public report is not grouped by {group_by}")


def _headers(form: ReportForm, request: ReportRequest) -> dict[str, str]:
    if form == "csv":
        name = csv_filename(request.group_by, request.period)
        return {"Content-Disposition": f'attachment; filename="{name}"', "Vary": "Accept"}
    if form == "svg":
        # Drawn here with nothing to load or run; a browser that opens it alone is told so.
        return {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return {"Vary": "Accept"}


def _render(report: ImpactReport, form: ReportForm, request: ReportRequest) -> bytes:
    if form == "csv":
        return csv_body(report)
    if form == "svg":
        return svg_body(report.items, request.group_by, request.period, request.lang)
    return report.model_dump_json().encode()


def _people(row: Row, hourly_rate_eur: float) -> dict[str, Any]:
    """The figures about people of a statement row."""
    hours = float(row.hours)
    took_part, returned = int(row.took_part), int(row.returned)
    return {
        "signups": int(row.signups),
        "volunteers": int(row.volunteers),
        "hours": round(hours, 2),
        "estimated_value_eur": round(hours * hourly_rate_eur, 2),
        "new_volunteers": took_part - returned,
        "returning_volunteers": returned,
        "spots_filled": int(row.spots_filled),
    }


def _impact_row(row: Row, request: ReportRequest, hourly_rate_eur: float) -> ImpactRow:
    return ImpactRow(
        key=row.key,
        label=label(request.group_by, row.key, row.label, request.lang),
        gigs=int(row.gigs),
        spots_offered=None if row.spots_offered is None else int(row.spots_offered),
        **_people(row, hourly_rate_eur),
    )


def _public_row(row: Row, request: ReportRequest, hourly_rate_eur: float) -> PublicRow:
    # The statement counts the people of shown cells only: a row without any has none.
    suppressed = int(row.signups) == 0
    people: dict[str, Any] = _people(row, hourly_rate_eur)
    if suppressed:
        people = dict.fromkeys(people)
    return PublicRow(
        key=row.key,
        label=label(request.group_by, row.key, row.label, request.lang),
        gigs=int(row.gigs),
        spots_offered=int(row.spots_offered),
        suppressed=suppressed,
        partial=bool(row.partial) and not suppressed,
        **people,
    )
