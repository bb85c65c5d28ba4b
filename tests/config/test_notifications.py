"""The `notifications:` section: validated like the rest, every error at its file and line with
the right name suggested."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.config.loader import load_project_config
from headcount.config.model import Project
from headcount.errors import ConfigError

CONNECTOR = """connectors:
  - identifier: HR
"""


def _project(tmp_path: Path, *files: str) -> Path:
    (tmp_path / "config").mkdir()
    for i, text in enumerate((CONNECTOR, *files)):
        (tmp_path / "config" / f"{i}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, *files: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project_config(_project(tmp_path, *files))
    return [str(p) for p in caught.value.problems]


def test_the_section_is_read_with_its_defaults(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, """notifications:
  base_url: https://headcount.example.com/
  smtp:
    host: mail.example.com
    username: headcount
    from: headcount <headcount@example.com>
  webhooks:
    - url: https://hooks.example.com/headcount
      secret_env: HOOK_SECRET
    - url: http://127.0.0.1:9000/
      secret_env: OTHER_SECRET
      events: [task_escalated, digest]
      retries: 0
"""))
    settings = project.notifications
    assert settings.base_url == "https://headcount.example.com"
    assert settings.smtp is not None
    assert (settings.smtp.security, settings.smtp.effective_port) == ("starttls", 587)
    assert settings.smtp.password_env == "HEADCOUNT_SMTP_PASSWORD"
    assert settings.smtp.sender == "headcount <headcount@example.com>"
    first, second = settings.webhooks
    assert first.events == ["task_assigned", "task_escalated", "task_reminder", "task_decided"]
    assert (second.events, second.retries) == (["task_escalated", "digest"], 0)


def test_a_project_without_the_section_notifies_nobody(tmp_path: Path) -> None:
    settings = load_project_config(_project(tmp_path)).notifications
    assert settings.smtp is None
    assert settings.webhooks == []


def test_the_deployed_form_reads_back_the_same(tmp_path: Path) -> None:
    project = load_project_config(_project(tmp_path, """notifications:
  smtp: {host: mail, security: tls, from: hc@example.com}
"""))
    again = Project.model_validate_json(project.model_dump_json())
    assert again == project
    assert again.notifications.smtp is not None
    assert again.notifications.smtp.effective_port == 465


def test_a_misspelt_setting_names_its_line_and_suggests(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """notifications:
  smtp:
    host: mail
    form: hc@example.com
""")
    where = f"{tmp_path}/config/1.yaml"
    assert errors == [
        f"{where}, line 2, column 3: notifications.smtp.from: `from` is required",
        f"{where}, line 4, column 5: notifications.smtp.form: unknown setting `form` — "
        "did you mean `from`?"]


def test_a_wrong_event_and_security_are_reported_at_their_lines(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """notifications:
  smtp: {host: mail, security: startls, from: hc@example.com}
  webhooks:
    - url: https://hooks.example.com/
      secret_env: SECRET
      events:
        - task_assigned
        - task_escalted
""")
    where = f"{tmp_path}/config/1.yaml"
    assert errors == [
        f"{where}, line 2, column 22: notifications.smtp.security: unknown security `startls` "
        "— did you mean `starttls`? (one of: starttls, tls, none)",
        f"{where}, line 8, column 11: notifications.webhooks[0].events[1]: unknown event "
        "`task_escalted` — did you mean `task_escalated`? (one of: task_assigned, "
        "task_escalated, task_reminder, task_decided, digest)"]


def test_addresses_are_checked(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """notifications:
  base_url: headcount.example.com
  smtp: {host: mail, from: headcount}
  webhooks:
    - {url: "ftp://hooks.example.com/", secret_env: "not a variable"}
""")
    assert len(errors) == 4
    expected = [("line 2", "base_url `headcount.example.com` is not an http"),
                ("line 3", "`headcount` is not an e-mail address"),
                ("line 5", "url `ftp://hooks.example.com/` is not an http"),
                ("line 5", "webhooks[0].secret_env: String should match pattern")]
    for error, (line, message) in zip(errors, expected, strict=True):
        assert f"1.yaml, {line}," in error
        assert message in error


def test_the_section_is_given_in_one_file(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "notifications: {base_url: 'https://a.example.com'}\n",
                     "notifications: {base_url: 'https://b.example.com'}\n")
    assert errors == [f"{tmp_path}/config/2.yaml, line 1, column 1: notifications: given twice: "
                      f"also at {tmp_path}/config/1.yaml, line 1, column 1; give it in one file"]


def test_a_misspelt_section_is_suggested(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "notification:\n  smtp: {host: mail, from: hc@example.com}\n")
    assert errors == [f"{tmp_path}/config/1.yaml, line 1, column 1: notification: "
                      "unknown section — did you mean `notifications`?"]


def test_job_events_default_to_blocked_and_failed_runs_for_the_administrators(
        tmp_path: Path) -> None:
    [rule] = load_project_config(_project(tmp_path)).notifications.job_events
    assert (rule.events, rule.roles, rule.connectors) == (
        ["run_blocked", "run_failed"], ["administrator"], [])
    (tmp_path / "b").mkdir()
    nobody = load_project_config(_project(tmp_path / "b", "notifications: {job_events: []}\n"))
    assert nobody.notifications.job_events == []


def test_job_event_rules_are_checked_at_their_lines(tmp_path: Path) -> None:
    errors = _errors(tmp_path, """notifications:
  webhooks:
    - {url: "https://chat.example.com/hc", secret_env: CHAT, events: [run_failed]}
  job_events:
    - events: [run_blocked, run_faild]
      connectors: [HRR]
      roles: [administrater]
      emails: [hr-it]
      webhooks: ["https://chat.example.com/hk"]
    - events: [source_stale]
""")
    where = f"{tmp_path}/config/1.yaml"
    assert errors == [
        f"{where}, line 3, column 71: notifications.webhooks[0].events[0]: `run_failed` is a "
        "job event: `job_events` says which webhooks receive it",
        f"{where}, line 5, column 29: notifications.job_events[0].events[1]: unknown job event "
        "`run_faild` — did you mean `run_failed`? (one of: run_blocked, run_failed, "
        "run_warnings, source_stale)",
        f"{where}, line 7, column 15: notifications.job_events[0].roles[0]: unknown role "
        "`administrater` — did you mean `administrator`? (one of: administrator, operator, hr, "
        "reviewer, viewer)",
        f"{where}, line 8, column 16: notifications.job_events[0].emails[0]: `hr-it` is not an "
        "e-mail address"]
    (tmp_path / "b").mkdir()
    errors = _errors(tmp_path / "b", """notifications:
  webhooks:
    - {url: "https://chat.example.com/hc", secret_env: CHAT}
  job_events:
    - events: [run_blocked]
      connectors: [HRR]
      webhooks: ["https://chat.example.com/hk"]
    - events: [source_stale]
""")
    where = f"{tmp_path}/b/config/1.yaml"
    assert errors == [
        f"{where}, line 6, column 20: notifications.job_events[0].connectors[0]: unknown "
        "connector `HRR` — did you mean `HR`?",
        f"{where}, line 7, column 18: notifications.job_events[0].webhooks[0]: no webhook "
        "`https://chat.example.com/hk` in `notifications.webhooks` — did you mean "
        "`https://chat.example.com/hc`?",
        f"{where}, line 8, column 7: notifications.job_events[1]: tells nobody: give `roles`, "
        "`users`, `emails` or `webhooks`"]
