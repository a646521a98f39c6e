"""tests/integration/trlib.py: helpers shared by the Python integration tests
(imported from the test's own directory): CHECK-style counting like
tests/support/check.h, and free 127.0.0.1 ports. It starts no process and
knows nothing of truckroll's daemons or topics.
"""
import socket
import sys

passed = 0
failed = 0


def check(cond, what):
    """Count one check; print what failed on stderr."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"CHECK failed: {what}", file=sys.stderr)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_free(port, reuseaddr=False):
    """Whether port can be bound on 127.0.0.1 now (reuseaddr: with
    SO_REUSEADDR, so a port in TIME_WAIT counts as free)."""
    s = socket.socket()
    if reuseaddr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
