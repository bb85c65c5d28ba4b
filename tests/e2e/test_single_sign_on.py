"""Single sign-on (issue 12 item 9) against a real OpenID Connect provider (tests/oidc): the
code flow through the provider's own log-in form, followed with its real redirects; the groups
giving the roles at each log-in; a refused group, a disabled user and a tampered state refused
and audited; the log-out ending both sessions; local accounts still there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import sqlalchemy as sa
from browsing import check_accessibility, new_page, serve, snap
from fastapi import FastAPI

from headcount.config.loader import load_project_config
from headcount.repository import deployments
from headcount.repository.schema import users
from oidcprovider import CLIENT_ID, CLIENT_SECRET, OidcProvider, oidc_provider
from webproject import PASSWORD, bearer, make_app, make_project

__all__ = ["oidc_provider"]  # the fixture, for pytest
# Each test serves a project of its own, and the provider's round trips take a few seconds.
pytestmark = pytest.mark.slow

SECRET_ENV = "HEADCOUNT_TEST_OIDC_SECRET"


def settings(issuer: str, roles: str = "idm-admins: administrator\n    auditors: reviewer\n"
             "    staff: viewer") -> str:
    return f"""sso:
  issuer: {issuer}
  client_id: {CLIENT_ID}
  client_secret_env: {SECRET_ENV}
  scopes: [openid, profile, email, groups]
  roles:
    {roles}
  button_label: Example Corp
"""


@contextmanager
def served(folder: Path, url: str, issuer: str) -> Iterator[tuple[FastAPI, str]]:
    """The sample project (not synchronized) with `sso:` settings for `issuer`, served."""
    folder.mkdir()
    sso_yaml = folder / "sso.yaml"
    sso_yaml.write_text(settings(issuer), encoding="utf-8")
    application = make_app(make_project(folder / "hr", url, synchronized=False,
                                        extra=[sso_yaml]), url)
    try:
        with serve(application) as base:
            yield application, base
    finally:
        application.state.headcount.engine.dispose()


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)


@pytest.fixture
def site(tmp_path: Path, db_url: str, oidc_provider: OidcProvider, secret: None
         ) -> Iterator[tuple[FastAPI, str]]:
    """Served on SQLite and on PostgreSQL: for what single sign-on stores."""
    with served(tmp_path / "site", db_url, oidc_provider.issuer) as found:
        yield found


@pytest.fixture
def app(site: tuple[FastAPI, str]) -> FastAPI:
    return site[0]


@pytest.fixture
def base(site: tuple[FastAPI, str]) -> str:
    return site[1]


@pytest.fixture
def local_base(tmp_path: Path, sqlite_url: str, oidc_provider: OidcProvider, secret: None
               ) -> Iterator[str]:
    """Served on SQLite only: for what the pages and the protocol do."""
    with served(tmp_path / "site", sqlite_url, oidc_provider.issuer) as (_, url):
        yield url


def browser() -> httpx.Client:
    """A client that follows every redirect, between headcount and the provider, as a browser
    does, and keeps both sites' cookies."""
    return httpx.Client(follow_redirects=True, timeout=30, headers={"Accept": "text/html"})


def provider_login(client: httpx.Client, page: httpx.Response, account: str
                   ) -> httpx.Response:
    """Fill the provider's own log-in form (any password: its development form)."""
    assert 'name="login"' in page.text, page.text
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action is not None
    return client.post(str(page.url.join(action.group(1))),
                       data={"prompt": "login", "login": account, "password": "whatever"})


def sign_in(client: httpx.Client, base: str, account: str, target: str = "/"
            ) -> httpx.Response:
    return provider_login(client, client.get(f"{base}/sso/login",
                                             params={"next": target}), account)


