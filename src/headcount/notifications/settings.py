"""The notifier a project's `notifications:` section describes, with its secrets read from the
environment."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path

from headcount.config.notifications import JOB_EVENTS, Notifications
from headcount.notifications.broadcast import Broadcast
from headcount.notifications.errors import MissingSecret
from headcount.notifications.smtp import SmtpNotifier
from headcount.notifications.webhook import WebhookNotifier


def configured_notifier(settings: Notifications, environ: Mapping[str, str],
                        project_dir: Path) -> Broadcast:
    """Every notifier of `settings` (none: a broadcast to nobody). Raise MissingSecret when an
    environment variable it names is not set — before anything is sent, not at the first
    event."""
    notifiers: list[SmtpNotifier | WebhookNotifier] = []
    smtp = settings.smtp
    if smtp is not None:
        password = None
        if smtp.username:
            password = _secret(environ, smtp.password_env, "notifications.smtp.password_env")
        tls = ssl.create_default_context(
            cafile=str(project_dir / smtp.ca_file) if smtp.ca_file else None)
        notifiers.append(SmtpNotifier(smtp, password, base_url=settings.base_url, tls=tls))
    for i, hook in enumerate(settings.webhooks):
        secret = _secret(environ, hook.secret_env, f"notifications.webhooks[{i}].secret_env")
        notifiers.append(WebhookNotifier(
            # Job events go to the webhooks their rules name (`job_events`), not by `events`.
            hook.url, secret.encode("utf-8"), events=[*hook.events, *JOB_EVENTS],
            base_url=settings.base_url,
            timeout=hook.timeout, retries=hook.retries, backoff=hook.backoff))
    return Broadcast(notifiers)


def _secret(environ: Mapping[str, str], variable: str, setting: str) -> str:
    value = environ.get(variable)
    if not value:
        raise MissingSecret(variable, setting)
    return value
