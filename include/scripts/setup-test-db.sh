#!/usr/bin/env bash
# Prepare a test database: apply the migrations, then load the test seed.
#
#   setup-test-db.sh
#
# Environment: DATABASE_URL of the test database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
USAGE="usage: setup-test-db.sh   (the database comes from DATABASE_URL)"

[[ $# -eq 0 ]] || usage_error
require_setting DATABASE_URL "the URL of the test database"
require_cli pnpm pnpm

echo "Applying database migrations"
pnpm db:migrate
echo "Seeding test data"
pnpm db:seed:test
echo "Test database ready"
