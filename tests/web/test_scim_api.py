"""The read-only SCIM view of the identities (/scim/v2, docs/scim.md) through HTTP, on SQLite
and PostgreSQL: discovery, the Users with the enterprise extension, filters, sorts, pages,
attributes, ETags, refused writes and tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, tokens
from headcount.repository.database import begin_write
from headcount.repository.names import display_names
from headcount.repository.schema import links, resources
from headcount.samples import hrfiles
from scimproject import PEOPLE, SCIM_JSON, reader, scim_app
from webproject import make_app, make_project

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USERS = "/scim/v2/Users"


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> FastAPI:
    return scim_app(tmp_path, db_url)


def identities(app: FastAPI) -> dict[str, dict[str, Any]]:
    """Each identity's values and its current record's (the sample's records are open)."""
    engine = app.state.headcount.engine
    record = resources.alias("r")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(resources.c.key, resources.c.data, record.c.data)
                            .join(links, sa.and_(links.c.target_id == resources.c.id,
                                                 links.c.navigation
                                                 == "Directory_UserRecord.User"))
                            .join(record, record.c.id == links.c.source_id)
                            .where(resources.c.entity_type == "Directory_User")).all()
    return {key: {**json.loads(data), "record": json.loads(values)}
            for key, data, values in rows}


def everyone(client: TestClient, headers: dict[str, str], query: str = "") -> list[Any]:
    found: list[Any] = []
    while True:
        page = client.get(f"{USERS}?startIndex={len(found) + 1}&count=1000{query}",
                          headers=headers).json()
        found += page["Resources"]
        if len(found) >= page["totalResults"]:
            return found


def test_discovery_describes_a_read_only_view(app: FastAPI) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    # RFC 7643 §5: the configuration is readable without authentication.
    config = client.get("/scim/v2/ServiceProviderConfig")
    assert config.status_code == 200
    assert config.headers["content-type"].startswith(SCIM_JSON)
    body = config.json()
    assert body["patch"] == {"supported": False}
    assert body["bulk"]["supported"] is False
    assert body["changePassword"] == {"supported": False}
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["sort"] == {"supported": True}
    assert body["etag"] == {"supported": True}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = client.get("/scim/v2/ResourceTypes", headers=headers).json()["Resources"]
    assert [(t["name"], t["endpoint"]) for t in types] == [("User", "/Users")]
    assert types[0]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    schemas = {s["id"] for s in client.get("/scim/v2/Schemas", headers=headers)
               .json()["Resources"]}
    assert schemas == {"urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE}
    # No Groups: organizations are the Users' department and organization.
    groups = client.get("/scim/v2/Groups", headers=headers)
    assert groups.status_code == 404
    assert groups.json()["schemas"] == [ERROR]


def test_a_user_is_the_identity_with_its_current_record(app: FastAPI) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    people = identities(app)
    key = sorted(people)[10]
    person = people[key]
    answer = client.get(f"{USERS}/{key}", headers=headers)
    assert answer.status_code == 200
    user = answer.json()
    engine = app.state.headcount.engine
    with engine.connect() as conn:
        project = deployments.require_latest(conn)[1]
        manager_key = conn.execute(
            sa.select(links.c.target_key).join(resources, resources.c.id == links.c.source_id)
            .where(resources.c.entity_type == "Directory_UserRecord",
                   resources.c.key == person["record"]["RecordIdentifier"],
                   links.c.navigation == "Directory_UserRecord.Manager")).scalar_one()
        names = display_names(conn, project, [("Directory_User", key),
                                              ("Directory_User", manager_key)])
    assert user["id"] == key
    assert user["userName"] == key
    assert user["externalId"] == person["EmployeeId"]
    assert user["displayName"] == names[("Directory_User", key)]
    assert user["name"] == {"givenName": person["FirstName"], "familyName": person["LastName"]}
    assert user["active"] is (person["State"] == "active")
    assert user["title"] == person["record"]["Title"]
    assert user["emails"] == [{"value": person["record"]["Email"], "type": "work",
                               "primary": True}]
    enterprise = user[ENTERPRISE]
    assert enterprise["employeeNumber"] == person["EmployeeId"]
    assert enterprise["department"]
    assert enterprise["manager"] == {
        "value": manager_key, "$ref": f"http://testserver{USERS}/{manager_key}",
        "displayName": names[("Directory_User", manager_key)]}
    meta = user["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"] == f"http://testserver{USERS}/{key}"
    assert meta["version"] == answer.headers["etag"]
    assert meta["version"].startswith('W/"1-')
    assert meta["created"]
    assert meta["lastModified"] >= meta["created"]
    missing = client.get(f"{USERS}/NOBODY", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["schemas"] == [ERROR]


def test_filters_agree_with_the_repository(app: FastAPI) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    people = identities(app)

    def keys(scim_filter: str) -> set[str]:
        return {u["id"] for u in everyone(client, headers, f"&filter={scim_filter}")}

    def where(test: Any) -> set[str]:
        return {k for k, p in people.items() if test(p)}

    key = sorted(people)[42]
    assert keys(f'userName eq "{key}"') == {key}
    assert keys(f'userName eq "{key.lower()}"') == {key}  # userName is not case-exact
    assert keys(f'id eq "{key.lower()}"') == set()  # id is
    assert keys('name.familyName sw "m"') == where(
        lambda p: p["LastName"].lower().startswith("m"))
    assert keys('emails co "ar"') == where(lambda p: "ar" in p["record"]["Email"].lower())
    assert keys('emails[type eq "work" and value ew ".example"]') == set(people)
    assert keys('title pr') == where(lambda p: bool(p["record"]["Title"]))
    assert keys('active eq true') == where(lambda p: p["State"] == "active")
    assert keys('active eq false') == where(lambda p: p["State"] != "active")
    assert keys(f'{ENTERPRISE}:employeeNumber eq "{key}" or userName eq "{sorted(people)[0]}"'
                ) == {key, sorted(people)[0]}
    assert keys('not (name.givenName pr)') == set()
    assert keys('name.familyName sw "m" and not (active eq true)') == where(
        lambda p: p["LastName"].lower().startswith("m") and p["State"] != "active")
    manager = client.get(f"{USERS}/{key}", headers=headers).json()[ENTERPRISE]["manager"]
    reports = keys(f'{ENTERPRISE}:manager.value eq "{manager["value"]}"')
    assert key in reports
    assert all(client.get(f"{USERS}/{k}", headers=headers).json()[ENTERPRISE]["manager"]
               ["value"] == manager["value"] for k in reports)
    # Dates: every identity was made by the first run, before now and after 2000.
    assert keys('meta.created gt "2000-01-01T00:00:00Z"') == set(people)
    assert keys('meta.lastModified lt "2000-01-01T00:00:00Z"') == set()
    bad = client.get(f'{USERS}?filter=shoeSize eq "42"', headers=headers)
    assert bad.status_code == 400
    assert bad.json()["scimType"] == "invalidFilter"
    assert bad.json()["schemas"] == [ERROR]
    unparsable = client.get(f'{USERS}?filter=userName eq', headers=headers)
    assert unparsable.status_code == 400
    assert unparsable.json()["scimType"] == "invalidFilter"
    # A search with POST (RFC 7644 §3.4.3) is a read too.
    searched = client.post(f"{USERS}/.search", headers={**headers, "Content-Type": SCIM_JSON},
                           json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:"
                                             "SearchRequest"],
                                 "filter": f'userName eq "{key}"', "attributes": ["userName"]})
    assert searched.status_code == 200
    assert [u["userName"] for u in searched.json()["Resources"]] == [key]


