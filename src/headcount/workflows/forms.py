"""A workflow started by hand (SPEC §7.3): its form — generated from the subject's entity type
and the workflow's properties — the values typed into it checked field by field, and the
change set they give: a creation when the subject does not exist, an update of the values
that changed (with their before values) when it does. The web form, the API and the CLI start
a workflow through `start_by_hand`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from headcount.config.model import EntityType, Project, Property, PropertyType
from headcount.config.workflow import AUTOMATIC, Workflow
from headcount.errors import HeadcountError, NotFound
from headcount.repository.database import begin_write
from headcount.repository.locks import connector_lock
from headcount.repository.schema import links, resources
from headcount.repository.users import User
from headcount.workflows.changes import ResourceChange, WorkflowChanges, current
from headcount.workflows.engine import NotAllowed, may_act, start
from headcount.workflows.homonyms import Homonym, find, refresh

# A navigation offers its targets in a select up to this many; beyond, their key is typed.
CHOICES = 200
# What a form sends: text, a list of keys for a multi-valued navigation, or nothing (empty).
Given = Mapping[str, str | list[str] | None]


class FormErrors(HeadcountError):
    """Values a form refuses, each beside its field (`errors`: property → message)."""

    exit_code = 2  # as a wrong option value

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{p}: {m}" for p, m in errors.items()))


class HomonymsFound(HeadcountError):
    """A creation that may duplicate existing people: started only when asked again with
    `create anyway`."""

    exit_code = 7  # needs confirmation

    def __init__(self, homonyms: list[Homonym]) -> None:
        self.homonyms = homonyms
        shown = ", ".join(f"{h.display_name or h.key} ({h.key}: {', '.join(h.reasons)})"
                          for h in homonyms)
        super().__init__(f"{len(homonyms)} possible homonym{'s' if len(homonyms) > 1 else ''}"
                         f": {shown} — create anyway if this is another person")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    # text, int, decimal, date, datetime, bool, enum, navigation
    kind: str
    required: bool
    multiple: bool = False
    # An enum's values, a navigation's targets by name; None: typed as text.
    choices: list[Choice] | None = None
    # The current value (an update), as the form shows it.
    value: str | list[str] = ""
    is_key: bool = False


@dataclass(frozen=True)
class Started:
    instance_id: int
    subject_key: str
    kind: str  # insert | update
    changes: WorkflowChanges


@dataclass(frozen=True)
class Subject:
    """The workflow's subject as it is: None when the form creates it."""

    key: str | None
    values: dict[str, Any] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.key is not None


def may_start(project: Project, wf: Workflow, user: User) -> bool:
    """Who may act on its first activity; for a workflow that persists at once, who may
    change values by hand."""
    first = wf.activities[0]
    if first.template in AUTOMATIC:
        return user.role == "administrator" or user.can("edit")
    return may_act(project, wf, first, None, user)


def startable(project: Project, user: User) -> list[Workflow]:
    return [wf for wf in project.workflows if may_start(project, wf, user)]


def workflow(project: Project, name: str) -> tuple[Workflow, EntityType]:
    wf = project.workflow(name)
    found = project.entity_type(wf.entity_type) if wf else None
    if wf is None or found is None:
        raise NotFound(f"no workflow `{name}`")
    return wf, found[1]


def properties(wf: Workflow, et: EntityType) -> list[Property]:
    """The form's properties: the keys first, then the workflow's (all, when it names none)."""
    keys = key_names(et)
    named = [et.find_property(p) for p in wf.properties] if wf.properties else et.properties
    out = [p for p in et.properties if p.identifier in keys]
    return out + [p for p in named if p is not None and p.identifier not in keys]


def key_names(et: EntityType) -> list[str]:
    return et.keys or [p.identifier for p in et.scalar_properties[:1]]


def subject(conn: sa.Connection, et: EntityType, key: str | None) -> Subject:
    found = current(conn, et.identifier, key) if key else None
    if found is None or key is None:
        return Subject(None)
    held: dict[str, list[str]] = {}
    for navigation, target in conn.execute(sa.select(links.c.navigation, links.c.target_key)
                                           .where(links.c.source_id == found[0])
                                           .order_by(links.c.target_key)):
        held.setdefault(str(navigation).partition(".")[2], []).append(str(target))
    return Subject(key, found[1], held)


