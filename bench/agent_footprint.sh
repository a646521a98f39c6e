#!/usr/bin/env bash
# bench/agent_footprint.sh: what truckroll-agent costs on a device, as one JSON
# object on stdout (SPEC.md "Figures": stripped armhf binary <= 150 KB,
# resident private memory <= 2 MB, CPU per GPS fix in instructions).
#
#   bench/agent_footprint.sh [--build-root DIR] [--agent EXE] [--armhf EXE]
#                            [--aarch64 EXE] [--seconds N] [-o FILE]
#
# Keys:
#   agent_instr_per_fix   instructions per processed fix (valgrind callgrind,
#       x86-64, every thread: GPS replay, reporting policy, arrival, SQLite
#       outbox, encoding and publishing to a private mosquitto): the agent
#       replays a 1 Hz track of N1 and of N2 fixes with
#       --gps.exit_after_replay, and the figure is the difference of the two
#       totals over N2 - N1, so start-up and shutdown cancel out; reading the
#       GPX file (the test source, not gpsd) is left out.
#   agent_instr_per_fix_on_fix  the same runs, only inside agent_on_fix
#       (policy, arrival, outbox put; not the publishing), per fix
#   agent_rss_private_kb  Private_Clean + Private_Dirty from
#       /proc/PID/smaps_rollup of the native agent running for N seconds
#       (default 8) against the private broker, replaying at 60x; the highest
#       sample. Private_Clean counts the pages of shared libraries (libcrypto,
#       libsqlite3, ...) that no other running process maps at that moment, so
#       it varies with what else runs; see also:
#   agent_rss_private_dirty_kb  Private_Dirty alone (heap, stacks, data,
#       relocations): private whatever else runs
#   agent_armhf_bytes, agent_aarch64_bytes  the cross-built agent (presets
#       armhf / aarch64, MinSizeRel) after the cross strip; null when not built
#   agent_footprint_notes  what was missing
# Native agent: --agent, else BUILD_ROOT/release, else BUILD_ROOT/dev.
# -o FILE merges the keys into FILE (a JSON object). Needs mosquitto,
# valgrind, /usr/bin/python3 and the cross binutils.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh disable=SC1091
. scripts/lib.sh

root=build
agent=
armhf=
aarch64=
secs=8
outfile=
n1=300
n2=1800
while [ "$#" -gt 0 ]; do
    case "$1" in
    --build-root) root=$2; shift 2 ;;
    --agent) agent=$2; shift 2 ;;
    --armhf) armhf=$2; shift 2 ;;
    --aarch64) aarch64=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    -o) outfile=$2; shift 2 ;;
    -h | --help) sed -n "2,32p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "agent_footprint: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
[ -n "$agent" ] || for d in release dev; do
    if [ -x "$root/$d/fieldagent/truckroll-agent" ]; then
        agent=$root/$d/fieldagent/truckroll-agent
        break
    fi
done
[ -n "$armhf" ] || armhf=$root/armhf/fieldagent/truckroll-agent
[ -n "$aarch64" ] || aarch64=$root/aarch64/fieldagent/truckroll-agent

work=$(mktemp -d)
: >"$work/notes"
note() { printf '%s\n' "$*" >>"$work/notes"; }
TR_BROKER_PID=
AGENT_PID=
cleanup() {
    tr_stop_pid "$AGENT_PID"
    tr_stop_pid "$TR_BROKER_PID"
    rm -rf "$work"
}
trap cleanup EXIT

stripped() { # PREFIX EXE -> bytes of a stripped copy, or null
    if [ ! -x "$2" ]; then
        note "$2 not built"
        echo null
        return
    fi
    if cp "$2" "$work/s.bin" && "$1-strip" "$work/s.bin" 2>/dev/null; then
        stat -c %s "$work/s.bin"
    else
        note "$1-strip failed on $2"
        echo null
    fi
}
armhf_bytes=$(stripped arm-linux-gnueabihf "$armhf")
aarch64_bytes=$(stripped aarch64-linux-gnu "$aarch64")

# A deterministic 1 Hz drive: turns, stops, speed changes (like data/tracks).
track() { # N PATH
    /usr/bin/python3 - "$1" "$2" <<'PY'
import math, random, sys, datetime
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(7)
lat, lon, hdg, v = 30.2672, -97.7431, 90.0, 10.0
t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
with open(path, "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
            'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>\n')
    for i in range(n):
        if i % 120 < 10:
            v = 0.0                              # a stop
        else:
            v = min(25.0, max(3.0, v + rnd.uniform(-1.5, 1.5)))
        if rnd.random() < 0.03:
            hdg = (hdg + rnd.choice((-90, 90))) % 360   # a turn
        hdg = (hdg + rnd.uniform(-3, 3)) % 360
        lat += v * math.cos(math.radians(hdg)) / 111320.0
        lon += v * math.sin(math.radians(hdg)) / (111320.0 * math.cos(math.radians(lat)))
        t = (t0 + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><time>{t}</time>'
                f'<speed>{v:.2f}</speed><course>{hdg:.1f}</course></trkpt>\n')
    f.write("</trkseg></trk></gpx>\n")
PY
}

rss=null
rss_dirty=null
ipf=null
ipf_on=null
if [ -z "$agent" ] || [ ! -x "$agent" ]; then
    note "no native truckroll-agent (build the release or dev preset, or pass --agent)"