def test_sorts_and_pages(app: FastAPI) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    people = identities(app)
    listed = everyone(client, headers, "&sortBy=name.familyName&sortOrder=descending")
    assert len(listed) == PEOPLE == len({u["id"] for u in listed})
    families = [u["name"]["familyName"].lower() for u in listed]
    assert families == sorted(families, reverse=True)
    pages = [client.get(f"{USERS}?sortBy=userName&startIndex={start}&count=30",
                        headers=headers).json() for start in range(1, PEOPLE + 1, 30)]
    assert all(p["totalResults"] == PEOPLE for p in pages)
    assert [p["startIndex"] for p in pages] == list(range(1, PEOPLE + 1, 30))
    paged = [u["userName"] for p in pages for u in p["Resources"]]
    assert paged == sorted(people)
    assert pages[-1]["itemsPerPage"] == PEOPLE % 30
    # count=0 counts, and the default page is 100 (ServiceProviderConfig's pagination).
    counted = client.get(f"{USERS}?count=0", headers=headers).json()
    assert counted["totalResults"] == PEOPLE
    assert counted.get("Resources", []) == []
    assert client.get(USERS, headers=headers).json()["itemsPerPage"] == 100
    beyond = client.get(f"{USERS}?startIndex={PEOPLE + 5}", headers=headers).json()
    assert beyond["totalResults"] == PEOPLE
    assert beyond.get("Resources", []) == []


def test_attributes_and_excluded_attributes(app: FastAPI) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    key = sorted(identities(app))[3]
    only = client.get(f"{USERS}/{key}?attributes=userName,{ENTERPRISE}:department",
                      headers=headers).json()
    assert set(only) == {"schemas", "id", "userName", ENTERPRISE}
    assert set(only[ENTERPRISE]) == {"department"}
    without = client.get(f"{USERS}?filter=userName eq \"{key}\"&excludedAttributes=emails,"
                         f"{ENTERPRISE}", headers=headers).json()["Resources"][0]
    assert "emails" not in without
    assert ENTERPRISE not in without
    assert without["userName"] == key
    assert "name" in without


