"""The `jobs:` section (docs/jobs.md) is validated like the rest: cron expressions, time zones,
the connectors and jobs it names (and the jobs connectors name), each problem located with its
file, line and path, and a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.jobs import job_connectors
from headcount.config.loader import load_project_config
from headcount.errors import ConfigError

SAMPLES = Path(__file__).resolve().parents[2] / "src" / "headcount" / "samples"


def _project(tmp_path: Path, jobs: str, hr: tuple[str, str] = ("", "")) -> Path:
    (tmp_path / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml", "ad.yaml"):
        text = (SAMPLES / name).read_text("utf-8")
        if name == "hr.yaml" and hr[0]:
            assert hr[0] in text
            text = text.replace(*hr, 1)
        (tmp_path / "config" / name).write_text(text, "utf-8")
    (tmp_path / "config" / "jobs.yaml").write_text(jobs, encoding="utf-8")
    return tmp_path


def _problems(tmp_path: Path, jobs: str, hr: tuple[str, str] = ("", "")) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, jobs, hr))
    return [str(p) for p in caught.value.problems]


SAMPLE = (SAMPLES / "jobs.yaml").read_text("utf-8")


def test_the_sample_jobs_and_who_runs_them(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, SAMPLE))
    daily, frequent, evaluation = project.jobs
    assert (daily.schedule, daily.mode, daily.retry.attempts) == ("0 2 * * *", "complete", 2)
    # The Directory reads nothing (the policy writes it): no job runs for it by default.
    assert [c.identifier for c in job_connectors(daily, project.connectors)] == ["AD", "HR"]
    assert [c.identifier for c in job_connectors(frequent, project.connectors)] == ["HR"]
    assert (evaluation.after, evaluation.tasks, evaluation.schedule) == (
        ["Daily"], ["evaluate"], None)


def test_a_connector_opts_out_of_jobs_that_name_no_connectors(tmp_path: Path) -> None:
    project = load_project_config(_project(
        tmp_path, SAMPLE, ("  - identifier: HR\n", "  - identifier: HR\n    jobs: [Frequent]\n")))
    daily = project.job("daily")
    assert daily is not None
    assert [c.identifier for c in job_connectors(daily, project.connectors)] == ["AD"]


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ('schedule: "0 2 * * *"', 'schedule: "0 2 * *"', "jobs[0].schedule",
     "`0 2 * *` is not a cron expression of 5 fields"),
    ('schedule: "0 2 * * *"', 'schedule: "0 25 * * *"', "jobs[0].schedule",
     "`0 25 * * *` is not a cron expression"),
    ("time_zone: UTC", "time_zone: Europe/Pariss", "jobs[0].time_zone",
     "unknown time zone `Europe/Pariss`"),
    ("connectors: [HR]", "connectors: [HRR]", "jobs[1].connectors[0]",
     "no connector `HRR` — did you mean `HR`?"),
    ("after: [Daily]", "after: [Dayly]", "jobs[2].after[0]",
     "no job `Dayly` — did you mean `Daily`?"),
    ("after: [Daily]", "after: [DateEvaluation]", "jobs[2].after[0]",
     "`DateEvaluation` and `DateEvaluation` follow each other"),
    ("    mode: incremental\n", "    mode: incremental\n    tasks: [evaluate]\n",
     "jobs[1].mode", "`mode` is synchronize's"),
    ("  - identifier: Frequent\n", "  - identifier: daily\n", "jobs[1].identifier",
     "job `daily` is declared twice"),
    ("    after: [Daily]\n", "    after: [Daily]\n    schedule: '0 3 * * *'\n",
     "jobs[2].schedule", "a job runs on its `schedule` or `after` other jobs, not both"),
    ("    retry: {attempts: 2", "    retry: {attempts: 0", "jobs[0].retry.attempts",
     "greater than or equal to 1"),
])
def test_each_wrong_job_is_located_and_explained(tmp_path: Path, old: str, new: str,
                                                 where: str, message: str) -> None:
    assert old in SAMPLE
    shown = _problems(tmp_path, SAMPLE.replace(old, new, 1))
    assert len(shown) == 1, shown
    assert "jobs.yaml, line " in shown[0]
    assert where in shown[0]
    assert message in shown[0]


def test_a_connector_naming_an_unknown_job_is_located(tmp_path: Path) -> None:
    shown = _problems(tmp_path, SAMPLE,
                      ("  - identifier: HR\n", "  - identifier: HR\n    jobs: [Frequentt]\n"))
    assert len(shown) == 1, shown
    assert "hr.yaml, line " in shown[0]
    assert "connectors[0].jobs[0]" in shown[0]
    assert "no job `Frequentt` — did you mean `Frequent`?" in shown[0]
