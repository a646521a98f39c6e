#!/usr/bin/env python3
"""tests/integration/test_cli_where.py: the real `truckroll where` binary.

Runs it as a user would: one point as a table and as JSON, lines on standard
input (good, at sea, invalid, garbage, comments), usage errors, a missing
data file, the environment override. Usage: test_cli_where.py TRUCKROLL GEO_BIN
"""
import json
import os
import subprocess
import sys

import trlib
from trlib import check


def run(args, stdin=None, env_extra=None, drop_env=True):
    env = dict(os.environ)
    if drop_env:
        env.pop("TRUCKROLL_GEO_DATA", None)
    env.update(env_extra or {})
    p = subprocess.run([TRUCKROLL] + args, input=stdin, capture_output=True, env=env, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


KEYS = {"country", "country_name", "state_fips", "state", "county_fips", "county"}


def main():
    # One point, table (default data path compiled into the build tree).
    rc, out, err = run(["where", "41.8781", "-87.6298"])
    check(rc == 0, f"table exit {rc} {err}")
    check("US" in out and "United States" in out and "IL" in out and "Illinois" in out
          and "17031" in out and "Cook" in out, f"table content: {out!r}")

    # Negative latitude first is a number, not an option.
    rc, out, err = run(["where", "--data", DATA, "-33.8688", "151.2093"])
    check(rc == 0 and "AU" in out and "Australia" in out, f"Sydney: {rc} {out!r} {err!r}")

    # One point as JSON.
    rc, out, err = run(["where", "--json", "--data", DATA, "30.2747", "-97.7404"])
    check(rc == 0, f"json exit {rc}")
    o = json.loads(out)
    check(KEYS <= set(o), f"json keys {sorted(o)}")
    check(o["country"] == "US" and o["country_name"] == "United States" and o["state"] == "TX"
          and o["state_fips"] == "48" and o["county_fips"] == "48453" and o["county"] == "Travis",
          f"Austin json {o}")

    # LAT,LON in one argument.
    rc, out, err = run(["where", "--json", f"--data={DATA}", "18.4655,-66.1057"])
    o = json.loads(out) if rc == 0 else {}
    check(o.get("country") == "PR" and o.get("state") == "PR" and o.get("county") == "San Juan",
          f"San Juan {rc} {out!r}")

    # At sea: every key null.
    rc, out, err = run(["where", "--json", "--data", DATA, "0", "-30"])
    o = json.loads(out)
    check(rc == 0 and all(o[k] is None for k in KEYS), f"sea {o}")

    # Invalid coordinates: clear error, exit 1; as JSON an error key.
    rc, out, err = run(["where", "--data", DATA, "91", "0"])
    check(rc == 1 and "latitude" in err, f"invalid table {rc} {err!r}")
    rc, out, err = run(["where", "--json", "--data", DATA, "45", "abc"])
    check(rc == 1 and "error" in json.loads(out) and "longitude" in err, f"invalid json {out!r}")

    # Standard input: one JSON object per non-blank, non-comment line.
    lines = [
        "41.8781 -87.6298",      # 1 Chicago
        "  61.2181,-149.9003  ", # 2 Anchorage, comma
        "",                      # 3 blank: skipped
        "# a comment",           # 4 skipped
        "0 -30",                 # 5 sea
        "hello world",           # 6 garbage
        "91 0",                  # 7 out of range
        "1 2 3",                 # 8 too many
        "nan 0",                 # 9 not a number
        "48.8566\t2.3522",       # 10 Paris, tab
        "1e999 0",               # 11 overflow
        "21.3069 -157.8583\r",   # 12 Honolulu, CRLF
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"12\x0034 5\n" + b"\xff\xfe 1\n" + b"13.4757 144.7489"
    rc, out, err = run(["where", "--data", DATA, "-"], stdin=stdin)
    check(rc == 1, f"stdin exit with bad lines: {rc}")
    objs = [json.loads(l) for l in out.splitlines()]
    check(len(objs) == 13, f"stdin objects: {len(objs)}")
    if len(objs) == 13:
        check(objs[0]["county"] == "Cook" and objs[0]["state"] == "IL", f"line 1 {objs[0]}")
        check(objs[1]["county_fips"] == "02020" and objs[1]["state"] == "AK", f"line 2 {objs[1]}")
        check(all(objs[2][k] is None for k in KEYS), f"line 5 sea {objs[2]}")
        for i, n in ((3, 6), (4, 7), (5, 8), (6, 9), (8, 11), (10, 13), (11, 14)):
            check("error" in objs[i] and objs[i].get("line") == n, f"bad line {n}: {objs[i]}")
        check(objs[7]["country"] == "FR" and objs[7]["state"] is None, f"Paris {objs[7]}")
        check(objs[9]["county"] == "Honolulu", f"Honolulu {objs[9]}")
        check(objs[12]["country"] == "GU" and objs[12]["county_fips"] == "66010",
              f"Guam without newline {objs[12]}")
        check("latitude" in objs[4]["error"], f"range error text {objs[4]}")

    # All good lines: exit 0.
    rc, out, err = run(["where", "--data", DATA, "-"], stdin=b"52.52 13.405\n35.6762 139.6503\n")
    check(rc == 0 and [json.loads(l)["country"] for l in out.splitlines()] == ["DE", "JP"],
          f"stdin ok {rc} {out!r}")

    # Usage errors and help.
    check(run(["where"])[0] == 2, "no args")
    check(run(["where", "--bogus", "1", "2"])[0] == 2, "unknown option")
    check(run(["where", "1", "2", "3"])[0] == 2, "too many args")
    check(run(["where", "-", "1"])[0] == 2, "stdin and a point")
    rc, out, _ = run(["where", "--help"])
    check(rc == 0 and "usage: truckroll where" in out, "where --help")
    rc, out, _ = run(["--help"])
    check(rc == 0 and "where" in out, "truckroll --help lists where")
    check(run([])[0] == 2, "truckroll without command")
    check(run(["frobnicate"])[0] == 2, "unknown command")

    # Data file: missing -> exit 3; environment override; --data beats it.
    rc, _, err = run(["where", "--data", "/nonexistent/geo.bin", "1", "2"])
    check(rc == 3 and "/nonexistent/geo.bin" in err, f"missing data {rc} {err!r}")
    rc, _, _ = run(["where", "1", "2"], env_extra={"TRUCKROLL_GEO_DATA": "/nonexistent/x"})
    check(rc == 3, "env override used")
    rc, out, _ = run(["where", "--data", DATA, "--json", "52.52", "13.405"],
                     env_extra={"TRUCKROLL_GEO_DATA": "/nonexistent/x"})
    check(rc == 0 and json.loads(out)["country"] == "DE", "--data beats the environment")

    print(f"integration.cli_where: {trlib.passed} passed, {trlib.failed} failed")
    return 0 if trlib.failed == 0 and trlib.passed > 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    TRUCKROLL, DATA = sys.argv[1], sys.argv[2]
    sys.exit(main())
