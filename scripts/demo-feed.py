#!/usr/bin/python3
"""scripts/demo-feed.py: the demo fleet and job desk for scripts/demo.

A console (broker user `console`, MQTT v5 response topic + correlation data)
registers every demo agent as a contractor (contractor.add: skills,
languages, working hours in the agent's own time zone, travel mode), then
creates jobs at a steady pace near the agents (job.create, with a street
address so the dispatcher's log reads as a story).

Each agent logs in with its own credentials (ACL: only its own topics),
publishes a retained presence (with a last will) and its position; it answers
offers after a moment (accepts most, declines some with a reason), drives
to the job site in a straight line at its travel speed (sped up by
--speedup), reports en_route, on_site and completed (now and then failed with
a note), and goes back to idle. Now and then one agent sends a message that
breaks the contract, to show the dispatcher rejecting it.

Fleet: several US counties (Travis, Dallas, Cook, Los Angeles, King, Denver,
New York) and two more countries (Spain, Germany). All clients run in one
thread (paho's loop(timeout=0) per client), so dozens of agents stay light.
Uses Debian's python3-paho-mqtt (1.x API); talks only to the broker given.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

CITIES = [  # name, lat, lon, time zone, languages
    ("Austin TX", 30.2672, -97.7431, "America/Chicago", ["en", "es-MX"]),
    ("Dallas TX", 32.7767, -96.7970, "America/Chicago", ["en", "es"]),
    ("Chicago IL", 41.8781, -87.6298, "America/Chicago", ["en", "pl"]),
    ("Los Angeles CA", 34.0522, -118.2437, "America/Los_Angeles", ["en", "es-MX"]),
    ("Seattle WA", 47.6062, -122.3321, "America/Los_Angeles", ["en", "zh"]),
    ("Denver CO", 39.7392, -104.9903, "America/Denver", ["en"]),
    ("New York NY", 40.7128, -74.0060, "America/New_York", ["en", "es"]),
    ("Madrid ES", 40.4168, -3.7038, "Europe/Madrid", ["es", "en"]),
    ("Munich DE", 48.1351, 11.5820, "Europe/Berlin", ["de", "en"]),
]
SKILLS = ["router-repair", "printer-setup", "hdd-install", "network-cabling", "pos-terminal",
          "cctv"]
STREETS = {  # by country, for the job desk's addresses
    "US": ["Main St", "Oak Ave", "Elm St", "Market St", "Pine St", "Cedar Ln", "2nd St"],
    "ES": ["Calle de Alcala", "Gran Via", "Calle Mayor", "Paseo del Prado"],
    "DE": ["Leopoldstrasse", "Maximilianstrasse", "Sonnenstrasse", "Lindwurmstrasse"],
}
DECLINE = ["too_far", "busy", "vehicle", "personal", "other"]
SPEED_KMH = {"car": 40.0, "motorcycle": 45.0, "bicycle": 15.0}
FAIL_NOTES = ["customer not home", "needs a replacement part", "wrong model on site"]


def now_ms():
    return int(time.time() * 1000)


def haversine(lat1, lon1, lat2, lon2):
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def bearing(lat1, lon1, lat2, lon2):
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def offset(lat, lon, north_km, east_km):
    return (lat + north_km / 111.195,
            lon + east_km / (111.195 * math.cos(math.radians(lat))))


class Ids:
    def __init__(self, prefix):
        self.prefix = f"{prefix}-{os.urandom(4).hex()}"
        self.n = 0

    def next(self):
        self.n += 1
        return f"{self.prefix}-{self.n}"


class Agent:
    def __init__(self, args, idx, city, rng):
        self.id = f"demo-{idx + 1}"
        self.args = args
        self.rng = rng
        self.city = city
        name, lat, lon, tz, langs = city
        self.tz = tz
        self.lat, self.lon = offset(lat, lon, rng.uniform(-6, 6), rng.uniform(-6, 6))
        self.skills = sorted(rng.sample(SKILLS, rng.randint(2, 3)))
        self.languages = langs if rng.random() < 0.6 else langs[:1]
        self.mode = rng.choice(["car", "car", "car", "motorcycle", "bicycle"])
        self.hours = None
        if rng.random() < 0.25:  # office hours in the agent's own zone
            self.hours = [{"day": d, "start": "08:00", "end": "18:00"} for d in range(1, 6)]
        self.boot = os.urandom(8).hex()
        self.ids = Ids(self.id)
        self.seq = 0
        self.job = None  # {"job_id", "offer_id", "site", "state", "until"}
        self.pending = []  # offers waiting for an answer: (when, offer)
        self.connected = False
        self.c = mqtt.Client(client_id=self.id, clean_session=False)
        self.c.username_pw_set(self.id, args.password_prefix + self.id)
        will = self.presence(False, reason="will")
        self.c.will_set(self.topic("state"), json.dumps(will), qos=1, retain=True)
        self.c.on_message = self.on_inbox
        self.c.on_connect = self.on_connect

    def contractor(self):
        c = {"contractor_id": self.id, "name": f"Demo tech {self.id[5:]} ({self.city[0]})",
             "skills": self.skills, "languages": self.languages, "timezone": self.tz,
             "travel_mode": self.mode, "radius_km": 40,
             "home": {"lat": round(self.lat, 6), "lon": round(self.lon, 6)}}
        if self.hours is not None:
            c["hours"] = self.hours
        return c

    def topic(self, leaf):
        return f"truckroll/v1/agent/{self.id}/{leaf}"

    def on_shift(self):
        if self.hours is None:
            return True
        local = datetime.now(ZoneInfo(self.tz))
        hm = local.strftime("%H:%M")
        return any(h["day"] == local.isoweekday() and h["start"] <= hm < h["end"]
                   for h in self.hours)

    def presence(self, online, reason=None):
        m = {"type": "presence", "id": self.ids.next(), "ts": now_ms(), "agent_id": self.id,
             "boot_id": self.boot, "online": online}
        if online:
            mode = "idle" if not self.job else (
                "offered" if self.job["state"] == "offered" else
                "on_site" if self.job["state"] == "on_site" else "en_route")
            m.update(available=True, on_shift=self.on_shift(), mode=mode,
                     active_jobs=1 if self.job and self.job["state"] != "offered" else 0)
        elif reason:
            m["reason"] = reason
        return m

    def start(self):
        self.c.connect(self.args.host, self.args.port, keepalive=30)

    def on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            print(f"demo-feed: {self.id} refused by the broker (rc {rc})", flush=True)
            return
        self.connected = True
        client.subscribe(self.topic("inbox"), qos=1)
        self.publish("state", self.presence(True), retain=True)
        self.send_fix()

    def publish(self, leaf, obj, retain=False):
        self.c.publish(self.topic(leaf), json.dumps(obj, separators=(",", ":")), qos=1,
                       retain=retain)

    def send_fix(self, speed=None, heading=None):
        self.seq += 1
        fix = {"seq": self.seq, "t": now_ms(), "lat": round(self.lat, 7),
               "lon": round(self.lon, 7), "mode": 3, "acc": 5.0}
        if speed is not None:
            fix["speed"] = round(min(speed, 149.0), 2)
            fix["heading"] = round(heading % 360.0, 1)
        self.publish("loc", {"type": "loc", "id": self.ids.next(), "ts": now_ms(),
                             "agent_id": self.id, "boot_id": self.boot, "fixes": [fix]})

    def event(self, job_id, ev, note=None):
        m = {"type": "job_event", "id": self.ids.next(), "ts": now_ms(), "agent_id": self.id,
             "job_id": job_id, "event": ev, "lat": round(self.lat, 7), "lon": round(self.lon, 7)}
        if note:
            m["note"] = note
        self.publish("event", m)

    def on_inbox(self, client, userdata, message):
        try:
            m = json.loads(message.payload)
        except ValueError:
            return
        t = m.get("type")
        if t == "offer":
            if m["deadline"] > now_ms():
                self.pending.append((time.time() + self.rng.uniform(0.5, 2.5), m))
        elif t == "assignment":
            if self.job and self.job["job_id"] == m["job_id"] and self.job["state"] == "offered":
                self.job["state"] = "accepted"
                self.job["until"] = time.time() + self.rng.uniform(0.3, 1.5)
        elif t == "cancellation":
            if self.job and self.job["job_id"] == m["job_id"]:
                self.job = None
                self.publish("state", self.presence(True), retain=True)
        elif t == "error":
            print(f"demo-feed: {self.id} got an error reply: {m.get('code')} "
                  f"{m.get('field', '')}: {m.get('message')}", flush=True)

    def answer(self, offer, accept, reason=None):
        m = {"type": "offer_answer", "id": self.ids.next(), "ts": now_ms(),
             "agent_id": self.id, "offer_id": offer["offer_id"], "job_id": offer["job_id"],
             "answer": "accept" if accept else "decline"}
        if not accept:
            m["reason"] = reason
        self.publish("event", m)

    def step(self, now, dt):
        for when, offer in list(self.pending):
            if now < when:
                continue
            self.pending.remove((when, offer))
            if offer["deadline"] <= now_ms():
                continue
            if self.job or self.rng.random() < self.args.decline:
                self.answer(offer, False, "busy" if self.job else self.rng.choice(DECLINE))
            else:
                self.job = {"job_id": offer["job_id"], "offer_id": offer["offer_id"],
                            "site": offer["site"], "state": "offered", "until": 0}
                self.answer(offer, True)
        j = self.job
        if not j or j["state"] == "offered" or now < j["until"]:
            return
        if j["state"] == "accepted":
            j["state"] = "en_route"
            self.event(j["job_id"], "en_route")
            self.publish("state", self.presence(True), retain=True)
        elif j["state"] == "en_route":
            site = j["site"]
            d = haversine(self.lat, self.lon, site["lat"], site["lon"])
            v = SPEED_KMH[self.mode] / 3.6 * self.args.speedup
            step = v * dt
            if d <= max(step, site.get("radius_m", 100) * 0.8):
                self.lat, self.lon = site["lat"], site["lon"]
                j["state"] = "on_site"
                j["until"] = now + self.rng.uniform(2, 5)
                self.send_fix()
                self.event(j["job_id"], "on_site")
                self.publish("state", self.presence(True), retain=True)
            else:
                h = bearing(self.lat, self.lon, site["lat"], site["lon"])
                f = step / d
                self.lat += (site["lat"] - self.lat) * f
                self.lon += (site["lon"] - self.lon) * f
                self.send_fix(v, h)
        elif j["state"] == "on_site":
            if self.rng.random() < self.args.fail:
                self.event(j["job_id"], "failed", self.rng.choice(FAIL_NOTES))
            else:
                self.event(j["job_id"], "completed")
            self.job = None
            self.publish("state", self.presence(True), retain=True)

    def bad_message(self):
        kind = self.rng.choice(["lat", "spoof", "json"])
        if kind == "lat":
            self.seq += 1
            self.publish("loc", {"type": "loc", "id": self.ids.next(), "ts": now_ms(),
                                 "agent_id": self.id, "boot_id": self.boot,
                                 "fixes": [{"seq": self.seq, "t": now_ms(), "lat": 91.0,
                                            "lon": 4.0, "mode": 3}]})
        elif kind == "spoof":
            m = self.presence(True)
            m["agent_id"] = "someone-else"
            self.publish("state", m)
        else:
            self.c.publish(self.topic("event"), b'{"type":"job_event",', qos=1)

    def say_goodbye(self):
        if self.connected:
            self.publish("state", self.presence(False, reason="shutdown"), retain=True)


class Console:
    """The job desk: contractor.add and job.create over MQTT v5."""

    def __init__(self, args):
        self.user = "console"
        self.resp = f"truckroll/v1/console/{self.user}/resp"
        self.ids = Ids("desk")
        self.answers = {}
        self.c = mqtt.Client(client_id="demo-console", protocol=mqtt.MQTTv5)
        self.c.username_pw_set(self.user, args.console_password)
        self.c.on_message = self.on_message
        self.c.connect(args.host, args.port, keepalive=30)
        self.c.subscribe(self.resp, qos=1)

    def on_message(self, client, userdata, message):
        try:
            m = json.loads(message.payload)
        except ValueError:
            return
        self.answers[m.get("corr")] = m

    def request(self, kind, args):
        rid = self.ids.next()
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.resp
        props.CorrelationData = rid.encode()
        msg = {"type": kind, "id": rid, "ts": now_ms(), "args": args}
        self.c.publish("truckroll/v1/dispatcher/req", json.dumps(msg), qos=1, properties=props)
        return rid


def pump(clients, seconds=0.0):
    end = time.time() + seconds
    while True:
        for c in clients:
            c.loop(timeout=0)
        if time.time() >= end:
            return
        time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--agents", type=int, default=36, help="demo fleet size (1..500)")
    ap.add_argument("--password-prefix", default="demo-pw-",
                    help="agent X's broker password is PREFIX + X")
    ap.add_argument("--console-password-file", required=True,
                    help="file holding the broker password of user `console`")
    ap.add_argument("--speedup", type=float, default=60.0, help="driving time compression")
    ap.add_argument("--job-every", type=float, default=2.0, help="seconds between new jobs")
    ap.add_argument("--decline", type=float, default=0.15, help="share of offers declined")
    ap.add_argument("--fail", type=float, default=0.08, help="share of jobs that fail on site")
    ap.add_argument("--duration", type=float, default=0, help="seconds to run (0: until killed)")
    ap.add_argument("--bad-every", type=float, default=20.0,
                    help="seconds between deliberately invalid messages (0: never)")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if not 1 <= args.agents <= 500:
        ap.error("--agents must be 1..500")
    with open(args.console_password_file) as f:
        args.console_password = f.readline().strip()
    rng = random.Random(args.seed)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    desk = Console(args)
    agents = [Agent(args, i, CITIES[i % len(CITIES)], rng) for i in range(args.agents)]
    pump([desk.c], 0.3)
    # register the fleet first, so the agents' presence is not ignored
    want = {desk.request("contractor.add", a.contractor()): a for a in agents}
    deadline = time.time() + 15
    while time.time() < deadline and not all(r in desk.answers for r in want):
        pump([desk.c], 0.05)
    for rid, a in want.items():
        ans = desk.answers.get(rid)
        if ans and ans.get("type") == "error" and ans.get("code") == "conflict":
            up = a.contractor()
            desk.request("contractor.update", up)  # a database from an earlier run
        elif not ans or ans.get("type") != "response":
            print(f"demo-feed: {a.id} not registered: {ans}", flush=True)
    counties = sorted({a.city[0] for a in agents})
    print(f"demo-feed: {len(agents)} contractors registered in {', '.join(counties)}",
          flush=True)
    for a in agents:
        a.start()
    clients = [desk.c] + [a.c for a in agents]
    pump(clients, 1.0)

    t_end = time.time() + args.duration if args.duration > 0 else None
    next_job = time.time() + 1.0
    next_bad = time.time() + args.bad_every if args.bad_every > 0 else None
    next_idle_fix = time.time() + 20
    next_beat = time.time() + 30
    last = time.time()
    while not stop and (t_end is None or time.time() < t_end):
        pump(clients)
        now = time.time()
        dt, last = now - last, now
        for a in agents:
            a.step(now, dt)
        if now >= next_job:
            next_job = now + args.job_every
            a = rng.choice(agents)
            name, lat, lon, _, langs = a.city
            slat, slon = offset(lat, lon, rng.uniform(-5, 5), rng.uniform(-5, 5))
            country = name[-2:] if name[-2:] in STREETS else "US"
            pool = sorted({s for b in agents if b.city == a.city for s in b.skills})
            skill = rng.choice(pool) if rng.random() < 0.93 else "elevator-repair"
            job = {"title": f"{skill.replace('-', ' ').capitalize()} at a customer",
                   "skills": [skill],
                   "site": {"lat": round(slat, 6), "lon": round(slon, 6),
                            "address": f"{rng.randint(10, 4999)} {rng.choice(STREETS[country])}, {name}"},
                   "priority": rng.choice(["normal", "normal", "high", "urgent"])}
            if len(langs) > 1 and rng.random() < 0.3:
                job["language"] = langs[1].split("-")[0]
            desk.request("job.create", job)
        if now >= next_idle_fix:  # idle agents report now and then (fix freshness)
            next_idle_fix = now + 20
            for a in agents:
                if a.connected and not a.job:
                    a.send_fix()
        if now >= next_beat:  # presence heartbeat
            next_beat = now + 30
            for a in agents:
                if a.connected:
                    a.publish("state", a.presence(True), retain=True)
        if next_bad and now >= next_bad:
            rng.choice(agents).bad_message()
            next_bad = now + args.bad_every
        time.sleep(0.05)
    for a in agents:
        a.say_goodbye()
    pump(clients, 0.5)
    for a in agents:
        a.c.disconnect()
    desk.c.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
