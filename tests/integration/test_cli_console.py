#!/usr/bin/env python3
"""tests/integration/test_cli_console.py: the real `truckroll` console against
the real truckrolld through a private mosquitto with passwords and the
contract's ACL (schemas/mosquitto.acl.example: the console may write only
requests and read its own answers, job status and presence).

Covers: job create (id printed at once), list/show --json, cancel, reassign,
watch, create --wait timing out; contractor add (and a duplicate), import of
a CSV (quoted cells, bad rows reported per line, progress, --dry-run without
a broker, --update), list paging past the 64 KiB answer limit, show, set;
fleet with a retained presence; MQTT 3.1.1 (reply_to); errors: unknown job
(exit 1 with the dispatcher's message), bad flags (exit 2 with a hint),
wrong password / no broker (exit 3), dispatcher stopped or silent (exit 3
after the timeout).

Usage: test_cli_console.py TRUCKROLL TRUCKROLLD ACL_FILE GEO_BIN
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import trlib
from trlib import check, free_port


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.port = None
        self.broker = None
        self.disp = None

    def start_broker(self, acl):
        pw = os.path.join(self.tmp, "passwd")
        open(pw, "w").close()
        for user in ("dispatcher", "console", "tx-0001", "agent-7"):
            subprocess.run(["mosquitto_passwd", "-b", pw, user, f"pw-{user}"], check=True,
                           capture_output=True)
        os.chmod(pw, 0o600)
        shutil.copy(acl, os.path.join(self.tmp, "acl"))
        for user in ("dispatcher", "console"):
            with open(os.path.join(self.tmp, f"{user}.pw"), "w") as f:
                f.write(f"pw-{user}\n")
        self.port = free_port()
        if not trlib.port_free(self.port, reuseaddr=True):
            raise RuntimeError("port taken")
        conf = os.path.join(self.tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous false\n"
                    f"password_file {pw}\nacl_file {self.tmp}/acl\npersistence false\n"
                    f"set_tcp_nodelay true\nuser {os.environ.get('USER') or 'root'}\n"
                    f"log_dest file {self.tmp}/mosquitto.log\n")
        self.broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        for _ in range(100):
            if self.broker.poll() is not None:
                raise RuntimeError("mosquitto exited")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if self.broker.poll() is not None:
            raise RuntimeError("mosquitto is not running")

    def start_dispatcher(self, geo):
        log = open(os.path.join(self.tmp, "truckrolld.log"), "a")
        self.disp = subprocess.Popen(
            [TRUCKROLLD, f"--broker.port={self.port}", "--broker.username=dispatcher",
             f"--broker.password_file={self.tmp}/dispatcher.pw",
             f"--db.path={self.tmp}/truckroll.db", f"--geo.data={geo}",
             "--recovery.grace_ms=0", "--stats.interval_s=0"],
            stdout=log, stderr=log, env=clean_env())
        # ready when it answers a request
        for _ in range(100):
            if self.disp.poll() is not None:
                raise RuntimeError("truckrolld exited; see truckrolld.log")
            if run(["job", "list", "--timeout", "1"])[0] == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("truckrolld does not answer")

    def pub_as(self, user, topic, payload, retain=True):
        args = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-u", user, "-P",
                f"pw-{user}", "-q", "1", "-t", topic]
        args += ["-r"] if retain else []
        args += ["-n"] if payload is None else ["-m", payload]
        subprocess.run(args, check=True, timeout=20, capture_output=True)


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUCKROLL_")}
    env["TZ"] = "UTC"
    return env


def run(args, stdin=None, config=True, timeout=60):
    env = clean_env()
    env["XDG_CONFIG_HOME"] = os.path.join(ENV.tmp, "xdg")
    if not config:
        env["XDG_CONFIG_HOME"] = os.path.join(ENV.tmp, "nowhere")
    p = subprocess.run([TRUCKROLL] + args, input=stdin, capture_output=True, env=env,
                       timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def write_config():
    d = os.path.join(ENV.tmp, "xdg", "truckroll")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "console.conf"), "w") as f:
        f.write(f"[broker]\nport = {ENV.port}\nusername = console\n"
                f"password_file = {ENV.tmp}/console.pw\n[console]\ntimeout_s = 10\n")


def csv_file(n, suffix="Jr."):
    rows = ["id,name,skills,languages,timezone,hours,travel_mode,radius_km,home_lat,home_lon,"
            "pay_hour,pay_incident,currency"]
    for i in range(n):
        rows.append(f"tx-{i:04d},\"Tech {i}, {suffix}\",network;printer,es;en,America/Chicago,"
                    f"\"Mon-Fri 09:00-17:00,\nSat 10:00-14:00\",car,{30 + i % 50},"
                    f"{30.0 + i * 0.001:.4f},{-97.7 - i * 0.001:.4f},45.00,80,USD")
    # bad rows: a bad skill (line n+2... counted below), no timezone, bad money, short row
    rows.append("bad-1,Bad Skill,Network,es,UTC,,,,,,,,")
    rows.append("bad-2,No Zone,network,es,,,,,,,,,")
    rows.append("bad-3,Money,network,es,UTC,,,,,,45.123,,")
    rows.append("bad-4,Short")
    return "\n".join(rows) + "\n"


def main():
    write_config()
    # --- bad flags: exit 2 with a hint, before any network ---
    rc, _, err = run(["job", "create", "--title", "x", "--at", "1,2"])
    check(rc == 2 and "--skill" in err and "--help" in err, f"missing skill {rc} {err!r}")
    rc, _, err = run(["job", "create", "--title", "x", "--skill", "a", "--lat", "91", "--lon", "0"])
    check(rc == 2 and "--lat" in err, f"lat 91 {rc} {err!r}")
    rc, _, err = run(["job", "list", "--bogus"])
    check(rc == 2 and "--bogus" in err and "try" in err, f"unknown flag {rc} {err!r}")
    rc, _, err = run(["job", "create", "--title", "x", "--skill", "a", "--at", "1,2",
                      "--country", "DE"])
    check(rc == 2 and "not both" in err, f"site and region {rc} {err!r}")
    rc, _, err = run(["contractor", "add", "--id", "x/y", "--name", "n"])
    check(rc == 2, f"bad contractor id {rc}")
    rc, _, err = run(["job", "frob"])
    check(rc == 2, "unknown job subcommand")
    for cmd in (["job", "create"], ["job", "list"], ["job", "show"], ["job", "cancel"],
                ["job", "reassign"], ["job", "watch"], ["contractor", "add"],
                ["contractor", "import"], ["contractor", "list"], ["contractor", "show"],
                ["contractor", "set"], ["fleet"]):
        rc, out, _ = run(cmd + ["--help"])
        check(rc == 0 and "usage: truckroll" in out and "Exit status" in out,
              f"{' '.join(cmd)} --help")
    rc, out, _ = run(["job", "list", "--print-config", "--json"])
    check(rc == 0 and json.loads(out)["broker.port"]["value"] == ENV.port, "config file read")

    # --- dry run: no broker needed ---
    csv = csv_file(400)
    csv_path = os.path.join(ENV.tmp, "techs.csv")
    with open(csv_path, "w") as f:
        f.write(csv)
    rc, out, err = run(["contractor", "import", csv_path, "--dry-run", "--json", "--port", "1"])
    s = json.loads(out) if out.strip() else {}
    check(rc == 1 and s.get("rows") == 404 and s.get("imported") == 400,
          f"dry run {rc} {str(s)[:600]}")
    skipped = {k["id"] or k["line"]: k for k in s.get("skipped", [])}
    check(set(skipped) == {"bad-1", "bad-2", "bad-3", 805}, f"skipped rows {skipped}")
    check("skills" in skipped.get("bad-1", {}).get("reason", "") and
          skipped.get("bad-1", {}).get("line") == 802, f"bad skill line {skipped.get('bad-1')}")
    check("timezone" in skipped.get("bad-2", {}).get("reason", ""), "no zone reason")

    # --- no dispatcher yet: silent -> exit 3 after the timeout ---
    rc, _, err = run(["job", "list", "--timeout", "1"])
    check(rc == 3 and "no answer" in err, f"no dispatcher {rc} {err!r}")

    ENV.start_dispatcher(GEO)

    # --- contractors ---
    rc, out, err = run(["contractor", "add", "--id", "solo-1", "--name", "Ana Ruiz", "--skill",
                        "fiber", "--lang", "es", "--lang", "en", "--timezone", "America/Chicago",
                        "--hours", "Mon-Fri 09:00-17:00, Sat 10:00-14:00", "--home",
                        "30.27,-97.74", "--pay-hour", "45.00", "--pay-incident", "80",
                        "--currency", "USD", "--json"])
    o = json.loads(out) if rc == 0 else {}
    c = o.get("contractor", {})
    check(rc == 0 and c.get("contractor_id") == "solo-1" and c.get("languages") == ["es", "en"]
          and len(c.get("hours", [])) == 6 and c.get("pay", {}).get("per_hour_cents") == 4500,
          f"contractor add {rc} {out!r} {err!r}")
    rc, _, err = run(["contractor", "add", "--id", "solo-1", "--name", "Again", "--skill", "x",
                      "--lang", "es", "--timezone", "UTC"])
    check(rc == 1 and "conflict" in err, f"duplicate add {rc} {err!r}")

    rc, out, err = run(["contractor", "import", csv_path, "--progress", "100", "--json"])
    s = json.loads(out) if out.strip() else {}
    check(rc == 1 and s.get("imported") == 400 and s.get("unchanged") == 0
          and len(s.get("skipped", [])) == 4,
          f"import {rc} {str(s)[:600]} {err[-300:]!r}")
    check(err.count("rows,") >= 4 and "404/404" in err, f"import progress {err!r}")
    # the same file again (a re-run after a crash): the same records are no conflict
    rc, out, err = run(["contractor", "import", csv_path])
    check(rc == 1 and "0 imported, 400 unchanged, 0 updated, 4 skipped" in out,
          f"import again {rc} {out[:600]!r}")
    # changed rows: "exists" with another record, updated with --update
    with open(csv_path, "w") as f:
        f.write(csv_file(400, "Sr."))
    rc, out, err = run(["contractor", "import", csv_path, "--update"])
    check(rc == 1 and "0 imported, 0 unchanged, 400 updated, 4 skipped" in out,
          f"import --update {rc} {out[:600]!r}")
    check("line 802 (bad-1): skills" in out, f"skip line in summary {out[:600]!r}")

    rc, out, err = run(["contractor", "list", "--limit", "1000", "--json"])
    o = json.loads(out) if rc == 0 else {}
    ids = [x["contractor_id"] for x in o.get("contractors", [])]
    check(rc == 0 and o.get("total") == 401 and len(ids) == 401 and len(set(ids)) == 401,
          f"list pages joined: {rc} total {o.get('total')} got {len(ids)}")
    rc, out, _ = run(["contractor", "list", "--skill", "fiber"])
    check(rc == 0 and "solo-1" in out and "1 of 1" in out, f"list --skill {out!r}")
    rc, out, _ = run(["contractor", "show", "tx-0399", "--json"])
    check(rc == 0 and json.loads(out)["contractor"]["name"] == "Tech 399, Sr.", f"show {out!r}")
    rc, out, _ = run(["contractor", "show", "tx-0007"])
    check(rc == 0 and "Mon-Fri 09:00-17:00, Sat 10:00-14:00" in out, f"show table {out!r}")
    rc, _, err = run(["contractor", "show", "nobody"])
    check(rc == 1 and "nobody" in err, f"show unknown {rc}")
    rc, out, _ = run(["contractor", "set", "solo-1", "--radius-km", "80", "--job-limit", "2",
                      "--json"])
    c = json.loads(out).get("contractor", {}) if rc == 0 else {}
    check(rc == 0 and c.get("radius_km") == 80 and c.get("job_limit") == 2, f"set {out!r}")

    # --- jobs ---
    t0 = time.monotonic()
    rc, out, err = run(["job", "create", "--title", "Splice fiber", "--skill", "fiber", "--lang",
                        "es", "--at", "30.2672,-97.7431", "--address", "100 Congress Ave",
                        "--priority", "high", "--window-start", "+1h", "--window-end", "+3h",
                        "--pay-incident", "85.00"])
    job = out.strip()
    check(rc == 0 and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}", job) is not None,
          f"job create prints the id: {rc} {out!r} {err!r}")
    rc, out, err = run(["job", "create", "--title", "Router", "--skill", "network",
                        "--county", "Travis", "--state", "TX", "--json"])
    o = json.loads(out) if rc == 0 else {}
    check(rc == 0 and o.get("job", {}).get("region", {}).get("county") == "Travis",
          f"region job {rc} {out!r} {err!r}")
    rc, out, _ = run(["job", "list", "--json"])
    o = json.loads(out) if rc == 0 else {}
    check(rc == 0 and job in [j["job_id"] for j in o.get("jobs", [])] and o.get("total") == 2,
          f"job list --json {out!r}")
    rc, out, _ = run(["job", "list"])
    check(rc == 0 and job in out and "REASON" in out and "2 of 2" in out, f"job list {out!r}")
    rc, out, _ = run(["job", "show", job, "--json"])
    o = json.loads(out) if rc == 0 else {}
    check(rc == 0 and o.get("job", {}).get("job_id") == job and len(o.get("events", [])) >= 1,
          f"job show --json {out!r}")
    rc, out, _ = run(["job", "show", job])
    check(rc == 0 and "history:" in out and "Splice fiber" in out and "why" in out,
          f"job show explains {out!r}")
    rc, out, err = run(["job", "show", "no-such-job"])
    check(rc == 1 and "not_found" in err and "no-such-job" in err, f"unknown job {rc} {err!r}")
    rc, out, _ = run(["job", "show", "no-such-job", "--json"])
    check(rc == 1 and json.loads(out)["error"]["code"] == "not_found", f"error json {out!r}")
    rc, out, _ = run(["job", "reassign", job, "--radius-km", "200", "--relax-language"])
    check(rc == 0 and job in out, f"reassign {rc} {out!r}")
    rc, out, _ = run(["job", "watch", job, "--count", "1", "--json"])
    check(rc == 0 and json.loads(out)["job_id"] == job, f"watch {rc} {out!r}")
    rc, out, err = run(["job", "create", "--title", "Wait", "--skill", "fiber", "--at",
                        "30.27,-97.74", "--wait=offered", "--wait-timeout", "1"])
    check(rc == 3 and out.strip() and "not offered" in err, f"create --wait {rc} {out!r} {err!r}")
    # interrupted while waiting: 130, never the 0 of "offered"
    env = clean_env()
    env["XDG_CONFIG_HOME"] = os.path.join(ENV.tmp, "xdg")
    w = subprocess.Popen([TRUCKROLL, "job", "create", "--title", "Wait", "--skill", "fiber",
                          "--at", "30.27,-97.74", "--wait=offered", "--wait-timeout", "60"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first = w.stdout.readline()  # the job id: created, now waiting
    w.send_signal(signal.SIGINT)
    try:
        rc = w.wait(timeout=20)
    except subprocess.TimeoutExpired:
        w.kill()
        rc = w.wait()
    w.stdout.close()
    w.stderr.close()
    check(first.strip() and rc == 130, f"create --wait interrupted: {rc}")
    rc, out, _ = run(["job", "cancel", job, "--note", "customer fixed it"])
    check(rc == 0 and "cancelled" in out, f"cancel {rc} {out!r}")
    rc, out, _ = run(["job", "list", "--state", "cancelled", "--json"])
    check(rc == 0 and [j["job_id"] for j in json.loads(out)["jobs"]] == [job], "list --state")

    # --- fleet: the directory plus a retained presence ---
    now = int(time.time() * 1000)
    ENV.pub_as("tx-0001", "truckroll/v1/agent/tx-0001/state", json.dumps({
        "type": "presence", "id": "p-1", "ts": now, "agent_id": "tx-0001", "boot_id": "b-1",
        "online": True, "available": True, "on_shift": True, "mode": "idle",
        "active_jobs": 0}))
    rc, out, _ = run(["fleet", "--json", "--limit", "1000"])
    o = json.loads(out) if rc == 0 else {}
    a = {x["contractor_id"]: x for x in o.get("agents", [])}
    check(rc == 0 and len(a) >= 401 and a.get("tx-0001", {}).get("online") is True
          and a.get("tx-0001", {}).get("mode") == "idle", f"fleet {a.get('tx-0001')}")
    rc, out, _ = run(["fleet", "--watch", "--count", "2", "--interval", "0.2", "--limit", "5"])
    check(rc == 0 and out.count("fleet at") == 2 and "POSITION" in out, f"fleet watch {out!r}")

    # --- an agent online at the site: create --wait sees the offer ---
    rc, _, err = run(["contractor", "add", "--id", "agent-7", "--name", "Seven", "--skill",
                      "splice", "--lang", "en", "--timezone", "UTC"])
    check(rc == 0, f"add agent-7 {err!r}")
    now = int(time.time() * 1000)
    ENV.pub_as("agent-7", "truckroll/v1/agent/agent-7/state", json.dumps({
        "type": "presence", "id": "p-7", "ts": now, "agent_id": "agent-7", "boot_id": "b-7",
        "online": True, "available": True, "on_shift": True, "mode": "idle",
        "active_jobs": 0}))
    ENV.pub_as("agent-7", "truckroll/v1/agent/agent-7/loc", json.dumps({
        "type": "loc", "id": "l-7", "ts": now, "agent_id": "agent-7", "boot_id": "b-7",
        "fixes": [{"seq": 1, "t": now, "lat": 30.2672, "lon": -97.7431, "mode": 3}]}),
        retain=False)
    for _ in range(50):  # the dispatcher has the fix once the fleet shows it
        rc, out, _ = run(["contractor", "show", "agent-7", "--json"])
        if rc == 0 and "lat" in json.loads(out)["contractor"]:
            break
        time.sleep(0.1)
    rc, out, err = run(["job", "create", "--title", "Splice", "--skill", "splice", "--at",
                        "30.2680,-97.7431", "--wait=offered", "--wait-timeout", "20"])
    check(rc == 0 and out.strip() and "offered to agent-7" in err,
          f"create --wait offered {rc} {out!r} {err!r}")
    rc, out, _ = run(["fleet", "--skill", "splice"])
    check(rc == 0 and "agent-7" in out and "30.26720,-97.74310" in out, f"fleet row {out!r}")

    # --- MQTT 3.1.1: the answer comes through reply_to ---
    rc, out, _ = run(["job", "list", "--broker.protocol=v311", "--json"])
    check(rc == 0 and json.loads(out)["total"] == 5, f"3.1.1 {rc} {out!r}")

    # --- connection errors ---
    rc, _, err = run(["job", "list", "--timeout", "2"], config=False)
    check(rc == 3, f"no password, anonymous refused {rc} {err!r}")
    bad_pw = os.path.join(ENV.tmp, "bad.pw")
    with open(bad_pw, "w") as f:
        f.write("wrong\n")
    rc, _, err = run(["job", "list", "--password-file", bad_pw, "--timeout", "2"])
    check(rc == 3 and "refused" in err, f"wrong password {rc} {err!r}")
    rc, _, err = run(["job", "list", "--port", str(free_port()), "--timeout", "1"])
    check(rc == 3 and "cannot reach" in err, f"no broker {rc} {err!r}")

    # --- dispatcher stopped: its retained state says offline -> exit 3 at once ---
    stop(ENV.disp)
    rc, _, err = run(["job", "create", "--title", "late", "--skill", "fiber", "--country", "DE",
                      "--timeout", "5"])
    check(rc == 3 and "offline" in err, f"dispatcher offline {rc} {err!r}")
    print(f"integration.cli_console: {trlib.passed} passed, {trlib.failed} failed "
          f"({time.monotonic() - t0:.1f} s for the job part on)")
    return 0 if trlib.failed == 0 and trlib.passed > 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    TRUCKROLL, TRUCKROLLD, ACL, GEO = sys.argv[1:5]
    ENV = Env(tempfile.mkdtemp(prefix="tr-cli-"))
    status = 1
    try:
        ENV.start_broker(ACL)
        status = main()
    except Exception as e:  # noqa: BLE001 - report and clean up
        print(f"integration.cli_console: {e!r}", file=sys.stderr)
        status = 1
    finally:
        stop(ENV.disp)
        stop(ENV.broker)
        if status == 0:
            shutil.rmtree(ENV.tmp, ignore_errors=True)
        else:
            print(f"logs kept in {ENV.tmp}", file=sys.stderr)
    sys.exit(status)