def fields(conn: sa.Connection, project: Project, wf: Workflow, et: EntityType,
           now: Subject) -> list[FormField]:
    required = {p.lower() for p in [*key_names(et), *wf.required]}
    out = []
    for prop in properties(wf, et):
        kind = prop.type.value
        choices: list[Choice] | None = None
        value: str | list[str]
        if prop.is_navigation:
            choices = _targets(conn, project, prop)
            held = now.links.get(prop.identifier, [])
            value = held if prop.multivalued else (held[0] if held else "")
        else:
            if prop.type is PropertyType.ENUM:
                choices = [Choice(v, v) for v in prop.values or []]
            raw = now.values.get(prop.identifier)
            value = "" if raw is None else ("true" if raw is True else "false" if raw is False
                                            else str(raw))
        out.append(FormField(prop.identifier, prop.display_name or prop.identifier, kind,
                             prop.identifier.lower() in required, prop.multivalued, choices,
                             value, prop.identifier in key_names(et)))
    return out


def _targets(conn: sa.Connection, project: Project, prop: Property) -> list[Choice] | None:
    found = project.entity_type(prop.target or "")
    if found is None:
        return None
    rows = conn.execute(sa.select(resources.c.key, resources.c.data).where(
        resources.c.entity_type == found[1].identifier).order_by(resources.c.key)
        .limit(CHOICES + 1)).all()
    if len(rows) > CHOICES:
        return None
    named = [Choice(k, found[1].display(json.loads(d)) or k) for k, d in rows]
    return sorted(named, key=lambda c: (c.label.casefold(), c.value))


def typed(prop: Property, text: str) -> Any:
    """A value typed into a form, as the repository holds its property's type; ValueError
    with a message for the person."""
    kind = prop.type
    if kind is PropertyType.INT:
        try:
            return int(text)
        except ValueError:
            raise ValueError("a whole number") from None
    if kind is PropertyType.DECIMAL:
        try:
            return str(Decimal(text))
        except InvalidOperation:
            raise ValueError("a number") from None
    if kind is PropertyType.BOOL:
        answer = {"true": True, "yes": True, "false": False, "no": False}.get(text.lower())
        if answer is None:
            raise ValueError("true or false")
        return answer
    if kind is PropertyType.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("a date (YYYY-MM-DD)") from None
    if kind is PropertyType.DATETIME:
        try:
            return datetime.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("a date and time (YYYY-MM-DDTHH:MM)") from None
    if kind is PropertyType.ENUM and text not in (prop.values or []):
        raise ValueError(f"one of {', '.join(prop.values or [])}")
    return text


def _keys(given: str | list[str] | None) -> list[str]:
    items = given if isinstance(given, list) else (given or "").split(",")
    return sorted({k.strip() for k in items if k and k.strip()})


def changes_of(conn: sa.Connection, project: Project, wf: Workflow, et: EntityType,
               now: Subject, given: Given) -> tuple[str, ResourceChange]:
    """The subject's key and the change the given values make: every given value of a
    creation; of an update, only those that differ from the current ones. FormErrors names
    each refused value."""
    props = {p.identifier.lower(): p for p in properties(wf, et)}
    keys = key_names(et)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    targets: dict[str, list[str]] = {}
    for name, raw in given.items():
        prop = props.get(name.lower())
        if prop is None:
            errors[name] = f"not a property of {wf.identifier}"
            continue
        if prop.is_navigation:
            chosen = _keys(raw)
            if len(chosen) > 1 and not prop.multivalued:
                errors[prop.identifier] = "one value only"
            targets[prop.identifier] = chosen
            continue
        text = raw if isinstance(raw, str) else ", ".join(raw or [])
        text = text.strip()
        try:
            values[prop.identifier] = typed(prop, text) if text else None
        except ValueError as exc:
            errors[prop.identifier] = f"`{text}` is not {exc}"
    errors |= _missing_targets(conn, project, et, targets)
    required = {p.lower() for p in [*keys, *wf.required]}
    for prop in props.values():
        name = prop.identifier
        held = targets.get(name) if prop.is_navigation else values.get(name)
        given_now = name in targets or name in values
        empty = not held if prop.is_navigation else held is None
        if name.lower() in required and name not in errors and (
                (given_now and empty) or (not given_now and not now.exists)):
            errors[name] = "required"
    if errors:
        raise FormErrors(errors)
    if now.exists:
        assert now.key is not None
        for name in keys:
            if name in values and values[name] != now.values.get(name):
                errors[name] = f"the key of {now.key} cannot change here"
        if errors:
            raise FormErrors(errors)
        changed = {p: (now.values.get(p), v) for p, v in values.items()
                   if now.values.get(p) != v}
        moved = {n: (now.links.get(n, []), k) for n, k in targets.items()
                 if sorted(now.links.get(n, [])) != k}
        return now.key, ResourceChange(et.identifier, now.key, "update", changed, moved)
    key = str(values[keys[0]])
    if current(conn, et.identifier, key) is not None:
        raise FormErrors({keys[0]: f"{et.identifier} {key} exists already: update it instead"})
    return key, ResourceChange(et.identifier, key, "insert",
                               {p: (None, v) for p, v in values.items() if v is not None},
                               {n: ([], k) for n, k in targets.items() if k})


