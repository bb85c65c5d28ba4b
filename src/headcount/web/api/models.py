"""What the API answers and accepts (pydantic models; they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, Field

from headcount.web.api.timestamps import Instant

# Ids are database integers: larger numbers are refused as invalid, not sent to the database.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


class EntityTypeOut(BaseModel):
    identifier: str
    connector: str
    display_name: str
    icon: str | None
    count: int


class ResourceSummary(BaseModel):
    key: str
    display_name: str
    values: dict[str, Any]


class ResourcePage(BaseModel):
    total: int
    total_is_capped: bool = Field(description="More matched than were counted.")
    items: list[ResourceSummary]


class LinkOut(BaseModel):
    entity_type: str
    key: str
    resolved: bool


class HistoryOut(BaseModel):
    run_id: int
    at: Instant | None
    kind: str
    data: str | None
    navigation: str | None
    target_key: str | None
    file: str | None
    line: int | None


class ResourceOut(BaseModel):
    entity_type: str
    key: str
    display_name: str
    values: dict[str, Any]
    links: dict[str, list[LinkOut]]
    reverse: dict[str, list[LinkOut]]
    history: list[HistoryOut]


class ConnectionOut(BaseModel):
    identifier: str
    package: str
    settings: dict[str, Any]


class ConnectorOut(BaseModel):
    identifier: str
    display_name: str
    connections: list[ConnectionOut]
    entity_types: list[EntityTypeOut]
    blocked_run: int | None


class RunOut(BaseModel):
    id: int
    connector: str
    mode: str
    state: str
    dry_run: bool
    forced: bool
    message: str | None
    started_at: Instant | None
    finished_at: Instant | None
    counters: dict[str, Any]
    timings: dict[str, float]
    files: list[dict[str, Any]]
    step: str | None = Field(None, description="The step a running run is in.")


class LogOut(BaseModel):
    at: Instant
    level: str
    message: str


class LinkChangeOut(BaseModel):
    navigation: str
    target_type: str
    target_key: str
    line: int | None


class ChangeOut(BaseModel):
    kind: str
    entity_type: str
    key: str
    navigation: str | None
    target_key: str | None
    data: str | None
    connection: str | None
    line: int | None
    links: list[LinkChangeOut] = Field(
        default_factory=list,
        description="An inserted resource's links, written with it (also listed with "
                    "kind=link_insert).")


class UnresolvedOut(BaseModel):
    entity_type: str
    key: str
    navigation: str
    target_type: str
    target_key: str
    cause: str = Field(description="`absent`: no resource has the target key (absent from the "
                                   "file); else the category of the run's set-aside row that "
                                   "held it: duplicate, invalid, ragged.")
    connection: str | None = Field(description="Where the target's row was set aside.")
    line: int | None
    new: bool = Field(description="Written by this run (else left pending by an earlier one).")
    explanation: str


class UnresolvedPage(BaseModel):
    total: int
    items: list[UnresolvedOut]


class OrderOut(BaseModel):
    resource_type: str
    kind: str
    source_key: str | None
    target_key: str
    changes: dict[str, Any]


class RunWorkflowOut(BaseModel):
    """A workflow a run started, or — a dry run, a blocked run's preview — would start."""

    id: int
    workflow: str
    entity_type: str
    subject_key: str | None
    message: str | None
    state: str = Field(description="running | completed | aborted, or planned: listed by a "
                                   "dry run or a preview, never acted on.")
    started_at: Instant
    run_id: int | None = Field(description="The run that persisted it.")
    resources: int = Field(description="Resources its change set touches.")
    open_task: int | None = Field(description="The task waiting on it.")


class LaunchIn(BaseModel):
    mode: Literal["initial", "complete", "incremental"] | None = None
    dry_run: bool = False


class LaunchOut(BaseModel):
    # None: the job run is queued and has not started yet (its connector is busy, or no
    # worker runs); follow it at /api/job-runs/{job_run_id}.
    run_id: int | None
    job_run_id: int | None = None


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")


class ResumeIn(ReasonIn):
    expected_orders: int | None = Field(
        None, ge=0, le=2**31 - 1,
        description="The number of provisioning orders of the run's preview "
                    "(`counters.orders`): the resume applies only if it gives exactly those. "
                    "Required when the preview holds orders.")
    expected_preview: str | None = Field(
        None, max_length=64, pattern=r"^[0-9a-f]*$",
        description="The fingerprint of the preview that was shown (`counters.preview`): the "
                    "resume is refused if the preview changed since.")


class AuditOut(BaseModel):
    at: Instant
    actor: str
    action: str
    target: str | None
    reason: str | None


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=1000)
    role: Literal["administrator", "operator", "hr", "reviewer", "viewer"]


class UserOut(BaseModel):
    name: str
    role: str


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=255, pattern=r"^[^\x00]*$")
    scopes: list[Literal["read", "run", "admin", "edit", "decide"]] = Field(min_length=1)


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[str]
    created_at: Instant
    revoked_at: Instant | None


class NewTokenOut(BaseModel):
    token: str = Field(description="Shown once; only its hash is kept.")
