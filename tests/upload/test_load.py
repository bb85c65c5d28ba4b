"""Loads of verified uploads (SPEC §9): a synchronization run of the Workforce connector that
does exactly what the file's rows say, in each mode, named by the upload in history."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.errors import RunRefused
from headcount.jobs.blocked import resume
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.provenance import provenance
from headcount.repository.schema import resources
from headcount.upload.uploads import get_upload, load_verified
from uploadproject import FILE, repository, sample, stored, tab, uploaded, verification


def _count(ctx: ProjectContext, entity_type: str) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(resources)
                                .where(resources.c.entity_type == entity_type)).scalar_one())


def test_an_initial_load_adds_exactly_its_rows(tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url, synchronized=False) as ctx:
        sites = tab(ctx, "Directory_Site", [
            {"Identifier": "PAR", "DisplayName": "Paris", "TimeZone": "Europe/Paris"},
            {"Identifier": "NYC", "DisplayName": "New York", "TimeZone": "America/New_York"}])
        users = tab(ctx, "Directory_User", [
            {"Identifier": "u1", "LastName": "Roy", "FirstName": "Ana", "State": "active"}])
        upload = uploaded(ctx, verification("initial", sites, users))
        run = load_verified(ctx, upload, verification("initial", sites, users), "alice")
        assert run.state == runs.SUCCEEDED
        assert run.mode == "initial"
        assert (run.counters["inserted"], run.counters["updated"]) == (3, 0)
        assert stored(ctx, "Directory_Site", "NYC")["DisplayName"] == "New York"
        assert stored(ctx, "Directory_User", "u1")["FirstName"] == "Ana"
        assert _count(ctx, "Directory_Organization") == 0
        with ctx.engine.connect() as conn:
            assert get_upload(conn, upload.id).state == "loaded"
        # The job result's files name the upload, its tab and who sent it.
        files = {f["tab"]: f for f in run.files}
        assert files["Site"]["upload"] == upload.id
        assert files["Site"]["name"] == FILE
        assert files["Site"]["uploaded_by"] == "alice"
        assert files["Site"]["rows"] == 2
        assert run.reason == f"upload {upload.id} by alice"


def test_a_complete_load_is_the_whole_truth_for_its_tabs_only(tmp_path: Path, db_url: str
                                                             ) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        first = [{"Identifier": "T1", "DisplayName": "Engineer"},
                 {"Identifier": "T2", "DisplayName": "Nurse"}]
        titles = tab(ctx, "Directory_Title", first)
        load_verified(ctx, uploaded(ctx, verification("complete", titles)),
                      verification("complete", titles), "alice")
        before = repository(ctx)
        then = tab(ctx, "Directory_Title", [{"Identifier": "T1", "DisplayName": "Engineers"},
                                            {"Identifier": "T3", "DisplayName": "Doctor"}])
        run = load_verified(ctx, uploaded(ctx, verification("complete", then)),
                            verification("complete", then), "alice")
        assert run.mode == "complete"
        assert run.state == runs.SUCCEEDED
        assert (run.counters["inserted"], run.counters["updated"],
                run.counters["deleted"]) == (1, 1, 1)
        after = repository(ctx)
        titles_after = {k: v for (et, k), v in after[0].items() if et == "Directory_Title"}
        assert titles_after == {"T1": {"Identifier": "T1", "DisplayName": "Engineers"},
                                "T3": {"Identifier": "T3", "DisplayName": "Doctor"}}
        # Every other entity type is as it was.
        assert {k: v for k, v in after[0].items() if k[0] != "Directory_Title"} == \
            {k: v for k, v in before[0].items() if k[0] != "Directory_Title"}
        assert after[1] == before[1]


def _mass_update(ctx: ProjectContext) -> list[dict[str, str | None]]:
    modify = dict(stored(ctx, "Directory_UserRecord", "E00001"))
    modify |= {"Command": "Modify", "Title": None, "PhoneNumber": "+33 1 23 45 67 89"}
    merged = dict(stored(ctx, "Directory_UserRecord", "E00002"))
    merged |= {"Command": "Merge", "Manager": "E00005"}
    return [modify, merged]


def test_a_mass_update_does_what_its_commands_say_and_twice_changes_nothing(
        tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        rows = _mass_update(ctx)
        untouched = stored(ctx, "Directory_UserRecord", "E00003")
        records = tab(ctx, "Directory_UserRecord", rows)
        sites = tab(ctx, "Directory_Site", [{"Command": "Add", "Identifier": "ZRH",
                                             "DisplayName": "Zurich"}])
        checked = verification("update", records, sites)
        before = repository(ctx)
        run = load_verified(ctx, uploaded(ctx, checked), checked, "alice")
        assert run.mode == "incremental"
        assert run.state in (runs.SUCCEEDED, runs.WARNINGS), run.message
        one = stored(ctx, "Directory_UserRecord", "E00001")
        assert one["Title"] is None
        assert one["PhoneNumber"] == "+33 1 23 45 67 89"
        assert stored(ctx, "Directory_UserRecord", "E00002")["Manager"] == "E00005"
        assert stored(ctx, "Directory_UserRecord", "E00003") == untouched
        assert stored(ctx, "Directory_Site", "ZRH") == {
            "Identifier": "ZRH", "DisplayName": "Zurich", "TimeZone": None}
        after = repository(ctx)
        changed = {k for k in after[0] if after[0][k] != before[0].get(k)}
        assert changed == {("Directory_UserRecord", "E00001"), ("Directory_Site", "ZRH")}
        assert after[1] - before[1] == {("Directory_UserRecord", "E00002",
                                         "Directory_UserRecord.Manager", "E00005")}
        assert (run.counters["inserted"], run.counters["updated"]) == (1, 1)
        # The same rows again (the Add gone: verify refuses an Add of a key that exists).
        again = verification("update", tab(ctx, "Directory_UserRecord", rows))
        second = load_verified(ctx, uploaded(ctx, again), again, "alice")
        assert (second.counters["inserted"], second.counters["updated"],
                second.counters["deleted"], second.counters["links_inserted"],
                second.counters["links_deleted"]) == (0, 0, 0, 0, 0)
        assert repository(ctx) == after
        gone = verification("update", tab(ctx, "Directory_Site", [
            {"Command": "Delete", "Identifier": "ZRH"}]))
        third = load_verified(ctx, uploaded(ctx, gone), gone, "alice")
        assert third.counters["deleted"] == 1
        values, linked = repository(ctx)
        assert linked == after[1]
        assert values == {k: v for k, v in after[0].items() if k != ("Directory_Site", "ZRH")}


def test_the_history_of_a_loaded_value_names_the_upload_tab_and_row(tmp_path: Path,
                                                                    db_url: str) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        records = tab(ctx, "Directory_UserRecord", _mass_update(ctx))
        checked = verification("update", records)
        upload = uploaded(ctx, checked, actor="alice")
        run = load_verified(ctx, upload, checked, "alice")
        _, project = ctx.deployed()
        with ctx.engine.connect() as conn:
            seen = {v.name: v for v in provenance(conn, project, "Directory_UserRecord",
                                                 "E00001").values}
        phone = seen["PhoneNumber"]
        assert phone.origin is not None
        assert phone.origin.run_id == run.id
        assert phone.origin.where() == \
            f"upload {upload.id} by alice, file {FILE}, tab Identity record, row 3"
        assert f"upload {upload.id} by alice" in phone.text
        with ctx.engine.connect() as conn:
            manager = {v.name: v for v in provenance(conn, project, "Directory_UserRecord",
                                                     "E00002").values}["Manager"]
        assert manager.origin is not None
        assert manager.origin.where().endswith("row 4")


def test_a_load_crossing_a_threshold_is_blocked_until_resumed(tmp_path: Path, db_url: str
                                                              ) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        rows = []
        for n in range(1, 41):
            row = dict(stored(ctx, "Directory_UserRecord", f"E{n:05d}"))
            rows.append(row | {"Command": "Modify", "Title": "Chef"})
        checked = verification("update", tab(ctx, "Directory_UserRecord", rows))
        upload = uploaded(ctx, checked)
        before = repository(ctx)
        run = load_verified(ctx, upload, checked, "alice")
        assert run.state == runs.BLOCKED
        assert "max_updated_pct" in (run.message or "")
        assert repository(ctx) == before
        with ctx.engine.connect() as conn:
            assert get_upload(conn, upload.id).state == "blocked"
            staged = conn.execute(sa.text("SELECT count(*) FROM changes WHERE run_id = :r"),
                                  {"r": run.id}).scalar_one()
        assert staged == 40
        with pytest.raises(RunRefused, match="loaded already"):
            load_verified(ctx, get_upload(ctx.engine.connect(), upload.id), checked, "alice")
        resumed = resume(ctx, run.id, "HR asked for it", "bob",
                         expected_orders=0)
        assert resumed.state in (runs.SUCCEEDED, runs.WARNINGS)
        assert stored(ctx, "Directory_UserRecord", "E00040")["Title"] == "Chef"
        with ctx.engine.connect() as conn:
            assert get_upload(conn, upload.id).state == "loaded"


def test_a_failed_load_leaves_the_repository_as_it_was(tmp_path: Path, db_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from headcount.errors import SourceError
    from headcount.jobs import synchronization

    def broken(*args: object, **kwargs: object) -> None:
        raise SourceError("the database went away mid-apply")

    with sample(tmp_path / "p", db_url) as ctx:
        checked = verification("update", tab(ctx, "Directory_UserRecord", _mass_update(ctx)))
        upload = uploaded(ctx, checked)
        before = repository(ctx)
        monkeypatch.setattr(synchronization, "record_pending", broken)
        run = load_verified(ctx, upload, checked, "alice")
        assert run.state == runs.FAILED
        assert "went away" in (run.message or "")
        assert repository(ctx) == before
        with ctx.engine.connect() as conn:
            assert get_upload(conn, upload.id).state == "failed"
        monkeypatch.undo()
        # Nothing was applied: the same upload loads once the cause is gone.
        again = load_verified(ctx, get_upload(ctx.engine.connect(), upload.id), checked, "alice")
        assert again.state in (runs.SUCCEEDED, runs.WARNINGS)
