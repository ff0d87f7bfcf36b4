#!/bin/bash
# Service proxy benchmark. A `coracle server` with its node agent (and so its service proxy) runs in a
# network namespace of its own that plays the node; a backend namespace bridged to it stands for a pod.
#  1. Data path: wrk from the node through a ClusterIP vs straight to the pod IP, two backends:
#     - keep-alive: a small asyncio HTTP/1.1 server (one connection carries many requests: per-packet cost);
#     - new connection per request: busybox httpd (closes after each answer: conntrack + DNAT per connection).
#     Bounded runs (DURATION seconds each, RUNS alternating runs); medians of requests/s and p99, and ratios.
#  2. Convergence: an EndpointSlice of a selector-less Service goes from 1 to 50 ready endpoints (and back to
#     1), written with kubectl; reported is the time from kubectl's return until the kernel's chain holds
#     the new endpoint count (nft polled every 2 ms), median of CONV_RUNS.
# Knobs (environment): RUNS=3 DURATION=5 CONNS=16 CONV_RUNS=5 BUILD=build-bench, or CORACLE=/path/coracle;
# LOG_LEVEL (default debug: the proxy's per-sync lag is read from the server's debug log).
# Must run as root; everything it creates (namespaces, processes, temp dir) is removed at exit. All traffic
# stays inside those namespaces.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
RUNS=${RUNS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-16}
CONV_RUNS=${CONV_RUNS:-5}
PORT=6471
command -v wrk >/dev/null || { echo "bench-proxy: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

if [ -z "${IN_NETNS:-}" ]; then
  if [ -z "${CORACLE:-}" ]; then
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" "$ROOT" --buildtype=release -Dtests=false >/dev/null
    ninja -C "$BUILD" coracle >/dev/null
    CORACLE=$BUILD/coracle
  fi
  NETNS=cbp-node-$$
  POD=cbp-pod-$$
  ip netns add "$NETNS"
  ip netns add "$POD"
  trap 'ip netns del "$NETNS" 2>/dev/null || true; ip netns del "$POD" 2>/dev/null || true' EXIT
  nsenter --net=/run/netns/$NETNS env IN_NETNS=1 POD="$POD" LOG_LEVEL="${LOG_LEVEL:-debug}" CORACLE="$CORACLE" RUNS="$RUNS" \
    DURATION="$DURATION" CONNS="$CONNS" CONV_RUNS="$CONV_RUNS" bash "$0"
  exit $?
fi

DATA=$(mktemp -d /tmp/coracle-bench-proxy.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${SERVER_PID:-}" ] && { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
  "$CORACLE" killall --data-dir "$DATA/data" >/dev/null 2>&1 || true
  nft delete table ip coracle 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

# ---- topology: node bridge 10.42.0.1/24, the pod at 10.42.0.11 ----
ip link set lo up
ip link add cbp-br0 type bridge
ip addr add 10.42.0.1/24 dev cbp-br0
ip link set cbp-br0 up
ip link add cbp-v0 type veth peer name eth0 netns "$POD"
ip link set cbp-v0 master cbp-br0 up
ip -n "$POD" link set lo up
ip -n "$POD" addr add 10.42.0.11/24 dev eth0
ip -n "$POD" link set eth0 up
ip -n "$POD" route add default via 10.42.0.1
sysctl -qw net.ipv4.ip_forward=1
ip route add 10.43.0.0/16 dev cbp-br0 # the node's route to Service addresses (a real node has a default route)

cat >"$DATA/ka.py" <<'EOF'
import asyncio
BODY = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n"
async def handle(r, w):
    try:
        while True:
            req = await r.readuntil(b"\r\n\r\n")
            if not req:
                break
            w.write(BODY)
            await w.drain()
    except Exception:
        pass
    w.close()
async def main():
    s = await asyncio.start_server(handle, "0.0.0.0", 8080, backlog=512)
    await s.serve_forever()
asyncio.run(main())
EOF
mkdir -p "$DATA/www"
echo ok >"$DATA/www/index.html"
ip netns exec "$POD" /usr/bin/python3 "$DATA/ka.py" &
PIDS+=($!)
ip netns exec "$POD" busybox httpd -f -p 8081 -h "$DATA/www" &
PIDS+=($!)

# ---- the server ----
"$CORACLE" server --data-dir "$DATA/data" --write-kubeconfig "$DATA/kubeconfig" --https-listen-port $PORT \
  --bind-address 127.0.0.1 --node-name bench-node --node-ip 10.42.0.1 --cluster-cidr 10.42.0.0/16 \
  --pod-log-dir "$DATA/logs" -v "${LOG_LEVEL:-debug}" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
K() { kubectl --kubeconfig "$DATA/kubeconfig" "$@"; }
for _ in $(seq 300); do
  [ -f "$DATA/kubeconfig" ] && K get --raw /readyz >/dev/null 2>&1 && nft list table ip coracle >/dev/null 2>&1 && break
  sleep 0.1
done

slice() { # slice NAME N: an EndpointSlice with N ready endpoints (the first is the real pod)
  python3 - "$1" "$2" <<'EOF'
import json, sys
name, n = sys.argv[1], int(sys.argv[2])
eps = [{"addresses": ["10.42.0.11" if i == 0 else "10.42.%d.%d" % (1 + i // 200, 1 + i % 200)],
        "conditions": {"ready": True}, "nodeName": "bench-node"} for i in range(n)]
print(json.dumps({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": {"name": name + "-1", "namespace": "default",
                               "labels": {"kubernetes.io/service-name": name}},
                  "addressType": "IPv4", "endpoints": eps,
                  "ports": [{"name": "ka", "port": 8080, "protocol": "TCP"},
                            {"name": "nc", "port": 8081, "protocol": "TCP"}][:1 if name == "conv" else 2]}))
EOF
}
svc() {
  cat <<EOF
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "$1", "namespace": "default"},
 "spec": {"ports": [{"name": "ka", "port": 80, "targetPort": 8080}, {"name": "nc", "port": 81, "targetPort": 8081}]}}
EOF
}
svc bench | K apply -f - >/dev/null
slice bench 1 | K apply -f - >/dev/null
CIP=$(K get svc bench -o jsonpath='{.spec.clusterIP}')
for _ in $(seq 100); do curl -s --max-time 1 "http://$CIP/" >/dev/null && break; sleep 0.1; done
curl -s --max-time 2 "http://$CIP:81/" >/dev/null || { echo "bench-proxy: ClusterIP does not answer" >&2; exit 1; }

# ---- 1. data path ----
run_wrk() { # URL → "req/s p99_ms"
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$1" 2>/dev/null | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
    END {printf "%.0f %.3f\n", rps, p99}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for mode in ka:80:8080 nc:81:8081; do
  IFS=: read -r name sport pport <<<"$mode"
  : >"$DATA/direct" && : >"$DATA/svc"
  for _ in $(seq "$RUNS"); do
    run_wrk "http://10.42.0.11:$pport/" >>"$DATA/direct"
    run_wrk "http://$CIP:$sport/" >>"$DATA/svc"
  done
  d_rps=$(cut -d' ' -f1 "$DATA/direct" | median) && d_p99=$(cut -d' ' -f2 "$DATA/direct" | median)
  s_rps=$(cut -d' ' -f1 "$DATA/svc" | median) && s_p99=$(cut -d' ' -f2 "$DATA/svc" | median)
  label=$([ "$name" = ka ] && echo "keep-alive" || echo "new connection per request")
  printf '%-28s pod IP: %8.0f req/s p99 %7.3f ms | ClusterIP: %8.0f req/s p99 %7.3f ms | ratio %.3f\n' \
    "$label" "$d_rps" "$d_p99" "$s_rps" "$s_p99" "$(echo "$s_rps / $d_rps" | bc -l)"
done

# ---- 2. convergence ----
svc conv | K apply -f - >/dev/null
slice conv 1 | K apply -f - >/dev/null
CHAIN=
wait_mod() { # N: until the conv Service's chain picks among N endpoints (one chain listed: a cheap poll)
  local deadline=$((SECONDS + 10))
  while ! nft list chain ip coracle "$CHAIN" 2>/dev/null | grep -q "numgen random mod $1 "; do
    [ $SECONDS -lt $deadline ] || { echo "bench-proxy: no convergence to $1" >&2; exit 1; }
    sleep 0.002
  done
}
for _ in $(seq 100); do
  CHAIN=$(nft list table ip coracle | grep -o 'chain svc-[0-9A-F]*-default/conv/tcp/ka' | cut -d' ' -f2) && [ -n "$CHAIN" ] && break
  sleep 0.05
done
wait_mod 1
: >"$DATA/up" && : >"$DATA/down"
slice conv 50 >"$DATA/s50.json"
slice conv 1 >"$DATA/s1.json"
for _ in $(seq "$CONV_RUNS"); do
  t0=$(date +%s%N)
  K apply -f "$DATA/s50.json" >/dev/null
  wait_mod 50
  echo $((($(date +%s%N) - t0) / 1000000)) >>"$DATA/up"
  t0=$(date +%s%N)
  K apply -f "$DATA/s1.json" >/dev/null
  wait_mod 1
  echo $((($(date +%s%N) - t0) / 1000000)) >>"$DATA/down"
done
# The proxy's own view (debug log): from the informer delivering the change to the transaction committed.
# The table also holds other Services' endpoints: a sync to >= 50 is a scale-up, the one after it the way back.
lags() { grep 'msg="rules applied"' "$DATA/server.log" | sed 's/.*endpoints=\([0-9]*\).*lag_usec=\([0-9]*\).*/\1 \2/' |
  awk -v want="$1" '{up = $1 >= 50} want == "up" && up {printf "%.1f\n", $2 / 1000}
                    want == "down" && prev_up && !up {printf "%.1f\n", $2 / 1000} {prev_up = up}' | tail -n "$CONV_RUNS"; }
printf 'convergence 1 -> 50 endpoints: proxy (event -> kernel) median %s ms (runs: %s); 50 -> 1: %s ms\n' \
  "$(lags up | median)" "$(lags up | tr '\n' ' ')" "$(lags down | median)"
printf '  end to end, kubectl apply started -> nft shows it (kubectl and polling included): 1 -> 50 median %s ms, 50 -> 1 median %s ms\n' \
  "$(median <"$DATA/up")" "$(median <"$DATA/down")"
grep -q "rules not applied" "$DATA/server.log" && { echo "bench-proxy: the proxy reported failures" >&2; exit 1; }
exit 0
