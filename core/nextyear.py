"""Next school year's programme from this year's file (`guanai programme next`, issue 26): the same
text — comments, order, wording — with every date moved on by whole years, the years in term ids
and names with them, and the version one higher. The text is edited, not re-serialised, so what a
bureau wrote stays as it wrote it; the result is then checked like any programme file.

What moves: dates (2025-09-01), months (2025-10), term ids and names (2025-autumn, 2025年秋季学期),
school years (2025—2026学年). Nothing else is touched: a count or an amount that looks like a year
(2000 元) is not one. A date that does not exist in the new year (29 February) becomes the 28th.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
MONTH = re.compile(r"(?<![\d-])(\d{4})-(\d{2})(?![\d-])")
YEAR_WORD = re.compile(r"(?<!\d)(\d{4})(?=年|-(?:autumn|spring|summer|winter|fall)\b)")
SCHOOL_YEAR = re.compile(r"(?<!\d)(\d{4})(\s*[-—–~至]\s*)(\d{4})(?=\s*学年)")
VERSION = re.compile(r"^(version:\s*)(\d+)", re.MULTILINE)


@dataclass
class NextYear:
    """The new text, and what changed: how many dates and words moved, the new version."""

    text: str
    dates: int = 0
    words: int = 0
    version: int | None = None
    clamped: list[str] = field(default_factory=list)  # 2028-02-29 → 2029-02-28


def _year(value: str, years: int) -> str | None:
    n = int(value)
    return str(n + years) if 1900 <= n <= 2200 else None


def _split_comment(line: str) -> tuple[str, str]:
    """A YAML line's text and its comment: from a `#` that starts the line or follows a space,
    outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i], line[i:]
    return line, ""


def next_year(text: str, years: int = 1) -> NextYear:
    """`text` (a programme file) moved on by `years` whole years."""
    out = NextYear(text)

    def move_date(m: re.Match[str]) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            date(y, mo, d)
        except ValueError:
            return m.group(0)  # not a date: left for `programme check` to point at
        new_year = y + years
        day = d
        while True:
            try:
                moved = date(new_year, mo, day)
                break
            except ValueError:
                day -= 1
        if day != d:
            out.clamped.append(f"{m.group(0)} → {moved.isoformat()}")
        out.dates += 1
        return moved.isoformat()

    def move_month(m: re.Match[str]) -> str:
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            return m.group(0)
        out.dates += 1
        return f"{y + years:04d}-{mo:02d}"

    def move_word(m: re.Match[str]) -> str:
        moved = _year(m.group(1), years)
        if moved is None:
            return m.group(0)
        out.words += 1
        return moved

    def move_school_year(m: re.Match[str]) -> str:
        first, second = _year(m.group(1), years), _year(m.group(3), years)
        if first is None or second is None:
            return m.group(0)
        out.words += 1
        return f"{first}{m.group(2)}{second}"

    lines = []
    for line in text.splitlines(keepends=True):
        code, comment = _split_comment(line)  # a comment tells history ("原方案为2010年…"): left as written
        code = DATE.sub(move_date, code)
        code = MONTH.sub(move_month, code)
        code = SCHOOL_YEAR.sub(move_school_year, code)
        lines.append(YEAR_WORD.sub(move_word, code) + comment)
    body = "".join(lines)

    def bump(m: re.Match[str]) -> str:
        out.version = int(m.group(2)) + 1
        return f"{m.group(1)}{out.version}"

    out.text = VERSION.sub(bump, body, count=1)
    return out
