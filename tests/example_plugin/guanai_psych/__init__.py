"""guanai-psych: psychological screening (心理筛查) for left-behind children.

A complete outside plugin, on guanai.api alone (docs/plugins.md builds it step by step): a step
type with its payload model, a settings model, an on_record hook that obliges counselling when
the score reaches the threshold, an indicator, a command and a report section.
"""

from guanai.api import (
    FollowUp,
    IndicatorKind,
    ReportSection,
    StepType,
    context_options,
    for_steps,
    hookimpl,
    print_table,
)
from pydantic import BaseModel, ConfigDict, Field

__version__ = "0.3.0"


class Screening(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    score: int = Field(ge=0, le=100, description="筛查得分（0–100）")
    tool: str | None = Field(None, description="量表，如 MHT")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: int = Field(65, ge=0, le=100, description="得分达到此值须转心理辅导")
    within_days: int = Field(7, ge=1, le=60, description="几天内完成心理辅导")


COUNSELLING = FollowUp("psych-counselling", "心理筛查阳性，安排心理辅导", "counselling",
                       lambda settings: f"{settings.within_days}d", group="心理健康", when="筛查得分达到阈值")


@hookimpl
def register_step_types(register):
    register(StepType("psych_screening", "心理筛查", Screening, "心理健康筛查得分", follow_ups=(COUNSELLING,)))


@hookimpl
def register_settings_model(register):
    register(Settings)


@hookimpl
@for_steps("psych_screening")
def on_record(record, ctx):
    if record.model.score >= ctx.settings.threshold:
        return [COUNSELLING]
    return None


def screening_coverage(ctx):
    first, last = ctx.period("term")
    screened = {r.subject for r in ctx.records("psych_screening", first, last)}
    cared = ctx.cared_for()
    return len(cared & screened), len(cared)


@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("screening_coverage", "心理筛查覆盖率", screening_coverage))


@hookimpl
def register_commands(cli):
    @cli.group("psych")
    def psych():
        """心理筛查"""

    @psych.command("summary")
    @context_options
    def summary(gctx):
        rows = []
        for school in gctx.schools:
            here = gctx.at(school)  # its programme, settings and term
            found = here.records("psych_screening", *here.term())
            rows.append((school, len(found), sum(r.payload["score"] >= 65 for r in found)))
        print_table("心理筛查", ["学校", "筛查", "阳性"], rows)


@hookimpl
def report_sections(ctx):
    found = ctx.records("psych_screening")
    if not found:
        return [ReportSection("心理健康", ("本期未记录心理筛查。",))]
    kids = ctx.children({r.subject for r in found})
    rows = tuple((r.occurred_at.date().isoformat(), r.subject, kids[r.subject].name, r.payload["score"])
                 for r in found if r.subject in kids)
    return [ReportSection("心理健康", (f"完成心理筛查 {len(found)} 人次，转心理辅导 {ctx.follow_ups()} 人。",),
                          ("日期", "学籍号", "姓名", "得分"), rows)]
