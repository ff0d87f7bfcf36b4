#!/bin/bash
# Scheduler benchmark (kubemark-style): a release `coracle server` (API server + in-process scheduler) and
# one `coracle sim-nodes` process with NODES simulated nodes, in a network namespace of their own (loopback
# only); bench-scheduler-load.py creates PODS pods as fast as THREADS connections allow and reports
# scheduling throughput (pods bound/s) and create→bound p50/p99. Also reports the server's RSS (the control
# plane: API server + scheduler + controllers) and the simulator's, once everything is bound. Each run
# starts from a fresh data directory; the summary gives medians over RUNS runs.
#
# Knobs (environment): RUNS=3 NODES=1000 PODS=10000 THREADS=16 STORE_SYNC=full BUILD=build-bench, or
# CORACLE=/path/coracle. Must run as root. Everything it creates (netns, processes, temp dir) is removed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
RUNS=${RUNS:-3}
NODES=${NODES:-1000}
PODS=${PODS:-10000}
THREADS=${THREADS:-16}
STORE_SYNC=${STORE_SYNC:-full}
PORT=6443

if [ -z "${IN_NETNS:-}" ]; then
  if [ -z "${CORACLE:-}" ]; then
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" --buildtype=release -Dtests=false >/dev/null
    ninja -C "$BUILD" coracle >/dev/null
    CORACLE=$BUILD/coracle
  fi
  NETNS=coracle-bench-sched-$$
  ip netns add "$NETNS"
  trap 'ip netns del "$NETNS" 2>/dev/null || true' EXIT
  nsenter --net=/run/netns/$NETNS ip link set lo up
  nsenter --net=/run/netns/$NETNS env IN_NETNS=1 CORACLE="$CORACLE" RUNS="$RUNS" NODES="$NODES" PODS="$PODS" \
    THREADS="$THREADS" STORE_SYNC="$STORE_SYNC" bash "$0"
  exit $?
fi

DATA=$(mktemp -d /tmp/coracle-bench-sched.XXXXXX)
SERVER_PID=
SIM_PID=

stop_pid() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$SIM_PID"
  stop_pid "$SERVER_PID"
  rm -rf "$DATA"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

RESULTS=$DATA/results.txt
: >"$RESULTS"
for run in $(seq "$RUNS"); do
  D=$DATA/run$run
  mkdir -p "$D"
  "$CORACLE" server --data-dir "$D/data" --write-kubeconfig "$D/kubeconfig" --https-listen-port $PORT \
    --bind-address 127.0.0.1 --disable-agent --store-sync "$STORE_SYNC" -v warn >"$D/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    [ -f "$D/kubeconfig" ] && curl -sk "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  t0=$(date +%s.%N)
  "$CORACLE" sim-nodes --data-dir "$D/data" --server "https://127.0.0.1:$PORT" --count "$NODES" \
    --cpu 32 --memory 256Gi --pods 110 -v warn >"$D/sim.out" 2>"$D/sim.log" &
  SIM_PID=$!
  for _ in $(seq 1200); do
    grep -q '^ready' "$D/sim.out" 2>/dev/null && break
    sleep 0.1
  done
  reg=$(echo "$(date +%s.%N) - $t0" | bc)
  sleep 2 # the scheduler's node informer catches up
  line=$(python3 "$ROOT/bench/bench-scheduler-load.py" "https://127.0.0.1:$PORT" "$D/data/server/tls/server-ca.crt" \
    "$D/data/server/tls/token" "$PODS" "$THREADS")
  sleep 1
  echo "run=$run nodes=$NODES register_s=$(printf %.1f "$reg") $line server_rss_mb=$(($(rss_kb $SERVER_PID) / 1024)) sim_rss_mb=$(($(rss_kb $SIM_PID) / 1024))" | tee -a "$RESULTS"
  stop_pid "$SIM_PID"
  SIM_PID=
  stop_pid "$SERVER_PID"
  SERVER_PID=
done

median() { # field name
  grep -o " $1=[0-9.]*" "$RESULTS" | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
echo "median over $RUNS runs: nodes=$NODES pods=$PODS store_sync=$STORE_SYNC bound_per_s=$(median bound_per_s)" \
  "create_per_s=$(median create_per_s) p50_ms=$(median p50_ms) p99_ms=$(median p99_ms)" \
  "server_rss_mb=$(median server_rss_mb) sim_rss_mb=$(median sim_rss_mb) register_s=$(median register_s)"
