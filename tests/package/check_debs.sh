#!/usr/bin/env bash
# tests/package/check_debs.sh: inspect the .debs scripts/package made.
#
#   tests/package/check_debs.sh [DIR]        (default build/packages)
#
# For every NAME_VERSION_ARCH.deb in DIR:
#  - control: Package and Architecture match the file name, Debian-legal name,
#    Depends from dpkg-shlibdeps (libc6, libpaho-mqtt1.3, libsqlite3-0,
#    libcjson1, libgps28 for the agent) plus adduser, maintainer scripts parse;
#  - conffiles: every file under /etc is one, and each one is in the package;
#  - ELF: every program is for ARCH (readelf -h: machine, and for armhf EABI5
#    hard-float with Tag_ABI_VFP_args), has no .symtab (stripped), and runs
#    (--version, natively or under qemu-user);
#  - dpkg -x into a temporary root: systemd-analyze verify --man=no (no man-db needed) of each unit (its
#    ExecStart pointed into that root), ExecStart exists there, Type=notify
#    and the program has common/notify (reads NOTIFY_SOCKET), the shipped config
#    loads (--print-config -c), geo.bin is where truckrolld/truckroll look;
#  - footprint: the stripped armhf agent must be <= 150 KB (153600 bytes;
#    SPEC). Missing agent packages are reported, not failed: the agent may
#    not be written yet.
# Prints one line per check and "package.install_check: N passed, M failed";
# exits non-zero on any failure.
set -uo pipefail

dir=${1:-build/packages}
max_armhf=153600
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
    pass=$((pass + 1))
    echo "  ok   $*"
}
bad() {
    fail=$((fail + 1))
    echo "  FAIL $*"
}
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}

for tool in dpkg-deb readelf systemd-analyze; do
    command -v "$tool" >/dev/null || {
        echo "check_debs: $tool missing (Debian packages dpkg, binutils, systemd)" >&2
        exit 1
    }