elif ! tr_broker_start "$work/broker" schemas/mosquitto.acl.example \
    "fp-agent:fp-agent-password-0123456789" >"$work/broker.log" 2>&1; then
    note "the private broker did not start"
else
    printf 'fp-agent-password-0123456789\n' >"$work/pw"
    : >"$work/empty.conf"
    common=(-c "$work/empty.conf" --agent.id=fp-agent --broker.port="$TR_BROKER_PORT"
        --broker.password_file="$work/pw" --log.level=warn)
    track "$n2" "$work/long.gpx"
    track "$n1" "$work/short.gpx"
    track 120 "$work/loop.gpx" # small: the replayed track itself lives in memory

    # resident private memory of a running agent. A freshly linked binary's
    # pages are still dirty in the page cache until written back, and would
    # count as Private_Dirty: write them back first.
    sync "$agent" 2>/dev/null || sync
    "$agent" "${common[@]}" --gps.replay="$work/loop.gpx" --gps.replay_speed=60 \
        --gps.replay_loop=true --store.path="$work/rss.db" \
        --control.socket="$work/rss.sock" 2>"$work/rss.log" &
    AGENT_PID=$!
    best=0
    best_dirty=0
    for _ in $(seq $((secs * 4))); do
        sleep 0.25
        kill -0 "$AGENT_PID" 2>/dev/null || break
        read -r kb dirty < <(awk '/^Private_(Clean|Dirty):/ { s += $2 }
            /^Private_Dirty:/ { d += $2 } END { print s + 0, d + 0 }' \
            "/proc/$AGENT_PID/smaps_rollup" 2>/dev/null)
        [ -n "$kb" ] && [ "$kb" -gt "$best" ] && best=$kb
        [ -n "$dirty" ] && [ "$dirty" -gt "$best_dirty" ] && best_dirty=$dirty
    done
    if kill -0 "$AGENT_PID" 2>/dev/null && [ "$best" -gt 0 ]; then
        rss=$best
        rss_dirty=$best_dirty
    else
        note "the agent did not keep running (see its log)"
        cat "$work/rss.log" >&2
    fi
    tr_stop_pid "$AGENT_PID"
    AGENT_PID=

    # instructions per fix: two replays, the difference
    if ! command -v valgrind >/dev/null; then
        note "valgrind is not installed"
    else
        for n in short long; do
            # reading the GPX file is the test source's cost, not the agent's:
            # collection is off while tr_gpx_load_file runs (this order of the
            # two options: --collect-atstart after --toggle-collect)
            timeout --kill-after=10 300 valgrind --tool=callgrind \
                --toggle-collect=tr_gpx_load_file --collect-atstart=yes \
                --callgrind-out-file="$work/cg.$n" "$agent" "${common[@]}" \
                --gps.replay="$work/$n.gpx" --gps.replay_speed=1000 \
                --gps.exit_after_replay=true --store.path="$work/cg-$n.db" \
                --control.socket="$work/cg-$n.sock" >"$work/cg-$n.log" 2>&1 ||
                note "callgrind run $n failed"
        done
        read -r ipf ipf_on < <(/usr/bin/python3 - "$work/cg.short" "$work/cg.long" "$n1" "$n2" <<'PY'
import re, sys
def load(p):
    try:
        txt = open(p).read()
    except OSError:
        return None, None
    tot = re.search(r"^(?:totals|summary):\s+(\d+)", txt, re.M)
    # inclusive cost of agent_on_fix: the calls lines under cfn=agent_on_fix
    fid = re.search(r"^c?fn=\((\d+)\) agent_on_fix$", txt, re.M)
    incl = 0
    if fid:
        pat = r"^cfn=\(" + fid.group(1) + r"\)(?: agent_on_fix)?\ncalls=\d+[^\n]*\n\S+ (\d+)"
        incl = sum(int(m.group(1)) for m in re.finditer(pat, txt, re.M))
    return (int(tot.group(1)) if tot else None), incl
a, ai = load(sys.argv[1])
b, bi = load(sys.argv[2])
n1, n2 = int(sys.argv[3]), int(sys.argv[4])
per = round((b - a) / (n2 - n1)) if a and b and b > a else "null"
per_on = round((bi - ai) / (n2 - n1)) if ai and bi and bi > ai else "null"
print(per, per_on)
PY
        )
        [ "$ipf" = null ] && note "callgrind gave no totals (see the callgrind logs)"
    fi
fi

/usr/bin/python3 - "$outfile" "$work/notes" <<PY
import json, sys
r = {
    "agent_instr_per_fix": json.loads("$ipf"),
    "agent_instr_per_fix_on_fix": json.loads("$ipf_on"),
    "agent_rss_private_kb": json.loads("$rss"),
    "agent_rss_private_dirty_kb": json.loads("$rss_dirty"),
    "agent_armhf_bytes": json.loads("$armhf_bytes"),
    "agent_aarch64_bytes": json.loads("$aarch64_bytes"),
    "agent_footprint_notes": [l for l in open(sys.argv[2]).read().splitlines() if l],
}
print(json.dumps(r, indent=2))
if sys.argv[1]:
    try:
        old = json.load(open(sys.argv[1]))
    except (OSError, ValueError):
        old = {}
    old.update(r)
    json.dump(old, open(sys.argv[1], "w"), indent=2)
PY
