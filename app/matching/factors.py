"""Vectorised factors and hard constraints of one gig against a whole volunteer pool."""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
from numpy.typing import NDArray

from app.matching import requirements
from app.matching import weights as w
from app.matching.pool import VolunteerPool
from app.matching.profiles import CATEGORY_INDEX, GigProfile, normalise_tag, postcode_digits
from app.matching.timeslots import gig_slot_weights

EARTH_RADIUS_KM: Final = 6371.0088
HOME_GRID_DEGREES: Final = 0.01
"""Homes are rounded to this grid (about 1.1 x 0.7 km in Groningen) before any distance:
moving a gig across a band edge then finds the edge of a grid cell, not of a home."""
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class GigScoring:
    """Scores of every pool volunteer for one gig; ``scores`` is -inf where excluded."""

    gig: GigProfile
    factors: dict[str, FloatArray]
    excluded: BoolArray
    scores: FloatArray
    distance_band: NDArray[np.intp]
    """Index into ``DISTANCE_BANDS_KM`` (3: 10 km or more), -1 without coordinates."""
    skills: tuple[tuple[str, str], ...]
    """The gig's skills as (normalised, as the gig wrote it), without duplicates."""
    languages: tuple[str, ...]
    """The gig's normalised languages (empty: any)."""


def unique_tags(tags: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(normalised, original) pairs of a tag list, first spelling wins, empties dropped."""
    seen: dict[str, str] = {}
    for tag in tags:
        key = normalise_tag(tag)
        if key and key not in seen:
            seen[key] = tag.strip()
    return tuple(seen.items())


def haversine_km(lat: float, lon: float, lats: FloatArray, lons: FloatArray) -> FloatArray:
    """Great-circle distance from one point to many, in kilometres (NaN stays NaN)."""
    phi1 = math.radians(lat)
    phi2 = np.radians(lats)
    half_dphi = (phi2 - phi1) / 2.0
    half_dlambda = (np.radians(lons) - math.radians(lon)) / 2.0
    a = np.sin(half_dphi) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    result: FloatArray = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def _tag_counts(index_members: list[NDArray[np.intp]], n: int) -> FloatArray:
    counts = np.zeros(n, dtype=np.float64)
    for rows in index_members:
        counts[rows] += 1.0
    return counts


def coarse_home(degrees: FloatArray) -> FloatArray:
    """Coordinates rounded to ``HOME_GRID_DEGREES`` (NaN stays NaN)."""
    rounded: FloatArray = np.round(degrees / HOME_GRID_DEGREES) * HOME_GRID_DEGREES
    return rounded


def distance_bands(distance_km: FloatArray) -> NDArray[np.intp]:
    """Band index of each distance (0: < 2 km ... 3: 10 km or more), -1 for NaN."""
    bands = np.searchsorted(np.asarray(w.DISTANCE_BANDS_KM), distance_km, side="right")
    return np.where(np.isnan(distance_km), -1, bands).astype(np.intp)


def _distance(gig: GigProfile, pool: VolunteerPool) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distance factor and band; the factor comes from the band alone, so no score,
    breakdown or reason shown to an organisation carries the exact kilometres."""
    n = pool.size
    band = np.full(n, -1, dtype=np.intp)
    postcode = postcode_digits(gig.postcode)
    has_coordinates = gig.lat is not None and gig.lon is not None
    if not (has_coordinates or postcode or gig.area):
        return np.full(n, w.GIG_WITHOUT_LOCATION), band
    factor = np.full(n, w.LOCATION_UNKNOWN)
    area = pool.area_code(gig.area)
    if area >= 0:
        factor[pool.area_codes == area] = w.SAME_AREA
    if postcode:
        factor[pool.postcodes == postcode] = w.SAME_POSTCODE
    if gig.lat is not None and gig.lon is not None:
        lats, lons = coarse_home(pool.lat), coarse_home(pool.lon)
        band = distance_bands(haversine_km(gig.lat, gig.lon, lats, lons))
        known = band >= 0
        factor[known] = np.asarray(w.DISTANCE_BAND_FACTORS)[band[known]]
    return factor, band


def _availability(gig: GigProfile, pool: VolunteerPool) -> FloatArray:
    slots, seconds = gig_slot_weights(gig.starts_at, gig.ends_at)
    byte_rows = np.unique(slots >> 3)
    # Unpack only the bytes the gig touches: (8 * rows, n) bits, weighted by seconds.
    bits = np.unpackbits(pool.availability[byte_rows], axis=0, bitorder="little")
    row_of = {int(row): i for i, row in enumerate(byte_rows)}
    slot_weights = np.zeros(bits.shape[0], dtype=np.float64)
    for slot, second in zip(slots.tolist(), seconds.tolist(), strict=True):
        slot_weights[row_of[slot >> 3] * 8 + (slot & 7)] += second
    covered: FloatArray = (slot_weights @ bits) / float(seconds.sum())
    return np.where(pool.availability_known, covered, w.NEUTRAL)


def _clashes(gig: GigProfile, pool: VolunteerPool) -> BoolArray:
    """Volunteers with a confirmed sign-up overlapping the gig (touching ends do not)."""
    clash = np.zeros(pool.size, dtype=np.bool_)
    start, end = gig.starts_at.timestamp(), gig.ends_at.timestamp()
    before_end = int(np.searchsorted(pool.busy_start, end, side="left"))
    overlapping = pool.busy_end[:before_end] > start
    clash[pool.busy_owner[:before_end][overlapping]] = True
    return clash


def score_volunteers(gig: GigProfile, pool: VolunteerPool, now: datetime) -> GigScoring:
    """Factors, exclusions and weighted scores of all pool volunteers for ``gig``."""
    n = pool.size
    skills = unique_tags(gig.skills)
    languages = tuple(key for key, _ in unique_tags(gig.languages))
    if gig.kind != "one_off" or not gig.open_for_signup(now):
        # Group gigs are for associations; closed gigs have no candidates.
        empty = np.full(n, -np.inf)
        no_band = np.full(n, -1, dtype=np.intp)
        return GigScoring(gig, {}, np.ones(n, np.bool_), empty, no_band, skills, ())

    if skills:
        members = [pool.skills.members(key) for key, _ in skills]
        skill_factor = _tag_counts(members, n) / len(skills)
    else:
        skill_factor = np.full(n, w.NO_SKILLS_REQUIRED)
    common_languages = _tag_counts([pool.languages.members(k) for k in languages], n)
    language_factor = common_languages / len(languages) if languages else np.ones(n)
    bit = np.uint16(1 << CATEGORY_INDEX[gig.category])
    interested = (pool.interests & bit) > 0
    interest_factor = np.where(pool.interests == 0, w.NEUTRAL, interested.astype(np.float64))
    # Banded, and the whole score is computed from the band: a continuous distance term in
    # the total would let an organisation difference the kilometres out of its scores.
    distance_factor, distance_band = _distance(gig, pool)
    booked = np.maximum(pool.hours_booked, 0.0)
    factors = {
        "skills": skill_factor,
        "availability": _availability(gig, pool),
        "distance": distance_factor,
        "interests": interest_factor,
        "languages": language_factor,
        "fairness": 1.0 / (1.0 + booked / w.FAIRNESS_HALF_HOURS),
    }

    excluded = _clashes(gig, pool)
    excluded[pool.signed_up.get(gig.id, np.zeros(0, np.intp))] = True
    if not gig.accessible:
        excluded |= pool.needs_accessible
    if not gig.guidance_available:
        excluded |= pool.needs_guidance
    if languages:
        excluded |= common_languages == 0
    excluded |= booked + gig.duration_hours > pool.max_hours + 1e-9
    if gig.requirements:
        excluded |= requirements.unmet(
            gig.requirements,
            day=requirements.gig_day(gig.starts_at),
            birth=pool.birth,
            vog_until=pool.vog_until,
            licence_until=pool.licence_until,
        )

    total_weight = sum(w.VOLUNTEER_WEIGHTS.values())
    weighted = np.zeros(n, dtype=np.float64)
    for name, factor in factors.items():
        weighted += w.VOLUNTEER_WEIGHTS[name] * factor
    scores = np.where(excluded, -np.inf, weighted / total_weight)
    return GigScoring(gig, factors, excluded, scores, distance_band, skills, languages)
