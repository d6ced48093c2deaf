"""`/api/v1/reports`: the impact report (JSON, CSV, an SVG chart) and the public report."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.auth import OrganizationPrincipal, Principal, require_organization
from app.config import API_PREFIX
from app.dependencies import caches_of, database_of, settings_of
from app.hot_routes import HotRoute
from app.models.base import utcnow
from app.schemas.report import (
    GroupBy,
    ImpactReport,
    PublicGroupBy,
    PublicReport,
    ReportLanguage,
)
from app.services import reports
from app.services.reports import ReportForm, ReportRequest
from app.services.reports_cache import ReportAnswer
from app.services.reports_period import Period

router = APIRouter(prefix=f"{API_PREFIX}/reports", tags=["reports"])


class ImpactQuery(BaseModel):
    """The query parameters of the impact report (and its chart)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    first_day: date = Field(alias="from", description="First day (Europe/Amsterdam), `YYYY-MM-DD`.")
    to: date = Field(description="Last day, included (a gig counts on the day it starts).")
    group_by: GroupBy = Field(description="What one row (or bar) is of.")
    lang: ReportLanguage = Field(
        default="nl", description="Language of labels and the chart's texts."
    )


class PublicQuery(ImpactQuery):
    """The query parameters of the public report."""

    group_by: PublicGroupBy = Field(description="What one row is of.")


def _read(model: type[ImpactQuery], request: Request) -> ReportRequest:
    """The request's query string as a report request; 422 for bad parameters (read only
    when no kept answer will do: a kept one was asked for with the same query string)."""
    try:
        query = model.model_validate(dict(request.query_params))
    except ValidationError as error:
        raise RequestValidationError(
            [{**detail, "loc": ("query", *detail["loc"])} for detail in error.errors()]
        ) from None
    return ReportRequest(Period.of(query.first_day, query.to), query.group_by, query.lang)


