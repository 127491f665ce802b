#!/usr/bin/env bash
# Remote MCP servers through credtop, measured against real peers (issue 11):
#
# 1. Four MCP client instances (the SDK's client) calling a tool for
#    SECONDS each against a server whose access tokens live 6 s, with
#    refresh-token rotation and reuse detection: through `credtop mcp
#    connect` and through mcp-remote (pinned in benches/mcp-remote). For
#    each: calls made, calls failed, and whether the grant survived (a
#    refresh with the stored refresh token, sent straight to the server).
# 2. The latency credtop's bridge adds to a tool call: 300 calls through
#    the bridge (the SDK's client over stdio) and 300 straight to the server
#    with the same bearer token over one keep-alive connection
#    (benches/mcp_direct.py), median and p99.
# 3. RSS of one bridge, sampled during (1).
#
# Usage: bash benches/mcp_remote.sh [SECONDS]   (default 30)
# CREDTOP_BIN=path skips the release build. Needs node, npm, python3 and
# `bash scripts/test-deps.sh` (the test peers). DPoP is off on this server:
# mcp-remote has none, and the direct calls send a plain bearer token.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
secs=${1:-30}

bin=${CREDTOP_BIN:-}
if [[ -z $bin ]]; then
  cargo build --release --quiet
  bin=$repo/target/release/credtop
fi
bash scripts/test-deps.sh
if [[ ! -d benches/mcp-remote/node_modules ]]; then
  npm ci --prefix benches/mcp-remote --no-audit --no-fund --loglevel=error
fi
mcp_remote=$repo/benches/mcp-remote/node_modules/.bin/mcp-remote

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n ${KEEP_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

# Starts a node server whose stdin is a pipe this shell holds open (it
# exits when that closes); sets $line to what it printed first.
start() { # NAME SCRIPT ENV...
  local name=$1 script=$2 fd
  shift 2
  mkfifo "$work/$name.in"
  env "$@" node "$script" <"$work/$name.in" >"$work/$name.out" 2>/dev/null &
  pids+=($!)
  exec {fd}>"$work/$name.in"
  for _ in $(seq 1 100); do
    [[ -s $work/$name.out ]] && break
    sleep 0.1
  done
  line=$(head -1 "$work/$name.out")
}

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

# Is the grant alive? One refresh_token grant straight to the server.
grant_alive() { # ISSUER CLIENT_ID REFRESH_TOKEN
  python3 - "$@" <<'EOF'
import json, sys, urllib.parse, urllib.request
issuer, client_id, rt = sys.argv[1:4]
body = urllib.parse.urlencode({"grant_type": "refresh_token", "refresh_token": rt,
                               "client_id": client_id}).encode()
try:
    with urllib.request.urlopen(issuer + "/token", body, timeout=10) as r:
        print("alive" if "access_token" in json.load(r) else "revoked")
except urllib.error.HTTPError as e:
    print("revoked (" + json.load(e).get("error", str(e.code)) + ")")
EOF
}

# Four clients in parallel, one bridge command; prints "ok failed".
four_clients() { # ENV...
  local out=()
  for i in 1 2 3 4; do
    env "$@" CLIENT_NAME="instance-$i" DURATION_MS=$((secs * 1000)) PAUSE_MS=100 \
      node tests/mcpserver/client.mjs >"$work/client-$i.json" 2>>"$work/clients.log" &
    out+=($!)
  done
  for p in "${out[@]}"; do wait "$p" || true; done
  python3 - "$work" <<'EOF'
import json, sys, pathlib
ok = failed = 0
for i in range(1, 5):
    text = (pathlib.Path(sys.argv[1]) / f"client-{i}.json").read_text().strip().splitlines()
    s = json.loads(text[-1]) if text else {"ok": 0, "failed": 1}
    ok += s["ok"]; failed += s["failed"]
print(ok, failed)
EOF
}

scenario_server() { # NAME ACCESS_TTL -> sets $issuer and $url
  start "$1-as" tests/authserver/server.mjs MCP_MODE=1 MCP_DPOP=off ACCESS_TTL="$2"
  issuer=$(field "$line" issuer)
  start "$1-ms" tests/mcpserver/server.mjs ISSUER="$issuer"
  url=$(field "$line" url)
}

echo "== four instances, ${secs}s each, 6 s access tokens, rotation + reuse detection"

# --- through credtop
scenario_server credtop 6
home=$work/credtop-home
mkdir -m 700 "$home"
BROWSER=tests/support/browser.py CREDTOP_HOME=$home "$bin" mcp login "$url" --name bench \
  --timeout 60 >/dev/null 2>"$work/login.log"
rss_max=0
(
  for _ in $(seq 1 $((secs * 2))); do
    for p in $(pgrep -f "credtop mcp connect bench" || true); do
      grep VmRSS "/proc/$p/status" 2>/dev/null | awk '{print $2}'
    done
    sleep 0.5
  done
) >"$work/rss.txt" &
rss_sampler=$!
read -r ok failed < <(four_clients CREDTOP_BIN="$bin" CREDTOP_HOME="$home" NAME=bench)
wait "$rss_sampler" || true
rss_max=$(sort -n "$work/rss.txt" | tail -1)
client_id=$(field "$(cat "$home/mcp/servers/bench.json")" client_id)
rt=$(field "$(cat "$home/oauth/bench.json")" refresh_token)
refreshes=$(grep -c '"refresh_succeeded"' "$home/audit.jsonl" || true)
echo "credtop mcp connect: calls ok $ok, failed $failed, refreshes $refreshes, grant $(grant_alive "$issuer" "$client_id" "$rt")"
echo "credtop bridge RSS (max sampled): ${rss_max:-?} KiB"

# --- through mcp-remote
scenario_server mcpremote 6
auth=$work/mcp-auth
mkdir -p "$auth"
read -r ok failed < <(four_clients BRIDGE_ARGV="[\"$mcp_remote\", \"$url\", \"--allow-http\"]" \
  BROWSER="$repo/tests/support/browser.py" MCP_REMOTE_CONFIG_DIR="$auth" HOME="$work")
tokens=$(find "$auth" -name '*_tokens.json' | head -1)
info=$(find "$auth" -name '*_client_info.json' | head -1)
if [[ -n $tokens && -n $info ]]; then
  grant=$(grant_alive "$issuer" "$(field "$(cat "$info")" client_id)" "$(field "$(cat "$tokens")" refresh_token)")
else
  grant="no tokens stored"
fi
echo "mcp-remote 0.15.1:   calls ok $ok, failed $failed, grant $grant"

echo "== latency of one tool call (read_note), bridge vs direct"
scenario_server latency 600
home=$work/latency-home
mkdir -m 700 "$home"
BROWSER=tests/support/browser.py CREDTOP_HOME=$home "$bin" mcp login "$url" --name lat \
  --timeout 60 >/dev/null 2>&1
# Long-lived tokens here: this measures the bridge, not refreshes.
token=$(CREDTOP_HOME=$home "$bin" token lat)
direct=$(python3 benches/mcp_direct.py "$url" "$token")
bridge=$(CREDTOP_BIN="$bin" CREDTOP_HOME="$home" NAME=lat node tests/mcpserver/latency.mjs)
echo "direct: $direct"
echo "bridge: $bridge"
python3 - "$direct" "$bridge" <<'EOF'
import json, sys
d, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"added by the bridge: median {b['median_ms'] - d['median_ms']:.3f} ms, "
      f"p99 {b['p99_ms'] - d['p99_ms']:.3f} ms")
EOF
