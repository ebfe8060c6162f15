"""Reading one cell: dates as Chinese schools write them, 男/女, 是/否, phone numbers, ids.

Each reader takes what the file holds (text from a .csv; text, number or date from an .xlsx)
and returns the value or raises CellError with a catalogue code, so the caller can say where.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29
SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
)
TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "党员", "中共党员"}
FALSE = {"否", "n", "no", "false", "0", "×", "", "群众", "非党员"}
GENDERS = {"男": "男", "女": "女", "m": "男", "f": "女", "male": "男", "female": "女"}


# Characters that are never part of a name or id: C0/C1 controls (NUL, ESC …), the bidi overrides
# and isolates that reorder what a terminal shows (RLO …), and what Excel or Notepad leaves at a
# cell's edge (BOM, zero-width space/joiners, word joiner). At the edge such a character is what
# the user did not mean to type, and is stripped; inside a cell it is refused.
INVISIBLE_EDGE = "\ufeff\u200b\u200c\u200d\u2060\u180e"
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the years a programme, a record or an --as-of may name
FIRST_BORN = 1950  # the earliest year any date in a roster, staff or pairing file may name (a birth)
LIMITS = {"id": 64, "name": 100, "text": 300, "free": 2000}  # characters; the schema's column widths


class CellError(Exception):
    def __init__(self, code: str, /, **params: object):
        super().__init__(code)
        self.code, self.params = code, params


FLOAT_TEXT = re.compile(r"^[0-9]+\.0+$")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean(value: str, limit: int, lines: bool = False) -> str:
    """Text as guanai stores it: trimmed of spaces and invisible edge characters; refused when it
    holds a control or bidi character (`lines`: tab and line breaks are allowed, as in an
    address), or is longer than `limit` characters. The one gate every cell, option and payload
    text passes, the same on both backends, before any SQL."""
    value = value.strip().strip(INVISIBLE_EDGE).strip()
    for i, ch in enumerate(value):
        if ch in BIDI or (unicodedata.category(ch) in ("Cc", "Cf") and not (lines and ch in "\t\r\n")):
            raise CellError("cell.control_char", char=f"U+{ord(ch):04X}", at=i + 1)
    if len(value) > limit:
        raise CellError("cell.too_long", length=len(value), limit=limit)
    return value


def text(value: Any, limit: int = LIMITS["text"]) -> str | None:
    """Trimmed text, None when blank. Numbers read from .xlsx are written without '.0'."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return clean(str(value), limit, lines=True) or None


def name(value: Any, limit: int = LIMITS["name"]) -> str | None:
    """A person's, class's or unit's name: one line. An Excel 是/否 cell (TRUE) is no name."""
    if isinstance(value, bool):
        raise CellError("cell.name_bool", value="TRUE" if value else "FALSE")
    found = text(value, limit)
    return None if found is None else clean(found, limit)


def identifier(value: Any, limit: int = LIMITS["id"]) -> str | None:
    """An id (学籍号, 工号, 编号): must be text. A number in the cell may have lost digits.
    Full-width letters and digits (Ｇ５１０…, typed with a Chinese input method) are the same id
    as their ASCII form (NFKC)."""
    if blank(value):
        return None
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise CellError("cell.id_number", value=_show_number(value))
    value = clean(unicodedata.normalize("NFKC", str(value)), limit)
    if not value:
        return None
    if SCIENTIFIC.match(value):
        raise CellError("cell.id_scientific", value=value)
    if FLOAT_TEXT.match(value):  # 13900001111.0: a number Excel wrote out as a decimal in a CSV
        raise CellError("cell.id_decimal", value=value)
    return value


def _show_number(value: Any) -> str:
    if isinstance(value, float) and abs(value) >= 1e15:
        return repr(value)
    return str(value)


def phone(value: Any) -> str | None:
    """An 11-digit mobile (13812345678) or a landline (0817-1234567); spaces and dashes ignored."""
    if blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not value.is_integer():
            raise CellError("cell.phone_number", value=_show_number(value))
        value = str(int(value))  # an 11-digit integer is exact in a float; checked below
    value = str(value).strip()
    if SCIENTIFIC.match(value):
        raise CellError("cell.id_scientific", value=value)
    digits = re.sub(r"[\s\-()（）]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if MOBILE.match(digits):
        return digits
    if LANDLINE.match(value.replace(" ", "")):
        return value.replace(" ", "")
    raise CellError("cell.phone", value=value)


def day(value: Any, month_ok: bool = False) -> date | None:
    """2015-03-02, 2015/3/2, 2015.3.2, 2015年3月2日, 20150302, an Excel serial or date cell;
    in FIRST_BORN … LAST_YEAR (1900-01-02 is the number 3 in a cell formatted as a date)."""
    found = _day(value, month_ok)
    if found is not None and not FIRST_BORN <= found.year <= LAST_YEAR:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise CellError("cell.serial_year", serial=text(value), value=found.isoformat())
        raise CellError("cell.year", value=found.isoformat(), first=FIRST_BORN, last=LAST_YEAR)
    return found


def _day(value: Any, month_ok: bool) -> date | None:
    if blank(value):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value < date(1900, 3, 1):  # openpyxl read a small number in a date-formatted cell as a date
            # before Excel's phantom 1900-02-29 a serial counts from 1899-12-31
            raise CellError("cell.serial_year", serial=str((value - date(1899, 12, 31)).days), value=value.isoformat())
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value)
    raw = str(value).strip()
    for pattern in DATE_PATTERNS:
        m = pattern.match(raw)
        if m:
            return _ymd(raw, *(int(g) for g in m.groups()))
    if month_ok:
        for pattern in MONTH_PATTERNS:
            m = pattern.match(raw)
            if m:
                return _ymd(raw, int(m.group(1)), int(m.group(2)), 1)
    if re.fullmatch(r"\d{1,6}(\.0+)?", raw):
        return _serial(float(raw))
    raise CellError("cell.date", value=raw)


