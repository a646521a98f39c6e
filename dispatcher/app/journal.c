/*
 * dispatcher/app/journal.c: the receive journal, PATH-recv beside the
 * store (not PATH-journal: that name is SQLite's rollback journal).
 *
 * Why: paho-mqtt-c sends the PUBACK of a QoS 1 message before its callback
 * runs ("send puback before processing the publications", MQTTProtocol
 * handlePublishes), so the broker forgets a message the dispatcher has not
 * acted on yet; a crash then would lose an accept, a job event or a
 * job.create. The callback therefore appends every message except positions
 * (high volume, superseded by the next, deduplicated by seq) to this file
 * with one write() before queueing it: the kernel keeps it even when the
 * process is killed the next instant (not against power loss: that is what
 * the broker's own redelivery and the agents' outboxes are for). The worker
 * notes how far it has processed and empties the file whenever everything
 * appended has been handled. At the next start, recovery replays what the
 * file still holds; handling a message twice is harmless (job.create finds
 * its job by request id, answers and events already applied are duplicates).
 *
 * Record: "TRJ1", body length, topic / response-topic / correlation /
 * payload lengths, an FNV-1a checksum of the body, then the body. It is
 * replayed a window at a time, whatever its size. A record cut short by a
 * failed write is cut off the file at once, so later ones stay readable; a
 * torn tail (the process killed mid-write) or a damaged record ends the
 * replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

#define MAGIC         0x314a5254u       /* "TRJ1" */
#define READ_CHUNK    ((size_t)4 << 20) /* replayed a window at a time, whatever the size */
#define HEADER_FIELDS 7

static uint32_t fnv1a(const unsigned char *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static bool journaled(const char *topic)
{
    size_t n = strlen(topic);
    return !(n >= 4 && strcmp(topic + n - 4, "/loc") == 0);
}

void tr_journal_append(struct journal *j, struct inmsg *m)
{
    if (j->fd < 0 || !journaled(m->topic))
        return;
    size_t tl = strlen(m->topic), rl = m->resp_topic ? strlen(m->resp_topic) : 0;
    size_t body = tl + rl + m->corr_len + m->len;
    uint32_t h[HEADER_FIELDS] = {
        MAGIC, (uint32_t)body, (uint32_t)tl, (uint32_t)rl, (uint32_t)m->corr_len, (uint32_t)m->len,
        0
    };
    unsigned char *buf = malloc(sizeof(h) + body);
    if (!buf)
        return;
    unsigned char *p = buf + sizeof(h);
    memcpy(p, m->topic, tl);
    p += tl;
    if (rl)
        memcpy(p, m->resp_topic, rl);
    p += rl;
    if (m->corr_len)
        memcpy(p, m->corr, m->corr_len);
    p += m->corr_len;
    if (m->len)
        memcpy(p, m->payload, m->len);
    h[6] = fnv1a(buf + sizeof(h), body, 2166136261u);
    memcpy(buf, h, sizeof(h));
    ssize_t w = write(j->fd, buf, sizeof(h) + body);
    free(buf);
    if (w != (ssize_t)(sizeof(h) + body)) {
        if (!j->failed)
            tr_log_error("receive journal %s: write failed: %s", j->path, strerror(errno));
        j->failed = true;
        /* a part written (a full disk) would hide every later record from
         * the replay: cut the file back to its last whole record */
        if (w > 0 && ftruncate(j->fd, (off_t)j->bytes) != 0) {
            tr_log_error("receive journal %s: cannot cut a torn record: %s; not journaling",
                         j->path, strerror(errno));
            close(j->fd);
            j->fd = -1;
        }
        return;
    }
    j->bytes += sizeof(h) + body;
    m->jseq = ++j->appended;
}

/* Handle every intact record of data[0..n) (main thread, before the
 * worker): the bytes used; *bad when a damaged record (not just one cut at
 * n) stopped it. */
static size_t replay(struct app *a, const unsigned char *data, size_t n, size_t *count, bool *bad)
{
    size_t off = 0;
    uint32_t h[HEADER_FIELDS];
    *bad = false;
    while (n - off >= sizeof(h)) {
        memcpy(h, data + off, sizeof(h));
        size_t body = h[1];
        if (h[0] != MAGIC || (uint64_t)h[2] + h[3] + h[4] + h[5] != body || h[2] == 0 ||
            h[2] > 65535 || body > READ_CHUNK - sizeof(h)) {
            *bad = true;
            break;
        }
        if (body > n - off - sizeof(h))
            break; /* continues in the next window (or a torn tail) */
        if (fnv1a(data + off + sizeof(h), body, 2166136261u) != h[6]) {
            *bad = true;
            break;
        }
        const unsigned char *p = data + off + sizeof(h);
        char topic[65536];
        memcpy(topic, p, h[2]);
        topic[h[2]] = '\0';
        p += h[2];
        const char *rt = h[3] ? (const char *)p : NULL;
        p += h[3];
        const void *corr = h[4] ? p : NULL;
        p += h[4];
        struct inmsg *im =
            memchr(topic, '\0', h[2]) ? NULL : tr_inmsg_new(topic, p, h[5], rt, h[3], corr, h[4]);
        if (im) {
            tr_worker_handle(a, im);
            free(im);
            (*count)++;
        }
        off += sizeof(h) + body;
    }
    return off;
}

/* The whole file, READ_CHUNK at a time; the number of messages handled. */
static size_t replay_file(struct app *a, int fd, const char *path)
{
    unsigned char *buf = malloc(READ_CHUNK);
    size_t have = 0, count = 0;
    off_t at = 0;
    bool bad = false;
    if (!buf) {
        tr_log_error("receive journal %s: out of memory; not replayed", path);
        return 0;
    }
    for (;;) {
        ssize_t r = pread(fd, buf + have, READ_CHUNK - have, at);
        if (r < 0) {
            tr_log_error("receive journal %s: read failed: %s; the rest ignored", path,
                         strerror(errno));
            break;
        }
        at += r;
        have += (size_t)r;
        size_t used = replay(a, buf, have, &count, &bad);
        memmove(buf, buf + used, have - used);
        have -= used;
        if (bad || r == 0)
            break;
    }
    if (have || bad)
        tr_log_warn("receive journal %s: a %s record ignored, and what followed it", path,
                    bad ? "damaged" : "torn");
    free(buf);
    return count;
}

int tr_journal_open(struct app *a)
{
    struct journal *j = &a->in.j;
    snprintf(j->path, sizeof(j->path), "%s-recv", a->set.db_path);
    j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        tr_log_error("cannot open the receive journal %s: %s", j->path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(j->fd, &st) == 0 && st.st_size > 0) {
        size_t count = replay_file(a, j->fd, j->path);
        tr_log_info("receive journal: %zu message(s) received before the last stop handled again",
                    count);
    }
    if (ftruncate(j->fd, 0) != 0)
        tr_log_warn("receive journal %s: truncate failed: %s", j->path, strerror(errno));
    j->bytes = 0;
    return 0;
}

void tr_journal_trim(struct app *a)
{
    struct ingest *q = &a->in;
    struct journal *j = &q->j;
    if (j->fd < 0)
        return;
    pthread_mutex_lock(&q->mu);
    if (j->bytes > 0 && atomic_load(&j->processed) == j->appended) {
        if (ftruncate(j->fd, 0) == 0)
            j->bytes = 0;
    }
    pthread_mutex_unlock(&q->mu);
}

void tr_journal_close(struct journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
}