def test_etags_answer_304_until_the_identity_changes(app: FastAPI, tmp_path: Path,
                                                     db_url: str) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    before = {u["id"]: u for u in everyone(client, headers)}
    key = sorted(before)[0]
    version = before[key]["meta"]["version"]
    same = client.get(f"{USERS}/{key}", headers={**headers, "If-None-Match": version})
    assert same.status_code == 304
    assert same.headers["etag"] == version
    assert not same.content
    other = client.get(f"{USERS}/{key}", headers={**headers, "If-None-Match": 'W/"0-x"'})
    assert other.status_code == 200
    # The next day's file: joiners, movers and leavers.
    folder = tmp_path / "hr"
    hrfiles.write_dataset(hrfiles.generate_next_day(hrfiles.generate_day_one(PEOPLE)),
                          folder / "data")
    ctx = ProjectContext.open(folder, db_url)
    try:
        assert synchronize(ctx, SyncRequest("HR")).state == "succeeded"
    finally:
        ctx.close()
    after = {u["id"]: u for u in everyone(client, headers)}
    changed = {k for k in before if k in after
               and _shown(before[k]) != _shown(after[k])}
    assert changed, "the next day changes some identities"
    # Every change shown moves the version; so does a run changing a value the view does not
    # show (the version follows the history), and nothing else.
    for k in before.keys() & after.keys():
        moved = after[k]["meta"]["version"] != before[k]["meta"]["version"]
        touched = after[k]["meta"]["lastModified"] != before[k]["meta"]["lastModified"]
        assert moved == (k in changed or touched), k
        assert after[k]["meta"]["lastModified"] >= before[k]["meta"]["lastModified"]
    for k in changed:
        stale = client.get(f"{USERS}/{k}", headers={
            **headers, "If-None-Match": before[k]["meta"]["version"]})
        assert stale.status_code == 200
        assert stale.headers["etag"] == after[k]["meta"]["version"]
    assert after.keys() - before.keys(), "the joiners are Users too"


def _shown(user: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in user.items() if k != "meta"}


def test_writes_are_refused_with_scim_errors(app: FastAPI) -> None:
    client = TestClient(app)
    _, headers = reader(app)
    headers = {**headers, "Content-Type": SCIM_JSON}
    key = sorted(identities(app))[0]
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "intruder"}
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "userName", "value": "intruder"}]}
    bulk = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "1", "data": user}]}
    # RFC 7644 §3.12: 403 "operation is not permitted"; 501 "the service provider does not
    # support the request operation" for what ServiceProviderConfig declares unsupported.
    for method, path, body, status in [("POST", USERS, user, 403),
                                       ("PUT", f"{USERS}/{key}", user, 403),
                                       ("DELETE", f"{USERS}/{key}", None, 403),
                                       ("PATCH", f"{USERS}/{key}", patch, 501),
                                       ("POST", "/scim/v2/Bulk", bulk, 501)]:
        answer = client.request(method, path, headers=headers, json=body)
        assert answer.status_code == status, (method, path, answer.text)
        error = answer.json()
        assert error["schemas"] == [ERROR]
        assert error["status"] == str(status)
        assert error["detail"]
    assert client.get(f"{USERS}/{key}", headers=headers).json()["userName"] == key
    assert client.get(f'{USERS}?filter=userName eq "intruder"', headers=headers) \
        .json()["totalResults"] == 0


def test_tokens_missing_out_of_scope_or_revoked_get_a_scim_401(app: FastAPI) -> None:
    client = TestClient(app)
    token_id, headers = reader(app)
    assert client.get(USERS, headers=headers).status_code == 200
    _, pusher = reader(app, (tokens.PUSH,), ("HR",))
    with begin_write(app.state.headcount.engine) as conn:
        tokens.revoke(conn, token_id, "admin")
    for presented in ({}, {"Authorization": "Bearer hcs_not-a-token"}, pusher, headers):
        answer = client.get(USERS, headers=presented)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["schemas"] == [ERROR]
        assert answer.json()["status"] == "401"


def test_the_mapping_is_configured_and_a_path_naming_nothing_is_left_out(
        tmp_path: Path, db_url: str) -> None:
    extra = tmp_path / "scim.yaml"
    extra.write_text("scim:\n  users:\n    attributes:\n      userName: Records.Login\n"
                     "      displayName: $display\n      emails: Records.Email\n"
                     "      manager: Records.Manager\n      nickName: ShoeSize\n",
                     encoding="utf-8")
    folder = make_project(tmp_path / "hr", db_url, people=PEOPLE, extra=[extra])
    app = make_app(folder, db_url)
    client = TestClient(app)
    _, headers = reader(app)
    people = identities(app)
    key = sorted(people)[7]
    login = people[key]["record"]["Login"]
    user = client.get(f"{USERS}/{key}", headers=headers).json()
    assert user["userName"] == login
    assert user["emails"][0]["value"] == people[key]["record"]["Email"]
    assert set(user[ENTERPRISE]) == {"manager"}
    # Not mapped: absent, and matching no filter.
    assert "nickName" not in user
    assert "externalId" not in user
    assert "active" not in user
    found = client.get(f'{USERS}?filter=userName eq "{login.upper()}"', headers=headers).json()
    assert [u["id"] for u in found["Resources"]] == [key]
    assert client.get(f"{USERS}?filter=active eq true", headers=headers) \
        .json()["totalResults"] == 0
    logins = [u["userName"] for u in everyone(client, headers, "&sortBy=userName")]
    assert logins == sorted(logins, key=str.lower)
    app.state.headcount.engine.dispose()
