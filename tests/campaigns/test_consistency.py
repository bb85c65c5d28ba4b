"""The HR consistency campaign (SPEC §10) over the sample after the next-day set, with the
workforce template's workflows, on SQLite and PostgreSQL: a few identities edited by hand, a few
HR people without identity and an identity without HR person injected by the test — the
campaign lists exactly those, each with the provenance of both sides; decisions apply through
workflows (take the HR value) or protect the repository's value (keep); items fixed in HR close
by themselves at the next HR run; the report has one line per item and decision."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from campaignproject import Sample, sample
from headcount.campaigns import consistency, decisions, lifecycle, report, store
from headcount.campaigns.spec import CampaignSpec
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.repository import property_states
from headcount.repository.schema import links, resources, workflow_instances
from headcount.reviews.edits import ManualEdit, edit_resource
from headcount.samples import hrfiles

WORKFLOWS = Path(hrfiles.__file__).with_name("workflows.yaml")


def _next_day(s: Sample) -> None:
    data = s.ctx.directory / "data"
    for name in ("hr_people.csv", "hr_organizations.csv", "hr_sites.csv"):
        shutil.copyfile(data / "next_day" / name, data / name)
    assert synchronize(s.ctx, SyncRequest("HR")).state == "succeeded"


def _row(s: Sample, entity_type: str, key: str) -> dict[str, object]:
    with s.ctx.engine.connect() as conn:
        data = conn.execute(sa.select(resources.c.data).where(
            resources.c.entity_type == entity_type, resources.c.key == key)).scalar_one()
    return dict(json.loads(data))


def _insert(s: Sample, entity_type: str, key: str, values: dict[str, object]) -> None:
    """Written past HR and the policy: what the campaign must find."""
    with s.ctx.engine.begin() as conn:
        conn.execute(sa.insert(resources).values(entity_type=entity_type, key=key,
                                                 data=json.dumps(values), hash=0))


def _owned_pair(s: Sample) -> tuple[str, str]:
    """An active identity, and its record whose HR person is in the file."""
    with s.ctx.engine.connect() as conn:
        rows = conn.execute(sa.select(resources.c.key, links.c.target_key)
                            .join(links, links.c.source_id == resources.c.id)
                            .where(links.c.navigation == "Directory_UserRecord.User")
                            .order_by(resources.c.key)).all()
    for record, identity in rows:
        if _row(s, "Directory_User", identity).get("State") == "active":
            return identity, record
    raise AssertionError("no active identity")


def test_the_campaign_lists_exactly_what_differs_and_its_decisions_apply(
        tmp_path: Path, db_url: str) -> None:
    with sample(tmp_path / "hr", db_url, extra=[WORKFLOWS]) as s:
        _next_day(s)
        now = datetime.now(UTC)
        # The next day leaves nothing inconsistent: joiners waiting for their HR review are
        # on their way, not missing.
        assert consistency.findings(s.ctx.engine, s.project, now) == []
        identity, record = _owned_pair(s)
        hr_name = _row(s, "Directory_User", identity)["LastName"]
        # Another person's record: two identities edited by hand.
        other_record = max(_keys(s, "Directory_UserRecord") - {record})
        for entity_type, key, values in (
                ("Directory_User", identity, {"LastName": "Handedit"}),
                ("Directory_UserRecord", other_record, {"Title": "Chief Tinkerer"})):
            edit_resource(s.ctx.engine, s.project, ManualEdit(entity_type, key, values,
                                                              "typed by hand"), "hr", now)
        person = _row(s, "HR_Person", sorted(_keys(s, "HR_Person"))[0])
        for key in ("X90001", "X90002"):
            _insert(s, "HR_Person", key, {**person, "EmployeeId": key, "LastName": "Injected"})
        _insert(s, "Directory_User", "MANUAL1", {"Identifier": "MANUAL1", "LastName": "Nobody",
                                                 "FirstName": "Ann", "State": "active"})
        found = consistency.findings(s.ctx.engine, s.project, now)
        assert sorted(f.ident() for f in found) == [
            ("mismatch", "Directory_User", identity, "LastName"),
            ("mismatch", "Directory_UserRecord", other_record, "Title"),
            ("no-hr-person", "Directory_User", "MANUAL1", ""),
            ("no-identity", "HR_Person", "X90001", ""),
            ("no-identity", "HR_Person", "X90002", ""),
        ]
        name = next(f for f in found if f.property == "LastName")
        assert (name.details["repository"], name.details["hr"]) == ("Handedit", hr_name)
        assert "set by hand" in name.details["repository_provenance"]
        assert "hr_people.csv" in name.details["hr_provenance"]

        spec = CampaignSpec(kind="hr-consistency", name="November check", owner="boss",
                            starts_on=now.date(), ends_on=date(2999, 1, 1))
        campaign_id, count = lifecycle.create(s.ctx.engine, s.project, spec, "boss", now)
        assert count == 5
        hr = s.people["hr"]
        with s.ctx.engine.connect() as conn:
            total, items = store.items_of(conn, campaign_id, store.mine(hr))
        assert total == 5
        assert {i.reviewer for i in items} == {"role:hr"}
        by = {(i.finding, i.subject_key): i.id for i in items}

        def decide(ids: list[int], what: str, comment: str | None = None,
                   expires_on: date | None = None) -> decisions.Decided:
            return decisions.decide(s.ctx.engine, s.project, campaign_id, ids, what, hr,
                                    comment, expires_on=expires_on, now=now)

        took = decide([by[("mismatch", identity)]], "take-hr")
        decide([by[("mismatch", other_record)]], "keep", comment="Agreed with the manager")
        decide([by[("no-identity", "X90001")]], "fix-in-hr", comment="HR to remove")
        decide([by[("no-identity", "X90002")]], "exception", comment="Known",
               expires_on=date(2999, 1, 1))
        decide([by[("no-hr-person", "MANUAL1")]], "exception", comment="A test account",
               expires_on=now.date() + timedelta(days=1))

        # Taken from HR through its workflow: the value is HR's again, no longer held.
        assert _row(s, "Directory_User", identity)["LastName"] == hr_name
        assert took.applied[by[("mismatch", identity)]].startswith(
            "workflow Directory_User_TakeHRValue #")
        with s.ctx.engine.connect() as conn:
            assert conn.execute(sa.select(workflow_instances.c.state).where(
                workflow_instances.c.workflow == "Directory_User_TakeHRValue")).scalar_one() \
                == "completed"
            assert "LastName" not in property_states.of_resource(conn, "Directory_User",
                                                                 identity)
            kept = property_states.of_resource(conn, "Directory_UserRecord", other_record)
        assert kept["Title"].state == "protected"

        # The next HR run drops the injected people (not in the file): fixed in HR, closed.
        assert synchronize(s.ctx, SyncRequest("HR")).state == "succeeded"
        with s.ctx.engine.connect() as conn:
            after = {i.subject_key: i for i in store.every_item(conn, campaign_id)}
            text = report.as_csv(conn, campaign_id)
        assert after["X90001"].state == "closed"
        assert after["X90001"].applied is not None
        assert after["X90001"].applied.startswith("fixed in HR")
        assert after["X90002"].state == "decided"  # an exception stays as decided
        lines = list(csv.DictReader(io.StringIO(text)))
        assert len(lines) == 5
        assert sorted(r["decision"] for r in lines) == [
            "exception", "exception", "fix-in-hr", "keep", "take-hr"]
        # Its exception run out, the identity still without HR person: to be decided again.
        consistency.refresh(s.ctx.engine, s.project, now + timedelta(days=2))
        with s.ctx.engine.connect() as conn:
            again = {i.subject_key: i for i in store.every_item(conn, campaign_id)}["MANUAL1"]
        assert (again.state, again.decision) == ("open", None)
        assert again.applied is not None
        assert again.applied.startswith("the exception expired")


def _keys(s: Sample, entity_type: str) -> set[str]:
    with s.ctx.engine.connect() as conn:
        return set(conn.execute(sa.select(resources.c.key).where(
            resources.c.entity_type == entity_type)).scalars())
