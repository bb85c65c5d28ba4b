"""Internal-workflow connections (SPEC §7.2): instead of writing the orders of a resource type
straight into the repository, a connection of package `internal-workflow` starts one workflow
per person for them, by change type, and people decide in My Tasks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from headcount.config.base import ConfigModel, Identifier


class WorkflowChoice(ConfigModel):
    """A workflow chosen when an expression holds on the order (docs/workflows.md lists the
    names it reads: `Changes.X`, `Before.X`, `Source.X`, `Resource.X`, `Kind`, `Replaces`)."""

    when: str = Field(description="An expression (docs/expressions.md); true starts `workflow`.")
    workflow: Identifier
    transition: str | None = Field(
        None, description="A transition of its first activity taken as soon as it starts.")


class ChangeType(ConfigModel):
    """What an order of one change type starts."""

    workflow: Identifier = Field(description="The workflow started when no `choose` holds.")
    choose: list[WorkflowChoice] = Field(
        default_factory=list, description="Tried in order before `workflow`: the first whose "
                                          "`when` holds gives the workflow.")
    transition: str | None = Field(
        None, description="A transition of `workflow`'s first activity taken as soon as it "
                          "starts (`Request-ActionPending-Execute`): the connector acted. A "
                          "workflow of `choose` takes its own.")
    message: str | None = Field(
        None, description="The instance's message; `$Changes:X$` is the order's value "
                          "(dotted paths: `$Changes:Site.DisplayName$`), `$Resource:X$` the "
                          "repository's.")
    scalar_properties: list[str] = Field(
        default_factory=list,
        description="Modified orders: the values that go through the workflow; the others are "
                    "fulfilled directly. Empty: every value. `Entity.Property` names one "
                    "entity type's only.")
    navigation_properties: list[str] = Field(
        default_factory=list, description="Modified orders: the navigations that go through "
                                          "the workflow, as `scalar_properties`.")
    date_properties: list[str] = Field(
        default_factory=list, description="Deleted orders: date properties set to the run date "
                                          "where the order gives none.")


class ChangeTypes(ConfigModel):
    """A change type left out is fulfilled directly."""

    added: ChangeType | None = None
    modified: ChangeType | None = None
    deleted: ChangeType | None = None


class InternalWorkflowConnection(ConfigModel):
    """A connection of package `internal-workflow` on the connector of the workflows' entity
    type (the Directory)."""

    identifier: Identifier
    package: Literal["internal-workflow"] = "internal-workflow"
    resource_types: list[Identifier] = Field(
        min_length=1, description="The resource types whose orders it fulfills.")
    change_types: ChangeTypes = Field(default_factory=ChangeTypes)
