"""The list of an entity type's resources and a resource's page with its links and the eye
icon (SPEC §12)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headcount.config.model import EntityType, Project, Property, PropertyType
from headcount.errors import NotFound
from headcount.repository import navigations as navigations_module
from headcount.repository import resources
from headcount.repository.names import display_names, display_names_by_id
from headcount.repository.reverse import linking
from headcount.repository.users import User
from headcount.web import catalog, i18n, listing, systems, tables
from headcount.web.api.models import Id
from headcount.web.auth import app_state, require
from headcount.web.changes import history_lines
from headcount.web.export import ExportFormat, export_response
from headcount.web.i18n import format_number, ngettext
from headcount.web.i18n import gettext as _
from headcount.web.linked import linked_from
from headcount.web.rendering import fragment, language_of, render
from headcount.web.state import AppState
from headcount.web.tables import Column, Filter, FilterError, Kind, Table

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Operator = Annotated[User, Depends(require("run"))]
Admin = Annotated[User, Depends(require("admin"))]


NAME_COLUMN = "_name"
KEY_COLUMN = "_key"
# A list's own columns (the display name, the key) in the list cache's table.
FRAME_COLUMNS = {NAME_COLUMN: listing.NAME, KEY_COLUMN: listing.KEY}
KINDS = {PropertyType.DATE: Kind.DATE, PropertyType.DATETIME: Kind.DATE,
         PropertyType.ENUM: Kind.CHOICE, PropertyType.BOOL: Kind.CHOICE,
         PropertyType.NAVIGATION: Kind.NAVIGATION}


def property_column(prop: Property) -> Column:
    """A property as a list's column: its display name, its operators by type."""
    return Column(prop.identifier, prop.display_name or prop.identifier,
                  KINDS.get(prop.type, Kind.TEXT), target=prop.target)


