#!/usr/bin/env bash
# Put a previous release back on Vercel (frontend) and Railway (backend).
#
#   rollback.sh <commit-sha>
#
# Environment: VERCEL_TOKEN and RAILWAY_TOKEN, as for deploy-frontend.sh and deploy-backend.sh. Both tokens
# and both CLIs are checked before anything is rolled back, so a rollback never stops half done for want of one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.bash"
USAGE="usage: rollback.sh <commit-sha>   (7 to 40 hexadecimal digits)"

[[ $# -eq 1 ]] || usage_error
version="$1"
[[ "$version" =~ ^[0-9a-fA-F]{7,40}$ ]] || usage_error

require_token VERCEL_TOKEN "${VERCEL_CONNECTION:-vercel}" Vercel
require_token RAILWAY_TOKEN "${RAILWAY_CONNECTION:-railway}" Railway
require_cli vercel Vercel
require_cli railway Railway

echo "Rolling the frontend back to $version on Vercel"
run_cli Vercel vercel rollback "$version" --yes
echo "Rolling the backend back to $version on Railway"
run_cli Railway railway rollback --version="$version"
echo "Rolled back to $version"
