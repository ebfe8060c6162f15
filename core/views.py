"""What plugins read, as plain data: records, children, periods. The contexts guanai hands to
plugins (RecordContext, IndicatorContext, ReportContext, CommandContext) answer with these, so a
plugin never writes SQL against guanai's tables (which stay private and may change); the store
reads them (guanai.core.store.facts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Record:
    """A record — stored, or about to be (``on_record`` sees it with ``id`` None): `occurred_at` is
    local (the school's time zone) and aware; `payload` is the step's payload in its JSON form
    (decimals as text), as validated when it was recorded. The one record type plugins see."""

    id: int | None
    step: str
    subject_kind: str
    subject: str
    school: str
    by: str | None
    occurred_at: datetime
    payload: dict[str, Any]
    checked: Any = field(default=None, repr=False, compare=False)  # the model the record was just checked into

    @property
    def model(self) -> Any:
        """The payload as the step's own pydantic model (validated again from its stored form)."""
        if self.checked is not None:
            return self.checked
        from guanai.core.plugins import current_registry  # plugins' steps and the declared ones

        return current_registry().steps[self.step].payload.model_validate(self.payload)


@dataclass(frozen=True)
class Child:
    """A child as the roster gives it (contacts left out: plugins that need them ask the school)."""

    id: str
    name: str
    school: str
    class_name: str | None
    category: str
    guardian_type: str | None
    enrolled_on: date
    left_on: date | None
    profile: dict[str, Any]

    @classmethod
    def of(cls, row: Any) -> Child:
        """The child of a stored roster row (a mapping)."""
        return cls(row["id"], row["name"], row["school"], row["class_name"], row["category"], row["guardian_type"],
                   row["enrolled_on"], row["left_on"], dict(row["profile"] or {}))


class SettingsInvalid(ValueError):
    """A programme's settings the installed plugin no longer accepts (a setting renamed in an
    upgrade without a migration): said in Chinese, with each field's path."""


def validate_settings(model: Any, raw: dict[str, Any]) -> Any:
    """`raw` (a programme's `settings.<plugin>`) as the plugin's model: first through the model's
    ``migrate(raw) -> dict`` when it has one — how a plugin that renamed or reshaped a setting
    reads programmes published before — then validated."""
    migrate = getattr(model, "migrate", None)
    return model.model_validate(migrate(dict(raw)) if callable(migrate) else raw)


def settings_problems(model: Any, raw: dict[str, Any], prefix: str = "") -> list[str]:
    """Why `raw` does not pass `model` (after its migration), one "path：message" in Chinese per
    field; empty when it passes."""
    from guanai.core.i18n import t
    from guanai.core.validation import pydantic_diagnostics
    from pydantic import ValidationError

    try:
        validate_settings(model, raw)
    except ValidationError as exc:
        from guanai.core.yamlsafe import Positions

        return [f"{'.'.join(p for p in (prefix, d.path) if p) or '—'}：{t(d.code, **dict(d.params))}"
                for d in pydantic_diagnostics(exc, raw, Positions(), "", model)]
    return []


def settings_of(models: dict[str, Any], plugin: str, programme: Any) -> Any:
    """The programme's `settings.<plugin>` validated by the plugin's model, defaults applied (the raw
    dict when the plugin registered no model; None without a programme). Settings the plugin no
    longer accepts raise SettingsInvalid, in words, never pydantic's English."""
    raw = dict((programme.settings.get(plugin) or {}) if programme is not None else {})
    model = models.get(plugin)
    if model is None:
        return raw
    problems = settings_problems(model, raw, f"settings.{plugin}")
    if problems:
        from guanai.core.i18n import t

        raise SettingsInvalid(t("settings.no_longer_valid", plugin=plugin, problems="；".join(problems)))
    return validate_settings(model, raw)


def term_of(programme: Any, day: date) -> tuple[date, date] | None:
    """The (first, last) day of the programme's term holding `day`, or None in a vacation."""
    for term in programme.calendar.terms if programme is not None else ():
        if term.start <= day <= term.end:
            return term.start, term.end
    return None
