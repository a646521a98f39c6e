/*
 * common/log.h: the level-checked logger (redis serverLog style).
 *
 * Only the shell (app/, bus/, cli/) logs; pure cores return errors instead.
 * Output goes to stderr, one line per call, prefixed with an ISO-8601 UTC
 * time, the level and the program name. Journald reads stderr, so systemd
 * units need nothing more. Never log credentials.
 *
 * The level and program name are process-wide settings made once in main()
 * before threads start; tr_log itself is thread-safe (one fprintf per line).
 */
#ifndef TR_LOG_H
#define TR_LOG_H

enum tr_log_level {
    TR_LOG_ERROR = 0,
    TR_LOG_WARN = 1,
    TR_LOG_INFO = 2,
    TR_LOG_DEBUG = 3,
};

/* Set the threshold: messages above it are skipped before formatting. */
void tr_log_set_level(enum tr_log_level level);
enum tr_log_level tr_log_get_level(void);
/* Name printed on every line (not copied: pass a string that lives on). */
void tr_log_set_ident(const char *ident);
/* Parse "error", "warn", "info", "debug"; returns 0 on success, -1 otherwise. */
int tr_log_level_parse(const char *name, enum tr_log_level *out);
const char *tr_log_level_name(enum tr_log_level level);

void tr_log_write(enum tr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define tr_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= tr_log_get_level())                                                         \
            tr_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#define tr_log_error(...) tr_log(TR_LOG_ERROR, __VA_ARGS__)
#define tr_log_warn(...)  tr_log(TR_LOG_WARN, __VA_ARGS__)
#define tr_log_info(...)  tr_log(TR_LOG_INFO, __VA_ARGS__)
#define tr_log_debug(...) tr_log(TR_LOG_DEBUG, __VA_ARGS__)

#endif
