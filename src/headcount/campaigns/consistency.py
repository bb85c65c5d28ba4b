"""The HR consistency campaign (SPEC §10, the seed's "certification-like process"): the identity
repository compared with the latest HR data, field by field, without writing anything — the
policy evaluated as a dry run evaluates it (its orders are what a run would change), inside a
transaction that is rolled back. Findings:
- `no-hr-person`: an identity no HR person owns (not external, not left, not kept for its
  retention);
- `no-identity`: an HR person without an identity;
- `mismatch`: a value HR would set that the repository does not hold — an order a run would
  make, or a manual value held against HR (unreconciled, postponed, questioned);
each with the provenance of both sides. What is on its way elsewhere — a running workflow, an
open correlation case — is no finding. After each HR run (`refresh`), items that became moot
close themselves, with the reason."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount import collector
from headcount.campaigns import store
from headcount.campaigns.reviewers import IDENTITY_TYPE, Directory, record_type
from headcount.campaigns.spec import CampaignSpec
from headcount.campaigns.store import CLOSED, DECIDED, OPEN, NewItem
from headcount.config.model import Project
from headcount.config.resource_type import ResourceType
from headcount.fulfillment.direct import owned, scheduled
from headcount.policy.graph import Graph
from headcount.policy.job import plan_policy, resource_types_fed_by
from headcount.policy.orders import Order
from headcount.repository import property_states
from headcount.repository.database import begin_write
from headcount.repository.provenance import last_changes, provenance, rule_of
from headcount.repository.schema import (
    audit_log,
    campaign_items,
    campaigns,
    correlation_cases,
    resources,
    workflow_instances,
)

HELD = ("unreconciled", "postponed", "questioned")


@dataclass(frozen=True)
class Finding:
    finding: str
    entity_type: str
    key: str
    label: str
    identity: str | None
    property: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def ident(self) -> tuple[str, str, str, str]:
        return (self.finding, self.entity_type, self.key, self.property or "")


def findings(engine: sa.Engine, project: Project, now: datetime) -> list[Finding]:
    """What differs between the repository and HR at `now`; nothing is written."""
    # A whole evaluation, after every applied HR run while a campaign is active.
    with engine.connect() as conn, collector.paused():
        transaction = conn.begin()
        try:
            return _findings(conn, project, now)
        finally:
            transaction.rollback()  # the evaluation's proposals are not ours to keep


def _findings(conn: sa.Connection, project: Project, now: datetime) -> list[Finding]:
    identity_rt = next((rt for rt in project.resource_types
                        if rt.target.lower() == IDENTITY_TYPE.lower()), None)
    if identity_rt is None:
        return []
    graph: Graph | None = None
    orders: list[Order] = []
    for connector in project.connectors:
        if connector.connections and resource_types_fed_by(project, connector):
            graph, found, _, _ = plan_policy(conn, project, connector, now)
            orders += found
    if graph is None:
        return []
    # Read after the evaluation: it brought the held values' proposals up to date.
    held = [s for s in property_states.every(conn) if s.state in HELD]
    busy_sources, busy_targets = _in_flight(conn)
    owners = owned(conn)
    mine = owners.get(identity_rt.identifier, {})
    out = _no_identity(project, graph, identity_rt, mine, busy_sources)
    out += _no_hr_person(conn, project, graph, identity_rt, mine, busy_targets, now)
    out += _mismatches(conn, project, graph, orders, held, owners, busy_targets)
    return out


def _in_flight(conn: sa.Connection) -> tuple[set[str], set[tuple[str, str]]]:
    """HR keys and subjects a running workflow or an open correlation case is about."""
    sources: set[str] = set()
    targets: set[tuple[str, str]] = set()
    w = workflow_instances.c
    for et, key, origin in conn.execute(sa.select(w.entity_type, w.subject_key, w.origin)
                                        .where(w.state == "running")):
        if key:
            targets.add((et, key))
        source = json.loads(origin or "{}").get("source_key")
        if source:
            sources.add(str(source))
    sources |= {k for (k,) in conn.execute(sa.select(correlation_cases.c.source_key).where(
        correlation_cases.c.state == "open"))}
    return sources, targets


def _no_identity(project: Project, graph: Graph, rt: ResourceType, mine: dict[str, str],
                 busy: set[str]) -> list[Finding]:
    found = project.entity_type(rt.source)
    assert found is not None
    et = found[1]
    return [Finding("no-identity", et.identifier, node.key, et.display(node.values), None,
                    details={"hr": {p: v for p, v in node.values.items() if v not in (None, "")}})
            for node in graph.of_type(et.identifier)
            if node.key not in mine and node.key not in busy]


def _no_hr_person(conn: sa.Connection, project: Project, graph: Graph, rt: ResourceType,
                  mine: dict[str, str], busy: set[tuple[str, str]], now: datetime
                  ) -> list[Finding]:
    found = project.entity_type(IDENTITY_TYPE)
    assert found is not None
    et = found[1]
    owned_targets = set(mine.values())
    retained = set(scheduled(conn).get(rt.identifier, {}))
    external = _externals(project, graph, now)
    state = rt.validity.state if rt.validity is not None else None
    out = []
    for node in graph.of_type(et.identifier):
        if node.key in owned_targets or node.key in retained or node.key in external \
                or (et.identifier, node.key) in busy \
                or (state is not None and node.values.get(state) == "left"):
            continue
        out.append(Finding("no-hr-person", et.identifier, node.key, et.display(node.values),
                           node.key, details={"repository": {
                               p: v for p, v in node.values.items() if v not in (None, "")}}))
    return out


def _externals(project: Project, graph: Graph, now: datetime) -> set[str]:
    """Identities whose current record's user type is external."""
    record = record_type(project, IDENTITY_TYPE)
    if record is None:
        return set()
    day = now.date().isoformat()
    best: dict[str, tuple[tuple[bool, str], bool]] = {}
    for node in graph.of_type(record):
        users = graph.targets.get((node.id, "User"), [])
        if not users:
            continue
        start, end = node.values.get("StartDate") or "", node.values.get("EndDate") or ""
        rank = (start <= day and (not end or end >= day), start)
        kinds = [graph.nodes[t] for _, t in graph.targets.get((node.id, "UserType"), [])
                 if t is not None]
        external = any(str(k.values.get("IsExternal")).lower() == "true" for k in kinds)
        identity = users[0][0]
        if identity not in best or rank > best[identity][0]:
            best[identity] = (rank, external)
    return {identity for identity, (_, external) in best.items() if external}


