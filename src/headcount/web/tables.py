"""One model of a list for every page (issue 12): its columns, the filters, sort, page size and
page its query string says, and the links that change one of them — so that a filtered list is
a link — with `?export=csv|xlsx` for all its filtered rows (web/export.py).

In the query string a filter reads `f.<column>.<operator>=<value>` (`f.Title.contains=dev`,
`f.ContractStartDate.after=2024-01-01`, `f.Email.empty=1`); the filter bar's form adds one as
`fp` (column), `fo` (operator) and `fv` (value). `sort=<column>&desc=1`, `size=25|50|100|200`,
`page=N`. The partial `_table.html` renders the bar, the header, the pager and the exports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from headcount.errors import HeadcountError
from headcount.web.export import ExportFormat
from headcount.web.i18n import gettext as _

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SIZE = 50
MAX_PAGE = 1_000_000
MAX_VALUE = 200  # characters of a filter's value
MAX_FILTERS = 20
T = TypeVar("T")


class Operator(StrEnum):
    CONTAINS = "contains"
    STARTS = "starts"
    EQUALS = "is"
    BEFORE = "before"
    AFTER = "after"
    EMPTY = "empty"
    FILLED = "filled"

    @property
    def needs_value(self) -> bool:
        return self not in (Operator.EMPTY, Operator.FILLED)

    def label(self) -> str:
        """The operator in the reader's language (call while rendering)."""
        return {
            Operator.CONTAINS: _("contains"), Operator.STARTS: _("starts with"),
            Operator.EQUALS: _("is"), Operator.BEFORE: _("before"), Operator.AFTER: _("after"),
            Operator.EMPTY: _("is empty"), Operator.FILLED: _("is not empty"),
        }[self]


class Kind(StrEnum):
    """What a column holds, which decides its operators."""

    TEXT = "text"
    DATE = "date"
    CHOICE = "choice"  # one of a few values (an enum, a state): `is`, empty, not empty
    NAVIGATION = "navigation"  # a resource's key, picked by its display name


OPERATORS: dict[Kind, tuple[Operator, ...]] = {
    Kind.TEXT: (Operator.CONTAINS, Operator.STARTS, Operator.EQUALS, Operator.EMPTY,
                Operator.FILLED),
    Kind.DATE: (Operator.EQUALS, Operator.BEFORE, Operator.AFTER, Operator.EMPTY,
                Operator.FILLED),
    Kind.CHOICE: (Operator.EQUALS, Operator.EMPTY, Operator.FILLED),
    Kind.NAVIGATION: (Operator.EQUALS, Operator.EMPTY, Operator.FILLED),
}


@dataclass(frozen=True)
class Column:
    name: str  # in the query string and the export's header line
    label: str  # what people read: a property's display name
    kind: Kind = Kind.TEXT
    sortable: bool = True
    filterable: bool = True
    target: str | None = None  # a navigation's entity type

    @property
    def operators(self) -> tuple[Operator, ...]:
        return OPERATORS[self.kind] if self.filterable else ()


@dataclass(frozen=True)
class Filter:
    column: str
    operator: Operator
    value: str = ""

    @property
    def parameter(self) -> tuple[str, str]:
        return f"f.{self.column}.{self.operator.value}", self.value or "1"


