"""The sample HR files of `examples/hr`: deterministic, in the dialects the configuration declares,
consistent (every manager exists), and with a next day small enough not to be blocked."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "examples" / "generate.py"
PROJECT = REPO / "examples" / "hr"
DAY_ONE = date(2026, 11, 26)

PEOPLE = "hr_people.csv"
ORGANIZATIONS = "hr_organizations.csv"
SITES = "hr_sites.csv"
CONTRACT_TYPES = "hr_contract_types.csv"
FILES = [PEOPLE, ORGANIZATIONS, SITES, CONTRACT_TYPES]
PEOPLE_HEADER = [
    "EmployeeId", "FirstName", "LastName", "BirthName", "Email", "Title", "OrganizationCode",
    "SiteCode", "ManagerId", "ContractType", "ContractStartDate", "ContractEndDate",
    "PositionStartDate", "BirthDate",
]

Rows = list[dict[str, str]]


def generate(out: Path, *args: str, hash_seed: str = "0") -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), *args],
                   check=True, env=env, capture_output=True)


def read(folder: Path, name: str) -> Rows:
    encoding, separator = {
        PEOPLE: ("latin-1", ";"), ORGANIZATIONS: ("utf-8-sig", ","), SITES: ("utf-8", ","),
        CONTRACT_TYPES: ("utf-8", ","),
    }[name]
    with (folder / name).open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=separator))


def parse_date(value: str) -> date:
    return datetime.strptime(value, "%d/%m/%Y").date()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hr") / "data"
    generate(out)
    return out


@pytest.fixture(scope="module")
def next_day(data: Path) -> Path:
    return data / "next_day"


# --------------------------------------------------------------------------------------------
# Determinism


def test_output_is_byte_identical_across_runs_and_hash_seeds(
        data: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, hash_seed="12345")
    for name in FILES:
        assert (again / name).read_bytes() == (data / name).read_bytes(), name
        assert (again / "next_day" / name).read_bytes() == \
            (data / "next_day" / name).read_bytes(), name


def test_next_day_flag_writes_the_next_day_in_place(next_day: Path, tmp_path: Path) -> None:
    generate(tmp_path, "--next-day")
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (next_day / name).read_bytes(), name
    assert not (tmp_path / "next_day").exists()


def test_seed_and_size_change_the_output(data: Path, tmp_path: Path) -> None:
    generate(tmp_path / "seed", "--seed", "7")
    generate(tmp_path / "size", "--people", "500")
    assert (tmp_path / "seed" / PEOPLE).read_bytes() != (data / PEOPLE).read_bytes()
    assert len(read(tmp_path / "size", PEOPLE)) == 500


def test_too_few_people_is_refused(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failure:
        generate(tmp_path, "--people", "10")
    assert b"--people" in failure.value.stderr


# --------------------------------------------------------------------------------------------
# Dialects and encodings


@pytest.mark.parametrize("day", ["", "next_day"])
def test_people_file_is_latin1_semicolon_lf_with_14_columns(data: Path, day: str) -> None:
    raw = (data / day / PEOPLE).read_bytes()
    text = raw.decode("latin-1")
    assert b"\r" not in raw
    assert not any("\x80" <= ch <= "\x9f" for ch in text)  # no cp1252 leaking in
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # accents really are latin-1 bytes
    records = list(csv.reader(text.splitlines(), delimiter=";"))
    assert records[0] == PEOPLE_HEADER
    assert {len(r) for r in records} == {14}
    assert 1900 <= len(records) - 1 <= 2100
    for ch in "éèçöñø":
        assert ch in text, ch


def test_people_file_exercises_quoting(data: Path) -> None:
    assert b'"Directeur du ""Lab"""' in (data / PEOPLE).read_bytes()


@pytest.mark.parametrize("day", ["", "next_day"])
def test_organizations_file_has_bom_crlf_and_quoted_names(data: Path, day: str) -> None:
    raw = (data / day / ORGANIZATIONS).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n") > 50
    assert raw[3:].decode("utf-8").startswith("Code,Name,ParentCode,ManagerId\r\n")
    assert '"Recherche, Développement & Innovation"'.encode() in raw
    assert b'"Le ""Lab"""' in raw
    names = {o["Name"] for o in read(data / day, ORGANIZATIONS)}
    assert {"Recherche, Développement & Innovation", 'Le "Lab"'} <= names


def test_sites_file(data: Path) -> None:
    raw = (data / SITES).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    sites = read(data, SITES)
    assert list(sites[0]) == ["Code", "Name", "City", "Country", "TimeZone"]
    assert 6 <= len(sites) <= 10
    zones = {s["TimeZone"] for s in sites}
    assert {"Europe/Paris", "America/New_York", "Asia/Tokyo"} <= zones


# --------------------------------------------------------------------------------------------
# Content


