#!/usr/bin/env bash
# Stop the throw-away PostgreSQL cluster started by tests/postgres/start.sh and delete it.
#
# Usage: bash tests/postgres/stop.sh [--keep]
#   --keep   stop the server but keep /tmp/headcount-pg-<port> (the next start.sh reuses it).
#
# Reads the cluster directory from <repo>/.pytest-pg/cluster; does nothing if there is none.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$REPO_ROOT/.pytest-pg"
KEEP=false
[[ "${1:-}" == "--keep" ]] && KEEP=true

log() { echo "postgres/stop.sh: $*" >&2; }

if [[ ! -f "$STATE_DIR/cluster" ]]; then
    log "no cluster recorded in $STATE_DIR/cluster; nothing to stop"
    rm -f "$STATE_DIR/url"
    exit 0
fi
CLUSTER="$(cat "$STATE_DIR/cluster")"
case "$CLUSTER" in
    /tmp/headcount-pg-*) ;;
    *) log "refusing to touch unexpected cluster path: $CLUSTER"; exit 1 ;;
esac

if [[ -f "$CLUSTER/data/PG_VERSION" ]]; then
    BINDIR="${PG_BINDIR:-/usr/lib/postgresql/$(cat "$CLUSTER/data/PG_VERSION")/bin}"
    [[ -x "$BINDIR/pg_ctl" ]] || BINDIR="$(dirname "$(command -v pg_ctl)")"
    OWNER="$(stat -c %U "$CLUSTER/data")"
    if [[ "$(id -un)" == "$OWNER" ]]; then
        as_owner() { "$@"; }
    elif command -v runuser >/dev/null 2>&1; then
        as_owner() { (cd / && runuser -u "$OWNER" -- "$@"); }
    else
        as_owner() { (cd / && su -s /bin/sh "$OWNER" -c "$(printf '%q ' "$@")"); }
    fi
    if as_owner "$BINDIR/pg_ctl" -D "$CLUSTER/data" status >/dev/null 2>&1; then
        log "stopping $CLUSTER"
        as_owner "$BINDIR/pg_ctl" -D "$CLUSTER/data" -m fast -w stop >/dev/null
    fi
fi

rm -f "$STATE_DIR/url" "$STATE_DIR/cluster"
if [[ "$KEEP" == false ]]; then
    rm -rf "$CLUSTER"
    log "removed $CLUSTER"
fi