class FilterError(HeadcountError):
    """A filter of the query string that cannot apply; the list shows the others."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class ListQuery:
    filters: tuple[Filter, ...] = ()
    sort: str | None = None
    desc: bool = False
    size: int = DEFAULT_SIZE
    page: int = 1
    export: ExportFormat | None = None
    # The page's own parameters (a search, a tab), kept by every link.
    kept: tuple[tuple[str, str], ...] = ()
    problems: tuple[FilterError, ...] = ()
    default: tuple[str | None, bool] = (None, False)  # the list's own order, left out of links
    # A filter came from the filter bar's form (`fp`…): the page redirects to its link.
    added: bool = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def pairs(self) -> list[tuple[str, str]]:
        """The query string of this list, as (name, value) pairs."""
        out = [(k, v) for k, v in self.kept if v]
        out += [f.parameter for f in self.filters]
        out += self.order()
        if self.size != DEFAULT_SIZE:
            out.append(("size", str(self.size)))
        if self.page != 1:
            out.append(("page", str(self.page)))
        if self.export:
            out.append(("export", self.export.value))
        return out

    def order(self) -> list[tuple[str, str]]:
        if not self.sort or (self.sort, self.desc) == self.default:
            return []
        return [("sort", self.sort), *([("desc", "1")] if self.desc else [])]

    def href(self) -> str:
        return "?" + urlencode(self.pairs())


def parse(params: Iterable[tuple[str, str]], columns: Sequence[Column], *,
          sort: str | None = None, desc: bool = False,
          keep: Sequence[str] = ()) -> ListQuery:
    """The list a query string asks for; `sort`/`desc` when it names no sort; `keep` the page's
    own parameters to carry in every link. What cannot apply is left out, with a FilterError in
    `problems` when a person typed it."""
    by_name = {c.name: c for c in columns}
    items = list(params)
    values = dict(items)
    filters: list[Filter] = []
    problems: list[FilterError] = []

    def add(parameter: str, column: str, operator: str, value: str) -> None:
        try:
            found = _filter(by_name, parameter, column, operator, value)
        except FilterError as problem:
            problems.append(problem)
            return
        if found not in filters and len(filters) < MAX_FILTERS:
            filters.append(found)

    for name, value in items:
        if name.startswith("f."):
            column, dot, operator = name[2:].rpartition(".")
            if not dot or column not in by_name:  # `f.Title=x`: the older form of `is`
                column, operator = name[2:], Operator.EQUALS.value
            add(name, column, operator, value)
    if values.get("fp"):
        add("fp", values["fp"], values.get("fo") or Operator.EQUALS.value, values.get("fv", ""))
    chosen = values.get("sort")
    if chosen not in by_name or not by_name[chosen].sortable:
        chosen, descending = sort, desc
    else:
        descending = values.get("desc", "") in ("1", "true", "on")
    size = _int(values.get("size"), DEFAULT_SIZE)
    exported = values.get("export", "")
    return ListQuery(
        tuple(filters), chosen, descending, size if size in PAGE_SIZES else DEFAULT_SIZE,
        min(max(_int(values.get("page"), 1), 1), MAX_PAGE),
        ExportFormat(exported) if exported in ("csv", "xlsx") else None,
        tuple((k, values.get(k, "")) for k in keep), tuple(problems), (sort, desc),
        bool(values.get("fp")))


def _filter(by_name: Mapping[str, Column], parameter: str, column: str, operator: str,
            value: str) -> Filter:
    found = by_name.get(column)
    if found is None or not found.filterable:
        raise FilterError(parameter, _("no column %(name)s to filter on", name=column))
    try:
        op = Operator(operator)
    except ValueError:
        raise FilterError(parameter, _("unknown operator %(op)s", op=operator)) from None
    if op not in found.operators:
        raise FilterError(parameter, _("%(column)s cannot be filtered with “%(op)s”",
                                       column=found.label, op=op.label()))
    value = value.strip()[:MAX_VALUE]
    if not op.needs_value:
        return Filter(column, op, "")
    if not value:
        raise FilterError(parameter, _("%(column)s %(op)s: a value is needed",
                                       column=found.label, op=op.label()))
    if found.kind is Kind.DATE:
        try:
            (datetime if "T" in value else date).fromisoformat(value)
        except ValueError:
            raise FilterError(parameter, _("%(column)s: %(value)s is not a date (YYYY-MM-DD)",
                                           column=found.label, value=value)) from None
    return Filter(column, op, value)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


@dataclass
class Table:
    """A page of a list as the partial `_table.html` renders it."""

    columns: list[Column]
    query: ListQuery
    total: int
    # "1,234 identities": the page's noun, called while rendering (in the reader's language).
    counted: Callable[[int], str]
    # How a filter's value reads (a navigation's key → its target's display name).
    shown_values: dict[tuple[str, str], str] = field(default_factory=dict)
    exportable: bool = True
    # Columns the filter bar offers besides the shown ones (a person's site, not a column).
    filter_columns: list[Column] | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.size))

    @property
    def sizes(self) -> tuple[int, ...]:
        return PAGE_SIZES

    @property
    def operators(self) -> tuple[Operator, ...]:
        return tuple(Operator)

    @property
    def filterable(self) -> list[Column]:
        return [c for c in (self.filter_columns or self.columns) if c.filterable]

    def column(self, name: str) -> Column | None:
        return next((c for c in [*self.columns, *(self.filter_columns or [])]
                     if c.name == name), None)

    def total_text(self) -> str:
        return self.counted(self.total)

    def _link(self, **changes: object) -> str:
        return replace(self.query, export=None, **changes).href()  # type: ignore[arg-type]

    def sort_href(self, name: str) -> str:
        desc = self.query.sort == name and not self.query.desc
        return self._link(sort=name, desc=desc, page=1)

    def aria_sort(self, name: str) -> str:
        if self.query.sort != name:
            return "none"
        return "descending" if self.query.desc else "ascending"

    def page_href(self, page: int) -> str:
        return self._link(page=page)

    def size_href(self, size: int) -> str:
        return self._link(size=size, page=1)

    def export_href(self, fmt: str) -> str:
        return replace(self.query, page=1, export=ExportFormat(fmt)).href()

    def without_href(self, chosen: Filter) -> str:
        return self._link(filters=tuple(f for f in self.query.filters if f != chosen), page=1)

    def pick_href(self, chosen: Filter, value: str) -> str:
        """The list with `chosen` applied on `value` (a target picked among several)."""
        return self._link(filters=(*self.query.filters, replace(chosen, value=value)), page=1)

    def without_all_href(self) -> str:
        return self._link(filters=(), page=1)

    def kept(self) -> list[tuple[str, str]]:
        """What the filter bar's form sends back besides the filter it adds."""
        out = [(k, v) for k, v in self.query.kept if v]
        out += [f.parameter for f in self.query.filters]
        out += self.query.order()
        if self.query.size != DEFAULT_SIZE:
            out.append(("size", str(self.query.size)))
        return out

    def chip(self, chosen: Filter) -> str:
        """A filter in words: 'Manager is Dupont Jean (E00002)'."""
        found = self.column(chosen.column)
        label = found.label if found else chosen.column
        if not chosen.operator.needs_value:
            return f"{label} {chosen.operator.label()}"
        value = self.shown_values.get((chosen.column, chosen.value))
        shown = f"{value} ({chosen.value})" if value and value != chosen.value else chosen.value
        return f"{label} {chosen.operator.label()} {shown}"


