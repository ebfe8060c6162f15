"""Which programme is in force has one rule (guanai.core.store.programmes.resolve): the engine's
segments and the lookup records, listings and contacts use (in_force) give the same version for
every school and day, whatever the bindings — at county, township or school, on the same day or
not, bound in any order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert, select

ORGS = ["C01", "T01", "T02", "S001", "S002", "S003"]
DAYS = [date(2025, 9, 1) + timedelta(days=n) for n in range(0, 120, 15)]
bindings = st.lists(st.tuples(st.sampled_from(ORGS), st.integers(0, 3), st.sampled_from(DAYS[:6]),
                              st.integers(0, 10_000)), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(found=bindings)
def test_the_engines_segments_and_in_force_agree(school, found):
    from guanai.core.store.engine import segments
    from guanai.core.store.programmes import in_force
    from guanai.core.store.schema import programme_binding, programme_version

    engine = create_engine(school.url)
    try:
        with engine.begin() as conn:
            conn.execute(delete(programme_binding))
            conn.execute(delete(programme_version).where(programme_version.c.version > 1))
            base = dict(conn.execute(select(programme_version)).mappings().one())
            ids = [base["id"]]
            for n in range(1, 4):  # the same programme text as versions 2 … 4: the plan is built once
                row = {k: v for k, v in base.items() if k != "id"} | {"version": base["version"] + n}
                ids.append(conn.execute(insert(programme_version).values(row)).inserted_primary_key[0])
            seen = set()
            for org, version, day, at in found:
                if (org, day, ids[version]) in seen:
                    continue  # one binding per (org, day, version): the table's own rule
                seen.add((org, day, ids[version]))
                conn.execute(insert(programme_binding).values(
                    version_id=ids[version], org=org, effective_from=day,
                    bound_at=datetime(2025, 8, 1) + timedelta(seconds=at)))
        with engine.connect() as conn:
            segs = segments(conn, ["S001", "S002", "S003"])
            for code in ("S001", "S002", "S003"):
                for day in DAYS:
                    by_engine = [s.version_id for s in segs if code in s.schools and s.start <= day <= s.end]
                    binding = in_force(conn, code, day)
                    assert by_engine == ([binding["id"]] if binding else []), (code, day)
    finally:
        engine.dispose()


def test_the_nearest_org_wins_a_day_and_the_last_bound_a_tie(school):
    from guanai.core.store.programmes import resolve

    def row(org, day, at, binding=0):
        return {"org": org, "effective_from": day, "bound_at": at, "binding": binding}

    chain = ["S001", "T01", "C01"]
    county, own, later = (row("C01", date(2025, 9, 1), 2), row("S001", date(2025, 9, 1), 1),
                          row("S001", date(2025, 9, 1), 3))
    assert resolve([county, own], chain) == [own]  # the school's own binding, though bound first
    assert resolve([own, later, county], chain) == [later]
    first, second = row("C01", date(2025, 9, 1), 2, binding=7), row("C01", date(2025, 9, 1), 2, binding=9)
    assert resolve([second, first], chain) == resolve([first, second], chain) == [second]  # a tie: stored last
    elsewhere = row("T02", date(2025, 8, 1), 0)
    assert resolve([elsewhere, county], chain) == [county]  # another township's binding is not ours
