"""Every page at every width (issue 12, item 6): the sample project as `make demo` builds it —
the next day's joiners, movers and leavers waiting as tasks, its correlation cases, its
directory accounts — plus a campaign, an upload with mistakes, a held manual value and a run
blocked by a truncated file, so that no page is empty. Each page the app serves (listed from its
routes: a new page cannot be forgotten) is shown at 1366 × 768 and at 400 × 800, in the light
and the dark colour scheme: it must not scroll sideways and axe-core finds no violation of any
impact. Screenshots are kept as artifacts. Left out: Swagger UI's /api/docs, whose markup is
Swagger's own (docs/screens.md)."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browsing import axe_violations, log_in, new_page, serve, snap
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.routing import iter_route_contexts

from headcount.agents import deliveries, heartbeats, work
from headcount.agents.heartbeats import Heartbeat
from headcount.campaigns import lifecycle
from headcount.campaigns.spec import CampaignSpec, Scope, Stage
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import jobruns, users
from headcount.reviews.edits import ManualEdit
from headcount.samples import hrfiles
from headcount.scheduling.scheduler import Scheduler
from headcount.upload.uploads import receive
from headcount.web.api.reconciliation import apply_edit
from headcount.workflows import forms
from uploadsample import Filled, full_with_mistakes
from webproject import PASSWORD, make_app, make_project

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDE = "1366"
SIZES = {WIDE: {"width": 1366, "height": 768}, "400": {"width": 400, "height": 800}}
SCHEMES = ("light", "dark")
# htmx partials are not pages: each is checked inside the page that loads it (named here, so
# that a new partial must be placed before this test passes).
FRAGMENTS = {
    "/runs/{run_id}/status": "/runs/{run_id}",
    "/connectors/{name}/runs-table": "/connectors/{name}",
    "/resources/{resource_id}/manual-values": "/entity-types/{entity_type}/{key:path}",
    "/resources/{resource_id}/linked-from": "/entity-types/{entity_type}/{key:path}",
}
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@dataclass(frozen=True)
class Site:
    base: str
    values: dict[str, str]  # a path parameter → the instance shown
    pages: list[str]  # the GET routes that answer HTML, as declared
    project_words: set[str]  # what the project's configuration names, in its own words


def html_routes(app: FastAPI) -> list[str]:
    """The app's GET routes that answer HTML, outside the API."""
    return sorted({str(route.path) for route in iter_route_contexts(app.routes)
                   if "GET" in (route.methods or ()) and not str(route.path).startswith("/api")
                   and getattr(route, "response_class", None) is HTMLResponse})


def url_of(path: str, values: dict[str, str]) -> str:
    url = re.sub(r"\{([^}]+)\}", lambda m: values.get(m.group(1), m.group(0)), path)
    assert "{" not in url, f"no instance for a parameter of {path}: add it to the sample"
    return url


def build_sample(folder: Path, url: str) -> None:
    """The demo's sample: day one, the next day through the workflows, the directory; then a
    campaign, an upload with mistakes and a run blocked by too many leavers."""
    samples = Path(hrfiles.__file__).parent
    make_project(folder, url, people=200,
                 extra=[samples / "ad.yaml", samples / "workflows.yaml", samples / "jobs.yaml"])
    for path in (folder / "data" / "next_day").iterdir():
        shutil.copy(path, folder / "data" / path.name)
    ctx = ProjectContext.open(folder, url)
    try:
        assert synchronize(ctx, SyncRequest("HR")).state == "succeeded"
        assert synchronize(ctx, SyncRequest("AD")).state == "succeeded"
        spec = CampaignSpec(name="Q4 access review", owner="admin", starts_on=date.today(),
                            ends_on=date(2999, 12, 31),
                            scope=Scope(filters={"Identifier": "E0000[1-4]"}),
                            stages=[Stage(name="Reviewer", reviewer="user:admin")])
        lifecycle.create(ctx.engine, ctx.deployed()[1], spec, "admin", datetime.now(UTC))
        filled = Filled(ctx, "full")
        full_with_mistakes(filled, correct=False)
        workbook = io.BytesIO()
        filled.book.save(workbook)
        receive(ctx, workbook.getvalue(), "workforce.xlsx", "admin")
        # A few leavers more than the 5 % threshold allows: a blocked run, and a page of it
        # small enough to check quickly.
        people = folder / "data" / "hr_people.csv"
        lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
        people.write_text("".join(lines[:-12]), encoding="latin-1")
        assert synchronize(ctx, SyncRequest("HR")).state == "blocked"
        # Jobs: the ticks of today queued (nothing runs them here) and a launch waiting.
        Scheduler(ctx, datetime(2026, 11, 1, tzinfo=UTC)).tick(datetime.now(UTC))
        jobruns.insert(ctx.engine, jobruns.NewJobRun(
            "HR", ("synchronize",), "incremental", "launch", "op"), datetime.now(UTC))
    finally:
        ctx.close()


