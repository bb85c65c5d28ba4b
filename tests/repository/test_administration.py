"""Administering users (issue 12 item 8) on SQLite and PostgreSQL: each change audited with who
did it, the last enabled administrator kept, nobody deleting or disabling themself, a disabled
user's sessions and tokens refused at once; and each person's own password and preferences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from headcount.errors import NotFound
from headcount.repository import administration, users
from headcount.repository.administration import LastAdministrator, OwnAccount, UnknownTimeZone
from headcount.repository.database import begin_write, create_engine
from headcount.repository.migrate import upgrade
from headcount.repository.schema import audit_log

PASSWORD = "correct-horse-battery"


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(db_url)
    upgrade(engine)
    with begin_write(engine) as conn:
        for name, role in (("root", "administrator"), ("ann", "administrator"),
                           ("bob", "operator"), ("val", "viewer")):
            users.add_user(conn, name, PASSWORD, role)
    try:
        yield engine
    finally:
        engine.dispose()


def audited(engine: sa.Engine) -> list[tuple[str, str, str, str | None]]:
    a = audit_log.c
    with engine.connect() as conn:
        return [(r.actor, r.action, r.target, r.reason) for r in conn.execute(
            sa.select(a.actor, a.action, a.target, a.reason).order_by(a.id))]


def user(engine: sa.Engine, name: str) -> users.User:
    with engine.connect() as conn:
        found = users.find_user(conn, name)
    assert found is not None
    return found


def test_summaries_list_everyone_with_state_and_last_log_in(engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        users.open_session(conn, user(engine, "bob"))
        administration.disable(conn, "root", "val")
    with engine.connect() as conn:
        listed = {s.name: s for s in administration.summaries(conn)}
    assert list(listed) == ["ann", "bob", "root", "val"]
    assert listed["val"].disabled
    assert not listed["bob"].disabled
    assert listed["bob"].last_login_at is not None
    assert listed["ann"].last_login_at is None


def test_a_role_change_is_audited_with_who_and_what(engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        assert administration.change_role(conn, "root", "bob", "hr")
        assert not administration.change_role(conn, "root", "bob", "hr")  # nothing to do
    assert user(engine, "bob").role == "hr"
    assert audited(engine)[-1] == ("root", "user role changed", "bob", "operator → hr")
    with begin_write(engine) as conn, pytest.raises(users.AccessError, match="unknown role"):
        administration.change_role(conn, "root", "bob", "boss")


def test_the_last_administrator_cannot_be_demoted_disabled_or_deleted(
        engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        administration.change_role(conn, "root", "ann", "viewer")  # another one is left
    for change in (lambda c: administration.change_role(c, "ann", "root", "operator"),
                   lambda c: administration.disable(c, "ann", "root"),
                   lambda c: administration.delete(c, "ann", "root")):
        with begin_write(engine) as conn, pytest.raises(LastAdministrator,
                                                        match="last enabled administrator"):
            change(conn)
    assert user(engine, "root").role == "administrator"
    # A disabled administrator does not count: enabling one is the way out.
    with begin_write(engine) as conn:
        administration.change_role(conn, "root", "ann", "administrator")
        administration.disable(conn, "root", "ann")
    with begin_write(engine) as conn, pytest.raises(LastAdministrator):
        administration.change_role(conn, "ann", "root", "viewer")
    with begin_write(engine) as conn:
        administration.enable(conn, "root", "ann")
        administration.change_role(conn, "ann", "root", "viewer")
    assert user(engine, "root").role == "viewer"


def test_nobody_deletes_disables_or_resets_themself(engine: sa.Engine) -> None:
    for change in (administration.disable, administration.delete,
                   lambda c, actor, name: administration.reset_password(
                       c, actor, name, "another-password")):
        with begin_write(engine) as conn, pytest.raises(OwnAccount, match="by themself"):
            change(conn, "ROOT", "root")
    assert user(engine, "root").role == "administrator"


def test_a_disabled_user_s_sessions_and_tokens_stop_at_once(engine: sa.Engine) -> None:
    bob = user(engine, "bob")
    with begin_write(engine) as conn:
        session, _ = users.open_session(conn, bob)
        token = users.create_token(conn, bob, "script", ["read"])
    with begin_write(engine) as conn:
        assert administration.disable(conn, "root", "bob")
        assert not administration.disable(conn, "root", "bob")
    with engine.connect() as conn:
        assert users.session_user(conn, session) is None
        assert users.token_user(conn, token) is None
        assert users.authenticate(conn, "bob", PASSWORD) is None
    assert audited(engine)[-1] == ("root", "user disabled", "bob",
                                   "1 session(s) ended, 1 token(s) revoked")
    # Enabled again, they log in anew; the token revoked stays revoked.
    with begin_write(engine) as conn:
        assert administration.enable(conn, "root", "bob")
    with engine.connect() as conn:
        assert users.authenticate(conn, "bob", PASSWORD) is not None
        assert users.session_user(conn, session) is None
        assert users.token_user(conn, token) is None
    assert audited(engine)[-1] == ("root", "user enabled", "bob", None)


def test_a_deleted_user_is_gone_with_sessions_tokens_and_absences(engine: sa.Engine) -> None:
    bob = user(engine, "bob")
    with begin_write(engine) as conn:
        session, _ = users.open_session(conn, bob)
        token = users.create_token(conn, bob, "script", ["read"])
        users.add_absence(conn, "val", date(2026, 1, 1), date(2099, 1, 1), "bob", None)
        administration.delete(conn, "root", "bob")
    with engine.connect() as conn:
        assert users.session_user(conn, session) is None
        assert users.token_user(conn, token) is None
        assert users.list_absences(conn) == []  # val's tasks are val's again
        with pytest.raises(NotFound):
            administration.summary(conn, "bob")
    assert audited(engine)[-1] == ("root", "user deleted", "bob", "was operator")
    with begin_write(engine) as conn:  # the name is free again
        users.add_user(conn, "bob", PASSWORD, "viewer")


def test_a_password_reset_ends_the_user_s_sessions(engine: sa.Engine) -> None:
    with begin_write(engine) as conn:
        session, _ = users.open_session(conn, user(engine, "bob"))
        with pytest.raises(users.WeakPassword):
            administration.reset_password(conn, "root", "bob", "short")
        new = administration.generated_password()
        administration.reset_password(conn, "root", "bob", new)
    assert len(new) >= users.MIN_PASSWORD
    with engine.connect() as conn:
        assert users.session_user(conn, session) is None
        assert users.authenticate(conn, "bob", PASSWORD) is None
        assert users.authenticate(conn, "bob", new) is not None
    assert audited(engine)[-1] == ("root", "password reset", "bob", "1 session(s) ended")
    # A disabled user's password can be set before they come back.
    with begin_write(engine) as conn:
        administration.disable(conn, "root", "val")
        administration.reset_password(conn, "root", "val", "another-password")
    with begin_write(engine) as conn, pytest.raises(NotFound):
        administration.reset_password(conn, "root", "nobody", "another-password")


def test_one_s_own_password_change_keeps_the_session_in_use(engine: sa.Engine) -> None:
    bob = user(engine, "bob")
    with begin_write(engine) as conn:
        here, _ = users.open_session(conn, bob)
        elsewhere, _ = users.open_session(conn, bob)
        assert administration.change_own_password(conn, bob, "bobs-new-password", here) == 1
    with engine.connect() as conn:
        assert users.session_user(conn, here) is not None
        assert users.session_user(conn, elsewhere) is None
        assert users.authenticate(conn, "bob", "bobs-new-password") is not None
    assert audited(engine)[-1] == ("bob", "password changed", "bob",
                                   "1 other session(s) ended")


def test_preferences_are_read_with_the_user(engine: sa.Engine) -> None:
    bob = user(engine, "bob")
    assert (bob.language, bob.time_zone) == (None, None)
    with begin_write(engine) as conn:
        assert administration.set_preferences(conn, bob, "fr", "Europe/Paris",
                                              "bob@example.org") == [
            "language", "time_zone", "email"]
        assert administration.set_preferences(conn, bob, "fr", "Europe/Paris",
                                              "bob@example.org") == []
        session, _ = users.open_session(conn, bob)
    with engine.connect() as conn:
        found = users.session_user(conn, session)
    assert found is not None
    assert (found[0].language, found[0].time_zone) == ("fr", "Europe/Paris")
    assert audited(engine)[-1] == ("bob", "preferences changed", "bob",
                                   "language: fr, time_zone: Europe/Paris, "
                                   "email: bob@example.org")
    with begin_write(engine) as conn:
        with pytest.raises(UnknownTimeZone, match="Mars/Olympus"):
            administration.set_preferences(conn, bob, None, "Mars/Olympus", None)
        with pytest.raises(users.NotAnEmail):
            administration.set_preferences(conn, bob, None, None, "bob")
    assert "Europe/Paris" in administration.time_zones()
    assert administration.time_zones()[0] == "UTC"
