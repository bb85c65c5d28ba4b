"""Service tokens (SPEC §11, §13) on SQLite and PostgreSQL: the secret is shown once and stored
hashed, a token reaches only its scopes on its connectors, a revoked token is refused at once,
and every creation and revocation is audited."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from headcount.errors import NotFound
from headcount.repository import tokens
from headcount.repository.database import begin_write, create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import audit_log, service_tokens
from headcount.repository.tokens import TokenError


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_token_reaches_only_its_scopes_on_its_connectors(engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        token, secret = tokens.create(conn, "paris-agent", ["agent", "push"], ["HR"], "root")
    assert token.label == f"token {token.id} (paris-agent)"
    with begin_write(engine) as conn:
        found = tokens.authenticate(conn, secret, "agent", "HR")
        assert found is not None
        assert found.id == token.id
        assert found.scopes == frozenset({"agent", "push"})
        assert found.connectors == frozenset({"hr"})
        assert tokens.authenticate(conn, secret, "push", "hr") is not None  # any spelling
        assert tokens.authenticate(conn, secret, "push", "AD") is None
        assert tokens.authenticate(conn, secret, "scim", "HR") is None
        assert tokens.authenticate(conn, secret + "x", "agent", "HR") is None
        assert tokens.authenticate(conn, "", "agent", "HR") is None
        assert tokens.get(conn, token.id).last_used_at is not None


def test_only_the_hash_of_the_secret_is_kept(engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        _, secret = tokens.create(conn, "reader", ["identities:read"], [], "root")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(service_tokens.c.token_hash)).scalar_one()
    assert secret.startswith(tokens.PREFIX)
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored


def test_a_revoked_token_is_refused_and_both_acts_are_audited(engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        token, secret = tokens.create(conn, "hris", ["push"], ["HR"], "root")
        revoked = tokens.revoke(conn, token.id, "ann")
    assert revoked.revoked_at is not None
    with begin_write(engine) as conn:
        assert tokens.authenticate(conn, secret, "push", "HR") is None
        with pytest.raises(TokenError, match="already revoked"):
            tokens.revoke(conn, token.id, "ann")
        with pytest.raises(NotFound):
            tokens.revoke(conn, 999, "ann")
        assert [t.id for t in tokens.list_tokens(conn, revoked=False)] == []
        assert [t.id for t in tokens.list_tokens(conn)] == [token.id]
        logged = [(r.actor, r.action, r.target) for r in conn.execute(
            sa.select(audit_log).order_by(audit_log.c.id))]
    assert logged == [("root", "service token created", f"token {token.id} (hris): push on HR"),
                      ("ann", "service token revoked", f"token {token.id} (hris)")]


@pytest.mark.parametrize(("scopes", "connectors", "message"), [
    (["everything"], ["HR"], "unknown scope everything"),
    ([], ["HR"], "unknown scope"),
    (["agent"], [], "need at least one connector"),
])
def test_a_token_is_refused_a_scope_it_cannot_hold(engine: sa.Engine, scopes: list[str],
                                                   connectors: list[str], message: str) -> None:
    with begin_write(engine) as conn, pytest.raises(TokenError, match=message):
        tokens.create(conn, "bad", scopes, connectors, "root")
