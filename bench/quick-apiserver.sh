#!/bin/sh
# Quick API server figures (one run each, not medians): a release build in a network namespace of its own,
# driven by wrk (Debian package) with the admin bearer token. Usage: bench/quick-apiserver.sh (as root; SYNC=normal optional). Needs Debian's wrk.
set -eu
NS=cq-$$; D=$(mktemp -d /tmp/cq.XXXXXX); BIN=${CORACLE_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/coracle}
ip netns add $NS; ip -n $NS link set lo up
nsenter --net=/run/netns/$NS $BIN server --data-dir $D/data --write-kubeconfig $D/kc --bind-address 127.0.0.1 --disable-agent --disable-scheduler --store-sync ${SYNC:-full} >$D/log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; ip netns del $NS 2>/dev/null || true; rm -rf $D' EXIT
for i in $(seq 100); do [ -f $D/kc ] && break; sleep 0.1; done; sleep 1
echo "idle RSS kB: $(grep VmRSS /proc/$PID/status | awk '{print $2}')"
TOK=$(cat $D/data/server/tls/token); export TOK
cat > $D/create.lua <<'L'
counter = 0
request = function()
  counter = counter + 1
  local body = '{"metadata":{"name":"cm-' .. tostring(math.random(1,1000000000)) .. '-' .. counter .. '"},"data":{"a":"b"}}'
  return wrk.format("POST", "/api/v1/namespaces/default/configmaps", {["Content-Type"]="application/json", ["Authorization"]="Bearer " .. os.getenv("TOK")}, body)
end
L
echo "== create (8 conns, 5s)"; nsenter --net=/run/netns/$NS wrk -t2 -c8 -d5s --latency -H "Authorization: Bearer $TOK" -s $D/create.lua https://127.0.0.1:6443 | grep -E "Requests/sec|50%|99%|Non-2xx"
# top up to 10,000 configmaps
n=$(nsenter --net=/run/netns/$NS kubectl --kubeconfig $D/kc get cm -o name | wc -l); echo "configmaps: $n"
while [ "$n" -lt 10000 ]; do nsenter --net=/run/netns/$NS wrk -t2 -c16 -d2s -H "Authorization: Bearer $TOK" -s $D/create.lua https://127.0.0.1:6443 >/dev/null; n=$(nsenter --net=/run/netns/$NS kubectl --kubeconfig $D/kc get cm -o name | wc -l); done
echo "configmaps: $n; RSS kB: $(grep VmRSS /proc/$PID/status | awk '{print $2}')"
nsenter --net=/run/netns/$NS kubectl --kubeconfig $D/kc create cm target --from-literal=a=b >/dev/null
echo "== GET by name (16 conns, 5s)"; nsenter --net=/run/netns/$NS wrk -t2 -c16 -d5s --latency -H "Authorization: Bearer $TOK" https://127.0.0.1:6443/api/v1/namespaces/default/configmaps/target | grep -E "Requests/sec|50%|99%|Non-2xx"
echo "== LIST of $n configmaps (4 conns, 5s)"; nsenter --net=/run/netns/$NS wrk -t2 -c4 -d5s --latency -H "Authorization: Bearer $TOK" https://127.0.0.1:6443/api/v1/namespaces/default/configmaps | grep -E "Requests/sec|50%|99%|Non-2xx"
kill $PID; wait $PID 2>/dev/null || true
ip netns del $NS; rm -rf $D
