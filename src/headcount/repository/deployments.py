"""Deployed configurations (SPEC §2 reload): the validated configuration becomes the running one
atomically, with a diff of what changed; removing a property that holds data needs confirmation."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from headcount.config.loader import SETTINGS
from headcount.config.model import Project
from headcount.errors import HeadcountError
from headcount.repository import query_indexes
from headcount.repository.naming import Naming, rebuild
from headcount.repository.resources import json_value
from headcount.repository.runs import now
from headcount.repository.schema import deployments, links, resources


class NothingDeployed(HeadcountError):
    exit_code = 2  # a configuration problem: nothing valid is running

    def __init__(self) -> None:
        super().__init__("no configuration is deployed yet: run `headcount reload`")


class NeedsConfirmation(HeadcountError):
    exit_code = 7


@dataclass
class ConfigDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        return ([f"+ {a}" for a in self.added] + [f"- {r}" for r in self.removed]
                + [f"~ {c}" for c in self.changed])


def digest(project: Project) -> str:
    return hashlib.sha256(project.model_dump_json().encode()).hexdigest()


def latest(conn: sa.Connection) -> tuple[int, Project] | None:
    row = conn.execute(sa.select(deployments.c.id, deployments.c.config)
                       .order_by(deployments.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return int(row[0]), Project.model_validate_json(row[1])


def latest_id(conn: sa.Connection) -> int | None:
    """The id of the configuration deployed last, without reading it: what a cache of the
    parsed configuration compares with."""
    found = conn.execute(sa.select(deployments.c.id).order_by(deployments.c.id.desc())
                         .limit(1)).scalar()
    return None if found is None else int(found)


def require_latest(conn: sa.Connection) -> tuple[int, Project]:
    found = latest(conn)
    if found is None:
        raise NothingDeployed()
    return found


def _objects(project: Project) -> dict[str, str]:
    """Every named object of a configuration with a fingerprint of its settings."""
    out: dict[str, str] = {}
    for c in project.connectors:
        out[f"connector {c.identifier}"] = json.dumps(
            c.model_dump(include={"display_name", "thresholds", "agent", "active", "jobs"}),
            sort_keys=True, default=str)
        for conn in c.connections:
            out[f"connection {c.identifier}/{conn.identifier}"] = conn.model_dump_json()
        for et in c.entity_types:
            out[f"entity type {et.identifier}"] = json.dumps(
                et.model_dump(exclude={"properties"}), sort_keys=True, default=str)
            for p in et.properties:
                out[f"property {et.identifier}.{p.identifier}"] = p.model_dump_json()
        for m in c.mappings:
            out[f"mapping {m.entity_type} ← {m.connection}"] = m.model_dump_json()
        for a in c.associations:
            out[f"association {a.navigation} ← {a.connection}"] = a.model_dump_json()
    for rt in project.resource_types:
        out[f"resource type {rt.identifier}"] = rt.model_dump_json()
    # Every other list section, whole items: a change to one of them alone is deployed too.
    for section in sorted(set(Project.model_fields)
                          - {"connectors", "resource_types", *SETTINGS}):
        for item in getattr(project, section):
            out[f"{section.rstrip('s').replace('_', ' ')} {item.identifier}"] = \
                item.model_dump_json()
    # Only when given: a project without the section shows no change when it gains the default.
    for section in SETTINGS:
        given = getattr(project, section)
        if given != Project.model_fields[section].get_default(call_default_factory=True):
            out[section] = given.model_dump_json()
    return out


def config_diff(old: Project | None, new: Project) -> ConfigDiff:
    before = _objects(old) if old else {}
    after = _objects(new)
    return ConfigDiff(
        added=sorted(k for k in after if k not in before),
        removed=sorted(k for k in before if k not in after),
        changed=sorted(k for k in after if k in before and before[k] != after[k]),
    )


def data_at_risk(conn: sa.Connection, diff: ConfigDiff) -> list[str]:
    """Removed properties and entity types that still hold data."""
    risks: list[str] = []
    for item in diff.removed:
        kind, _, name = item.partition(" ")
        if item.startswith("entity type "):
            et = item[len("entity type "):]
            n = conn.execute(sa.select(sa.func.count()).select_from(resources)
                             .where(resources.c.entity_type == et)).scalar_one()
            if n:
                risks.append(f"entity type {et} holds {n:,} resources")
        elif kind == "property":
            et, _, prop = name.partition(".")
            n_links = conn.execute(sa.select(sa.func.count()).select_from(links)
                                   .where(links.c.navigation == name)).scalar_one()
            if n_links:
                risks.append(f"navigation {name} holds {n_links:,} links")
                continue
            value = json_value(resources.c.data, prop, conn.dialect.name)
            n = conn.execute(sa.select(sa.func.count()).select_from(resources).where(
                resources.c.entity_type == et, value.is_not(None))).scalar_one()
            if n:
                risks.append(f"property {et}.{prop} holds values in {n:,} resources")
    return risks


def deploy(conn: sa.Connection, project: Project, confirm: bool = False
           ) -> tuple[int | None, ConfigDiff]:
    """Make `project` the running configuration. Returns (deployment id or None when nothing
    changed, diff)."""
    current = latest(conn)
    diff = config_diff(current[1] if current else None, project)
    if current and diff.is_empty():
        return None, diff
    risks = data_at_risk(conn, diff)
    if risks and not confirm:
        raise NeedsConfirmation("removing configuration that holds data: " + "; ".join(risks)
                                + ". Run again with --confirm to deploy anyway.")
    new_id = conn.execute(sa.insert(deployments).values(
        created_at=now(), digest=digest(project), config=project.model_dump_json(),
        summary=json.dumps(diff.lines(), ensure_ascii=False),
    ).returning(deployments.c.id)).scalar_one()
    # Names follow the templates: the types whose display name or searched columns changed
    # are named again, in the deployment's transaction.
    naming = Naming(project)
    rebuild(conn, naming, naming.changed_types(Naming(current[1] if current else None)))
    query_indexes.ensure(conn, project)
    return int(new_id), diff
