"""The sample HR project ready for the web tests: synchronized, with a user per role."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from headcount.config.loader import load_project_config
from headcount.jobs.synchronization import SyncRequest, synchronize
from headcount.project import ProjectContext
from headcount.repository import deployments, users
from headcount.samples import hrfiles
from headcount.web.app import create_app

PASSWORD = "correct-horse-battery"
USERS = {"admin": "administrator", "op": "operator", "view": "viewer", "hr": "hr"}


def make_project(folder: Path, url: str, people: int = 300, synchronized: bool = True,
                 extra: list[Path] | None = None) -> Path:
    (folder / "config").mkdir(parents=True)
    for name in ("hr.yaml", "directory.yaml", "policy.yaml"):
        shutil.copyfile(Path(hrfiles.__file__).with_name(name), folder / "config" / name)
    for path in extra or []:
        shutil.copyfile(path, folder / "config" / path.name)
    hrfiles.main(["--out", str(folder / "data"), "--people", str(people)])
    ctx = ProjectContext.open(folder, url)
    try:
        with ctx.engine.begin() as conn:
            deployments.deploy(conn, load_project_config(folder))
            for name, role in USERS.items():
                users.add_user(conn, name, PASSWORD, role)
        if synchronized:
            synchronize(ctx, SyncRequest("HR"))
    finally:
        ctx.close()
    return folder


def login(client: TestClient, name: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = client.get("/login", headers={"Accept": "text/html"})
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post("/login", data={"name": name, "password": PASSWORD,
                                         "csrf": token.group(1), "next": "/"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    home = client.get("/", headers={"Accept": "text/html"})
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', home.text)
    assert csrf is not None
    return csrf.group(1)


def bearer(app: FastAPI, name: str, scopes: list[str]) -> dict[str, str]:
    state = app.state.headcount
    with state.engine.begin() as conn:
        user = users.find_user(conn, name)
        assert user is not None
        token = users.create_token(conn, user, "tests", scopes)
    return {"Authorization": f"Bearer {token}"}


def make_app(folder: Path, url: str) -> FastAPI:
    return create_app(folder, url)


@contextmanager
def sample_app(folder: Path, url: str | None = None, people: int = 200,
               synchronized: bool = True) -> Iterator[FastAPI]:
    """The app over the sample project made in `folder/hr` (SQLite in `folder` unless `url`
    says otherwise); its engine disposed of when done."""
    url = url or f"sqlite:///{folder}/headcount.db"
    application = make_app(make_project(folder / "hr", url, people=people,
                                        synchronized=synchronized), url)
    try:
        yield application
    finally:
        application.state.headcount.engine.dispose()
