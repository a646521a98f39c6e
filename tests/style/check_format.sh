#!/usr/bin/env bash
# tests/style/check_format.sh: every C file is formatted as .clang-format says
# (clang-format 14, Debian 12). Checks, never rewrites.
set -u
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 2
command -v clang-format >/dev/null || { echo "check_format: clang-format missing"; exit 2; }
bad=0
n=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f (run: clang-format -i $f)"
        bad=$((bad + 1))
    fi
done < <(find common dispatcher fieldagent firmware bench tests -name build -prune -o \
    \( -name '*.c' -o -name '*.h' \) -type f -print0 2>/dev/null)
echo "check_format: $((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]
