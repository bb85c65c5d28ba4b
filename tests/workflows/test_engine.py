"""The workflow engine through its public functions, on the synchronized sample: a change set
waits in tasks, people decide (with their roles, a quorum, a delegation, a refinement), and
only the Persist activity writes it — through a run whose history names the workflow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.errors import ConfigError, NotFound
from headcount.project import ProjectContext
from headcount.repository import runs
from headcount.repository.database import begin_write
from headcount.repository.schema import changes as changes_table
from headcount.repository.users import User, find_user
from headcount.workflows.changes import (
    InvalidChanges,
    ResourceChange,
    WorkflowChanges,
    current,
)
from headcount.workflows.engine import (
    ABORTED,
    COMPLETED,
    RUNNING,
    NotAllowed,
    TaskRefused,
    decide,
    start,
)
from headcount.workflows.tasks import get_instance, inbox
from webproject import make_project

WORKFLOWS = """
workflows:
  - identifier: Directory_UserRecord_Retitle
    entity_type: Directory_UserRecord
    display_name: Change a title
    properties: [Title]
    activities:
      - {identifier: Request, template: ActionWithRefine}
      - {identifier: Review, template: ReviewWithFeedback, roles: [hr], deadline_days: 2}
      - {template: Persist}
  - identifier: Directory_UserRecord_ManagerReview
    entity_type: Directory_UserRecord
    activities:
      - {template: Review, roles: [hr], relations: [Manager]}
      - {template: Persist}
  - identifier: Directory_UserRecord_TwoReviews
    entity_type: Directory_UserRecord
    activities:
      - {template: Review, roles: [hr, reviewer], quorum: 2}
      - {template: Persist}