def me(client: httpx.Client, base: str) -> dict[str, str]:
    answer = client.get(f"{base}/api/me", headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    found: dict[str, str] = answer.json()
    return found


def audit_page(app: FastAPI, base: str) -> str:
    return httpx.get(f"{base}/audit", headers={
        "Accept": "text/html", **bearer(app, "admin", ["read", "admin"])}).text


def test_the_log_in_page_offers_the_provider_beside_the_form(local_base: str) -> None:
    page = httpx.get(f"{local_base}/login?next=/runs", headers={"Accept": "text/html"})
    assert "Sign in with Example Corp" in page.text
    assert 'href="/sso/login?next=/runs"' in page.text
    assert 'name="password"' in page.text


def test_a_person_logs_in_through_the_provider_with_the_role_of_their_group(
        app: FastAPI, base: str) -> None:
    with browser() as alice:
        landed = sign_in(alice, base, "alice", "/audit")
        # The provider's redirects end on the page asked for, in a headcount session.
        assert landed.status_code == 200
        assert urlsplit(str(landed.url)).path == "/audit"
        assert me(alice, base) == {"name": "alice", "role": "administrator"}
    with browser() as bob:
        sign_in(bob, base, "bob")
        # staff and auditors: the first group of the settings' list wins.
        assert me(bob, base) == {"name": "bob", "role": "reviewer"}
    log = audit_page(app, base)
    assert "sso user created" in log
    assert "role administrator, from " in log


def test_the_role_follows_the_groups_at_each_log_in(app: FastAPI, base: str,
                                                    oidc_provider: OidcProvider,
                                                    tmp_path: Path) -> None:
    with browser() as bob:
        sign_in(bob, base, "bob")
        assert me(bob, base)["role"] == "reviewer"
    # The administrators give `auditors` no role any more: a reload, no restart.
    (tmp_path / "site" / "hr" / "config" / "sso.yaml").write_text(
        settings(oidc_provider.issuer, "staff: viewer"), encoding="utf-8")
    with app.state.headcount.engine.begin() as conn:
        deployments.deploy(conn, load_project_config(tmp_path / "site" / "hr"))
    with browser() as bob:
        sign_in(bob, base, "bob")
        assert me(bob, base) == {"name": "bob", "role": "viewer"}
    assert "reviewer → viewer, from the provider&#39;s groups" in audit_page(app, base)


def test_a_person_in_no_mapped_group_is_refused_and_audited(app: FastAPI, base: str) -> None:
    with browser() as carol:
        refused = sign_in(carol, base, "carol")
        assert refused.status_code == 403
        assert "None of your groups gives a role in headcount." in refused.text
        assert "Ask an administrator" in refused.text
        assert carol.get(f"{base}/api/me").status_code == 401
    with app.state.headcount.engine.connect() as conn:
        assert conn.execute(sa.select(users.c.name).where(users.c.name == "carol")).first() \
            is None
    assert "no group gives a role (groups: contractors)" in audit_page(app, base)


def test_a_disabled_user_stays_refused(app: FastAPI, base: str) -> None:
    with browser() as alice:
        sign_in(alice, base, "alice")
    with app.state.headcount.engine.begin() as conn:
        conn.execute(sa.update(users).where(users.c.name == "alice").values(disabled=True))
    with browser() as alice:
        refused = sign_in(alice, base, "alice")
        assert refused.status_code == 403
        assert "Your headcount account is disabled." in refused.text
        assert alice.get(f"{base}/api/me").status_code == 401


def test_a_provider_user_never_takes_a_local_users_name(app: FastAPI, base: str) -> None:
    with browser() as client:
        sign_in(client, base, "josé")  # the same name as nobody: accents dropped
        assert me(client, base) == {"name": "jose", "role": "reviewer"}
    # A local `alice` exists before the provider's alice logs in: they stay two users.
    with app.state.headcount.engine.begin() as conn:
        from headcount.repository.users import add_user

        add_user(conn, "alice", PASSWORD, "viewer")
    with browser() as client:
        sign_in(client, base, "alice")
        assert me(client, base) == {"name": "alice-2", "role": "administrator"}


def test_a_tampered_state_is_refused(app: FastAPI, base: str) -> None:
    with browser() as client:
        form = client.get(f"{base}/sso/login")
        # The provider's answer, stopped before it reaches headcount.
        client.follow_redirects = False
        answer = provider_login(client, form, "alice")
        while not urlsplit(answer.headers["location"]).path.endswith("/sso/callback"):
            answer = client.get(str(answer.url.join(answer.headers["location"])))
        callback = urlsplit(str(answer.url.join(answer.headers["location"])))
        query = dict(parse_qsl(callback.query))
        assert query["code"]
        assert query["state"]
        forged = urlunsplit(callback._replace(query=urlencode({**query,
                                                               "state": "forged"})))
        refused = client.get(forged)
        assert refused.status_code == 400
        assert "could not be verified" in refused.text
        assert client.get(f"{base}/api/me").status_code == 401
    assert "sso login failed" in audit_page(app, base)


def test_log_out_ends_the_headcount_and_the_provider_sessions(local_base: str) -> None:
    with browser() as alice:
        home = sign_in(alice, local_base, "alice")
        csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
        assert csrf is not None
        left = alice.post(f"{local_base}/logout", data={"csrf": csrf.group(1)})
        assert "You are logged out of headcount" in left.text
        # The page goes on to the provider by itself (Refresh), as a browser does.
        delay, _, target = left.headers["refresh"].partition("; url=")
        assert delay == "0"
        confirm = alice.get(target)
        # RP-initiated logout: the provider asks whether to end its own session too.
        assert urlsplit(str(confirm.url)).path == "/session/end"
        assert alice.get(f"{local_base}/api/me").status_code == 401
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', confirm.text)
        action = re.search(r'<form[^>]*action="([^"]+)"', confirm.text)
        assert xsrf is not None
        assert action is not None
        back = alice.post(str(confirm.url.join(action.group(1))),
                          data={"xsrf": xsrf.group(1), "logout": "yes"})
        assert str(back.url).startswith(f"{local_base}/login")
        assert "You are logged out" in back.text
        # The provider forgot alice: its log-in form again, not a silent log-in.
        again = alice.get(f"{local_base}/sso/login")
        assert 'name="login"' in again.text


def test_local_accounts_still_log_in(local_base: str) -> None:
    with browser() as client:
        page = client.get(f"{local_base}/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        client.post(f"{local_base}/login", data={"name": "admin", "password": PASSWORD,
                                           "csrf": token.group(1), "next": "/"})
        assert me(client, local_base) == {"name": "admin", "role": "administrator"}


