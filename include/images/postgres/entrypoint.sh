#!/bin/bash
# Initialise the cluster on first start, then run postgres in the foreground.
set -euo pipefail

: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [[ -z "${POSTGRES_PASSWORD:-}" ]]; then
  echo "postgres-entrypoint: POSTGRES_PASSWORD is not set" >&2
  exit 1
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [[ "$POSTGRES_DB" != "postgres" ]]; then
    createdb --username="$POSTGRES_USER" "$POSTGRES_DB"
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi

exec postgres -c listen_addresses='*' -c unix_socket_directories=/tmp -c fsync=off -c full_page_writes=off
