"""A blocked run shows everything it will do before anyone resumes it (SPEC §15.9): its staged
HR changes and the provisioning orders they give; a resume applies exactly those, confirmed by
their count, or nothing — and when the repository moved since, the preview is recomputed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.errors import RunRefused
from headcount.jobs.blocked import PreviewChanged, previewed_total, resume
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.database import begin_write
from headcount.repository.schema import provisioning_orders, resources
from webproject import make_project


def orders_of(ctx: ProjectContext, run_id: int) -> dict[str, dict[str, int]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(provisioning_orders.c.resource_type,
                                      provisioning_orders.c.kind, sa.func.count())
                            .where(provisioning_orders.c.run_id == run_id)
                            .group_by(provisioning_orders.c.resource_type,
                                      provisioning_orders.c.kind)).all()
    out: dict[str, dict[str, int]] = {}
    for rt, kind, n in rows:
        out.setdefault(rt, {})[kind] = int(n)
    return out


@pytest.fixture
def blocked(tmp_path: Path, db_url: str) -> tuple[ProjectContext, runs.RunRecord]:
    folder = make_project(tmp_path / "hr", db_url)
    people = folder / "data" / "hr_people.csv"
    lines = people.read_text(encoding="latin-1").splitlines(keepends=True)
    people.write_text("".join(lines[:200]), encoding="latin-1")  # a truncated file
    ctx = ProjectContext.open(folder, db_url)
    run = synchronize(ctx, SyncRequest("HR"))
    assert run.state == runs.BLOCKED
    return ctx, run


def test_a_blocked_run_previews_its_orders_and_the_resume_applies_exactly_them(
        blocked: tuple[ProjectContext, runs.RunRecord]) -> None:
    ctx, run = blocked
    try:
        preview = run.counters["orders"]
        assert preview["HR_Person_To_Directory_User"] == {"deleted": 101}
        assert orders_of(ctx, run.id) == preview  # listed, not only counted
        with pytest.raises(RunRefused, match=r"confirm them \(--expect-orders \d+\)"):
            resume(ctx, run.id, "ok")
        with pytest.raises(RunRefused, match="1 confirmed, but resuming gives"):
            resume(ctx, run.id, "ok", expected_orders=1)
        resumed = resume(ctx, run.id, "ok", expected_orders=previewed_total(run))
        assert resumed.counters["orders"] == preview
        assert orders_of(ctx, run.id) == preview  # the preview's rows gave way to the real ones
        assert {"resume", "policy", "waited"} <= set(resumed.timings)
        assert resumed.duration is not None
        assert resumed.duration == pytest.approx(
            (resumed.finished_at - resumed.started_at).total_seconds()  # type: ignore[operator]
            - resumed.timings["waited"])
    finally:
        ctx.close()


def test_a_resume_on_a_moved_repository_applies_nothing_and_shows_the_new_preview(
        blocked: tuple[ProjectContext, runs.RunRecord]) -> None:
    ctx, run = blocked
    try:
        later = datetime(2100, 1, 1, tzinfo=UTC)  # every fixed-term contract has ended
        with pytest.raises(PreviewChanged, match="the repository moved since its preview"):
            resume(ctx, run.id, "ok", expected_orders=previewed_total(run), now=later)
        with ctx.engine.connect() as conn:
            again = runs.get_run(conn, run.id)
        assert again.state == runs.BLOCKED
        assert again.counters["orders"] != run.counters["orders"]
        assert orders_of(ctx, run.id) == again.counters["orders"]
        resumed = resume(ctx, run.id, "ok", expected_orders=previewed_total(again), now=later)
        assert resumed.counters["orders"] == again.counters["orders"]
    finally:
        ctx.close()


def test_as_many_orders_with_other_values_are_not_the_preview(
        blocked: tuple[ProjectContext, runs.RunRecord]) -> None:
    # A review found it: the resume compared counts only, so the same number of orders with
    # other values (a reload, a Directory edited meanwhile) was applied unseen.
    ctx, run = blocked
    try:
        with ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(
                provisioning_orders.c.resource_type, provisioning_orders.c.target_key,
                provisioning_orders.c.changes).where(provisioning_orders.c.run_id == run.id)
            ).all()
        # An order that changes a value: its target's value moves, its count stays.
        rt, target, changed = next((rt, t, next(iter(json.loads(c)["values"])))
                                   for rt, t, c in rows if json.loads(c)["values"])
        entity_type = rt.partition("_To_")[2]
        with begin_write(ctx.engine) as conn:
            data = conn.execute(sa.select(resources.c.data).where(
                resources.c.entity_type == entity_type,
                resources.c.key == target)).scalar_one()
            values = {**json.loads(data), changed: "moved meanwhile"}
            conn.execute(sa.update(resources).where(
                resources.c.entity_type == entity_type,
                resources.c.key == target).values(data=json.dumps(values)))
        shown = run.counters["preview"]
        with pytest.raises(PreviewChanged):
            resume(ctx, run.id, "ok", expected_orders=previewed_total(run))
        with ctx.engine.connect() as conn:
            again = runs.get_run(conn, run.id)
        assert again.state == runs.BLOCKED
        assert again.counters["orders"] == run.counters["orders"]  # as many…
        assert again.counters["preview"] != shown  # …but not the same orders
        with pytest.raises(PreviewChanged, match="changed since it was shown"):
            resume(ctx, run.id, "ok", expected_orders=previewed_total(again),
                   expected_preview=shown)
        resumed = resume(ctx, run.id, "ok", expected_orders=previewed_total(again),
                         expected_preview=again.counters["preview"])
        assert resumed.counters["preview"] == again.counters["preview"]
    finally:
        ctx.close()


def test_resuming_a_blocked_upload_leaves_the_accepted_hr_files_alone(tmp_path: Path,
                                                                      db_url: str) -> None:
    # An upload's tabs are no HR file: the file-shape guards of the next HR run must still
    # compare with the last HR file, not with an `Upload_*` table.
    from headcount.repository.schema import accepted_files
    from headcount.upload.uploads import load_verified
    from uploadproject import repository, sample, stored, tab, uploaded, verification

    def accepted(ctx: ProjectContext) -> set[tuple[str, str, int]]:
        with ctx.engine.connect() as conn:
            return {(str(a), str(b), int(c)) for a, b, c in conn.execute(sa.select(
                accepted_files.c.connector, accepted_files.c.connection,
                accepted_files.c.run_id))}

    with sample(tmp_path / "p", db_url) as ctx:
        # A complete load (a mass update is incremental and remembers no file anyway).
        keys = sorted(k for et, k in repository(ctx)[0] if et == "Directory_UserRecord")
        rows = [dict(stored(ctx, "Directory_UserRecord", key))
                | ({"Title": "Chef"} if n < 40 else {}) for n, key in enumerate(keys)]
        checked = verification("complete", tab(ctx, "Directory_UserRecord", rows))
        before = accepted(ctx)
        run = load_verified(ctx, uploaded(ctx, checked), checked, "alice")
        assert run.state == runs.BLOCKED
        resumed = resume(ctx, run.id, "HR asked for it", "bob", expected_orders=0)
        assert resumed.state in (runs.SUCCEEDED, runs.WARNINGS)
        assert accepted(ctx) == before
