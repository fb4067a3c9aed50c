/* log.c - logging to stderr or syslog with levels (after OpenSMTPD log.c).
 * The destination is process-wide state set once by main(); libraries never call these. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "repute/log.h"

static const char *log_ident = "repute";
static bool log_syslog;
static enum log_level log_level = LOGL_INFO;

void log_init(const char *ident, bool to_syslog, enum log_level level)
{
	log_ident = ident;
	log_syslog = to_syslog;
	log_level = level;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

int log_level_parse(const char *name)
{
	static const char *names[] = { "error", "warn", "info", "debug" };

	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}

/* log_emit - write one line at a syslog priority, with an optional errno text. */
static void log_emit(int prio, enum log_level level, int err, const char *fmt, va_list ap)
{
	char msg[2048];

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (err)
			syslog(prio, "%s: %s", msg, strerror(err));
		else
			syslog(prio, "%s", msg);
		return;
	}
	static const char *tags[] = { "error", "warning", "info", "debug" };
	if (err)
		fprintf(stderr, "%s: %s: %s: %s\n", log_ident, tags[level], msg, strerror(err));
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, tags[level], msg);
}

#define LOG_BODY(prio, level, err) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(prio, level, err, fmt, ap); \
		va_end(ap); \
	} while (0)

void log_info(const char *fmt, ...) { LOG_BODY(LOG_INFO, LOGL_INFO, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_DEBUG, LOGL_DEBUG, 0); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_WARNING, LOGL_WARN, 0); }

void log_warn(const char *fmt, ...)
{
	int err = errno;

	LOG_BODY(LOG_WARNING, LOGL_WARN, err);
}

void log_fatal(const char *fmt, ...)
{
	int err = errno;

	LOG_BODY(LOG_CRIT, LOGL_ERROR, err);
	exit(1);
}

void log_fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, LOGL_ERROR, 0);
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, LOGL_ERROR, 0);
	abort();
}
