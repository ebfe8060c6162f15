"""Each presence rule's SQL form and Python form agree (guanai.core.store.presence), on both
backends, on random children, pairings and days — including month ends and leap days."""

from __future__ import annotations

import os
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from guanai.core.store import presence
from guanai.core.subjects import months_between
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, insert, select

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("GUANAI_TEST_PG") else [])
meta = MetaData()
kid = Table("presence_kid", meta, Column("id", Integer, primary_key=True), Column("category", String(20)),
            Column("enrolled_on", Date), Column("left_on", Date), Column("away_since", Date), prefixes=["TEMPORARY"])
pair = Table("presence_pair", meta, Column("id", Integer, primary_key=True), Column("start", Date),
             Column("end", Date), prefixes=["TEMPORARY"])

days = st.dates(date(2023, 1, 1), date(2026, 12, 31))
maybe_days = st.none() | days
categories = st.sampled_from(["left_behind", "difficult", "migrant", "ordinary"])


@pytest.fixture(params=BACKENDS, scope="module")
def conn(request):
    url = "sqlite://" if request.param == "sqlite" else os.environ["GUANAI_TEST_PG"]
    engine = create_engine(url)
    with engine.connect() as c:
        meta.create_all(c)
        yield c
    engine.dispose()


def _fill(conn, table, rows):
    conn.execute(table.delete())
    if rows:
        conn.execute(insert(table), [{"id": i, **r} for i, r in enumerate(rows)])


def _chosen(conn, table, conds) -> set[int]:
    return set(conn.execute(select(table.c.id).where(*conds)).scalars())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kids=st.lists(st.fixed_dictionaries({"category": categories, "enrolled_on": days, "left_on": maybe_days,
                                           "away_since": maybe_days}), max_size=12),
       day=days, months=st.integers(0, 14), target=st.sets(categories, min_size=1))
def test_cared_for_and_enrolled_in_sql_are_the_python_rules(conn, kids, day, months, target):
    _fill(conn, kid, kids)
    programme_target = SimpleNamespace(categories=sorted(target), left_behind_min_months=months)
    assert _chosen(conn, kid, presence.enrolled(kid, day)) == {
        i for i, k in enumerate(kids) if presence.is_enrolled(k["enrolled_on"], k["left_on"], day)}
    assert _chosen(conn, kid, presence.cared_for(kid, programme_target, day)) == {
        i for i, k in enumerate(kids) if presence.is_enrolled(k["enrolled_on"], k["left_on"], day)
        and presence.is_cared_for(k["category"], k["away_since"], programme_target, day)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kids=st.lists(st.fixed_dictionaries({"category": categories, "enrolled_on": days, "left_on": maybe_days,
                                           "away_since": maybe_days}), max_size=12),
       first=days, length=st.integers(0, 120))
def test_enrolled_through_a_window_is_enrolled_on_each_of_its_days(conn, kids, first, length):
    last = first + timedelta(days=length)
    _fill(conn, kid, kids)
    assert _chosen(conn, kid, presence.enrolled_through(kid, first, last)) == {
        i for i, k in enumerate(kids)
        if all(presence.is_enrolled(k["enrolled_on"], k["left_on"], first + timedelta(days=n)) for n in range(length + 1))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.fixed_dictionaries({"start": days, "end": maybe_days}), max_size=12), day=days)
def test_a_pairing_holds_in_sql_as_in_python(conn, pairs, day):
    _fill(conn, pair, pairs)
    assert _chosen(conn, pair, presence.pairing_holds(pair, day)) == {
        i for i, p in enumerate(pairs) if presence.holds(p["start"], p["end"], day)}


@given(since=days, day=days, months=st.integers(0, 30))
def test_away_long_enough_is_whole_months_away(since, day, months):
    """The cut-off date form (months_back, what SQL compares) is the count of whole months."""
    assert presence.away_long_enough(since, months, day) == (months_between(since, day) >= months)


def test_a_left_behind_child_counts_from_the_day_the_months_are_whole():
    target = SimpleNamespace(categories=["left_behind"], left_behind_min_months=6)
    assert not presence.is_cared_for("left_behind", date(2025, 3, 1), target, date(2025, 8, 31))
    assert presence.is_cared_for("left_behind", date(2025, 3, 1), target, date(2025, 9, 1))
    # from a month's last day: not yet on 2026-02-28 (five whole months), on 2026-03-01 (six)
    assert not presence.is_cared_for("left_behind", date(2025, 8, 31), target, date(2026, 2, 28))
    assert presence.is_cared_for("left_behind", date(2025, 8, 31), target, date(2026, 3, 1))
    assert presence.is_cared_for("left_behind", None, target, date(2025, 9, 1))  # unknown: the category holds
    assert not presence.is_cared_for("ordinary", None, target, date(2025, 9, 1))
