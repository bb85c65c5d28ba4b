"""The issue's first done-when, end to end through the list of uploads: the sample's full
template filled with the six mistakes (a duplicate key, a manager that does not exist, a bad
date, a fixed-term contract without an end date, a login taken by someone else, an organization
without a manager) is kept with exactly those errors and loads nothing; corrected, it previews
and loads, and the history of a loaded value names the upload, the tab and the row."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from headcount.errors import RunRefused
from headcount.project import ProjectContext
from headcount.repository.provenance import provenance
from headcount.upload.uploads import load, preview, receive
from uploadsample import RECORDS, Filled, fingerprint, full_with_mistakes, located, messages
from webproject import make_project


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Iterator[ProjectContext]:
    folder = make_project(tmp_path / "hr", db_url, people=200)
    ctx = ProjectContext.open(folder, db_url)
    yield ctx
    ctx.close()


def _bytes(filled: Filled) -> bytes:
    out = io.BytesIO()
    filled.book.save(out)
    return out.getvalue()


def test_mistakes_load_nothing_and_the_corrected_file_previews_loads_and_is_named(
        sample: ProjectContext) -> None:
    before = fingerprint(sample.engine)
    wrong = Filled(sample, "full")
    expected = full_with_mistakes(wrong, correct=False)
    upload, verification = receive(sample, _bytes(wrong), "workforce.xlsx", "alice")
    assert verification is not None
    assert located(verification.errors) == expected, messages(verification)
    assert (upload.state, upload.errors) == ("errors", len(expected))
    with pytest.raises(RunRefused, match="errors"):
        load(sample, upload.id, "alice")
    assert fingerprint(sample.engine) == before

    fixed = Filled(sample, "full")
    full_with_mistakes(fixed, correct=True)
    upload, verification = receive(sample, _bytes(fixed), "fixed.xlsx", "alice")
    assert verification is not None
    assert verification.errors == [], messages(verification)
    assert verification.mode == "complete"
    seen = preview(sample, upload.id, "alice")
    assert seen.sentences, seen
    # Row 6 names the manager the record has already: four records change.
    assert seen.counts[RECORDS]["updated"] == 4, seen.counts
    assert fingerprint(sample.engine)["resources"] == before["resources"]
    run = load(sample, upload.id, "alice")
    assert run.state in ("succeeded", "succeeded with warnings"), run.message
    assert {k: run.counters[k] for k in ("inserted", "updated", "deleted", "links_inserted",
                                       "links_deleted")} == {
        # Three values (a start date, an end date, a login) and three links moved (a
        # record's manager and user type, an organization's manager).
        "inserted": 0, "updated": 3, "deleted": 0, "links_inserted": 3, "links_deleted": 3}
    with sample.engine.connect() as conn:
        record = provenance(conn, sample.deployed()[1], "Directory_UserRecord", "E00006")
    end = next(v for v in record.values if v.name == "ContractEndDate")
    assert end.value == "2027-12-31"
    assert end.text == (f"set by upload {upload.id} by alice, file fixed.xlsx, tab {RECORDS}, "
                        f"row 8, run {run.id}")
