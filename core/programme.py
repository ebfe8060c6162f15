"""Pydantic models of the programme file (SPEC §1). Loaded programmes are immutable."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from guanai.core.dates import parse_day
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

BUILTIN_ROLES = ("head_teacher", "proxy_parent", "buddy")
Category = Literal["left_behind", "orphan", "abandoned", "single_parent"]
CATEGORIES: tuple[Category, ...] = ("left_behind", "orphan", "abandoned", "single_parent")

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_DURATION_RE = re.compile(r"^([1-9]\d*)(m|h|d)$")


def _parse_month(value: Any) -> str:
    match = _MONTH_RE.match(str(value).strip()) if isinstance(value, (str, int)) else None
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PydanticCustomError("month.format", "", {"value": str(value)})
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


def parse_duration(value: str) -> timedelta:
    match = _DURATION_RE.match(value)
    if not match:
        raise PydanticCustomError("duration.format", "", {"value": value})
    amount, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]


def _check_duration(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("duration.format", "", {"value": str(value)})
    parse_duration(value)
    return value


Day = Annotated[
    date,
    BeforeValidator(parse_day),
    WithJsonSchema({"type": "string", "format": "date", "description": "日期 YYYY-MM-DD"}),
]
Month = Annotated[
    str,
    BeforeValidator(_parse_month),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{1,2}$", "description": "月份 YYYY-MM"}),
]
Duration = Annotated[
    str,
    BeforeValidator(_check_duration),
    WithJsonSchema({"type": "string", "pattern": r"^[1-9][0-9]*(m|h|d)$", "description": "时限：30m、1h、7d"}),
]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Scope = Literal["child", "staff", "class", "school"]
Period = Literal["week", "month", "quarter", "term", "year", "phase"]
TermPoint = Literal["term_start", "midterm", "term_end"]
Festival = Literal["元旦", "春节", "元宵节", "清明节", "六一", "端午节", "中秋节", "国庆节", "重阳节",
                   "学雷锋日", "妇女节", "植树节", "全国中小学生安全教育日", "国家安全教育日", "世界读书日", "劳动节",
                   "青年节", "母亲节", "全国助残日", "世界环境日", "全国爱眼日", "父亲节", "国际禁毒日", "建党节",
                   "建军节", "教师节", "中国农民丰收节", "国际消除贫困日", "世界艾滋病日", "国家宪法日", "国家公祭日",
                   "冬至"]
FESTIVALS: tuple[str, ...] = Festival.__args__  # type: ignore[attr-defined]
Scalar = str | int | float | bool | date


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(Model):
    """工作对象：哪些孩子纳入关爱。"""

    categories: tuple[Category, ...] = Field(
        CATEGORIES, description="纳入的类别：留守、孤儿、遗弃、单亲"
    )
    left_behind_min_months: int = Field(3, ge=1, le=24, description="父母外出至少几个月算留守（长年或连续3个月）")


class Term(Model):
    """学期。"""

    id: Id = Field(description="学期编号，如 2025-autumn")
    name: str = Field(description="学期名称，如 2025年秋季学期")
    start: Day = Field(description="开学日期")
    end: Day = Field(description="结束日期（含）")
    midterm: Day | None = Field(None, description="期中日期；默认为学期正中")


class Break(Model):
    """学期中的假期（如国庆假期）。"""

    name: str = Field(description="假期名称")
    start: Day = Field(description="第一天")
    end: Day = Field(description="最后一天（含）")


_DAY_RE = re.compile(r"^(?:(\d{4})-)?(\d{1,2})-(\d{1,2})$")


def _check_day_date(value: Any) -> str:
    """A declared day's date: MM-DD every year, or YYYY-MM-DD once."""
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    match = _DAY_RE.match(text)
    if match:
        year = int(match.group(1) or 2024)  # a leap year, so 02-29 passes as "every year"
        try:
            date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            match = None
    if not match:
        raise PydanticCustomError("day_date.format", "", {"value": text})
    head = f"{int(match.group(1)):04d}-" if match.group(1) else ""
    return f"{head}{int(match.group(2)):02d}-{int(match.group(3)):02d}"


DayDate = Annotated[
    str,
    BeforeValidator(_check_day_date),
    WithJsonSchema({"type": "string", "pattern": r"^(\d{4}-)?\d{1,2}-\d{1,2}$",
                    "description": "日期：MM-DD 每年这一天，或 YYYY-MM-DD 只这一次"}),
]


