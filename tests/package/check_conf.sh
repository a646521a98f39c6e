#!/usr/bin/env bash
# tests/package/check_conf.sh: a shipped default config (firmware/etc/*.conf)
# documents every setting of its program, and nothing else.
#
#   check_conf.sh CONF -- COMMAND...
#
# Uncomments every `#key = value` line of CONF, then runs
# COMMAND -c COPY --print-config: the program must accept the file (an
# unknown key or a bad value fails it) and every setting it prints must come
# from the file (a setting still at "# default" is missing from CONF).
set -uo pipefail
conf=$1
shift
[ "${1:-}" = -- ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$conf")
sed -E 's/^#([a-z0-9_.-]+ =( .*)?)$/\1/' "$conf" >"$tmp/$name"
if ! "$@" -c "$tmp/$name" --print-config >"$tmp/out" 2>"$tmp/err"; then
    echo "check_conf: $name: the program refused it:" >&2
    cat "$tmp/err" >&2
    exit 1
fi
total=$(grep -c ' = ' "$tmp/out")
from_file=$(grep -c "# file:$tmp/$name:" "$tmp/out")
if [ "$total" = 0 ] || [ "$total" != "$from_file" ]; then
    echo "check_conf: $name: documents $from_file of $total settings; missing:" >&2
    grep -v "# file:" "$tmp/out" >&2
    exit 1
fi
echo "check_conf: $name: all $total settings documented and accepted"