@router.get("/entity-types/{entity_type}", response_class=HTMLResponse)
def entity_list(request: Request, user: Reader, entity_type: str,
                q: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    state = app_state(request)
    project = state.project()
    connector, et = catalog.entity_type(project, entity_type)
    searched = catalog.list_columns(et)
    named = listing.name_fields(et) is not None
    # Labels, messages and the export's header line in the reader's language.
    with i18n.use_locale(*language_of(request, user)):
        own = [Column(NAME_COLUMN, _("Name"), sortable=named, filterable=named),
               Column(KEY_COLUMN, _("Key"))]
        shown = [property_column(p) for name in searched
                 if (p := et.find_property(name)) is not None]
        columns = [*own, *shown]
        every = [*own, *(property_column(p) for p in et.properties)]
        query = tables.parse(request.query_params.multi_items(), every, keep=("q",))
        filters, choices, problems = _resolved(state, project, every, query.filters)
    renamed = filters != query.filters and len(filters) == len(query.filters)
    if (query.added or renamed) and not (query.problems or problems or choices):
        # The filter bar's form gives a link; a target picked by its name is kept by its key.
        return RedirectResponse(request.url.path + replace(query, filters=filters).href(), 303)
    query = replace(query, filters=filters, problems=(*query.problems, *problems))
    found = state.lists.page(
        connector.identifier, et, searched, q or None,
        [replace(f, column=FRAME_COLUMNS.get(f.column, f.column)) for f in filters],
        FRAME_COLUMNS.get(query.sort or "", query.sort), query.desc,
        None if query.export else query.size, 0 if query.export else query.offset)
    navigations = [c.name for c in shown if c.kind is Kind.NAVIGATION]
    with state.engine.connect() as conn:
        targets = navigations_module.targets_of(conn, et.identifier,
                                                [k for k, _ in found.rows], navigations)
        refs = {(et.identifier, k) for k, _ in found.rows}
        refs |= {t for links in targets.values() for items in links.values() for t in items}
        targeted = {c.name: c.target for c in every if c.target}
        refs |= {(targeted[f.column], f.value) for f in filters if f.column in targeted}
        refs |= {(targeted[f.column], k) for f, keys in choices for k in keys}
        names = display_names(conn, project, refs)
    rows = [{"key": k, "name": names.get((et.identifier, k), k), "values": v,
             "links": targets.get(k, {})} for k, v in found.rows]
    if query.export:
        return _export(et, columns, rows, names, query.export)
    table = Table(columns, query, found.total, _counted, filter_columns=every,
                  shown_values={(f.column, f.value): names[(targeted[f.column], f.value)]
                                for f in filters if f.column in targeted
                                and (targeted[f.column], f.value) in names})
    return render(request, "list.html", {
        "et": et, "table": table, "rows": rows, "names": names, "q": q or "",
        "choices": [(f, [(k, names.get((targeted[f.column], k), k)) for k in keys])
                    for f, keys in choices]}, user)


def _counted(n: int) -> str:
    return ngettext("%(count)s resource", "%(count)s resources", n, count=format_number(n))


def _resolved(state: AppState, project: Project, columns: list[Column],
              filters: tuple[Filter, ...]
              ) -> tuple[tuple[Filter, ...], list[tuple[Filter, list[str]]], list[FilterError]]:
    """The filters with each navigation's target picked by name turned into its key; the
    names that match several targets (to choose from), and those that match none."""
    by_name = {c.name: c for c in columns}
    kept: list[Filter] = []
    choices: list[tuple[Filter, list[str]]] = []
    problems: list[FilterError] = []
    for f in filters:
        column = by_name[f.column]
        found = project.entity_type(column.target) if column.target else None
        if found is None or f.operator is not tables.Operator.EQUALS:
            kept.append(f)
            continue
        keys = state.lists.named(found[0].identifier, found[1], f.value)
        if len(keys) == 1:
            kept.append(replace(f, value=keys[0]))
        elif keys:
            choices.append((f, keys))
        else:
            problems.append(FilterError(f"f.{f.column}", _(
                "no %(type)s named “%(name)s”", type=found[1].display_name or found[1].identifier,
                name=f.value)))
    return tuple(kept), choices, problems


def _export(et: EntityType, columns: list[Column], rows: list[dict[str, Any]],
            names: dict[tuple[str, str], str], fmt: ExportFormat) -> Response:
    def cell(row: dict[str, Any], column: Column) -> object:
        if column.name == NAME_COLUMN:
            return row["name"]
        if column.name == KEY_COLUMN:
            return row["key"]
        if column.kind is Kind.NAVIGATION:
            return ", ".join(names.get(t, t[1]) for t in row["links"].get(column.name, []))
        return row["values"].get(column.name)

    return export_response(et.display_name or et.identifier, [c.label for c in columns],
                           ([cell(r, c) for c in columns] for r in rows), fmt)


@router.get("/entity-types/{entity_type}/{key:path}", response_class=HTMLResponse)
def resource_page(request: Request, user: Reader, entity_type: str, key: str,
                  tab: str = "properties", linked: str | None = None,
                  lq: Annotated[str, Query(max_length=200)] = "",
                  lpage: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    state = app_state(request)
    project = state.project()
    _, et = catalog.entity_type(project, entity_type)
    with state.engine.connect() as conn:
        view = resources.get_resource(conn, et.identifier, key)
        history = history_lines(conn, project, et, key, view.history) if tab == "history" else []
        # Every resource the page shows, named in one call whatever the number of links.
        names = display_names_by_id(conn, project, [
            *(tid for targets in view.links.values() for _, _, tid in targets if tid),
            *(sid for sources in view.reverse.values() for _, _, sid in sources)])
    groups: dict[str, list[tuple[str, Any, str]]] = {}
    for p in sorted(et.scalar_properties, key=lambda p: (p.group or "", p.identifier)):
        groups.setdefault(p.group or "", []).append(
            (p.display_name or p.identifier, view.values.get(p.identifier), str(p.type)))
    navigations = [(p, [(ttype, tkey, tid, names[tid][2] if tid in names else tkey)
                        for ttype, tkey, tid in view.links.get(p.identifier, [])])
                   for p in et.properties if p.is_navigation]
    return render(request, "resource.html", {
        "et": et, "view": view, "name": et.display(view.values).strip() or key,
        "groups": groups, "navigations": navigations, "page_url": _page_url(et.identifier, key),
        "reverse": linked_from(project, view.reverse, names, linked, lq, lpage),
        "tab": "history" if tab == "history" else "properties", "history": history,
        **systems.account_sections(state, et.identifier, view.key)}, user)


@router.get("/resources/{resource_id}/linked-from", response_class=HTMLResponse)
def linked_from_block(request: Request, user: Reader, resource_id: Id, linked: str,
                      lq: Annotated[str, Query(max_length=200)] = "",
                      lpage: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
    """One "Linked from" block, filtered and paged: what its filter box and pager load with htmx
    (without script they load the whole page)."""
    state = app_state(request)
    project = state.project()
    with state.engine.connect() as conn:
        found = display_names_by_id(conn, project, [resource_id])
        if resource_id not in found:
            raise NotFound(f"no resource with id {resource_id}")
        sources = linking(conn, resource_id, linked)
        names = display_names_by_id(conn, project, [sid for s in sources.values()
                                                    for _, _, sid in s])
    entity_type, key, _name = found[resource_id]
    blocks = linked_from(project, sources, names, linked, lq, lpage)
    if not blocks:
        raise NotFound(f"nothing links to {entity_type} `{key}` through `{linked}`")
    return fragment(request, "_linked_from.html", {
        "block": blocks[0], "page_url": _page_url(entity_type, key),
        "block_url": f"/resources/{resource_id}/linked-from"}, user)


def _page_url(entity_type: str, key: str) -> str:
    return f"/entity-types/{quote(entity_type)}/{quote(key)}"
