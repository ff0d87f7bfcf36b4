#!/bin/sh
# Pod start latency (create -> Running seen by a watch, image cached) for bursts of 1, 10 and 100 pods on one
# node, next to `runc run -d` of the same container as the floor, and the agent's RSS with 100 pods; see
# bench-podstart.py. Runs in a network namespace of its own (unshare -n, not `ip netns exec`, which hides
# /sys/fs/cgroup). Usage: bench/bench-podstart.sh [BURSTS...]  (CORACLE_BIN defaults to build/coracle; use an
# optimised build).
set -eu
cd "$(dirname "$0")/.."
if [ "${BENCH_IN_NETNS:-}" != 1 ]; then
  exec unshare -n env BENCH_IN_NETNS=1 sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
command -v runc >/dev/null || { echo "bench-podstart: runc is missing (scripts/install-deps.sh)" >&2; exit 1; }
CORACLE_BIN=$(realpath "${CORACLE_BIN:-build/coracle}") exec /usr/bin/python3 bench/bench-podstart.py "$@"
