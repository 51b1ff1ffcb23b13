#!/usr/bin/env bash
# Deploy the frontend to Vercel.
#
#   deploy-frontend.sh staging|production
#
# Environment:
#   VERCEL_TOKEN       the Vercel token (Airflow connection $VERCEL_CONNECTION, default "vercel"); the CLI reads
#                      it from the environment, so it never appears in a command line
#   API_URL            the API address baked into the build as NEXT_PUBLIC_API_URL
#   SUPABASE_URL       optional, baked in as NEXT_PUBLIC_SUPABASE_URL
#   FRONTEND_DIR       the Next.js app, default apps/web
#   VERCEL_ORG_ID, VERCEL_PROJECT_ID   optional, which project to deploy without `vercel link`
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
USAGE="usage: deploy-frontend.sh staging|production"

[[ $# -eq 1 ]] || usage_error
environment="$1"
case "$environment" in
  staging | production) ;;
  *) usage_error ;;
esac

require_token VERCEL_TOKEN "${VERCEL_CONNECTION:-vercel}" Vercel
require_setting API_URL "the API address of $environment (vercel_railway.api_url in the pipeline file)"
require_cli vercel Vercel

arguments=(deploy --yes)
if [[ "$environment" == production ]]; then
  arguments+=(--prod)
else
  # A Vercel custom environment; --env would only set a run-time variable named "staging".
  arguments+=(--target=staging)
fi
arguments+=(--build-env "NEXT_PUBLIC_API_URL=$API_URL")
if [[ -n "${SUPABASE_URL:-}" ]]; then
  arguments+=(--build-env "NEXT_PUBLIC_SUPABASE_URL=$SUPABASE_URL")
fi

frontend="${FRONTEND_DIR:-apps/web}"
[[ -d "$frontend" ]] || fail "the frontend folder $frontend does not exist in $(pwd) (set FRONTEND_DIR)"
cd "$frontend"

echo "Deploying the frontend ($frontend) to Vercel, environment $environment"
run_cli Vercel vercel "${arguments[@]}"
echo "Frontend deployed to $environment"
