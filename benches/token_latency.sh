#!/usr/bin/env bash
# Benchmark: `credtop token NAME` on a credential in its safe zone (the call
# an agent makes before every request) next to a bare `cat` of the same
# credential file (the floor: one process, one read) and `gh auth token`
# reading its own hosts.yml, all with hyperfine in the same run. `token`
# also appends its `secret_read` audit record; the target is within 2x of
# `cat`. Not a test: it prints numbers. Installs hyperfine and gh from
# Debian when they are missing.
#
#   bash benches/token_latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v gh >/dev/null || need+=(gh)
if ((${#need[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cargo build --release --locked --quiet
bin=$PWD/target/release/credtop

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home=$work/home
mkdir -m 700 "$home" "$home/oauth"
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
expires=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
umask 077
cat >"$home/oauth/acme.json" <<JSON
{"provider":"acme","access_token":"at-benchmark-0123456789","refresh_token":"rt-benchmark","token_type":"Bearer","scope":"read","created_at":"$created","expires_at":"$expires"}
JSON
mkdir -p "$work/gh"
cat >"$work/gh/hosts.yml" <<YAML
github.com:
    user: bench
    oauth_token: gho_benchmark0123456789
    git_protocol: https
YAML

# Both must print their token, or the comparison means nothing.
CREDTOP_HOME=$home "$bin" token acme >/dev/null
GH_CONFIG_DIR=$work/gh gh auth token >/dev/null

hyperfine --warmup 20 --runs 200 -N \
  --command-name "cat oauth/acme.json" "env CREDTOP_HOME=$home cat $home/oauth/acme.json" \
  --command-name "credtop token acme" "env CREDTOP_HOME=$home $bin token acme" \
  --command-name "gh auth token" "env GH_CONFIG_DIR=$work/gh gh auth token"

echo
echo "credtop status --json with 1 credential (no discovery):"
hyperfine --warmup 5 --runs 50 -N "env CREDTOP_HOME=$home $bin status --json --no-discover"
