"""Who is there on a day and whom a programme cares for (SPEC §2): one home for each rule, its SQL
form (conditions on a table) and, where Python code needs it, its Python form beside it. The
engine, the indicators, pairings, listings and `stats` use these; tests/test_presence.py proves
each pair agrees.

- a child is enrolled on d when `enrolled_on <= d` and, if `left_on` is set, `d < left_on`
  (left_on: the first day away); enrolled through a window when enrolled on its first and last day;
- a staff member is active on d unless `left_on <= d`, and has joined by d unless `joined_on > d`
  (joined_on: the first day after a move, 调入);
- a pairing with start S and end E holds on d when S <= d <= E (E empty: open); it is in force
  on d when it holds and its staff partner (if any) is still there (the engine's responsible,
  `stats`, `assign list` and `assign check` all count pairings in force);
- a child is cared for (工作对象) on d when its category is one of the programme's target
  categories and, for a left-behind child whose parents left on `away_since`, they have been away
  at least `left_behind_min_months` whole months on d (an unknown `away_since` trusts the category).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from guanai.core.obligations import months_back
from guanai.core.store.history import pairing_end, row_known
from sqlalchemy import or_

# —— Python forms ——

def is_enrolled(enrolled_on: date, left_on: date | None, day: date) -> bool:
    return enrolled_on <= day and (left_on is None or day < left_on)


def holds(start: date, end: date | None, day: date) -> bool:
    """Whether a pairing from `start` to `end` (None: open) holds on `day`."""
    return start <= day and (end is None or day <= end)


def away_long_enough(away_since: date | None, months: int, day: date) -> bool:
    return away_since is None or away_since <= months_back(day, months)


def is_cared_for(category: str | None, away_since: date | None, target: Any, day: date) -> bool:
    """Whether a child of `category` is one `target` (a programme's) cares for on `day`."""
    if category not in target.categories:
        return False
    return category != "left_behind" or away_long_enough(away_since, target.left_behind_min_months, day)


# —— SQL forms ——

def enrolled(kid: Any, day: Any) -> list[Any]:
    return enrolled_through(kid, day, day)


def enrolled_through(kid: Any, first: Any, last: Any) -> list[Any]:
    """Enrolled on `first` and still on `last` (so on every day between)."""
    return [kid.c.enrolled_on <= first, or_(kid.c.left_on.is_(None), kid.c.left_on > last)]


def staff_active(s: Any, day: Any) -> Any:
    return or_(s.c.left_on.is_(None), s.c.left_on > day)


def staff_joined(s: Any, day: Any) -> Any:
    return or_(s.c.joined_on.is_(None), s.c.joined_on <= day)


def pairing_holds(p: Any, day: Any, known_at: datetime | None = None) -> list[Any]:
    """With `known_at`: the pairing as known then (made by then, its end as it was)."""
    if known_at is None:
        return [p.c.start <= day, or_(p.c.end.is_(None), p.c.end >= day)]
    end = pairing_end(p, known_at)
    return [*row_known(p, known_at), p.c.start <= day, or_(end.is_(None), end >= day)]


def in_target(kid: Any, categories: Any, cutoff: Any) -> list[Any]:
    """Of a target category, and a left-behind child away since `cutoff` or before (`cutoff`:
    months_back(day, left_behind_min_months), a date or a column holding one)."""
    conds = [kid.c.category.in_(list(categories))]
    if "left_behind" in categories:
        conds.append(or_(kid.c.category != "left_behind", kid.c.away_since.is_(None), kid.c.away_since <= cutoff))
    return conds


def cared_for(kid: Any, target: Any, day: date) -> list[Any]:
    """Enrolled on `day` and cared for by `target` (a programme's) on `day`."""
    return [*enrolled(kid, day), *in_target(kid, target.categories, months_back(day, target.left_behind_min_months))]


def pairing_in_force(p: Any, staff_table: Any, day: Any, known_at: datetime | None = None) -> list[Any]:
    """The pairing holds on `day` and its staff partner (if any) has not left by then."""
    from sqlalchemy import exists

    return [*pairing_holds(p, day, known_at), or_(p.c.staff.is_(None), exists().where(
        staff_table.c.id == p.c.staff, staff_active(staff_table, day)))]
