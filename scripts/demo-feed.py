#!/usr/bin/python3
"""scripts/demo-feed.py: a small fleet of demo agents for scripts/demo.

Each agent logs in to the broker with its own credentials, publishes a
retained presence (with a last will), then drives a real GPX track from
data/tracks (shifted to its home city) and publishes `loc` batches at the
track's own pace (sped up by --speedup). Now and then one agent sends a
message that breaks the contract, to show the dispatcher rejecting it and
answering on the agent's inbox.

This is the stand-in fleet until the C simulator (truckroll-sim) exists; it
speaks the same wire contract (schemas/). Uses Debian's python3-paho-mqtt
(1.x API). Talks only to the broker given on the command line.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime

import paho.mqtt.client as mqtt

HOMES = [  # (name, lat, lon): where each demo agent's track is moved to
    ("Austin TX", 30.2672, -97.7431),
    ("Chicago IL", 41.8781, -87.6298),
    ("Los Angeles CA", 34.0522, -118.2437),
    ("Denver CO", 39.7392, -104.9903),
    ("Madrid ES", 40.4168, -3.7038),
    ("Munich DE", 48.1351, 11.5820),
    ("Seattle WA", 47.6062, -122.3321),
    ("Atlanta GA", 33.7490, -84.3880),
]


def load_track(path):
    ns = {"g": "http://www.topografix.com/GPX/1/0"}
    root = ET.parse(path).getroot()
    if not root.tag.endswith("gpx"):
        raise ValueError(f"{path}: not GPX")
    uri = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    ns["g"] = uri
    pts = []
    for p in root.iter(f"{{{uri}}}trkpt" if uri else "trkpt"):
        t = p.find("g:time", ns) if uri else p.find("time")
        if t is None:
            continue
        when = datetime.fromisoformat(t.text.replace("Z", "+00:00")).timestamp()
        pts.append((when, float(p.get("lat")), float(p.get("lon"))))
    pts.sort()
    return pts


class Agent:
    def __init__(self, args, idx, track, home):
        self.id = f"demo-{idx + 1}"
        self.args = args
        self.track = track
        self.home = home
        self.boot = os.urandom(8).hex()
        self.seq = 0
        self.msg = 0
        self.i = 0
        self.t0 = track[0][0]
        self.dlat = home[1] - track[0][1]
        self.dlon = home[2] - track[0][2]
        self.c = mqtt.Client(client_id=self.id, clean_session=True)
        self.c.username_pw_set(self.id, args.password_prefix + self.id)
        will = self.presence(False, reason="will")
        self.c.will_set(self.topic("state"), json.dumps(will), qos=1, retain=True)
        self.c.on_message = self.on_inbox
        self.c.connect(args.host, args.port, keepalive=30)
        self.c.subscribe(self.topic("inbox"), qos=1)
        self.c.loop_start()
        self.publish("state", self.presence(True), retain=True)

    def topic(self, leaf):
        return f"truckroll/v1/agent/{self.id}/{leaf}"

    def next_id(self):
        self.msg += 1
        return f"{self.id}-{self.boot[:8]}-{self.msg}"

    def presence(self, online, reason=None):
        m = {"type": "presence", "id": self.next_id(), "ts": int(time.time() * 1000),
             "agent_id": self.id, "boot_id": self.boot, "online": online}
        if online:
            m.update(available=True, on_shift=True, mode="idle", active_jobs=0)
        elif reason:
            m["reason"] = reason
        return m

    def publish(self, leaf, obj, retain=False):
        self.c.publish(self.topic(leaf), json.dumps(obj, separators=(",", ":")), qos=1,
                       retain=retain)

    def on_inbox(self, client, userdata, message):
        try:
            m = json.loads(message.payload)
        except ValueError:
            return
        if m.get("type") == "error":
            print(f"demo-feed: {self.id} got error reply: {m.get('code')} "
                  f"{m.get('field', '')}: {m.get('message')}", flush=True)

    def step(self, now):
        """Publish the fixes whose (sped-up) time has come, as one batch."""
        elapsed = (now - self.start) * self.args.speedup
        fixes = []
        while self.i < len(self.track) and self.track[self.i][0] - self.t0 <= elapsed:
            t, lat, lon = self.track[self.i]
            prev = self.track[self.i - 1] if self.i > 0 else None
            fix = {"seq": self.seq, "t": int(time.time() * 1000) - len(fixes),
                   "lat": round(lat + self.dlat, 7), "lon": round(lon + self.dlon, 7), "mode": 3,
                   "acc": 5.0}
            if prev and t > prev[0]:
                d = haversine(prev[1], prev[2], lat, lon)
                fix["speed"] = round(min(d / (t - prev[0]), 149.0), 2)
                fix["heading"] = round(bearing(prev[1], prev[2], lat, lon), 1)
            fixes.append(fix)
            self.seq += 1
            self.i += 1
        if self.i >= len(self.track):  # loop the drive
            self.i = 0
            self.start = now
        if fixes:
            fixes = fixes[-100:]
            for k, f in enumerate(fixes):  # fix times strictly in order, not in the future
                f["t"] = int(time.time() * 1000) - (len(fixes) - k)
            self.publish("loc", {"type": "loc", "id": self.next_id(),
                                 "ts": int(time.time() * 1000), "agent_id": self.id,
                                 "boot_id": self.boot, "fixes": fixes})

    def bad_message(self):
        kind = random.choice(["lat", "spoof", "json"])
        if kind == "lat":
            m = {"type": "loc", "id": self.next_id(), "ts": int(time.time() * 1000),
                 "agent_id": self.id, "boot_id": self.boot,
                 "fixes": [{"seq": self.seq, "t": int(time.time() * 1000), "lat": 91.0,
                            "lon": 4.0, "mode": 3}]}
            self.seq += 1
            self.publish("loc", m)
        elif kind == "spoof":
            m = self.presence(True)
            m["agent_id"] = "someone-else"
            self.publish("state", m)
        else:
            self.c.publish(self.topic("event"), b'{"type":"job_event",', qos=1)

    def say_goodbye(self):
        self.publish("state", self.presence(False, reason="shutdown"), retain=True)

    def stop(self):
        self.c.disconnect()
        self.c.loop_stop()


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--agents", type=int, default=6, help="number of demo agents (1..8)")
    ap.add_argument("--password-prefix", default="demo-pw-",
                    help="agent X's broker password is PREFIX + X")
    ap.add_argument("--tracks", default=os.path.join(os.path.dirname(__file__), "..", "data",
                                                     "tracks"))
    ap.add_argument("--speedup", type=float, default=5.0, help="track time per wall second")
    ap.add_argument("--duration", type=float, default=0, help="seconds to run (0: until killed)")
    ap.add_argument("--bad-every", type=float, default=7.0,
                    help="seconds between deliberately invalid messages (0: never)")
    args = ap.parse_args()
    if not 1 <= args.agents <= len(HOMES):
        ap.error(f"--agents must be 1..{len(HOMES)}")
    names = ["sbn-v13.gpx", "mtk_logger_m241.gpx", "iblue747.gpx", "garmin-virb-ultra-30.gpx"]
    tracks = [load_track(os.path.join(args.tracks, n)) for n in names]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    agents = []
    for i in range(args.agents):
        a = Agent(args, i, tracks[i % len(tracks)], HOMES[i])
        a.start = time.time()
        agents.append(a)
        print(f"demo-feed: {a.id} driving {names[i % len(names)]} around {HOMES[i][0]}",
              flush=True)
    t_end = time.time() + args.duration if args.duration > 0 else None
    next_bad = time.time() + args.bad_every if args.bad_every > 0 else None
    while not stop and (t_end is None or time.time() < t_end):
        now = time.time()
        for a in agents:
            a.step(now)
        if next_bad and now >= next_bad:
            random.choice(agents).bad_message()
            next_bad = now + args.bad_every
        time.sleep(1.0)
    for a in agents:
        a.say_goodbye()
    time.sleep(0.5)
    for a in agents:
        a.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
