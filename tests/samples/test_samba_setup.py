"""What tests/sambadc.py decides before any DC runs: a missing Samba skips its tests, and fails
them under CI=true; Samba's own Python tools never see the tests' PYTHONPATH."""

from __future__ import annotations

import pytest

import sambadc


def test_a_missing_samba_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sambadc, "TOOLS", ("headcount-no-such-samba-tool",))
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="Samba is not installed"):
        sambadc.require_samba()


def test_a_missing_samba_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sambadc, "TOOLS", ("headcount-no-such-samba-tool",))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required under CI=true"):
        sambadc.require_samba()


def test_samba_tools_run_without_the_tests_pythonpath(monkeypatch: pytest.MonkeyPatch) -> None:
    # samba-tool imports the package `samba`, which a samba.py on the path would shadow.
    monkeypatch.setenv("PYTHONPATH", "tests")
    assert "PYTHONPATH" not in sambadc._tool_environment()
