"""The fields a subject (child, staff, class, school) has, for `where` conditions and files."""

from __future__ import annotations

from datetime import date

CHILD_FIELDS = (
    "id", "name", "gender", "birth_date", "class", "grade", "category", "guardian_type",
    "guardian_name", "guardian_relation", "guardian_phone", "father_name", "father_phone",
    "father_workplace", "mother_name", "mother_phone", "mother_workplace", "away_since",
    "address", "enrolled_on", "left_on",
)
STAFF_FIELDS = ("id", "name", "roles", "head_of_class", "party_member", "kind")
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

# Who a row of the staff list is: 教职工 (the default; the only people counted as 教职工 and 党员),
# or a person who is not staff; a programme may list more words (`people_kinds`: 法治副校长 …).
STAFF_KIND = "教职工"
PEOPLE_KINDS = (STAFF_KIND, "志愿者", "校外辅导员", "家长志愿者")
KIND_SPELLINGS = {"教师": STAFF_KIND, "老师": STAFF_KIND, "职工": STAFF_KIND, "教职员工": STAFF_KIND,
                  "在编教师": STAFF_KIND, "staff": STAFF_KIND, "volunteer": "志愿者"}


def people_kind(value: str | None) -> str:
    """A 类别 cell as stored: 教师 → 教职工; an empty cell is 教职工."""
    text = (value or "").strip()
    return KIND_SPELLINGS.get(text.lower() if text.isascii() else text, text) or STAFF_KIND


# Spellings a roster may use (compared without spaces, lower case) -> the stored value.
CATEGORY_SPELLINGS = {
    "left_behind": "left_behind", "留守": "left_behind", "留守儿童": "left_behind",
    "父母均外出": "left_behind", "父母双方外出": "left_behind", "双方外出": "left_behind",
    "父亲外出": "left_behind", "母亲外出": "left_behind", "单方外出": "left_behind",
    "orphan": "orphan", "孤儿": "orphan",
    "abandoned": "abandoned", "遗弃": "abandoned", "事实孤儿": "abandoned", "事实无人抚养": "abandoned",
    "single_parent": "single_parent", "单亲": "single_parent", "单亲家庭": "single_parent",
    "none": "none", "非留守": "none", "否": "none", "无": "none", "普通": "none",
}
GUARDIAN_SPELLINGS = {
    "grandparents": "grandparents", "祖辈监护": "grandparents", "祖辈": "grandparents",
    "隔代监护": "grandparents", "祖父母": "grandparents", "外祖父母": "grandparents",
    "one_parent": "one_parent", "父母单方监护": "one_parent", "单方监护": "one_parent",
    "父亲监护": "one_parent", "母亲监护": "one_parent", "父亲": "one_parent", "母亲": "one_parent",
    "relatives": "relatives", "亲朋监护": "relatives", "亲友监护": "relatives", "亲戚监护": "relatives",
    "self": "self", "自我监护": "self", "无人监护": "self",
    "institution": "institution", "机构监护": "institution", "福利院": "institution",
    "other": "other", "其他": "other",
}
ORG_KIND_SPELLINGS = {
    "county": "county", "县": "county", "区": "county", "县区": "county", "县教育局": "county",
    "township": "township", "乡镇": "township", "镇": "township", "乡": "township", "街道": "township",
    "school": "school", "学校": "school", "校": "school",
}


def months_between(since: date, day: date) -> int:
    """Whole months from `since` to `day` (2025-03-15 → 2025-06-14 is 2, → 2025-06-15 is 3)."""
    return (day.year - since.year) * 12 + day.month - since.month - (day.day < since.day)
