"""Workflows (SPEC §7.3): a business process on one entity type, a sequence of activities that
builds a change set and persists it. Each activity follows a template whose states and
transitions are fixed; a transition reads `Activity-State-Transition`
(`Review-ReviewPending-Approve`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from headcount.config.base import ConfigModel, Identifier, Name
from headcount.config.homonym import Homonyms


class Template(StrEnum):
    ACTION = "Action"
    ACTION_WITH_REFINE = "ActionWithRefine"
    REVIEW = "Review"
    REVIEW_WITH_FEEDBACK = "ReviewWithFeedback"
    PERSIST = "Persist"
    PERSIST_ONLY_RESOURCES = "PersistOnlyResources"


# Template → its pending state → transition → what it does: `next` (to the next activity),
# `abort` (the workflow ends, nothing persisted), `stay` (the activity stays pending: a
# delegation), `refine` (back to the last activity that can be refined).
PENDING: dict[Template, str] = {
    Template.ACTION: "ActionPending",
    Template.ACTION_WITH_REFINE: "ActionPending",
    Template.REVIEW: "ReviewPending",
    Template.REVIEW_WITH_FEEDBACK: "ReviewPending",
}
REFINE_PENDING = "RefinePending"
TRANSITIONS: dict[Template, dict[str, str]] = {
    Template.ACTION: {"Execute": "next", "Abort": "abort", "Delegate": "stay"},
    Template.ACTION_WITH_REFINE: {"Execute": "next", "Abort": "abort", "Delegate": "stay"},
    Template.REVIEW: {"Approve": "next", "Decline": "abort", "Delegate": "stay"},
    Template.REVIEW_WITH_FEEDBACK: {"Approve": "next", "Decline": "abort", "Delegate": "stay",
                                    "Refine": "refine"},
}
# What the state of an activity becomes after each kind of transition.
OUTCOMES = {"Execute": "Executed", "Abort": "Aborted", "Approve": "Approved",
            "Decline": "Declined", "Refine": "Refined"}
AUTOMATIC = (Template.PERSIST, Template.PERSIST_ONLY_RESOURCES)


class Escalation(ConfigModel):
    """A level of escalation: a task not done `after_days` business days after its deadline
    may also be decided by `roles`, who are told."""

    after_days: int = Field(ge=0, le=365, description="Business days after the deadline "
                                                      "(0: at the deadline).")
    roles: list[Identifier] = Field(min_length=1, description="Roles that may act from then "
                                                              "on, and are told.")


class Activity(ConfigModel):
    identifier: Name | None = Field(
        None, description="Name of the activity in its workflow (default: its template), the "
                          "first part of its transitions' ids.")
    template: Template
    display_name: str | None = None
    roles: list[Identifier] = Field(
        default_factory=list, description="Roles whose members may act on it (administrator "
                                          "always may).")
    relations: list[Name] = Field(
        default_factory=list,
        description="Navigations of the subject whose target is a person who may act too: "
                    "`Manager` lets the subject's manager (the user whose identity it is).")
    quorum: int = Field(1, ge=1, le=100, description="Approvals a Review needs.")
    deadline_days: float | None = Field(
        None, gt=0, le=365, description="Business days to act, in the subject's site calendar.")
    reminder_days: list[int] = Field(
        default_factory=list,
        description="Remind who may act this many business days before the deadline (each).")
    escalations: list[Escalation] = Field(
        default_factory=list,
        description="Levels reached after the deadline, in order: each lets its roles act.")
    fallback_roles: list[Identifier] = Field(
        default_factory=list,
        description="Roles a task goes to at once when nobody can act on it (every eligible "
                    "user disabled, no relation resolves).")

    @property
    def name(self) -> str:
        return self.identifier or self.template.value

    @model_validator(mode="after")
    def _fits_its_template(self) -> Activity:
        if self.template in AUTOMATIC and (self.roles or self.relations):
            raise ValueError(f"`{self.template}` runs by itself: no roles nor relations")
        if self.quorum > 1 and self.template not in (Template.REVIEW,
                                                     Template.REVIEW_WITH_FEEDBACK):
            raise ValueError("only a Review needs a quorum")
        if self.template in AUTOMATIC and (self.reminder_days or self.escalations
                                           or self.fallback_roles):
            raise ValueError(f"`{self.template}` runs by itself: no reminders, escalations "
                             "nor fallback")
        if (self.reminder_days or self.escalations) and self.deadline_days is None:
            raise ValueError("reminders and escalations are counted from a deadline: give "
                             "`deadline_days`")
        if any(days < 0 for days in self.reminder_days):
            raise ValueError("a reminder comes a number of business days ≥ 0 before the "
                             "deadline")
        after = [e.after_days for e in self.escalations]
        if after != sorted(after):
            raise ValueError(f"escalation levels come in order, each no earlier than the one "
                             f"before it: after_days {after}")
        return self

    def transition_id(self, transition: str, state: str | None = None) -> str:
        return f"{self.name}-{state or PENDING[self.template]}-{transition}"


class Workflow(ConfigModel):
    """A workflow of the `workflows:` section."""

    identifier: Identifier
    entity_type: Identifier = Field(description="The entity type of its subject.")
    display_name: str | None = None
    properties: list[Name] = Field(
        default_factory=list, description="The properties its change set and form may hold.")
    required: list[Name] = Field(
        default_factory=list, description="Properties its form requires, besides the entity "
                                          "type's keys.")
    homonyms: Homonyms | None = Field(
        None, description="Names (and birth date) compared on a creation: existing resources "
                          "with the same ones are shown before a duplicate is created.")
    activities: list[Activity] = Field(min_length=1)

    @model_validator(mode="after")
    def _ends_by_persisting(self) -> Workflow:
        names = [a.name.lower() for a in self.activities]
        if len(set(names)) != len(names):
            raise ValueError("two activities have one name: give them an `identifier`")
        if self.activities[-1].template not in AUTOMATIC:
            raise ValueError("the last activity must persist the change set (`Persist` or "
                             "`PersistOnlyResources`): nothing reaches the repository before")
        if any(a.template in AUTOMATIC for a in self.activities[:-1]):
            raise ValueError("only the last activity persists")
        for i, activity in enumerate(self.activities):
            if activity.template is Template.REVIEW_WITH_FEEDBACK and not any(
                    a.template is Template.ACTION_WITH_REFINE for a in self.activities[:i]):
                raise ValueError(f"{activity.name} (ReviewWithFeedback) sends back for "
                                 "refinement to an ActionWithRefine before it: there is none "
                                 "(use a Review)")
        return self

    def activity(self, name: str) -> Activity | None:
        return next((a for a in self.activities if a.name.lower() == name.lower()), None)
