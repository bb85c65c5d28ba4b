"""File-shape guards block a run before any change (SPEC §4.4, §15.4)."""

from __future__ import annotations

from pathlib import Path

from headcount.repository import runs as R
from hrproject import PEOPLE_HEADER, hr_project, people


def test_swapped_values_under_the_same_header_are_blocked(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(30))
        hr.sync()
        before = hr.state()
        swapped = [[r[0], r[1], r[3], r[2], r[4], r[5]] for r in people(30)]
        hr.write_people([[*r[:3], "01/02/2020", *r[4:]] for r in swapped])
        run = hr.sync()
        assert run.state == R.BLOCKED
        assert "column `LastName`" in (run.message or "")
        assert "most look like date" in (run.message or "")
        assert hr.state() == before


def test_empty_file_is_blocked(tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(10))
        hr.sync()
        hr.write_people([])
        run = hr.sync(dry_run=False)
        assert run.state == R.BLOCKED
        assert "the file has a header but no rows" in " ".join(_logs(hr, run.id)) or \
            "empty" in (run.message or "")


def test_reordered_mapped_columns_are_blocked_new_columns_warn(
        tmp_path: Path, db_url: str) -> None:
    with hr_project(tmp_path, db_url) as hr:
        hr.write_people(people(10))
        hr.sync()
        header = [*PEOPLE_HEADER, "Badge"]
        hr.write_people([[*r, "B"] for r in people(10)], header=header)
        run = hr.sync()
        assert run.state == R.WARNINGS
        assert any("new unmapped columns: Badge" in m for m in _logs(hr, run.id))
        order = [2, 1, 0, 3, 4, 5]
        hr.write_people([[r[i] for i in order] for r in people(10)],
                        header=[PEOPLE_HEADER[i] for i in order])
        blocked = hr.sync()
        assert blocked.state == R.BLOCKED
        assert "mapped columns are in another order" in (blocked.message or "")


def _logs(hr: object, run_id: int) -> list[str]:
    with hr.ctx.engine.connect() as conn:  # type: ignore[attr-defined]
        return [m for _, _, m in R.logs(conn, run_id)]
