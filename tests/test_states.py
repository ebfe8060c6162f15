"""An obligation's state has one classifier (guanai.core.obligations.settled) and one SQL form of
it (guanai.core.store.engine.settled_sql): they agree on every count, on both backends."""

from __future__ import annotations

import os

import pytest
from guanai.core.obligations import EXCUSED, MET, MET_LATE, settled
from guanai.core.store.engine import STATE_CODES, settled_sql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Integer, create_engine, literal, select

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("GUANAI_TEST_PG") else [])


@pytest.fixture(params=BACKENDS, scope="module")
def conn(request):
    engine = create_engine("sqlite://" if request.param == "sqlite" else os.environ["GUANAI_TEST_PG"])
    with engine.connect() as c:
        yield c
    engine.dispose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(done=st.integers(0, 4), late=st.integers(0, 4), times=st.integers(1, 3), excused=st.booleans())
def test_the_sql_state_is_the_python_state(conn, done, late, times, excused):
    code = conn.execute(select(settled_sql(conn, literal(excused, Boolean), literal(done, Integer),
                                           literal(late, Integer), literal(times, Integer)))).scalar()
    assert STATE_CODES[code] == settled(done, late, times, excused)


def test_the_classifier_in_words():
    assert settled(0, 0, 1, True) == EXCUSED  # an excuse wins over records
    assert settled(2, 0, 2, False) == MET
    assert settled(1, 1, 2, False) == MET_LATE
    assert settled(1, 0, 2, False) is None
