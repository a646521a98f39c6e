#!/usr/bin/env python3
"""tests/integration/test_sim_policy.py: the real `truckroll-sim policy` on
every track in data/tracks, as scripts/bench runs it.

For each TRACK.gpx: `truckroll-sim policy TRACK --state en_route --json`
prints exactly the keys fixes, messages, ratio, max_err_m,
distance_policy_messages, and the reporting targets hold (SPEC.md, issue 4):
ratio <= 0.10, max_err_m <= 50, messages <= 0.5 * distance_policy_messages.
These are counts from a deterministic replay (no clock), not timings.

Tracks that cannot reach a target are listed in KNOWN with the reason and
the bound they are held to instead (what they reach today plus a little),
so a regression still fails. A track added to data/tracks gets the full
targets. Also: the table output, --help, usage errors, unreadable and
malformed tracks, and that two runs print the same.

Usage: test_sim_policy.py TRUCKROLL_SIM TRACKS_DIR
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import trlib
from trlib import check

TARGET_RATIO = 0.10
TARGET_ERR_M = 50.0
TARGET_VS_DISTANCE = 0.5

# track -> (reason, looser bounds). Each number is the measured value plus
# a small margin; tighten when the policy improves.
KNOWN = {
    "mtk_logger_m241.gpx": (
        "winding hill road near Rome: the heading changes every few seconds, so "
        "straight-line dead reckoning needs ~0.7 of the 50 m distance reporter's "
        "messages for a 50 m bound (an oracle that knows the road ahead: 0.26)",
        {"vs_distance": 0.72},
    ),
    "iblue747.gpx": (
        "a logger, one fix every 4-10 s: at 20-30 m/s a turn between two fixes is "
        "unseen; even a report at every fix leaves one-fix-later errors up to 64 m "
        "(data/tracks/README.md), so no reporter can hold 50 m at every fix",
        {"max_err_m": 100.0, "vs_distance": 0.62},
    ),
    "tpo-sample2.gpx": (
        "one fix every 3-18 s at highway speed (300+ m between fixes): even a "
        "report at every fix leaves a third of the measured fixes over 45 m "
        "(data/tracks/README.md), and one fix is a 159 m jump the policy rejects",
        {"max_err_m": 300.0, "vs_distance": 0.95},
    ),
}


def run(sim, args):
    p = subprocess.run([sim] + args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    sim, tracks_dir = sys.argv[1], sys.argv[2]
    tracks = sorted(glob.glob(os.path.join(tracks_dir, "*.gpx")))
    check(len(tracks) >= 6, f"found {len(tracks)} tracks in {tracks_dir}")

    keys = ["fixes", "messages", "ratio", "max_err_m", "distance_policy_messages"]
    for path in tracks:
        name = os.path.basename(path)
        rc, out, err = run(sim, ["policy", path, "--state", "en_route", "--json"])
        check(rc == 0, f"{name}: exit {rc}: {err}")
        try:
            d = json.loads(out)
        except ValueError:
            check(False, f"{name}: not JSON: {out!r}")
            continue
        check(list(d.keys()) == keys, f"{name}: keys {list(d.keys())}")
        if list(d.keys()) != keys:
            continue
        check(isinstance(d["fixes"], int) and d["fixes"] > 0, f"{name}: fixes {d['fixes']}")
        check(isinstance(d["messages"], int) and 0 < d["messages"] <= d["fixes"],
              f"{name}: messages {d['messages']}")
        vs = d["messages"] / d["distance_policy_messages"]
        reason, loose = KNOWN.get(name, ("", {}))
        lim_ratio = loose.get("ratio", TARGET_RATIO)
        lim_err = loose.get("max_err_m", TARGET_ERR_M)
        lim_vs = loose.get("vs_distance", TARGET_VS_DISTANCE)
        check(d["ratio"] <= lim_ratio, f"{name}: ratio {d['ratio']} > {lim_ratio}")
        check(d["max_err_m"] <= lim_err, f"{name}: max_err_m {d['max_err_m']} > {lim_err}")
        check(vs <= lim_vs, f"{name}: messages/distance {vs:.3f} > {lim_vs}")
        misses = [k for k, lim, v in (("ratio", TARGET_RATIO, d["ratio"]),
                                      ("max_err_m", TARGET_ERR_M, d["max_err_m"]),
                                      ("vs_distance", TARGET_VS_DISTANCE, vs)) if v > lim]
        note = f"  misses {','.join(misses)}: {reason}" if misses else ""
        print(f"{name:26} fixes {d['fixes']:5} messages {d['messages']:4} ratio "
              f"{d['ratio']:.4f} max_err {d['max_err_m']:7.1f} m vs distance {vs:.3f}{note}")
        # a known exception that now meets every target should leave KNOWN
        if name in KNOWN:
            check(misses, f"{name} meets every target now: remove it from KNOWN")
        # the same run twice prints the same
        rc2, out2, _ = run(sim, ["policy", path, "--state", "en_route", "--json"])
        check(rc2 == 0 and out2 == out, f"{name}: second run differs")

    # the table, other states, options
    sbn = os.path.join(tracks_dir, "sbn-v13.gpx")
    rc, out, _ = run(sim, ["policy", sbn])
    check(rc == 0 and "adaptive policy" in out and "distance threshold" in out, "table output")
    rc, out, _ = run(sim, ["policy", sbn, "--state", "idle", "--threshold", "20", "--json"])
    check(rc == 0 and json.loads(out)["messages"] > 0, "idle with --threshold")
    rc_a, out_a, _ = run(sim, ["policy", sbn, "--json", "--threshold", "20"])
    rc_b, out_b, _ = run(sim, ["policy", sbn, "--json", "--threshold", "100"])
    check(rc_a == 0 and rc_b == 0 and
          json.loads(out_a)["messages"] > json.loads(out_b)["messages"],
          "a tighter threshold sends more")
    rc, out, _ = run(sim, ["policy", "--help"])
    check(rc == 0 and "SYNOPSIS" in out and "max_err_m" in out, "policy --help")
    rc, out, _ = run(sim, ["--help"])
    check(rc == 0 and "policy" in out, "--help")
    rc, out, _ = run(sim, ["help", "policy"])
    check(rc == 0 and "SYNOPSIS" in out, "help policy")

    # usage errors: 2
    for args in (["policy"], ["policy", sbn, "--state", "flying"],
                 ["policy", sbn, "--threshold", "1"], ["policy", sbn, "--bogus"],
                 ["policy", sbn, sbn], ["nosuchcommand"], []):
        rc, _, err = run(sim, args)
        check(rc == 2 and err, f"usage error {args}: exit {rc}")

    # the trace: a header, then err_m empty before the first report
    rc, out, _ = run(sim, ["policy", sbn, "--json", "--trace", "-"])
    rows = [ln.split(",") for ln in out.splitlines() if not ln.startswith("{")]
    check(rc == 0 and rows[0][6] == "err_m" and rows[1][6] == "" and rows[1][7] == "first"
          and all(r[6] for r in rows[2:]), "trace err_m column")

    # a full disk: 1, said, not a silent success
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            p = subprocess.run([sim, "policy", sbn, "--json"], stdout=full,
                               stderr=subprocess.PIPE, text=True, timeout=120)
        check(p.returncode == 1 and "cannot write" in p.stderr,
              f"output to /dev/full: {p.returncode}")
        rc, _, err = run(sim, ["policy", sbn, "--json", "--trace", "/dev/full"])
        check(rc == 1 and "cannot write the trace" in err, f"trace to /dev/full: {rc}")

    # unreadable or malformed tracks: 1, with the line
    rc, _, err = run(sim, ["policy", "/nonexistent/track.gpx"])
    check(rc == 1 and "cannot open" in err, f"missing file: {rc} {err}")
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.gpx")
        with open(bad, "w") as f:
            f.write('<gpx version="1.1">\n<trk><trkseg>\n<trkpt lat="95" lon="0"/>\n'
                    '</trkseg></trk></gpx>\n')
        rc, _, err = run(sim, ["policy", bad])
        check(rc == 1 and ":3:" in err and "lat" in err, f"bad track: {rc} {err}")
        empty = os.path.join(tmp, "empty.gpx")
        with open(empty, "w") as f:
            f.write('<gpx version="1.0"></gpx>\n')
        rc, _, err = run(sim, ["policy", empty])
        check(rc == 1 and "no usable fix" in err, f"empty track: {rc} {err}")

    print(f"test_sim_policy: {trlib.passed} passed, {trlib.failed} failed")
    return 0 if trlib.failed == 0 and trlib.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
