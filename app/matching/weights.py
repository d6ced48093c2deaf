"""Scoring weights and tuning constants: the one place to change how matches are ranked.

Every factor is a number in [0, 1]; a candidate's score is the weighted mean of its factors,
so the score is in [0, 1] too. Hard constraints (time clash, accessibility, guidance, ...)
never appear here: they exclude a candidate instead of lowering its score.
"""

from typing import Final

VOLUNTEER_WEIGHTS: Final[dict[str, float]] = {
    "skills": 3.0,
    "availability": 3.0,
    "distance": 2.0,
    "interests": 1.5,
    "languages": 1.0,
    "fairness": 1.0,
}
"""Weights of the volunteer factors (relative; the score divides by their sum).

- ``skills``: share of the gig's skills the volunteer has (accent- and case-insensitive);
  a gig that asks for no skills gives every volunteer ``NO_SKILLS_REQUIRED``.
- ``availability``: share of the gig's duration inside the volunteer's weekly windows
  (Europe/Amsterdam, walked in local quarter hours, so midnight and DST are handled);
  a volunteer who gave no availability gets ``NEUTRAL``.
- ``distance``: the factor of the distance band (``DISTANCE_BANDS_KM``) when both have
  coordinates, else the postcode/area fallbacks below. Never a continuous function of the
  kilometres: an organisation sees scores for its own gigs and could trilaterate a home.
- ``interests``: 1 when the gig's category is among the volunteer's interests, 0 when not,
  ``NEUTRAL`` when the volunteer listed none.
- ``languages``: share of the gig's languages the volunteer speaks (1 when the gig lists
  none; no common language at all excludes).
- ``fairness``: ``1 / (1 + hours_booked_this_month / FAIRNESS_HALF_HOURS)``, so work is
  spread over people instead of piling onto the most active volunteers.
"""

ASSOCIATION_WEIGHTS: Final[dict[str, float]] = {
    "category": 3.0,
    "area": 2.0,
    "size": 2.0,
    "engagement": 1.0,
}
"""Weights of the association factors for group gigs (relative, like the above).

- ``category``: 1 when the gig's category is in ``preferred_categories``, ``ANY_PREFERENCE``
  when the association lists none ("any"), 0 otherwise.
- ``area``: the same for ``preferred_areas``; ``NEUTRAL`` when the gig has no area but the
  association has preferences.
- ``size``: mean of ``min(1, members / group_size_min)`` and ``min(1, members /
  group_size_max)``: able to send the minimum, and ideally the maximum (missing bounds
  count as 1 person). ``member_count`` never excludes.
- ``engagement``: ``hours / (hours + ENGAGEMENT_HALF_HOURS)`` of past engagement.
"""

NEUTRAL: Final = 0.5
"""Value of a factor when the candidate gave no information for it."""

NO_SKILLS_REQUIRED: Final = 1.0
"""Skills factor for a gig that lists no skills: anyone fully qualifies."""

DISTANCE_BANDS_KM: Final = (2.0, 5.0, 10.0)
"""Upper limits of the distance bands: < 2 km, 2–5 km, 5–10 km, and >= 10 km."""
DISTANCE_BAND_FACTORS: Final = (0.8, 0.5, 0.2, 0.0)
"""Distance factor per band, the same for every distance inside it."""
SAME_POSTCODE: Final = 0.8
"""Distance factor without coordinates but with the same 4-digit postcode."""
SAME_AREA: Final = 0.6
"""Distance factor without coordinates, different/unknown postcode, same area."""
LOCATION_UNKNOWN: Final = 0.3
"""Distance factor when the gig has a location but nothing shows the volunteer is near."""
GIG_WITHOUT_LOCATION: Final = NEUTRAL
"""Distance factor for every volunteer when the gig has no location at all (e.g. online)."""

FAIRNESS_HALF_HOURS: Final = 8.0
ANY_PREFERENCE: Final = 0.8
ENGAGEMENT_HALF_HOURS: Final = 20.0
