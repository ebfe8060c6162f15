"""What the installed plugins provide: step types, settings models; built from the hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel

SUBJECT_OPTIONS = {"child": "--child 学籍号", "school": "--school 学校代码", "staff": "--staff 工号",
                   "class": "--class 班级 --school 学校代码"}


@dataclass(frozen=True)
class StepField:
    """One field of a step's payload, as a user fills it in (`--set name=value`, a column)."""

    name: str  # the name to use: the alias where there is one (`with`)
    description: str
    type: str  # the annotation as text: int | None, Literal['parents', 'guardian', 'child'] …
    required: bool
    example: str  # a value that passes the model
    labels: dict[str, str] = field(default_factory=dict)  # a coded value in words: parents → 父母


@dataclass(frozen=True)
class StepType:
    """A kind of record: its name, Chinese title, payload model and owning plugin; what it is about
    (`scope`: child, school, staff or class; None for any) and whether a recorder (`--by`, 工号) is
    part of it (`needs_recorder`: shown in help; duties' `by` roles make it required there)."""

    name: str
    title: str
    payload: type[BaseModel]
    description: str = ""
    plugin: str = ""
    scope: str | None = "child"
    needs_recorder: bool = True
    follow_ups: tuple[FollowUp, ...] = ()  # the follow-up rules a record of this step may oblige
    # open vocabularies: (payload field, settings field) — the values the field may take are the
    # plugin's settings list, defaults in its settings model, so a programme can name its own
    # (settings.care_basics.meeting_kinds: [讲座, 安全法制教育 …])
    choices: tuple[tuple[str, str], ...] = ()

    def allowed(self, settings: Any) -> dict[str, tuple[str, ...]]:
        """payload field → the values it may take under these settings (the plugin's, validated)."""
        def values(name: str) -> tuple[str, ...]:
            found = settings.get(name) if isinstance(settings, dict) else getattr(settings, name, None)
            return tuple(found or ())

        return {field_name: values(setting) for field_name, setting in self.choices}

    def refused_choice(self, payload: dict[str, Any], settings: Any) -> tuple[str, str, tuple[str, ...]] | None:
        """(field, value, the values allowed) for the first payload value outside its vocabulary."""
        for field_name, allowed in self.allowed(settings).items():
            value = payload.get(field_name)
            if value is not None and str(value) not in allowed:
                return field_name, str(value), allowed
        return None

    def fields(self) -> tuple[str, ...]:
        return tuple(self.payload.model_fields)

    def field_info(self) -> list[StepField]:
        """The payload's fields with their descriptions and an example value each."""
        return [StepField(info.alias or name, info.description or "", _type_text(info.annotation),
                          info.is_required(), _example(info), field_labels(info))
                for name, info in self.payload.model_fields.items()]

    def describe(self, payload: dict[str, Any]) -> str:
        """A record's payload in words, as the 台账 and a child's file show it: 时长：20；主题：学习."""
        def text(f: StepField, value: Any) -> str:
            if isinstance(value, bool):
                return "是" if value else "否"
            values = value if isinstance(value, (list, tuple)) else (value,)
            return "、".join(f.labels.get(str(v), str(v)) for v in values) + field_unit(f)

        from guanai.core.privacy import mask_payload

        payload = mask_payload(payload)  # a note naming a phone shows it masked, like every listing
        return "；".join(f"{field_label(f)}：{text(f, payload[f.name])}" for f in self.field_info()
                        if payload.get(f.name) not in (None, "", []))

    def form(self) -> list[FormField]:
        """The payload's fields as a form asks for them (the teacher's page): a label and unit in
        words, choices as (value, words), and what kind of input each wants."""
        import typing

        out = []
        for info, f in zip(self.payload.model_fields.values(), self.field_info(), strict=True):
            inner, options = _options(info.annotation)
            many = typing.get_origin(inner) in (tuple, list)
            if many:  # tuple[Literal[…], …]: several of the choices
                options = _options(typing.get_args(inner)[0])[1] if typing.get_args(inner) else []
            choices = tuple((str(o), f.labels.get(str(o), str(o))) for o in options)
            if inner is bool:
                kind, choices = "choice", (("是", "是"), ("否", "否"))
            elif choices:
                kind = "multi" if many else "choice"
            else:
                kind = {"int": "int", "Decimal": "number", "float": "number", "date": "date"}.get(
                    getattr(inner, "__name__", ""), "list" if many else "text")
            out.append(FormField(f.name, field_label(f), f.description, kind, f.required, choices, field_unit(f)))
        return out

    def example(self) -> str:
        """A command that records one such thing, made from the step's own fields."""
        subject = SUBJECT_OPTIONS.get(self.scope or "child", SUBJECT_OPTIONS["child"])
        fields = self.field_info()
        chosen = [f for f in fields if f.required] or [f for f in fields if f.name != "notes"][:1] or fields[:1]
        sets = "".join(f" --set {f.name}={f.example}" for f in chosen if f.example)
        by = " --by 工号" if self.needs_recorder else ""
        return f'guanai record {self.name} {subject}{by} --at "2025-10-22 16:00"{sets}'