def _mismatches(conn: sa.Connection, project: Project, graph: Graph, orders: list[Order],
                held: Sequence[property_states.PropertyState],
                owners: dict[str, dict[str, str]], busy: set[tuple[str, str]]
                ) -> list[Finding]:
    validity_states = {rt.validity.state for rt in project.resource_types
                       if rt.validity is not None and rt.validity.state}
    wanted: dict[tuple[str, str, str], tuple[Any, Any, str | None, str | None]] = {}
    for o in orders:
        if o.kind != "modified" or (o.target_type, o.target_key) in busy:
            continue
        for prop, (before, after) in o.values.items():
            if before != after and prop not in validity_states:
                wanted[(o.target_type, o.target_key, prop)] = (before, after, o.resource_type,
                                                               o.source_key)
        for nav, (before_keys, after_keys) in o.links.items():
            if sorted(before_keys) != sorted(after_keys):
                wanted[(o.target_type, o.target_key, nav)] = (before_keys, after_keys,
                                                              o.resource_type, o.source_key)
    for s in held:
        if s.manual_value != s.proposed_value and (s.entity_type, s.resource_key) not in busy:
            wanted[(s.entity_type, s.resource_key, s.property)] = (
                s.manual_value, s.proposed_value, s.resource_type, None)
    sources_of = {rt: {t: s for s, t in by.items()} for rt, by in owners.items()}
    record = record_type(project, IDENTITY_TYPE)
    out = []
    for (et_name, key, prop), (repo, hr, rt_name, source) in sorted(
            wanted.items(), key=lambda kv: kv[0]):
        found = project.entity_type(et_name)
        if found is None:
            continue
        et = found[1]
        node_id = graph.by_key.get((et.identifier, key))
        node = graph.nodes[node_id] if node_id is not None else None
        identity = key if et.identifier == IDENTITY_TYPE else None
        if et.identifier == record and node is not None:
            identity = next((k for k, _ in graph.targets.get((node.id, "User"), [])), None)
        source = source or (sources_of.get(rt_name or "", {}).get(key))
        details = {"repository": repo, "hr": hr, "resource_type": rt_name,
                   "source_key": source,
                   **_provenances(conn, project, et.identifier, key, prop, rt_name, source)}
        out.append(Finding("mismatch", et.identifier, key,
                           et.display(node.values) if node else key, identity, prop, details))
    return out


