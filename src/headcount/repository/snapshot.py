"""What the diff reads of the repository: stored hashes, records and links (sync.diff.Snapshot)."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from headcount.repository import accepted
from headcount.repository.bulk import create_temp_table, drop_temp_table, insert_rows
from headcount.sync.diff import OLD_HASH
from headcount.sync.prepared import KEY, TARGET


class SqlSnapshot:
    """Reads the repository as of `version` (the connector's version when the run started)."""

    def __init__(self, conn: sa.Connection, version: int | None = None) -> None:
        self.conn = conn
        self.version = version
        # Whole snapshots read by this diff: the run updates them instead of reading them again.
        self.whole: dict[str, pl.DataFrame] = {}

    def hashes(self, entity_type: str, keys: list[str] | None = None) -> pl.DataFrame:
        if keys is None and entity_type in self.whole:
            return self.whole[entity_type]
        if keys is None:
            cached = accepted.load(self.conn, entity_type, self.version) \
                if self.version is not None else None
            frame = cached if cached is not None else self._hashes(entity_type, None)
            # Sorted by key, for the diff's merge (a snapshot the runs keep is sorted already).
            if not frame.get_column(KEY).is_sorted():
                frame = frame.sort(KEY)
            self.whole[entity_type] = frame
            return frame
        return self._hashes(entity_type, keys)

    def _hashes(self, entity_type: str, keys: list[str] | None) -> pl.DataFrame:
        if keys is None:
            cursor = self._raw(
                "SELECT key, hash FROM resources WHERE entity_type = ?", (entity_type,))
        else:
            self._keys_table(keys)
            cursor = self._raw(f"SELECT r.key, r.hash FROM hc_keys k {self._join} resources r "
                               "ON r.entity_type = ? AND r.key = k.key", (entity_type,))
        rows = cursor.fetchall()
        cursor.close()
        if keys is not None:
            drop_temp_table(self.conn, "hc_keys")
        return pl.DataFrame(rows, schema={KEY: pl.String, OLD_HASH: pl.Int64}, orient="row")

    def records(self, entity_type: str, keys: list[str]) -> dict[str, str]:
        if not keys:
            return {}
        self._keys_table(keys)
        cursor = self._raw(
            f"SELECT r.key, r.data FROM hc_keys k {self._join} resources r "
            "ON r.entity_type = ? AND r.key = k.key", (entity_type,))
        out = {k: d for k, d in cursor.fetchall()}
        cursor.close()
        drop_temp_table(self.conn, "hc_keys")
        return out

    def links(self, navigation: str, keys: list[str] | None) -> pl.DataFrame:
        source_type = navigation.partition(".")[0]
        if keys is None:
            sql = ("SELECT r.key, l.target_key FROM links l JOIN resources r ON r.id = l.source_id "
                   "WHERE l.navigation = ?")
            params: tuple[object, ...] = (navigation,)
        else:
            if not keys:
                return pl.DataFrame(schema={KEY: pl.String, TARGET: pl.String})
            self._keys_table(keys)
            # From the few keys to their resources to their links: index lookups all the way.
            sql = (f"SELECT r.key, l.target_key FROM hc_keys k {self._join} resources r "
                   "ON r.entity_type = ? AND r.key = k.key "
                   "JOIN links l ON l.source_id = r.id AND l.navigation = ?")
            params = (source_type, navigation)
        cursor = self._raw(sql, params)
        rows = cursor.fetchall()
        cursor.close()
        if keys is not None:
            drop_temp_table(self.conn, "hc_keys")
        return pl.DataFrame(rows, schema={KEY: pl.String, TARGET: pl.String}, orient="row")

    @property
    def _join(self) -> str:
        # SQLite, without statistics, walked every resource of the type and probed the few
        # keys (0.7 s at 1M for 10,000 keys); CROSS JOIN makes it start from the keys.
        return "CROSS JOIN" if self.conn.dialect.name == "sqlite" else "JOIN"

    def _keys_table(self, keys: list[str]) -> None:
        create_temp_table(self.conn, "hc_keys", [("key", "TEXT PRIMARY KEY")])
        insert_rows(self.conn, "hc_keys", ["key"], ((k,) for k in keys))

    def _raw(self, sql: str, params: tuple[object, ...]):  # type: ignore[no-untyped-def]
        dbapi = self.conn.connection.driver_connection
        assert dbapi is not None
        if self.conn.dialect.name != "sqlite":
            sql = sql.replace("?", "%s")
        cursor = dbapi.cursor()
        cursor.execute(sql, params)
        return cursor
