#!/bin/sh
# Image service benchmark, in a network namespace of its own with Debian's docker-registry on 127.0.0.1:
#   1. pull time of a ~50 MB, 5-layer image: `coracle images pull` (download, verify, unpack) against
#      `skopeo copy docker://… oci:DIR` (download and verify, no unpacking), median of N runs each;
#   2. start from cache: pulling again by digest (no registry request) and by tag (one manifest request);
#   3. disk used by two images that share a ~24 MB base layer, against the two stored apart.
# Usage: bench/bench-images.sh [RUNS]   (CORACLE_BIN defaults to build/coracle; use an optimised build)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
if [ "${BENCH_IN_NETNS:-}" != 1 ]; then
  exec unshare -n env BENCH_IN_NETNS=1 sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
BIN=$(realpath "${CORACLE_BIN:-build/coracle}")
for tool in docker-registry skopeo python3 zstd; do
  command -v $tool >/dev/null || { echo "bench-images: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
W=$(mktemp -d /tmp/coracle-bench-images-XXXXXX)
REG_PID=
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT INT TERM

# The registry, and the images built and pushed with the e2e helpers.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/config.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/registry}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$PORT}
EOF
docker-registry serve "$W/config.yml" >"$W/registry.log" 2>&1 &
REG_PID=$!
python3 - "$PORT" <<'EOF'
import random, sys
sys.path.insert(0, "tests/e2e")
import imagetools as it
port = int(sys.argv[1])
it.wait_port(port)
c = it.RegistryClient("http://127.0.0.1:%d" % port)
rnd = random.Random(42)
def blob(n, compressible):
    # Half-compressible data, like binaries and libraries: random bytes interleaved with runs.
    out = bytearray()
    while len(out) < n:
        out += rnd.randbytes(4096) if rnd.random() > compressible else bytes([rnd.randrange(4)]) * 4096
    return bytes(out[:n])
base = it.Layer(it.tar_entries(it.busybox_entries(
    [("usr", "d", None, 0), ("usr/lib", "d", None, 0)] +
    [("usr/lib/lib%02d.so" % i, "f", blob(1 << 20, 0.1), 0o755) for i in range(22)])))
layers = [base] + [it.Layer(it.tar_entries([("opt%d" % k, "d", None, 0)] +
                                           [("opt%d/f%02d" % (k, i), "f", blob(512 << 10, 0.2), 0) for i in range(14)]),
                            "zstd" if k == 3 else "gzip") for k in range(4)]
big = it.Image(layers)
c.push_image("bench/big", "1", big)
small_a = it.Image([base, it.Layer(it.tar_entries([("a.txt", "f", "a" * 100, 0)]))])
small_b = it.Image([base, it.Layer(it.tar_entries([("b.txt", "f", "b" * 100, 0)]))])
c.push_image("bench/a", "1", small_a)
c.push_image("bench/b", "1", small_b)
print("image: %d layers, %.1f MB compressed, %.1f MB uncompressed; base layer %.1f MB" % (
    len(layers), sum(l.size for l in layers) / 1e6, sum(len(l.tar) for l in layers) / 1e6, base.size / 1e6))
EOF

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
now_ms() { date +%s%3N; }
REF=127.0.0.1:$PORT/bench/big:1
: >"$W/coracle.ms"
: >"$W/skopeo.ms"
for i in $(seq "$RUNS"); do
  rm -rf "$W/node" "$W/oci"
  t0=$(now_ms); "$BIN" images --data-dir "$W/node" --registries /dev/null pull "$REF" >/dev/null; t1=$(now_ms)
  echo $((t1 - t0)) >>"$W/coracle.ms"
  t0=$(now_ms); skopeo copy --quiet --src-tls-verify=false "docker://$REF" "oci:$W/oci:1" >/dev/null; t1=$(now_ms)
  echo $((t1 - t0)) >>"$W/skopeo.ms"
done
C=$(median <"$W/coracle.ms")
S=$(median <"$W/skopeo.ms")
echo "pull (median of $RUNS): coracle $C ms [$(tr '\n' ' ' <"$W/coracle.ms")], skopeo copy $S ms [$(tr '\n' ' ' <"$W/skopeo.ms")], ratio $(awk "BEGIN{printf \"%.2f\", $C/$S}")"

DIGEST=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["digest"])' \
  <<EOF
$("$BIN" images --data-dir "$W/node" --registries /dev/null ls -o json)
EOF
)
: >"$W/cache-digest.ms"
: >"$W/cache-tag.ms"
for i in $(seq "$RUNS"); do
  t0=$(now_ms); "$BIN" images --data-dir "$W/node" --registries /dev/null pull "127.0.0.1:$PORT/bench/big@$DIGEST" >/dev/null; t1=$(now_ms)
  echo $((t1 - t0)) >>"$W/cache-digest.ms"
  t0=$(now_ms); "$BIN" images --data-dir "$W/node" --registries /dev/null pull "$REF" >/dev/null; t1=$(now_ms)
  echo $((t1 - t0)) >>"$W/cache-tag.ms"
done
echo "from cache (median of $RUNS): by digest $(median <"$W/cache-digest.ms") ms, by tag $(median <"$W/cache-tag.ms") ms (whole command, process start included)"

rm -rf "$W/shared" "$W/apart-a" "$W/apart-b"
"$BIN" images --data-dir "$W/shared" --registries /dev/null pull "127.0.0.1:$PORT/bench/a:1" "127.0.0.1:$PORT/bench/b:1" >/dev/null
"$BIN" images --data-dir "$W/apart-a" --registries /dev/null pull "127.0.0.1:$PORT/bench/a:1" >/dev/null
"$BIN" images --data-dir "$W/apart-b" --registries /dev/null pull "127.0.0.1:$PORT/bench/b:1" >/dev/null
SH=$(du -sk "$W/shared/agent/images" | cut -f1)
A=$(du -sk "$W/apart-a/agent/images" | cut -f1)
B=$(du -sk "$W/apart-b/agent/images" | cut -f1)
echo "disk, two images sharing a base layer: together $((SH / 1024)) MiB, apart $(((A + B) / 1024)) MiB ($((A / 1024)) + $((B / 1024)))"
