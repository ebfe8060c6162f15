"""The record import's fast lane and its careful path store the same thing, or refuse the same rows,
for random files: impossible dates (2025-02-29 was once stored as 2025-03-01), unknown people,
keys given twice, bad payload cells."""

from __future__ import annotations

import functools

import pytest
from guanai.core.store import record_import
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LIU, CHEN = "G510722201203150022", "G510722201205010031"
STORED = "key, step, subject_kind, subject, school, by_staff, occurred_at, payload, digest"

rows = st.lists(st.tuples(
    st.sampled_from(["talk", "phone_call", "home_visit"]),
    st.sampled_from([LIU, CHEN, "G000", f" {LIU}"]),
    st.sampled_from(["T001", "T002", "", "T009"]),
    st.integers(2024, 2026), st.integers(1, 12), st.integers(1, 31),
    st.sampled_from(["08:00", "16:30", "23:59"]),
    st.sampled_from(["", "K1", "K2", "K3"]),
    st.sampled_from(["", "20", "abc"]),
), min_size=1, max_size=8)


def _import(school, path, fast: bool):
    school.execute("DELETE FROM follow_up")
    school.execute("DELETE FROM record")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(record_import, "import_table", functools.partial(record_import.import_table, fast=fast))
        result = school.run("record", "import", str(path))
    return result.exit_code, result.stderr, school.query(f"SELECT {STORED} FROM record ORDER BY key, occurred_at")


@pytest.fixture
def sqlite_school(school):
    if not school.url.startswith("sqlite"):
        pytest.skip("the fast lane is SQLite's; PostgreSQL imports take the careful path only")
    return school


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows)
def test_the_fast_lane_stores_or_refuses_exactly_what_the_careful_path_does(sqlite_school, tmp_path, rows):
    f = tmp_path / "random.csv"
    lines = ["类型,学籍号,工号,时间,编号,时长"]
    lines += [f"{step},{kid},{by},{y}-{m:02d}-{d:02d} {hm},{key},{minutes}"
              for step, kid, by, y, m, d, hm, key, minutes in rows]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _import(sqlite_school, f, fast=True) == _import(sqlite_school, f, fast=False)


@pytest.mark.parametrize("day", ["2025-02-29", "2025-02-30", "2025-04-31", "2025-09-31", "2025-11-31"])
def test_an_impossible_date_is_refused_by_both_paths_and_nothing_is_stored(sqlite_school, tmp_path, day):
    f = tmp_path / "day.csv"
    f.write_text(f"类型,学籍号,工号,时间,编号\ntalk,{LIU},T001,{day} 10:00,FD1\n", encoding="utf-8")
    for fast in (True, False):
        code, err, stored = _import(sqlite_school, f, fast)
        assert (code, err, stored) == (2, f"{f}:2:时间: 日期 {day} 不存在\n", [])
