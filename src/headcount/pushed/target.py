"""What a push is checked against: the connector's pushed connection, the columns its mappings
read, their property types and the mapping key."""

from __future__ import annotations

from dataclasses import dataclass

from headcount.config.model import Connector, Project, Property
from headcount.config.pushed import PushedConnection
from headcount.errors import NotFound
from headcount.pushed.errors import PushRefused
from headcount.pushed.scim import Flattener


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
