/*
 * log: one line per event, on stderr. When stderr is systemd's journal
 * (JOURNAL_STREAM names it) each line carries its syslog priority as a "<N>"
 * prefix instead of the program's name.
 */
#ifndef FEEDMUX_LOG_H
#define FEEDMUX_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

void log_init(const char *progname, enum log_level);
void log_set_level(enum log_level);
enum log_level log_get_level(void);

/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/* For impossible states and allocation failure only: logs and exits. */
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