@dataclass(frozen=True)
class FormField:
    """A payload field as a form asks for it: 时长 (分钟), a number; 对象, one of 父母 / 监护人 / 孩子."""

    name: str
    label: str  # 时长
    description: str  # 时长（分钟）: the plugin's words in full
    kind: str  # choice, multi, int, number, date, list, text
    required: bool
    choices: tuple[tuple[str, str], ...] = ()  # (value, words)
    unit: str = ""  # 分钟


def field_label(f: StepField) -> str:
    """A field's name in words: its description up to the first bracket or comma (时长（分钟） → 时长)."""
    return f.description.split("（")[0].split("，")[0].split("：")[0].strip() or f.name


def field_unit(f: StepField) -> str:
    """The unit a field's description gives in brackets: 时长（分钟） → 分钟, 金额（元，精确到分） → 元."""
    inside = f.description.partition("（")[2].partition("）")[0].split("，")[0].strip()
    numeric = f.type in ("整数", "数值")
    return inside if numeric and 0 < len(inside) <= 4 else ""


def _options(annotation: Any) -> tuple[Any, list[Any]]:
    """(the annotation without None, the Literal's values or [])."""
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is not typing.Literal and len(args) == 1 and type(None) in typing.get_args(annotation):
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Literal:
        return annotation, list(typing.get_args(annotation))
    return annotation, []


def _type_text(annotation: Any) -> str:
    inner, options = _options(annotation)
    if options:
        return " | ".join(str(o) for o in options)
    name = getattr(inner, "__name__", None) or str(inner)
    return {"Decimal": "数值", "int": "整数", "float": "数值", "str": "文字", "bool": "是/否", "date": "日期",
            "tuple": "列表"}.get(name, name.replace("typing.", ""))


def field_labels(info: Any) -> dict[str, str]:
    """A field's coded values in words, as its plugin gives them: ``Field(json_schema_extra={"labels":
    {"parents": "父母", …}})``: the 台账 and a child's file show the words; a record may give them."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    labels = extra.get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def labelled(expected: str, labels: dict[str, str]) -> str:
    """A list of allowed codes ("parents, guardian") told with their words: parents（父母）, guardian（监护人）."""
    return ", ".join(f"{c}（{labels[c]}）" if c in labels else c for c in expected.split(", ")) if labels else expected


def _example(info: Any) -> str:
    """A value of the field that its model accepts, for help texts."""
    import typing
    from decimal import Decimal

    inner, options = _options(info.annotation)
    if options:
        return str(options[0])
    low = next((getattr(m, "ge", None) if getattr(m, "ge", None) is not None else getattr(m, "gt", None)
                for m in info.metadata if getattr(m, "ge", None) is not None or getattr(m, "gt", None) is not None),
               None)
    word = (info.description or "").split("（")[0].split("，")[0].split("：")[0] or "…"
    if typing.get_origin(inner) in (tuple, list):
        return word
    if inner is bool:
        return "是"
    if inner is int:
        return str(low if low is not None and low > 20 else 20 if low is None or low <= 20 else low)
    if inner in (Decimal, float):
        return str(low if low is not None and low > 0 else 100)
    if getattr(inner, "__name__", "") == "date":
        return "2025-10-22"
    import re

    named = re.search(r"如\s*([^、，,；;（）()\s]+)", info.description or "")  # "会议类型，如 座谈会、讲座" → 座谈会
    return named.group(1) if named else word


@dataclass(frozen=True)
class ShareRatio:
    """A ratio of two shares of people, as a plugin's `compute` may return it instead of
    (numerator, denominator): 留守儿童占参赛 58/100, 占全校 294/600 → 1.18 倍. guanai shows both
    shares and their ratio, sums each count over the schools, and puts the shares in JSON."""

    part: int  # those counted among the first group (left-behind participants)
    of: int  # the first group (participants)
    base_part: int  # those counted among the second group (left-behind pupils)
    base_of: int  # the second group (pupils)
    among: str = ""  # the first group in words: 参赛
    base_among: str = ""  # the second group in words: 全校

    @property
    def value(self) -> float | None:
        if not self.of or not self.base_of or not self.base_part:
            return None
        return round((self.part / self.of) / (self.base_part / self.base_of), 4)


@dataclass(frozen=True)
class IndicatorKind:
    """An indicator kind a plugin computes: ``compute(ctx) -> (numerator, denominator)``, or a
    ShareRatio (unit "ratio": a ratio of two shares of people)."""

    name: str
    title: str
    compute: Callable[[Any], tuple[int, int]]
    plugin: str = ""
    # "share": numerator of denominator people or items (shown 71.4%, with n/d); "ratio": a ratio of
    # two shares whose terms are not people (shown 1.18 倍, without n/d)
    unit: str = "share"


@dataclass(frozen=True)
class FollowUp:
    """A follow-up rule: work a record obliges, a record of `step` (matching `match`) due `within`
    after it — a timedelta, "30m" / "2h" / "14d", or a function of the plugin's settings returning
    one. Declared on the step whose records oblige it (``StepType(follow_ups=…)``) so that
    `programme show` lists it (`when`: the condition in words, "体检异常"), `explain --duty` knows
    its id and `compliance --group` counts it with its `group`; ``on_record`` returns it when a
    record calls for it."""

    id: str
    name: str
    step: str
    within: Any
    match: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    when: str = ""

    def within_for(self, settings: Any) -> Any:
        """`within` as a timedelta, for the plugin's `settings` (a model, or None)."""
        from datetime import timedelta

        from guanai.core.programme import parse_duration

        value = self.within(settings) if callable(self.within) else self.within
        return value if isinstance(value, timedelta) else parse_duration(str(value))


