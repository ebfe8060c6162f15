"""health_check (体检): a child's check-up, referral of abnormal results (报送上一级医疗部门),
the indicator `checkup_rate` (体检率) and `guanai health import` for a clinic's result sheet."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import click
from guanai.core.hookspecs import for_steps, hookimpl
from guanai.core.registry import FollowUp, IndicatorKind, ReportSection, StepType
from pydantic import BaseModel, ConfigDict, Field, model_validator

__version__ = "1.0"
STEP = "health_check"
ONE_DAY = timedelta(days=1)


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


@hookimpl
def register_step_types(register):
    register(StepType(STEP, "体检", HealthCheck, "身高、体重、视力、血压、肺活量、胸围、耳鼻喉"))


@hookimpl
def register_settings_model(register):
    register(Settings)


@hookimpl
@for_steps(STEP)
def on_record(record, ctx):
    settings = Settings.model_validate(ctx.settings("health_check"))
    if abnormal(record.model, settings):
        return [FollowUp("health-referral", "体检异常报送上一级医疗部门", "referral", f"{settings.referral_days}d")]
    return None


def checkup_rate(ctx) -> tuple[int, int]:
    """Share of the children cared for with a check-up in the period (`params.period`, default year)."""
    from guanai.core.store.schema import child, record
    from sqlalchemy import case, exists, func, select

    first, last = ctx.period(ctx.indicator.period or ctx.indicator.params.get("period") or "year")
    r = record.alias("r")
    checked = exists().where(r.c.step == STEP, r.c.subject_kind == "child", r.c.subject == child.c.id,
                             r.c.occurred_at >= ctx.utc(first), r.c.occurred_at < ctx.utc(last) + ONE_DAY,
                             r.c.occurred_at <= ctx.as_of.instant_utc)
    total, hit = ctx.conn.execute(select(func.count(), func.sum(case((checked, 1), else_=0)))
                                  .select_from(child).where(*ctx.cared_for())).one()
    return hit or 0, total or 0


@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("checkup_rate", "体检率", checkup_rate))


# —— guanai health import ——

SHEET = {  # column -> field, as clinics label their sheets
    "学籍号": "child", "姓名": "name", "体检日期": "at", "日期": "at", "身高": "height_cm", "体重": "weight_kg",
    "左眼视力": "vision_left", "右眼视力": "vision_right", "血压": "blood_pressure", "肺活量": "lung_capacity_ml",
    "胸围": "chest_cm", "耳鼻喉": "ent_normal", "备注": "notes", "编号": "key",
}


def _rows(path: str) -> tuple[Any, Any]:
    from guanai.core.store.importing import parse_rows
    from guanai.core.tabular import Column, read_table

    headers: dict[str, tuple[str, ...]] = {}
    for header, name in SHEET.items():
        headers[name] = (*headers.get(name, ()), header)
    columns = [Column(name, spelled, "id" if name in ("child", "key") else "text", required=name in ("child", "at"))
               for name, spelled in headers.items()]
    table = read_table(path, columns)
    return table, parse_rows(table, columns)


def import_sheet(ctx: click.Context, path: str, dry_run: bool) -> None:
    """One row per child: 学籍号, 体检日期, 身高, 体重, 左眼视力, 右眼视力, 血压 (120/80), 肺活量, 胸围, 耳鼻喉."""
    from guanai.core.commands.facts import open_store
    from guanai.core.plugins import load_registry
    from guanai.core.store.importing import cell_problem
    from guanai.core.store.records import Draft, save_records

    store = open_store(ctx)
    table, parsed = _rows(path)
    problems = list(parsed.problems)
    drafts = []
    for row in parsed.rows:
        v = dict(row.values)
        payload: dict[str, Any] = {k: v[k] for k in ("height_cm", "weight_kg", "vision_left", "vision_right",
                                                       "lung_capacity_ml", "chest_cm", "notes") if v.get(k)}
        pressure = v.get("blood_pressure")
        if pressure:
            m = re.fullmatch(r"\s*(\d{2,3})\s*[/／]\s*(\d{2,3})\s*", pressure)
            if not m:
                problems.append(cell_problem(table, row.number, "blood_pressure", "cell.choice", value=pressure,
                                             choices="120/80"))
                continue
            payload["systolic"], payload["diastolic"] = m.group(1), m.group(2)
        if v.get("ent_normal"):
            payload["ent_normal"] = {"正常": "true", "异常": "false"}.get(v["ent_normal"], v["ent_normal"])
        labels = {f: f for f in payload} | {"systolic": "blood_pressure", "diastolic": "blood_pressure"}

        def where(field_name: str, code: str, params: dict, number: int = row.number, labels: dict = labels):
            return cell_problem(table, number, labels.get(field_name, field_name), code, **params)

        drafts.append(Draft(STEP, "child", v.get("child", ""), v.get("at"), payload, None, None, v.get("key"), where))
    saved = save_records(store, load_registry(), drafts, path, dry_run=dry_run, found=problems)
    key = "试运行（未写入）：" if dry_run else ""
    click.echo(f"{key}导入体检结果 {len(drafts)} 人：新增 {saved.inserted}，已存在 {saved.existing}。")


@hookimpl
def register_commands(cli):
    @cli.group("health", help="体检：导入医院或卫生院的体检结果表")
    def health() -> None:
        """Group of health check commands."""

    @health.command("import", help=import_sheet.__doc__, epilog="示例：guanai health import 体检结果.xlsx")
    @click.argument("file", type=click.Path(dir_okay=False, exists=True))
    @click.option("--dry-run", is_flag=True, help="只检查并报告，不写入")
    @click.pass_context
    def health_import(ctx: click.Context, file: str, dry_run: bool) -> None:
        import_sheet(ctx, file, dry_run)


@hookimpl
def report_sections(ctx):
    from guanai.core.store.schema import follow_up, record
    from sqlalchemy import func, select

    checks = ctx.conn.execute(select(func.count(func.distinct(record.c.subject))).where(
        record.c.step == STEP, record.c.school == ctx.school, record.c.occurred_at >= ctx.utc(ctx.first),
        record.c.occurred_at < ctx.utc(ctx.last) + ONE_DAY)).scalar()
    referred = ctx.conn.execute(select(func.count()).select_from(
        follow_up.join(record, record.c.id == follow_up.c.record_id)).where(
        follow_up.c.plugin == "health_check", record.c.school == ctx.school,
        record.c.occurred_at >= ctx.utc(ctx.first), record.c.occurred_at < ctx.utc(ctx.last) + ONE_DAY)).scalar()
    return [ReportSection("体检", (f"完成体检 {checks} 人，其中需转介上一级医疗部门 {referred} 人。",))]