class CalendarDay(Model):
    """方案自己的纪念日、活动日（如 校园文化节 05-20），可像节日一样写在 festivals 里。"""

    id: Id = Field(description="编号，如 culture-fest")
    name: str = Field(min_length=1, max_length=40, description="名称，如 校园文化节")
    date: DayDate = Field(description="日期：05-20 每年这一天，或 2026-05-20 只这一次")


class Calendar(Model):
    """校历：学期、假期、法定节假日与调休。"""

    timezone: str = Field("Asia/Shanghai", description="时区")
    public_holidays: Literal["CN", "none"] = Field("CN", description="CN：按国家法定节假日与调休；none：不考虑")
    terms: tuple[Term, ...] = Field(min_length=1, description="学期列表")
    breaks: tuple[Break, ...] = Field((), description="学期中的假期")
    extra_workdays: tuple[Day, ...] = Field((), description="节假日数据尚未收录的调休上班日")
    extra_holidays: tuple[Day, ...] = Field((), description="额外放假日（地方节日、雪天停课）")
    days: tuple[CalendarDay, ...] = Field((), description="方案自己的纪念日、活动日，可写在职责的 festivals 里（写编号或名称）")

    def day_named(self, name: str) -> CalendarDay | None:
        """A declared day by its id or its name."""
        return next((d for d in self.days if name in (d.id, d.name)), None)


class Condition(Model):
    """筛选条件：字段、运算符、值。"""

    field: str = Field(description="字段名")
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "empty", "not_empty"] = Field(
        "eq", description="运算符"
    )
    value: Scalar | tuple[Scalar, ...] | None = Field(None, description="比较的值")


class Assignment(Model):
    """结对规则，由 guanai assign check 检查。"""

    role: Id = Field(description="角色，如 proxy_parent 代理家长、buddy 学习帮手")
    name: str | None = Field(None, min_length=1, max_length=40,
                             description="角色的名称，如 爱心辅导员：各处输出都用它（默认按角色编号的通用名称）")
    per_child: int | None = Field(None, ge=1, description="每个孩子需要几位")
    per_staff_min: int | None = Field(None, ge=0, description="每位教职工至少结对几个孩子")
    per_staff_max: int | None = Field(None, ge=1, description="每位教职工至多结对几个孩子（如“一至两名”：min 1、max 2）")
    party_member_min: int | None = Field(None, ge=0, description="党员教师至少结对几个孩子")
    where: tuple[Condition, ...] = Field((), description="哪些孩子要结对（筛选条件，同职责的 where）")
    staff_where: tuple[Condition, ...] = Field(
        (), description="哪些教职工可以担任：party_member 党员、head_of_class 班主任、roles 岗位 …")
    partner: Literal["staff", "classmate"] | None = Field(
        None, description="结对对象：staff 教职工 / classmate 同班同学（buddy 默认同班同学）")

    @property
    def with_classmate(self) -> bool:
        return self.partner == "classmate" or (self.partner is None and self.role == "buddy")


class Post(Model):
    """由某个岗位负责（视频室、亲情之家、医务室 …）：岗位写在教职工名单的“岗位/职务”列。"""

    post: str = Field(min_length=1, max_length=40, description="岗位名称，如 视频室、亲情之家、医务室")

    @property
    def key(self) -> str:
        return f"post:{self.post}"


class Task(Model):
    """一次性任务（阶段任务或月度活动任务）；带 every 的活动任务是当月的周期职责。"""

    id: Id = Field(description="任务编号")
    name: str | None = Field(None, description="任务名称；默认取所在阶段或活动的名称")
    scope: Scope = Field("school", description="对象：child 孩子 / staff 教职工 / class 班级 / school 学校")
    by: Id | Post | None = Field(None, description="负责角色，或 {post: 岗位}")
    step: Id = Field(description="完成它所需的记录类型")
    due: Day | None = Field(None, description="截止日期；默认为阶段最后一天或活动月最后一天")
    every: Period | None = Field(None, description="活动任务的周期（仅当月有效）")
    times: int = Field(1, ge=1, description="每个周期需要的记录数")
    grace_days: int = Field(0, ge=0, le=366, description="宽限天数")
    match: dict[str, Scalar] = Field({}, description="记录字段须等于这些值")
    where: tuple[Condition, ...] = Field((), description="只对符合条件的对象")
    group: str | None = Field(None, description="分组，如 五个一")


