#!/usr/bin/env bash
# The dashboard's idle cost, the number that matters for a tool kept open
# all day in a tmux pane:
#  1. idle CPU with 200 credentials over SECONDS (default 60), side by
#     side with htop running in the same tmux server for the same time;
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
# CPU is the processes' task clock, every thread's time on a CPU to the
# nanosecond, threads that came and went included (`perf stat -e
# task-clock -p PID`), for both processes at once. Without perf it is
# utime+stime from /proc/PID/stat, in clock ticks of 10 ms: over a
# minute both processes spend a dozen ticks, so that clock alone moves
# the ratio by a third from run to run.
#
# Usage: [FIRST_RUNS=N] benches/dashboard_idle.sh [SECONDS]
# Needs tmux, python3, htop; perf (linux-perf) for the fine clock. Uses
# CREDTOP_BIN, else builds --release.
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
clock="task clock (perf stat)"
perf stat -x, -e task-clock -o /dev/null true 2>/dev/null || clock="clock ticks (no perf)"

# The CPU time of processes A and B over SECONDS, side by side: "a_ms b_ms".
side_by_side() {
  local a=$1 b=$2 a0 b0
  if [[ $clock == task* ]]; then
    perf stat -x, -e task-clock -p "$a" -o "$work/a.csv" sleep "$seconds" &
    perf stat -x, -e task-clock -p "$b" -o "$work/b.csv" sleep "$seconds"
    wait
    ms() { awk -F, '$3 ~ /task-clock/ { printf "%.1f", $1 }' "$1"; }
    echo "$(ms "$work/a.csv") $(ms "$work/b.csv")"
  else
    a0=$(ticks "$a") b0=$(ticks "$b")
    sleep "$seconds"
    echo "$((($(ticks "$a") - a0) * 1000 / hz)) $((($(ticks "$b") - b0) * 1000 / hz))"
  fi
}

# 200 OAuth credentials churning (no provider: each refresh fails and
# pauses its lane), beside htop, for SECONDS.
tm new-session -d -s churn -x 160 -y 50 "exec $bin --home $work/churn"
tm new-session -d -s top2 -x 160 -y 50 "exec htop -d 10"
wait_for churn "Credentials (200)" "$(now_us)" >/dev/null
sleep 3
churn_pid=$(tm display-message -p -t churn '#{pane_pid}')
top2_pid=$(tm display-message -p -t top2 '#{pane_pid}')
e0=$(wc -l <"$work/churn/audit.jsonl")
read -r churn_ms top2_ms < <(side_by_side "$churn_pid" "$top2_pid")
e1=$(wc -l <"$work/churn/audit.jsonl")
tm kill-session -t churn
tm kill-session -t top2

# 200 credentials, idle, beside htop.
tm new-session -d -s dash -x 160 -y 50 "exec $bin --home $work/h200"
tm new-session -d -s top -x 160 -y 50 "exec htop -d 10"
wait_for dash "Credentials (200)" "$(now_us)" >/dev/null
sleep 3 # the engine's first pass (loaded, warnings) is not idle time

dash_pid=$(tm display-message -p -t dash '#{pane_pid}')
top_pid=$(tm display-message -p -t top '#{pane_pid}')
read -r dash_ms top_ms < <(side_by_side "$dash_pid" "$top_pid")

pct() { awk -v ms="$1" -v s="$seconds" 'BEGIN { printf "%.3f", ms / 10 / s }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b }'; }
echo "CPU: $clock over ${seconds}s"
printf '%-28s %10s %10s %10s %10s\n' "process" "cpu ms" "cpu %" "vs htop" "rss KiB"
printf '%-28s %10s %10s %10s %10s\n' "credtop, 200 idle" "$dash_ms" "$(pct "$dash_ms")" "$(times "$dash_ms" "$top_ms")" "$(rss "$dash_pid")"
printf '%-28s %10s %10s %10s %10s\n' "htop -d 10 beside it" "$top_ms" "$(pct "$top_ms")" "" "$(rss "$top_pid")"
printf '%-28s %10s %10s %10s\n' "credtop, 200 churning" "$churn_ms" "$(pct "$churn_ms")" "$(times "$churn_ms" "$top2_ms")"
printf '%-28s %10s %10s\n' "htop -d 10 beside it" "$top2_ms" "$(pct "$top2_ms")"
echo "churn: $((e1 - e0)) audit records written by the engine in ${seconds}s"
runs=${FIRST_RUNS:-5}
echo "first frame, 1000 credentials: ${first_ms} ms (median of $runs spawns to full table in capture-pane; fastest ${first_min} ms; floor ${floor_ms} ms)"
hz10=$(awk -v t=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.3f", t / hz / 20 * 100 }')
echo "10000 credentials: first frame ${big_ms} ms (median; fastest ${big_min} ms), peak RSS ${big_rss} KiB, idle CPU ${hz10} % over 20 s"
