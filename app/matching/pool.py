"""Columnar volunteer data: built once from profiles, then scored for any gig with numpy."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
from numpy.typing import NDArray

from app.matching.profiles import (
    CATEGORY_INDEX,
    AvailabilityWindow,
    VolunteerProfile,
    normalise_tag,
    postcode_digits,
)
from app.matching.requirements import UNKNOWN_BIRTH
from app.matching.timeslots import SLOTS_PER_WEEK, window_slot_ranges

_CHUNK: Final = 16_384
_EMPTY: Final[NDArray[np.intp]] = np.zeros(0, dtype=np.intp)


@dataclass(frozen=True, slots=True)
class TagIndex:
    """Inverted index of normalised tags (skills, languages): tag -> sorted volunteer rows."""

    vocabulary: dict[str, int]
    indptr: NDArray[np.intp]
    rows: NDArray[np.intp]

    @classmethod
    def build(cls, tags_per_row: Iterable[Iterable[str]]) -> "TagIndex":
        """Index the tags of each row (normalised; duplicates within a row collapse)."""
        vocabulary: dict[str, int] = {}
        owners: list[int] = []
        codes: list[int] = []
        for row, tags in enumerate(tags_per_row):
            for tag in tags:
                key = normalise_tag(tag)
                if key:
                    owners.append(row)
                    codes.append(vocabulary.setdefault(key, len(vocabulary)))
        owner_array = np.asarray(owners, dtype=np.intp)
        code_array = np.asarray(codes, dtype=np.intp)
        n_rows = int(owner_array.max()) + 1 if owners else 0
        # Sort by (code, owner) and drop repeats of the same tag on one row.
        keys = np.unique(code_array * max(n_rows, 1) + owner_array)
        sorted_codes = keys // max(n_rows, 1)
        counts = np.bincount(sorted_codes, minlength=len(vocabulary))
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.intp)
        np.cumsum(counts, out=indptr[1:])
        return cls(vocabulary, indptr, (keys % max(n_rows, 1)).astype(np.intp))

    def members(self, tag: str) -> NDArray[np.intp]:
        """Rows having ``tag`` (already normalised), sorted ascending."""
        code = self.vocabulary.get(tag)
        if code is None:
            return _EMPTY
        return self.rows[self.indptr[code] : self.indptr[code + 1]]


@dataclass(frozen=True, slots=True, eq=False)
class VolunteerPool:
    """Arrays over all candidate volunteers, one entry per volunteer in ``ids`` order.

    ``availability`` packs the weekly quarter-hour grid (see ``timeslots``) into bits:
    bit ``s & 7`` of ``availability[s >> 3, i]`` says volunteer ``i`` is free in slot ``s``.
    Busy intervals are flattened into ``busy_*`` arrays sorted by start (epoch seconds).
    """

    ids: tuple[str, ...]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    area_codes: NDArray[np.int32]
    area_vocabulary: dict[str, int]
    postcodes: NDArray[np.int32]
    skills: TagIndex
    languages: TagIndex
    interests: NDArray[np.uint16]
    availability: NDArray[np.uint8]
    availability_known: NDArray[np.bool_]
    needs_guidance: NDArray[np.bool_]
    needs_accessible: NDArray[np.bool_]
    hours_booked: NDArray[np.float64]
    max_hours: NDArray[np.float64]
    busy_owner: NDArray[np.intp]
    busy_start: NDArray[np.float64]
    busy_end: NDArray[np.float64]
    signed_up: dict[str, NDArray[np.intp]]
    birth: NDArray[np.int64]
    """Day ordinal of the birth date, `UNKNOWN_BIRTH` when unknown."""
    vog_until: NDArray[np.int64]
    """Day ordinal of the last valid day of a VOG, 0 when none."""
    licence_until: NDArray[np.int64]

    @property
    def size(self) -> int:
        """Number of volunteers in the pool."""
        return len(self.ids)

    def area_code(self, area: str | None) -> int:
        """Code of an area name in this pool, -1 when unknown or absent."""
        return self.area_vocabulary.get(normalise_tag(area), -1) if area else -1

    def availability_bit(self, slot: int) -> NDArray[np.bool_]:
        """Per volunteer: free in weekly slot ``slot``."""
        byte_row = self.availability[slot >> 3]
        bits: NDArray[np.bool_] = ((byte_row >> np.uint8(slot & 7)) & np.uint8(1)) > 0
        return bits

    @classmethod
    def from_profiles(cls, volunteers: Sequence[VolunteerProfile]) -> "VolunteerPool":
        """Build the columnar pool (one pass over the profiles, then numpy)."""
        n = len(volunteers)
        ids = tuple(v.id for v in volunteers)
        if len(set(ids)) != n:
            raise ValueError("volunteer ids must be unique")
        nan = math.nan
        lat = np.array([nan if v.lat is None else v.lat for v in volunteers], dtype=np.float64)
        lon = np.array([nan if v.lon is None else v.lon for v in volunteers], dtype=np.float64)
        area_vocabulary: dict[str, int] = {}
        area_codes = np.full(n, -1, dtype=np.int32)
        interests = np.zeros(n, dtype=np.uint16)
        signed_up: dict[str, list[int]] = {}
        busy_owner: list[int] = []
        busy_start: list[float] = []
        busy_end: list[float] = []
        for row, volunteer in enumerate(volunteers):
            if volunteer.area:
                key = normalise_tag(volunteer.area)
                area_codes[row] = area_vocabulary.setdefault(key, len(area_vocabulary))
            mask = 0
            for category in volunteer.interests:
                index = CATEGORY_INDEX.get(category)
                if index is not None:
                    mask |= 1 << index
            interests[row] = mask
            for gig_id in volunteer.signed_up_gig_ids:
                signed_up.setdefault(gig_id, []).append(row)
            for start, end in volunteer.busy:
                busy_owner.append(row)
                busy_start.append(start.timestamp())
                busy_end.append(end.timestamp())
        order = np.argsort(np.asarray(busy_start, dtype=np.float64), kind="stable")
        availability, known = _pack_availability([v.availability for v in volunteers])
        return cls(
            ids=ids,
            lat=lat,
            lon=lon,
            area_codes=area_codes,
            area_vocabulary=area_vocabulary,
            postcodes=np.array([postcode_digits(v.postcode) for v in volunteers], np.int32),
            skills=TagIndex.build(v.skills for v in volunteers),
            languages=TagIndex.build(v.languages or ("nl",) for v in volunteers),
            interests=interests,
            availability=availability,
            availability_known=known,
            needs_guidance=np.array([v.needs_guidance for v in volunteers], np.bool_),
            needs_accessible=np.array([v.needs_accessible for v in volunteers], np.bool_),
            hours_booked=np.array([v.hours_booked_this_month for v in volunteers], np.float64),
            max_hours=np.array(
                [
                    math.inf if v.max_hours_per_month is None else v.max_hours_per_month
                    for v in volunteers
                ],
                dtype=np.float64,
            ),
            busy_owner=np.asarray(busy_owner, dtype=np.intp)[order],
            busy_start=np.asarray(busy_start, dtype=np.float64)[order],
            busy_end=np.asarray(busy_end, dtype=np.float64)[order],
            signed_up={k: np.asarray(v, dtype=np.intp) for k, v in signed_up.items()},
            birth=_ordinals([v.birth_date for v in volunteers], UNKNOWN_BIRTH),
            vog_until=_ordinals([v.vog_valid_until for v in volunteers], 0),
            licence_until=_ordinals([v.driving_licence_valid_until for v in volunteers], 0),
        )


def _ordinals(days: Sequence[date | None], unknown: int) -> NDArray[np.int64]:
    return np.array([unknown if day is None else day.toordinal() for day in days], np.int64)


def _pack_availability(
    windows_per_volunteer: Sequence[Sequence[AvailabilityWindow]],
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """Pack weekly windows into a (SLOTS_PER_WEEK / 8, n) bit matrix, chunk by chunk."""
    n = len(windows_per_volunteer)
    packed = np.zeros((SLOTS_PER_WEEK // 8, n), dtype=np.uint8)
    known = np.array([len(w) > 0 for w in windows_per_volunteer], dtype=np.bool_)
    cache: dict[AvailabilityWindow, list[tuple[int, int]]] = {}
    owners: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    for row, windows in enumerate(windows_per_volunteer):
        for window in windows:
            ranges = cache.get(window)
            if ranges is None:
                ranges = cache[window] = window_slot_ranges(window)
            for first, last in ranges:
                owners.append(row)
                firsts.append(first)
                lasts.append(last)
    owner_array = np.asarray(owners, dtype=np.intp)
    first_array = np.asarray(firsts, dtype=np.intp)
    last_array = np.asarray(lasts, dtype=np.intp)
    for begin in range(0, n, _CHUNK):
        stop = min(begin + _CHUNK, n)
        selected = (owner_array >= begin) & (owner_array < stop)
        if not selected.any():
            continue
        # +1 at each window start, -1 at its end; a running sum > 0 means "free".
        steps = np.zeros((stop - begin, SLOTS_PER_WEEK + 1), dtype=np.int16)
        local_owner = owner_array[selected] - begin
        np.add.at(steps, (local_owner, first_array[selected]), 1)
        np.add.at(steps, (local_owner, last_array[selected]), -1)
        free = np.cumsum(steps[:, :-1], axis=1, dtype=np.int16) > 0
        packed[:, begin:stop] = np.packbits(free.T, axis=0, bitorder="little")
    return packed, known
