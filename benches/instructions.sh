#!/usr/bin/env bash
# Instructions per iteration of the scheduler workloads, telemetry compiled out against counters +
# event rings and against the default (plus the task table), counted by valgrind's callgrind on
# the current-thread runtime. Unlike times, these counts do not move with the host's load: a change
# to a hot path shows up to the instruction. They say nothing of cache misses or stalls, so they
# complement the criterion runs (benches/scheduler.rs) rather than replace them.
#
#   benches/instructions.sh                       # all seven workloads
#   benches/instructions.sh yield_many spawn_many # some
#
# Each count is (instructions of 3 iterations - instructions of 1) / 2, which leaves out the
# runtime's start and end. Needs valgrind; takes a few minutes.
set -euo pipefail

cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi

workloads=("$@")
if [ ${#workloads[@]} -eq 0 ]; then
    workloads=(spawn_many spawn_remote yield_many ping_pong chained_spawn mpsc timers)
fi

cargo build --quiet --locked --release --example workload_probe
CARGO_TARGET_DIR=target/notel cargo build --quiet --locked --release --example workload_probe --no-default-features
on=target/release/examples/workload_probe
off=target/notel/release/examples/workload_probe
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# count <binary> <task table capacity> <workload> <iterations>
count() {
    ZOKIO_TASK_TABLE_CAPACITY=$2 valgrind --tool=callgrind \
        --callgrind-out-file="$out/cg" "$1" "$3" "$4" --current-thread >/dev/null 2>"$out/err" || {
        cat "$out/err" >&2
        exit 1
    }
    awk '/^summary:/ {print $2}' "$out/cg"
}

# per_iteration <binary> <task table capacity> <workload>
per_iteration() {
    local one three
    one=$(count "$1" "$2" "$3" 1)
    three=$(count "$1" "$2" "$3" 3)
    echo $(((three - one) / 2))
}

printf '%-14s %14s %14s %9s %14s %9s\n' workload "compiled out" "counters+ev" cost default cost
for w in "${workloads[@]}"; do
    base=$(per_iteration "$off" 16384 "$w")
    ce=$(per_iteration "$on" 0 "$w")
    full=$(per_iteration "$on" 16384 "$w")
    awk -v w="$w" -v b="$base" -v c="$ce" -v f="$full" 'BEGIN {
        printf "%-14s %14d %14d %+8.1f%% %14d %+8.1f%%\n", w, b, c, (c - b) * 100 / b, f, (f - b) * 100 / b
    }'
done
