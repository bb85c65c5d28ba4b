"""What a campaign is asked to be (`campaign create`, the create form, POST /api/campaigns): its
kind, scope, stages of reviewers, dates and options. Checked before anything is written."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from headcount.errors import HeadcountError

Kind = Literal["hr-consistency", "certification"]
KINDS: tuple[Kind, ...] = ("hr-consistency", "certification")
Outcome = Literal["none", "approve", "decline"]
Applying = Literal["at-once", "at-close"]


def _iso(value: Any) -> Any:
    # Not a number read as a Unix timestamp: a day is written YYYY-MM-DD.
    if isinstance(value, int | float | bytes) or (isinstance(value, str) and not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}", value, re.ASCII)):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_iso)]


class ScopeError(HeadcountError):
    """A scope that names what the project does not have."""

    exit_code = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stage(_Model):
    """Who decides an item at this stage: `manager` (the subject's manager: the identity's
    current record's Manager, or an account owner's), `organization-manager` (the manager of
    the identity's organization), `role:NAME`, `user:NAME`; `fallback` (a `role:` or `user:`)
    when the rule finds nobody with a log-in (else the campaign's owner decides)."""

    name: str = Field("Review", min_length=1, max_length=100)
    reviewer: str = Field("manager", max_length=255,
                          pattern=r"^(manager|organization-manager|(role|user):.+)$")
    fallback: str | None = Field(None, max_length=255, pattern=r"^(role|user):.+$")


class Scope(_Model):
    """The subjects: resources of `entity_type` whose values match `filters` (`*` stands for
    any text), only those changed since `changed_since` (read from the history) when given; or
    the accounts of managed system `system`, orphans included."""

    entity_type: str = Field("Directory_User", min_length=1, max_length=128)
    filters: dict[str, str] = Field(default_factory=dict)
    changed_since: Day | None = None
    system: str | None = Field(None, max_length=128)


class Options(_Model):
    default_outcome: Outcome = Field(
        "none", description="What an item nobody decided by the end date becomes.")
    apply_declines: Applying = Field(
        "at-close", description="Declines applied as they are decided, or when the campaign "
                                "closes.")
    remind_days: int = Field(3, ge=0, le=365, description="Reminder this many days before the "
                                                          "end date.")
    escalate_days: int = Field(1, ge=0, le=365, description="Escalation to the owner this many "
                                                            "days before the end date.")
    # An identity declined is handed to this workflow with these values (e.g. an end date).
    decline_workflow: str | None = Field(None, max_length=128)
    decline_values: dict[str, str] = Field(default_factory=dict)
    # An HR value taken goes through the workflow of its resource's entity type.
    hr_workflows: dict[str, str] = Field(default_factory=lambda: {
        "Directory_User": "Directory_User_TakeHRValue",
        "Directory_UserRecord": "Directory_UserRecord_TakeHRValue"})


class CampaignSpec(_Model):
    kind: Kind = "certification"
    name: str = Field(min_length=1, max_length=255)
    owner: str = Field(min_length=1, max_length=255)
    scope: Scope = Field(default_factory=Scope)
    stages: list[Stage] = Field(default_factory=lambda: [Stage()], min_length=1, max_length=5)
    starts_on: Day
    ends_on: Day
    options: Options = Field(default_factory=Options)
