"""Per-value provenance (SPEC §15.1): where each value of a resource comes from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from headcount.repository import provenance
from headcount.repository.provenance import Origin, ResourceProvenance
from headcount.repository.users import User
from headcount.web.api.errors import GUARDED, responses
from headcount.web.api.models import Id
from headcount.web.api.timestamps import Instant
from headcount.web.auth import app_state, require

router = APIRouter(tags=["resources"], responses=responses(*GUARDED))
Reader = Annotated[User, Depends(require("read"))]


class OriginOut(BaseModel):
    run_id: int
    run_mode: str
    at: Instant | None
    kind: str
    connection: str | None
    file: str | None
    line: int | None


class ValueProvenanceOut(BaseModel):
    property: str
    navigation: bool
    value: Any
    text: str = Field(description="The provenance as a sentence: `set by HR file … line …, "
                                  "run …, rule …`.")
    set_by: str | None = Field(description="hr | policy | manual | reconciliation | workflow; "
                                           "null: no recorded change.")
    origin: OriginOut | None = Field(description="The change that last set the value.")
    rule: str | None = Field(description="`ResourceType.Property`, for a policy value.")
    rule_text: str | None
    source_entity_type: str | None
    source_key: str | None
    source_property: str | None
    source_origin: OriginOut | None = Field(
        description="The change that last set the source property the rule reads.")
    state: str | None = Field(description="The property state, when a person changed it.")
    changed_by: str | None
    reason: str | None


class ProvenanceOut(BaseModel):
    id: int
    entity_type: str
    key: str
    values: list[ValueProvenanceOut]


def _origin(o: Origin | None) -> OriginOut | None:
    if o is None:
        return None
    return OriginOut(run_id=o.run_id, run_mode=o.mode, at=o.at, kind=o.kind,
                     connection=o.connection, file=o.file, line=o.line)


def provenance_out(found: ResourceProvenance) -> ProvenanceOut:
    return ProvenanceOut(id=found.id, entity_type=found.entity_type, key=found.key, values=[
        ValueProvenanceOut(
            property=v.name, navigation=v.navigation, value=v.value, text=v.text, set_by=v.by,
            origin=_origin(v.origin), rule=v.rule.name if v.rule else None,
            rule_text=v.rule.text if v.rule else None,
            source_entity_type=v.source_entity_type, source_key=v.source_key,
            source_property=v.source_property, source_origin=_origin(v.source_origin),
            state=v.state, changed_by=v.changed_by, reason=v.reason) for v in found.values])


def _for(user: User, found: ResourceProvenance) -> ResourceProvenance:
    return found if user.can("decide") or user.can("edit") else found.without_people()


@router.get("/resources/{resource_id}/provenance", response_model=ProvenanceOut,
            responses=responses(404, 422))
def get_provenance(request: Request, user: Reader, resource_id: Id) -> ProvenanceOut:
    """For each property of a resource (by its id), the change that last set it: run, HR file
    and line, or the rule and the source resource with the HR file and line behind it."""
    state = app_state(request)
    with state.engine.connect() as conn:
        return provenance_out(_for(user, provenance.provenance_by_id(conn, state.project(),
                                                                     resource_id)))


@router.get("/entity-types/{entity_type}/provenance/{key:path}", response_model=ProvenanceOut,
            responses=responses(404, 422))
def get_provenance_by_key(request: Request, user: Reader, entity_type: str, key: str
                          ) -> ProvenanceOut:
    """The same, for the resource of an entity type with this key."""
    state = app_state(request)
    with state.engine.connect() as conn:
        return provenance_out(_for(user, provenance.provenance(conn, state.project(),
                                                               entity_type, key)))
