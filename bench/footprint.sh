#!/usr/bin/env bash
# bench/footprint.sh: the field agent's footprint on the device (SPEC: stripped
# armhf binary <= 150 KB, resident private memory <= 2 MB), as JSON on stdout.
#
#   bench/footprint.sh [--build-root DIR] [--seconds N] [-o FILE]
#
# Keys:
#   agent_armhf_bytes, agent_aarch64_bytes   size of the agent from
#       BUILD_ROOT/armhf and BUILD_ROOT/aarch64 (default build/: the cross
#       presets, MinSizeRel) after `strip` as CPack does; null when not built
#   agent_armhf_rss_private_kb   Private_Clean + Private_Dirty of the armhf
#       agent's own (guest) mappings inside the qemu-arm process, running for N
#       seconds (default 8) against a private mosquitto on loopback, replaying
#       a GPX track at 60x through the policy and the SQLite outbox; highest
#       of the samples. A 32-bit guest lives in the low 4 GiB of qemu-arm;
#       qemu's own memory (code, heap, translated-code cache) lies above and
#       is left out. Still emulated: the guest's libraries count as private
#       (no other armhf process shares them), so a device shows less.
#   agent_armhf_rss_emulated     true (measured under qemu-user)
#   agent_armhf_rss_private_dirty_kb     the guest's Private_Dirty only (heap,
#       stacks, data, relocations): private on a device whatever shares the code
#   agent_armhf_qemu_process_private_kb  the whole qemu-arm process, qemu included
#   agent_armhf_rss_guest_baseline_kb    the guest part for a minimal armhf
#       program that only sleeps (the loader and libc)
#   agent_native_rss_private_kb  the same run natively (BUILD_ROOT/release,
#       else BUILD_ROOT/dev), without emulation, for comparison; null if absent
#   agent_native_rss_private_dirty_kb    its Private_Dirty only
#   agent_native_rss_private_top the ten largest parts of the native agent's
#       private memory at the end of its run: a file (library, the agent), or
#       [heap], [stack], [anon], with its Private_Clean and Private_Dirty kB
#   agent_native_rss_floor_kb    the baseline, same broker, same sampling:
#       bench_rss_floor (bench/bench_rss_floor.c), a program that links the
#       agent's libraries as the agent does and does the least an agent must
#       do with them (MQTT v5 session, a SQLite outbox written and emptied
#       10 times a second, cJSON), with the agent's economies; the agent
#       cannot go below it without other libraries
#   agent_native_rss_floor_dirty_kb      its Private_Dirty only
#   agent_native_rss_floor_top   its ten largest parts, as for the agent
#   agent_native_rss_over_floor_kb       agent minus floor: what the agent's
#       own code and data cost
#   agent_native_rss_floor_no_gps_kb, agent_native_rss_floor_no_gps_no_tls_kb
#       the floor without libgps, and without libgps and OpenSSL (paho-mqtt3a):
#       what those libraries cost (the agent needs both)
#   footprint_notes              what was missing, and how each figure is made
# -o FILE merges these keys into FILE (a JSON object, e.g. bench/results.json).
# Needs: qemu-user, the cross binutils, mosquitto, /usr/bin/python3.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/lib.sh disable=SC1091
. scripts/lib.sh

root=build
secs=8
outfile=
while [ "$#" -gt 0 ]; do
    case "$1" in
    --build-root)
        root=$2
        shift 2
        ;;
    --seconds)
        secs=$2
        shift 2
        ;;
    -o)
        outfile=$2
        shift 2
        ;;
    -h | --help)
        sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "footprint: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
done

work=$(mktemp -d)
: >"$work/notes"
note() { printf '%s\n' "$*" >>"$work/notes"; } # also from $(...) subshells
TR_BROKER_PID=
cleanup() {
    tr_stop_pid "$TR_BROKER_PID"
    rm -rf "$work"
}
trap cleanup EXIT

