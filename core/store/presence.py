"""Who is there on a day (SPEC §2), as SQL conditions — one definition each, used by the engine,
the indicators, pairings and `stats`:

- a child is enrolled on d when `enrolled_on <= d` and, if `left_on` is set, `d < left_on`;
- a staff member is active on d unless `left_on <= d` (left_on: the first day away), and has
  joined by d unless `joined_on > d` (joined_on: the first day after a move, 调入);
- a pairing with start S and end E holds on d when S <= d <= E (E empty: open), and a staff
  partner counts only while active.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_


def enrolled(kid: Any, day: Any) -> list[Any]:
    return [kid.c.enrolled_on <= day, or_(kid.c.left_on.is_(None), kid.c.left_on > day)]


def staff_active(s: Any, day: Any) -> Any:
    return or_(s.c.left_on.is_(None), s.c.left_on > day)


def staff_joined(s: Any, day: Any) -> Any:
    return or_(s.c.joined_on.is_(None), s.c.joined_on <= day)


def pairing_holds(p: Any, day: Any) -> list[Any]:
    return [p.c.start <= day, or_(p.c.end.is_(None), p.c.end >= day)]
