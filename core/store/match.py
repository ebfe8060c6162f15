"""Whether a record's payload holds a duty's `match` (安全法制教育 counts the meetings of that
kind; a 视频 call is not 亲情电话): one rule, its Python form (the record check: does this record
close a duty with a responsible person?) and its SQL form (the engine, the indicators and the
reports: does it count?) side by side. tests/test_engine_properties.py proves they agree on both
backends."""

from __future__ import annotations

from typing import Any


def payload_matches(payload: dict[str, Any], match: Any) -> bool:
    """A record's payload holds every `match` value: payload_condition in Python, for payloads
    validated by their step (each field of one JSON type)."""
    for name, value in dict(match).items():
        got = payload.get(name)
        if isinstance(value, bool):
            if got is not value:
                return False
        elif isinstance(value, (int, float)):
            if isinstance(got, bool) or not isinstance(got, (int, float)) or float(got) != value:
                return False
        elif not isinstance(got, str) or got != str(value):
            return False
    return True


def payload_condition(col: Any, name: str, value: Any) -> Any:
    """payload[name] == value, typed by the value (JSON text, number or boolean): the SQL form."""
    if isinstance(value, bool):
        return col[name].as_boolean() == value
    if isinstance(value, (int, float)):
        return col[name].as_float() == value
    return col[name].as_string() == str(value)
