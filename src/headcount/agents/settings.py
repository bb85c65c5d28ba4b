"""An agent's configuration (`headcount agent --config FILE`, docs/agent.md): the server, the CA
to trust, the project folder whose connectors it exports, and where its token is — never the
token itself: an environment variable, a file only its user can read, or a systemd credential."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from headcount.errors import HeadcountError

ENV = "HEADCOUNT_AGENT_TOKEN"


class AgentConfigError(HeadcountError):
    """The agent's configuration or token cannot be used; names the file and the field."""

    exit_code = 2


class TokenSource(BaseModel):
    """Where the token is: exactly one of these."""

    model_config = ConfigDict(extra="forbid")
    env: str | None = Field(None, description="An environment variable holding the token.")
    file: Path | None = Field(None, description="A file holding the token, readable by its "
                                                "owner only (mode 0600 or 0400).")
    credential: str | None = Field(None, description="A systemd credential "
                                                     "(`LoadCredential=`): its name in "
                                                     "$CREDENTIALS_DIRECTORY.")

    @model_validator(mode="after")
    def one(self) -> TokenSource:
        if sum(x is not None for x in (self.env, self.file, self.credential)) != 1:
            raise ValueError("give exactly one of env, file or credential")
        return self


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    server: str = Field(description="The server's address, https://… (http only on loopback).")
    ca_file: Path | None = Field(None, description="The CA certificate(s) to trust for the "
                                                   "server (PEM); none: the system's.")
    project: Path = Field(Path("."), description="The folder holding config/ and the HR files.")
    name: str = Field(default_factory=socket.gethostname, min_length=1, max_length=255,
                      description="How the server names this agent (default: the host name).")
    connectors: list[str] = Field(default_factory=list, description="The connectors it serves "
                                  "(default: those of the project with `agent: remote`).")
    token: TokenSource = Field(default_factory=lambda: TokenSource(env=ENV),
                               description="Where the token is (default: env "
                                           "HEADCOUNT_AGENT_TOKEN).")
    heartbeat_seconds: int = Field(30, ge=1, le=3600, description="Seconds between "
                                   "heartbeats (and looks for work).")
    chunk_bytes: int = Field(1024 * 1024, ge=1024, le=4 * 1024 * 1024,
                             description="Bytes per uploaded chunk.")
    retries: int = Field(5, ge=0, le=100, description="Attempts per request before giving up "
                                                      "(the upload resumes where it stopped).")

    @model_validator(mode="before")
    @classmethod
    def no_plain_token(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("token"), str):
            raise ValueError("`token` names where the token is (env, file or credential), "
                             "never the token itself")
        return data


def load(path: Path) -> AgentSettings:
    """The settings in `path`; relative paths in it are relative to its folder."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        settings = AgentSettings.model_validate(raw)
    except OSError as exc:
        raise AgentConfigError(f"{path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise AgentConfigError(f"{path}: not YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}"
                             for e in exc.errors())
        raise AgentConfigError(f"{path}: {problems}") from exc
    base = path.parent
    return settings.model_copy(update={
        "project": base / settings.project,
        "ca_file": None if settings.ca_file is None else base / settings.ca_file,
        "token": settings.token if settings.token.file is None else settings.token.model_copy(
            update={"file": base / settings.token.file})})


def read_token(source: TokenSource) -> str:
    """The token, from where `source` says."""
    if source.env is not None:
        value = os.environ.get(source.env, "")
        if not value:
            raise AgentConfigError(f"the environment variable {source.env} holds no token")
        return value.strip()
    if source.credential is not None:
        folder = os.environ.get("CREDENTIALS_DIRECTORY")
        if not folder:
            raise AgentConfigError(f"no $CREDENTIALS_DIRECTORY for credential "
                                   f"{source.credential}: run under systemd with "
                                   f"LoadCredential={source.credential}:…")
        return _read(Path(folder) / source.credential)
    assert source.file is not None
    mode = source.file.stat().st_mode if source.file.exists() else 0
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AgentConfigError(f"{source.file} may be read by others (mode "
                               f"{stat.S_IMODE(mode):o}): chmod 600 it")
    return _read(source.file)


def _read(path: Path) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise AgentConfigError(f"{path}: {exc.strerror}") from exc
    if not value:
        raise AgentConfigError(f"{path} holds no token")
    return value