def test_without_its_secret_single_sign_on_is_not_offered(
        local_base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV)
    page = httpx.get(f"{local_base}/login", headers={"Accept": "text/html"})
    assert "Sign in with" not in page.text
    unavailable = httpx.get(f"{local_base}/sso/login", headers={"Accept": "text/html"},
                            follow_redirects=True)
    assert "Single sign-on is not available" in unavailable.text


@pytest.mark.browser
def test_in_a_browser_through_the_providers_own_pages(browser: Any, local_base: str) -> None:
    with new_page(browser, local_base) as page:
        page.goto("/login")
        check_accessibility(page)
        snap(page, "sso-01-login")
        page.get_by_role("link", name="Sign in with Example Corp").click()
        # The provider's own log-in form.
        page.locator("input[name=login]").fill("alice")
        page.locator("input[name=password]").fill("whatever")
        page.get_by_role("button", name="Sign-in").click()
        page.wait_for_url(f"{local_base}/")
        assert "alice" in page.locator("header").inner_text()
        snap(page, "sso-02-home")
        # On to the provider's log-out without breaking the Content-Security-Policy's
        # form-action (a violation would fail the test, see new_page).
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(f"{local_base}/login?error=signed-out")
        assert "You are logged out" in page.locator("main").inner_text()
        check_accessibility(page)
        snap(page, "sso-03-logged-out")
        # Somebody the groups do not let in.
        page.get_by_role("link", name="Sign in with Example Corp").click()
        page.locator("input[name=login]").fill("carol")
        page.locator("input[name=password]").fill("whatever")
        page.get_by_role("button", name="Sign-in").click()
        page.wait_for_url(f"{local_base}/sso/callback**")
        assert "None of your groups gives a role" in page.locator("main").inner_text()
        check_accessibility(page)
        snap(page, "sso-04-refused")
