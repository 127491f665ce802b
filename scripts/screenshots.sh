#!/usr/bin/env bash
# Regenerates screenshots/*.png: the real binary in tmux running `credtop
# demo` (a throwaway home refreshed live by a token endpoint inside the
# process, with a quarter of an hour of audit trail behind it),
# captured with colours (capture-pane -e), turned into HTML by
# scripts/ansi2html.py and rendered by headless chromium.
#
# Needs: tmux, python3, chromium and fonts-symbola (for ⏸; apt-get install
# chromium fonts-symbola). Builds the
# release binary unless CREDTOP_BIN names one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/screenshots
mkdir -p "$out"
cols=${COLS:-120} rows=${ROWS:-32}

bin=${CREDTOP_BIN:-}
if [[ -z $bin ]]; then
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/credtop
fi
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[[ -n $chrome ]] || { echo "screenshots: chromium not found (apt-get install chromium)" >&2; exit 1; }

work=$(mktemp -d)
sock="credtop-shots-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

tm new-session -d -s main -x "$cols" -y "$rows" \
  "env TERM=xterm-256color TMPDIR=$work $bin demo; sleep 30"

# Bounded waits: the screen must show `pattern` within 10 s.
wait_for() {
  local pattern=$1
  for _ in $(seq 1 100); do
    tm capture-pane -p -t main | grep -q -- "$pattern" && return 0
    sleep 0.1
  done
  echo "screenshots: timed out waiting for '$pattern'" >&2
  tm capture-pane -p -t main >&2
  exit 1
}

shot() {
  local name=$1
  tm capture-pane -e -p -t main > "$work/$name.ansi"
  python3 scripts/ansi2html.py < "$work/$name.ansi" > "$work/$name.html"
  # 9 px per column and 18 px per row at 15 px DejaVu Sans Mono, plus padding.
  local w=$((cols * 9 + 24)) h=$((rows * 18 + 24))
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$(mktemp -d -p "$work")" \
    --screenshot="$out/$name.png" --window-size="$w,$h" "file://$work/$name.html" \
    >/dev/null 2>&1
  echo "screenshots: $out/$name.png"
}

wait_for "Credentials (8)"
sleep 1.5 # let the engine's first pass settle (warnings, paused lanes)
tm send-keys -t main j j
sleep 0.3
shot main
tm send-keys -t main Enter
wait_for "Refresh history"
shot detail
tm send-keys -t main Enter a
wait_for "Audit trail ("
shot audit
tm send-keys -t main a
sleep 0.3
tm send-keys -t main t
wait_for "Timeline · last 15 m"
shot timeline
tm send-keys -t main t '?'
wait_for "this help"
shot help
tm send-keys -t main Escape
sleep 0.3
tm send-keys -t main q
