"""Uploads as a list (SPEC §9): every file kept and audited, a refused one listed with why, a
file with errors never loaded, and the preview of a load in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import xlsxwriter

from headcount.config.loader import load_project_config
from headcount.errors import RunRefused
from headcount.project import ProjectContext
from headcount.repository import deployments
from headcount.repository.database import begin_write
from headcount.repository.schema import audit_log, runs, upload_files
from headcount.upload.uploads import (
    get_upload,
    list_uploads,
    load,
    load_verified,
    preview_verified,
    receive,
    verification_of,
)
from headcount.upload.verified import Problem
from uploadproject import FILE, repository, sample, stored, tab, uploaded, verification


def _audit(ctx: ProjectContext) -> list[tuple[str, str, str, str | None]]:
    with ctx.engine.connect() as conn:
        return [(str(a), str(b), str(c), d) for a, b, c, d in conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.target,
                      audit_log.c.reason).order_by(audit_log.c.id))]


def test_a_60_mb_file_is_refused_listed_with_why_and_nothing_else_happens(
        tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url, synchronized=False) as ctx:
        content = b"PK" + b"\0" * (60 * 1024 * 1024)
        upload, checked = receive(ctx, content, "C:\\HR\\big.xlsx", "alice")
        assert checked is None
        assert upload.state == "refused"
        assert upload.file_name == "big.xlsx"
        assert upload.size == len(content)
        assert "60 MB, larger than the 50 MB" in (upload.message or "")
        with ctx.engine.connect() as conn:
            assert [u.id for u in list_uploads(conn)] == [upload.id]
            assert conn.execute(sa.select(sa.func.count()).select_from(upload_files)
                                ).scalar_one() == 0
            assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one() == 0
        actor, action, target, reason = _audit(ctx)[-1]
        assert (actor, action) == ("alice", "upload")
        assert target.startswith(f"upload {upload.id} file big.xlsx sha256 ")
        assert "refused" in (reason or "")
        assert verification_of(ctx, upload.id) is None
        with pytest.raises(RunRefused, match="refused"):
            load(ctx, upload.id, "alice")


def test_a_file_the_reader_refuses_is_kept_and_listed_with_its_reason(
        tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url, synchronized=False) as ctx:
        upload, checked = receive(ctx, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
                                  "old.xls", "bob")
        assert checked is None
        assert upload.state == "refused"
        assert "old.xls" in (upload.message or "")
        with ctx.engine.connect() as conn:
            kept = conn.execute(sa.select(upload_files.c.content)).scalar_one()
            assert bytes(kept).startswith(b"\xd0\xcf")
            assert get_upload(conn, upload.id).sha256 == upload.sha256
        assert _audit(ctx)[-1][:2] == ("bob", "upload")


def test_a_file_with_errors_is_never_loaded_and_every_step_is_audited(
        tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        sites = tab(ctx, "Directory_Site", [{"Identifier": "ZRH"}])
        wrong = verification("complete", sites, problems=[Problem(
            "Site", 3, "Time zone", "C", "Mars/Olympus", "`Mars/Olympus` is not a time zone")])
        upload = uploaded(ctx, wrong)
        assert (upload.state, upload.errors, upload.mode) == ("errors", 1, "complete")
        with pytest.raises(RunRefused, match="1 errors"):
            load_verified(ctx, upload, wrong, "alice")
        good = verification("update", tab(ctx, "Directory_Site", [
            {"Command": "Add", "Identifier": "ZRH", "DisplayName": "Zurich"}]))
        fine = uploaded(ctx, good)
        assert fine.state == "verified"
        run = load_verified(ctx, fine, good, "alice", )
        with ctx.engine.connect() as conn:
            assert [u.id for u in list_uploads(conn)] == [fine.id, upload.id]
            loaded = get_upload(conn, fine.id)
        assert (loaded.state, loaded.run_id) == ("loaded", run.id)
        with pytest.raises(RunRefused, match="loaded already"):
            load_verified(ctx, loaded, good, "alice")
        entries = [(a, act, t) for a, act, t, _ in _audit(ctx)]
        assert ("alice", "upload", f"upload {fine.id} file {FILE} sha256 {fine.sha256}") in entries
        assert ("alice", "load", f"upload {fine.id} file {FILE}") in entries


def test_a_preview_is_a_dry_run_said_in_plain_words(tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url) as ctx:
        open_ended = [k for k in (f"E{n:05d}" for n in range(1, 60))
                      if stored(ctx, "Directory_UserRecord", k)["ContractEndDate"] is None][:5]
        rows = [stored(ctx, "Directory_UserRecord", k) | {"Command": "Modify",
                                                           "ContractEndDate": "2026-12-31"}
                for k in open_ended[:3]]
        rows += [stored(ctx, "Directory_UserRecord", k) | {"Command": "Modify",
                                                            "Title": "Chef"}
                 for k in open_ended[3:5]]
        sites = tab(ctx, "Directory_Site", [{"Command": "Add", "Identifier": "ZRH",
                                             "DisplayName": "Zurich"}])
        checked = verification("update", tab(ctx, "Directory_UserRecord", rows), sites)
        upload = uploaded(ctx, checked)
        before = repository(ctx)
        seen = preview_verified(ctx, upload, checked, "alice")
        assert seen.run.dry_run
        assert seen.sentences == ["add 1 site", "end 3 of 200 contracts", "change 2 titles"]
        assert seen.counts == {"Identity record": {"inserted": 0, "updated": 5, "deleted": 0},
                               "Site": {"inserted": 1, "updated": 0, "deleted": 0}}
        assert repository(ctx) == before
        with ctx.engine.connect() as conn:
            kept = get_upload(conn, upload.id)
        assert (kept.state, kept.preview_run_id) == ("verified", seen.run.id)


def _titles_with_a_formula(folder: Path) -> bytes:
    path = folder / "titles.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Title")
    sheet.write_row(0, 0, ["Command", "Identifier", "DisplayName"])
    sheet.write_row(1, 0, ["Add", "T-NEW"])
    sheet.write_formula(1, 2, '="Chief "&"Officer"', None, "Chief Officer")
    book.close()
    return path.read_bytes()


def test_the_projects_formulas_setting_reaches_an_upload(tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "p", db_url, synchronized=False) as ctx:
        # By default a workbook's formula is read as the value Excel saved.
        upload, checked = receive(ctx, _titles_with_a_formula(tmp_path), "titles.xlsx", "alice")
        assert checked is not None
        assert checked.errors == []
        title = next(t for t in checked.tabs if t.tab == "Title")
        assert title.frame["DisplayName"].to_list() == ["Chief Officer"]
        # An administrator who wants none sets `formulas: refuse`.
        settings = ctx.directory / "config" / "directory.yaml"
        settings.write_text(settings.read_text("utf-8").replace(
            "  max_megabytes: 50\n", "  max_megabytes: 50\n  formulas: refuse\n"), "utf-8")
        with begin_write(ctx.engine) as conn:
            deployments.deploy(conn, load_project_config(ctx.directory))
        upload, checked = receive(ctx, _titles_with_a_formula(tmp_path), "titles.xlsx", "alice")
        assert checked is None
        assert upload.state == "refused"
        assert "formula" in (upload.message or "")