class Phase(Model):
    """实施步骤（阶段）。"""

    id: Id = Field(description="阶段编号")
    name: str = Field(description="阶段名称，如 安排部署阶段")
    start: Day = Field(description="开始日期")
    end: Day = Field(description="结束日期（含）")
    tasks: tuple[Task, ...] = Field((), description="本阶段的一次性任务")


class Duty(Model):
    """周期性职责（如 五个一）。计时方式 every、at、festivals 三选一。"""

    id: Id = Field(description="职责编号")
    name: str = Field(description="职责名称，如 一周一谈心")
    group: str | None = Field(None, description="分组，如 五个一、三个优先")
    scope: Scope = Field("child", description="对象：child 孩子 / staff 教职工 / class 班级 / school 学校")
    by: Id | Post | None = Field(None, description="负责角色：proxy_parent、head_teacher、buddy、结对规则中的角色，或 {post: 岗位}")
    step: Id = Field(description="满足职责的记录类型")
    every: Period | None = Field(None, description="周期：week 周 / month 月 / quarter 季 / term 学期 / year 学年 / phase 阶段")
    at: tuple[TermPoint, ...] | None = Field(None, description="学期节点：term_start 期初 / midterm 期中 / term_end 期末")
    festivals: tuple[Annotated[str, WithJsonSchema({"anyOf": [{"enum": list(FESTIVALS)}, {"type": "string"}]})], ...] | None = Field(
        None, description="节日：春节、端午节、中秋节 …，或校历 days 中声明的日子（编号或名称）")
    times: int = Field(1, ge=1, description="每个周期需要的记录数")
    during: tuple[Id, ...] | None = Field(None, description="只在这些阶段内有效；默认整个校历")
    grace_days: int = Field(0, ge=0, le=366, description="宽限天数")
    window_days: int = Field(7, ge=1, le=120, description="学期节点与节日窗口的天数")
    match: dict[str, Scalar] = Field({}, description="记录字段须等于这些值，如 {with: parents}")
    where: tuple[Condition, ...] = Field((), description="只对符合条件的对象，如祖辈监护的孩子")


class TriggerWhen(Model):
    """触发条件：哪种记录。"""

    step: Id = Field(description="触发的记录类型")
    where: tuple[Condition, ...] = Field((), description="记录字段须满足的条件")


class FollowUp(Model):
    """触发后必须在时限内完成的事。"""

    id: Id = Field(description="编号")
    name: str | None = Field(None, description="名称")
    step: Id = Field(description="完成它所需的记录类型")
    match: dict[str, Scalar] = Field({}, description="记录字段须等于这些值")
    within: Duration = Field(description="时限：30m、1h、2h、7d")
    group: str | None = Field(None, description="职责分组（compliance --group 按组统计）")


class Trigger(Model):
    """由一条记录引出的义务（如突发事件应急报告）。"""

    id: Id = Field(description="编号")
    name: str | None = Field(None, description="名称")
    when: TriggerWhen = Field(description="触发条件")
    then: tuple[FollowUp, ...] = Field(min_length=1, description="随后必须完成的事")


class Activity(Model):
    """月度活动安排（活动内容及安排）。"""

    id: Id | None = Field(None, description="编号（用于 extends 替换或删除）")
    month: Month = Field(description="月份 YYYY-MM")
    name: str = Field(description="活动内容")
    tasks: tuple[Task, ...] = Field((), description="本月任务")


class Indicator(Model):
    """目标指标，如 建档率 100%。"""

    id: Id = Field(description="编号")
    name: str = Field(description="名称，如 建档率")
    kind: Id = Field(description="种类：profile_complete、profile_share、record_share、score_mean、coverage、"
                           "duty_compliance、count 或插件提供的种类")
    count: Literal["pairs", "records", "people"] | None = Field(
        None, description="count：数什么——pairs 结对（可写 role）、records 记录（写 step，可写 match、period）、"
                          "people 关爱对象人数；target 是个数，如 全镇 71 对")
    role: Id | None = Field(None, description="count: pairs：只数这个角色的结对")
    target: float = Field(ge=0, description="目标值，如 1.0 表示 100%")
    fields: tuple[str, ...] = Field((), description="profile_complete：必须填写的档案字段；profile_share：一个字段")
    values: tuple[Scalar, ...] = Field((), description="profile_share、record_share：算作“是”的取值，如 在读")
    step: Id | None = Field(None, description="coverage：记录类型")
    match: dict[str, Scalar] = Field({}, description="coverage：记录字段须等于这些值，如 {channel: 视频}")
    period: Period | None = Field(None, description="coverage：统计周期")
    group: str | None = Field(None, description="duty_compliance：职责分组")
    duties: tuple[Id, ...] = Field((), description="duty_compliance：职责编号")
    params: dict[str, Any] = Field({}, description="插件指标的参数")


