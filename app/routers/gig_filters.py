"""The gig list's query parameters, read with one model validation per request.

The parameters, their limits and their error messages are those of `GET /api/v1/gigs`
(`routers/gigs.py`), so a filter means the same on the list and on the calendar feed.

Speed: FastAPI resolves each declared query parameter separately, which for the
thirteen filters costs more than the list query itself. Here the query string is read
once into a pydantic model (`GigListQuery`), and the same model describes the
parameters in the OpenAPI document (`query_parameters`), so docs and validation
cannot drift apart. Errors are FastAPI's own `RequestValidationError`, located at
`["query", <name>]`: the same 422 problem as for any other parameter.

`area` is matched by its stored spellings, which the listing reads first
(`gig_list_sql.with_area_spellings`): the list does that on a miss of its cache, the
calendar feed in `public_gig_filters`.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, get_args, get_origin

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from app.dependencies import DatabaseDep
from app.errors import field_error
from app.pagination import MAX_CURSOR_LENGTH
from app.schemas.common import Category
from app.schemas.gig import GigKind
from app.services.gig_list_sql import GigFilters, GigSort, with_area_spellings
from app.services.gig_listing import ListRequest


class GigFilterQuery(BaseModel):
    """Filters of the public gig lists (the calendar feed): no drafts."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    status: Annotated[str, Field(pattern="^(open|cancelled|completed)$")] = "open"
    kind: GigKind | None = None
    category: Annotated[list[Category] | None, Field(max_length=12)] = None
    area: Annotated[
        str | None,
        Field(max_length=100, description="The gig's area, case- and accent-insensitive."),
    ] = None
    organization_id: Annotated[str | None, Field(max_length=40)] = None
    starts_after: AwareDatetime | None = None
    starts_before: AwareDatetime | None = None
    q: Annotated[str | None, Field(max_length=200)] = None
    skill: Annotated[list[str] | None, Field(max_length=10)] = None
    accessible: bool | None = None
    has_spots: bool | None = None
    near: Annotated[str | None, Field(description="`<lat>,<lon>`", max_length=60)] = None
    radius_km: Annotated[float | None, Field(gt=0, le=500)] = None

    def filters(self) -> GigFilters:
        """The filters as the listing takes them; 422 for `near`/`radius_km` misuse."""
        point = parse_near(self.near)
        if self.radius_km is not None and point is None:
            raise field_error(["query", "radius_km"], "`radius_km` needs `near`")
        return GigFilters(
            status=self.status,
            kind=self.kind,
            categories=list(self.category or []),
            area=self.area,
            organization_id=self.organization_id,
            starts_after=self.starts_after,
            starts_before=self.starts_before,
            q=self.q,
            skills=[value[:60] for value in self.skill or []],
            accessible=self.accessible,
            has_spots=self.has_spots,
            near=point,
            radius_km=self.radius_km,
        )


class GigListQuery(GigFilterQuery):
    """`GET /api/v1/gigs`: the filters (drafts too, for those who may see them) and paging."""

    status: Annotated[str, Field(pattern="^(draft|open|cancelled|completed)$")] = "open"
    starts_after: AwareDatetime | None = Field(
        default=None,
        description="Gigs starting at or after this moment; default: now, so a plain list "
        "shows only gigs that have not started.",
    )
    sort: GigSort = "starts_at"
    cursor: Annotated[
        str | None,
        Field(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page."),
    ] = None
    limit: Annotated[int, Field(ge=1, le=200, description="Page size, 1–200.")] = 50


def parse_near(near: str | None) -> tuple[float, float] | None:
    """`near=<lat>,<lon>` as a point, or a 422 naming the parameter."""
    if near is None:
        return None
    try:
        lat_text, lon_text = near.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise field_error(["query", "near"], "use `<lat>,<lon>`, e.g. `53.2194,6.5665`") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise field_error(["query", "near"], "latitude or longitude out of range")
    return lat, lon


def _list_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields that take a repeated parameter (`list[...]`, optional or not)."""

    def is_list(annotation: Any) -> bool:
        return get_origin(annotation) is list or any(is_list(arg) for arg in get_args(annotation))

    return frozenset(
        name for name, field in model.model_fields.items() if is_list(field.annotation)
    )


_LIST_FIELDS = {model: _list_fields(model) for model in (GigFilterQuery, GigListQuery)}


Q = TypeVar("Q", bound=GigFilterQuery)


def read_query(model: type[Q], request: Request) -> Q:
    """The request's query string as ``model``; unknown parameters are ignored."""
    params = request.query_params
    lists = _LIST_FIELDS[model]
    fields = model.model_fields
    data = {
        name: params.getlist(name) if name in lists else value
        for name, value in params.items()
        if name in fields
    }
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(
            [{**detail, "loc": ("query", *detail["loc"])} for detail in error.errors()]
        ) from None


def query_parameters(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` that documents every field of ``model`` as a query parameter."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    parameters = []
    for name, field_schema in schema["properties"].items():
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": False,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return {"parameters": parameters}


def list_request(request: Request) -> ListRequest:
    """`GET /api/v1/gigs`: filters, order and page of the request; 422 for bad ones."""
    query = read_query(GigListQuery, request)
    filters = query.filters()
    if query.sort == "distance" and filters.near is None:
        raise field_error(["query", "sort"], "`sort=distance` needs `near`")
    return ListRequest(filters=filters, sort=query.sort, cursor=query.cursor, limit=query.limit)


async def public_gig_filters(request: Request, db: DatabaseDep) -> GigFilters:
    """Dependency: the public filters of the request, `area` with its stored spellings
    (document them with `openapi_extra=query_parameters(GigFilterQuery)` on the route)."""
    filters = read_query(GigFilterQuery, request).filters()
    return await with_area_spellings(db, filters)
