"""contest (比赛): contests and shows with their participants and awards; the indicator
`priority_participation` (活动上优先安排: left-behind share of participants ÷ their share of the
school, ≥ 1.0 when they are given priority); `guanai contest results`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

import click
from guanai.core.hookspecs import for_steps, hookimpl
from guanai.core.registry import IndicatorKind, Rejected, ReportSection, StepType
from pydantic import BaseModel, ConfigDict, Field, field_validator

__version__ = "1.0"
STEP = "contest"


def _split(value: Any) -> Any:
    """`--set participants=G1;G2` or a spreadsheet cell `G1、G2` → a list."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[、,，;；\s]+", value) if part.strip()]
    return value


class Contest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="比赛名称，如 校园十佳歌手赛")
    category: Literal["歌手赛", "书画展", "演讲", "劳动技能", "合唱", "运动会", "其他"] = Field(description="类别")
    participants: tuple[str, ...] = Field(min_length=1, description="参赛学生学籍号（用 、 或 ; 分隔）")
    awards: tuple[str, ...] = Field((), description="获奖：学籍号:奖项，如 G510…:一等奖")

    _lists = field_validator("participants", "awards", mode="before")(_split)

    @field_validator("awards")
    @classmethod
    def _awards(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if ":" not in item and "：" not in item:
                raise ValueError(f"获奖 “{item}” 应写成 学籍号:奖项")
        return value


@hookimpl
def register_step_types(register):
    register(StepType(STEP, "比赛", Contest, "比赛或展演：名称、类别、参赛学生、获奖"))


@hookimpl
@for_steps(STEP)
def on_record(record, ctx):
    """Participants must be pupils of the school; awards must go to participants."""
    from guanai.core.store.schema import child
    from sqlalchemy import select

    ids = set(record.model.participants)
    found = set(ctx.conn.execute(select(child.c.id).where(child.c.id.in_(ids), child.c.school == record.school))
                .scalars())
    missing = sorted(ids - found)
    if missing:
        raise Rejected(f"参赛学生不在 {record.school}：{'、'.join(missing)}", "participants")
    winners = {re.split("[:：]", a, maxsplit=1)[0].strip() for a in record.model.awards}
    if winners - ids:
        raise Rejected(f"获奖学生不在参赛名单里：{'、'.join(sorted(winners - ids))}", "awards")
    return None


def priority_participation(ctx) -> tuple[int, int]:
    """(left-behind share of participants) ÷ (left-behind share of the school) as a fraction of
    integers: (lb_participants × pupils) / (participants × lb_pupils), in the period (default term)."""
    from guanai.core.store.schema import child, record
    from sqlalchemy import and_, func, or_, select

    first, last = ctx.period(ctx.indicator.params.get("period") or "term")
    contests = ctx.conn.execute(select(record.c.payload).where(
        record.c.step == STEP, record.c.school.in_(ctx.schools), record.c.occurred_at >= ctx.utc(first),
        record.c.occurred_at < ctx.utc(last + timedelta(days=1)), record.c.occurred_at <= ctx.as_of.instant_utc))
    taking_part = [kid for (payload,) in contests for kid in payload["participants"]]
    if not taking_part:
        return 0, 0
    day = ctx.as_of.day
    enrolled = [child.c.school.in_(ctx.schools), child.c.enrolled_on <= day,
                or_(child.c.left_on.is_(None), child.c.left_on > day)]
    pupils = ctx.conn.execute(select(func.count()).where(*enrolled)).scalar() or 0
    cared = set(ctx.conn.execute(select(child.c.id).where(and_(*ctx.cared_for()))).scalars())
    lb_participants = sum(kid in cared for kid in taking_part)
    return lb_participants * pupils, len(taking_part) * len(cared)


@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("priority_participation", "活动优先参与度", priority_participation))


def results(ctx: click.Context, org: str | None, as_json: bool) -> None:
    """Every contest of the term with participants, left-behind participants and awards."""
    from guanai.core.commands.engine import prepare
    from guanai.core.output import console, dump_json, table
    from guanai.core.store.indicators import cared_for, period_of
    from guanai.core.store.schema import child, record
    from sqlalchemy import select

    c = prepare(ctx, org, None)
    rows = []
    with c.store.read() as conn:
        for seg in c.segs:
            if not (seg.start <= c.asof.day <= seg.end):
                continue
            cared = set(conn.execute(select(child.c.id).where(*cared_for(seg, c.asof.day))).scalars())
            first, last = period_of(seg, "term", c.asof.day)
            from guanai.core.obligations import local_midnight_utc

            found = conn.execute(select(record.c.school, record.c.occurred_at, record.c.payload).where(
                record.c.step == STEP, record.c.school.in_(seg.schools),
                record.c.occurred_at >= local_midnight_utc(first, seg.zone),
                record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), seg.zone))
                .order_by(record.c.occurred_at))
            for school, at, payload in found:
                rows.append({"school": school, "date": _day(at, seg.zone), "name": payload["name"],
                             "category": payload["category"], "participants": len(payload["participants"]),
                             "left_behind": sum(k in cared for k in payload["participants"]),
                             "awards": list(payload.get("awards", []))})
    if as_json:
        dump_json(rows)
        return
    body = [(r["school"], r["date"], r["name"], r["category"], r["participants"], r["left_behind"],
             "、".join(r["awards"]) or "—") for r in rows]
    console().print(table("比赛与展演（本学期）", ["学校", "日期", "名称", "类别", "参赛", "其中留守", "获奖"], body))


def _day(utc: Any, zone: Any) -> str:
    from zoneinfo import ZoneInfo

    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date().isoformat()


@hookimpl
def register_commands(cli):
    @cli.group("contest", help="比赛：参赛与获奖")
    def contest() -> None:
        """Group of contest commands."""

    @contest.command("results", help=results.__doc__, epilog="示例：guanai contest results --org S001")
    @click.option("--org", metavar="CODE", help="县、乡镇或学校代码")
    @click.option("--json", "as_json", is_flag=True, help="JSON")
    @click.pass_context
    def contest_results(ctx: click.Context, org: str | None, as_json: bool) -> None:
        results(ctx, org, as_json)


@hookimpl
def report_sections(ctx):
    from guanai.core.store.schema import record
    from sqlalchemy import func, select

    n = ctx.conn.execute(select(func.count()).where(
        record.c.step == STEP, record.c.school == ctx.school, record.c.occurred_at >= ctx.utc(ctx.first),
        record.c.occurred_at < ctx.utc(ctx.last + timedelta(days=1)))).scalar()
    return [ReportSection("比赛与展演", (f"举办比赛或展演 {n} 场。",))]