done
shopt -s nullglob
debs=("$dir"/*.deb)
if [ "${#debs[@]}" = 0 ]; then
    echo "check_debs: no .deb in $dir (run scripts/package)" >&2
    exit 1
fi

declare -A seen
for deb in "${debs[@]}"; do
    base=$(basename "$deb" .deb)
    IFS=_ read -r fname fver farch <<<"$base"
    seen[$fname:$farch]=1
    echo "$base.deb ($(stat -c %s "$deb") bytes)"
    root=$tmp/$base
    ctl=$tmp/$base.control
    mkdir -p "$root" "$ctl"
    if ! dpkg-deb -x "$deb" "$root" || ! dpkg-deb -e "$deb" "$ctl"; then
        bad "$base: dpkg-deb cannot unpack it"
        continue
    fi
    field() { dpkg-deb -f "$deb" "$1"; }
    pkg=$(field Package)
    arch=$(field Architecture)
    ver=$(field Version)
    deps=$(field Depends)

    # --- control data ---
    check "Package '$pkg' is the file's name and Debian-legal" \
        test "$pkg" = "$fname" -a -n "$(grep -Ex '[a-z0-9][a-z0-9+.-]+' <<<"$pkg")"
    check "Architecture '$arch' is the file's" test "$arch" = "$farch"
    check "Version '$ver' is the file's" test "$ver" = "$fver"
    case "$pkg" in
    truckroll-agent) want=(libc6 libpaho-mqtt1.3 libsqlite3-0 libcjson1 libgps28 adduser) ;;
    truckroll-dispatcher) want=(libc6 libpaho-mqtt1.3 libsqlite3-0 libcjson1 adduser) ;;
    *) want=(libc6) ;;
    esac
    for d in "${want[@]}"; do
        check "Depends has $d" grep -Eq "(^|, )$d( |,|$)" <<<"$deps"
    done
    for s in postinst prerm postrm; do
        check "$s parses (sh -n)" sh -n "$ctl/$s"
    done
    check "postinst creates the system user truckroll" \
        grep -q 'adduser --system --group' "$ctl/postinst"

    # --- conffiles ---
    etc_files=$(cd "$root" && find etc -type f 2>/dev/null | sed 's|^|/|' | sort)
    conf=$(sort "$ctl/conffiles" 2>/dev/null)
    check "conffiles = every file under /etc ($(tr '\n' ' ' <<<"$etc_files"))" \
        test -n "$etc_files" -a "$etc_files" = "$conf"

    # --- programs: machine, stripped, runs ---
    case "$arch" in
    amd64) machine="X86-64" run=() ;;
    arm64) machine="AArch64" run=(qemu-aarch64) ;;
    armhf) machine="ARM" run=(qemu-arm) ;;
    *) machine="?" run=() ;;
    esac
    for exe in "$root"/usr/bin/* "$root"/usr/sbin/*; do
        name=${exe#"$root"}
        head -c 4 "$exe" | grep -q 'ELF' || continue
        check "$name: ELF for $machine" grep -q "Machine:.*$machine" <(readelf -h "$exe")
        check "$name: stripped (no .symtab)" \
            bash -c "! readelf -S '$exe' | grep -q '\.symtab'"
        if [ "$arch" = armhf ]; then
            check "$name: EABI5 hard-float" grep -q "Version5 EABI, hard-float ABI" \
                <(readelf -h "$exe")
            check "$name: Tag_ABI_VFP_args: VFP registers" grep -q "Tag_ABI_VFP_args: VFP registers" \
                <(readelf -A "$exe")
        fi
        if [ "${#run[@]}" = 0 ] || command -v "${run[0]}" >/dev/null; then
            check "$name --version runs${run:+ under ${run[0]}}" "${run[@]}" "$exe" --version
        fi
    done

    # --- units: verify, ExecStart, Type=notify with common/notify ---
    for unit in "$root"/lib/systemd/system/*.service; do
        u=$(basename "$unit")
        exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
        check "$u: ExecStart $exec_path is in the package" test -x "$root$exec_path"
        mkdir -p "$tmp/units"
        sed "s|^ExecStart=/|ExecStart=$root/|" "$unit" >"$tmp/units/$u"
        if out=$(systemd-analyze verify --man=no "$tmp/units/$u" 2>&1) && [ -z "$out" ]; then
            ok "$u: systemd-analyze verify"
        else
            bad "$u: systemd-analyze verify: $out"
        fi
        type=$(sed -n 's/^Type=//p' "$unit")
        if [ -x "$root$exec_path" ]; then
            # common/notify speaks the notify protocol itself (no libsystemd):
            # the program must carry it (it reads NOTIFY_SOCKET)
            notify=no
            grep -aq NOTIFY_SOCKET "$root$exec_path" && notify=yes
            check "$u: Type=notify" test "$type" = notify
            check "$u: $(basename "$exec_path") speaks the notify protocol" test "$notify" = yes
        fi
        for k in User=truckroll NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes \
            PrivateTmp=yes Restart=on-failure; do
            check "$u: $k" grep -qx "$k" "$unit"
        done
        sd=$(sed -n 's/^StateDirectory=//p' "$unit")
        check "$u: StateDirectory=$sd, ReadWritePaths has it" \
            grep -q "^ReadWritePaths=.*/var/lib/$sd" "$unit"
    done

    # --- the shipped config loads in the shipped program ---
    if [ "$pkg" = truckroll-agent ] && [ -x "$root/usr/bin/truckroll-agent" ]; then
        if [ "${#run[@]}" = 0 ] || command -v "${run[0]}" >/dev/null; then
            check "agent.conf loads (--print-config -c)" "${run[@]}" "$root/usr/bin/truckroll-agent" \
                --print-config -c "$root/etc/truckroll/agent.conf"
        fi
        check "unit: After=gpsd.service" grep -q '^After=.*gpsd.service' \
            "$root/lib/systemd/system/truckroll-agent.service"
        size=$(stat -c %s "$root/usr/bin/truckroll-agent")
        echo "  size truckroll-agent ($arch, stripped): $size bytes"
        if [ "$arch" = armhf ]; then
            if [ "$size" -le "$max_armhf" ]; then
                ok "armhf agent $size <= $max_armhf bytes (150 KB)"
            else
                bad "armhf agent $size > $max_armhf bytes (150 KB, SPEC footprint)"
            fi
        fi
    fi
    if [ "$pkg" = truckroll-dispatcher ]; then
        [ -x "$root/usr/sbin/truckrolld" ] &&
            check "truckrolld.conf loads (--print-config -c)" "$root/usr/sbin/truckrolld" \
                --print-config -c "$root/etc/truckroll/truckrolld.conf"
        check "geo.bin at /usr/share/truckroll/geo.bin" test -s "$root/usr/share/truckroll/geo.bin"
        for p in usr/sbin/truckrolld usr/bin/truckroll; do
            [ -x "$root/$p" ] &&
                check "/$p looks for /usr/share/truckroll/geo.bin" \
                    grep -qa /usr/share/truckroll/geo.bin "$root/$p"
        done
        for f in mosquitto.conf.example acl.example; do
            check "/usr/share/truckroll/mosquitto/$f" test -s "$root/usr/share/truckroll/mosquitto/$f"
        done
        check "/usr/sbin/truckroll-broker-adduser rejects 'a/#'" \
            bash -c "'$root/usr/sbin/truckroll-broker-adduser' -f '$tmp/passwd' 'a/#'; [ \$? = 2 ]"
    fi
    check "copyright in /usr/share/doc/$pkg" test -s "$root/usr/share/doc/$pkg/copyright"
done

for want in truckroll-agent:amd64 truckroll-agent:arm64 truckroll-agent:armhf \
    truckroll-dispatcher:amd64; do
    if [ -z "${seen[$want]:-}" ]; then
        echo "  note: no ${want%%:*} for ${want#*:} in $dir"
    fi
done
echo "package.install_check: $pass passed, $fail failed"
[ "$fail" = 0 ]
