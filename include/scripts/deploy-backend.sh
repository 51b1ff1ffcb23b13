#!/usr/bin/env bash
# Deploy the backend to Railway.
#
#   deploy-backend.sh staging|production
#
# Environment:
#   RAILWAY_TOKEN      the Railway project token (Airflow connection $RAILWAY_CONNECTION, default "railway"),
#                      read by the CLI from the environment
#   RAILWAY_SERVICE    optional, the Railway service to deploy to
#   BACKEND_DIR        the NestJS app, default apps/api
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
USAGE="usage: deploy-backend.sh staging|production"

[[ $# -eq 1 ]] || usage_error
environment="$1"
case "$environment" in
  staging | production) ;;
  *) usage_error ;;
esac

require_token RAILWAY_TOKEN "${RAILWAY_CONNECTION:-railway}" Railway
require_cli railway Railway

arguments=(up --ci --environment "$environment")
if [[ -n "${RAILWAY_SERVICE:-}" ]]; then
  arguments+=(--service "$RAILWAY_SERVICE")
fi

backend="${BACKEND_DIR:-apps/api}"
[[ -d "$backend" ]] || fail "the backend folder $backend does not exist in $(pwd) (set BACKEND_DIR)"
cd "$backend"

echo "Deploying the backend ($backend) to Railway, environment $environment"
run_cli Railway railway "${arguments[@]}"
echo "Backend deployed to $environment"
