"""Per-value provenance (SPEC §15.1): for each property of a resource, the change that last set
it — the run, and for an HR value the file and line; for a value the policy wrote, the rule and
the source resource, with the HR file and line that last set the source's property ("set by HR
file hr_people.csv line 812, run 42, rule `HR_Person_To_Directory_UserRecord.Title`"); for a
value set by hand, who and why. A handful of set-based queries per resource, whatever its
number of properties."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import EntityType, Project
from headcount.config.resource_type import ResourceType
from headcount.errors import NotFound
from headcount.policy.expressions import compile_expression
from headcount.repository.changelist import change_data
from headcount.repository.schema import (
    audit_log,
    changes,
    links,
    ownership,
    property_states,
    provisioning_orders,
    resources,
    runs,
    workflow_instances,
)

APPLIED = ("succeeded", "succeeded with warnings")
HR, POLICY, MANUAL, RECONCILIATION = "hr", "policy", "manual", "reconciliation"
WORKFLOW = "workflow"
_INSTANCE = re.compile(r"^workflow \S+ #(\d+)$")
# What the manual-edit and reconciliation writes record in the audit log, per property.
AUDITED = {MANUAL: "manual edit", RECONCILIATION: "reconciliation approve"}


@dataclass(frozen=True)
class Origin:
    """One recorded change: which run, in which mode, from which connection, file and line."""

    change_id: int
    run_id: int
    mode: str
    at: datetime | None
    kind: str
    connection: str | None
    file: str | None
    line: int | None
    reason: str | None
    # A change of an upload's run: the upload, who sent it and the tab of the row (`line`).
    upload: int | None = None
    uploaded_by: str | None = None
    tab: str | None = None
    rollback: bool = False  # the change undoes the upload's load
    # A pushed record (docs/push.md): "pushed by token 3 (hris), request 12, operation 7".
    pushed: str | None = None

    @classmethod
    def of(cls, ch: Any, file: dict[str, Any], line: int | None) -> Origin:
        """The origin of a change row (its id, run, mode, finished_at, kind, connection and the
        run's reason) from its run's entry in `files` for its connection."""
        return cls(ch.id, ch.run_id, ch.mode, ch.finished_at, ch.kind, ch.connection,
                   file.get("name"), line, ch.reason, file.get("upload"),
                   file.get("uploaded_by"), file.get("tab"), bool(file.get("rollback")),
                   _pushed(file, line))

    def where(self) -> str:
        if self.pushed is not None:
            return self.pushed
        if self.upload is not None and self.rollback:
            return f"roll back of upload {self.upload} by {self.uploaded_by}"
        if self.upload is not None:
            return f"upload {self.upload} by {self.uploaded_by}, file {self.file}" + \
                (f", tab {self.tab}" if self.tab else "") + \
                (f", row {self.line}" if self.line else "")
        if self.file:
            return f"HR file {self.file}" + (f" line {self.line}" if self.line else "")
        return f"connection {self.connection}" if self.connection else "an unnamed change"


def _pushed(file: dict[str, Any], line: int | None) -> str | None:
    # A pushed row's line is its operation's id; a request's operations have consecutive ids.
    for request, first, last, token in file.get("pushed") or []:
        if line is not None and first <= line <= last:
            return f"pushed by {token}, request {request}, operation {line - first + 1}"
    return None


@dataclass(frozen=True)
class Rule:
    """The part of a resource type that computes a property."""

    resource_type: str
    target: str
    text: str  # `source: Title`, `expression: …`, `query: Organization.Code = Identifier`
    source_properties: tuple[str, ...]  # the first step of each source binding it reads

    @property
    def name(self) -> str:
        return f"{self.resource_type}.{self.target}"


@dataclass
class ValueProvenance:
    name: str  # the property
    navigation: bool
    value: Any
    origin: Origin | None = None
    by: str | None = None  # hr | policy | manual | reconciliation | workflow
    rule: Rule | None = None
    source_entity_type: str | None = None
    source_key: str | None = None
    source_property: str | None = None
    source_origin: Origin | None = None
    state: str | None = None  # the property state (SPEC §6.4), when a person changed it
    changed_by: str | None = None
    reason: str | None = None

    @property
    def text(self) -> str:
        """One sentence an auditor can read."""
        o = self.origin
        if o is None:
            return "no recorded change"
        if self.by == HR:
            return f"set by {o.where()}, run {o.run_id}"
        if self.by == WORKFLOW:
            # The workflow and who decided (the run's reason), then the rule and the HR value
            # it came from when HR started it.
            text = f"set by {o.connection}, run {o.run_id}" + (f": {o.reason}" if o.reason
                                                                 else "")
            if self.rule is not None:
                text += f"; rule `{self.rule.name}`"
                if self.source_key is not None:
                    text += f", from {self.source_entity_type} {self.source_key}"
                    src = self.source_origin
                    if src is not None:
                        text += f" whose {self.source_property} was set by {src.where()}, " \
                                f"run {src.run_id}"
            return text
        if self.by in (MANUAL, RECONCILIATION):
            who = f" by {self.changed_by}" if self.changed_by else ""
            why = f": {self.reason}" if self.reason else ""
            how = "set by hand" if self.by == MANUAL else \
                "approved on the Resource Reconciliation"
            return f"{how}{who}, run {o.run_id}{why}"
        if self.rule is None:  # a property the resource type leaves alone: empty at creation
            return f"no rule of `{o.connection}` computes it (written at creation, run " \
                   f"{o.run_id})"
        rule = f"rule `{self.rule.name}`"
        src = self.source_origin
        if src is not None and src.file and src.run_id == o.run_id:
            return f"set by {src.where()}, run {o.run_id}, {rule}"
        text = f"set by run {o.run_id} ({o.mode}), {rule}"
        if self.source_key is not None:
            text += f", from {self.source_entity_type} {self.source_key}"
            if src is not None:
                text += f" whose {self.source_property} was set by {src.where()}, " \
                        f"run {src.run_id}"
        return text


@dataclass
class ResourceProvenance:
    id: int
    entity_type: str
    key: str
    values: list[ValueProvenance] = field(default_factory=list)

    def without_people(self) -> ResourceProvenance:
        """Who changed a value by hand, and why, are for those who decide on such values (the
        audit log is the administrators'): the rest read only that it was set by hand."""
        for v in self.values:
            v.changed_by = v.reason = None
        return self


def provenance_by_id(conn: sa.Connection, project: Project, resource_id: int
                     ) -> ResourceProvenance:
    row = conn.execute(sa.select(resources.c.entity_type, resources.c.key)
                       .where(resources.c.id == resource_id)).first()
    if row is None:
        raise NotFound(f"no resource {resource_id}")
    return provenance(conn, project, row[0], row[1])


def provenance(conn: sa.Connection, project: Project, entity_type: str, key: str
               ) -> ResourceProvenance:
    found = project.entity_type(entity_type)
    if found is None:
        raise NotFound(f"no entity type `{entity_type}`")
    connector, et = found
    row = conn.execute(sa.select(resources.c.id, resources.c.data).where(
        resources.c.entity_type == et.identifier, resources.c.key == key)).first()
    if row is None:
        raise NotFound(f"no {et.identifier} with key `{key}`")
    values = json.loads(row[1])
    current: dict[str, list[str]] = {}
    for nav, target in conn.execute(sa.select(links.c.navigation, links.c.target_key)
                                    .where(links.c.source_id == row[0])
                                    .order_by(links.c.target_key)):
        current.setdefault(nav.partition(".")[2], []).append(target)
    out = ResourceProvenance(int(row[0]), et.identifier, key, [
        ValueProvenance(p.identifier, p.is_navigation,
                        current.get(p.identifier, []) if p.is_navigation
                        else values.get(p.identifier)) for p in et.properties])
    last = last_changes(conn, [(et.identifier, key)]).get((et.identifier, key), {})
    rule_types = {rt.identifier.lower(): rt for rt in project.resource_types}
    hr_connections = {c.identifier.lower() for c in connector.connections}
    carrying: dict[str, str | None] = {}
    for v in out.values:
        v.origin = last.get(v.name)
        if v.origin is None:
            continue
        name = (v.origin.connection or "").lower()
        if name in rule_types:
            v.by, v.rule = POLICY, rule_of(rule_types[name], v.name, project)
        elif name in hr_connections or v.origin.file:
            v.by = HR
        elif name == RECONCILIATION or v.origin.mode == RECONCILIATION:
            v.by = RECONCILIATION
        elif v.origin.mode == WORKFLOW:
            v.by = WORKFLOW
            carried = _carried(conn, v.origin.connection or "", et.identifier, key, carrying)
            if carried is not None and carried.lower() in rule_types:
                v.rule = rule_of(rule_types[carried.lower()], v.name, project)
        else:
            v.by = MANUAL
    _sources(conn, project, et, key, out.values)
    _states(conn, et.identifier, key, out.values)
    return out


def _carried(conn: sa.Connection, connection: str, entity_type: str, key: str,
             seen: dict[str, str | None]) -> str | None:
    """The resource type whose order a workflow carried for this resource, when a run started
    it (`workflow W #12`): its rule computed the value the workflow persisted."""
    if connection not in seen:
        found = _INSTANCE.match(connection)
        origin = conn.execute(sa.select(workflow_instances.c.origin).where(
            workflow_instances.c.id == int(found.group(1)))).scalar() if found else None
        orders = json.loads(origin or "{}").get("orders", [])
        seen[connection] = next((o["resource_type"] for o in orders
                                 if o.get("target_type") == entity_type
                                 and o.get("target_key") == key), None)
    return seen[connection]


def last_changes(conn: sa.Connection, keys: Iterable[tuple[str, str]]
                 ) -> dict[tuple[str, str], dict[str, Origin]]:
    """For each (entity type, key), the applied change that last set each property (scalar or
    navigation): one indexed query per resource. A deletion forgets everything before it."""
    out: dict[tuple[str, str], dict[str, Origin]] = {}
    files: dict[int, dict[str, dict[str, Any]]] = {}
    for entity_type, key in sorted(set(keys)):
        # Equality on both columns, resource by resource: SQLite reads the (entity type, key)
        # index this way, where a row-value IN or an OR makes it scan every change of a run.
        last = out[(entity_type, key)] = {}
        for ch in conn.execute(
                sa.select(changes.c.id, changes.c.run_id, changes.c.kind,
                          change_data().label("data"),
                          changes.c.after, changes.c.navigation, changes.c.connection,
                          changes.c.line, runs.c.mode, runs.c.finished_at, runs.c.files,
                          runs.c.reason)
                .join(runs, runs.c.id == changes.c.run_id)
                .where(changes.c.entity_type == entity_type, changes.c.resource_key == key,
                       runs.c.state.in_(APPLIED), runs.c.dry_run.is_(False))
                .order_by(changes.c.id)):
            if ch.run_id not in files:
                files[ch.run_id] = {f["connection"]: f for f in json.loads(ch.files or "[]")}
            _walk(last, ch, files[ch.run_id])
    return out


def _walk(last: dict[str, Origin], ch: Any, files: dict[str, dict[str, Any]]) -> None:
    """Move the properties `ch` sets to it."""
    file = files.get(ch.connection or "", {})

    def origin(line: int | None) -> Origin:
        return Origin.of(ch, file, line)

    if ch.kind == "delete":
        last.clear()
    elif ch.kind == "insert":
        last.clear()
        here = origin(ch.line)
        last.update(dict.fromkeys(json.loads(ch.data or "{}"), here))
        # The links of an inserted resource ride in its insert row, each with its line.
        for link in json.loads(ch.after or "{}").get("links", []):
            last[link["navigation"].partition(".")[2]] = origin(link.get("line"))
    elif ch.kind == "update":
        last.update(dict.fromkeys(json.loads(ch.data or "{}"), origin(ch.line)))
    elif ch.navigation:
        last[ch.navigation.partition(".")[2]] = origin(ch.line)


def rule_of(rt: ResourceType, prop: str, project: Project) -> Rule | None:
    low = prop.lower()
    for scalar in rt.scalars:
        if scalar.target.lower() == low:
            if scalar.source is not None:
                return Rule(rt.identifier, scalar.target, f"source: {scalar.source}",
                            (_first(scalar.source),))
            names = compile_expression(scalar.expression or "",
                                       tables=project.lookup_tables()).names
            return Rule(rt.identifier, scalar.target, f"expression: {scalar.expression}",
                        tuple(sorted({_first(n) for n in names})))
    for query in rt.queries:
        if query.target.lower() == low:
            return Rule(rt.identifier, query.target,
                        f"query: {query.source} = {query.match}", (_first(query.source),))
    # Dates and state of a target come from its validity (when the resource type has one).
    validity = getattr(rt, "validity", None)
    if validity is not None:
        outputs = {getattr(validity, n, None) for n in ("state", "start_property",
                                                        "end_property")}
        if prop in outputs:
            read = [getattr(validity, n, None) for n in ("start", "end", "effective")]
            bindings = [b for b in read if isinstance(b, str)]
            return Rule(rt.identifier, prop, "validity: " + ", ".join(bindings),
                        tuple(sorted({_first(b) for b in bindings})))
    return None


def _first(binding: str) -> str:
    return binding.partition(".")[0]


def _sources(conn: sa.Connection, project: Project, et: EntityType, key: str,
             values: list[ValueProvenance]) -> None:
    """The source resource behind each value the policy wrote, and the change that last set
    the source property its rule reads."""
    by_rule = {v.rule.resource_type for v in values if v.rule is not None}
    if not by_rule:
        return
    owners = dict(conn.execute(sa.select(ownership.c.resource_type, ownership.c.source_key)
                               .where(ownership.c.resource_type.in_(sorted(by_rule)),
                                      ownership.c.target_key == key)).all())
    missing = by_rule - set(owners)
    if missing:
        # A source gone (or a target it no longer owns): the order that wrote the value says.
        run_ids = sorted({v.origin.run_id for v in values if v.origin is not None
                          and v.rule is not None and v.rule.resource_type in missing})
        for rt_name, source_key in conn.execute(
                sa.select(provisioning_orders.c.resource_type, provisioning_orders.c.source_key)
                .where(provisioning_orders.c.run_id.in_(run_ids),
                       provisioning_orders.c.resource_type.in_(sorted(missing)),
                       provisioning_orders.c.target_key == key,
                       provisioning_orders.c.source_key.is_not(None))
                .order_by(provisioning_orders.c.id)):
            owners[rt_name] = source_key
    types = {rt.identifier: rt.source for rt in project.resource_types}
    pairs: dict[str, tuple[str, str]] = {}
    for rt_name, source_key in owners.items():
        found = project.entity_type(types.get(rt_name, ""))
        if found is not None:
            pairs[rt_name] = (found[1].identifier, source_key)
    last = last_changes(conn, pairs.values())
    for v in values:
        if v.rule is None or v.rule.resource_type not in pairs:
            continue
        v.source_entity_type, v.source_key = pairs[v.rule.resource_type]
        read = last.get(pairs[v.rule.resource_type], {})
        found_origins = [(read[p], p) for p in v.rule.source_properties if p in read]
        if found_origins:
            v.source_origin, v.source_property = max(found_origins,
                                                     key=lambda o: o[0].change_id)
        elif v.rule.source_properties:
            v.source_property = v.rule.source_properties[0]


def _states(conn: sa.Connection, entity_type: str, key: str,
            values: list[ValueProvenance]) -> None:
    """Who changed a value by hand and why: the property state (SPEC §6.4), and the audit log
    entry of the edit or approval that wrote the value."""
    by_property = {v.name: v for v in values}
    for prop, state, changed_by, reason in conn.execute(
            sa.select(property_states.c.property, property_states.c.state,
                      property_states.c.changed_by, property_states.c.reason)
            .where(property_states.c.entity_type == entity_type,
                   property_states.c.resource_key == key)):
        v = by_property.get(prop)
        if v is not None:
            v.state, v.changed_by, v.reason = state, changed_by, reason
    by_hand = {f"{entity_type} {key} {v.name}": v for v in values if v.by in AUDITED}
    if by_hand:
        actions = sorted({AUDITED[v.by] for v in by_hand.values() if v.by is not None})
        for actor, target, reason in conn.execute(
                sa.select(audit_log.c.actor, audit_log.c.target, audit_log.c.reason)
                .where(audit_log.c.action.in_(actions), audit_log.c.target.in_(sorted(by_hand)))
                .order_by(audit_log.c.id)):
            # The latest entry wins: the one of the write that set the value.
            by_hand[target].changed_by = actor
            by_hand[target].reason = reason or by_hand[target].reason
    for v in values:
        if v.by in AUDITED and v.reason is None and v.origin is not None:
            v.reason = v.origin.reason
