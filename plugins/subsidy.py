"""subsidy (资助): payments to children from ring-fenced funds (专款专用) — 两免一补, 济难救助,
结对资助, 学校捐款 … Amounts are exact decimals (yuan to the fen); a payment that would overspend
its fund's budget for the term is refused with the fund's balance; eligibility by category/tags.
Indicators `fund_usage` and `poor_coverage`; `guanai subsidy summary`."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import click
from guanai.api import (
    IndicatorKind,
    Rejected,
    ReportSection,
    StepType,
    context_options,
    for_steps,
    hookimpl,
    number_text,
    print_table,
    write_json,
)
from pydantic import BaseModel, ConfigDict, Field

__version__ = "1.0"
STEP = "subsidy"
TAGS_FIELD = "标签"  # roster column holding tags such as 贫困、建档立卡


class Subsidy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount_yuan: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="金额（元，精确到分）")
    fund: str = Field(description="资金编号，见方案 settings.subsidy.funds")
    purpose: str | None = Field(None, description="用途")
    approved_by: str | None = Field(None, description="审批人")


class Fund(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="资金编号")
    name: str = Field(description="名称，如 两免一补")
    budget_yuan: Decimal = Field(ge=0, decimal_places=2, description="每学期预算（元）")
    categories: tuple[str, ...] = Field((), description="只资助这些类别的孩子（空 = 不限）")
    tags: tuple[str, ...] = Field((), description="只资助带这些标签的孩子，如 贫困（空 = 不限）")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    funds: tuple[Fund, ...] = Field((), description="资金及其每学期预算")
    poor_tag: str = Field("贫困", description="poor_coverage 统计的标签")


def tags_of(child: Any) -> set[str]:
    """The tags in a child's 标签 roster column (贫困、建档立卡 …)."""
    import re

    raw = (child.profile.get(TAGS_FIELD) if child is not None else None) or ""
    return {t.strip() for t in re.split(r"[、,，;；/\s]+", str(raw)) if t.strip()}


def spent(found: list[Any], fund: str) -> Decimal:
    """Exact sum of a fund's payments among `found` records (amounts summed as Decimal)."""
    return sum((Decimal(r.payload["amount_yuan"]) for r in found if r.payload.get("fund") == fund), Decimal("0.00"))


@hookimpl
def register_step_types(register):
    register(StepType(STEP, "资助", Subsidy, "资助款项：金额、资金、用途、审批人"))


@hookimpl
def register_settings_model(register):
    register(Settings)


@hookimpl
@for_steps(STEP)
def on_record(record, ctx):
    settings = ctx.settings  # this plugin's Settings, defaults applied
    funds = {f.id: f for f in settings.funds}
    fund = funds.get(record.model.fund)
    if fund is None:
        known = "、".join(f"{f.id}（{f.name}）" for f in settings.funds) or "无"
        raise Rejected(f"方案没有资金 “{record.model.fund}”；有：{known}", "fund")
    child = ctx.child
    if fund.categories and (child.category if child is not None else None) not in fund.categories:
        raise Rejected(f"“{fund.name}”只资助 {'、'.join(fund.categories)} 类的孩子", "fund")
    if fund.tags and not (tags_of(child) & set(fund.tags)):
        raise Rejected(f"“{fund.name}”只资助标有 {'、'.join(fund.tags)} 的孩子", "fund")
    term = ctx.term(record.occurred_at.date())
    if term is None:
        raise Rejected(f"{record.occurred_at:%Y-%m-%d} 不在任何学期内，无法计入“{fund.name}”的学期预算", "fund")
    # The fund's spending this term: stored payments once per batch, then a running sum in ctx.memo
    # (the batch is stored all or nothing, so counting accepted payments as spent is exact).
    key = ("subsidy", record.school, fund.id, term)
    if key not in ctx.memo:
        ctx.memo[key] = spent(ctx.records(STEP, *term, schools=[record.school]), fund.id)
    left = fund.budget_yuan - ctx.memo[key]
    if record.model.amount_yuan > left:
        raise Rejected(f"“{fund.name}”本学期余额 ¥{left:,.2f}，不足以支付 ¥{record.model.amount_yuan:,.2f}"
                       f"（专款专用，预算 ¥{fund.budget_yuan:,.2f}）", "amount_yuan")
    ctx.memo[key] += record.model.amount_yuan
    return None


def fund_usage(ctx) -> tuple[int, int]:
    """Spent ÷ budget this term, in fen (exact integers), over the funds or `params.fund`."""
    settings = ctx.settings
    wanted = ctx.indicator.params.get("fund")
    found = ctx.records(STEP, *ctx.period("term"))
    used = budget = Decimal(0)
    for fund in settings.funds:
        if wanted and fund.id != wanted:
            continue
        used += spent(found, fund.id)
        budget += fund.budget_yuan * len(ctx.schools)
    return int(used * 100), int(budget * 100)


