"""Properties of compliance that must hold for any facts (hypothesis), and the same answers on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FACTS, drop_schema

ENGINE = FACTS.parent / "engine"
TERM_START = date(2025, 9, 1)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _build(url: str) -> None:
    from guanai.core.cli import build_cli

    cli = build_cli()
    for args in (["init"], ["org", "import", str(FACTS / "org.csv")],
                 ["programme", "publish", str(ENGINE / "term.yaml"), "--to", "S001"],
                 ["staff", "import", str(ENGINE / "staff.csv"), "--school", "S001"],
                 ["roster", "import", str(ENGINE / "roster.csv"), "--school", "S001"],
                 ["assign", "import", str(ENGINE / "pairs.csv"), "--role", "proxy_parent"]):
        result = CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('props') / 'p.db'}"
    _build(url)
    return url


def _pg_url():
    from sqlalchemy import create_engine, text

    base = os.environ["GUANAI_TEST_PG"]
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS t_props CASCADE"))
        conn.execute(text("CREATE SCHEMA t_props"))
    engine.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3Dt_props"
    _build(url)
    return url


# A fact: (step, child, day offset from term start, hour, extra --set) — talks, calls, excuses.
talks = st.tuples(st.just("talk"), st.sampled_from(["K1", "K2"]), st.integers(0, 90), st.integers(8, 20))
calls = st.tuples(st.just("phone_call"), st.sampled_from(["K1", "K2"]), st.integers(0, 90), st.integers(8, 20))
facts = st.lists(st.one_of(talks, calls), max_size=25)
excuses = st.lists(st.tuples(st.sampled_from(["K1", "K2"]), st.integers(0, 80), st.integers(0, 20)), max_size=3)
days = st.integers(0, 110)


def _load(url: str, records, excused=()) -> None:
    from guanai.core.plugins import load_registry
    from guanai.core.store.db import Store
    from guanai.core.store.records import Draft, option_where, save_records
    from guanai.core.store.schema import record
    from sqlalchemy import delete

    store = Store(url)
    with store.write() as conn:
        conn.execute(delete(record))
    drafts = []
    for step, kid, offset, hour in records:
        day = max(TERM_START + timedelta(days=offset), date(2025, 10, 15) if kid == "K2" else TERM_START)
        payload = {"with": "parents"} if step == "phone_call" else {}
        # T002 left on 2025-10-20: a record by staff who had left is refused, so T001 records K2's after
        by = "T002" if kid == "K2" and day < date(2025, 10, 20) else "T001"
        drafts.append(Draft(step, "child", kid, f"{day} {hour}:00", payload, by))
    for kid, offset, length in excused:
        first = TERM_START + timedelta(days=offset)
        drafts.append(Draft("excuse", "child", kid, "2025-12-31 08:00", {
            "from": first.isoformat(), "to": (first + timedelta(days=length)).isoformat(), "reason": "病假"}, None))
    for d in drafts:
        d.where = option_where({})
    save_records(store, load_registry(), drafts, "test", now=datetime(2026, 1, 1))
    store.engine.dispose()


def _compliance(url: str, as_of: date, by: str = "duty") -> dict:
    from guanai.core.cli import build_cli

    result = CliRunner().invoke(build_cli(), ["--db", url, "compliance", "--org", "S001", "--by", by, "--as-of",
                                              as_of.isoformat(), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@SETTINGS
@given(records=facts, extra=st.one_of(talks, calls), offset=days)
def test_a_satisfying_record_never_lowers_a_rate(sqlite_url, records, extra, offset):
    as_of = TERM_START + timedelta(days=offset)
    _load(sqlite_url, records)
    before = _compliance(sqlite_url, as_of)
    _load(sqlite_url, [*records, extra])
    after = _compliance(sqlite_url, as_of)
    assert after["total"]["expected"] == before["total"]["expected"]
    assert after["total"]["met"] >= before["total"]["met"]
    for old, new in zip(before["rows"], after["rows"], strict=True):
        assert (new["rate"] or 0) >= (old["rate"] or 0)


@SETTINGS
@given(records=facts, excused=excuses, offset=days)
def test_an_excused_window_is_never_expected(sqlite_url, records, excused, offset):
    from guanai.core.cli import build_cli

    as_of = TERM_START + timedelta(days=offset)
    _load(sqlite_url, records, excused)
    counted = _compliance(sqlite_url, as_of)["total"]["expected"]
    windows = []
    for kid in ("K1", "K2"):
        result = CliRunner().invoke(build_cli(), ["--db", sqlite_url, "explain", "--duty", "weekly-talk",
                                                  "--child", kid, "--as-of", as_of.isoformat(), "--json"])
        windows += json.loads(result.stdout)
    weekly = next((r for r in _compliance(sqlite_url, as_of)["rows"] if r["key"]["duty"] == "weekly-talk"), None)
    past = [w for w in windows if date.fromisoformat(w["due"]) + timedelta(days=2) < as_of]
    assert (weekly["expected"] if weekly else 0) == sum(w["status"] != "excused" for w in past)
    assert counted == sum(r["expected"] for r in _compliance(sqlite_url, as_of)["rows"])


@SETTINGS
@given(records=facts, excused=excuses, first=days, later=days)
def test_expected_never_decreases_as_as_of_moves_forward(sqlite_url, records, excused, first, later):
    _load(sqlite_url, records, excused)
    a, b = sorted((first, later))
    early = _compliance(sqlite_url, TERM_START + timedelta(days=a))
    late = _compliance(sqlite_url, TERM_START + timedelta(days=b))
    assert late["total"]["expected"] >= early["total"]["expected"]


@pytest.fixture(scope="module")
def pg_url():
    if not os.environ.get("GUANAI_TEST_PG"):
        pytest.skip("needs PostgreSQL: set GUANAI_TEST_PG")
    from sqlalchemy import create_engine

    url = _pg_url()
    yield url
    engine = create_engine(os.environ["GUANAI_TEST_PG"])
    drop_schema(engine, "t_props")  # and the group roles guanai made for it
    engine.dispose()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=facts, excused=excuses, offset=days)
def test_same_facts_same_answer_on_sqlite_and_postgresql(sqlite_url, pg_url, records, excused, offset):
    as_of = TERM_START + timedelta(days=offset)
    for url in (sqlite_url, pg_url):
        _load(url, records, excused)
    for by in ("duty", "school,class,staff"):
        assert _compliance(sqlite_url, as_of, by) == _compliance(pg_url, as_of, by)


KEYS = ("kind", "with", "n", "ok")
SCALARS = {"text": st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=3),
           "int": st.integers(-2, 2), "float": st.floats(-2, 2, allow_nan=False, allow_infinity=False),
           "bool": st.booleans()}


@st.composite
def match_and_payloads(draw):
    """A duty's `match` and payloads as their step validates them: each field of one JSON type, the
    value the match asks for, another of that type, or missing."""
    types = {k: draw(st.sampled_from(sorted(SCALARS))) for k in draw(st.sets(st.sampled_from(KEYS), min_size=1))}
    match = {k: draw(SCALARS[kind]) for k, kind in types.items()}
    payloads = []
    for _ in range(draw(st.integers(1, 6))):
        payload = {}
        for k, kind in types.items():
            choice = draw(st.sampled_from(["same", "other", "missing"]))
            if choice != "missing":
                payload[k] = match[k] if choice == "same" else draw(SCALARS[kind])
        payloads.append(payload)
    return match, payloads


@SETTINGS
@given(case=match_and_payloads())
def test_payload_match_in_python_agrees_with_the_engines_sql(db_url, case):
    """The record check's `payload_matches` (does this record close a duty with a responsible?) and
    the engine's payload_condition (does it count?) are one rule in two languages: equal on random
    payloads, on SQLite and PostgreSQL."""
    from guanai.core.store.match import payload_condition, payload_matches
    from guanai.core.store.schema import record
    from sqlalchemy import Column, Integer, MetaData, Table, and_, create_engine, insert, select

    match, payloads = case
    table = Table("payloads", MetaData(), Column("id", Integer, primary_key=True),
                  Column("payload", record.c.payload.type))
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
            conn.execute(insert(table), [{"id": i, "payload": p} for i, p in enumerate(payloads)])
            found = set(conn.execute(select(table.c.id).where(
                and_(*(payload_condition(table.c.payload, k, v) for k, v in match.items())))).scalars())
    finally:
        engine.dispose()
    assert found == {i for i, p in enumerate(payloads) if payload_matches(p, match)}
