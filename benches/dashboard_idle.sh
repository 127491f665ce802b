#!/usr/bin/env bash
# The dashboard's idle cost, the number that matters for a tool kept open
# all day in a tmux pane:
#  1. idle CPU with 200 credentials over SECONDS (default 60), measured as
#     utime+stime from /proc/PID/stat before and after, side by side with
#     htop running in the same tmux server for the same time;
#  2. first-frame time with 1,000 credentials: from spawning the pane
#     until capture-pane shows the full table;
#  3. 10,000 credentials: first frame, resident memory and idle CPU.
#
# Usage: benches/dashboard_idle.sh [SECONDS]
# Needs tmux, python3, htop. Uses CREDTOP_BIN, else builds --release.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

bin=${CREDTOP_BIN:-}
if [[ -z $bin ]]; then
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/credtop
fi
command -v htop >/dev/null || { echo "bench: htop not found (apt-get install htop)" >&2; exit 1; }

work=$(mktemp -d)
sock="credtop-bench-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { tm kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

python3 scripts/demo_home.py "$work/h200" 200
python3 scripts/demo_home.py "$work/h1000" 1000
python3 scripts/demo_home.py "$work/h10k" 10000

# Waits (at most 30 s) until the pane shows `pattern`; prints the elapsed ms.
wait_for() {
  local session=$1 pattern=$2 start=$3
  local deadline=$((start + 30000000000))
  while :; do
    if tm capture-pane -p -t "$session" 2>/dev/null | grep -q -- "$pattern"; then
      echo $((($(date +%s%N) - start) / 1000000))
      return 0
    fi
    if (($(date +%s%N) > deadline)); then
      echo "bench: timed out waiting for '$pattern' in $session" >&2
      return 1
    fi
    sleep 0.005
  done
}

# 1,000 credentials: spawn to first full frame.
tm new-session -d -s warm -x 160 -y 50 "sleep 600"
start=$(date +%s%N)
tm new-session -d -s first -x 160 -y 50 "exec $bin --home $work/h1000"
first_ms=$(wait_for first "Credentials (1000)" "$start")
tm kill-session -t first

# 10,000 credentials: first frame, then memory and idle CPU once settled.
start=$(date +%s%N)
tm new-session -d -s big -x 160 -y 50 "exec $bin --home $work/h10k"
big_ms=$(wait_for big "Credentials (10000)" "$start")
sleep 5
big_pid=$(tm display-message -p -t big '#{pane_pid}')
b0=$(awk '{print $14 + $15}' "/proc/$big_pid/stat")
sleep 20
b1=$(awk '{print $14 + $15}' "/proc/$big_pid/stat")
big_rss=$(awk '/VmHWM/ {print $2}' "/proc/$big_pid/status")
tm kill-session -t big

# 200 credentials, idle, beside htop.
tm new-session -d -s dash -x 160 -y 50 "exec $bin --home $work/h200"
tm new-session -d -s top -x 160 -y 50 "exec htop -d 10"
wait_for dash "Credentials (200)" "$(date +%s%N)" >/dev/null
sleep 3 # the engine's first pass (loaded, warnings) is not idle time

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
dash_pid=$(tm display-message -p -t dash '#{pane_pid}')
top_pid=$(tm display-message -p -t top '#{pane_pid}')
hz=$(getconf CLK_TCK)
d0=$(ticks "$dash_pid") t0=$(ticks "$top_pid")
sleep "$seconds"
d1=$(ticks "$dash_pid") t1=$(ticks "$top_pid")

pct() { awk -v t="$1" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.3f", t / hz / s * 100 }'; }
printf '%-28s %10s %12s %10s\n' "process (${seconds}s idle)" "cpu ticks" "cpu %" "rss KiB"
printf '%-28s %10s %12s %10s\n' "credtop, 200 credentials" $((d1 - d0)) "$(pct $((d1 - d0)))" "$(rss "$dash_pid")"
printf '%-28s %10s %12s %10s\n' "htop -d 10 (1 s refresh)" $((t1 - t0)) "$(pct $((t1 - t0)))" "$(rss "$top_pid")"
echo "first frame, 1000 credentials: ${first_ms} ms (spawn to full table in capture-pane)"
hz10=$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.3f", t / hz / 20 * 100 }')
echo "10000 credentials: first frame ${big_ms} ms, peak RSS ${big_rss} KiB, idle CPU ${hz10} % over 20 s"
