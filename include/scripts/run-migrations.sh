#!/usr/bin/env bash
# Apply the database migrations of the checked-out workspace.
#
#   run-migrations.sh
#
# Environment: DATABASE_URL (the URI of Airflow connection $DATABASE_CONNECTION).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
USAGE="usage: run-migrations.sh   (the database comes from DATABASE_URL)"

[[ $# -eq 0 ]] || usage_error
if [[ -z "${DATABASE_URL:-}" ]]; then
  connection="${DATABASE_CONNECTION:-<database_connection>}"
  fail "DATABASE_URL is not set, so there is no database to migrate. Add the Airflow connection '$connection'" \
    "with the database's URI: airflow connections add $connection --conn-uri postgresql://user:password@host:5432/db"
fi
require_cli pnpm pnpm

echo "Applying database migrations"
pnpm db:migrate
echo "Migrations applied"
