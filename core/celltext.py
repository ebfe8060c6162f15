"""How a value is written into a cell or a column: safe in a spreadsheet, printable on a terminal,
as wide as Chinese text is. Pure functions, shared by the command line's output (core/output.py),
the workbooks (core/spreadsheet.py) and the documents (core/reports/render.py)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any


class Rate(Fraction):
    """A share kept exact (met/expected, 1,122/4,998): shown once, rounded once (render.rate_text,
    22.4%); written to JSON and CSV with four decimals (0.2245), as SPEC's `rate`. Never rounded
    before it is shown: a rate rounded to 0.2245 and then to 22.5% was rounded twice (issue 28)."""

    def __repr__(self) -> str:
        return f"Rate({self.numerator}, {self.denominator})"


def rate(n: int, d: int) -> Rate | None:
    """n of d as a Rate; None when nothing was expected."""
    return Rate(n, d) if d else None


def json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "model_dump"):  # a programme's own value ({post: 视频室}) as the programme writes it
        return value.model_dump(mode="json")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Fraction):
        return round(float(value), 4)
    raise TypeError(type(value).__name__)


PERCENT = ("rate", "share", "of_cared")  # shares: shown as 71.4% in a workbook
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """A cell as every spreadsheet file guanai writes holds it (.csv today, .xlsx alike): text
    that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading ' (OWASP's
    advice against CSV injection); numbers, and text that is a plain number (-3.5), stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text as a terminal may show it: a control or bidi character (an ESC that would recolour the
    screen, an RLO that would reverse a line) shows as �. Input refuses them (cells.clean); this
    guards what was stored before that gate existed."""
    return UNPRINTABLE.sub("\ufffd", text)


def cell_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, (dict,)):
        return json.dumps(value, ensure_ascii=False, default=json_default)
    if value is None:
        return ""
    return json_default(value) if isinstance(value, (date, datetime, Decimal, Fraction)) else value


def text_width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