def _serial(value: float) -> date:
    if not (1 <= value < 2958466) or not float(value).is_integer():
        raise CellError("cell.date", value=str(value))
    return EXCEL_EPOCH + timedelta(days=int(value))


def _ymd(raw: str, y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise CellError("cell.no_such_date", value=raw) from None


def gender(value: Any) -> str | None:
    if blank(value):
        return None
    found = GENDERS.get(str(value).strip().lower())
    if found is None:
        raise CellError("cell.gender", value=str(value).strip())
    return found


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    key = "" if value is None else str(value).strip().lower()
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise CellError("cell.bool", value=key)


def choice(value: Any, choices: dict[str, str]) -> str | None:
    """One of a fixed set; `choices` maps every accepted spelling (lower case) to the value."""
    if blank(value):
        return None
    key = re.sub(r"\s", "", str(value)).lower()
    if key in choices:
        return choices[key]
    first: dict[str, str] = {}  # one Chinese spelling per value
    for spelling, stored in choices.items():
        if not spelling.isascii():
            first.setdefault(stored, spelling)
    shown = "、".join(first.values())
    raise CellError("cell.choice", value=str(value).strip(), choices=shown)


def items(value: Any) -> list[str]:
    """A list in one cell: 班主任、代理家长 or 班主任;代理家长 or 班主任/代理家长."""
    if blank(value):
        return []
    parts = (clean(part, LIMITS["name"]) for part in re.split(r"[、,，;；/／|]", str(value)))
    return [part for part in parts if part]


TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
FAST_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2} (?:[01]\d|2[0-3]):[0-5]\d")


def moment(value: Any) -> tuple[date, tuple[int, int, int], str | None]:
    """A local date and time: '2025-10-22 16:00', '2025/10/22 16:00:30', '2025年10月22日 16:00',
    ISO '2025-10-22T16:00+08:00', a date alone (00:00) or an .xlsx date-time cell.

    Returns (date, (h, m, s), utc offset text or None); the caller applies the time zone.
    """
    if isinstance(value, datetime):
        return value.date(), (value.hour, value.minute, value.second), None
    if isinstance(value, str) and len(value) == 16 and FAST_MOMENT.match(value) and (
            FIRST_YEAR <= int(value[:4]) <= LAST_YEAR):  # 2025-10-22 16:00
        with contextlib.suppress(ValueError):  # an impossible date: the full path below says which
            return date(int(value[:4]), int(value[5:7]), int(value[8:10])), (int(value[11:13]), int(value[14:]), 0), None
    raw = "" if value is None else str(value).strip()
    if not raw:
        raise CellError("cell.required")
    offset = None
    m = re.search(r"(Z|[+-]\d{2}:?\d{2})$", raw)
    if m and "T" in raw:
        offset, raw = m.group(1), raw[: m.start()]
        digits = offset.replace(":", "")
        if offset != "Z" and (int(digits[1:3]) > 14 or int(digits[3:5]) > 59):  # UTC−12 … UTC+14
            raise CellError("cell.offset", value=offset)
    parts = re.split(r"[T\s]+", raw, maxsplit=1)
    try:
        the_day = _day(parts[0], False)
    except CellError as exc:
        if exc.code == "cell.no_such_date":
            raise  # 2025-02-30: say the date does not exist, not that it is no time
        raise CellError("cell.moment", value=str(value).strip()) from None
    if the_day is None:
        raise CellError("cell.moment", value=str(value).strip())
    if not FIRST_YEAR <= the_day.year <= LAST_YEAR:
        raise CellError("cell.year", value=the_day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR)
    if len(parts) == 1:
        return the_day, (0, 0, 0), offset
    t = TIME.match(parts[1])
    if not t or int(t.group(1)) > 23 or int(t.group(2)) > 59 or int(t.group(3) or 0) > 59:
        raise CellError("cell.moment", value=str(value).strip())
    return the_day, (int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)), offset