def poor_coverage(ctx) -> tuple[int, int]:
    """Share of cared-for children tagged 贫困 (settings.subsidy.poor_tag) paid at least once this school year."""
    tag = ctx.settings.poor_tag
    paid = {r.subject for r in ctx.records(STEP, *ctx.period("year")) if r.subject_kind == "child"}
    cared = ctx.cared_for()
    poor = {kid.id for kid in ctx.children(cared).values() if tag in tags_of(kid)}
    return len(poor & paid), len(poor)


@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("fund_usage", "资金使用率", fund_usage))
    register(IndicatorKind("poor_coverage", "贫困留守儿童资助覆盖率", poor_coverage))


def summary(gctx, per_child: bool, as_json: bool) -> None:
    """Per fund (budget, spent, balance in the term) or, with --by-child, per child, for each school."""
    out_rows = []
    for school in gctx.schools:
        here = gctx.at(school)
        term = here.term()
        if term is None:
            continue
        found = here.records(STEP, *term)
        if per_child:
            names = {k: c.name for k, c in here.children({r.subject for r in found}).items()}
            sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
            for r in found:
                sums[(r.subject, names.get(r.subject, ""))] += Decimal(r.payload["amount_yuan"])
            out_rows += [{"school": school, "child": k, "name": n, "total_yuan": f"{v:.2f}"}
                         for (k, n), v in sorted(sums.items())]
            continue
        for fund in here.settings.funds:
            used = spent(found, fund.id)
            out_rows.append({"school": school, "fund": fund.id, "name": fund.name,
                             "term": f"{term[0]}—{term[1]}", "budget_yuan": f"{fund.budget_yuan:.2f}",
                             "spent_yuan": f"{used:.2f}", "balance_yuan": f"{fund.budget_yuan - used:.2f}"})
    if as_json:
        write_json(out_rows)
        return
    if per_child:
        per_kid = [(r["school"], r["child"], r["name"], f"¥{Decimal(r['total_yuan']):,.2f}") for r in out_rows]
        print_table("资助（按孩子）", ["学校", "学籍号", "姓名", "合计"], per_kid, ["left", "left", "left", "right"])
        return
    body = [(r["school"], r["name"], r["term"], f"¥{Decimal(r['budget_yuan']):,.2f}",
             f"¥{Decimal(r['spent_yuan']):,.2f}", f"¥{Decimal(r['balance_yuan']):,.2f}") for r in out_rows]
    print_table("资助（按资金，学期）", ["学校", "资金", "学期", "预算", "已支出", "余额"], body,
                ["left", "left", "left", "right", "right", "right"])


@hookimpl
def register_commands(cli):
    @cli.group("subsidy", help="资助：按资金或按孩子汇总")
    def subsidy() -> None:
        """Group of subsidy commands."""

    @subsidy.command("summary", help="各资金本学期的预算、已发放和结余（精确到分）；--by-child 按孩子汇总",
                     epilog="示例：guanai subsidy summary --org S001 --term 2025-autumn")
    @click.option("--by-child", is_flag=True, help="按孩子汇总")
    @click.option("--json", "as_json", is_flag=True, help="JSON")
    @context_options
    def subsidy_summary(gctx, by_child: bool, as_json: bool) -> None:
        summary(gctx, by_child, as_json)


@hookimpl
def report_sections(ctx):
    """资助: by fund — children, payments and the exact amount; the 台账 sheet lists every payment."""
    found = ctx.records(STEP)
    if not found:
        return [ReportSection("资助", ("本期未记录资助发放。",))]
    names = {f.id: f.name for f in ctx.settings.funds}
    lines = []
    for fund in sorted({r.payload["fund"] for r in found}, key=lambda f: (f not in names, list(names).index(f)
                                                                          if f in names else 0, f)):
        paid = [r for r in found if r.payload["fund"] == fund]
        lines.append(f"{names.get(fund, fund)}：资助 {number_text(len({r.subject for r in paid}))} 人，"
                     f"{number_text(len(paid))} 笔，共 {number_text(spent(paid, fund))} 元。")
    total = sum((Decimal(r.payload["amount_yuan"]) for r in found), Decimal("0.00"))
    lines.append(f"合计资助 {number_text(len({r.subject for r in found}))} 人，{number_text(len(found))} 笔，"
                 f"共 {number_text(total)} 元。")
    kids = ctx.children({r.subject for r in found})
    staff = ctx.staff_names({r.by for r in found})
    rows = tuple((r.occurred_at.date().isoformat(), r.subject, kids[r.subject].name if r.subject in kids else "",
                  kids[r.subject].class_name if r.subject in kids else "", names.get(r.payload["fund"], r.payload["fund"]),
                  Decimal(r.payload["amount_yuan"]), r.payload.get("purpose") or "", staff.get(r.by or "", r.by or ""))
                 for r in found)
    return [ReportSection("资助", tuple(lines), ("日期", "学籍号", "姓名", "班级", "资金", "金额（元）", "用途", "经办人"), rows)]
