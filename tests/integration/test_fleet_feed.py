#!/usr/bin/python3
"""tests/integration/test_fleet_feed.py: the live map feed
(truckroll/v1/fleet/<contractor_id>, schemas/topics.md) from the real
truckrolld through a private mosquitto with passwords and the shipped ACL
(schemas/mosquitto.acl.example).

  states  contractors come online (free), declare themselves unavailable,
          never show up (offline, no position), move (a 30 m move is not
          published, a 600 m one is), get an offer (offered), accept it
          (busy), are retired (the retained copy is cleared by an empty
          payload); a map that connects late gets the retained copies; every
          payload passes the C codec's contract (checked here with the same
          rules as fleet.schema.json); the ACL lets `webmap` and `console`
          read the feed, not an agent, and `webmap` can neither write the
          feed nor send requests.
  rate    200 contractors, fleet_feed.max_per_s=40, min_interval_s=1: a
          dispatcher restart republishes all of them at once while 20 move
          600 m every 0.3 s; by the dispatcher's own `ts` stamps no
          contractor gets two messages less than 1 s apart and no 1 s window
          holds more than 2 x 40 (one second of burst); every contractor
          still ends up on the map, the moving ones at their last place.

Nothing asserts on elapsed time: waits are bounded loops, the rate checks use
the timestamps the dispatcher wrote into the messages.

Usage: test_fleet_feed.py TRUCKROLLD ACL_FILE {states|rate}
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

import trlib
from trlib import check, free_port, port_free

STATES = ("free", "offered", "busy", "unavailable", "off_shift", "offline")


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def now_ms():
    return int(time.time() * 1000)


def wait_for(pred, timeout=30.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def valid_fleet(topic, payload):
    """The fleet.schema.json rules (kept in step with common/msg_fleet.c)."""
    try:
        m = json.loads(payload)
    except ValueError:
        return "not JSON"
    allowed = {"type", "id", "ts", "contractor_id", "state", "lat", "lon", "last_seen"}
    if not isinstance(m, dict) or set(m) - allowed:
        return f"keys {sorted(m) if isinstance(m, dict) else m}"
    for k in ("type", "id", "ts", "contractor_id", "state"):
        if k not in m:
            return f"missing {k}"
    if m["type"] != "fleet" or m["state"] not in STATES:
        return f"type/state {m['type']} {m['state']}"
    if topic.rsplit("/", 1)[1] != m["contractor_id"]:
        return "contractor_id differs from the topic"
    if ("lat" in m) != ("lon" in m):
        return "lat without lon"
    if "lat" in m and not (-90 <= m["lat"] <= 90 and -180 <= m["lon"] <= 180):
        return "position out of range"
    if "lat" in m and (abs(m["lat"] * 1e4 - round(m["lat"] * 1e4)) > 1e-6):
        return f"lat {m['lat']} not rounded to 4 decimals"
    if not (946684800000 <= m["ts"] <= 4102444800000):
        return "ts out of range"
    return None


class Env:
    def __init__(self, tmp, acl, users, http_dir=None):
        """http_dir: also a websockets listener on lo serving that folder
        (self.ws_port), as scripts/demo runs it for the map page."""
        self.tmp = tmp
        self.port = free_port()
        self.ws_port = free_port() if http_dir else None
        pw = os.path.join(tmp, "passwd")
        # mosquitto_passwd -U hashes a plain "user:password" file in one go
        with open(pw, "w") as f:
            for u in users:
                f.write(f"{u}:pw-{u}\n")
        subprocess.run(["mosquitto_passwd", "-U", pw], check=True, capture_output=True)
        os.chmod(pw, 0o600)
        shutil.copy(acl, os.path.join(tmp, "acl"))
        with open(os.path.join(tmp, "dispatcher.pw"), "w") as f:
            f.write("pw-dispatcher\n")
        if not port_free(self.port):
            raise RuntimeError("port taken")
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"per_listener_settings false\nlistener {self.port} 127.0.0.1\n"
                    f"allow_anonymous false\npassword_file {pw}\nacl_file {tmp}/acl\n"
                    f"persistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n"
                    f"user {os.environ.get('USER') or 'root'}\n"
                    f"log_dest file {tmp}/mosquitto.log\n")
            if http_dir:  # mosquitto 2.0.11: name the interface, "127.0.0.1" binds all
                if not port_free(self.ws_port):
                    raise RuntimeError("websockets port taken")
                f.write(f"listener {self.ws_port} lo\nprotocol websockets\n"
                        f"http_dir {http_dir}\n")
        self.broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        if not wait_for(lambda: self.broker.poll() is not None or self._listening(), 10):
            raise RuntimeError("mosquitto does not listen")
        if self.broker.poll() is not None:
            raise RuntimeError("mosquitto exited")
        self.disp = None

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def start_dispatcher(self, extra):
        log = os.path.join(self.tmp, "truckrolld.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRUCKROLL_")}
        env["TZ"] = "UTC"
        self.disp = subprocess.Popen(
            [TRUCKROLLD, "-c", "/dev/null", f"--broker.port={self.port}",
             "--broker.username=dispatcher", f"--broker.password_file={self.tmp}/dispatcher.pw",
             f"--db.path={self.tmp}/truckroll.db", "--geo.data=none", "--recovery.grace_ms=0",
             "--stats.interval_s=0"] + extra,
            stdout=open(log, "a"), stderr=subprocess.STDOUT, env=env)

        def serving():
            if self.disp.poll() is not None:
                raise RuntimeError("truckrolld exited; see " + log)
            with open(log, errors="replace") as f:
                return "serving" in f.read()
        if not wait_for(serving, 30):
            raise RuntimeError("truckrolld does not serve")

    def stop(self):
        stop(self.disp)
        stop(self.broker)


class Client:
    """A paho client that keeps what arrives: last payload per topic and a log."""

    def __init__(self, env, user, subs=()):
        self.lock = threading.Lock()
        self.last = {}
        self.log = []
        self.granted = []
        self.c = mqtt.Client(client_id=f"{user}-{os.getpid()}-{time.monotonic_ns()}",
                             protocol=mqtt.MQTTv311)
        self.c.username_pw_set(user, f"pw-{user}")
        self.c.on_message = self._on_message
        self.c.on_subscribe = lambda c, u, mid, q: self.granted.extend(q)
        self.connected = threading.Event()
        self.c.on_connect = lambda c, u, f, rc: rc == 0 and self.connected.set()
        self.c.connect("127.0.0.1", env.port, keepalive=30)
        self.c.loop_start()
        if not self.connected.wait(10):
            raise RuntimeError(f"{user} cannot connect")
        for s in subs:
            self.c.subscribe(s, qos=1)
        if subs and not wait_for(lambda: len(self.granted) >= len(subs), 10):
            raise RuntimeError(f"{user}: no SUBACK")

    def _on_message(self, c, u, msg):
        with self.lock:
            self.last[msg.topic] = msg.payload
            self.log.append((msg.topic, msg.payload, msg.retain))

    def pub(self, topic, payload, retain=False, qos=1):
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish()

    def fleet(self):
        """contractor id -> decoded last message (None: cleared)."""
        with self.lock:
            out = {}
            for t, p in self.last.items():
                if t.startswith("truckroll/v1/fleet/"):
                    out[t.rsplit("/", 1)[1]] = json.loads(p) if p else None
            return out

    def close(self):
        # DISCONNECT first: the network thread then ends at once instead of
        # finishing its 1 s select() after loop_stop
        self.c.disconnect()
        self.c.loop_stop()


def contractor(cid, lat=30.2672, lon=-97.7431, active=True):
    c = {"contractor_id": cid, "name": f"Tech {cid}", "skills": ["router-repair"],
         "languages": ["en"], "timezone": "UTC", "radius_km": 50,
         "home": {"lat": lat, "lon": lon}}
    if not active:
        c["active"] = False
    return c


def request(con, typ, args, rid):
    """A console request with reply_to; the decoded answer or None."""
    topic = "truckroll/v1/console/console/resp"
    payload = json.dumps({"type": typ, "id": rid, "ts": now_ms(), "args": args,
                          "reply_to": topic})
    con.pub("truckroll/v1/dispatcher/req", payload)
    got = {}

    def answered():
        with con.lock:
            for t, p, _ in con.log:
                if t == topic:
                    m = json.loads(p)
                    if m.get("corr") == rid:
                        got["m"] = m
                        return True
        return False
    wait_for(answered, 20)
    return got.get("m")


def presence(agent, cid, available=True, seq=[0]):
    seq[0] += 1
    agent.pub(f"truckroll/v1/agent/{cid}/state", json.dumps({
        "type": "presence", "id": f"p-{cid}-{seq[0]}", "ts": now_ms(), "agent_id": cid,
        "boot_id": f"b-{cid}", "online": True, "available": available, "on_shift": True,
        "mode": "idle", "active_jobs": 0}), retain=True)


def loc(agent, cid, seq, lat, lon):
    agent.pub(f"truckroll/v1/agent/{cid}/loc", json.dumps({
        "type": "loc", "id": f"l-{cid}-{seq}", "ts": now_ms(), "agent_id": cid,
        "boot_id": f"b-{cid}", "fixes": [{"seq": seq, "t": now_ms(), "lat": lat, "lon": lon,
                                          "mode": 3}]}))


def state_of(m, cid):
    f = m.fleet().get(cid)
    return f["state"] if f else None


def test_states(env):
    env.start_dispatcher(["--fleet_feed.min_interval_s=0", "--fleet_feed.sweep_ms=100",
                          "--fleet_feed.max_per_s=1000", "--fleet_feed.move_m=100"])
    m = Client(env, "webmap", ["truckroll/v1/fleet/#"])
    con = Client(env, "console", ["truckroll/v1/console/console/resp"])
    for i, cid in enumerate(("a1", "a2", "a3")):
        r = request(con, "contractor.add", contractor(cid), f"add-{cid}")
        check(r is not None and r.get("type") == "response", f"contractor.add {cid}: {r}")
    # known but never heard from: offline, no position
    check(wait_for(lambda: state_of(m, "a3") == "offline"), f"a3 offline: {m.fleet().get('a3')}")
    check("lat" not in (m.fleet().get("a3") or {}), "offline a3 has no position")

    a1 = Client(env, "a1", ["truckroll/v1/agent/a1/inbox"])
    a2 = Client(env, "a2")
    presence(a1, "a1")
    loc(a1, "a1", 1, 30.26724, -97.74311)
    presence(a2, "a2", available=False)
    loc(a2, "a2", 1, 30.30, -97.70)
    check(wait_for(lambda: state_of(m, "a1") == "free"), f"a1 free: {m.fleet().get('a1')}")
    f1 = m.fleet().get("a1") or {}
    check(f1.get("lat") == 30.2672 and f1.get("lon") == -97.7431,
          f"a1 position rounded to 4 decimals: {f1}")
    check(wait_for(lambda: state_of(m, "a2") == "unavailable"),
          f"a2 unavailable: {m.fleet().get('a2')}")

    # a 30 m move is not published; a 600 m one is
    with m.lock:
        n_before = sum(1 for t, _, _ in m.log if t.endswith("/a1"))
    loc(a1, "a1", 2, 30.26751, -97.74311)
    time.sleep(1.0)  # several sweeps (100 ms each): a wrongly published move would be here
    with m.lock:
        n_after = sum(1 for t, _, _ in m.log if t.endswith("/a1"))
    check(n_after == n_before, f"a 30 m move was published ({n_before} -> {n_after})")
    loc(a1, "a1", 3, 30.2726, -97.7431)
    check(wait_for(lambda: (m.fleet().get("a1") or {}).get("lat") == 30.2726),
          f"a 600 m move published: {m.fleet().get('a1')}")

    # a job near a1: offered, then accepted: busy
    r = request(con, "job.create", {"title": "Router", "skills": ["router-repair"],
                                    "site": {"lat": 30.2730, "lon": -97.7431}}, "job-1")
    check(r is not None and r.get("type") == "response", f"job.create: {r}")
    check(wait_for(lambda: state_of(m, "a1") == "offered"), f"a1 offered: {m.fleet().get('a1')}")
    offer = None

    def got_offer():
        nonlocal offer
        with a1.lock:
            for t, p, _ in a1.log:
                o = json.loads(p)
                if o.get("type") == "offer":
                    offer = o
                    return True
        return False
    check(wait_for(got_offer), "a1 got the offer")
    if offer:
        a1.pub("truckroll/v1/agent/a1/event", json.dumps({
            "type": "offer_answer", "id": "ans-1", "ts": now_ms(), "agent_id": "a1",
            "offer_id": offer["offer_id"], "job_id": offer["job_id"], "answer": "accept"}))
    check(wait_for(lambda: state_of(m, "a1") == "busy"), f"a1 busy: {m.fleet().get('a1')}")

    # retired: the retained copy is cleared (empty payload)
    r = request(con, "contractor.update", {"contractor_id": "a2", "active": False}, "upd-a2")
    check(r is not None and r.get("type") == "response", f"contractor.update a2: {r}")
    check(wait_for(lambda: "a2" in m.fleet() and m.fleet()["a2"] is None),
          f"a2 cleared: {m.fleet().get('a2')}")

    # a map connecting late gets the retained copies at once
    late = Client(env, "webmap", ["truckroll/v1/fleet/#"])
    check(wait_for(lambda: state_of(late, "a1") == "busy" and state_of(late, "a3") == "offline"),
          f"late subscriber: {late.fleet()}")
    check(wait_for(lambda: "a2" not in late.fleet(), 2), "retired a2 is not retained")
    with late.lock:
        check(all(r for t, _, r in late.log), "the late copies are retained")

    # every payload received keeps the contract
    with m.lock:
        log = list(m.log)
    bad = [(t, valid_fleet(t, p)) for t, p, _ in log if p and valid_fleet(t, p)]
    check(not bad and log, f"payloads break the contract: {bad[:3]}")

    # ACL: console reads the feed; an agent does not; webmap cannot write it or send requests
    c2 = Client(env, "console", ["truckroll/v1/fleet/#"])
    check(wait_for(lambda: state_of(c2, "a1") == "busy"), "console reads the feed")
    a1s = Client(env, "a1", ["truckroll/v1/fleet/#"])
    time.sleep(0.5)
    check(not a1s.fleet(), f"an agent reads the feed: {a1s.fleet()}")
    w = Client(env, "webmap")
    w.pub("truckroll/v1/fleet/a3", json.dumps({"type": "fleet", "id": "x-1", "ts": now_ms(),
                                                "contractor_id": "a3", "state": "free"}),
          retain=True)
    w.pub("truckroll/v1/dispatcher/req", json.dumps({
        "type": "contractor.add", "id": "evil-1", "ts": now_ms(), "args": contractor("evil"),
        "reply_to": "truckroll/v1/console/webmap/resp"}))
    time.sleep(0.5)
    check(state_of(m, "a3") == "offline", f"webmap wrote the feed: {m.fleet().get('a3')}")
    check("evil" not in m.fleet(), "webmap sent a request")
    for c in (m, con, a1, a2, late, c2, a1s, w):
        c.close()


def test_rate(env):
    n, max_per_s, min_interval_s = 200, 40, 1
    args = [f"--fleet_feed.min_interval_s={min_interval_s}", "--fleet_feed.sweep_ms=200",
            f"--fleet_feed.max_per_s={max_per_s}", "--fleet_feed.move_m=100"]
    env.start_dispatcher(args)
    con = Client(env, "console", ["truckroll/v1/console/console/resp"])
    ids = [f"r{i:03d}" for i in range(n)]
    for cid in ids:  # all at once; answers collected below
        con.pub("truckroll/v1/dispatcher/req", json.dumps({
            "type": "contractor.add", "id": f"add-{cid}", "ts": now_ms(),
            "args": contractor(cid), "reply_to": "truckroll/v1/console/console/resp"}))

    def answered():
        with con.lock:
            return sum(1 for t, _, _ in con.log if t.endswith("/resp")) >= n
    check(wait_for(answered, 120), "every contractor.add answered")
    # a restart: the new session republishes all 200 at once, within the budget
    stop(env.disp)
    m = Client(env, "webmap", ["truckroll/v1/fleet/#"])
    # the retained copies come right after the SUBACK: all n, or (when the
    # stop came before every first publication) until none arrived for 1 s
    seen = [-1, time.monotonic()]

    def retained_done():
        with m.lock:
            k = len(m.log)
        if k != seen[0]:
            seen[:] = [k, time.monotonic()]
        return len(m.fleet()) == n or time.monotonic() - seen[1] >= 1.0
    wait_for(retained_done, 10)
    with m.lock:
        m.log.clear()
    env.start_dispatcher(args)
    agents = {cid: Client(env, cid) for cid in ids[:20]}
    # 20 contractors online and moving ~600 m every 0.3 s: each wants a message
    # every round, the per-contractor interval allows one a second
    for rnd in range(1, 11):
        for k, (cid, a) in enumerate(agents.items()):
            if rnd == 1:
                presence(a, cid)
            loc(a, cid, rnd, 30.0 + k * 0.01 + rnd * 0.006, -97.0)
        time.sleep(0.3)
    last = {c: 30.0 + k * 0.01 + 10 * 0.006 for k, c in enumerate(agents)}

    def settled():
        f = m.fleet()
        return len(f) == n and all(
            f.get(c) and f[c]["state"] == "free" and abs(f[c].get("lat", 0) - last[c]) < 1e-3
            for c in agents)
    check(wait_for(settled, 120, 0.2), f"every contractor shows up at its last place "
                                       f"({len(m.fleet())} of {n})")
    with m.lock:
        log = list(m.log)
    msgs = [json.loads(p) for _, p, _ in log if p]
    bad = [valid_fleet(t, p) for t, p, _ in log if p and valid_fleet(t, p)]
    check(not bad, f"payloads break the contract: {bad[:3]}")
    per = {}
    for x in msgs:
        per.setdefault(x["contractor_id"], []).append(x["ts"])
    check(len(per) == n, f"republished after the restart: {len(per)} of {n}")
    gaps = [(c, b - a) for c, ts in per.items() for a, b in zip(ts, ts[1:])
            if b - a < min_interval_s * 1000]
    check(not gaps, f"per-contractor interval broken: {gaps[:5]}")
    ts = sorted(x["ts"] for x in msgs)
    worst, j = 0, 0
    for i in range(len(ts)):
        while ts[i] - ts[j] >= 1000:
            j += 1
        worst = max(worst, i - j + 1)
    check(worst <= 2 * max_per_s, f"{worst} messages in one second (budget {max_per_s}/s + "
                                  f"{max_per_s} burst)")
    span = (ts[-1] - ts[0]) / 1000 if ts else 0
    moving = sum(len(per.get(c, [])) for c in agents)
    print(f"rate: {len(msgs)} messages for {n} contractors over {span:.1f} s of dispatcher "
          f"time; busiest 1 s window {worst} (max_per_s {max_per_s}); {moving} for the 20 "
          f"moving ones over 10 moves each")
    for c in list(agents.values()) + [m, con]:
        c.close()


def main():
    global TRUCKROLLD
    if len(sys.argv) != 4 or sys.argv[3] not in ("states", "rate"):
        print(__doc__, file=sys.stderr)
        return 2
    TRUCKROLLD, acl, case = sys.argv[1], sys.argv[2], sys.argv[3]
    tmp = tempfile.mkdtemp(prefix="tr-fleet-")
    users = ["dispatcher", "console", "webmap", "a1", "a2", "a3"] + \
        [f"r{i:03d}" for i in range(200)]
    env = None
    try:
        env = Env(tmp, acl, users)
        (test_states if case == "states" else test_rate)(env)
        check(env.disp.poll() is None, "truckrolld still running")
    except Exception as e:  # a harness failure is a failed check, with the logs kept
        check(False, f"{type(e).__name__}: {e}")
    finally:
        if env:
            env.stop()
    if trlib.failed:
        for name in ("truckrolld.log", "mosquitto.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                print(f"--- {name} (tail)", file=sys.stderr)
                with open(p, errors="replace") as f:
                    print("".join(f.readlines()[-40:]), file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"integration.fleet_feed.{case}: {trlib.passed} passed, {trlib.failed} failed")
    return 0 if trlib.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
