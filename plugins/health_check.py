"""health_check (体检): a child's check-up, referral of abnormal results (报送上一级医疗部门),
the indicator `checkup_rate` (体检率) and `guanai health import` for a clinic's result sheet."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import click
from guanai.api import (
    FollowUp,
    IndicatorKind,
    NewRecord,
    ReportSection,
    StepType,
    context_options,
    for_steps,
    hookimpl,
    number_text,
    percent_of,
    read_sheet,
    save,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator

__version__ = "1.0"
STEP = "health_check"


class HealthCheck(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    height_cm: Decimal | None = Field(None, ge=50, le=230, decimal_places=1, description="身高（厘米）")
    weight_kg: Decimal | None = Field(None, ge=8, le=200, decimal_places=1, description="体重（千克）")
    vision_left: Decimal | None = Field(None, ge=Decimal("3.0"), le=Decimal("5.3"), decimal_places=1,
                                        description="左眼视力（五分记录，如 4.9）")
    vision_right: Decimal | None = Field(None, ge=Decimal("3.0"), le=Decimal("5.3"), decimal_places=1,
                                         description="右眼视力（五分记录，如 5.0）")
    systolic: int | None = Field(None, ge=60, le=220, description="收缩压（mmHg）")
    diastolic: int | None = Field(None, ge=30, le=140, description="舒张压（mmHg）")
    lung_capacity_ml: int | None = Field(None, ge=300, le=8000, description="肺活量（毫升）")
    chest_cm: Decimal | None = Field(None, ge=40, le=150, decimal_places=1, description="胸围（厘米）")
    ent_normal: bool | None = Field(None, description="耳鼻喉是否正常")
    notes: str | None = Field(None, description="备注")

    @model_validator(mode="after")
    def _pressure(self) -> HealthCheck:
        if self.systolic is not None and self.diastolic is not None and self.diastolic >= self.systolic:
            raise ValueError("舒张压应低于收缩压")
        return self


class Settings(BaseModel):
    """settings.health_check: when a check-up needs a referral, and how soon."""

    model_config = ConfigDict(extra="forbid")

    vision_referral_below: Decimal = Field(Decimal("4.9"), ge=3, le=5.3, description="视力低于此值转介")
    systolic_max: int = Field(130, ge=90, le=200, description="收缩压高于此值转介")
    diastolic_max: int = Field(85, ge=50, le=130, description="舒张压高于此值转介")
    referral_days: int = Field(14, ge=1, le=90, description="转介须在几天内完成")


def abnormal(check: HealthCheck, settings: Settings) -> list[str]:
    """The findings that need a referral, in words."""
    found = []
    for side, value in (("左眼", check.vision_left), ("右眼", check.vision_right)):
        if value is not None and value < settings.vision_referral_below:
            found.append(f"{side}视力 {value}")
    if check.systolic is not None and check.systolic > settings.systolic_max:
        found.append(f"收缩压 {check.systolic}")
    if check.diastolic is not None and check.diastolic > settings.diastolic_max:
        found.append(f"舒张压 {check.diastolic}")
    if check.ent_normal is False:
        found.append("耳鼻喉异常")
    return found


REFERRAL = FollowUp("health-referral", "体检异常报送上一级医疗部门", "referral",
                    lambda settings: f"{settings.referral_days}d", group="健康", when="体检异常")


@hookimpl
def register_step_types(register):
    register(StepType(STEP, "体检", HealthCheck, "身高、体重、视力、血压、肺活量、胸围、耳鼻喉",
                      follow_ups=(REFERRAL,)))


@hookimpl
def register_settings_model(register):
    register(Settings)


@hookimpl
@for_steps(STEP)
def on_record(record, ctx):
    settings = ctx.settings  # this plugin's Settings, defaults applied
    if abnormal(record.model, settings):
        return [REFERRAL]  # due `referral_days` after the check-up
    return None


def checkup_rate(ctx) -> tuple[int, int]:
    """Share of the children cared for with a check-up in the period (`params.period`, default year)."""
    first, last = ctx.period(ctx.indicator.period or ctx.indicator.params.get("period") or "year")
    checked = {r.subject for r in ctx.records(STEP, first, last) if r.subject_kind == "child"}
    cared = ctx.cared_for()
    return len(cared & checked), len(cared)


@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("checkup_rate", "体检率", checkup_rate))


# —— guanai health import ——

SHEET = {  # column -> field, as clinics label their sheets
    "学籍号": "child", "姓名": "name", "体检日期": "at", "日期": "at", "身高": "height_cm", "体重": "weight_kg",
    "左眼视力": "vision_left", "右眼视力": "vision_right", "血压": "blood_pressure", "肺活量": "lung_capacity_ml",
    "胸围": "chest_cm", "耳鼻喉": "ent_normal", "备注": "notes", "编号": "key",
}


IMPORT_HELP = ("把医院或卫生院的体检结果表（.xlsx 或 .csv）导入为体检记录，每个学生一行：学籍号、体检日期、身高、体重、"
               "左眼视力、右眼视力、血压（如 120/80）、肺活量、胸围、耳鼻喉；异常的自动生成转介跟进。全部无误才写入。")


def import_sheet(gctx, path: str, dry_run: bool) -> None:
    """One row per child: 学籍号, 体检日期, 身高, 体重, 左眼视力, 右眼视力, 血压 (120/80), 肺活量, 胸围, 耳鼻喉."""
    headers: dict[str, tuple[str, ...]] = {}
    for header, name in SHEET.items():
        headers[name] = (*headers.get(name, ()), header)
    sheet = read_sheet(path, headers, required=("child", "at"), ids=("child", "key"))
    found = []
    for number, v in sheet.rows:
        payload: dict[str, Any] = {k: v[k] for k in ("height_cm", "weight_kg", "vision_left", "vision_right",
                                                       "lung_capacity_ml", "chest_cm", "notes") if v.get(k)}
        pressure = v.get("blood_pressure")
        if pressure:
            m = re.fullmatch(r"\s*(\d{2,3})\s*[/／]\s*(\d{2,3})\s*", pressure)
            if not m:
                sheet.problem(number, "blood_pressure", f"“{pressure}” 不是血压：请写成 收缩压/舒张压，如 120/80")
                continue
            payload["systolic"], payload["diastolic"] = m.group(1), m.group(2)
        if v.get("ent_normal"):
            payload["ent_normal"] = {"正常": "true", "异常": "false"}.get(v["ent_normal"], v["ent_normal"])
        columns = {f: f for f in payload} | {"systolic": "blood_pressure", "diastolic": "blood_pressure"}
        found.append(NewRecord(STEP, "child", v.get("child", ""), v.get("at"), payload, key=v.get("key"),
                               row=number, columns=columns))
    new, existing = save(gctx, found, path, dry_run=dry_run, sheet=sheet)
    key = "试运行（未写入）：" if dry_run else ""
    click.echo(f"{key}导入体检结果 {len(found)} 人：新增 {new}，已存在 {existing}。")


@hookimpl
def register_commands(cli):
    @cli.group("health", help="体检：导入医院或卫生院的体检结果表")
    def health() -> None:
        """Group of health check commands."""

    @health.command("import", help=IMPORT_HELP, epilog="示例：guanai health import 体检结果.xlsx")
    @click.argument("file", type=click.Path(dir_okay=False, exists=True))
    @click.option("--dry-run", is_flag=True, help="只检查并报告，不写入")
    @context_options
    def health_import(gctx, file: str, dry_run: bool) -> None:
        import_sheet(gctx, file, dry_run)


@hookimpl
def report_sections(ctx):
    """体检: who was checked, how many of the children cared for, and the referrals; the 台账 sheet
    lists every check-up."""
    found = ctx.records(STEP)
    if not found:
        return [ReportSection("体检", ("本期未记录体检。",))]
    checked = {r.subject for r in found}
    cared = ctx.cared_for()
    kids = ctx.children(checked)
    settings = ctx.settings
    share = f"，占关爱对象的 {percent_of(len(checked & cared), len(cared))}" if cared else ""
    line = (f"共为 {number_text(len(checked))} 名学生完成健康体检，其中关爱对象 {number_text(len(checked & cared))} 人"
            f"{share}；发现异常、需报送上一级医疗部门 {number_text(ctx.follow_ups())} 人次。")
    rows = []
    for r in found:
        kid = kids.get(r.subject)
        m = r.model
        rows.append((r.occurred_at.date().isoformat(), r.subject, kid.name if kid else "", kid.class_name if kid else "",
                     m.height_cm, m.weight_kg, m.vision_left, m.vision_right,
                     f"{m.systolic}/{m.diastolic}" if m.systolic and m.diastolic else "",
                     "、".join(abnormal(m, settings)) or "正常"))
    return [ReportSection("体检", (line,), ("日期", "学籍号", "姓名", "班级", "身高（厘米）", "体重（千克）", "左眼视力",
                                               "右眼视力", "血压（mmHg）", "结果"),
                          tuple(rows))]
