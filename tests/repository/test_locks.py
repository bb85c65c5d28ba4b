"""The run lock (SPEC §4.5): a refused attempt leaves the connection pool as it found it."""

from __future__ import annotations

import sqlalchemy as sa

from headcount.repository.database import begin_write, create_engine
from headcount.repository.locks import RunLock


def test_a_refused_lock_leaves_no_autocommit_connection_in_the_pool(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with RunLock(engine, "HR") as held:
            assert held.try_acquire()
            assert not RunLock(engine, "HR").try_acquire()
            # A transaction drawn from the pool next is one transaction: rolled back whole.
            with begin_write(engine) as conn:
                conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            try:
                with begin_write(engine) as conn:
                    conn.exec_driver_sql("INSERT INTO t VALUES (1)")
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 0
    finally:
        engine.dispose()
