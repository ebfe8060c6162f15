"""contest (比赛): contests and shows with their participants and awards; the indicator
`priority_participation` (活动上优先安排: left-behind share of participants ÷ their share of the
school, ≥ 1.0 when they are given priority); `guanai contest results`."""

from __future__ import annotations

import re
from typing import Any

import click
from guanai.api import (
    IndicatorKind,
    Rejected,
    ReportSection,
    ShareRatio,
    StepType,
    context_options,
    for_steps,
    hookimpl,
    number_text,
    percent_of,
    print_table,
    write_json,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator

__version__ = "1.0"
STEP = "contest"


def _split(value: Any) -> Any:
    """`--set participants=G1;G2` or a spreadsheet cell `G1、G2` → a list."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[、,，;；\s]+", value) if part.strip()]
    return value


CATEGORIES = ("歌手赛", "书画展", "演讲", "劳动技能", "合唱", "运动会", "其他")


class Settings(BaseModel):
    """`settings.contest`: the categories a county's contests take (contest.category)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: tuple[str, ...] = Field(CATEGORIES, min_length=1, description="比赛类别（contest.category 的取值）")


class Contest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="比赛名称，如 校园十佳歌手赛")
    category: str = Field(min_length=1, max_length=40, description="类别，如 歌手赛、书画展、演讲")
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
    register(StepType(STEP, "比赛", Contest, "比赛或展演：名称、类别、参赛学生、获奖", scope="school",
                      choices=(("category", "categories"),)))


@hookimpl
def register_settings_model(register):
    register(Settings)


@hookimpl
@for_steps(STEP)
def on_record(record, ctx):
    """Participants must be pupils of the school; awards must go to participants."""
    ids = set(record.model.participants)
    found = {k for k, kid in ctx.children(ids).items() if kid.school == record.school}
    missing = sorted(ids - found)
    if missing:
        raise Rejected(f"参赛学生不在 {record.school}：{'、'.join(missing)}", "participants")
    winners = {re.split("[:：]", a, maxsplit=1)[0].strip() for a in record.model.awards}
    if winners - ids:
        raise Rejected(f"获奖学生不在参赛名单里：{'、'.join(sorted(winners - ids))}", "awards")
    return None


def priority_participation(ctx) -> ShareRatio:
    """(left-behind share of participants) ÷ (left-behind share of the school), in the period
    (default term): both shares of people, so guanai can say 留守儿童占参赛 58%，占全校 49%，1.18 倍.
    A pupil in two contests counts twice among the participants (each entry is a place given)."""
    first, last = ctx.period(ctx.indicator.params.get("period") or "term")
    taking_part = [kid for r in ctx.records(STEP, first, last) for kid in r.payload["participants"]]
    cared = ctx.cared_for()
    return ShareRatio(sum(kid in cared for kid in taking_part), len(taking_part), len(cared), len(ctx.pupils()),
                      among="参赛", base_among="全校")


@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("priority_participation", "活动优先参与度", priority_participation, unit="ratio"))


def results(gctx, as_json: bool) -> None:
    """Every contest of the term with participants, left-behind participants and awards."""
    rows = []
    for school in gctx.schools:
        here = gctx.at(school)
        term = here.term()
        if term is None:
            continue
        cared = here.cared_for()
        for r in here.records(STEP, *term):
            rows.append({"school": school, "date": r.occurred_at.date().isoformat(), "name": r.payload["name"],
                         "category": r.payload["category"], "participants": len(r.payload["participants"]),
                         "left_behind": sum(k in cared for k in r.payload["participants"]),
                         "awards": list(r.payload.get("awards", []))})
    if as_json:
        write_json(rows)
        return
    body = [(r["school"], r["date"], r["name"], r["category"], r["participants"], r["left_behind"],
             "、".join(r["awards"]) or "—") for r in rows]
    print_table("比赛与展演（学期）", ["学校", "日期", "名称", "类别", "参赛", "其中留守", "获奖"], body)


@hookimpl
def register_commands(cli):
    @cli.group("contest", help="比赛：参赛与获奖")
    def contest() -> None:
        """Group of contest commands."""

    @contest.command("results", help="本学期每场比赛和展演：参加人数、其中留守儿童、获奖",
                     epilog="示例：guanai contest results --org S001 --term 2025-autumn")
    @click.option("--json", "as_json", is_flag=True, help="JSON")
    @context_options
    def contest_results(gctx, as_json: bool) -> None:
        results(gctx, as_json)


LISTED = 5  # contests named one by one in a sentence; more are counted, and the table lists them


@hookimpl
def report_sections(ctx):
    """比赛与展演: each contest with its date, participants and the share of children cared for; the
    台账 sheet lists them with their awards."""
    found = ctx.records(STEP)
    if not found:
        return [ReportSection("比赛与展演", ("本期未记录比赛或展演。",))]
    cared = ctx.cared_for()
    winners = ctx.children({a.split(":")[0].split("：")[0].strip() for r in found for a in r.payload.get("awards", ())})

    def award(text: str) -> str:  # G510…:一等奖 → 张三 一等奖
        kid, _, prize = text.replace("：", ":").partition(":")
        return f"{winners[kid.strip()].name if kid.strip() in winners else kid.strip()} {prize.strip()}"

    parts, rows = [], []
    for r in found:
        people = r.payload["participants"]
        ours = sum(k in cared for k in people)
        day = r.occurred_at.date()
        parts.append(f"{r.payload['name']}（{day.month}月{day.day}日，参加 {len(people)} 人，其中关爱对象 {ours} 人，"
                     f"占 {percent_of(ours, len(people))}）")
        rows.append((day.isoformat(), r.payload["name"], r.payload["category"], len(people), ours,
                     "、".join(award(a) for a in r.payload.get("awards", ())) or ""))
    everyone = [k for r in found for k in r.payload["participants"]]
    ours = sum(k in cared for k in everyone)
    schools = len({r.school for r in found})
    held = (f"举办比赛和展演 {number_text(len(found))} 场：{'；'.join(parts)}。" if len(found) <= LISTED else
            f"{number_text(schools)} 所学校共举办比赛和展演 {number_text(len(found))} 场，逐场见下表。" if schools > 1 else
            f"举办比赛和展演 {number_text(len(found))} 场，逐场见下表。")  # a county's 总结 lists no 30 contests in a sentence
    lines = (held,
             f"参加共 {number_text(len(everyone))} 人次，其中关爱对象 {number_text(ours)} 人次，"
             f"占 {percent_of(ours, len(everyone))}。")
    return [ReportSection("比赛与展演", lines, ("日期", "名称", "类别", "参加人数", "其中关爱对象", "获奖"), tuple(rows))]
