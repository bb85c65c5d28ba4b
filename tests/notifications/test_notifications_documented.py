"""Every setting of the `notifications:` section and every event is documented in
docs/notifications.md, and the package shows only what it means to."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

import headcount.notifications
from headcount.config import notifications as settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "notifications.md").read_text("utf-8")


@pytest.mark.parametrize("cls", [settings.Notifications, settings.SmtpSettings,
                                 settings.Webhook, settings.JobEventRule],
                         ids=lambda c: c.__name__)
def test_every_setting_is_documented(cls: type[BaseModel]) -> None:
    names = [field.alias or name for name, field in cls.model_fields.items()]
    missing = [name for name in names if f"| `{name}` |" not in DOC]
    assert not missing, f"{cls.__name__}: undocumented settings {missing}"


def test_every_event_is_documented() -> None:
    missing = [kind for kind in settings.EVENT_KINDS if f"| `{kind}` |" not in DOC]
    assert not missing


def test_the_public_surface_is_what_all_says() -> None:
    public = {name for name in vars(headcount.notifications) if not name.startswith("_")}
    modules = {"broadcast", "digest", "errors", "job_events", "memory", "notification",
               "notifier", "settings", "signature", "smtp", "webhook"}
    assert public - modules == set(headcount.notifications.__all__)
