"""Children's data is personal data: contacts are masked in listings unless asked for."""

from __future__ import annotations

import re

PHONE_FIELDS = ("guardian_phone", "father_phone", "mother_phone", "phone")
ADDRESS_FIELDS = ("address",)


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678; 0817-1234567 → 0817-***4567."""
    if not value:
        return value
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if len(digits) < 8:
        return "*" * len(value)
    keep = set(digits[:3] + digits[-4:]) if value.startswith("1") else set(digits[:4] + digits[-4:])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(value))


def mask_address(value: str | None) -> str | None:
    """Keep the administrative part a bureau already knows (四川省南充市…), hide the rest."""
    if not value:
        return value
    m = re.match(r"^(.*?(?:县|区|市))", value[:12])
    head = m.group(1) if m else value[:2]
    return f"{head}****"


def masked(row: dict, show_contacts: bool) -> dict:
    if show_contacts:
        return row
    out = dict(row)
    for key in PHONE_FIELDS:
        if key in out:
            out[key] = mask_phone(out[key])
    for key in ADDRESS_FIELDS:
        if key in out:
            out[key] = mask_address(out[key])
    return out