def _missing_targets(conn: sa.Connection, project: Project, et: EntityType,
                     targets: dict[str, list[str]]) -> dict[str, str]:
    errors = {}
    for name, chosen in targets.items():
        prop = et.find_property(name)
        if not chosen or prop is None or prop.target is None:
            continue
        found = set(conn.execute(sa.select(resources.c.key).where(
            resources.c.entity_type == prop.target, resources.c.key.in_(chosen))).scalars())
        unknown = [k for k in chosen if k not in found]
        if unknown:
            errors[name] = f"no {prop.target} {', '.join(unknown)}"
    return errors


def start_by_hand(engine: sa.Engine, project: Project, name: str, key: str | None,
                  given: Given, user: User, message: str | None = None,
                  create_anyway: bool = False) -> Started:
    """Start workflow `name` on the subject `key` (or a new one, named by its key values)
    with the given values. FormErrors for refused values, HomonymsFound for a creation that
    may duplicate someone unless `create_anyway`."""
    wf, et = workflow(project, name)
    if not may_start(project, wf, user):
        raise NotAllowed(f"{user.name} may not start {wf.identifier}")
    found = project.entity_type(wf.entity_type)
    assert found is not None
    with engine.connect() as conn:
        # Checked before any lock: refused values and homonyms cost no writer its turn.
        change = changes_of(conn, project, wf, et, subject(conn, et, key), _with_key(et, key,
                                                                                 given, conn))[1]
    if change.kind == "insert" and not create_anyway:
        homonyms = check(engine, project, wf, {p: a for p, (_, a) in change.values.items()})
        if homonyms:
            raise HomonymsFound(homonyms)
    # A workflow whose first activity persists writes at once: the connector's lock first.
    with connector_lock(engine, found[0].identifier), begin_write(engine) as conn:
        subject_key, change = changes_of(conn, project, wf, et, subject(conn, et, key),
                                         _with_key(et, key, given, conn))
        if not change.values and not change.links:
            raise FormErrors({"": "nothing changes: every value is the current one"})
        changes = WorkflowChanges([change])
        instance = start(conn, project, wf.identifier, changes, actor=user.name,
                         message=message, subject_key=subject_key)
    return Started(instance, subject_key, change.kind, changes)


def _with_key(et: EntityType, key: str | None, given: Given, conn: sa.Connection) -> Given:
    """A subject named by a key that does not exist yet is created with that key."""
    if not key or current(conn, et.identifier, key) is not None:
        return given
    first = key_names(et)[0]
    return {first: key, **{k: v for k, v in given.items() if k.lower() != first.lower() or v}}


def check(engine: sa.Engine, project: Project, wf: Workflow, values: Mapping[str, Any],
          exclude: str | None = None) -> list[Homonym]:
    """The homonyms of a creation's values, the index brought up to date in a transaction of
    its own (kept even when the creation is refused)."""
    if wf.homonyms is None:
        return []
    found = project.entity_type(wf.entity_type)
    assert found is not None
    with begin_write(engine) as conn:
        refresh(conn, found[1].identifier, wf.homonyms)
    with engine.connect() as conn:
        return find(conn, project, wf, values, exclude)
