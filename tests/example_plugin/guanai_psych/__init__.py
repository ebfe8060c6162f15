"""guanai-psych: psychological screening (心理筛查) for left-behind children.

A complete outside plugin: a step type with its payload model, a settings model, and an
on_record hook that obliges counselling within a week when the score reaches the threshold.
"""

from guanai.api import FollowUp, StepType, for_steps, hookimpl
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


@hookimpl
def register_step_types(register):
    register(StepType("psych_screening", "心理筛查", Screening, "心理健康筛查得分"))


@hookimpl
def register_settings_model(register):
    register(Settings)


@hookimpl
@for_steps("psych_screening")
def on_record(record, ctx):
    settings = ctx.settings  # this plugin's Settings, defaults applied
    if record.model.score >= settings.threshold:
        return [FollowUp("psych-counselling", "心理筛查阳性，安排心理辅导", "counselling",
                         f"{settings.within_days}d")]
    return None
