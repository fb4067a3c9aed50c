/* log.h - daemon and CLI logging: stderr in the foreground, syslog as a daemon.
 *
 * Library code never logs (it returns codes and diagnostics); programs call log_init once in
 * main. log_warn appends strerror(errno), log_warnx does not. log_fatal exits(1) and is for
 * start-up only; log_panic aborts on a broken invariant. Put ids in every line:
 * "report=R123 ip=192.0.2.7 action=listed". LOG_DEBUG_ON() gates hot-path debug output. */
#ifndef REPUTE_LOG_H
#define REPUTE_LOG_H

#include <stdbool.h>

enum log_level { LOGL_ERROR = 0, LOGL_WARN = 1, LOGL_INFO = 2, LOGL_DEBUG = 3 };

/* log_init - ident for syslog and the stderr prefix; to_syslog chooses the destination. */
void log_init(const char *ident, bool to_syslog, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* log_level_parse - "error", "warn", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *name);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define LOG_DEBUG_ON() (log_get_level() >= LOGL_DEBUG)

#endif