# Lists whose store orders one way only hold at most this many rows in memory to sort otherwise.
MAX_IN_MEMORY = 100_000


def window(query: ListQuery, default: str, fetch: Callable[[int, int], tuple[int, list[T]]],
           value: Callable[[T, str], object]) -> tuple[int, list[T]]:
    """The total and the page — every row, to export — of a list whose store gives its rows in
    the `default` column's order only (`fetch(limit, offset)`): another order, or an export,
    reads every matching row and orders them in memory."""
    if query.sort in (None, default) and not query.desc and not query.export:
        return fetch(query.size, query.offset)
    total, every = fetch(MAX_IN_MEMORY, 0)
    if query.sort:
        every = ordered(every, lambda item: value(item, query.sort or default), query.desc)
    return total, every if query.export else every[query.offset:query.offset + query.size]


def ordered(items: list[T], read: Callable[[T], object], desc: bool) -> list[T]:
    """Items in a column's order as people read it (case ignored, numbers as numbers), empty
    values last whatever the direction."""
    filled = [i for i in items if read(i) not in (None, "")]
    empty = [i for i in items if read(i) in (None, "")]
    filled.sort(key=lambda i: _sort_key(read(i)), reverse=desc)
    return filled + empty


def _sort_key(value: object) -> tuple[int, object]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, value
    if isinstance(value, datetime | date):
        return 1, value.isoformat()
    return 1, str(value).lower()
