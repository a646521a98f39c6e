/*
 * tests/support/gpsfake.h: a private gpsd fed from a recorded NMEA log, for
 * one test (library tr_testsupport).
 *
 * trt_gpsfake_start runs `/usr/bin/python3 /usr/bin/gpsfake -q -1 -p -c CYCLE
 * -P PORT LOG` in a fresh temp dir (its TMPDIR, where gpsfake puts gpsd's
 * control socket), in a process group of its own, with stdout (gpsfake's own
 * client: the NMEA and gpsd's JSON reports, the same format as a .log.chk)
 * and stderr in files of that dir. It checks the port was free before and
 * waits (bounded) until gpsd accepts connections there while gpsfake lives.
 *
 * Why -p: without a client of its own gpsfake feeds the log before anyone
 * watches and never ends by itself (it spins until a 60 s timeout). With -p
 * it watches first, waits 1.4 s before feeding (connect within that time to
 * see the whole log), and exits when gpsd has read the whole log; killing
 * gpsfake (SIGTERM) makes it stop its gpsd.
 *
 * trt_gpsfake_stop ends it by PID (SIGTERM, bounded wait, then SIGKILL to the
 * whole group) and checks that no process of the group (gpsd included) is
 * left. trt_gpsfake_cleanup also removes the temp dir and the shared-memory
 * segment gpsd made for that port (gpsd leaves it behind). Spawned with
 * posix_spawn, never fork(), which hangs under qemu-user (see broker.h); a
 * native gpsfake started from an emulated test runs natively.
 *
 * Not thread-safe. No signal handlers: a test killed hard may leave its
 * gpsfake, gpsd and temp dir behind.
 */
#ifndef TR_TEST_GPSFAKE_H
#define TR_TEST_GPSFAKE_H

#include <sys/types.h>

struct trt_gpsfake_opts {
    const char *cycle; /* -c: seconds between sentences; NULL: "0.002" */
    int port;          /* 0: pick a free one; else this one (waits up to 5 s for it to be free) */
};

struct trt_gpsfake {
    int port;
    pid_t pid;  /* gpsfake while running, 0 once reaped */
    pid_t pgid; /* its process group (= its first pid), kept after it ended */
    int status; /* wait status once reaped */
    char dir[256];
    char out[320]; /* gpsfake -p output */
    char err[320]; /* gpsfake stderr */
};

/* 0 when gpsd accepts connections on f->port; -1 with a reason on stderr
 * (and gpsfake's stderr), everything it started already stopped and removed.
 * o may be NULL. */
int trt_gpsfake_start(struct trt_gpsfake *f, const char *log, const struct trt_gpsfake_opts *o);
/* 1 while gpsfake runs (reaps it once it ended). */
int trt_gpsfake_alive(struct trt_gpsfake *f);
/* Wait up to timeout_ms for gpsfake to end by itself: 0 when it did. */
int trt_gpsfake_wait(struct trt_gpsfake *f, int timeout_ms);
/* Stop gpsfake and its gpsd: 0 when no process of its group is left. Safe twice. */
int trt_gpsfake_stop(struct trt_gpsfake *f);
/* trt_gpsfake_stop, then remove the temp dir and gpsd's SHM segment. */
void trt_gpsfake_cleanup(struct trt_gpsfake *f);
/* Live (not zombie) processes whose process group is pgid (scans /proc). */
int trt_process_group_size(pid_t pgid);

#endif