"""
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday


@pytest.fixture
def sample(tmp_path: Path, db_url: str) -> Iterator[tuple[ProjectContext, Project]]:
    extra = tmp_path / "workflows.yaml"
    extra.write_text(WORKFLOWS, encoding="utf-8")
    folder = make_project(tmp_path / "hr", db_url, people=200, extra=[extra])
    ctx = ProjectContext.open(folder, db_url)
    with begin_write(ctx.engine) as conn:
        from headcount.repository import users

        users.add_user(conn, "rev", "correct-horse-battery", "reviewer")
    try:
        yield ctx, load_project_config(folder)
    finally:
        ctx.close()


def person(ctx: ProjectContext, name: str) -> User:
    with ctx.engine.connect() as conn:
        found = find_user(conn, name)
    assert found is not None
    return found


def retitle(ctx: ProjectContext, key: str, title: str) -> WorkflowChanges:
    with ctx.engine.connect() as conn:
        found = current(conn, "Directory_UserRecord", key)
    assert found is not None
    return WorkflowChanges([ResourceChange("Directory_UserRecord", key, "update",
                                           {"Title": (found[1]["Title"], title)})])


def title(ctx: ProjectContext, key: str) -> object:
    with ctx.engine.connect() as conn:
        found = current(conn, "Directory_UserRecord", key)
    assert found is not None
    return found[1]["Title"]


def act(ctx: ProjectContext, project: Project, task: int, who: str, transition: str,
        comment: str | None = None, to: str | None = None) -> object:
    with begin_write(ctx.engine) as conn:
        return decide(conn, project, task, person(ctx, who), transition, comment, to, now=NOW)


def open_tasks(ctx: ProjectContext, project: Project, who: str) -> list[tuple[int, str, str]]:
    with ctx.engine.connect() as conn:
        _, tasks = inbox(conn, project, person(ctx, who))
    return [(t.id, t.activity, t.state) for t in tasks]


def test_nothing_is_written_before_persist_and_the_history_names_the_workflow(
        sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    before = title(ctx, "E00002")
    with begin_write(ctx.engine) as conn:
        instance = start(conn, project, "Directory_UserRecord_Retitle",
                         retitle(ctx, "E00002", "Chief of staff"), actor="op",
                         message="New title for E00002", now=NOW)
    ((request, activity, state),) = open_tasks(ctx, project, "hr")
    assert (activity, state) == ("Request", "ActionPending")
    assert open_tasks(ctx, project, "view") == []  # a viewer decides nothing
    act(ctx, project, request, "hr", "Request-ActionPending-Execute")
    ((review, activity, state),) = open_tasks(ctx, project, "hr")
    assert (activity, state) == ("Review", "ReviewPending")
    assert open_tasks(ctx, project, "rev") == []  # the Review is HR's
    assert title(ctx, "E00002") == before  # nothing reaches the repository before Persist
    with ctx.engine.connect() as conn:
        (task,) = [t for t in get_instance(conn, project, instance).tasks if t.id == review]
    assert task.deadline is not None
    assert task.deadline.date().isoformat() == "2026-12-01"  # two business days: Mon, Tue
    decided = act(ctx, project, review, "hr", "Approve", "as agreed with the manager")
    assert title(ctx, "E00002") == "Chief of staff"
    with ctx.engine.connect() as conn:
        story = get_instance(conn, project, instance)
        assert story.state == COMPLETED
        assert story.run_id == decided.run_id  # type: ignore[attr-defined]
        assert [d.transition for d in story.decisions] == [
            "Request-ActionPending-Execute", "Review-ReviewPending-Approve"]
        run = runs.get_run(conn, story.run_id)  # type: ignore[arg-type]
        source = conn.execute(sa.select(changes_table.c.connection).where(
            changes_table.c.run_id == story.run_id)).scalar_one()
    assert run.mode == "workflow"
    assert "Review approved by hr on 2026-11-27: as agreed with the manager" in (run.reason or "")
    assert source == f"workflow Directory_UserRecord_Retitle #{instance}"


def test_a_decline_ends_it_with_a_comment_and_writes_nothing(
        sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    before = title(ctx, "E00003")
    with begin_write(ctx.engine) as conn:
        instance = start(conn, project, "Directory_UserRecord_Retitle",
                         retitle(ctx, "E00003", "Wizard"), actor="op", now=NOW)
    ((request, *_),) = open_tasks(ctx, project, "hr")
    act(ctx, project, request, "hr", "Execute")
    ((review, *_),) = open_tasks(ctx, project, "hr")
    with pytest.raises(TaskRefused, match="needs a comment"):
        act(ctx, project, review, "hr", "Decline")
    with pytest.raises(TaskRefused, match="one of Review-ReviewPending-Approve"):
        act(ctx, project, review, "hr", "Execute")
    act(ctx, project, review, "hr", "Decline", "not a title we use")
    with pytest.raises(TaskRefused, match="decided already"):
        act(ctx, project, review, "hr", "Approve")
    assert title(ctx, "E00003") == before
    with ctx.engine.connect() as conn:
        assert get_instance(conn, project, instance).state == ABORTED


def test_a_refinement_sends_it_back_and_a_delegation_lets_another_act(
        sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    with begin_write(ctx.engine) as conn:
        start(conn, project, "Directory_UserRecord_Retitle",
              retitle(ctx, "E00004", "Analyst II"), actor="op", now=NOW)
    ((request, *_),) = open_tasks(ctx, project, "hr")
    act(ctx, project, request, "hr", "Execute")
    ((review, *_),) = open_tasks(ctx, project, "hr")
    act(ctx, project, review, "hr", "Refine", "which level?")
    ((again, activity, state),) = open_tasks(ctx, project, "hr")
    assert (activity, state) == ("Request", "RefinePending")
    act(ctx, project, again, "hr", "Execute")
    ((review, *_),) = open_tasks(ctx, project, "hr")
    with pytest.raises(NotAllowed):
        act(ctx, project, review, "view", "Approve")
    with pytest.raises(NotFound, match="no user `nobody`"):
        act(ctx, project, review, "hr", "Delegate", to="nobody")
    act(ctx, project, review, "hr", "Delegate", "on leave", to="view")
    assert [t[0] for t in open_tasks(ctx, project, "view")] == [review]
    act(ctx, project, review, "view", "Approve")
    assert title(ctx, "E00004") == "Analyst II"


def test_a_quorum_counts_people_not_delegations(sample: tuple[ProjectContext, Project]) -> None:
    # A review found it: an approver who then delegated let the delegate fill the quorum.
    ctx, project = sample
    with begin_write(ctx.engine) as conn:
        start(conn, project, "Directory_UserRecord_TwoReviews",
              retitle(ctx, "E00007", "Auditor"), actor="op", now=NOW)
    ((review, *_),) = open_tasks(ctx, project, "rev")
    act(ctx, project, review, "hr", "Approve")
    with pytest.raises(TaskRefused, match="approved it already"):
        act(ctx, project, review, "hr", "Delegate", "away", to="view")
    act(ctx, project, review, "rev", "Delegate", "on leave", to="view")
    with pytest.raises(TaskRefused, match="the delegate decides"):
        act(ctx, project, review, "rev", "Approve")
    with pytest.raises(TaskRefused, match="act for another"):
        act(ctx, project, review, "view", "Delegate", "again", to="op")
    act(ctx, project, review, "view", "Approve")  # for rev: the second voice
    assert title(ctx, "E00007") == "Auditor"


def test_a_workflow_changes_only_its_properties(sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    changes = WorkflowChanges([ResourceChange("Directory_UserRecord", "E00008", "update",
                                              {"Email": ("a@x", "b@x")})])
    with begin_write(ctx.engine) as conn, pytest.raises(InvalidChanges,
                                                        match="changes Title: not Email"):
        start(conn, project, "Directory_UserRecord_Retitle", changes, actor="op", now=NOW)


def test_a_quorum_counts_people(sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    with begin_write(ctx.engine) as conn:
        instance = start(conn, project, "Directory_UserRecord_TwoReviews",
                         retitle(ctx, "E00005", "Auditor"), actor="op", now=NOW)
    ((review, *_),) = open_tasks(ctx, project, "rev")
    act(ctx, project, review, "hr", "Approve")
    with pytest.raises(TaskRefused, match=r"approved task \d+ already"):
        act(ctx, project, review, "hr", "Approve")
    with ctx.engine.connect() as conn:
        assert get_instance(conn, project, instance).state == RUNNING
    act(ctx, project, review, "rev", "Approve")
    assert title(ctx, "E00005") == "Auditor"


def test_a_change_set_the_repository_moved_away_from_is_shown_not_written(
        sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    with begin_write(ctx.engine) as conn:
        start(conn, project, "Directory_UserRecord_TwoReviews",
              retitle(ctx, "E00006", "Auditor"), actor="op", now=NOW)
    with begin_write(ctx.engine) as conn:  # HR moved meanwhile
        conn.execute(sa.text(
            "UPDATE resources SET data = :d WHERE entity_type = 'Directory_UserRecord' "
            "AND key = 'E00006'"), {"d": '{"Title": "Moved"}'})
    ((review, *_),) = open_tasks(ctx, project, "hr")
    act(ctx, project, review, "hr", "Approve")
    with pytest.raises(TaskRefused, match="E00006: Title is now 'Moved'"):
        act(ctx, project, review, "rev", "Approve")
    assert title(ctx, "E00006") == "Moved"


@pytest.mark.parametrize(("text", "said"), [
    ("entity_type: Directory_UserRecrod", "unknown entity type `Directory_UserRecrod` — did "
                                          "you mean `Directory_UserRecord`?"),
    ("properties: [Titel]", "unknown property `Titel` of `Directory_UserRecord` — did you mean "
                            "`Title`?"),
    ("roles: [hrr]", "unknown role `hrr` — did you mean `hr`?"),
    ("roles: [hr], relations: [Managr]", "`Managr` is no navigation of `Directory_UserRecord` — "
                                         "did you mean `Manager`?"),
    ("last: Action", "the last activity must persist the change set"),
    ("roles: [hr]}\n      - {template: ReviewWithFeedback", "sends back for refinement to an "
                                                         "ActionWithRefine before it: there is "
                                                         "none"),
])
def test_a_workflow_is_checked_with_its_line_and_a_suggestion(
        tmp_path: Path, text: str, said: str) -> None:
    from headcount.samples import hrfiles

    folder = tmp_path / "hr"
    (folder / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        (folder / "config" / name).write_text(
            (Path(hrfiles.__file__).with_name(name)).read_text(encoding="utf-8"),
            encoding="utf-8")
    entity, props, roles, last = ("Directory_UserRecord", "[Title]", "[hr]", "Persist")
    key, _, value = text.partition(": ")
    if key == "entity_type":
        entity = value
    elif key == "properties":
        props = value
    elif key == "roles":
        roles = value
    else:
        last = value
    (folder / "config" / "workflows.yaml").write_text(
        "workflows:\n  - identifier: W\n"
        f"    entity_type: {entity}\n    properties: {props}\n    activities:\n"
        f"      - {{template: Review, roles: {roles}}}\n      - {{template: {last}}}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_project_config(folder)
    assert said in str(error.value)
    assert "workflows.yaml, line" in str(error.value)


def test_a_manager_acts_on_the_tasks_of_their_reports_only(
        sample: tuple[ProjectContext, Project]) -> None:
    ctx, project = sample
    with ctx.engine.connect() as conn:
        record, manager = conn.execute(sa.text(
            "SELECT r.key, l.target_key FROM links l JOIN resources r ON r.id = l.source_id "
            "WHERE l.navigation = 'Directory_UserRecord.Manager' ORDER BY r.key LIMIT 1")).one()
        stranger = conn.execute(sa.text(
            "SELECT key FROM resources WHERE entity_type = 'Directory_User' AND key <> :m "
            "ORDER BY key LIMIT 1"), {"m": manager}).scalar_one()
    with begin_write(ctx.engine) as conn:
        from headcount.repository import users

        users.add_user(conn, "boss", "correct-horse-battery", "viewer", identity=manager)
        users.add_user(conn, "other", "correct-horse-battery", "viewer", identity=stranger)
        start(conn, project, "Directory_UserRecord_ManagerReview",
              retitle(ctx, record, "Lead"), actor="op", now=NOW)
    ((review, *_),) = open_tasks(ctx, project, "boss")
    assert open_tasks(ctx, project, "other") == []
    with pytest.raises(NotAllowed):
        act(ctx, project, review, "other", "Approve")
    act(ctx, project, review, "boss", "Approve", "my report, agreed")
    assert title(ctx, record) == "Lead"
