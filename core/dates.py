"""Calendar dates as people type them: a real date or a clear error (light: no pydantic model, so
a command that parses a date starts fast)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic_core import PydanticCustomError

_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_day(value: Any) -> date:
    """A real calendar date from a date or a 'YYYY-MM-DD' string; a clear error otherwise."""
    if isinstance(value, date):
        return value
    match = _DATE_RE.match(str(value).strip()) if isinstance(value, str) else None
    if not match:
        raise PydanticCustomError("date.format", "", {"value": str(value)})
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise PydanticCustomError("date.bad_month", "", {"value": value, "month": month})
    try:
        return date(year, month, day)
    except ValueError:
        days = 29 if month == 2 and leap(year) else (28 if month == 2 else _DAYS_IN_MONTH[month - 1])
        raise PydanticCustomError(
            "date.impossible", "", {"value": value, "month": month, "days": days}
        ) from None


def leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