@pytest.mark.parametrize("day", ["", "next_day"])
def test_every_reference_resolves(data: Path, day: str) -> None:
    people = read(data / day, PEOPLE)
    organizations = read(data / day, ORGANIZATIONS)
    sites = {s["Code"] for s in read(data / day, SITES)}
    ids = [p["EmployeeId"] for p in people]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 6 and i.startswith("E") and i[1:].isdigit() for i in ids)
    codes = {o["Code"] for o in organizations}
    assert len([p for p in people if not p["ManagerId"]]) == 1  # only the top has no manager
    assert {p["ManagerId"] for p in people if p["ManagerId"]} <= set(ids)
    assert {p["OrganizationCode"] for p in people} <= codes
    assert {p["SiteCode"] for p in people} <= sites
    assert {o["ManagerId"] for o in organizations} <= set(ids)
    roots = [o for o in organizations if not o["ParentCode"]]
    assert len(roots) == 1
    parents = {o["Code"]: o["ParentCode"] for o in organizations}
    for code in parents:  # a tree: every chain reaches the root
        seen = set()
        while parents[code]:
            assert code not in seen
            seen.add(code)
            code = parents[code]
            assert code in parents


@pytest.mark.parametrize("day", ["", "next_day"])
def test_some_managers_are_listed_after_their_reports(data: Path, day: str) -> None:
    people = read(data / day, PEOPLE)
    position = {p["EmployeeId"]: i for i, p in enumerate(people)}
    assert any(p["ManagerId"] and position[p["ManagerId"]] > i for i, p in enumerate(people))
    organizations = read(data / day, ORGANIZATIONS)
    where = {o["Code"]: i for i, o in enumerate(organizations)}
    assert any(o["ParentCode"] and where[o["ParentCode"]] > i
               for i, o in enumerate(organizations))


def test_contracts(data: Path) -> None:
    people = read(data, PEOPLE)
    types = {p["ContractType"] for p in people}
    assert types == {"permanent", "fixed-term", "interim", "contractor", "trainee"}
    for p in people:
        start = parse_date(p["ContractStartDate"])
        if p["ContractType"] == "permanent":
            assert p["ContractEndDate"] == "", p
        elif p["ContractType"] == "fixed-term":
            assert parse_date(p["ContractEndDate"]) > start, p
    assert any(parse_date(p["ContractStartDate"]) > DAY_ONE for p in people)
    assert any(p["ContractEndDate"] and parse_date(p["ContractEndDate"]) > DAY_ONE
               for p in people)


def test_homonyms_stray_spaces_and_emails(data: Path) -> None:
    people = read(data, PEOPLE)
    names: dict[tuple[str, str], int] = {}
    for p in people:
        key = (p["FirstName"].strip(), p["LastName"].strip())
        names[key] = names.get(key, 0) + 1
    homonyms = [n for n, count in names.items() if count > 1]
    assert 2 <= len(homonyms) <= 10
    assert any(p["FirstName"] != p["FirstName"].strip() or p["LastName"] != p["LastName"].strip()
               for p in people)
    emails = [p["Email"] for p in people if p["Email"]]
    assert len(set(emails)) == len(emails)
    assert all(e.isascii() and e.count("@") == 1 for e in emails)


def test_everyone_has_a_birth_date_of_an_adult(data: Path) -> None:
    for p in read(data, PEOPLE):
        age = (DAY_ONE - parse_date(p["BirthDate"])).days / 365.25
        assert 19 < age < 65, p


# --------------------------------------------------------------------------------------------
# The next day


def _diff(before: Rows, after: Rows, key: str) -> tuple[list[str], list[str], list[str]]:
    old = {r[key]: r for r in before}
    new = {r[key]: r for r in after}
    inserted = [k for k in new if k not in old]
    deleted = [k for k in old if k not in new]
    updated = [k for k in new if k in old and new[k] != old[k]]
    return inserted, deleted, updated


def test_next_day_people_changes(data: Path, next_day: Path) -> None:
    before, after = read(data, PEOPLE), read(next_day, PEOPLE)
    inserted, deleted, updated = _diff(before, after, "EmployeeId")
    assert len(inserted) == 20 + 2  # joiners, and 2 conversions under their new key
    assert len(deleted) == 10 + 2  # leavers, and the 2 converted under their old key
    old = {p["EmployeeId"]: p for p in before}
    new = {p["EmployeeId"]: p for p in after}
    end_dated = [k for k in updated if not old[k]["ContractEndDate"] and new[k]["ContractEndDate"]]
    moved = [k for k in updated if any(old[k][c] != new[k][c]
                                       for c in ("OrganizationCode", "Title", "ManagerId"))]
    assert len(end_dated) == 5
    assert len(moved) == 15
    assert len(updated) == 20
    for column in ("OrganizationCode", "Title", "ManagerId"):
        assert any(old[k][column] != new[k][column] for k in moved), column
    # Nobody reports to a leaver; new ids continue the numbering.
    assert not {p["ManagerId"] for p in after} & set(deleted)
    assert min(inserted) > max(old)


