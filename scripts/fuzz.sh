#!/bin/sh
# Builds every libFuzzer target under tests/fuzz with clang (ASan+UBSan) and runs each for a bounded time.
# Not part of `make test`: run by hand, e.g. `scripts/fuzz.sh 60` for 60 s per target.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-30}
[ $# -gt 0 ] && shift
out=${FUZZ_OUT:-build-fuzz}
mkdir -p "$out"
CFLAGS="-std=gnu17 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc"
base="src/base/error.c src/base/log.c src/base/buf.c src/base/util.c src/base/strv.c src/base/base64.c"
sources_for() {
  case "$1" in
  fuzz-selector) echo "src/api/selector.c src/api/jsonutil.c src/api/jsonfast.c" ;;
  fuzz-patch) echo "src/api/patch.c src/api/patch-meta.c src/api/jsonutil.c src/api/jsonfast.c" ;;
  fuzz-protobuf) echo "src/api/protobuf*.c $(ls src/api/schema*.c | grep -v openapi) src/api/quantity.c src/api/jsonutil.c src/api/jsonfast.c" ;;
  fuzz-decode) echo "src/api/jsonutil.c src/api/jsonfast.c" ;;
  fuzz-jsonfast) echo "src/api/jsonfast.c" ;;
  fuzz-pipeline) echo "$(ls src/api/*.c | grep -v openapi) src/base/cidr.c" ;; # OpenAPI needs config.h
  fuzz-quantity) echo "src/api/quantity.c" ;;
  fuzz-image-ref) echo "src/agent/images/*.c src/client/httpc*.c src/api/jsonutil.c src/api/jsonfast.c" ;;
  fuzz-http) echo "src/client/httpc-parse.c" ;;
  *) echo "" ;;
  esac
}
targets=${*:-$(ls tests/fuzz/*.c | xargs -n1 basename | sed 's/\.c$//')}
for t in $targets; do
  # shellcheck disable=SC2046
  clang $CFLAGS $base $(ls $(sources_for "$t") 2>/dev/null) "tests/fuzz/$t.c" -ljansson -lyaml -lpthread \
    $(pkg-config --libs libarchive gnutls 2>/dev/null || true) -o "$out/$t"
  mkdir -p "$out/corpus-$t"
  # Seed corpora checked in under tests/fuzz/corpus-<target> (e.g. the seed manifests) are read, not written.
  seeds=""
  [ -d "tests/fuzz/corpus-$t" ] && seeds="tests/fuzz/corpus-$t"
  dict=""
  [ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
  echo "== $t ($secs s)"
  "$out/$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -artifact_prefix="$out/" $dict "$out/corpus-$t" $seeds 2>&1 | tail -3
done
