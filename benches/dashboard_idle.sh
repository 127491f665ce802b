#!/usr/bin/env bash
# The dashboard's idle cost, the number that matters for a tool kept open
# all day in a tmux pane:
#  1. idle CPU with 200 credentials over SECONDS (default 60), measured as
#     utime+stime from /proc/PID/stat before and after, side by side with
#     htop running in the same tmux server for the same time;
#  2. first-frame time with 1,000 credentials: from spawning the pane
#     until capture-pane shows the full table, the median of FIRST_RUNS
#     (default 5) spawns. The pane is polled back to back (one
#     capture-pane per look, no sleep, bash's own clock and matching), so
#     the number is late by at most one look, a few ms; the "floor" is the
#     same measurement of a pane that prints the title at once (tmux's
#     own spawn and capture cost, included in every number);
#  3. 10,000 credentials: first frame (likewise), resident memory and
#     idle CPU;
#  4. idle with churn: 200 OAuth credentials expiring within the hour and
#     no provider configured (benches/churn_home.py), so that every one
#     entering its danger zone is an engine event, beside htop likewise.
#
# Usage: [FIRST_RUNS=N] benches/dashboard_idle.sh [SECONDS]
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
python3 benches/churn_home.py "$work/churn" 200

# Waits (at most 30 s) until the pane shows `pattern`; prints the ms
# elapsed since `start` (microseconds, from $EPOCHREALTIME).
wait_for() {
  local session=$1 pattern=$2 start=$3 screen now
  local deadline=$((start + 30000000))
  while :; do
    screen=$(tm capture-pane -p -t "$session" 2>/dev/null) || screen=
    now=${EPOCHREALTIME/./}
    if [[ $screen == *"$pattern"* ]]; then
      echo $(((now - start) / 1000))
      return 0
    fi
    if ((now > deadline)); then
      echo "bench: timed out waiting for '$pattern' in $session" >&2
      return 1
    fi
  done
}
now_us() { echo "${EPOCHREALTIME/./}"; }

# Spawn to first full frame of `command` showing `pattern`, FIRST_RUNS
# times; prints the median and the fastest, in ms.
first_frame() {
  local command=$1 pattern=$2 runs=${FIRST_RUNS:-5} times=() start
  for _ in $(seq "$runs"); do
    start=$(now_us)
    tm new-session -d -s first -x 160 -y 50 "$command"
    times+=("$(wait_for first "$pattern" "$start")")
    tm kill-session -t first
    sleep 0.5
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "%d %d\n", t[int((NR + 1) / 2)], t[1] }'
}

# The measurement's own cost: a pane that shows the title at once.
tm new-session -d -s warm -x 160 -y 50 "sleep 600"
read -r floor_ms _ < <(first_frame "printf 'Credentials (1000)'; exec sleep 60" "Credentials (1000)")

# 1,000 credentials: spawn to first full frame.
read -r first_ms first_min < <(first_frame "exec $bin --home $work/h1000" "Credentials (1000)")
# 10,000: the same; then, below, memory and idle CPU of one more.
read -r big_ms big_min < <(first_frame "exec $bin --home $work/h10k" "Credentials (10000)")

# 10,000 credentials: first frame, then memory and idle CPU once settled.
tm new-session -d -s big -x 160 -y 50 "exec $bin --home $work/h10k"
wait_for big "Credentials (10000)" "$(now_us)" >/dev/null
sleep 5
big_pid=$(tm display-message -p -t big '#{pane_pid}')
b0=$(awk '{print $14 + $15}' "/proc/$big_pid/stat")
sleep 20
b1=$(awk '{print $14 + $15}' "/proc/$big_pid/stat")
big_rss=$(awk '/VmHWM/ {print $2}' "/proc/$big_pid/status")
tm kill-session -t big

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

# 200 OAuth credentials churning (no provider: each refresh fails and
# pauses its lane), beside htop, for SECONDS.
tm new-session -d -s churn -x 160 -y 50 "exec $bin --home $work/churn"
tm new-session -d -s top2 -x 160 -y 50 "exec htop -d 10"
wait_for churn "Credentials (200)" "$(now_us)" >/dev/null
sleep 3
churn_pid=$(tm display-message -p -t churn '#{pane_pid}')
top2_pid=$(tm display-message -p -t top2 '#{pane_pid}')
c0=$(ticks "$churn_pid") h0=$(ticks "$top2_pid") e0=$(wc -l <"$work/churn/audit.jsonl")
sleep "$seconds"
c1=$(ticks "$churn_pid") h1=$(ticks "$top2_pid") e1=$(wc -l <"$work/churn/audit.jsonl")
tm kill-session -t churn
tm kill-session -t top2

# 200 credentials, idle, beside htop.
tm new-session -d -s dash -x 160 -y 50 "exec $bin --home $work/h200"
tm new-session -d -s top -x 160 -y 50 "exec htop -d 10"
wait_for dash "Credentials (200)" "$(now_us)" >/dev/null
sleep 3 # the engine's first pass (loaded, warnings) is not idle time

dash_pid=$(tm display-message -p -t dash '#{pane_pid}')
top_pid=$(tm display-message -p -t top '#{pane_pid}')
d0=$(ticks "$dash_pid") t0=$(ticks "$top_pid")
sleep "$seconds"
d1=$(ticks "$dash_pid") t1=$(ticks "$top_pid")

pct() { awk -v t="$1" -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.3f", t / hz / s * 100 }'; }
printf '%-28s %10s %12s %10s\n' "process (${seconds}s idle)" "cpu ticks" "cpu %" "rss KiB"
printf '%-28s %10s %12s %10s\n' "credtop, 200 credentials" $((d1 - d0)) "$(pct $((d1 - d0)))" "$(rss "$dash_pid")"
printf '%-28s %10s %12s %10s\n' "htop -d 10 (1 s refresh)" $((t1 - t0)) "$(pct $((t1 - t0)))" "$(rss "$top_pid")"
printf '%-28s %10s %12s\n' "credtop, 200 churning" $((c1 - c0)) "$(pct $((c1 - c0)))"
printf '%-28s %10s %12s\n' "htop beside it" $((h1 - h0)) "$(pct $((h1 - h0)))"
echo "churn: $((e1 - e0)) audit records written by the engine in ${seconds}s"
runs=${FIRST_RUNS:-5}
echo "first frame, 1000 credentials: ${first_ms} ms (median of $runs spawns to full table in capture-pane; fastest ${first_min} ms; floor ${floor_ms} ms)"
hz10=$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.3f", t / hz / 20 * 100 }')
echo "10000 credentials: first frame ${big_ms} ms (median; fastest ${big_min} ms), peak RSS ${big_rss} KiB, idle CPU ${hz10} % over 20 s"
