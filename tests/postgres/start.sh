#!/usr/bin/env bash
# Start (or reuse) a throw-away PostgreSQL cluster for the test suite.
#
# Usage: bash tests/postgres/start.sh
#
# What it does:
#   * finds the PostgreSQL binaries: $PG_BINDIR, else /usr/lib/postgresql/15/bin, else the newest
#     /usr/lib/postgresql/*/bin, else whatever `initdb` is on PATH;
#   * picks a port, starting at $HEADCOUNT_PG_PORT (default 55432) and trying the next ones, and
#     keeps the cluster in /tmp/headcount-pg-<port> (data in ./data, server log in ./server.log,
#     Unix socket in the directory itself, so /var/run/postgresql is never needed);
#   * if a cluster of ours is already running there, reuses it; if one exists but is stopped,
#     starts it; otherwise runs `initdb -A trust` and starts it, listening on 127.0.0.1 only, with
#     fsync/synchronous_commit/full_page_writes off (data is disposable: speed over durability);
#   * ensures the superuser role `headcount` and the database `headcount_test` exist;
#   * writes the SQLAlchemy URL postgresql+psycopg://headcount@127.0.0.1:<port>/headcount_test to
#     <repo>/.pytest-pg/url (and the cluster directory to <repo>/.pytest-pg/cluster, for stop.sh)
#     and prints it on stdout. Progress messages go to stderr.
#
# PostgreSQL refuses to run as root: when run as root the cluster belongs to the `postgres` system
# user (created if missing) and every server command runs through `runuser -u postgres`. Any other
# user (postgres included) simply owns the cluster.
#
# tests/conftest.py reads $HEADCOUNT_TEST_PG_URL first, then .pytest-pg/url.
# Stop and delete the cluster with: bash tests/postgres/stop.sh
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$REPO_ROOT/.pytest-pg"
FIRST_PORT="${HEADCOUNT_PG_PORT:-55432}"
PORT_ATTEMPTS=50
ROLE=headcount
DATABASE=headcount_test

log() { echo "postgres/start.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Never leave a stale URL behind: if anything below fails, there is no URL file at all.
mkdir -p "$STATE_DIR"
rm -f "$STATE_DIR/url" "$STATE_DIR/cluster"

# --- binaries -------------------------------------------------------------------------------
find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
    if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then echo /usr/lib/postgresql/15/bin; return; fi
    local newest
    newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$newest" && -x "$newest/initdb" ]]; then echo "$newest"; return; fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
}
BINDIR="$(find_bindir)"
[[ -n "$BINDIR" && -x "$BINDIR/initdb" ]] \
    || die "PostgreSQL binaries not found (install with: apt-get install -y postgresql)"
[[ "$BINDIR" == /usr/lib/postgresql/15/bin ]] || log "warning: using $BINDIR, not PostgreSQL 15"

# --- who owns the cluster -------------------------------------------------------------------
if [[ "$(id -u)" == 0 ]]; then
    OWNER=postgres
    if ! id -u "$OWNER" >/dev/null 2>&1; then
        log "creating system user $OWNER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$OWNER"
    fi
    # Runs from / because the checkout (e.g. under /root) may be unreadable for $OWNER.
    as_owner() {
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u "$OWNER" -- "$@")
        else
            (cd / && su -s /bin/sh "$OWNER" -c "$(printf '%q ' "$@")")
        fi
    }
else
    OWNER="$(id -un)"
    as_owner() { "$@"; }
fi

# --- helpers --------------------------------------------------------------------------------
port_in_use() {  # something accepts TCP connections on 127.0.0.1:$1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
cluster_running() {  # $1 = cluster directory
    [[ -f "$1/data/PG_VERSION" ]] && as_owner "$BINDIR/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}
owned_by_owner() {  # $1 = path exists and belongs to $OWNER
    [[ "$(stat -c %U "$1")" == "$OWNER" ]]
}
psql_admin() {  # run SQL as the bootstrap superuser over the Unix socket
    as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$CLUSTER" -p "$PORT" -U postgres \
        -d postgres "$@"
}

init_cluster() {
    log "initdb in $CLUSTER/data (owner $OWNER)"
    mkdir -p "$CLUSTER"
    chmod 0700 "$CLUSTER"
    [[ "$OWNER" == "$(id -un)" ]] || chown "$OWNER": "$CLUSTER"
    as_owner "$BINDIR/initdb" -D "$CLUSTER/data" -A trust -U postgres \
        --encoding=UTF8 --locale=C >"$CLUSTER/initdb.log" 2>&1 \
        || { cat "$CLUSTER/initdb.log" >&2; die "initdb failed"; }
    # Appended to postgresql.conf, so a restart with plain `pg_ctl start` keeps them.
    as_owner tee -a "$CLUSTER/data/postgresql.conf" >/dev/null <<CONF

# --- headcount test cluster (tests/postgres/start.sh) ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$CLUSTER'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
}

start_cluster() {
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    if ! as_owner "$BINDIR/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w -t 60 \
        start >/dev/null; then
        tail -n 30 "$CLUSTER/server.log" >&2 || true
        die "PostgreSQL did not start (log: $CLUSTER/server.log)"
    fi
}

# --- pick a port / cluster ------------------------------------------------------------------
PORT=""
CLUSTER=""
for ((port = FIRST_PORT; port < FIRST_PORT + PORT_ATTEMPTS; port++)); do
    dir="/tmp/headcount-pg-$port"
    if [[ -e "$dir" ]] && ! owned_by_owner "$dir"; then
        continue  # somebody else's cluster directory
    fi
    if cluster_running "$dir"; then
        PORT=$port CLUSTER=$dir
        log "reusing running cluster $CLUSTER"
        break
    fi
    if port_in_use "$port"; then
        continue  # another program listens there
    fi
    PORT=$port CLUSTER=$dir
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        rm -rf "$dir"  # half-initialised leftovers
        init_cluster
    fi
    start_cluster
    break
done
[[ -n "$PORT" ]] || die "no usable port in $FIRST_PORT..$((FIRST_PORT + PORT_ATTEMPTS - 1))"

# --- role and database (idempotent) ---------------------------------------------------------
psql_admin <<SQL
SELECT 'CREATE ROLE $ROLE LOGIN SUPERUSER'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') \gexec
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE') \gexec
SQL

URL="postgresql+psycopg://$ROLE@127.0.0.1:$PORT/$DATABASE"
echo "$CLUSTER" >"$STATE_DIR/cluster"
echo "$URL" >"$STATE_DIR/url"
log "ready: $URL (written to .pytest-pg/url)"
echo "$URL"
