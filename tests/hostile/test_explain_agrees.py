"""`explain` and `compliance` are one rule: for random records, every obligation's status in explain,
summed over every subject, gives compliance's figures, and each window lists exactly the records
its count counted (a met_late census once showed `records: []`)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KIDS = ["G510722201203150022", "G510722201205010031", "G510722201107300047", "G510722201211200028"]
AS_OF = "2025-10-27"
CHILD_DUTIES = ("weekly-talk", "monthly-call", "study-plan", "oct-checkups")
SCHOOL_DUTIES = ("plan", "census", "guardian-training")

records = st.lists(st.tuples(
    st.sampled_from(["talk", "phone_call", "study_plan", "census", "plan", "meeting"]),
    st.sampled_from(KIDS),
    st.integers(0, 60),  # days after 2025-09-01
    st.sampled_from(["parents", "guardian"]),
), min_size=1, max_size=25)


def _line(step, kid, day, to):
    at = (date(2025, 9, 1) + timedelta(days=day)).isoformat() + " 10:00"
    if step in ("census", "plan"):
        return f"{step},,S001,T001,{at},,"
    if step == "meeting":
        return f"meeting,,S001,T001,{at},,监护人培训"
    return f"{step},{kid},,T001,{at},{to if step == 'phone_call' else ''},"


def _expected(row) -> bool:
    due = date.fromisoformat(row["due"][:10]) + timedelta(days=row["grace_days"])
    return due < date.fromisoformat(AS_OF) and row["status"] != "excused"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=records)
def test_explain_over_every_subject_is_compliance_and_lists_what_it_counted(school, tmp_path, rows):
    school.execute("DELETE FROM record")
    f = tmp_path / "records.csv"
    f.write_text("类型,学籍号,学校,工号,时间,通话对象,kind\n" + "\n".join(_line(*r) for r in rows) + "\n",
                 encoding="utf-8")
    school.ok("record", "import", str(f))
    sums: Counter = Counter()
    for duty in CHILD_DUTIES + SCHOOL_DUTIES:
        subjects = [("--child", k) for k in KIDS] if duty in CHILD_DUTIES else [("--school", "S001")]
        for option, subject in subjects:
            for row in json.loads(school.ok("explain", "--duty", duty, option, subject, "--as-of", AS_OF, "--json")):
                if row["status"] == "met_late":
                    assert row["records"], row
                else:
                    assert len(row["records"]) == row["done"], row
                if _expected(row):
                    sums[duty, "expected"] += 1
                    sums[duty, "met"] += row["status"] == "met"
                    sums[duty, "met_late"] += row["status"] == "met_late"
    got = json.loads(school.ok("compliance", "--org", "S001", "--by", "duty", "--as-of", AS_OF, "--json"))
    for r in got["rows"]:
        duty = r["key"]["duty"]
        if duty in CHILD_DUTIES + SCHOOL_DUTIES:
            assert (r["expected"], r["met"], r["met_late"]) == (
                sums[duty, "expected"], sums[duty, "met"], sums[duty, "met_late"]), duty


def test_a_late_census_shows_the_record_that_counted(school, tmp_path):
    school.ok("record", "census", "--school", "S001", "--by", "T001", "--at", "2025-09-12 15:00")
    rows = json.loads(school.ok("explain", "--duty", "census", "--school", "S001", "--as-of", AS_OF, "--json"))
    assert [(r["status"], r["done"], r["records"]) for r in rows] == [("met_late", 0, ["2025-09-12T15:00"])]


@pytest.mark.parametrize("known_at", ["2025-09-12 14:00", "2025-09-13 00:00"])
def test_evidence_respects_known_at(school, known_at):
    school.ok("record", "talk", "--child", KIDS[0], "--by", "T001", "--at", "2025-10-08 16:00")
    for table in ("child", "staff"):  # entered before the term (the fixture enters them today)
        school.execute(f"UPDATE {table} SET entered_at = :at", at=datetime(2025, 8, 20))
    school.execute("UPDATE programme_binding SET bound_at = :at", at=datetime(2025, 8, 20))
    rows = json.loads(school.ok("explain", "--duty", "weekly-talk", "--child", KIDS[0], "--as-of", AS_OF,
                                "--known-at", known_at, "--json"))
    assert rows and all(r["records"] == [] for r in rows)  # the talk, entered today: not known then
