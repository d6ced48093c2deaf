"""Pure scoring and assignment of volunteers and associations to gigs.

No database or web imports here: services load profiles and call these functions.
Weights live in ``app.matching.weights``.
"""

from app.matching.assignment import (
    MAX_ASSIGNMENT_CELLS,
    MAX_ASSIGNMENT_GIGS,
    MAX_ASSIGNMENT_VOLUNTEERS,
    Assignment,
    AssignmentResult,
    ProblemTooLarge,
    assign,
)
from app.matching.associations import AssociationMatch, rank_associations
from app.matching.pool import VolunteerPool
from app.matching.profiles import (
    CATEGORIES,
    AssociationProfile,
    GigProfile,
    VolunteerProfile,
)
from app.matching.scoring import (
    GigMatch,
    VolunteerMatch,
    rank_gigs_for_volunteer,
    rank_volunteers,
    score_matrix,
)
from app.matching.weights import ASSOCIATION_WEIGHTS, VOLUNTEER_WEIGHTS

__all__ = [
    "ASSOCIATION_WEIGHTS",
    "CATEGORIES",
    "MAX_ASSIGNMENT_CELLS",
    "MAX_ASSIGNMENT_GIGS",
    "MAX_ASSIGNMENT_VOLUNTEERS",
    "VOLUNTEER_WEIGHTS",
    "Assignment",
    "AssignmentResult",
    "AssociationMatch",
    "AssociationProfile",
    "GigMatch",
    "GigProfile",
    "ProblemTooLarge",
    "VolunteerMatch",
    "VolunteerPool",
    "VolunteerProfile",
    "assign",
    "rank_associations",
    "rank_gigs_for_volunteer",
    "rank_volunteers",
    "score_matrix",
]
