"""Roll-back of a loaded upload (SPEC §9): a compensating run that gives back exactly the
repository before the load, refused when a value it would undo was changed since."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.errors import RunRefused
from headcount.repository import runs
from headcount.repository.provenance import provenance
from headcount.repository.schema import audit_log
from headcount.upload.rollback import RollbackRefused
from headcount.upload.uploads import get_upload, load_verified, rollback
from uploadproject import repository, sample, stored, tab, uploaded, verification


def test_a_roll_back_gives_back_exactly_the_repository_before_the_load(
        tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        titles = verification("update", tab(ctx, "Directory_Title", [
            {"Command": "Add", "Identifier": "T1", "DisplayName": "Engineer"}]))
        load_verified(ctx, uploaded(ctx, titles), titles, "alice")
        before = repository(ctx)
        records = [stored(ctx, "Directory_UserRecord", "E00001")
                   | {"Command": "Modify", "Title": None, "Manager": "E00007"},
                   stored(ctx, "Directory_UserRecord", "E00002")
                   | {"Command": "Modify", "PhoneNumber": "+33 6 00 00 00 00"}]
        checked = verification(
            "update", tab(ctx, "Directory_UserRecord", records),
            tab(ctx, "Directory_Title", [{"Command": "Delete", "Identifier": "T1"},
                                         {"Command": "Add", "Identifier": "T2",
                                          "DisplayName": "Nurse"}]))
        upload = uploaded(ctx, checked, actor="alice")
        load_verified(ctx, upload, checked, "alice")
        assert repository(ctx) != before
        run = rollback(ctx, upload.id, "bob", "the wrong file")
        assert run.state in (runs.SUCCEEDED, runs.WARNINGS), run.message
        assert repository(ctx) == before
        with ctx.engine.connect() as conn:
            assert get_upload(conn, upload.id).state == "rolled back"
            assert get_upload(conn, upload.id).rollback_run_id == run.id
            audited = conn.execute(sa.select(audit_log.c.actor, audit_log.c.reason).where(
                audit_log.c.action == "rollback")).all()
            _, project = ctx.deployed()
            title = {v.name: v for v in provenance(conn, project, "Directory_UserRecord",
                                                  "E00001").values}["Title"]
        assert audited == [("bob", f"run {run.id} {run.state}: the wrong file")]
        assert title.origin is not None
        assert title.origin.where() == f"roll back of upload {upload.id} by bob"
        with pytest.raises(RunRefused, match="rolled back already"):
            rollback(ctx, upload.id, "bob", "again")


def test_a_roll_back_is_refused_after_a_later_change_naming_it(tmp_path: Path, db_url: str
                                                                ) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        first = verification("update", tab(ctx, "Directory_UserRecord", [
            stored(ctx, "Directory_UserRecord", "E00001") | {"Command": "Modify",
                                                             "Title": "Chef"}]))
        upload = uploaded(ctx, first)
        load_verified(ctx, upload, first, "alice")
        later = verification("update", tab(ctx, "Directory_UserRecord", [
            stored(ctx, "Directory_UserRecord", "E00001") | {"Command": "Modify",
                                                             "Title": "Head chef"}]))
        second = uploaded(ctx, later, actor="carol")
        load_verified(ctx, second, later, "carol")
        after = repository(ctx)
        with pytest.raises(RollbackRefused) as refused:
            rollback(ctx, upload.id, "bob", "the wrong file")
        assert "Identity record E00001: Title was changed since by run" in str(refused.value)
        assert f"upload {second.id} by carol" in str(refused.value)
        assert repository(ctx) == after
        with ctx.engine.connect() as conn:
            assert get_upload(conn, upload.id).state == "loaded"
        with pytest.raises(RunRefused, match="needs a reason"):
            rollback(ctx, second.id, "bob", " ")
        # The later upload is the last word on the value: it rolls back.
        assert rollback(ctx, second.id, "bob", "too early").state in (runs.SUCCEEDED,
                                                                      runs.WARNINGS)
        assert stored(ctx, "Directory_UserRecord", "E00001")["Title"] == "Chef"
