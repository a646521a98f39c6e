#!/usr/bin/python3
"""tests/fault/outbox_kill_driver.py: the parent of fault.outbox_kill where
the test binary cannot fork (qemu-user, cross builds).

Usage: outbox_kill_driver.py EMULATOR... TEST_BINARY

Each round it runs `TEST_BINARY child DB ROUND` (under the emulator), reads a
random number of its progress lines, waits a random moment, SIGKILLs it,
collects the rest of its lines, then runs `TEST_BINARY verify DB ROUND LINES
STATE`, which checks the outbox file against the model (kept in STATE).
Bounded: 24 rounds, each child read for at most 120 s.
"""
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROUNDS = 24


def run_child(cmd, want, rng):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    fd = p.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + 120
    while buf.count(b"\n") < want and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
    time.sleep(rng.random() * 0.01)
    p.send_signal(signal.SIGKILL)
    rc = p.wait()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
    p.stdout.close()
    return rc, buf


def main():
    cmd = sys.argv[1:]
    if not cmd:
        print(__doc__)
        return 2
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    print("seed", seed)
    work = tempfile.mkdtemp(prefix="test_outbox_kill.")
    db = os.path.join(work, "outbox.db")
    state = os.path.join(work, "model.bin")
    kills = failures = 0
    try:
        for rnd in range(ROUNDS):
            rc, out = run_child(cmd + ["child", db, str(rnd)], 1 + rng.randrange(150), rng)
            if rc == -signal.SIGKILL:
                kills += 1
            elif rc != 0:
                print("round %d: child failed with %d" % (rnd, rc))
                failures += 1
            if out.count(b"\n") == 0:
                print("round %d: child made no progress" % rnd)
                failures += 1
            lines = os.path.join(work, "lines-%d.txt" % rnd)
            with open(lines, "wb") as f:
                f.write(out)
            v = subprocess.run(cmd + ["verify", db, str(rnd), lines, state],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
            text = v.stdout.decode(errors="replace")
            if v.returncode != 0:
                print(text)
                failures += 1
            elif rnd == ROUNDS - 1:
                print(text.strip())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if kills < 20:
        print("only %d kills" % kills)
        failures += 1
    print("%d kills" % kills)
    print("fault.outbox_kill: %d passed, %d failed" % (ROUNDS + 1 - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