def instances(app: FastAPI) -> dict[str, str]:
    """One instance of each path parameter, the richest the sample has; a manual value held
    on the record shown."""
    state = app.state.headcount
    project = state.project()
    with state.engine.begin() as conn:
        admin = users.find_user(conn, "admin")
        assert admin is not None

        def first(query: str) -> str:
            return str(conn.execute(sa.text(query)).scalars().first())

        record = first("SELECT id FROM resources WHERE entity_type = 'Directory_UserRecord' "
                       "AND key = 'E00002'")
        values = {
            "entity_type": "HR_Person", "key:path": "E00002", "name": "HR",
            "run_id": first("SELECT id FROM runs WHERE state = 'blocked'"),
            "case_id": first("SELECT id FROM correlation_cases ORDER BY id"),
            "resource_id": record,
            "task_id": first("SELECT id FROM workflow_tasks ORDER BY id"),
            "instance_id": first("SELECT instance_id FROM workflow_tasks ORDER BY id"),
            "identifier": "AD", "campaign_id": first("SELECT id FROM campaigns"),
            "upload_id": first("SELECT id FROM uploads"),
            "workflow": forms.startable(project, admin)[0].identifier,
        }
        # The Agents page: an agent holding a lease, work waiting, a delivery under way.
        agent = heartbeats.beat(conn, 1, Heartbeat("paris-agent", "files.paris.example",
                                                   "1.0", ("HR",), 30), datetime.now(UTC))
        deliveries.request_work(conn, "HR", "complete", 1)
        deliveries.request_work(conn, "HR", "incremental", 2)
        work.lease(conn, agent, ["HR"], datetime.now(UTC))
        deliveries.start(conn, agent, "HR", "token 1 (paris-agent)",
                         deliveries.Announce("incremental", 123456, "ab" * 32, 1),
                         datetime.now(UTC))
    apply_edit(state, admin, ManualEdit("Directory_UserRecord", "E00002",
                                        {"Title": "Chief Tester"}, "promotion, HR is late",
                                        None))
    return values


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("every-page") / "hr"
    url = f"sqlite:///{folder.parent}/headcount.db"
    build_sample(folder, url)
    app = make_app(folder, url)
    values = instances(app)
    with serve(app) as base:
        yield Site(base, values, html_routes(app), project_words(app))
    app.state.headcount.engine.dispose()


def violations(page: Any, size: str) -> list[dict[str, Any]]:
    """axe's violations at this size. Colours do not change with the width but in the top
    bar (app.css), and contrast is most of axe's time: at 400 px it is checked there only."""
    if size == WIDE:
        return axe_violations(page)
    return axe_violations(page, options={"rules": {"color-contrast": {"enabled": False}}}) + \
        axe_violations(page, ".top", {"runOnly": ["color-contrast"]})