def test_conversions_are_contractors_back_as_employees_under_a_new_key(
        data: Path, next_day: Path) -> None:
    before, after = read(data, PEOPLE), read(next_day, PEOPLE)
    inserted, deleted, _ = _diff(before, after, "EmployeeId")
    old = {p["EmployeeId"]: p for p in before}
    new = {p["EmployeeId"]: p for p in after}

    def person(p: dict[str, str]) -> tuple[str, str, str]:
        return p["FirstName"], p["LastName"], p["BirthDate"]

    gone = {person(old[k]): k for k in deleted}
    back = [k for k in inserted if person(new[k]) in gone]
    assert len(back) == 2
    for key in back:
        was = old[gone[person(new[key])]]
        assert was["ContractType"] == "contractor"
        assert new[key]["ContractType"] == "permanent"
        assert parse_date(new[key]["ContractStartDate"]) == date(2026, 11, 27)
        assert new[key]["ContractEndDate"] == ""
        assert int(new[key]["EmployeeId"][1:]) > int(was["EmployeeId"][1:])


def test_a_joiner_manages_a_joiner_listed_before_them(data: Path, next_day: Path) -> None:
    before, after = read(data, PEOPLE), read(next_day, PEOPLE)
    inserted, _, _ = _diff(before, after, "EmployeeId")
    position = {p["EmployeeId"]: i for i, p in enumerate(after)}
    pairs = [(p["EmployeeId"], p["ManagerId"]) for p in after
             if p["EmployeeId"] in inserted and p["ManagerId"] in inserted]
    assert pairs
    assert any(position[manager] > position[report] for report, manager in pairs)


def test_next_day_organization_changes(data: Path, next_day: Path) -> None:
    before, after = read(data, ORGANIZATIONS), read(next_day, ORGANIZATIONS)
    inserted, deleted, updated = _diff(before, after, "Code")
    assert (len(inserted), len(deleted), len(updated)) == (1, 0, 1)
    old = {o["Code"]: o for o in before}
    new = {o["Code"]: o for o in after}
    assert old[updated[0]]["Name"] != new[updated[0]]["Name"]
    assert new[inserted[0]]["ParentCode"] in old
    assert read(data, SITES) == read(next_day, SITES)


@pytest.mark.parametrize(("name", "key"), [(PEOPLE, "EmployeeId"), (ORGANIZATIONS, "Code"),
                                           (SITES, "Code")])
def test_next_day_stays_under_the_default_thresholds(
        data: Path, next_day: Path, name: str, key: str) -> None:
    before = read(data, name)
    for changes in _diff(before, read(next_day, name), key):
        assert len(changes) < 100
        assert len(changes) < 0.05 * len(before), (name, changes)


# --------------------------------------------------------------------------------------------
# The sample project's configuration reads these files


def test_configuration_loads_and_maps_existing_columns(data: Path) -> None:
    from headcount.config import load_project_config

    project = load_project_config(PROJECT)
    connector = project.connector("HR")
    assert connector is not None
    headers = {name: list(read(data, name)[0]) for name in FILES}
    for mapping in connector.mappings:
        path = _csv_path(connector.connection(mapping.connection))
        assert path is not None
        assert set(mapping.columns.values()) <= set(headers[Path(path).name]), mapping
    for association in connector.associations:
        path = _csv_path(connector.connection(association.connection))
        assert path is not None
        assert association.column in headers[Path(path).name], association


def _csv_path(connection: object) -> str | None:
    from headcount.config.model import Connection

    assert isinstance(connection, Connection)
    return connection.path


def test_connection_reads_the_people_file(data: Path) -> None:
    from headcount.config import load_project_config
    from headcount.config.model import Connection
    from headcount.connections.csvfile import read_csv

    connector = load_project_config(PROJECT).connector("HR")
    assert connector is not None
    for connection in connector.connections:
        assert isinstance(connection, Connection)
        assert connection.path is not None
        table = read_csv(data / Path(connection.path).name, connection)
        assert table.rejected == []
        assert table.file.rows == len(read(data, Path(connection.path).name))
    people_connection = connector.connection("HR_People")
    assert isinstance(people_connection, Connection)
    people = read_csv(data / PEOPLE, people_connection)
    first_names = people.frame["FirstName"].to_list()
    assert all(n == n.strip() for n in first_names)  # values_to_trim


def test_user_types_come_from_the_contract_types_of_the_hr_data(data: Path) -> None:
    contract_types = {row["Code"]: row for row in read(data, CONTRACT_TYPES)}
    assert set(contract_types) == {p["ContractType"] for p in read(data, PEOPLE)}
    external = {code for code, row in contract_types.items() if row["IsExternal"] == "true"}
    assert external == {"interim", "contractor"}
    assert {contract_types[c]["LoginPrefix"] for c in external} == {"x-"}