def _parameters(model: type[BaseModel], *extra: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` documenting ``model``'s fields as query parameters."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema["properties"].items():
        field_schema.pop("title", None)
        description = field_schema.pop("description", None)
        parameters.append({"name": name, "in": "query", "required": name in required,
                           "schema": field_schema, "description": description})  # fmt: skip
    return {"parameters": [*parameters, *extra]}


_ACCEPT = {
    "name": "Accept",
    "in": "header",
    "required": False,
    "description": "`text/csv` for the rows as CSV; else JSON.",
    "schema": {"type": "string"},
}

_PERIOD = (
    "`from` and `to` are dates in Europe/Amsterdam, both included: the period runs from "
    "midnight at the start of `from` to midnight at the end of `to`, and a gig counts in "
    "the period its start falls in. `to` before `from` is 422; at most ten years."
)
_FIGURES = (
    "Gigs that are open or completed count (not drafts, not cancelled ones); of their "
    "sign-ups the confirmed ones. A group sign-up counts its `size` in people and spots, "
    "and its hours per person times its size. Hours come from recorded attendance only; "
    "`estimated_value_eur` is hours x `hourly_rate_eur`. Erased volunteers still count in "
    "every total, never by who they were. New and returning volunteers are the known "
    "people who took part (attendance recorded): returning when they had taken part "
    "before the period (by month: before that month), new otherwise."
)
_CSV_HEADERS: dict[str, Any] = {
    "Content-Disposition": {
        "description": "CSV only: `attachment` with a file name.",
        "required": False,
        "schema": {"type": "string"},
    },
    "Vary": {"description": "`Accept`.", "required": True, "schema": {"type": "string"}},
}
_CSV_CONTENT = {"text/csv": {"schema": {"type": "string"}}}
_SVG_HEADERS: dict[str, Any] = {
    "Content-Security-Policy": {
        "description": "The chart loads and runs nothing.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def _respond(answer: ReportAnswer) -> Response:
    return Response(answer.body, media_type=answer.media_type, headers=dict(answer.headers))


def wants_csv(accept: str | None) -> bool:
    """Whether `Accept` prefers `text/csv` to JSON (by q-value; JSON on a tie)."""
    best = {"csv": 0.0, "json": 0.0}
    for part in (accept or "").split(","):
        media_type, *parameters = (piece.strip().lower() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_type == "text/csv":
            best["csv"] = max(best["csv"], quality)
        elif media_type in ("application/json", "application/*", "*/*"):
            best["json"] = max(best["json"], quality)
    return best["csv"] > 0 and best["csv"] > best["json"]


@router.get(
    "/impact",
    response_model=ImpactReport,
    openapi_extra=_parameters(ImpactQuery, _ACCEPT),
    responses={
        200: {
            "description": "The report as JSON, or with `Accept: text/csv` its rows as CSV.",
            "content": _CSV_CONTENT,
            "headers": _CSV_HEADERS,
        }
    },
    summary="What volunteering brought, per group (admin; an organisation key: its own gigs)",
    description=(
        f"{_PERIOD} {_FIGURES} Not paginated. With `Accept: text/csv` the same rows come as "
        "CSV (a header row of the field names, numbers with a dot, UTF-8) to download. "
        "Answers are kept until anything is written to the database."
    ),
)
async def impact_report(request: Request, principal: OrganizationPrincipal) -> Response:
    return await _impact(request, principal)


async def _impact_hot(request: Request) -> Response:
    return await _impact(request, await require_organization(request))


async def _impact(request: Request, principal: Principal) -> Response:
    form: ReportForm = "csv" if wants_csv(request.headers.get("accept")) else "json"
    return await _impact_answer(request, principal, form)


async def _impact_answer(request: Request, principal: Principal, form: ReportForm) -> Response:
    answer = await reports.impact(
        database_of(request),
        caches_of(request),
        principal=principal,
        query_string=request.scope["query_string"],
        parse=lambda: _read(ImpactQuery, request),
        form=form,
        hourly_rate_eur=settings_of(request).hourly_rate_eur,
    )
    return _respond(answer)


@router.get(
    "/impact.svg",
    response_class=Response,
    openapi_extra=_parameters(ImpactQuery),
    responses={
        200: {
            "description": "A bar chart of the hours per group, with its title, axes and "
            "period; self-contained (no scripts, nothing loaded from elsewhere).",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "headers": _SVG_HEADERS,
        }
    },
    summary="The impact report's hours as a bar chart (SVG)",
    description=f"The parameters and access of `GET /reports/impact`. {_PERIOD}",
)
async def impact_chart(request: Request, principal: OrganizationPrincipal) -> Response:
    return await _impact_answer(request, principal, "svg")


async def _impact_chart_hot(request: Request) -> Response:
    return await _impact_answer(request, await require_organization(request), "svg")


@router.get(
    "/public",
    response_model=PublicReport,
    openapi_extra=_parameters(PublicQuery),
    responses={200: {"description": "The report, with the rule's suppressions."}},
    summary="The impact figures anyone may see, without singling anyone out (public)",
    description=(
        f"{_FIGURES} Whole calendar months only (`from` the first day of a month, `to` the "
        "last day of one). The figures about people (`signups`, `volunteers`, `hours`, "
        "`estimated_value_eur`, `new_volunteers`, `returning_volunteers`, `spots_filled`) "
        "count only the sign-ups of cells (one month, one area, one category) whose month is "
        "over and that hold at least 10 different people, so that no published figure, nor "
        "the difference of any two, is about fewer people. A row without such a cell has "
        "them null and `suppressed` true; `partial` says a row left some of its sign-ups out. "
        "Gigs and spots offered are always shown."
    ),
)
async def public_report(request: Request) -> Response:
    return await _public(request)


async def _public(request: Request) -> Response:
    answer = await reports.public(
        database_of(request),
        caches_of(request),
        query_string=request.scope["query_string"],
        parse=lambda: _read(PublicQuery, request),
        hourly_rate_eur=settings_of(request).hourly_rate_eur,
        now=utcnow(),
    )
    return _respond(answer)


#: Dashboards poll these: answered ahead of the routes above (`app.hot_routes`). The
#: query string is read by the service, and only when no kept answer will do.
hot_routes = [
    HotRoute(f"{API_PREFIX}/reports/impact", _impact_hot),
    HotRoute(f"{API_PREFIX}/reports/impact.svg", _impact_chart_hot),
    HotRoute(f"{API_PREFIX}/reports/public", _public),
]