stripped_size() { # ARCH_PREFIX EXE -> bytes of a stripped copy, or "null"
    local strip=$1-strip exe=$2
    [ -x "$exe" ] || { echo null; return; }
    if ! cp "$exe" "$work/s.bin" || ! "$strip" "$work/s.bin" 2>/dev/null; then
        echo null
        return
    fi
    stat -c %s "$work/s.bin"
}

private_kb() { # PID -> Private_Clean + Private_Dirty in kB
    awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps_rollup" \
        2>/dev/null
}
dirty_kb() { # PID -> Private_Dirty in kB
    awk '/^Private_Dirty:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null
}

# Under qemu-user a 32-bit guest lives in the low 4 GiB of the qemu process
# (guest_base 0 on x86-64 hosts); qemu's own code, heap and translation cache
# sit above. Private kB of the mappings that end below 4 GiB = the guest's.
guest_private_kb() { # PID
    awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); low = length(a[2]) <= 8 }
         low && /^Private_(Clean|Dirty):/ { s += $2 }
         END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null
}

guest_dirty_kb() { # PID: only Private_Dirty of the guest (heap, stacks, data, relocations)
    awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); low = length(a[2]) <= 8 }
         low && /^Private_Dirty:/ { s += $2 }
         END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null
}

