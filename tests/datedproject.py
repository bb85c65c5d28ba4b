"""The sample project on hand-written dated HR files (SPEC §8): a small company in Paris and
Tokyo whose files a test rewrites day by day, each run given its instant."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.jobs.evaluation import evaluate_policy
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, property_states, runs
from headcount.repository.resources import get_resource
from headcount.repository.schema import provisioning_orders, resources
from headcount.samples import hrfiles
from runorders import listed_orders

SAMPLES = Path(hrfiles.__file__).parent
SITES = "Code,Name,City,Country,TimeZone\nPAR,Paris,Paris,FR,Europe/Paris\n" \
        "TYO,Tokyo,Tokyo,JP,Asia/Tokyo\n"
ORGS = "Code,Name,ParentCode,ManagerId\nROOT,Headcount,,E1\nFIN,Finance,ROOT,E2\n" \
       "IT,Engineering,ROOT,E1\n"
HEADER = hrfiles.PEOPLE_COLUMNS
# EmployeeId, FirstName, LastName, Title, Org, Site, Manager, type, start, end, position start
# (and, optionally, a birth date: none by default)
DAY_ONE = [
    ("E1", "Alice", "Martin", "CEO", "ROOT", "PAR", "", "permanent", "01/01/2020", "", ""),
    ("E2", "Bruno", "Petit", "CFO", "FIN", "PAR", "E1", "permanent", "01/03/2021", "", ""),
    ("E3", "Jean", "Dupont", "Analyst", "FIN", "PAR", "E2", "permanent", "01/06/2022", "", ""),
    ("E4", "Jean", "Dupont", "Engineer", "IT", "TYO", "E1", "permanent", "01/09/2023", "", ""),
    ("E5", "Chloé", "Durand", "Engineer", "IT", "PAR", "E1", "permanent", "26/11/2026", "",
     ""),
    ("E6", "Diego", "Sánchez", "Engineer", "IT", "PAR", "E1", "permanent", "15/12/2026", "",
     ""),
    ("E7", "Emi", "Tanaka", "Analyst", "IT", "TYO", "E4", "fixed-term", "01/04/2024",
     "26/11/2026", ""),
    ("E8", "Frank", "Leroy", "Analyst", "FIN", "PAR", "E2", "permanent", "01/01/2019", "", ""),
    ("E9", "Gina", "Rossi", "Consultant", "IT", "PAR", "E1", "contractor", "01/01/2026",
     "31/10/2026", ""),
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Held(TypedDict, total=False):
    """A value held by hand: its property state (empty when none)."""

    id: int
    state: str
    proposed: object


class Scenario:
    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        (folder / "config").mkdir(parents=True)
        (folder / "data").mkdir()
        for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
            shutil.copyfile(SAMPLES / name, folder / "config" / name)
        # A company of ten: one person is 10 % of it; the brakes are for large files.
        hr = folder / "config" / "hr.yaml"
        hr.write_text(hr.read_text(encoding="utf-8").replace(
            "    connections:",
            "    thresholds: {max_inserted_pct: 100, max_updated_pct: 100,"
            " max_deleted_pct: 100, max_links_inserted_pct: 100, max_links_deleted_pct: 100,"
            " max_rows_drop_pct: 50}\n    connections:", 1), encoding="utf-8")
        (folder / "data" / "hr_sites.csv").write_text(SITES, encoding="utf-8")
        (folder / "data" / "hr_organizations.csv").write_text(ORGS, encoding="utf-8-sig")
        hrfiles.write_contract_types(folder / "data")
        self.ctx = ProjectContext.open(folder, url)
        with self.ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(folder))

    def file(self, people: Sequence[tuple[str, ...]]) -> None:
        lines = [";".join(HEADER)]
        for p in people:
            employee, first, last, title, org, site, manager, kind, start, end, moved = p[:11]
            born = p[11] if len(p) > 11 else ""
            lines.append(";".join([employee, first, last, "", f"{first}.{last}@hr.example",
                                   title, org, site, manager, kind, start, end, moved, born]))
        (self.folder / "data" / "hr_people.csv").write_text(
            "\n".join(lines) + "\n", encoding="latin-1")

    def sync(self, when: str) -> runs.RunRecord:
        run = synchronize(self.ctx, SyncRequest("HR", now=at(when)))
        assert run.state in (runs.SUCCEEDED, runs.WARNINGS), (run.message, run.counters)
        return run

    def evaluate(self, when: str) -> runs.RunRecord:
        run = evaluate_policy(self.ctx, "HR", now=at(when))
        assert run.state == runs.SUCCEEDED, run.message
        return run

    def values(self, entity_type: str, key: str) -> dict[str, object]:
        with self.ctx.engine.connect() as conn:
            return dict(get_resource(conn, entity_type, key).values)

    def link(self, entity_type: str, key: str, navigation: str) -> tuple[str, bool]:
        with self.ctx.engine.connect() as conn:
            found = get_resource(conn, entity_type, key).links[navigation]
        assert len(found) == 1, found
        return found[0][1], found[0][2] is not None

    def keys(self, entity_type: str) -> list[str]:
        with self.ctx.engine.connect() as conn:
            return sorted(conn.execute(sa.select(resources.c.key).where(
                resources.c.entity_type == entity_type)).scalars())

    def state(self, employee: str) -> object:
        return self.values("Directory_User", employee)["State"]

    def held(self, key: str) -> Held:
        """The state of the Title a person holds by hand on a record, if any."""
        with self.ctx.engine.connect() as conn:
            state = property_states.of_resource(conn, "Directory_UserRecord", key).get("Title")
        if state is None:
            return Held()
        return {"id": state.id, "state": state.state,
                "proposed": state.proposed_value}

    def listed(self, run: runs.RunRecord) -> list[tuple[str, ...]]:
        return listed_orders(self.ctx.engine, run.id)

    def orders(self, run: runs.RunRecord, rt: str) -> dict[str, list[str]]:
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(provisioning_orders.c.kind,
                                          provisioning_orders.c.target_key)
                                .where(provisioning_orders.c.run_id == run.id,
                                       provisioning_orders.c.resource_type == rt)).all()
        out: dict[str, list[str]] = {}
        for kind, key in rows:
            out.setdefault(kind, []).append(key)
        return {k: sorted(v) for k, v in out.items()}


RECORDS = "HR_Person_To_Directory_UserRecord"
USERS = "HR_Person_To_Directory_User"