def _provenances(conn: sa.Connection, project: Project, entity_type: str, key: str, prop: str,
                 rt_name: str | None, source: str | None) -> dict[str, str]:
    """Where the repository's value came from, and HR's."""
    out: dict[str, str] = {}
    values = {v.name: v for v in provenance(conn, project, entity_type, key).values}
    if prop in values:
        out["repository_provenance"] = values[prop].text
    rt = next((r for r in project.resource_types if r.identifier == rt_name), None)
    rule = rule_of(rt, prop, project) if rt is not None else None
    if rt is None or rule is None or source is None:
        return out
    origins = last_changes(conn, [(rt.source, source)]).get((rt.source, source), {})
    origin = next((origins[p] for p in rule.source_properties if p in origins), None)
    where = f", {origin.where()}, run {origin.run_id}" if origin is not None else ""
    out["hr_provenance"] = f"{rt.source} {source}{where}; rule `{rule.name}`"
    return out


def items(found: Sequence[Finding], spec: CampaignSpec, directory: Directory
          ) -> list[NewItem]:
    stage = spec.stages[0]
    return [NewItem(f.entity_type, f.key, f.label, f.finding,
                    directory.reviewer(stage, f.identity, spec.owner), f.property,
                    {**f.details, "identity": f.identity}) for f in found]


def create(engine: sa.Engine, project: Project, spec: CampaignSpec, actor: str, now: datetime
           ) -> tuple[int, int]:
    found = findings(engine, project, now)
    with engine.connect() as conn:
        directory = Directory(conn, project, IDENTITY_TYPE, now.date())
    with begin_write(engine) as conn:
        campaign_id = store.insert(conn, spec, actor, now)
        return campaign_id, store.add_items(conn, campaign_id, items(found, spec, directory),
                                            0, now)


def refresh(engine: sa.Engine, project: Project, now: datetime) -> int:
    """After an HR run: close the items of active HR consistency campaigns that are moot now —
    HR agrees, the person left, HR was fixed — each with its reason; open again those whose
    exception expired while HR still differs. How many closed."""
    with engine.connect() as conn:
        active = [i for (i,) in conn.execute(sa.select(campaigns.c.id).where(
            campaigns.c.kind == "hr-consistency", campaigns.c.state == "active"))]
    if not active:
        return 0
    current = {f.ident() for f in findings(engine, project, now)}
    c = campaign_items.c
    closed = 0
    with begin_write(engine) as conn:
        subjects = _subjects(conn, project)
        for campaign_id in active:
            live = conn.execute(sa.select(campaign_items).where(
                c.campaign_id == campaign_id, sa.or_(
                    c.state == OPEN, sa.and_(c.state == DECIDED, c.decision == "fix-in-hr"),
                    sa.and_(c.state == DECIDED, c.decision == "exception",
                            c.expires_on < now.date()))))
            for row in live:
                ident = (row.finding, row.subject_type, row.subject_key, row.property or "")
                if ident in current and row.decision == "exception":
                    # The exception ran out and HR still differs: to be decided again.
                    conn.execute(sa.update(campaign_items).where(c.id == row.id).values(
                        state=OPEN, decision=None, decided_by=None, decided_at=None,
                        applied=f"the exception expired on {row.expires_on}: open again"))
                    continue
                if ident in current:
                    continue
                reason = _why_moot(row, subjects)
                conn.execute(sa.update(campaign_items).where(c.id == row.id)
                             .values(state=CLOSED, applied=reason))
                conn.execute(sa.insert(audit_log).values(
                    at=now, actor="headcount", action="campaign item closed",
                    target=f"campaign {campaign_id} item {row.id}", reason=reason))
                closed += 1
    return closed


def _subjects(conn: sa.Connection, project: Project) -> dict[tuple[str, str], str | None]:
    """(entity type, key) → the identity's validity state."""
    state = next((rt.validity.state for rt in project.resource_types
                  if rt.target.lower() == IDENTITY_TYPE.lower() and rt.validity is not None),
                 None)
    out: dict[tuple[str, str], str | None] = {}
    for et, key, data in conn.execute(sa.select(resources.c.entity_type, resources.c.key,
                                                resources.c.data)
                                      .where(resources.c.entity_type == IDENTITY_TYPE)):
        out[(et, key)] = json.loads(data).get(state) if state else None
    return out


def _why_moot(row: Any, subjects: dict[tuple[str, str], str | None]) -> str:
    fixed = "fixed in HR: " if row.decision == "fix-in-hr" else ""
    identity = json.loads(row.details or "{}").get("identity")
    if identity and subjects.get((IDENTITY_TYPE, identity), "left") == "left":
        return f"{fixed}moot: the person left"
    return fixed + {"mismatch": "moot: HR now agrees",
                    "no-identity": "moot: the HR person has an identity now, or left HR",
                    "no-hr-person": "moot: an HR person owns the identity now"
                    }.get(row.finding, "moot")
