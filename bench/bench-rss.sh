#!/bin/bash
# Idle RSS of `coracle server`: starts it RUNS times per configuration in a network namespace of its own
# (loopback up), samples /proc/PID/status WAIT seconds after the start and prints VmRSS, RssAnon, RssFile and
# the thread count of each run and their medians. DETAIL=1 also prints, for the last run of each
# configuration, where the resident memory is (smaps grouped into heap, thread stacks, other anonymous
# mappings and each shared library) and how many malloc arenas exist.
# Usage (root): bench/bench-rss.sh [CORACLE]   Knobs: RUNS=3 WAIT=8 CONFIGS="full noagent apionly" DETAIL=0
#   full     = coracle server (API server, scheduler, controllers, agent, proxy, DNS)
#   noagent  = --disable-agent --disable-kube-proxy
#   apionly  = --disable-agent --disable-kube-proxy --disable-scheduler (API server + controller manager)
# Everything it creates (netns, server, agent state, temp dir) is removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORACLE=${1:-${CORACLE:-$ROOT/build/coracle}}
RUNS=${RUNS:-3}
WAIT=${WAIT:-8}
CONFIGS=${CONFIGS:-full noagent apionly}
DETAIL=${DETAIL:-0}
NETNS=coracle-rss-$$
DATA=$(mktemp -d /tmp/coracle-rss.XXXXXX)
PID=

stop() {
  [ -n "$PID" ] || return 0
  kill "$PID" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=
}
cleanup() {
  stop
  [ -d "$DATA/data" ] && "$CORACLE" killall --data-dir "$DATA/data" >/dev/null 2>&1 || true
  ip netns del "$NETNS" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up

# Where the resident pages are: smaps entries grouped by what they map.
detail() {
  local pid=$1
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6) ? $6 : ""; sub(".*/", "", name); next }
    /^Size:/ { size = $2 }
    /^Rss:/ {
      k = name
      if (k == "" && size >= 8000 && size <= 8200) k = "[anon ~8 MiB: thread stack or arena]"
      else if (k == "" && size >= 500 && size <= 530) k = "[anon ~512 KiB: thread stack]"
      else if (k == "" && size >= 60000) k = "[anon >= 60 MiB: malloc arena heap]"
      else if (k == "") k = "[anon other]"
      rss[k] += $2; n[k]++
    }
    END { for (k in rss) if (rss[k] > 0) printf "  %7d kB  %4d maps  %s\n", rss[k], n[k], k }
  ' "/proc/$pid/smaps" | sort -rn | head -40
  echo "  threads by name:"
  for t in /proc/"$pid"/task/*; do cat "$t/comm"; done | sed 's/[0-9]*$//' | sort | uniq -c | sort -rn | sed 's/^/    /'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for cfg in $CONFIGS; do
  case $cfg in
  full) args=() ;;
  noagent) args=(--disable-agent --disable-kube-proxy) ;;
  apionly) args=(--disable-agent --disable-kube-proxy --disable-scheduler) ;;
  *) echo "unknown configuration $cfg" >&2; exit 2 ;;
  esac
  : >"$DATA/runs"
  for r in $(seq "$RUNS"); do
    rm -rf "$DATA/data"
    nsenter --net=/run/netns/"$NETNS" "$CORACLE" server --data-dir "$DATA/data" --write-kubeconfig "$DATA/kc" \
      --bind-address 127.0.0.1 --node-name rss-node "${args[@]}" >"$DATA/log" 2>&1 &
    PID=$!
    sleep "$WAIT"
    if ! kill -0 "$PID" 2>/dev/null; then
      echo "server exited; log:" >&2; tail -20 "$DATA/log" >&2; exit 1
    fi
    rss=$(awk '/^VmRSS/ {print $2}' /proc/$PID/status)
    anon=$(awk '/^RssAnon/ {print $2}' /proc/$PID/status)
    file=$(awk '/^RssFile/ {print $2}' /proc/$PID/status)
    thr=$(awk '/^Threads/ {print $2}' /proc/$PID/status)
    echo "$rss $anon $file $thr" >>"$DATA/runs"
    printf '%-8s run %d: VmRSS %6d kB  RssAnon %6d kB  RssFile %6d kB  threads %3d\n' "$cfg" "$r" "$rss" "$anon" "$file" "$thr"
    [ "$DETAIL" = 1 ] && [ "$r" = "$RUNS" ] && detail "$PID"
    stop
    "$CORACLE" killall --data-dir "$DATA/data" >/dev/null 2>&1 || true
  done
  printf '%-8s median: VmRSS %.1f MB  RssAnon %.1f MB  RssFile %.1f MB  threads %d   (load: %s)\n' "$cfg" \
    "$(cut -d' ' -f1 "$DATA/runs" | median | awk '{print $1/1000}')" \
    "$(cut -d' ' -f2 "$DATA/runs" | median | awk '{print $1/1000}')" \
    "$(cut -d' ' -f3 "$DATA/runs" | median | awk '{print $1/1000}')" \
    "$(cut -d' ' -f4 "$DATA/runs" | median)" "$(cut -d' ' -f1-3 /proc/loadavg)"
done
