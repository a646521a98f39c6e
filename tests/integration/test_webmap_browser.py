#!/usr/bin/python3
"""tests/integration/test_webmap_browser.py: the map page (dispatcher/web) in
Debian's headless Chromium, served by mosquitto's http_dir on a websockets
listener (as scripts/demo runs it), fed by the real truckrolld.

7 contractors are added; 3 come online with a fix (free), 1 online but
unavailable, 3 never show up (offline, no position). The page, logged in as
the read-only `webmap` account, must show 7 contractors with those counts
(it exposes them on <body data-...> and in document.title); after one is
retired (its retained copy cleared) it must show 6. A wrong password must
leave it disconnected. One screenshot is written to SHOT for a person to look
at.

Chromium loads the page with --dump-dom and a virtual time budget; that can
race the WebSocket on a busy machine, so each expectation is retried a
bounded number of times (no timing is asserted).

Exits 77 (CTest SKIP_RETURN_CODE) only when no Chromium is installed.

Usage: test_webmap_browser.py TRUCKROLLD ACL_FILE WEB_DIR SHOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_fleet_feed as ff  # noqa: E402  (the broker/dispatcher/client helpers)
import trlib  # noqa: E402  (the check counters, shared with test_fleet_feed)

CHROMIUM = None


def find_chromium():
    for c in ("/usr/bin/chromium", "/usr/lib/chromium/chromium", shutil.which("chromium"),
              shutil.which("chromium-browser")):
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def chromium(url, extra, profile):
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            "--virtual-time-budget=8000", "--window-size=1200,800"] + extra + [url]
    try:
        p = subprocess.run(args, capture_output=True, timeout=90)
    except subprocess.TimeoutExpired:
        return ""
    return p.stdout.decode(errors="replace")


def body_attrs(dom):
    m = re.search(r"<body([^>]*)>", dom)
    return dict(re.findall(r'data-([a-z_]+)="([^"]*)"', m.group(1))) if m else {}


def page_until(url, want, tmp, tries=8):
    """Load the page until its body attributes include `want`; the last seen."""
    seen = {}
    for i in range(tries):
        dom = chromium(url, ["--dump-dom"], os.path.join(tmp, f"profile-{i}"))
        seen = body_attrs(dom)
        seen["title"] = (re.search(r"<title>([^<]*)</title>", dom) or [None, ""])[1]
        if all(seen.get(k) == v for k, v in want.items()):
            return True, seen
    return False, seen


def main():
    global CHROMIUM
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    CHROMIUM = find_chromium()
    if not CHROMIUM:
        print("SKIP: no chromium installed (apt-get install chromium; scripts/setup does)")
        return 77
    ff.TRUCKROLLD, acl, web, shot = sys.argv[1:5]
    check = ff.check
    tmp = tempfile.mkdtemp(prefix="tr-webmap-")
    ids = [f"m{i}" for i in range(1, 8)]
    env = None
    try:
        env = ff.Env(tmp, acl, ["dispatcher", "console", "webmap"] + ids, http_dir=web)
        env.start_dispatcher(["--fleet_feed.min_interval_s=0", "--fleet_feed.sweep_ms=100"])
        con = ff.Client(env, "console", ["truckroll/v1/console/console/resp",
                                         "truckroll/v1/fleet/#"])
        places = [(30.2672, -97.7431), (41.8781, -87.6298), (40.7128, -74.0060),
                  (52.5200, 13.4050), (48.1372, 11.5756), (40.4168, -3.7038),
                  (47.6062, -122.3321)]
        for cid, (lat, lon) in zip(ids, places):
            r = ff.request(con, "contractor.add", ff.contractor(cid, lat, lon), f"add-{cid}")
            check(r is not None and r.get("type") == "response", f"contractor.add {cid}")
        agents = []
        for k, (cid, (lat, lon)) in enumerate(zip(ids[:4], places)):
            a = ff.Client(env, cid)
            ff.presence(a, cid, available=k < 3)
            ff.loc(a, cid, 1, lat, lon)
            agents.append(a)
        want = {"free": "3", "unavailable": "1", "offline": "3", "total": "7"}
        check(ff.wait_for(lambda: sum(1 for c in ids if ff.state_of(con, c)) == 7 and
                          sum(1 for c in ids if ff.state_of(con, c) == "free") == 3),
              f"the feed shows the fleet: {con.fleet()}")

        base = f"http://127.0.0.1:{env.ws_port}/"
        url = base + "?user=webmap&pass=pw-webmap"
        ok, seen = page_until(url, dict(want, connected="true"), tmp)
        check(ok, f"page shows 7 contractors (3 free, 1 unavailable, 3 offline): {seen}")
        check(seen.get("title") == "truckroll map: 7 contractors", f"title {seen.get('title')}")
        out = chromium(url, [f"--screenshot={shot}"], os.path.join(tmp, "profile-shot"))
        check(os.path.isfile(shot) and os.path.getsize(shot) > 10000, f"screenshot {shot} {out}")

        r = ff.request(con, "contractor.update", {"contractor_id": "m7", "active": False},
                       "retire-m7")
        check(r is not None and r.get("type") == "response", "retire m7")
        check(ff.wait_for(lambda: "m7" in con.fleet() and con.fleet()["m7"] is None),
              "m7 cleared in the feed")
        ok, seen = page_until(url, {"total": "6", "offline": "2", "connected": "true"}, tmp)
        check(ok, f"page shows 6 after m7 retired: {seen}")

        ok, seen = page_until(base + "?user=webmap&pass=wrong", {"total": "0"}, tmp, tries=2)
        check(ok and seen.get("connected") == "false", f"wrong password: {seen}")
        for c in agents + [con]:
            c.close()
        check(env.disp.poll() is None, "truckrolld still running")
    except Exception as e:
        check(False, f"{type(e).__name__}: {e}")
    finally:
        if env:
            env.stop()
    if trlib.failed:
        for name in ("truckrolld.log", "mosquitto.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    print(f"--- {name} (tail)\n" + "".join(f.readlines()[-30:]), file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"integration.webmap_browser: {trlib.passed} passed, {trlib.failed} failed")
    return 0 if trlib.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
