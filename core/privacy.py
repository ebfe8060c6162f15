"""Children's data is personal data: contacts are masked in listings unless asked for, and no message
echoes a phone, an ID-card number or a database password.

Sensitive are the roster's contact columns, and any extra roster column (kept in `profile`)
whose header names a contact or identifier (身份证号, 备用电话, 父亲微信, QQ, 住址 …) or whose value
has the shape of one (an ID-card number, a phone number, an e-mail address) — whatever the header.
"""

from __future__ import annotations

import functools
import re
from typing import Any

PHONE_FIELDS = ("guardian_phone", "father_phone", "mother_phone", "phone")
ADDRESS_FIELDS = ("address",)

@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    """The module's patterns, compiled on first use: a teacher's `due` formats hundreds of messages
    whose parameters hold no digits at all and never needs them (compiling all six cost ~10 ms of
    its start-up, docs/BENCHMARKS.md)."""
    source, flags = {
        "sensitive_label": (r"身份证|证件|电话|手机|联系方式|微信|wechat|(?<![a-z])vx|v信|qq|邮箱|e-?mail|地址|住址|居住|住处|现住|"
                            r"户籍|户口|护照|银行|卡号|账号|账户|帐号|帐户|支付宝|医保|社保|id_?card|phone", re.IGNORECASE),
        # an ID-card number, with or without spaces or dashes between its parts (6 + 8 + 4)
        "id_card": (r"(?<![0-9A-Za-z])(\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx]|\d{15})(?![0-9A-Za-z])", 0),
        # a bank or card number: 16–19 digits, often in groups of four
        "card": (r"(?<![0-9A-Za-z])(\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9])", 0),
        "phone_in_text": (r"(?<![0-9])(1[3-9]\d(?:[ -]?\d{4}){2}|0\d{2,3}-?\d{7,8})(?![0-9])", 0),
        # a WeChat or QQ id after its name: 微信 wxid_ab12cd, VX：liu2012, QQ号 12345678
        "chat_id": (r"((?:微信号?|wechat|(?<![a-z])vx|v信|qq号?)\s*[：:号]?\s*)([A-Za-z][-_A-Za-z0-9]{4,19}|\d{5,12})",
                    re.IGNORECASE),
        "email": (r"([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)", 0),
        "long_digits": (r"(?<![0-9A-Za-z.])\d{11,}[Xx]?(?![0-9])", 0),
        "url_password": (r"(\b[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^@\s]+@", re.IGNORECASE),
    }[name]
    return re.compile(source, flags)


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678; 0817-1234567 → 0817-***4567. A masked value stays as it is."""
    if not value or "*" in value:
        return value
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if len(digits) < 8:
        return "*" * len(value)
    keep = set(digits[:3] + digits[-4:]) if value.startswith("1") else set(digits[:4] + digits[-4:])
    return "".join(ch if (i in keep or not ch.isdigit()) else "*" for i, ch in enumerate(value))


def mask_address(value: str | None) -> str | None:
    """Keep the administrative part a bureau already knows (四川省南充市…), hide the rest."""
    if not value or value.endswith("****"):
        return value
    m = re.match(r"^(.*?(?:县|区|市))", value[:12])
    head = m.group(1) if m else value[:2]
    return f"{head}****"


def mask_text(value: str) -> str:
    """Any text with its identifiers hidden: ID-card, bank-card and phone numbers (written with
    spaces or dashes too), WeChat and QQ ids and e-mail addresses inside it keep their first and
    last few characters."""
    value = _pattern("id_card").sub(lambda m: _keep_digits(m.group(0), 6, 4), value)
    value = _pattern("card").sub(lambda m: _keep_digits(m.group(0), 4, 4), value)
    value = _pattern("phone_in_text").sub(lambda m: mask_phone(m.group(0)) or "", value)
    value = _pattern("chat_id").sub(lambda m: m.group(1) + _keep_ends(m.group(2), 2, 1), value)
    return _pattern("email").sub(lambda m: f"{m.group(1)[:2]}***@{m.group(2)}", value)


def _keep_digits(value: str, head: int, tail: int) -> str:
    """`value` with its digits hidden but the first `head` and last `tail` (separators kept)."""
    where = [i for i, ch in enumerate(value) if ch.isalnum()]
    keep = set(where[:head] + where[-tail:])
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(value))


def mask_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A record's fields as shown: identifiers inside its texts (a note naming a phone) masked."""
    return {k: mask_text(v) if isinstance(v, str) else v for k, v in payload.items()}


def _keep_ends(value: str, head: int, tail: int) -> str:
    return value[:head] + "*" * (len(value) - head - tail) + (value[-tail:] if tail else "")


def sensitive_label(label: str) -> bool:
    """Whether an extra roster column's header names a contact or an identifier (身份证号, 备用电话 …)."""
    return bool(_pattern("sensitive_label").search(label))


def mask_profile_value(label: str, value: Any) -> Any:
    """A profile cell as shown without --show-contacts (a masked cell stays as it is)."""
    if value is None or value == "" or (isinstance(value, str) and "*" in value):
        return value
    if sensitive_label(label):
        text = str(value)
        if len(text) <= 2:
            return "*" * len(text)
        return text[:1] + "*" * (len(text) - 2) + text[-1:] if len(text) < 8 else _keep_ends(text, 3, 2)
    return mask_text(value) if isinstance(value, str) else value


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
    for key in ("profile", "private"):
        if isinstance(out.get(key), dict):
            out[key] = {k: mask_profile_value(k, v) for k, v in out[key].items()}
    return out


def redact(text: str) -> str:
    """A message's parameter as it may be printed: no database password, no ID-card or phone
    number, no long run of digits standing alone (a 学籍号 like G5107… keeps its digits)."""
    if "://" not in text and not _digit_run(text, 11):
        return text  # nearly every parameter: no pattern to apply
    text = _pattern("url_password").sub(r"\1***@", text)
    return _pattern("long_digits").sub(lambda m: _keep_ends(m.group(0), 3, 4), text)


def _digit_run(text: str, length: int) -> bool:
    """Whether `text` holds `length` digits in a row."""
    run = 0
    for ch in text:
        run = run + 1 if ch.isdecimal() else 0  # as `\d` matches
        if run >= length:
            return True
    return False
