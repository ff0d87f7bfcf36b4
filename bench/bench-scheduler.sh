#!/bin/bash
# Scheduler benchmark (kubemark-style): a release `coracle server` (API server + in-process scheduler) and
# one `coracle sim-nodes` process with NODES simulated nodes, in a network namespace of their own (loopback
# only); the load generator (bench-scheduler-load.c, built in BUILD) creates PODS pods as fast as THREADS
# connections allow and reports scheduling throughput (pods bound/s) and create→bound p50/p99, and its own CPU
# (loader_cpu_s). Also reports the server's RSS (the control plane: API server + scheduler + controllers) and
# the simulator's, once everything is bound. Each run starts from a fresh data directory; the summary gives
# medians over RUNS runs. LOADER=py runs the Python load generator (bench-scheduler-load.py) instead: the same
# line, for several times the CPU, taken from the two cores the server has.
#
# PRECREATE=1: the server runs no scheduler; the pods are all created first, then `coracle scheduler` starts
# as a process of its own, and bound_per_s counts from its start (scheduling alone, as kube-scheduler's
# scheduler_perf measures it; sched_cpu_s is its CPU time).
# MODE=deployment instead POSTs one Deployment of REPLICAS replicas (bench-deployment-load.py) and reports
# the seconds until its pods were all created, bound, Running, and until status.availableReplicas == REPLICAS.
#
# Knobs (environment): RUNS=3 NODES=1000 PODS=10000 THREADS=16 STORE_SYNC=full MODE=pods REPLICAS=1000
# SIM_WORKERS=4 (sim-nodes' status writers) LOADER=c|py BUILD=build-bench, or CORACLE=/path/coracle (the C
# loader is still built, in BUILD); PERF=DIR records
# `perf record` (PERF_ARGS, default -g) of the server during each load into DIR/perf-runN.data; SCHED_WRAP
# prefixes the PRECREATE scheduler's command line (e.g. "perf record -g -o F --"). Must run as root.
# Everything it creates (netns, processes, temp dir) is removed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
RUNS=${RUNS:-3}
NODES=${NODES:-1000}
PODS=${PODS:-10000}
THREADS=${THREADS:-16}
STORE_SYNC=${STORE_SYNC:-full}
MODE=${MODE:-pods}
REPLICAS=${REPLICAS:-1000}
PERF=${PERF:-}
PRECREATE=${PRECREATE:-}
SIM_WORKERS=${SIM_WORKERS:-4}
LOADER=${LOADER:-c}
PORT=6443