# sample_max PID N [FN]: sample for N seconds (0.5 s apart) with FN (default
# private_kb), print the highest kB or "null"
sample_max() {
    local pid=$1 n=$(($2 * 2)) fn=${3:-private_kb} max=0 v i
    for ((i = 0; i < n; i++)); do
        sleep 0.5
        kill -0 "$pid" 2>/dev/null || break
        v=$($fn "$pid")
        [ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
    done
    if [ "$max" -gt 0 ]; then echo "$max"; else echo null; fi
}

armhf_exe=$root/armhf/fieldagent/truckroll-agent
aarch64_exe=$root/aarch64/fieldagent/truckroll-agent
armhf_bytes=$(stripped_size arm-linux-gnueabihf "$armhf_exe")
aarch64_bytes=$(stripped_size aarch64-linux-gnu "$aarch64_exe")
[ "$armhf_bytes" = null ] && note "no $armhf_exe: build the armhf preset (scripts/test armhf)"
[ "$aarch64_bytes" = null ] &&
    note "no $aarch64_exe: build the aarch64 preset (scripts/test aarch64)"

native_exe=
floor_exe=
for p in release dev; do
    if [ -x "$root/$p/fieldagent/truckroll-agent" ]; then
        native_exe=$root/$p/fieldagent/truckroll-agent
        [ -x "$root/$p/bench/bench_rss_floor" ] && floor_exe=$root/$p/bench/bench_rss_floor
        break
    fi
done

# measure LABEL FN PID LOG READY: FN's kB for PID (max over the run) or null;
# keeps a copy of its smaps in $work/LABEL, notes an early exit or a LOG
# without READY (it never connected), then stops PID
measure() {
    local label=$1 fn=$2 pid=$3 log=$4 ready=$5 kb
    kb=$(sample_max "$pid" "$secs" "$fn")
    cp "/proc/$pid/smaps" "$work/$label/smaps" 2>/dev/null # where it is, at the end of the run
    if ! kill -0 "$pid" 2>/dev/null; then
        note "$label exited early: $(tail -1 "$log")"
        kb=null
    elif ! grep -q "$ready" "$log"; then
        note "$label did not connect to the broker within ${secs}s"
    fi
    tr_stop_pid "$pid"
    echo "$kb"
}

# run_agent LABEL FN CMD... -> FN's kB (max over the run) or null
run_agent() {
    local label=$1 fn=$2
    shift 2
    local d=$work/$label
    mkdir -p "$d"
    "$@" --agent.id=fp-agent --broker.host=127.0.0.1 --broker.port="$TR_BROKER_PORT" \
        --broker.password_file="$work/agent.pw" --gps.replay="$PWD/data/tracks/bike.gpx" \
        --gps.replay_speed=60 --gps.replay_loop=true --store.path="$d/outbox.db" \
        --control.socket="$d/control.sock" --log.level=info -c "$work/empty.conf" \
        >"$d/agent.log" 2>&1 &
    measure "$label" "$fn" $! "$d/agent.log" "connected to the broker"
}

# run_floor LABEL FN [EXE] -> FN's kB for EXE (default bench_rss_floor: the
# agent's libraries doing the least an agent must do) beside the agent, or null
run_floor() {
    local d=$work/$1 exe=${3:-$floor_exe}
    [ -x "$exe" ] || { echo null; return; }
    mkdir -p "$d"
    "$exe" --port "$TR_BROKER_PORT" --user fp-agent --password-file "$work/agent.pw" \
        --db "$d/floor.db" --seconds $((secs + 10)) >"$d/floor.log" 2>&1 &
    measure "$1" "$2" $! "$d/floor.log" "^connected"
}

# A freshly linked binary's pages are still dirty in the page cache until
# written back, and would count as Private_Dirty: write them back first.
sync 2>/dev/null
rss=null
qemu_rss=null
dirty=null
baseline=null
native_rss=null
native_dirty=null
floor_rss=null
floor_dirty=null
floor_nogps=null
floor_nogps_notls=null
if [ "$armhf_bytes" != null ] || [ -n "$native_exe" ]; then
    printf 'fp-agent-password-0123456789\n' >"$work/agent.pw"
    : >"$work/empty.conf"
    if ! tr_broker_start "$work/broker" schemas/mosquitto.acl.example \
        "fp-agent:fp-agent-password-0123456789" >/dev/null 2>&1; then
        note "could not start a private mosquitto"
    else
        if [ "$armhf_bytes" != null ]; then
            if command -v qemu-arm >/dev/null; then
                rss=$(run_agent armhf guest_private_kb qemu-arm "$armhf_exe")
                dirty=$(run_agent armhf-dirty guest_dirty_kb qemu-arm "$armhf_exe")
                qemu_rss=$(run_agent armhf-qemu private_kb qemu-arm "$armhf_exe")
                # the baseline: a dynamically linked armhf program that only sleeps
                printf '#include <unistd.h>\nint main(void){sleep(60);return 0;}\n' >"$work/idle.c"
                if arm-linux-gnueabihf-gcc -Os -o "$work/idle" "$work/idle.c" 2>/dev/null; then
                    qemu-arm "$work/idle" &
                    ipid=$!
                    baseline=$(sample_max "$ipid" 2 guest_private_kb)
                    tr_stop_pid "$ipid"
                fi
            else
                note "qemu-arm missing (Debian package qemu-user)"
            fi
        fi
        if [ -n "$native_exe" ]; then
            native_rss=$(run_agent native private_kb "$native_exe")
            native_dirty=$(run_agent native-dirty dirty_kb "$native_exe")
        fi
        if [ -n "$floor_exe" ]; then
            floor_rss=$(run_floor floor private_kb)
            floor_dirty=$(run_floor floor-dirty dirty_kb)
            floor_nogps=$(run_floor floor-nogps private_kb "${floor_exe}_no_gps")
            floor_nogps_notls=$(run_floor floor-nogps-notls private_kb "${floor_exe}_no_gps_no_tls")
        fi
    fi
fi
[ -z "$native_exe" ] && note "no native agent in $root/release or $root/dev"
[ -n "$native_exe" ] && [ -z "$floor_exe" ] &&
    note "no bench_rss_floor beside $native_exe (build its bench targets)"

mapfile -t notes <"$work/notes"
/usr/bin/python3 - "$outfile" "$armhf_bytes" "$aarch64_bytes" "$rss" "$baseline" \
    "$native_rss" "$native_exe" "$qemu_rss" "$dirty" "$native_dirty" "$work/native/smaps" "$floor_rss" "$floor_dirty" "$work/floor/smaps" \
    "$floor_nogps" "$floor_nogps_notls" \
    "${notes[@]}" <<'PY'
import json, os, re, sys
(out, armhf, aarch64, rss, base, native, native_exe, qemu_rss, dirty, native_dirty, smaps,
 floor, floor_dirty, floor_smaps, floor_nogps, floor_nogps_notls) = sys.argv[1:17]
notes = sys.argv[17:]

def top(path, n=10):
    """The n largest private parts of a process from a copy of its smaps."""
    acc, name = {}, None
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    for line in lines:
        m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
        if m:
            name = m.group(1).strip() or "[anon]"
            continue
        m = re.match(r"^Private_(Clean|Dirty):\s+(\d+) kB", line)
        if m and name:
            acc.setdefault(name, [0, 0])[m.group(1) == "Dirty"] += int(m.group(2))
    rows = sorted(acc.items(), key=lambda kv: -sum(kv[1]))[:n]
    return [{"mapping": k, "clean_kb": c, "dirty_kb": d} for k, (c, d) in rows if c + d]
num = lambda s: None if s == "null" else int(s)
r = {
    "agent_armhf_bytes": num(armhf),
    "agent_aarch64_bytes": num(aarch64),
    "agent_armhf_bytes_limit": 153600,
    "agent_armhf_rss_private_kb": num(rss),
    "agent_armhf_rss_emulated": True,
    "agent_armhf_rss_private_dirty_kb": num(dirty),
    "agent_armhf_rss_guest_baseline_kb": num(base),
    "agent_armhf_qemu_process_private_kb": num(qemu_rss),
    "agent_native_rss_private_kb": num(native),
    "agent_native_rss_private_dirty_kb": num(native_dirty),
    "agent_native_rss_private_top": top(smaps),
    "agent_native_exe": native_exe or None,
    "agent_native_rss_floor_kb": num(floor),
    "agent_native_rss_floor_dirty_kb": num(floor_dirty),
    "agent_native_rss_floor_top": top(floor_smaps),
    "agent_native_rss_floor_no_gps_kb": num(floor_nogps),
    "agent_native_rss_floor_no_gps_no_tls_kb": num(floor_nogps_notls),
    "agent_native_rss_over_floor_kb": (num(native) - num(floor)) if num(native) and num(floor) else None,
    "footprint_notes": notes + [
        "agent_armhf_rss_private_kb: Private_Clean+Private_Dirty of the guest's mappings "
        "(below 4 GiB) in the qemu-arm process, highest sample while replaying a GPX track "
        "at 60x to a private mosquitto: emulated, not a device measurement; the guest's "
        "libraries count as private here (no other armhf process shares them)",
        "agent_armhf_rss_private_dirty_kb: the guest's Private_Dirty only (heap, stacks, "
        "data, relocations), the part a device shows as private whatever shares the "
        "libraries' code",
        "agent_armhf_qemu_process_private_kb: the whole qemu-arm process (qemu's code, "
        "heap and translation cache included)",
        "agent_armhf_rss_guest_baseline_kb: the guest part for a minimal armhf program "
        "that only sleeps (libc and loader)",
        "agent_native_rss_private_kb: Private_Clean+Private_Dirty of the native agent; "
        "Private_Clean is mostly library code no other process on this host maps "
        "(libsqlite3 ~1.3 MB, libstdc++ ~0.9 MB pulled in by libgps, libcrypto ~0.4 MB "
        "when measured on 2026-12-04); agent_native_rss_private_dirty_kb: Private_Dirty "
        "alone (heap, stacks, data, relocations)",
        "agent_native_rss_floor_kb: the same for bench_rss_floor, the agent's libraries "
        "(libgps, libsqlite3, libpaho-mqtt3as, libcjson from Debian 12) doing the least an "
        "agent must do, beside the agent against the same broker; "
        "agent_native_rss_over_floor_kb is the agent's own share"],
}
print(json.dumps(r, indent=2))
if out:
    data = {}
    if os.path.exists(out):
        with open(out) as f:
            data = json.load(f)
    data.update(r)
    with open(out + ".tmp", "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(out + ".tmp", out)
PY
