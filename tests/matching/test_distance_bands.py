"""An organisation learns a candidate's distance only in bands: trilateration gives nothing.

Read through HTTP as the gig's organisation: every field of a candidate (score, breakdown,
reasons, Dutch and English) is the same for two homes whose distances to the gigs lie in
the same bands, so no number of gigs pins a home down finer than the bands.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi.testclient import TestClient

from app.services.geo import python_km_distance
from tests.factories import make_gig, make_volunteer, organization_with_key

CELL = (53.22, 6.57)  # a corner of the home grid (multiples of 0.01 degrees)
KM_PER_DEGREE_LAT = 6371.0088 * math.pi / 180
BANDS_KM = (2.0, 5.0, 10.0)
BAND_TEXTS = {
    "nl": ("minder dan 2 km", "2 tot 5 km", "5 tot 10 km"),
    "en": ("less than 2 km", "2–5 km", "5–10 km"),
}


def _moved(point: tuple[float, float], north_km: float, east_km: float) -> tuple[float, float]:
    lat = point[0] + north_km / KM_PER_DEGREE_LAT
    return lat, point[1] + east_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))


def _band(home: tuple[float, float], gig: tuple[float, float]) -> int:
    km = python_km_distance(*home, *gig)
    return sum(km >= limit for limit in BANDS_KM)


def _gig_at(client: TestClient, org: dict[str, str], point: tuple[float, float]) -> str:
    location = {"address": "Ergens 1", "lat": point[0], "lon": point[1]}
    return str(make_gig(client, org, location=location)["id"])


def _move_home(client: TestClient, volunteer_id: str, own: dict[str, str], home: Any) -> None:
    body = {"lat": home[0], "lon": home[1]}
    response = client.patch(f"/api/v1/volunteers/{volunteer_id}", json=body, headers=own)
    assert response.status_code == 200, response.text


def _candidates(client: TestClient, org: dict[str, str], gig_ids: list[str]) -> list[Any]:
    answers = []
    for gig_id in gig_ids:
        for lang in ("nl", "en"):
            response = client.get(f"/api/v1/gigs/{gig_id}/candidates?lang={lang}", headers=org)
            assert response.status_code == 200, response.text
            answers.append(response.json())
    return answers


def _assert_only_bands(answers: list[Any], volunteer_id: str) -> None:
    for answer, lang in zip(answers, ["nl", "en"] * (len(answers) // 2), strict=True):
        (item,) = answer["items"]
        assert item["volunteer"]["id"] == volunteer_id
        near = [reason for reason in item["reasons"] if "km" in reason]
        assert len(near) <= 1
        assert all(any(band in reason for band in BAND_TEXTS[lang]) for reason in near)


def test_three_gigs_cannot_trilaterate_a_home(client: TestClient) -> None:
    _, org = organization_with_key(client)
    gigs = [CELL, _moved(CELL, 0, 3.0), _moved(CELL, 7.0, 0)]
    homes = [_moved(CELL, 0.3, 0), _moved(CELL, 0, -0.8)]
    # Precondition: 0.3/3.0/6.7 km and 0.8/3.8/7.0 km, so the same bands, well inside them.
    assert [_band(homes[0], gig) for gig in gigs] == [_band(homes[1], gig) for gig in gigs]
    volunteer, own = make_volunteer(client, lat=homes[0][0], lon=homes[0][1])
    gig_ids = [_gig_at(client, org, point) for point in gigs]

    first = _candidates(client, org, gig_ids)
    _move_home(client, volunteer["id"], own, homes[1])
    second = _candidates(client, org, gig_ids)

    assert first == second
    _assert_only_bands(first, volunteer["id"])


def test_moving_a_gig_across_a_band_edge_does_not_find_the_home(client: TestClient) -> None:
    _, org = organization_with_key(client)
    # Two homes 300 m apart, on either side of the 2 km edge around the gig.
    gig = _moved(CELL, 2.05, 0)
    homes = [_moved(CELL, 0.15, 0), _moved(CELL, -0.15, 0)]
    assert python_km_distance(*homes[0], *gig) < 2.0 < python_km_distance(*homes[1], *gig)
    volunteer, own = make_volunteer(client, lat=homes[0][0], lon=homes[0][1])
    gig_ids = [_gig_at(client, org, gig)]

    first = _candidates(client, org, gig_ids)
    _move_home(client, volunteer["id"], own, homes[1])
    second = _candidates(client, org, gig_ids)

    assert first == second
    _assert_only_bands(first, volunteer["id"])