if [ -z "${IN_NETNS:-}" ]; then
  case $LOADER in
  c | py) ;;
  *) echo "LOADER must be c or py" >&2; exit 1 ;;
  esac
  targets=()
  [ -n "${CORACLE:-}" ] || targets+=(coracle)
  [ "$LOADER" = py ] || [ "$MODE" = deployment ] || targets+=(bench/bench-scheduler-load)
  if [ ${#targets[@]} -gt 0 ]; then
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" --buildtype=release -Dtests=false >/dev/null
    ninja -C "$BUILD" "${targets[@]}" >/dev/null
  fi
  CORACLE=${CORACLE:-$BUILD/coracle}
  NETNS=coracle-bench-sched-$$
  ip netns add "$NETNS"
  trap 'ip netns del "$NETNS" 2>/dev/null || true' EXIT
  nsenter --net=/run/netns/$NETNS ip link set lo up
  nsenter --net=/run/netns/$NETNS env IN_NETNS=1 CORACLE="$CORACLE" RUNS="$RUNS" NODES="$NODES" PODS="$PODS" \
    THREADS="$THREADS" STORE_SYNC="$STORE_SYNC" MODE="$MODE" REPLICAS="$REPLICAS" PERF="$PERF" PRECREATE="$PRECREATE" PERF_ARGS="${PERF_ARGS:-}" SCHED_WRAP="${SCHED_WRAP:-}" SIM_WORKERS="$SIM_WORKERS" \
    LOADER="$LOADER" BUILD="$BUILD" bash "$0"
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
# CPU seconds (user + system) a process has used: a figure the other work on a shared machine moves less
# than wall-clock throughput.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
# Bytes a process has caused to be written to storage (its store's WAL and database), in MB.
write_mb() { awk '/^write_bytes/ {printf "%.1f", $2 / 1048576}' "/proc/$1/io"; }

RESULTS=$DATA/results.txt
: >"$RESULTS"
for run in $(seq "$RUNS"); do
  D=$DATA/run$run
  mkdir -p "$D"
  "$CORACLE" server --data-dir "$D/data" --write-kubeconfig "$D/kubeconfig" --https-listen-port $PORT \
    --bind-address 127.0.0.1 --disable-agent --store-sync "$STORE_SYNC" ${PRECREATE:+--disable-scheduler} -v warn >"$D/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    [ -f "$D/kubeconfig" ] && curl -sk "https://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  t0=$(date +%s.%N)
  "$CORACLE" sim-nodes --data-dir "$D/data" --server "https://127.0.0.1:$PORT" --count "$NODES" \
    --cpu 32 --memory 256Gi --pods 110 --workers "$SIM_WORKERS" -v warn >"$D/sim.out" 2>"$D/sim.log" &
  SIM_PID=$!
  for _ in $(seq 1200); do
    grep -q '^ready' "$D/sim.out" 2>/dev/null && break
    sleep 0.1
  done
  reg=$(echo "$(date +%s.%N) - $t0" | bc)
  sleep 2 # the scheduler's node informer catches up
  cpu0_server=$(cpu_s $SERVER_PID)
  cpu0_sim=$(cpu_s $SIM_PID)
  w0_server=$(write_mb $SERVER_PID)
  PERF_PID=
  if [ -n "$PERF" ]; then
    perf record -q ${PERF_ARGS:--g} -p "$SERVER_PID" -o "$PERF/perf-run$run.data" 2>/dev/null &
    PERF_PID=$!
  fi
  CA=$D/data/server/tls/server-ca.crt
  TOKEN=$D/data/server/tls/token
  if [ "$MODE" = deployment ]; then
    line=$(python3 "$ROOT/bench/bench-deployment-load.py" "https://127.0.0.1:$PORT" "$CA" "$TOKEN" "$REPLICAS")
  else
    if [ "$LOADER" = py ]; then
      load=(python3 "$ROOT/bench/bench-scheduler-load.py")
    else
      load=("$BUILD/bench/bench-scheduler-load")
    fi
    line=$("${load[@]}" "https://127.0.0.1:$PORT" "$CA" "$TOKEN" "$PODS" "$THREADS" \
      ${PRECREATE:+${SCHED_WRAP:-} "$CORACLE" scheduler --data-dir "$D/data" --server "https://127.0.0.1:$PORT" -v warn})
  fi
  [ -z "$PERF_PID" ] || { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; }
  sleep 1
  cpu_server=$(echo "$(cpu_s $SERVER_PID) - $cpu0_server" | bc)
  cpu_sim=$(echo "$(cpu_s $SIM_PID) - $cpu0_sim" | bc)
  w_server=$(echo "$(write_mb $SERVER_PID) - $w0_server" | bc)
  echo "run=$run nodes=$NODES load=$(cut -d' ' -f1 /proc/loadavg) register_s=$(printf %.1f "$reg") $line server_rss_mb=$(($(rss_kb $SERVER_PID) / 1024)) sim_rss_mb=$(($(rss_kb $SIM_PID) / 1024)) server_cpu_s=$cpu_server server_write_mb=$w_server sim_cpu_s=$cpu_sim" | tee -a "$RESULTS"
  stop_pid "$SIM_PID"
  SIM_PID=
  stop_pid "$SERVER_PID"
  SERVER_PID=
done

median() { # field name
  grep -o " $1=[0-9.]*" "$RESULTS" | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
if [ "$MODE" = deployment ]; then
  echo "median over $RUNS runs: nodes=$NODES replicas=$REPLICAS store_sync=$STORE_SYNC" \
    "created_s=$(median created_s) bound_s=$(median bound_s) running_s=$(median running_s)" \
    "available_s=$(median available_s) server_rss_mb=$(median server_rss_mb) sim_rss_mb=$(median sim_rss_mb)" \
    "server_cpu_s=$(median server_cpu_s) server_write_mb=$(median server_write_mb) sim_cpu_s=$(median sim_cpu_s) load=$(median load)"
  exit 0
fi
echo "median over $RUNS runs: nodes=$NODES pods=$PODS store_sync=$STORE_SYNC precreate=${PRECREATE:-0} bound_per_s=$(median bound_per_s)" \
  "create_per_s=$(median create_per_s) p50_ms=$(median p50_ms) p99_ms=$(median p99_ms)" \
  "server_rss_mb=$(median server_rss_mb) sim_rss_mb=$(median sim_rss_mb) register_s=$(median register_s)" \
  "server_cpu_s=$(median server_cpu_s) server_write_mb=$(median server_write_mb) sim_cpu_s=$(median sim_cpu_s) sched_cpu_s=$(median sched_cpu_s)" \
  "loader_cpu_s=$(median loader_cpu_s) load=$(median load)"
