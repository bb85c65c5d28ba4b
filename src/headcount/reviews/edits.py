"""Manual edits of Directory values (SPEC §6.4). A value no rule computes belongs to people and
is simply written. A value HR computes is written too, and becomes an unreconciled property (its
proposed value: the one HR had computed) — or, with an expiry, an override that HR respects until
then. Navigations are not edited here yet."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from headcount.config.model import Connector, EntityType, Project
from headcount.errors import HeadcountError, NotFound
from headcount.policy.reconciliation import computed_properties
from headcount.repository import property_states, runs
from headcount.repository.database import begin_write
from headcount.repository.property_states import PropertyState
from headcount.repository.schema import ownership
from headcount.reviews.values import InvalidValue, canonical
from headcount.reviews.writes import connector_lock, current_values, write_run

MODE = "manual"
MAX_REASON = 2000


class EditRefused(HeadcountError):
    """A manual edit that cannot be made as asked; the message names the value and why."""

    exit_code = 4  # refused, as the command line says of a request it cannot take


@dataclass(frozen=True)
class ManualEdit:
    entity_type: str
    key: str
    values: Mapping[str, Any]
    reason: str
    # An override: HR's value comes back at this instant.
    expires_at: datetime | None = None


@dataclass
class EditResult:
    run_id: int | None
    # property → (before, after), the values that changed
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    # property → its state now (None: no state; HR's computed value agrees or no rule computes it)
    states: dict[str, str | None] = field(default_factory=dict)
    # Computed values that HR will overwrite anyway (`discard_manual_changes`).
    discarded: list[str] = field(default_factory=list)


def editable(project: Project, entity_type: str) -> bool:
    """Resources a person may change here: those of a resource type's target entity type, or of
    a connector that reads no file. An HR resource is changed in its HR file."""
    found = project.entity_type(entity_type)
    if found is None:
        return False
    connector, et = found
    return not connector.connections \
        or any(_same_type(project, rt.target, et) for rt in project.resource_types)


def _same_type(project: Project, name: str, et: EntityType) -> bool:
    found = project.entity_type(name)
    return found is not None and found[1].identifier == et.identifier


def edit_resource(engine: sa.Engine, project: Project, edit: ManualEdit, actor: str,
                  now: datetime | None = None) -> EditResult:
    """Check the edit, then write it as a run of the resource's connector with the property
    states it creates, all in one transaction, audited."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    connector, et = _target(project, edit.entity_type)
    reason = _reason(edit.reason)
    wanted = _parsed(et, edit.values)
    computed = computed_properties(project, et.identifier)
    expires_at = _expiry(edit.expires_at, now, wanted, computed)
    with connector_lock(engine, connector.identifier), begin_write(engine) as conn:
        runs.ensure_connector(conn, connector.identifier)
        runs.lock_connector(conn, connector.identifier)
        current = current_values(conn, et.identifier, edit.key)
        if current is None:
            raise NotFound(f"no {et.identifier} with key `{edit.key}`")
        changed = {p: (current.get(p), v) for p, v in wanted.items() if current.get(p) != v}
        result = EditResult(None, changed)
        if not changed:
            return result
        held = property_states.of_resource(conn, et.identifier, edit.key)
        owners = _owners(conn, computed, edit.key)
        discarding = {rt.identifier for rt in project.resource_types
                      if rt.discard_manual_changes}
        for prop, (before, after) in changed.items():
            if prop not in computed:
                result.states[prop] = None
                continue
            rt = owners.get(prop) or computed[prop][0]
            if rt in discarding:
                result.discarded.append(prop)
                continue
            result.states[prop] = _hold(conn, held.get(prop), et.identifier, edit.key, prop,
                                        rt, before, after, reason, expires_at, actor, now)
        result.run_id = write_run(conn, connector, et, {edit.key: changed}, MODE, reason,
                                  actor, MODE)
        for prop in changed:
            runs.audit(conn, actor, "manual edit", f"{et.identifier} {edit.key} {prop}",
                       reason)
    return result


def _target(project: Project, entity_type: str) -> tuple[Connector, EntityType]:
    found = project.entity_type(entity_type)
    if found is None:
        raise NotFound(f"no entity type `{entity_type}`")
    if not editable(project, entity_type):
        raise EditRefused(f"{found[1].identifier} resources are read from HR files: change "
                          "them in the file, not by hand")
    return found


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise EditRefused("give a reason: it is kept with the change and shown to reviewers")
    if len(text) > MAX_REASON or "\x00" in text:
        raise EditRefused(f"a reason holds at most {MAX_REASON} characters (no NUL)")
    return text


def _parsed(et: EntityType, values: Mapping[str, Any]) -> dict[str, Any]:
    if not values:
        raise EditRefused("give at least one value to change")
    out: dict[str, Any] = {}
    problems: list[str] = []
    names = [p.identifier for p in et.properties]
    for name, value in values.items():
        prop = et.find_property(name)
        if prop is None:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f" — did you mean `{close[0]}`?" if close else ""
            problems.append(f"`{name}` is not a property of {et.identifier}{hint}")
        elif prop.is_navigation:
            problems.append(f"`{prop.identifier}` is a navigation: links are not changed by "
                            "hand yet")
        elif prop.identifier in et.keys:
            problems.append(f"`{prop.identifier}` is a key of {et.identifier}: it identifies "
                            "the resource and cannot be changed by hand")
        else:
            try:
                out[prop.identifier] = canonical(prop, value)
            except InvalidValue as exc:
                problems.append(str(exc))
    if problems:
        raise EditRefused("; ".join(problems))
    return out


def _expiry(expires_at: datetime | None, now: datetime, wanted: Mapping[str, Any],
            computed: Mapping[str, list[str]]) -> datetime | None:
    if expires_at is None:
        return None
    try:
        moment = (expires_at if expires_at.tzinfo is not None
                  else expires_at.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise EditRefused("the expiry date is out of range") from None
    if moment <= now:
        raise EditRefused("an expiry date is in the future: HR's value comes back then")
    if not any(p in computed for p in wanted):
        raise EditRefused("an expiry date applies to values HR computes ("
                          + ", ".join(sorted(computed)) + "); none is changed here")
    return moment


def _owners(conn: sa.Connection, computed: Mapping[str, list[str]], key: str
            ) -> dict[str, str]:
    """property → the resource type that owns this target and computes the property."""
    candidates = {rt for names in computed.values() for rt in names}
    owning = set(conn.execute(sa.select(ownership.c.resource_type).where(
        ownership.c.target_key == key, ownership.c.resource_type.in_(sorted(candidates))))
        .scalars())
    return {prop: next(rt for rt in names if rt in owning)
            for prop, names in computed.items() if any(rt in owning for rt in names)}


def _hold(conn: sa.Connection, state: PropertyState | None, entity_type: str, key: str,
          prop: str, resource_type: str, before: Any, after: Any, reason: str,
          expires_at: datetime | None, actor: str, now: datetime) -> str | None:
    """Record that a person holds `after` against HR's value; the state it is in now."""
    kind: property_states.State = "override" if expires_at is not None else "unreconciled"
    if state is None:
        # Without a state the value before the edit is the one HR computed.
        property_states.create(conn, entity_type, key, prop, resource_type, kind, after,
                               before, reason, expires_at, actor, now)
        return kind
    if after == state.proposed_value:
        # Back to HR's value: nothing left to reconcile.
        property_states.delete(conn, [state.id])
        return None
    property_states.update(conn, state.id, state=kind, manual_value=after, reason=reason,
                           expires_at=expires_at, changed_by=actor, changed_at=now,
                           decided_by=None, decided_at=None)
    return kind
