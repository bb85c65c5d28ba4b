"""An agent's configuration names where its token is, never the token: an environment variable,
a file only its user reads, or a systemd credential."""

from __future__ import annotations

from pathlib import Path

import pytest

from headcount.agents.settings import (
    AgentConfigError,
    AgentSettings,
    TokenSource,
    load,
    read_token,
)


def write(folder: Path, text: str) -> Path:
    path = folder / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_token_in_the_configuration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AgentConfigError, match="never the token itself"):
        load(write(tmp_path, "server: https://hc\ntoken: hcs_secret\n"))


def test_paths_are_relative_to_the_configuration(tmp_path: Path) -> None:
    settings = load(write(tmp_path, "server: https://hc\nca_file: ca.pem\nproject: hr\n"
                                    "name: paris\ntoken: {file: agent.token}\n"))
    assert settings.ca_file == tmp_path / "ca.pem"
    assert settings.project == tmp_path / "hr"
    assert settings.token.file == tmp_path / "agent.token"


def test_a_token_file_others_may_read_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "agent.token"
    secret.write_text("hcs_abc\n", encoding="utf-8")
    secret.chmod(0o644)
    with pytest.raises(AgentConfigError, match="chmod 600"):
        read_token(TokenSource(file=secret))
    secret.chmod(0o600)
    assert read_token(TokenSource(file=secret)) == "hcs_abc"


def test_a_token_from_the_environment_or_a_systemd_credential(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HC_TOKEN", " hcs_env\n")
    assert read_token(TokenSource(env="HC_TOKEN")) == "hcs_env"
    with pytest.raises(AgentConfigError, match="holds no token"):
        read_token(TokenSource(env="HC_NOTHING"))
    with pytest.raises(AgentConfigError, match="CREDENTIALS_DIRECTORY"):
        read_token(TokenSource(credential="agent-token"))
    (tmp_path / "agent-token").write_text("hcs_cred", encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_token(TokenSource(credential="agent-token")) == "hcs_cred"
    with pytest.raises(ValueError, match="exactly one"):
        TokenSource(env="A", credential="b")


def test_every_setting_is_documented() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "agent.md").read_text("utf-8")
    missing = [f"{cls.__name__}.{name}" for cls in (AgentSettings, TokenSource)
               for name in cls.model_fields if f"`{name}`" not in guide]
    assert not missing, f"not in docs/agent.md: {missing}"
