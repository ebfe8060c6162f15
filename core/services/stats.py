"""stats and assign list: who is there on a day — pupils, children cared for, staff, pairings —
counted by the store with the presence rules (store/presence.py) the engine uses."""

from __future__ import annotations

from datetime import date
from typing import Any

from guanai.core.app import App
from guanai.core.services.engine import Scope
from guanai.core.store.orgs import all_orgs, schools_in
from guanai.core.store.stats import collect
from guanai.core.store.stats import pairings as pairing_rows


def stats(s: Scope, keys: tuple[str, ...]) -> dict[str, Any]:
    """Counts on the scope's day grouped by `keys`: rows, totals, and the cells to regroup them."""
    with s.store.read() as conn:
        return collect(conn, s.segs, s.schools, s.asof.day, s.orgs, keys, s.asof.known_at_utc)


def pairings(app: App, org: str | None, day: date, role: str | None = None, staff_id: str | None = None,
             class_name: str | None = None) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The org units, and the pairings in force on `day` at the schools of `org` (all: None)."""
    from guanai.core.store.hooks import Programmes

    with app.store.read() as conn:
        orgs = all_orgs(conn)
        schools = schools_in(orgs, org)
        programmes = Programmes(conn)
        for school in schools:  # each programme in force names its roles (爱心辅导员, not love_tutor)
            programmes.at(school, day)
        return orgs, pairing_rows(conn, schools, day, role, staff_id, class_name)
