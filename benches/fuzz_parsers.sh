#!/usr/bin/env bash
# Runs each parser property test (the `fuzz_*` unit tests: the credential
# file parser, the token-response parser, the .mcp.json parser and the
# envFile parser) for MINUTES minutes, in rounds of CASES random cases with a
# fresh seed each, and reports the cases run and the failures found. The
# test suite runs the same properties with 64 cases each.
#
#   bash benches/fuzz_parsers.sh [MINUTES]       # default 10 per property
#   FUZZ_CASES=5000 bash benches/fuzz_parsers.sh 1
#
# A failure's log (proptest's minimal failing input) is kept under
# target/fuzz-parsers/. Exit status 1 when any property failed.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-10}
cases=${FUZZ_CASES:-2000}
logs=target/fuzz-parsers
mkdir -p "$logs"

properties=(
  fuzz_credential_file_any_bytes
  fuzz_credential_file_never_quotes_a_secret
  fuzz_token_response_never_panics_nor_leaks
  fuzz_mcp_json_never_panics_nor_quotes_a_value
  fuzz_env_file_any_text
  fuzz_env_file_plain_assignments_round_trip
)

cargo test --lib --no-run --quiet 2>/dev/null

total_failures=0
printf '%-48s %8s %7s %10s %8s\n' property minutes rounds cases failures
for prop in "${properties[@]}"; do
  end=$((SECONDS + minutes * 60))
  rounds=0
  failures=0
  while [ "$SECONDS" -lt "$end" ]; do
    rounds=$((rounds + 1))
    log="$logs/$prop-$rounds.log"
    if PROPTEST_CASES=$cases cargo test --quiet --lib "$prop" >"$log" 2>&1; then
      rm -f "$log"
    else
      failures=$((failures + 1))
    fi
  done
  total_failures=$((total_failures + failures))
  printf '%-48s %8s %7s %10s %8s\n' "$prop" "$minutes" "$rounds" "$((rounds * cases))" "$failures"
done
if [ "$total_failures" -gt 0 ]; then
  echo "failures: see $logs/" >&2
  exit 1
fi
