"""The fields a subject (child, staff, class, school) has, for `where` conditions and files."""

from __future__ import annotations

CHILD_FIELDS = (
    "id", "name", "gender", "birth_date", "class", "grade", "category", "guardian_type",
    "guardian_name", "guardian_relation", "guardian_phone", "father_name", "father_phone",
    "father_workplace", "mother_name", "mother_phone", "mother_workplace", "away_since",
    "address", "enrolled_on", "left_on",
)
STAFF_FIELDS = ("id", "name", "roles", "head_of_class", "party_member")
CLASS_FIELDS = ("name", "grade")
SCHOOL_FIELDS = ("code", "name")
SUBJECT_FIELDS = {
    "child": CHILD_FIELDS,
    "staff": STAFF_FIELDS,
    "class": CLASS_FIELDS,
    "school": SCHOOL_FIELDS,
}
PROFILE_PREFIX = "profile."  # extra profile columns of the roster: where: [{field: profile.health}]



def subject_has_field(scope: str, name: str) -> bool:
    if scope == "child" and name.startswith(PROFILE_PREFIX) and len(name) > len(PROFILE_PREFIX):
        return True
    return name in SUBJECT_FIELDS[scope]
