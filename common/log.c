/*
 * common/log.c: stderr logger with a level threshold. Does not buffer, rotate
 * or talk to syslog: stderr goes to the terminal or to journald.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Process-wide settings, written once in main() (see log.h). */
static _Atomic int log_level = TR_LOG_INFO;
static const char *_Atomic log_ident = "truckroll";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void tr_log_set_level(enum tr_log_level level)
{
    atomic_store(&log_level, (int)level);
}

enum tr_log_level tr_log_get_level(void)
{
    return (enum tr_log_level)atomic_load(&log_level);
}

void tr_log_set_ident(const char *ident)
{
    atomic_store(&log_ident, ident ? ident : "truckroll");
}

int tr_log_level_parse(const char *name, enum tr_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (name && strcmp(name, level_names[i]) == 0) {
            *out = (enum tr_log_level)i;
            return 0;
        }
    }
    return -1;
}

const char *tr_log_level_name(enum tr_log_level level)
{
    if ((int)level < 0 || (int)level > 3)
        return "?";
    return level_names[level];
}

/* One line per message whatever it quotes: a control character (a newline
 * in a JSON key from the network, say) becomes '?', so nobody can forge a
 * second log line. */
static void one_line(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
    }
}

void tr_log_write(enum tr_log_level level, const char *fmt, ...)
{
    char msg[1024];
    char stamp[32];
    struct timespec now;
    struct tm tm;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    one_line(msg);

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", stamp, now.tv_nsec / 1000000L,
            tr_log_level_name(level), atomic_load(&log_ident), msg);
}
