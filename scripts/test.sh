#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what the tests need
# (scripts/test-deps.sh), then runs every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
# Snapshots are reviewed files: a missing or stale one fails, never rewrites.
export INSTA_UPDATE=${INSTA_UPDATE:-no}
cargo test --locked "$@"
