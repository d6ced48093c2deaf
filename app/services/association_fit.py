"""Whether a gig fits a student association's preferences, as SQL (API.md, "fits").

A gig fits when its category is in `preferred_categories` and its area in
`preferred_areas`; an empty list means any. Areas are free text, so they are compared
trimmed and case-insensitively; a gig without an area fits only an association without
area preferences. `member_count` never excludes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, true

from app.models import Gig


def fits_association(association: Any) -> ColumnElement[bool]:
    """A WHERE clause: the gig fits the association's category and area preferences
    (``association``: its row, with `preferred_categories` and `preferred_areas`)."""
    conditions: list[Any] = []
    if association.preferred_categories:
        conditions.append(Gig.category.in_(list(association.preferred_categories)))
    areas = sorted({area.strip().lower() for area in association.preferred_areas})
    if areas:
        conditions.append(func.lower(func.trim(Gig.area)).in_(areas))
    return and_(*conditions) if conditions else true()
