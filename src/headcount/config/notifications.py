"""The `notifications:` section: how people and systems hear of tasks (issue 9) and of job events
(issue 13) — an SMTP relay for e-mail, webhooks for systems, and which job events go to whom.
Secrets are never written here: only the names of the environment variables holding them."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from headcount.config.base import ConfigModel
from headcount.roles import ROLES

TaskEventKind = Literal["task_assigned", "task_escalated", "task_reminder", "task_decided",
                        "digest"]
JobEventKind = Literal["run_blocked", "run_failed", "run_warnings", "source_stale"]
EventKind = Literal[TaskEventKind, JobEventKind]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)
JOB_EVENTS: tuple[JobEventKind, ...] = get_args(JobEventKind)
# A digest gathers e-mails for people; a system listening to a webhook wants each event.
TASK_EVENTS: tuple[TaskEventKind, ...] = tuple(
    k for k in get_args(TaskEventKind) if k != "digest")
# What a project that says nothing of job events gets: a run that needs a person, told to who
# can act on it.
DEFAULT_JOB_EVENTS: tuple[JobEventKind, ...] = ("run_blocked", "run_failed")

Security = Literal["starttls", "tls", "none"]
SECURITIES: tuple[Security, ...] = get_args(Security)
DEFAULT_PORTS: dict[Security, int] = {"starttls": 587, "tls": 465, "none": 25}


def _one_of(value: Any, choices: tuple[str, ...], what: str) -> Any:
    """`value` unchanged when it is a choice; otherwise an error naming the closest one."""
    from headcount.config.validation import suggest  # validation imports the model: not above

    if not isinstance(value, str) or value in choices:
        return value
    raise PydanticCustomError(
        "unknown_choice", "unknown {what} `{value}`{hint} (one of: {choices})",
        {"what": what, "value": value, "hint": suggest(value, list(choices)),
         "choices": ", ".join(choices)})


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError(
            "not_http_url", "{what} `{value}` is not an http:// or https:// address",
            {"what": what, "value": value})
    return value


def _task_event(value: Any) -> Any:
    if value in JOB_EVENTS:
        raise PydanticCustomError(
            "job_event_in_webhook", "`{value}` is a job event: `job_events` says which webhooks "
            "receive it", {"value": value})
    return _one_of(value, get_args(TaskEventKind), "event")


# Checked one by one, so that a wrong event is reported at its own line.
Event = Annotated[TaskEventKind, BeforeValidator(_task_event)]
JobEvent = Annotated[JobEventKind,
                     BeforeValidator(lambda value: _one_of(value, JOB_EVENTS, "job event"))]
Role = Annotated[str, BeforeValidator(lambda value: _one_of(value, ROLES, "role"))]


def _address(value: str) -> str:
    _, address = parseaddr(value)
    if "@" not in address:
        raise PydanticCustomError(
            "not_an_address", "`{value}` is not an e-mail address", {"value": value})
    return value


Address = Annotated[str, AfterValidator(_address)]


class SmtpSettings(ConfigModel):
    """The SMTP relay that sends e-mail notifications."""

    # `from` is what people write; it is a Python keyword, hence the alias.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str = Field(min_length=1, description="The relay's host name.")
    port: int | None = Field(
        None, ge=1, le=65535,
        description="Default: 587 with starttls, 465 with tls, 25 with none.")
    security: Security = Field(
        "starttls", description="starttls (upgrade a plain connection), tls (implicit TLS from "
                                "the first byte) or none.")
    username: str | None = Field(None, description="Log in with this user; none: no log-in.")
    password_env: str = Field(
        "HEADCOUNT_SMTP_PASSWORD", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The environment variable holding the password of `username`.")
    sender: str = Field(
        alias="from",
        description="The From of every message, e.g. 'headcount <headcount@example.com>'.")
    ca_file: str | None = Field(
        None, description="PEM file of the certificate authorities to trust (relative to the "
                          "project); default: the system's.")
    timeout: float = Field(30, gt=0, description="Seconds to wait for the relay.")

    @field_validator("security", mode="before")
    @classmethod
    def _known_security(cls, value: Any) -> Any:
        return _one_of(value, SECURITIES, "security")

    @field_validator("sender")
    @classmethod
    def _an_address(cls, value: str) -> str:
        return _address(value)

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]


class Webhook(ConfigModel):
    """A system told of events by a signed JSON POST."""

    url: str = Field(description="Where to POST; redirects are never followed.")
    secret_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The environment variable holding the HMAC secret shared with the receiver.")
    events: list[Event] = Field(
        default_factory=lambda: list(TASK_EVENTS),
        description="The events to send; default: every task event (not the digest).")
    timeout: float = Field(10, gt=0, description="Seconds to wait for each attempt.")
    retries: int = Field(
        3, ge=0, le=10, description="Attempts after the first on a 5xx, a 429 or no answer.")
    backoff: float = Field(
        1, ge=0, description="Seconds before the first retry; doubled before each next one.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        return _http_url(value, "url")


class JobEventRule(ConfigModel):
    """Who is told of some job events (issue 13): runs blocked, failed or with warnings, and
    source files gone stale — of some connectors or of all."""

    events: list[JobEvent] = Field(
        min_length=1, description="run_blocked, run_failed, run_warnings, source_stale.")
    connectors: list[str] = Field(
        default_factory=list, description="The connectors whose events these are; empty: all.")
    roles: list[Role] = Field(
        default_factory=list, description="E-mail every user of these roles who has an address.")
    users: list[str] = Field(
        default_factory=list, description="E-mail these users (by user name), at their address.")
    emails: list[Address] = Field(
        default_factory=list, description="E-mail these addresses (a team's mailbox).")
    webhooks: list[str] = Field(
        default_factory=list, description="POST to these webhooks (the `url` of one of "
                                          "`notifications.webhooks`).")


def _default_job_events() -> list[JobEventRule]:
    return [JobEventRule(events=list(DEFAULT_JOB_EVENTS), roles=["administrator"])]


class Notifications(ConfigModel):
    """The top-level `notifications:` section (absent: nobody is notified)."""

    base_url: str | None = Field(
        None, description="The address of headcount's web UI, to turn a notification's path "
                          "into a link, e.g. https://headcount.example.com.")
    smtp: SmtpSettings | None = None
    webhooks: list[Webhook] = Field(default_factory=list)
    job_events: list[JobEventRule] = Field(
        default_factory=_default_job_events,
        description="Who is told of which job events; default: blocked and failed runs to the "
                    "administrators; an empty list tells nobody.")

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value, "base_url").rstrip("/")
