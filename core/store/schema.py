"""The database tables (SQLAlchemy Core). Facts only: obligations are derived, never stored.

Migrations in `migrations/versions` create exactly these tables; a test compares the two.
Times are stored as naive UTC; dates as dates. Ids are the school's own (学籍号, 工号, org code).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# The revision `guanai init` upgrades to; a test checks it is the Alembic head. Kept here so that
# ordinary commands can check the database without importing Alembic (start-up time).
SCHEMA_REVISION = "0011"
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011")  # every migration this guanai has; another is a newer guanai's

# The ids of rows a user may insert: 64-bit on PostgreSQL (a user holds the sequence, and could
# spend two billion 32-bit ids by hand); SQLite's INTEGER PRIMARY KEY is 64-bit already.
ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

org_unit = Table(
    "org_unit", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent", String(32), ForeignKey("org_unit.code"), nullable=True, index=True),
    CheckConstraint("kind IN ('county', 'township', 'school')", name="kind"),
)

school_class = Table(
    "school_class", metadata,
    Column("school", String(32), ForeignKey("org_unit.code"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("grade", String(32), nullable=True),
)

staff = Table(
    "staff", metadata,
    Column("id", String(64), primary_key=True),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("head_of_class", String(64), nullable=True),
    Column("party_member", Boolean, nullable=False),
    Column("phone", String(32), nullable=True),
    Column("left_on", Date, nullable=True),
    Column("joined_on", Date, nullable=True),  # set by a transfer (调入): no days here before it
    Column("entered_at", DateTime, nullable=True),  # when guanai first knew the row (NULL: before 0008)
    # 教职工, or a person who is not staff (志愿者, 校外辅导员, 家长志愿者, a word the programme lists)
    Column("kind", String(20), nullable=False, server_default="教职工"),
    ForeignKeyConstraint(["school", "head_of_class"], ["school_class.school", "school_class.name"]),
)

child = Table(
    "child", metadata,
    Column("id", String(64), primary_key=True),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("class_name", String(64), nullable=True),
    Column("name", String(100), nullable=False),
    Column("gender", String(8), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("category", String(32), nullable=False),
    Column("guardian_type", String(32), nullable=True),
    Column("guardian_name", String(100), nullable=True),
    Column("guardian_relation", String(32), nullable=True),
    Column("guardian_phone", String(32), nullable=True),
    Column("father_name", String(100), nullable=True),
    Column("father_phone", String(32), nullable=True),
    Column("father_workplace", String(200), nullable=True),
    Column("mother_name", String(100), nullable=True),
    Column("mother_phone", String(32), nullable=True),
    Column("mother_workplace", String(200), nullable=True),
    Column("away_since", Date, nullable=True),
    Column("address", String(300), nullable=True),
    Column("enrolled_on", Date, nullable=False),
    Column("left_on", Date, nullable=True),
    Column("profile", JSON, nullable=False),
    Column("entered_at", DateTime, nullable=True),  # when guanai first knew the row (NULL: before 0008)
    ForeignKeyConstraint(["school", "class_name"], ["school_class.school", "school_class.name"]),
)

# Contacts and identifiers in full (PIPL): a child's or staff member's phones and address, and the
# roster's extra cells whose header names a contact or identifier (field "profile.身份证号"). The
# rows of `child`/`staff` hold them masked (138****5678), which is all that listings, indicators
# and the audit's snapshots ever see; the full value is read through core/store/contacts.py, which
# writes the audit row (on PostgreSQL school and teacher roles may not select `value` at all).
contact = Table(
    "contact", metadata,
    Column("kind", String(8), primary_key=True),  # child | staff
    Column("id", String(64), primary_key=True),
    Column("field", String(64), primary_key=True),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("value", Text, nullable=True),
    CheckConstraint("kind IN ('child', 'staff')", name="kind"),
)

# A child's earlier days at other schools (转学 history): `child` holds the current school, class
# and dates; a transfer adds the span the child leaves behind here, `end` its first day away (like
# child.left_on). The engine reads both, so a transfer never moves the old school's history.
past_enrolment = Table(
    "past_enrolment", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("child", String(64), ForeignKey("child.id"), nullable=False, index=True),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("class_name", String(64), nullable=True),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("name", String(100), nullable=True),  # the pupil's name then: the old school lists its transfers out
    CheckConstraint('"end" > start', name="span"),
)

# Facts with a history (SPEC §2, core/store/history.py): the values a child's or staff member's fact
# held before, each on the days [valid_from, valid_to) (NULL: without bound) and as known from
# entered_at until superseded_at (NULL: before anything / still). `child` and `staff` hold the
# current value; a day with no row here has it. `value` is '=' and the value as text ('' for none).
# A pairing's end is kept the same way (kind 'pairing', subject its id): --known-at sees it as it was.
fact_history = Table(
    "fact_history", metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("kind", String(8), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("field", String(80), nullable=False),
    Column("value", Text, nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_to", Date, nullable=True),
    Column("entered_at", DateTime, nullable=True),
    Column("superseded_at", DateTime, nullable=True),
    CheckConstraint("kind IN ('child', 'staff', 'pairing')", name="kind"),
    CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from", name="span"),
    Index(None, "kind", "subject", "field"),
)

# A staff member's earlier span at another school (调动): the school, the class headed there, and
# `end`, the first day at the new school. The engine reads it where a staff member left a school.
past_staff = Table(
    "past_staff", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("staff", String(64), ForeignKey("staff.id"), nullable=False, index=True),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("head_of_class", String(64), nullable=True),
    Column("start", Date, nullable=True),
    Column("end", Date, nullable=False),
    CheckConstraint('start IS NULL OR "end" > start', name="span"),
)

pairing = Table(
    "pairing", metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("role", String(64), nullable=False),
    Column("child", String(64), ForeignKey("child.id"), nullable=False, index=True),
    Column("staff", String(64), ForeignKey("staff.id"), nullable=True, index=True),
    Column("buddy", String(64), ForeignKey("child.id"), nullable=True),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=True),
    Column("entered_at", DateTime, nullable=True),  # when guanai first knew the pairing (NULL: before 0008)
    CheckConstraint("(staff IS NULL) <> (buddy IS NULL)", name="one_partner"),
    UniqueConstraint("role", "child", "staff", "buddy", "start"),
)

record = Table(
    "record", metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("key", String(128), nullable=True, unique=True),  # the user's --id / 编号: idempotency
    Column("step", String(64), nullable=False),
    Column("subject_kind", String(8), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("school", String(32), ForeignKey("org_unit.code"), nullable=False),
    Column("by_staff", String(64), ForeignKey("staff.id"), nullable=True),
    Column("occurred_at", DateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("source", String(300), nullable=False),
    Column("purpose", String(64), nullable=True),  # the duty or task it is for (--for, 事项): it counts for that one only
    CheckConstraint("subject_kind IN ('child', 'school', 'staff', 'class')", name="subject_kind"),
    Index(None, "step", "subject_kind", "subject", "occurred_at", "purpose"),  # a duty's count never leaves it
    Index(None, "school", "step", "occurred_at"),
    Index(None, "by_staff", "step", "occurred_at"),
)

programme_version = Table(
    "programme_version", metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("programme", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("files", JSON, nullable=False),  # {path: text} of every file of the extends chain
    Column("data", JSON, nullable=False),  # the resolved programme, as validated when published
    Column("sha256", String(64), nullable=False),
    Column("published_at", DateTime, nullable=False),
    Column("published_by", String(100), nullable=False),
    UniqueConstraint("programme", "version"),
)

programme_binding = Table(
    "programme_binding", metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("version_id", ROW_ID, ForeignKey("programme_version.id"), nullable=False),
    Column("org", String(32), ForeignKey("org_unit.code"), nullable=False, index=True),
    Column("effective_from", Date, nullable=False),
    Column("bound_at", DateTime, nullable=False),
    Column("withdrawn_at", DateTime, nullable=True),  # `programme withdraw`: not in force since (kept for --known-at)
    # one live binding of a version to a unit from a day; a withdrawn one stays beside it (--known-at)
    Index(None, "org", "effective_from", "version_id", unique=True,
          sqlite_where=text("withdrawn_at IS NULL"), postgresql_where=text("withdrawn_at IS NULL")),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(16), nullable=False),
    Column("table_name", String(32), nullable=False),
    Column("row_key", String(200), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("source", String(300), nullable=False),
    Column("org", String(32), nullable=True, index=True),  # the org unit the row concerns, when known
    Column("prev_hash", String(64), nullable=True),  # the hash chain (core/store/auditlog.py)
    Column("hash", String(64), nullable=True),
    Column("rule", SmallInteger, nullable=True),  # the hash's rule: NULL = 1 (before 0007), 2 = jsonb's text
    Column("nonce", String(36), nullable=True),  # rule 2: a random value in the hash, so a guess cannot be confirmed
    Index(None, "table_name", "row_key"),
)

app_user = Table(  # PostgreSQL login roles guanai made (guanai user add): each one's org unit and role
    "app_user", metadata,
    Column("name", String(63), primary_key=True),
    Column("org", String(32), ForeignKey("org_unit.code"), nullable=False),
    Column("role", String(16), nullable=False),  # teacher | school | township | county
    Column("staff", String(64), ForeignKey("staff.id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
)

follow_up = Table(
    "follow_up", metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("record_id", ROW_ID, ForeignKey("record.id"), nullable=False, index=True),
    Column("rule", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("step", String(64), nullable=False),
    Column("match", JSON, nullable=False),
    Column("deadline", DateTime, nullable=False),
    Column("plugin", String(64), nullable=False),
)



def _with_past_spans(current: Table, past: Table, key: str, spans: tuple[str, str, str, str], name: str) -> Any:
    """`current` once per span: its own row, and each earlier span of `past` (joined on `key`) with
    the current row's other facts, the span's columns under `current`'s names (the place, the
    class, the first day and the first day away)."""
    from sqlalchemy import select, union_all

    own = [c for c in current.c if c.name not in spans]
    place, group, first, away = spans
    earlier = (select(*own, past.c.school.label(place), past.c[group].label(group), past.c.start.label(first),
                      past.c.end.label(away)).join_from(past, current, current.c.id == past.c[key]))
    return union_all(select(*own, *(current.c[n] for n in spans)), earlier).subquery(name)


def child_days() -> Any:
    """Each child once per school span: the current row, and each earlier span (past_enrolment)
    under the child table's names. The engine reads it where a transfer touched a school, the plain
    table elsewhere."""
    return _with_past_spans(child, past_enrolment, "child", ("school", "class_name", "enrolled_on", "left_on"), "kid")


def staff_days() -> Any:
    """Each staff member once per school span, like child_days: the current row (from joined_on)
    and each earlier span (past_staff) under the staff table's names."""
    return _with_past_spans(staff, past_staff, "staff", ("school", "head_of_class", "joined_on", "left_on"),
                            "staff_spans")
