#!/bin/sh
# Fails when clang-format (with the checked-in .clang-format) would change any C file.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || true)
[ -n "$files" ] || files=$(find src tests bench -name '*.[ch]')
bad=""
for f in $files; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad="$bad $f"
  fi
done
if [ -n "$bad" ]; then
  echo "clang-format would change:$bad" >&2
  echo "run: clang-format -i$bad" >&2
  exit 1
fi
echo "format-check: ok"
