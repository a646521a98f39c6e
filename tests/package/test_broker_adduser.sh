#!/usr/bin/env bash
# tests/package/test_broker_adduser.sh: firmware/bin/truckroll-broker-adduser
# against a real mosquitto: ids with '/', '+', '#', ':' are refused (exit 2);
# an added agent connects with the password written by -o and may publish
# its own presence under the shipped ACL; a wrong password and a deleted
# account are refused by the broker (after SIGHUP reloads the file).
#
#   test_broker_adduser.sh SCRIPT ACL
set -uo pipefail
script=$1
acl=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh disable=SC1091
. "$here/scripts/lib.sh"
pass=0
fail=0
check() {
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $what" >&2
    fi
}
tmp=$(mktemp -d)
pid=
trap 'tr_stop_pid "$pid"; rm -rf "$tmp"' EXIT
pw=$tmp/truckroll.passwd

for bad in 'a/b' 'tx+1' 'tx#' '#' '+' 'a:b' '' '-x' '.hidden' "$(printf 'a%.0s' {1..65})" \
    "$(printf 'ok\nbad')"; do
    check "rejects '$bad'" bash -c "'$script' -f '$pw' -- '$bad'; [ \$? = 2 ]"
done
check "nothing was written for rejected ids" test ! -e "$pw"
check "adds tx-austin-017" "$script" -f "$pw" -o "$tmp/agent.password" tx-austin-017
check "password file mode 0600" test "$(stat -c %a "$tmp/agent.password")" = 600
check "password is 32 characters" test "$(head -1 "$tmp/agent.password" | tr -d '\n' | wc -c)" = 32
check "a second add is refused" bash -c "! '$script' -f '$pw' tx-austin-017"
echo "operator-password-1" | check "adds console via --password-stdin" \
    "$script" -f "$pw" --password-stdin console
check "the password is not in the passwd file" \
    bash -c "! grep -q \"\$(cat '$tmp/agent.password')\" '$pw'"

port=$(tr_free_port)
check "port $port is free" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
cat >"$tmp/mosquitto.conf" <<CONF
per_listener_settings false
user $(id -un)
listener $port 127.0.0.1
allow_anonymous false
password_file $pw
acl_file $acl
persistence false
log_dest file $tmp/mosquitto.log
CONF
mosquitto -c "$tmp/mosquitto.conf" &
pid=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
check "mosquitto (pid $pid) is running" kill -0 "$pid"
pub() { # USER PASSWORD TOPIC
    mosquitto_pub -h 127.0.0.1 -p "$port" -V 5 -q 1 -i "$1" -u "$1" -P "$2" -t "$3" \
        -m '{}' 2>&1
}
agent_pw=$(head -1 "$tmp/agent.password")
check "the agent connects and publishes its state" \
    pub tx-austin-017 "$agent_pw" truckroll/v1/agent/tx-austin-017/state
check "a wrong password is refused" \
    bash -c "! mosquitto_pub -h 127.0.0.1 -p $port -i tx-austin-017 -u tx-austin-017 -P wrong-password -t x -m y"
check "--update changes the password" "$script" -f "$pw" --update -o "$tmp/new.password" tx-austin-017
check "deletes tx-austin-017" "$script" -f "$pw" -d tx-austin-017
kill -HUP "$pid"
sleep 0.5
check "a deleted account is refused after the reload" \
    bash -c "! mosquitto_pub -h 127.0.0.1 -p $port -i tx-austin-017 -u tx-austin-017 -P '$agent_pw' -t x -m y"
check "mosquitto still running" kill -0 "$pid"
echo "package.broker_adduser: $pass passed, $fail failed"
[ "$fail" = 0 ]
