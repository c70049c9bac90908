#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "log.h"

static const char *log_progname = "feedmux";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_journal;

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connects to the
 * journal. The variable is inherited, so it only counts while stderr is that
 * very stream: not once a shell in a service redirects it to a file.
 */
static int
log_stderr_is_journal(void)
{
	const char *s;
	unsigned long long dev, ino;
	struct stat st;
	int n = 0;

	if ((s = getenv("JOURNAL_STREAM")) == NULL)
		return 0;
	if (sscanf(s, "%llu:%llu%n", &dev, &ino, &n) != 2 ||
	    (size_t)n != strlen(s))
		return 0;
	if (fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_level = level;
	log_journal = log_stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_vwrite(enum log_level, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vwrite(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char line[2048];
	size_t off = 0;
	int n;

	if (level > log_level)
		return;
	if (log_journal)
		off = (size_t)snprintf(line, sizeof line, "<%d>", (int)level);
	else
		off = (size_t)snprintf(line, sizeof line, "%s: ", log_progname);
	n = vsnprintf(line + off, sizeof line - off, fmt, ap);
	if (n < 0)
		n = 0;
	off += (size_t)n;
	if (off >= sizeof line)
		off = sizeof line - 1;
	if (errstr != NULL && off < sizeof line - 1)
		off += (size_t)snprintf(line + off, sizeof line - off, ": %s", errstr);
	if (off >= sizeof line)
		off = sizeof line - 1;
	/* One write per line, with control characters from outside made visible. */
	for (size_t i = 0; i < off; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			line[i] = '?';
	fprintf(stderr, "%.*s\n", (int)off, line);
}

#define LOG_FN(name, level, witherr)                                      \
	void name(const char *fmt, ...)                                   \
	{                                                                 \
		va_list ap;                                               \
		const char *e = (witherr) ? strerror(errno) : NULL;       \
		va_start(ap, fmt);                                        \
		log_vwrite(level, e, fmt, ap);                            \
		va_end(ap);                                               \
	}

LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_notice, LOG_LEVEL_NOTICE, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
