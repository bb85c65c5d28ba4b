"""The sample HR project with its people pushed instead of read from a file: connection HR_People
of package `pushed`, read from SCIM attributes as Microsoft Entra's API-driven inbound
provisioning sends them (core, enterprise extension, a custom extension). Organizations, sites
and contract types still come from the sample files, loaded by a first run; the sample policy
turns the pushed people into identities."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, tokens
from headcount.samples import hrfiles
from headcount.web.app import create_app

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CONTOSO = "urn:ietf:params:scim:schemas:extension:contoso:1.0:User"
PUSHED = f"""      - identifier: HR_People
        package: pushed
        attributes:
          EmployeeId: "{ENTERPRISE}:employeeNumber"
          FirstName: name.givenName
          LastName: name.familyName
          Email: 'emails[type eq "work"].value'
          Title: title
          UserName: userName
          ExternalId: externalId
          Active: active
          OrganizationCode: "{ENTERPRISE}:department"
          ManagerId: "{ENTERPRISE}:manager.value"
          BirthName: "{CONTOSO}:BirthName"
          SiteCode: "{CONTOSO}:SiteCode"
          ContractType: "{CONTOSO}:ContractType"
          ContractStartDate: "{CONTOSO}:HireDate"
          ContractEndDate: "{CONTOSO}:ContractEndDate"
          PositionStartDate: "{CONTOSO}:PositionStartDate"
          BirthDate: "{CONTOSO}:BirthDate"
"""
# Pushed people arrive a few at a time: no brake on insertions and updates; every deletion (a
# person absent from a full snapshot) waits for a person to resume the run.
THRESHOLDS = """    thresholds: {max_inserted_pct: 10000, max_updated_pct: 10000,
                 max_links_inserted_pct: 10000, max_links_deleted_pct: 10000, max_deleted: 0}
"""


def push_config(folder: Path) -> None:
    """The sample configuration in `folder/config`, HR_People pushed."""
    (folder / "config").mkdir(parents=True)
    for name in ("directory.yaml", "policy.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    text = Path(hrfiles.__file__).with_name("hr.yaml").read_text(encoding="utf-8")
    start = text.index("      - identifier: HR_People")
    end = text.index("      - identifier: HR_Organizations")
    text = text[:start] + PUSHED + text[end:]
    text = text.replace("    connections:\n", THRESHOLDS + "    connections:\n", 1)
    (folder / "config" / "hr.yaml").write_text(text, encoding="utf-8")


def make_push_project(folder: Path, url: str) -> Path:
    push_config(folder)
    hrfiles.main(["--out", str(folder / "data"), "--people", "200"])
    ctx = ProjectContext.open(folder, url)
    try:
        with ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(folder))
        synchronize(ctx, SyncRequest("HR"))  # organizations, sites, contract types
    finally:
        ctx.close()
    return folder


@contextmanager
def push_app(folder: Path, url: str) -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app(make_push_project(folder / "hr", url), url)
    try:
        with TestClient(app) as client:
            yield app, client
    finally:
        app.state.headcount.engine.dispose()


def push_token(app: FastAPI, name: str = "hris") -> tuple[int, dict[str, str]]:
    """A service token with the scope `push` on HR: (its id, the request headers)."""
    with app.state.headcount.engine.begin() as conn:
        token, secret = tokens.create(conn, name, ["push"], ["HR"], "root")
    return token.id, {"Authorization": f"Bearer {secret}",
                      "Content-Type": "application/scim+json"}


def user(employee: str, first: str, last: str, **more: Any) -> dict[str, Any]:
    """A user as Entra's documented bulk example shapes it: core, enterprise, custom."""
    data: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, CONTOSO],
        "externalId": employee,
        "userName": f"{first.lower()}.{last.lower()}@example.com",
        "name": {"familyName": last, "givenName": first},
        "emails": [{"value": f"{first.lower()}.{last.lower()}@example.com", "type": "work",
                    "primary": True}],
        "title": more.pop("title", "Tour guide"),
        ENTERPRISE: {"employeeNumber": employee, "department": more.pop("org", "ORG001"),
                     "manager": {"value": more.pop("manager", None)}},
        CONTOSO: {"SiteCode": "PAR", "ContractType": more.pop("contract", "permanent"),
                  "HireDate": more.pop("hire", "2024-05-01T00:00:00-08:00"),
                  "BirthDate": more.pop("birth", "1980-02-03")},
    }
    if "active" in more:
        data["active"] = more.pop("active")
    data.update(more)
    return data


def bulk(*items: dict[str, Any]) -> str:
    """A BulkRequest: each user made by `user` in a `POST /Users` operation (its bulkId its
    employee number); any other item is an operation as given."""
    return json.dumps({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "bulkId": item[ENTERPRISE]["employeeNumber"],
                        "path": "/Users", "data": item} if ENTERPRISE in item else item
                       for item in items]})


def settled(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    """The status of a request once no operation waits (the run queued for it has ended).
    Waits for that event, with a bound against a run that never comes."""
    deadline = time.monotonic() + 120
    while True:
        status = client.get(location, headers=headers).json()
        if all(op["status"] != "waiting" for op in status["Operations"]):
            return dict(status)
        assert time.monotonic() < deadline, f"still waiting: {status}"
        time.sleep(0.05)
