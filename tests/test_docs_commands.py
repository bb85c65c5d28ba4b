"""The commands that README.md, docs/*.md and examples/hr/README.md show in their fenced code
blocks run as written, in order, in a temporary copy of the sample project: documentation that
nobody runs rots. Commands that cannot run offline or do not end are listed in SKIPPED with why."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = ["README.md", *sorted(p.relative_to(REPO).as_posix()
                                  for p in (REPO / "docs").glob("*.md")),
             "examples/hr/README.md"]
SHELL = {"sh", "bash", "shell"}

# command (as written, without its trailing comment) → why it does not run here, and what stands
# in for it where the commands after it rely on what it did.
SKIPPED: dict[str, tuple[str, list[str]]] = {
    "make demo": (
        "serves the web UI until Ctrl-C; its steps before `serve` stand in (the Makefile's demo)",
        [".venv/bin/python examples/generate.py",
         ".venv/bin/headcount --project examples/hr reload",
         ".venv/bin/headcount --project examples/hr sync HR",
         "cp examples/hr/data/next_day/* examples/hr/data/",
         ".venv/bin/headcount --project examples/hr sync HR",
         ".venv/bin/headcount --project examples/hr sync AD",
         "HEADCOUNT_PASSWORD=headcount-demo .venv/bin/headcount --project examples/hr "
         "user add admin --role administrator"]),
    "make test": ("the whole test suite, this test included", []),
    ".venv/bin/python bench/jobs_bench.py --rows 2000 --repeat 2": (
        "a benchmark, run from the repository: tests/bench smoke-runs it", []),
}


@dataclass(frozen=True)
class Command:
    document: str
    line: int
    text: str  # as written (continuations joined), trailing comment included
    language: str

    @property
    def bare(self) -> str:
        return re.sub(r"\s+#.*$", "", self.text).strip()


def fenced_blocks(document: str) -> list[tuple[str, int, list[str]]]:
    """(language, line of the first content line, lines) of each fenced block."""
    blocks: list[tuple[str, int, list[str]]] = []
    current: tuple[str, int, list[str]] | None = None
    for number, line in enumerate((REPO / document).read_text("utf-8").splitlines(), 1):
        if line.startswith("```"):
            if current is None:
                current = (line[3:].strip(), number + 1, [])
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current[2].append(line)
    return blocks


def commands(document: str) -> list[Command]:
    found: list[Command] = []
    for language, first, lines in fenced_blocks(document):
        if language == "python":
            found.append(Command(document, first, "\n".join(lines), language))
        elif language in SHELL:
            pending: list[str] = []
            for offset, line in enumerate(lines):
                if not pending and (not line.strip() or line.lstrip().startswith("#")):
                    continue
                pending.append(line.rstrip().removesuffix("\\"))
                if not line.rstrip().endswith("\\"):
                    found.append(Command(document, first + offset - len(pending) + 1,
                                         " ".join(p.strip() for p in pending), language))
                    pending = []
    return found


def looks_like_a_command(line: str) -> bool:
    return re.match(r"\s*(\.venv/bin/|headcount |make |cp |python )", line) is not None


def test_commands_are_in_shell_blocks() -> None:
    # A command in an untagged block would silently escape this test.
    hidden = [f"{document}:{first + i}: {line}"
              for document in DOCUMENTS
              for language, first, lines in fenced_blocks(document)
              if language not in SHELL | {"python"}
              for i, line in enumerate(lines) if looks_like_a_command(line)]
    assert not hidden, "tag these blocks ```sh (or SKIPPED them): " + "\n".join(hidden)


def test_skipped_commands_are_still_documented() -> None:
    documented = {c.bare for document in DOCUMENTS for c in commands(document)}
    assert set(SKIPPED) <= documented, set(SKIPPED) - documented


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A checkout-like folder: the examples (no generated data, no database) and `.venv`, the
    environment running the tests (its `headcount` runs this checkout's code)."""
    shutil.copytree(REPO / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("data", "*.db*", "__pycache__"))
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return tmp_path


def run(command: Command, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{folder / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("HEADCOUNT_DATABASE_URL", None)
    env.pop("HEADCOUNT_PROJECT", None)
    argv = ([sys.executable, "-c", command.text] if command.language == "python"
            else ["bash", "-c", command.text])
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True,
                          check=False, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("document", [d for d in DOCUMENTS if commands(d)])
def test_documented_commands_run(document: str, sample: Path) -> None:
    for command in commands(document):
        if command.bare in SKIPPED:
            stand_ins = SKIPPED[command.bare][1]
            steps = [Command(document, command.line, s, "sh") for s in stand_ins]
        else:
            steps = [command]
        for step in steps:
            done = run(step, sample)
            assert done.returncode == 0, (
                f"{document}:{command.line}: `{step.text}` exited {done.returncode}\n"
                f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def served_recipes() -> list[tuple[str, int, str]]:
    """(document, line, script) of each ```sh served block: a script run whole against a
    running server, whose address is the one written in it (http://127.0.0.1:8000)."""
    return [(document, first, "\n".join(lines)) for document in DOCUMENTS
            for language, first, lines in fenced_blocks(document) if language == "sh served"]


@pytest.mark.slow
@pytest.mark.parametrize(("document", "line", "script"), served_recipes())
def test_documented_recipes_run_against_a_served_project(
        document: str, line: int, script: str, tmp_path: Path) -> None:
    import socket
    import threading

    import uvicorn

    from headcount.repository import users
    from webproject import PASSWORD, make_app, make_project

    url = f"sqlite:///{tmp_path}/headcount.db"
    app = make_app(make_project(tmp_path / "hr", url, people=200), url)
    with app.state.headcount.engine.begin() as conn:
        users.add_user(conn, "alice", PASSWORD, "viewer")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c",
             script.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")],
            cwd=tmp_path, env={**os.environ, "PASSWORD": PASSWORD}, capture_output=True,
            text=True, check=False, timeout=120)
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.headcount.engine.dispose()
    assert done.returncode == 0, f"{document}:{line}: {done.stdout}{done.stderr}"
    assert '"name":"alice"' in done.stdout, done.stdout  # /api/me answered the new token
