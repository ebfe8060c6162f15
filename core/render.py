"""How programme things read to people: timings, scopes, dates in Chinese (or English)."""

from __future__ import annotations

from datetime import date
from typing import Any

from guanai.core.i18n import has, t


def weekday(day: date) -> str:
    return t("date.weekday", d=t(f"date.wd{day.weekday()}"))


def short_date(day: date) -> str:
    return f"{day:%m-%d} {weekday(day)}"


def long_date(day: date) -> str:
    return t("date.long", y=day.year, m=day.month, d=day.day, wd=weekday(day))


def timing(duty: Any) -> str:
    if getattr(duty, "festivals", None):
        names = t("list.sep").join(duty.festivals)
        return t("timing.festivals", names=names, days=duty.window_days)
    if getattr(duty, "at", None):
        names = t("list.sep").join(t(f"timing.at.{p}") for p in duty.at)
        return t("timing.at", names=names, days=duty.window_days)
    every = getattr(duty, "every", None) or ""
    text = t(f"timing.every.{every}", n=duty.times) if every else ""
    if getattr(duty, "grace_days", 0):
        text += t("timing.grace", n=duty.grace_days)
    return text


def within(limit: Any) -> str:
    """A follow-up's time limit as people say it: "30 分钟内", "2 小时内", "14 天内"."""
    minutes = int(limit.total_seconds() // 60)
    if minutes % 1440 == 0:
        return t("within.days", n=minutes // 1440)
    if minutes % 60 == 0:
        return t("within.hours", n=minutes // 60)
    return t("within.minutes", n=minutes)


def duration_code(limit: Any) -> str:
    """A time limit in the programme's own notation: 30m, 2h, 14d."""
    minutes = int(limit.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


_NUMERALS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STAGES = {"小": 0, "初": 6, "高": 9}  # 初一 is grade 7, 高一 grade 10


def _numeral(text: str) -> int:
    """一 → 1, 十二 → 12, 二十 → 20."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_NUMERALS.get(tens, 1) if tens else 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0)
    return _NUMERALS.get(text, 0)


def class_order(name: str | None) -> tuple[Any, ...]:
    """A sort key that puts classes and grades in the order schools list them: 七(2)班 before
    七(10)班 before 八(1)班, 初二 before 初三, 三年级 before 十年级; anything else by its text."""
    import re

    if not name:
        return ((2, 0),)
    parts: list[Any] = []
    for stage, chinese, digits, other in re.findall(r"([小初高](?=[一二三四五六七八九十]))?([零一二三四五六七八九十]+)|(\d+)|(\D)",
                                                    name):
        if chinese:
            parts.append((0, _numeral(chinese) + _STAGES.get(stage, 0)))
        elif digits:
            parts.append((0, int(digits)))
        else:
            parts.append((1, other))
    return tuple(parts)


def scope(name: str) -> str:
    return t(f"scope.{name}")


ROLE_NAMES: dict[str, str] = {}  # a programme's own names of its roles (love_tutor → 爱心辅导员)


def name_roles(assignments: Any) -> None:
    """Take the names a programme gives its roles (its `assignments`, as models or as the stored
    JSON): every output then says 爱心辅导员, not love_tutor. One process reads one county's
    programmes; where two name one role differently, the one read last is used."""
    for rule in assignments or ():
        role_id = rule.get("role") if isinstance(rule, dict) else getattr(rule, "role", None)
        label = rule.get("name") if isinstance(rule, dict) else getattr(rule, "name", None)
        if role_id and label:
            ROLE_NAMES[str(role_id)] = str(label)


def role(name: Any) -> str:
    if not name:
        return "—"
    name = getattr(name, "key", name)
    if name.startswith("post:"):  # a post (岗位) holds the duty: its own name
        return str(name.removeprefix("post:"))
    if name in ROLE_NAMES:
        return ROLE_NAMES[name]
    key = f"role.{name}"
    text = t(key)
    return name if text == key else text


def window_name(label: str, terms: Any = ()) -> str:
    """A window's label as people say it: 2025年第41周, 2025年10月, 2025年第4季度, 2025—2026学年,
    2025年秋季学期 (a term's id), 期初·2025年秋季学期 (a term point), 2026年春节 (a festival);
    a phase's name stays as written."""
    import re

    names = {getattr(term, "id", None): getattr(term, "name", None) for term in terms}
    point, sep, where = label.partition("@")
    if sep and point in ("term_start", "midterm", "term_end"):
        return t("window.point", point=t(f"timing.at.{point}"), term=names.get(where) or where)
    if sep and where.isdigit():
        return t("window.festival", year=where, name=point)
    if label in names and names[label]:
        return str(names[label])
    for pattern, key in ((r"^(\d{4})-W(\d{2})$", "window.week"), (r"^(\d{4})-(\d{2})$", "window.month"),
                         (r"^(\d{4})-Q(\d)$", "window.quarter"), (r"^(\d{4})-(\d{4})$", "window.year")):
        found = re.match(pattern, label)
        if found:
            return t(key, a=int(found.group(1)), b=int(found.group(2)))
    return label


def shares_text(shares: dict[str, Any]) -> str:
    """A ratio's two shares in words: 占参赛 58.0%（58/100），占全校 49.0%（294/600）."""
    return t("indicators.shares", among=shares["among"], share=rate_text(shares["share"]), part=shares["part"],
             of=shares["of"], base_among=shares["base_among"], base_share=rate_text(shares["base_share"]),
             base_part=shares["base_part"], base_of=shares["base_of"])


def others_text(counts: dict[str, int]) -> str:
    """People who are not staff, by kind: 志愿者 3 人、校外辅导员 1 人."""
    return t("list.sep").join(t("people.kind_count", kind=kind, n=n) for kind, n in counts.items())


def rate_tenths(value: Any, target: Any = None) -> int:
    """A rate in tenths of a per cent as shown (224 for 22.4%): rounded half up once from the exact
    value; below its target (or below 100%) never reaching it. The one rule behind rate_text and
    the workbooks' percent cells."""
    from fractions import Fraction

    exact = value if isinstance(value, Fraction) else Fraction(str(value))
    tenths = (exact * 1000 + Fraction(1, 2)).__floor__()  # half up, in tenths of a per cent
    for ceiling in (target, 1):
        if ceiling is not None and exact < Fraction(str(ceiling)) and Fraction(tenths, 1000) >= Fraction(str(ceiling)):
            tenths = (exact * 1000).__floor__()
    return int(tenths)


def rate_text(value: Any, target: Any = None) -> str:
    """A rate as people read it: 71.4%, or — when nothing was expected. Rounded half up to one
    decimal, once; a value below its target (or below 100%) never shows as reaching it: 89.97%
    against 90% is 89.9%, 2,999 of 3,000 is 99.9% (issue 28: one rule for every output)."""
    if value is None:
        return "—"
    tenths = rate_tenths(value, target)
    sign = "-" if tenths < 0 else ""
    return f"{sign}{abs(tenths) // 10}.{abs(tenths) % 10}%"


def number_text(value: Any) -> str:
    """A count or an amount as every document writes it, in text and in tables alike: 1,470;
    10,625.00 (an amount keeps its cents) — issue 28: one way for both."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def percent_of(n: int, d: int, target: Any = None) -> str:
    """n of d as a rate (rate_text), from the exact fraction: 2,195/3,240 is 67.7%, not 67.8%."""
    from fractions import Fraction

    return rate_text(Fraction(n, d), target) if d else "—"


def indicator_value(value: Any, unit: str, target: Any = None, n: Any = None, d: Any = None) -> str:
    """An indicator's value or target as people read it: a share 71.4% (from n/d when given, never
    shown reaching a target it misses), a ratio of shares 1.18 倍, a count 71 对."""
    if value is None:
        return "—"
    if unit == "share" and isinstance(n, int) and isinstance(d, int) and d:
        return percent_of(n, d, target)
    if unit == "share":
        return rate_text(value, target)
    if unit in ("pairs", "records", "people"):  # a count: 71 对, 12 条, 54 人
        return t(f"indicators.count.{unit}", n=int(value))
    return t("indicators.ratio", value=value) if unit == "ratio" else f"{value:.1f}" if unit == "mean" else rate_text(value)


def responsible_text(responsible: str | None, by: str | None) -> str:
    """Who answers for an item: the staff member; 未指定 when the duty names a role nobody holds;
    学校 when it names none (a school's own task, such as 制定活动实施方案)."""
    return responsible or t("due.unassigned" if by else "due.school")


def key_text(key: str, value: Any, orgs: dict[str, dict[str, Any]]) -> str:
    """A grouping value as people read it: 留守, 祖辈监护, the school's name …"""
    if value is None:
        return t("stats.unknown")
    if key in ("school", "township"):
        return str(orgs.get(value, {}).get("name", value))
    if key == "role":
        return role(value)
    prefix = {"category": "category", "guardian_type": "guardian", "role": "role"}.get(key)
    if prefix and has(f"{prefix}.{value}"):
        return t(f"{prefix}.{value}")
    return str(value)
