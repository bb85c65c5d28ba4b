"""Deciding a correlation case (SPEC §6.1) and letting the decision take effect at once: the
decision is recorded and audited, then the policy of the source's connector is evaluated — or,
when a run of that connector is in progress, the decision waits for the next run."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from headcount.accounts import owners
from headcount.config.model import Project
from headcount.errors import RunRefused
from headcount.jobs.evaluation import evaluate_policy
from headcount.policy.cases import Case, NotACandidate, get_case, record_decision
from headcount.project import ProjectContext
from headcount.repository.database import begin_write
from headcount.repository.runs import RunRecord
from headcount.repository.schema import resources


@dataclass(frozen=True)
class Outcome:
    case: Case
    run: RunRecord | None  # the evaluation that applied the decision; None: it waits
    message: str


def decide(ctx: ProjectContext, case_id: int, decision: str, target: str | None,
           comment: str | None, actor: str) -> Outcome:
    _, project = ctx.deployed()
    with ctx.engine.connect() as conn:
        case = get_case(conn, case_id)
    rt = next((r for r in project.resource_types
               if r.identifier.lower() == case.resource_type.lower()), None)
    found = project.entity_type(rt.source) if rt is not None else None
    target_type = project.entity_type(rt.target) if rt is not None else None
    if found is None or target_type is None:
        raise RunRefused(f"resource type `{case.resource_type}` of correlation case {case_id} "
                         "is no longer deployed: nothing could apply the decision")
    with begin_write(ctx.engine) as conn:
        case = record_decision(conn, case_id, decision, target, comment, actor)
        if target is not None:
            # Rolled back with the decision when the candidate was deleted meanwhile.
            _still_there(conn, target_type[1].identifier, target, case_id)
    if rt is not None and rt.owner:
        return _owner_decided(ctx, project, case, decision, target, actor)
    connector = found[0].identifier
    done = (f"{case.source_key} now owns {target}" if decision == "link"
            else f"{case.source_key} gets a new target")
    try:
        # Only the decided source: the rest of the population did not change.
        run = evaluate_policy(ctx, connector, actor=actor,
                              only={found[1].identifier: {case.source_key}})
    except RunRefused as refused:
        return Outcome(case, None, f"{done}; the decision takes effect at the next run of "
                                   f"{connector} ({refused})")
    return Outcome(case, run, f"{done}; run {run.id} evaluated the policy of {connector} "
                              f"({run.state})")


def _owner_decided(ctx: ProjectContext, project: Project, case: Case, decision: str,
                   target: str | None, actor: str) -> Outcome:
    """A case of an owner resource type names an account's owner (`link`) or says it has
    none (`new`): the review of its systems follows at once; no policy runs."""
    systems = [m for m in project.managed_systems
               if m.owner.lower() == case.resource_type.lower()]
    with begin_write(ctx.engine) as conn:
        owners.refresh(conn, project, systems)
    done = (f"account {case.source_key} is owned by {target}" if decision == "link"
            else f"account {case.source_key} has no owner")
    return Outcome(case, None, f"{done}; the review of "
                               f"{', '.join(m.identifier for m in systems)} is up to date")


def _still_there(conn: sa.Connection, entity_type: str, key: str, case_id: int) -> None:
    exists = conn.execute(sa.select(resources.c.id).where(
        resources.c.entity_type == entity_type, resources.c.key == key)).first()
    if exists is None:
        raise NotACandidate(f"{entity_type} {key} no longer exists: correlation case {case_id} "
                            "can only be decided `new` or linked to another candidate")
