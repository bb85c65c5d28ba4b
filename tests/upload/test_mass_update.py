"""The issue's second done-when with a real file: the full template with the Command column,
rows `Modify` (one value emptied with NULL_NULL), `Delete` and `Merge`, does exactly what it
says through the list of uploads — and the same file loaded again changes nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.project import ProjectContext
from headcount.upload.uploads import load, receive
from uploadproject import stored
from uploadsample import RECORDS, Filled, fingerprint, messages
from webproject import make_project


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Iterator[ProjectContext]:
    folder = make_project(tmp_path / "hr", db_url, people=200)
    ctx = ProjectContext.open(folder, db_url)
    yield ctx
    ctx.close()


def test_modify_delete_and_merge_do_what_they_say_and_twice_changes_nothing(
        sample: ProjectContext) -> None:
    filled = Filled(sample, "full", command_column=True)
    assert stored(sample, "Directory_UserRecord", "E00001")["Title"] is not None
    filled.put(RECORDS, filled.row_of(RECORDS, "RecordIdentifier", "E00001"),
               {"Command": "Modify", "Title": "NULL_NULL", "Phone number": "+33 1 23 45 67 89"})
    filled.put(RECORDS, filled.row_of(RECORDS, "RecordIdentifier", "E00003"),
               {"Command": "Delete"})
    filled.put(RECORDS, filled.row_of(RECORDS, "RecordIdentifier", "E00002"),
               {"Command": "Merge", "Title": "Responsable paie"})
    filled.append("Site", {"Command": "Merge", "Identifier *": "ZRH", "DisplayName": "Zurich"})
    untouched = stored(sample, "Directory_UserRecord", "E00004")
    out = io.BytesIO()
    filled.book.save(out)

    upload, checked = receive(sample, out.getvalue(), "mass.xlsx", "alice")
    assert checked is not None
    assert checked.errors == [], messages(checked)
    run = load(sample, upload.id, "alice")
    assert run.state in ("succeeded", "succeeded with warnings"), run.message
    one = stored(sample, "Directory_UserRecord", "E00001")
    assert (one["Title"], one["PhoneNumber"]) == (None, "+33 1 23 45 67 89")
    assert stored(sample, "Directory_UserRecord", "E00002")["Title"] == "Responsable paie"
    with pytest.raises(sa.exc.NoResultFound):
        stored(sample, "Directory_UserRecord", "E00003")
    assert stored(sample, "Directory_Site", "ZRH")["DisplayName"] == "Zurich"
    assert stored(sample, "Directory_UserRecord", "E00004") == untouched
    assert (run.counters["inserted"], run.counters["updated"], run.counters["deleted"]) == (
        1, 2, 1)

    after = fingerprint(sample.engine)["resources"]
    again, checked = receive(sample, out.getvalue(), "mass.xlsx", "alice")
    assert checked is not None
    assert checked.errors == [], messages(checked)
    second = load(sample, again.id, "alice")
    assert {k: second.counters[k] for k in ("inserted", "updated", "deleted", "links_inserted",
                                            "links_deleted")} == dict.fromkeys(
        ("inserted", "updated", "deleted", "links_inserted", "links_deleted"), 0)
    assert fingerprint(sample.engine)["resources"] == after