class Limits(Model):
    """工作量上限：`programme simulate` 与 `assign check` 据此报告超出的教师和周次。"""

    per_staff_per_week: int | None = Field(None, ge=1, le=10_000, description="每位教职工每周最多几项任务")


FieldId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class StepFieldSpec(Model):
    """记录类型的一个字段：填写时的名称、类型与取值范围。"""

    id: FieldId = Field(description="字段编号（英文小写），如 content；记录文件的列与 --set 也可用 name")
    name: str = Field(min_length=1, max_length=20, description="字段名称，如 内容、时长")
    type: Literal["text", "number", "integer", "date", "yesno", "choice"] = Field(
        "text", description="类型：text 文字 / number 数值 / integer 整数 / date 日期 / yesno 是否 / choice 选项")
    required: bool = Field(False, description="是否必填")
    min: float | None = Field(None, description="number、integer：最小值")
    max: float | None = Field(None, description="number、integer：最大值")
    unit: str | None = Field(None, max_length=10, description="单位，如 分钟、元、人")
    values: tuple[Annotated[str, StringConstraints(min_length=1, max_length=40)], ...] = Field(
        (), description="choice：可选的值，如 [心理, 学习, 生活]")


class StepSpec(Model):
    """方案自己声明的记录类型（不需要写插件）：成长日记、安全责任书、工作小组成立 …"""

    id: FieldId = Field(description="记录类型编号（英文小写），如 growth_diary；用在职责的 step 与 guanai record 里")
    name: str = Field(min_length=1, max_length=30, description="中文名称，如 成长日记")
    description: str = Field("", max_length=200, description="说明")
    scope: Scope = Field("child", description="关于谁：child 孩子 / staff 教职工 / class 班级 / school 学校")
    recorder: bool = Field(True, description="是否需要记录人（--by 工号）")
    fields: tuple[StepFieldSpec, ...] = Field((), max_length=30, description="字段")


class Programme(Model):
    """关爱留守儿童实施方案。"""

    id: Id = Field(description="方案编号")
    version: int = Field(1, ge=1, le=1_000_000, description="版本号")
    title: str = Field(max_length=300, description="方案标题（最多 300 字）")
    issuer: str | None = Field(None, description="发文单位")
    extends: str | None = Field(None, description="继承的基础方案（相对本文件的路径）")
    remove: tuple[str, ...] = Field((), description="从基础方案中删除的条目编号")
    plugins: tuple[Id, ...] = Field((), description="需要的插件（care_basics 默认包含）")
    people_kinds: tuple[Annotated[str, StringConstraints(min_length=1, max_length=20, strip_whitespace=True)], ...] = Field(
        (), description="教职工名单“类别”列还可以写的人员类别（已有：教职工、志愿者、校外辅导员、家长志愿者），"
                        "如 巾帼志愿者、法治副校长、退休教师")
    target: Target = Field(Target(), description="工作对象")
    calendar: Calendar = Field(description="校历")
    assignments: tuple[Assignment, ...] = Field((), description="结对规则")
    phases: tuple[Phase, ...] = Field((), description="实施步骤")
    duties: tuple[Duty, ...] = Field((), description="周期性职责")
    triggers: tuple[Trigger, ...] = Field((), description="触发的义务")
    activities: tuple[Activity, ...] = Field((), description="月度活动安排")
    steps: tuple[StepSpec, ...] = Field((), description="方案自己声明的记录类型（字段、类型、取值范围），用法与插件的记录类型相同")
    settings: dict[str, dict[str, Any]] = Field({}, description="各插件的设置")
    indicators: tuple[Indicator, ...] = Field((), description="目标指标")
    limits: Limits = Field(Limits(), description="工作量上限")

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)
