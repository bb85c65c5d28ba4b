"""The entity lists (issue 12 item 3): filters with operators and on navigations picked by name,
sort, page size, a total, and the export of every filtered row — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from headcount.web.app import create_app
from listpages import FORMULA, FORMULA_KEY, make_list_project, table_of
from webproject import login

HTML = {"Accept": "text/html"}
PEOPLE = "/entity-types/HR_Person"
COUNT = 200  # the sample's people


@pytest.fixture
def client(tmp_path: Path, db_url: str) -> Iterator[TestClient]:
    folder = make_list_project(tmp_path / "hr", db_url)
    app = create_app(folder, db_url)
    with TestClient(app) as opened:
        login(opened, "admin")
        yield opened
    app.state.headcount.engine.dispose()


def rows(client: TestClient, query: str, path: str = PEOPLE) -> list[dict[str, str]]:
    answer = client.get(path + query, headers=HTML)
    assert answer.status_code == 200, answer.text[:500]
    headers, body = table_of(answer.text)
    return [dict(zip(headers, r, strict=False)) for r in body if len(r) == len(headers)]


def read(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(c)).lower()


def exported(client: TestClient, query: str) -> list[dict[str, str]]:
    answer = client.get(PEOPLE + query, headers=HTML)
    assert answer.status_code == 200
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_filters_and_their_operators(client: TestClient) -> None:
    everyone = exported(client, "?export=csv")
    assert len(everyone) == COUNT
    by_key = {p["Key"]: p for p in everyone}
    some = by_key["E00010"]

    found = rows(client, f"?f.LastName.contains={some['Last name'][1:4].upper()}&size=200")
    assert some["Key"] in {r["Key"] for r in found}
    assert all(some["Last name"][1:4].lower() in r["Last name"].lower() for r in found)
    starts = rows(client, f"?f.FirstName.starts={some['First name'][:2]}&size=200")
    assert {r["Key"] for r in starts} == {
        p["Key"] for p in everyone
        if p["First name"].lower().startswith(some["First name"][:2].lower())}
    assert [r["Key"] for r in rows(client, "?f.EmployeeId.is=e00010")] == ["E00010"]
    # As people type names: accents and case ignored.
    accented = next(p for p in everyone if read(p["Last name"]) != p["Last name"].lower())
    found = rows(client, f"?f.LastName.is={read(accented['Last name'])}&size=200")
    assert accented["Key"] in {r["Key"] for r in found}

    empty = rows(client, "?f.Email.empty=1&size=200")
    filled = rows(client, "?f.Email.filled=1&size=200")
    assert len(empty) + len(filled) == COUNT
    assert all(r["E-mail"] == "—" for r in empty)
    assert all(r["E-mail"] != "—" for r in filled)

    # Dates: before and after a day, with the day itself in neither.
    listed = {p["Key"]: p for p in exported(client, "?export=csv&f.ContractStartDate.filled=1")}
    assert listed
    before = exported(client, "?export=csv&f.ContractStartDate.before=2015-01-01")
    after = exported(client, "?export=csv&f.ContractStartDate.after=2014-12-31")
    assert {p["Key"] for p in before} | {p["Key"] for p in after} == set(listed)
    assert not {p["Key"] for p in before} & {p["Key"] for p in after}

    # A navigation: the organization picked by its name, kept in the link by its key.
    answer = client.get(PEOPLE + f"?f.Organization.is={FORMULA_KEY}", headers=HTML)
    assert "no Organization named" in answer.text
    person = client.get(f"/api/entity-types/HR_Person/resources/{some['Key']}").json()
    (org_key,) = [t["key"] for t in person["links"]["Organization"]]
    org = client.get(f"/api/entity-types/HR_Organization/resources/{org_key}").json()
    moved = client.get(PEOPLE + "?fp=Organization&fo=is&fv=" + org["display_name"].upper(),
                       headers=HTML, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"{PEOPLE}?f.Organization.is={org_key}"
    page = client.get(moved.headers["location"], headers=HTML).text
    assert f"Organization is {org['display_name']} ({org_key})" in page
    members = {r["Key"] for r in rows(client, f"?f.Organization.is={org_key}&size=200")}
    assert some["Key"] in members
    assert members == {p["key"] for p in client.get(
        f"/api/entity-types/HR_Organization/resources/{org_key}").json()["reverse"]
        ["HR_Person.Organization"]}

    # A navigation column reads its target's name, its key beside it.
    (manager,) = [t["key"] for t in person["links"]["Manager"]]
    boss = client.get(f"/api/entity-types/HR_Person/resources/{manager}").json()
    (row,) = rows(client, f"?f._key.is={some['Key']}")
    assert row["Manager"] == f"{boss['display_name']} {manager}"
    assert by_key[some["Key"]]["Manager"] == boss["display_name"]  # exported by name

    # Filters combine; a bad date is said, not applied.
    both = rows(client, f"?f.Organization.is={org_key}&f.Email.filled=1&size=200")
    assert {r["Key"] for r in both} <= members
    bad = client.get(PEOPLE + "?f.ContractStartDate.before=31/12/2020", headers=HTML).text
    assert "is not a date (YYYY-MM-DD)" in bad
    assert "200 resources" in bad


def test_sort_page_size_and_total(client: TestClient) -> None:
    first = client.get(PEOPLE + "?sort=LastName&desc=1&size=25", headers=HTML)
    assert "200 resources" in first.text
    assert 'aria-sort="descending"' in first.text
    _, body = table_of(first.text)
    listed = rows(client, "?sort=LastName&desc=1&size=25")
    assert len(body) == len(listed) == 25
    # As people read names: case and accents ignored (Åberg among the A).
    names = [read(r["Last name"]) for r in listed]
    assert names == sorted(names, reverse=True)
    second = rows(client, "?sort=LastName&desc=1&size=25&page=2")
    assert not {r["Key"] for r in listed} & {r["Key"] for r in second}
    assert "Page 8 of 8" in client.get(PEOPLE + "?size=25&page=8", headers=HTML).text
    by_name = [read(r["Name"]) for r in rows(client, "?sort=_name&size=100")]
    assert by_name == sorted(by_name)
    # The page size is kept by every link of the page.
    assert "size=25" in first.text.split('aria-label="Pages"')[1]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_the_filtered_rows_with_a_formula(client: TestClient, fmt: str) -> None:
    query = f"?f.Title.starts==HYP&sort=LastName&size=25&page=1&export={fmt}"
    answer = client.get(PEOPLE + query, headers=HTML)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
        assert sheet is not None
        table = [[c.value for c in row] for row in sheet.iter_rows()]
        title = table[1][table[0].index("Title")]
        assert isinstance(title, str)
        assert sheet.cell(2, table[0].index("Title") + 1).data_type \
            == "s"
    assert table[0][:3] == ["Name", "Key", "Employee ID"]
    assert [r[1] for r in table[1:]] == [FORMULA_KEY]
    assert table[1][table[0].index("Title")] == "'" + FORMULA
    # All the filtered rows, not one page: the export of 25 per page holds them all.
    every = client.get(PEOPLE + f"?size=25&sort=LastName&export={fmt}", headers=HTML)
    if fmt == "csv":
        keys = [r[1] for r in csv.reader(io.StringIO(every.content.decode("utf-8-sig")))][1:]
        assert len(keys) == COUNT
        shown = [r["Key"] for r in rows(client, "?sort=LastName&size=200")]
        assert keys == shown


def test_the_identity_list_shows_names(client: TestClient) -> None:
    person = client.get("/api/entity-types/HR_Person/resources/E00010").json()["values"]
    found = rows(client, f"?q={person['LastName']}&size=200", "/entity-types/Directory_User")
    assert f"{person['FirstName']} {person['LastName']}" in {r["Name"] for r in found}
    listed = rows(client, "?size=200", "/entity-types/Directory_User")
    assert listed
    assert all(r["Name"] != r["Key"] and r["Name"].strip() for r in listed)
