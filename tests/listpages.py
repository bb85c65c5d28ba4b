"""What the list tests share (issue 12): the sample project with a value that a spreadsheet would
run as a formula and identities named after their person, and the cells of a list page."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments
from webproject import make_project

FORMULA = '=HYPERLINK("http://x","y")'
FORMULA_KEY = "E00002"


def make_list_project(folder: Path, url: str, people: int = 200) -> Path:
    """The synchronized sample, where E00002's title is a formula, the person list shows each
    one's manager, and an identity's display name is its person's name (as the sample says
    once issue 12's names are in)."""
    make_project(folder, url, people=people, synchronized=False)
    hr = folder / "config" / "hr.yaml"
    hr.write_text(hr.read_text().replace(  # a navigation among the person list's columns
        "list_columns: [EmployeeId, LastName, FirstName, Email, Title, ContractType]",
        "list_columns: [EmployeeId, LastName, FirstName, Email, Title, ContractType, Manager]"))
    directory = folder / "config" / "directory.yaml"
    directory.write_text(directory.read_text().replace(
        'resource_display_name: "{Identifier}"', 'resource_display_name: "{FirstName} {LastName}"'))
    people_file = folder / "data" / "hr_people.csv"
    lines = people_file.read_text(encoding="latin-1").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(";")
    for n, line in enumerate(lines):
        cells = line.rstrip("\r\n").split(";")
        if cells[0] == FORMULA_KEY:
            cells[header.index("Title")] = '"' + FORMULA.replace('"', '""') + '"'
            lines[n] = ";".join(cells) + "\n"
    people_file.write_text("".join(lines), encoding="latin-1")
    ctx = ProjectContext.open(folder, url)
    try:
        with ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(folder))
        run = synchronize(ctx, SyncRequest("HR"))
        assert run.state.startswith("succeeded"), run.message
    finally:
        ctx.close()
    return folder


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.headers: list[str] = []
        self._cell: list[str] | None = None
        self._body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._body = True
        elif tag == "tr" and self._body:
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._body = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._body and self.rows:
                self.rows[-1].append(text)
            elif not self._body:
                self.headers.append(text.rstrip(" ▲▼"))  # the sorted column's arrow
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_of(html: str) -> tuple[list[str], list[list[str]]]:
    """The header cells and the body rows (cell texts) of the first table of a page."""
    cells = _Cells()
    cells.feed(html[html.index("<table"):html.index("</table>")])
    return cells.headers, cells.rows
