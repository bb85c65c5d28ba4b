"""The page of one workflow instance (SPEC §7.3): its subject, message, change set with names,
tasks, decisions, where it came from (the run that started it) and, while it waits, what HR
said since. Linked from the identity page, the run page and the tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from headcount.repository.names import display_names
from headcount.repository.users import User
from headcount.web.api.models import Id
from headcount.web.api.tasks import instance_out
from headcount.web.auth import app_state, require
from headcount.web.rendering import render
from headcount.workflows import history, tasks

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]


@router.get("/workflows/{instance_id}", response_class=HTMLResponse)
def workflow_page(request: Request, user: Reader, instance_id: Id) -> Response:
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        instance = instance_out(conn, project, tasks.get_instance(conn, project, instance_id))
        notes = history.notes_of(conn, instance_id)
        # What HR says since, by name: one lookup for every resource of its change set.
        note_names = display_names(conn, project, [
            (c["entity_type"], c["key"]) for c in (notes or {}).get("changes", [])])
    return render(request, "workflow.html", {"i": instance, "notes": notes,
                                             "note_names": note_names}, user)
