"""care_basics: the step types the seed plans need (谈心, 电话, 家访, 慰问, 应急报告 …)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from guanai.api import StepType, hookimpl
from pydantic import BaseModel, ConfigDict, Field, model_validator

__version__ = "1.0"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notes: str | None = Field(None, description="备注")


class Talk(Payload):
    topic: str | None = Field(None, description="谈心主题")
    minutes: int | None = Field(None, ge=1, le=600, description="时长（分钟）")


class PhoneCall(Payload):
    with_: Literal["parents", "guardian", "child"] = Field(
        "parents", alias="with", description="通话对象：parents 在外务工父母 / guardian 监护人 / child 孩子",
        json_schema_extra={"labels": {"parents": "父母", "guardian": "监护人", "child": "孩子"}},
    )
    minutes: int | None = Field(None, ge=1, le=600, description="时长（分钟）")
    channel: Literal["电话", "视频"] | None = Field(None, description="方式：电话 / 视频（亲情电话、亲情视频）")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class HomeVisit(Payload):
    met: Literal["parents", "guardian", "both"] | None = Field(
        None, description="见到的人：parents 父母 / guardian 监护人 / both 都见到",
        json_schema_extra={"labels": {"parents": "父母", "guardian": "监护人", "both": "父母和监护人"}})


class SupportVisit(Payload):
    items: str | None = Field(None, description="慰问物品")
    amount_yuan: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2, description="金额（元）")


class ParentMeeting(Payload):
    attendees: int | None = Field(None, ge=0, description="到会人数")


class Letter(Payload):
    to: Literal["parents", "guardian"] = Field(
        "parents", description="写给谁：parents 在外务工父母 / guardian 监护人",
        json_schema_extra={"labels": {"parents": "父母", "guardian": "监护人"}})


class StudyPlan(Payload):
    buddy: str | None = Field(None, description="学习帮手（学籍号）")
    goals: str | None = Field(None, description="帮扶目标")


class HomeworkHelp(Payload):
    subject: str | None = Field(None, description="科目")


class Counselling(Payload):
    counsellor: str | None = Field(None, description="心理辅导员")


MEETING_KINDS = ("座谈会", "家长会", "主题班会", "监护人培训", "讲座", "安全法制教育", "心理健康教育")


class Settings(BaseModel):
    """`settings.care_basics`: the county's own words for what the seed plans name freely."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    meeting_kinds: tuple[str, ...] = Field(MEETING_KINDS, min_length=1, description="会议类型（meeting.kind 的取值）")


class Meeting(Payload):
    kind: str = Field("座谈会", min_length=1, max_length=40, description="会议类型，如 座谈会、家长会、讲座")
    attendees: int | None = Field(None, ge=0, description="参加人数")


class Activity(Payload):
    name: str | None = Field(None, description="活动名称")
    participants: int | None = Field(None, ge=0, description="参加人数")
    left_behind_participants: int | None = Field(None, ge=0, description="其中留守儿童人数")


class HomeOpen(Payload):
    visitors: int | None = Field(None, ge=0, description="到访人数")


class Archive(Payload):
    items: int | None = Field(None, ge=0, description="整理档案份数")


class Census(Payload):
    counted: int | None = Field(None, ge=0, description="摸底人数")


class Plan(Payload):
    title: str | None = Field(None, description="方案名称")


class SummaryReport(Payload):
    title: str | None = Field(None, description="总结标题")


class Notify(Payload):
    to: Literal["guardian", "parents", "bureau", "township"] = Field(
        description="告知对象：guardian 委托监护人 / parents 在外务工家长 / bureau 教育主管部门 / township 乡镇政府",
        json_schema_extra={"labels": {"guardian": "委托监护人", "parents": "在外务工家长", "bureau": "教育主管部门",
                                      "township": "乡镇政府"}},
    )
    channel: Literal["phone", "visit", "message", "document"] | None = Field(
        None, description="方式：phone 电话 / visit 当面 / message 短信或微信 / document 书面",
        json_schema_extra={"labels": {"phone": "电话", "visit": "当面", "message": "短信或微信", "document": "书面"}})


class Incident(Payload):
    kind: str = Field(description="事件类型，如 受伤、走失、疾病")
    severity: Literal["minor", "serious", "critical"] = Field(
        "minor", description="严重程度：minor 轻微 / serious 严重 / critical 危急",
        json_schema_extra={"labels": {"minor": "轻微", "serious": "严重", "critical": "危急"}})
    description: str | None = Field(None, description="经过")


class Referral(Payload):
    to: str | None = Field(None, description="转介单位")
    reason: str | None = Field(None, description="原因")


class Excuse(Payload):
    from_: date = Field(alias="from", description="起始日期")
    to: date = Field(description="结束日期（含）")
    reason: str = Field(description="原因，如 病假、转学手续中")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> Excuse:
        if self.to < self.from_:
            raise ValueError("to < from")
        return self


STEPS = (
    StepType("talk", "谈心", Talk, "与孩子谈心，了解学习、生活、情绪"),
    StepType("phone_call", "电话联系", PhoneCall, "给在外务工父母、监护人或孩子打电话"),
    StepType("home_visit", "家访", HomeVisit, "到孩子家中走访"),
    StepType("support_visit", "慰问", SupportVisit, "送学习、生活用品或钱物"),
    StepType("parent_meeting", "与父母座谈", ParentMeeting, "与回乡父母座谈（一年一团圆）"),
    StepType("letter", "亲情书信", Letter, "指导孩子给父母写信"),
    StepType("study_plan", "学习帮扶计划", StudyPlan, "学习上优先辅导：帮扶计划与学习帮手"),
    StepType("homework_help", "辅导作业", HomeworkHelp, "辅导孩子作业"),
    StepType("counselling", "心理辅导", Counselling, "心理健康教育与辅导"),
    StepType("meeting", "会议", Meeting, "座谈会、家长会、主题班会、讲座", scope="school",
             choices=(("kind", "meeting_kinds"),)),
    StepType("activity", "集体活动", Activity, "主题教育、升旗仪式、艺术节等集体活动", scope="school"),
    StepType("home_open", "留守儿童之家开放", HomeOpen, "留守儿童之家开放一次", scope="school"),
    StepType("archive", "档案整理", Archive, "留守儿童档案整理", scope="school"),
    StepType("census", "调查摸底", Census, "留守儿童基本情况调查摸底", scope="school"),
    StepType("plan", "制定方案", Plan, "制定活动实施方案", scope="school"),
    StepType("summary_report", "工作总结", SummaryReport, "写工作总结或经验总结", scope=None),
    StepType("notify", "告知", Notify, "突发事件后告知监护人、家长、上级"),
    StepType("incident", "突发事件", Incident, "孩子在校遇到的突发事件"),
    StepType("referral", "转介", Referral, "报送上一级部门处理"),
    StepType("excuse", "免除", Excuse, "一段时间内免除对某个孩子的职责（病假、转学）"),
)


@hookimpl
def register_step_types(register):
    for step in STEPS:
        register(step)


@hookimpl
def register_settings_model(register):
    register(Settings)
