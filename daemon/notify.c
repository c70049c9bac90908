#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

/* systemd's own limit on the number of passed descriptors is far lower. */
#define LISTEN_FDS_MAX 64
#define LISTEN_FDS_START 3

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addrlen;

/* A decimal number that is all of s, in [min, max]. */
static int
notify_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int
notify_open(char **cause)
{
	const char *path;
	size_t len;

	notify_close();
	if ((path = getenv("NOTIFY_SOCKET")) == NULL || *path == '\0')
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len > sizeof notify_addr.sun_path) {
		xasprintf(cause,
		    "NOTIFY_SOCKET \"%s\" is not a unix socket "
		    "path (\"/...\" or \"@...\") that fits",
		    path);
		return -1;
	}
	memset(&notify_addr, 0, sizeof notify_addr);
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	/* An abstract address starts with a NUL and has no terminating one. */
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen =
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			(path[0] == '/' && len < sizeof notify_addr.sun_path));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1) {
		xasprintf(cause, "NOTIFY_SOCKET: socket: %s", strerror(errno));
		return -1;
	}
	return 1;
}

void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}

int
notify_enabled(void)
{
	return notify_fd != -1;
}

static int
notify_write(const char *msg, size_t len)
{
	ssize_t n;

	if (notify_fd == -1)
		return -1;
	/* The loop must not wait on systemd: a full queue loses the message. */
	do
		n = sendto(notify_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		    (struct sockaddr *)&notify_addr, notify_addrlen);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		log_debug("NOTIFY_SOCKET: cannot send \"%.*s\": %s",
		    (int)strcspn(msg, "\n"), msg, strerror(errno));
		return -1;
	}
	return 0;
}

int
notify_send(const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	if (notify_fd == -1)
		return -1;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	rc = notify_write(msg, strlen(msg));
	free(msg);
	return rc;
}

int
notify_status(const char *fmt, ...)
{
	va_list ap;
	char *text, *msg;
	int rc;

	if (notify_fd == -1)
		return -1;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	/* A newline would end the assignment and start another one. */
	for (char *s = text; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	xasprintf(&msg, "STATUS=%s", text);
	rc = notify_write(msg, strlen(msg));
	free(msg);
	free(text);
	return rc;
}

int
notify_reloading(void)
{
	struct timespec ts;
	unsigned long long usec;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		fatal("clock_gettime");
	usec = (unsigned long long)ts.tv_sec * 1000000ULL +
	       (unsigned long long)ts.tv_nsec / 1000ULL;
	return notify_send("RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

uint64_t
notify_watchdog_usec(void)
{
	long long n, pid;
	const char *s;

	if (notify_number(getenv("WATCHDOG_USEC"), 1, INT64_MAX, &n) != 0)
		return 0;
	/* Without WATCHDOG_PID the interval is meant for us. */
	if ((s = getenv("WATCHDOG_PID")) != NULL &&
	    (notify_number(s, 1, INT64_MAX, &pid) != 0 || pid != getpid()))
		return 0;
	return (uint64_t)n;
}

int
notify_listen_fds(int **fdsp, char **cause)
{
	long long pid, n;
	struct stat st;
	int *fds, fd, on, flags;
	socklen_t len;

	*fdsp = NULL;
	if (getenv("LISTEN_PID") == NULL)
		return 0;
	if (notify_number(getenv("LISTEN_PID"), 1, INT64_MAX, &pid) != 0) {
		xasprintf(cause, "socket activation: bad LISTEN_PID \"%s\"",
		    getenv("LISTEN_PID"));
		return -1;
	}
	/* The variables were meant for another process (inherited). */
	if (pid != getpid())
		return 0;
	if (notify_number(getenv("LISTEN_FDS"), 0, LISTEN_FDS_MAX, &n) != 0) {
		xasprintf(cause, "socket activation: bad LISTEN_FDS \"%s\"",
		    getenv("LISTEN_FDS") != NULL ? getenv("LISTEN_FDS") : "");
		return -1;
	}
	/* Children must not think these are theirs. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n == 0)
		return 0;

	fds = xcalloc((size_t)n, sizeof *fds);
	for (int i = 0; i < (int)n; i++) {
		fd = LISTEN_FDS_START + i;
		on = 0;
		len = sizeof on;
		if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 ||
		    !on) {
			xasprintf(cause,
			    "socket activation: descriptor %d is not "
			    "a listening socket (use ListenStream= in the "
			    "socket unit)",
			    fd);
			free(fds);
			return -1;
		}
		if ((flags = fcntl(fd, F_GETFD)) == -1 ||
		    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
			xasprintf(cause, "socket activation: descriptor %d: %s",
			    fd, strerror(errno));
			free(fds);
			return -1;
		}
		fds[i] = fd;
	}
	*fdsp = fds;
	return (int)n;
}
