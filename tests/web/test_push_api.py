"""The push API (docs/push.md) on SQLite and PostgreSQL: Entra-format bulk requests land as HR
resources and then identities; each operation answers for itself; idempotency keys; the batch
status through applied; a revoked token refused; JSON lines; full snapshots whose absent people
leave only through the deletion thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from headcount.jobs.blocked import resume
from headcount.project import ProjectContext
from headcount.repository import tokens
from headcount.repository.provenance import last_changes
from headcount.repository.schema import resources
from pushproject import CONTOSO, ENTERPRISE, bulk, push_app, push_token, settled, user


def _people(app: object, entity_type: str = "HR_Person") -> dict[str, str | None]:
    engine = app.state.headcount.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return {key: data for key, data in conn.execute(
            sa.select(resources.c.key, resources.c.data)
            .where(resources.c.entity_type == entity_type))}


def test_entra_bulk_requests_land_as_people_then_identities(tmp_path: Path, db_url: str) -> None:
    with push_app(tmp_path, db_url) as (app, client):
        token_id, headers = push_token(app)
        body = bulk(user("E90001", "Barbara", "Jensen", title="Tour guide"),
                    user("E90002", "John", "Smith", manager="E90001", active=True),
                    user("E90003", "Ann", "Lee", active=False, birth="31/02/1990"),
                    {"method": "PATCH", "bulkId": "p1", "path": "/Users/E90001", "data": {}},
                    user("E90004", "Tim", "Mo", nickName="Timmy"),
                    user("", "No", "Key"))
        answer = client.post("/api/push/HR/bulk", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        found = answer.json()
        assert answer.headers["location"] == f"/api/push/HR/requests/{found['id']}"
        statuses = [(op["bulkId"], op["status"]) for op in found["Operations"]]
        assert statuses == [("E90001", "202"), ("E90002", "202"), ("E90003", "400"),
                            ("p1", "400"), ("E90004", "400"), ("", "400")]
        details = [op.get("response", {}).get("detail", "") for op in found["Operations"]]
        assert details[2].startswith(f"{CONTOSO}:BirthDate: '31/02/1990' is not a date")
        assert details[3].startswith("method PATCH is not taken")
        assert details[4] == "unknown attribute nickName: no column of HR_People reads it"
        assert details[5] == f"{ENTERPRISE}:employeeNumber is required: it is the key"
        assert (found["accepted"], found["rejected"]) == (2, 4)
        status = settled(client, answer.headers["location"], headers)
        run = status["Operations"][0]["run"]
        assert [op["status"] for op in status["Operations"]] == \
            ["applied", "applied", "rejected", "rejected", "rejected", "rejected"]
        assert status["Operations"][0]["detail"] == f"applied by run {run}"
        people = _people(app)
        assert {"E90001", "E90002"} <= set(people)
        assert "E90003" not in people
        identities = _people(app, "Directory_User")
        assert {"E90001", "E90002"} <= set(identities)
        # An update: the newest record of a key wins.
        again = client.post("/api/push/HR/bulk", headers=headers, content=bulk(
            user("E90001", "Barbara", "Jensen", title="Head of tours")))
        assert again.status_code == 202
        settled(client, again.headers["location"], headers)
        assert json.loads(_people(app)["E90001"] or "{}")["Title"] == "Head of tours"
        with app.state.headcount.engine.connect() as conn:
            origins = last_changes(conn, [("HR_Person", "E90001")])[("HR_Person", "E90001")]
        assert f"pushed by token {token_id} (hris), request {again.json()['id']}, " \
               "operation 1" in origins["Title"].where()
