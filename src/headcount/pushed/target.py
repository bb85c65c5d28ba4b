"""What a push is checked against: the connector's pushed connection, the columns its mappings
read, their property types and the mapping key."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import sqlalchemy as sa

from headcount.config.model import Connector, Project, Property
from headcount.config.pushed import PushedConnection
from headcount.errors import NotFound
from headcount.pushed.errors import PushRefused
from headcount.pushed.scim import Flattener
from headcount.repository import deployments


@dataclass(frozen=True)
class PushTarget:
    connector: Connector
    connection: PushedConnection
    # Column → the property it feeds (typed checks); the key column must hold a value.
    typed: dict[str, Property]
    key_column: str
    # The connection's attribute paths, parsed once for every request of a deployment.
    flattener: Flattener


def push_target(project: Project, connector_id: str) -> PushTarget:
    """The pushed connection of `connector_id`; NotFound or PushRefused otherwise."""
    connector = project.connector(connector_id)
    if connector is None:
        raise NotFound(f"no connector `{connector_id}`")
    pushed = [c for c in connector.connections if isinstance(c, PushedConnection)]
    if not pushed:
        raise PushRefused(f"connector {connector.identifier} has no connection of package "
                          "`pushed`: its records come from files", 404, "invalidPath")
    connection = pushed[0]
    mappings = [m for m in connector.mappings
                if m.connection.lower() == connection.identifier.lower()]
    if not mappings:
        raise PushRefused(f"connection {connection.identifier} is mapped to no entity type",
                          404, "invalidPath")
    typed: dict[str, Property] = {}
    for mapping in mappings:
        et = connector.entity_type(mapping.entity_type)
        props = {p.identifier: p for p in et.properties}
        for prop, column in mapping.columns.items():
            if prop in props:
                typed.setdefault(column, props[prop])
    first = mappings[0]
    return PushTarget(connector, connection, typed, first.columns[first.key],
                      Flattener(connection.paths()))


class PushTargets:
    """The push targets of the configuration deployed last, made once per deployment: a request
    reads the id of the last deployment, not the whole configuration (parsing it cost more than
    storing the request's records)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._deployment: int | None = None
        self._project: Project | None = None
        self._targets: dict[str, PushTarget] = {}

    def get(self, conn: sa.Connection, connector_id: str) -> PushTarget:
        """`push_target` of the configuration deployed last; NothingDeployed, NotFound or
        PushRefused otherwise."""
        deployment_id = deployments.latest_id(conn)
        with self._guard:
            if deployment_id is not None and deployment_id == self._deployment:
                found = self._targets.get(connector_id)
                if found is not None:
                    return found
                project = self._project
            else:
                project = None
        if project is None:
            deployment_id, project = deployments.require_latest(conn)
        target = push_target(project, connector_id)
        with self._guard:
            if deployment_id != self._deployment:
                self._deployment, self._project, self._targets = deployment_id, project, {}
            self._targets[connector_id] = target
        return target