def problems_of(page: Any, name: str) -> list[str]:
    """What is wrong with the page shown, at each size and in each scheme."""
    found = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        for size, viewport in SIZES.items():
            page.set_viewport_size(viewport)
            snap(page, f"every-{name}-{size}-{scheme}")
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                found.append(f"{name} at {size} px ({scheme}) scrolls {overflow} px sideways")
            found += [f"{name} at {size} px ({scheme}): {v['id']} ({v['impact']}) "
                      f"{[n['target'] for n in v['nodes']][:4]}"
                      for v in violations(page, size)]
    return found


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def test_every_page_fits_every_width_in_both_schemes_with_no_axe_violation(
        browser: Any, site: Site) -> None:
    problems: list[str] = []
    with new_page(browser, site.base) as page:
        page.goto("/login")
        problems += problems_of(page, "login")
        log_in(page)
        for path in site.pages:
            if path in FRAGMENTS:  # checked inside the page that loads it
                continue
            url = url_of(path, site.values)
            answer = page.goto(url)
            assert answer is not None
            assert answer.ok, (url, answer.status)
            assert answer.text().lstrip().lower().startswith("<!doctype html"), \
                f"{path} answers a fragment: name it in FRAGMENTS with its page"
            page.wait_for_load_state("networkidle")  # htmx's loads
            problems += problems_of(page, slug(url))
        page.goto("/runs/999999")
        problems += problems_of(page, "error")
    assert set(FRAGMENTS.values()) <= set(site.pages)
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_menus_fold_behind_the_menu_button_reached_by_keyboard(
        browser: Any, site: Site) -> None:
    with new_page(browser, site.base) as page:
        page.set_viewport_size(SIZES["400"])
        log_in(page)
        entity_types = page.get_by_role("navigation", name="Entity types")
        administration = page.get_by_role("navigation", name="Administration")
        assert not entity_types.is_visible()
        assert not administration.is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Tab")
        menu = page.get_by_role("checkbox", name="Menu")
        assert page.evaluate("document.activeElement.id") == menu.get_attribute("id")
        page.keyboard.press("Space")
        assert menu.is_checked()
        assert administration.get_by_role("link", name="Job Execution").is_visible()
        snap(page, "every-menu-open-400")
        entity_types.get_by_role("list", name="Human resources").get_by_role(
            "link", name="Person").click()
        page.wait_for_url("**/entity-types/HR_Person")
        assert not entity_types.is_visible()  # folded again on the page it opened
        page.set_viewport_size(SIZES[WIDE])
        assert entity_types.is_visible()
        assert administration.is_visible()
        assert not page.get_by_text("Menu", exact=True).is_visible()


# What a page shows people: its text nodes and the attributes read aloud or on hover.
SHOWN_TEXTS = """() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (parent && !parent.closest('script, style, code, kbd, samp, [data-value]')) {
      texts.push(walker.currentNode.textContent);
    }
  }
  for (const e of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    for (const a of ['aria-label', 'title', 'placeholder']) {
      if (e.getAttribute(a)) texts.push(e.getAttribute(a));
    }
  }
  return texts.map(t => t.replace(/\\s+/g, ' ').trim()).filter(Boolean);
}"""


def english_only() -> set[str]:
    """The catalog's English texts whose French differs (whole texts, without variables): one
    of them on a French page is a text that escaped translation."""
    from babel.messages.pofile import read_po

    from headcount.web.i18n import LOCALES

    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="fr")
    return {str(m.id) for m in catalog if isinstance(m.id, str) and m.id and m.string
            and m.string != m.id and "%" not in m.id and "<" not in m.id}


def project_words(app: FastAPI) -> set[str]:
    """What the project's configuration names — connectors, entity types, properties, enum
    values, workflows, managed systems — in the words its YAML gives them: the project's own
    content, like its HR data, not the UI's texts."""
    words: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, str):
            words.add(node)
        elif isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(app.state.headcount.project().model_dump(mode="json"))
    return words


def test_every_page_speaks_french_to_a_french_browser(browser: Any, site: Site) -> None:
    """Accept-Language: fr, no preference set: every page's texts are the catalog's French —
    its labels are there (the menu's, the log-out button), and no English text of the catalog
    is left on it (but for what the project's configuration names: its own words)."""
    english = english_only() - site.project_words
    assert len(english) > 300, "the French catalog is nearly empty"
    context = browser.new_context(base_url=site.base, locale="fr-FR",
                                  viewport=SIZES[WIDE])
    page = context.new_page()
    page.set_default_timeout(15_000)
    left: list[str] = []
    try:
        page.goto("/login")
        assert page.get_by_role("button", name="Se connecter").count() == 1
        page.get_by_label("Nom").fill("admin")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/")
        for path in site.pages:
            if path in FRAGMENTS:
                continue
            url = url_of(path, site.values)
            answer = page.goto(url)
            assert answer is not None
            page.wait_for_load_state("networkidle")
            shown = page.evaluate(SHOWN_TEXTS)
            if "Mot de passe" not in shown:  # the log-in page has no menu
                assert "Se déconnecter" in shown, f"{url}: no French log-out button"
                assert "Exécution des jobs" in shown, f"{url}: the menu is not in French"
            left += [f"{url}: {text!r}" for text in shown if text in english]
    finally:
        context.close()
    assert not left, "\n".join(left[:60])
