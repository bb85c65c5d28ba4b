"""The list model (web/tables.py): what a query string asks for, and the links that change one
thing of a list while keeping the rest."""

from __future__ import annotations

from urllib.parse import parse_qsl

from headcount.web.export import ExportFormat
from headcount.web.tables import Column, Filter, Kind, Operator, Table, ordered, parse, window

COLUMNS = [Column("LastName", "Last name"), Column("Start", "Start date", Kind.DATE),
           Column("Manager", "Manager", Kind.NAVIGATION, target="HR_Person"),
           Column("Photo", "Photo", sortable=False, filterable=False)]



def test_filters_sort_page_and_export_from_the_query_string() -> None:
    query = parse(parse_qsl("f.LastName.contains=mar&f.Start.after=2024-01-01&f.Manager.empty=1"
                            "&sort=Start&desc=1&size=25&page=3&export=xlsx&q=x"), COLUMNS,
                  keep=("q",))
    assert query.filters == (Filter("LastName", Operator.CONTAINS, "mar"),
                             Filter("Start", Operator.AFTER, "2024-01-01"),
                             Filter("Manager", Operator.EMPTY))
    assert (query.sort, query.desc, query.size, query.page, query.offset) == \
        ("Start", True, 25, 3, 50)
    assert query.export is ExportFormat.XLSX
    assert query.kept == (("q", "x"),)
    assert not query.problems


def test_what_cannot_apply_is_left_out_and_said() -> None:
    query = parse(parse_qsl("f.Start.before=31/12/2024&f.LastName.before=x&f.Photo.is=a"
                            "&f.Nope.is=1&f.LastName.contains=&sort=Photo&size=7&page=-2",
                            keep_blank_values=True),
                  COLUMNS)
    assert query.filters == ()
    assert [p.parameter for p in query.problems] == [
        "f.Start.before", "f.LastName.before", "f.Photo.is", "f.Nope.is", "f.LastName.contains"]
    assert "is not a date" in query.problems[0].message
    assert (query.sort, query.size, query.page) == (None, 50, 1)


def test_the_filter_bar_and_the_older_form() -> None:
    query = parse([("fp", "Manager"), ("fv", "Martin"), ("f.LastName", "Dupont")], COLUMNS)
    assert query.added
    assert query.filters == (Filter("LastName", Operator.EQUALS, "Dupont"),
                             Filter("Manager", Operator.EQUALS, "Martin"))
    assert query.href() == "?f.LastName.is=Dupont&f.Manager.is=Martin"


def test_links_keep_everything_but_what_they_change() -> None:
    query = parse(parse_qsl("q=x&f.LastName.starts=du&sort=LastName&size=100&page=2"),
                  COLUMNS, keep=("q",), sort="Start", desc=True)
    table = Table(COLUMNS, query, 1234, lambda n: f"{n} people")
    assert dict(parse_qsl(table.sort_href("LastName")[1:])) == {
        "q": "x", "f.LastName.starts": "du", "sort": "LastName", "desc": "1", "size": "100"}
    assert table.aria_sort("LastName") == "ascending"
    assert table.aria_sort("Start") == "none"
    # The list's own order is left out of its links.
    assert parse([("sort", "Start"), ("desc", "1")], COLUMNS, sort="Start", desc=True
                 ).href() == "?"
    assert "page=3" in table.page_href(3)
    assert "size=25" in table.size_href(25)
    assert "page" not in table.size_href(25)
    assert table.export_href("csv").endswith("export=csv")
    assert "f.LastName" not in table.without_href(query.filters[0])
    assert table.pages == 13
    assert table.total_text() == "1234 people"


def test_lists_in_memory_ordered_and_paged() -> None:
    rows: list[dict[str, object]] = [{"n": "b"}, {"n": None}, {"n": "A"}, {"n": 10},
                                     {"n": 9}]
    assert [r["n"] for r in ordered(rows, lambda r: r["n"], False)] == [9, 10, "A", "b", None]
    assert [r["n"] for r in ordered(rows, lambda r: r["n"], True)] == ["b", "A", 10, 9, None]
    asked: list[tuple[int, int]] = []

    def fetch(limit: int, offset: int) -> tuple[int, list[dict[str, object]]]:
        asked.append((limit, offset))
        return len(rows), rows[offset:offset + limit]

    assert window(parse([("size", "25")], [Column("n", "N")], sort="n"), "n", fetch,
                  lambda r, c: r[c])[1] == rows
    assert asked == [(25, 0)]  # the store's own order: one page asked
    total, page = window(parse([("sort", "n"), ("desc", "1"), ("size", "25")],
                               [Column("n", "N")]), "x", fetch, lambda r, c: r[c])
    assert total == 5
    assert [r["n"] for r in page] == ["b", "A", 10, 9, None]