class Rejected(Exception):
    """Raised by an ``on_record`` hook to refuse a record; `field` names the payload field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class ReportSection:
    """A section of a term report: its title and its lines (Chinese sentences, one fact each, as a
    person would write them); optionally a table (`headers`, `rows`), which the 工作总结 shows
    under the lines and the 台账 workbook files as a sheet of its own."""

    title: str
    lines: tuple[str, ...]
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    failed: bool = False  # set by guanai when the plugin's hook failed: the section is marked 未生成


@dataclass
class PluginProblem:
    """A plugin that could not be used; guanai keeps working without it."""

    plugin: str
    code: str
    params: dict[str, object] = field(default_factory=dict)
    where: str = ""  # file:line in the plugin's code, when known

    def line(self) -> str:
        """The problem in one line: the plugin, the cause, where, and the switch to leave it out."""
        from guanai.core.i18n import t

        cause = t(self.code, plugin=self.plugin, **self.params)
        where = t("plugin.where", where=self.where) if self.where else ""
        if self.code in ("plugin.reserved", "plugin.name_clash"):  # the switch would name the other one too
            return t("plugin.problem_line_named", cause=cause, where=where)
        return t("plugin.problem_line", cause=cause, plugin=self.plugin, where=where)


@dataclass
class Registry:
    """Everything the loaded plugins registered, keyed by name."""

    steps: dict[str, StepType] = field(default_factory=dict)
    settings_models: dict[str, type[BaseModel]] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)  # name -> version
    problems: list[PluginProblem] = field(default_factory=list)
    indicator_kinds: dict[str, IndicatorKind] = field(default_factory=dict)
    pm: Any = None  # the plugin manager, for the call hooks (on_record, report_sections …)

    def steps_of(self, plugin: str) -> list[StepType]:
        return [s for s in self.steps.values() if s.plugin == plugin]

    def follow_up_rules(self) -> dict[str, tuple[str, FollowUp]]:
        """Every declared follow-up rule by id: (the plugin declaring it, the rule)."""
        return {f.id: (s.plugin, f) for s in self.steps.values() for f in s.follow_ups}


class DuplicateStep(Exception):
    def __init__(self, step: str, owner: str, other: str):
        super().__init__(step)
        self.step, self.owner, self.other = step, owner, other


def _named_registrar(table: dict[str, Any], kind: type[Any], hook: str, plugin: str) -> Callable[[Any], None]:
    """A `register` callback for named things (step types, indicator kinds): checks the type,
    refuses a name another plugin owns, stamps the owning plugin."""

    def register(item: Any) -> None:
        if not isinstance(item, kind):
            raise TypeError(f"{hook} expects {kind.__name__}, got {type(item).__name__}")
        owner = table.get(item.name)
        if owner is not None and owner.plugin != plugin:
            raise DuplicateStep(item.name, owner.plugin, plugin)
        table[item.name] = replace(item, plugin=plugin)

    return register


def indicator_registrar(registry: Registry, plugin: str) -> Callable[[IndicatorKind], None]:
    return _named_registrar(registry.indicator_kinds, IndicatorKind, "register_indicator_kinds", plugin)


def step_registrar(registry: Registry, plugin: str) -> Callable[[StepType], None]:
    return _named_registrar(registry.steps, StepType, "register_step_types", plugin)


def settings_registrar(registry: Registry, plugin: str) -> Callable[[type[BaseModel]], None]:
    def register(model: type[BaseModel]) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError("register_settings_model expects a pydantic model class")
        registry.settings_models[plugin] = model

    return register


def trace_call(plugin: str, hook: str, detail: str = "") -> None:
    """With GUANAI_TRACE_PLUGINS=1, one line on stderr per call of a plugin's code that guanai makes
    directly (on_record, compute, report_sections, a command), like pluggy's own hook tracing."""
    import os

    if os.environ.get("GUANAI_TRACE_PLUGINS") == "1":
        import sys

        sys.stderr.write(f"  {plugin}.{hook}({detail})\n")
