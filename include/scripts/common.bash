# Shared by the deploy scripts: argument and environment checks, and running a hosting CLI so that a
# connection failure is reported as "could not reach <service>" instead of a bare stack trace.
# Sourced, never run.

# Usage line of the sourcing script; set USAGE before calling usage_error.
usage_error() {
  printf '%s\n' "$USAGE" >&2
  exit 2
}

fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# require_token VARIABLE CONNECTION_ID SERVICE: the token must be in the environment before any CLI runs.
require_token() {
  local variable="$1" connection="$2" service="$3"
  if [[ -z "${!variable:-}" ]]; then
    fail "$variable is not set, so $service cannot be used. Add the Airflow connection '$connection' with the" \
      "token as its password: airflow connections add $connection --conn-type generic --conn-password <token>"
  fi
}

# require_setting VARIABLE WHAT: a non-secret setting the script needs.
require_setting() {
  local variable="$1" what="$2"
  [[ -n "${!variable:-}" ]] || fail "$variable is not set: it must hold $what"
}

# require_cli EXECUTABLE SERVICE
require_cli() {
  local executable="$1" service="$2"
  command -v "$executable" >/dev/null 2>&1 \
    || fail "the $service CLI is not installed in this image ('$executable' is not on PATH)"
}

# Output of a CLI that failed to reach its API: DNS, refused or reset connections, timeouts, proxies.
CONNECTION_FAILURE='ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|getaddrinfo|could not be resolved|socket hang up|fetch failed|dns error|failed to lookup address|error sending request|Connection refused|Network is unreachable|timed out'

# run_cli SERVICE EXECUTABLE ARGS...: run the CLI, its output shown as it comes; on failure, say whether the
# service could not be reached (with the CLI's own line) or the CLI failed for another reason.
run_cli() {
  local service="$1"
  shift
  local output status=0
  output="$(mktemp)"
  "$@" 2>&1 | tee "$output" || status="${PIPESTATUS[0]}"
  if [[ "$status" -ne 0 ]]; then
    local reason
    # A line that names the service's own host says the most; a CLI's crash reporter may fail first.
    reason="$(grep -E "$CONNECTION_FAILURE" "$output" | grep -i -m1 "$service" || true)"
    [[ -n "$reason" ]] || reason="$(grep -E -m1 "$CONNECTION_FAILURE" "$output" || true)"
    rm -f "$output"
    if [[ -n "$reason" ]]; then
      fail "could not reach $service: $reason"
    fi
    fail "the $service CLI failed (exit $status) running '$1 ${2:-}': see its output above"
  fi
  rm -f "$output"
}
