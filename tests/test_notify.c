#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"
#include "util.h"

/* A datagram listener standing in for systemd. */
struct listener {
	int fd;
	char path[108];
};

static void
listener_open(struct listener *l, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len;
	char name[64];

	snprintf(name, sizeof name, "feedmux-test-notify-%ld-%d",
	    (long)getpid(), abstract);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (abstract) {
		/* sun_path[0] stays NUL. */
		memcpy(sa.sun_path + 1, name, strlen(name));
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  strlen(name));
		snprintf(l->path, sizeof l->path, "@%s", name);
	} else {
		snprintf(l->path, sizeof l->path, "/tmp/%s", name);
		unlink(l->path);
		memcpy(sa.sun_path, l->path, strlen(l->path));
		len = sizeof sa;
	}
	l->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
	setenv("NOTIFY_SOCKET", l->path, 1);
}

static void
listener_close(struct listener *l)
{
	close(l->fd);
	if (l->path[0] == '/')
		unlink(l->path);
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram, waiting at most a second; "" if none came. */
static void
listener_recv(struct listener *l, char *buf, size_t size)
{
	struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
	ssize_t n;

	buf[0] = '\0';
	if (poll(&pfd, 1, 1000) != 1)
		return;
	n = recv(l->fd, buf, size - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
}

static void
check_messages(int abstract)
{
	struct listener l;
	char buf[512], *cause = NULL;

	listener_open(&l, abstract);
	assert_int_equal(notify_open(&cause), 1);
	assert_true(notify_enabled());

	assert_int_equal(notify_send("READY=1"), 0);
	listener_recv(&l, buf, sizeof buf);
	assert_string_equal(buf, "READY=1");

	assert_int_equal(notify_send("READY=1\nSTATUS=%d feeds", 12), 0);
	listener_recv(&l, buf, sizeof buf);
	assert_string_equal(buf, "READY=1\nSTATUS=12 feeds");

	/* A status never spills into a second assignment. */
	assert_int_equal(notify_status("a:1: bad\nREADY=1\tx"), 0);
	listener_recv(&l, buf, sizeof buf);
	assert_string_equal(buf, "STATUS=a:1: bad READY=1 x");

	assert_int_equal(notify_reloading(), 0);
	listener_recv(&l, buf, sizeof buf);
	assert_true(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0);
	assert_true(strlen(buf) > 27);
	assert_true(strspn(buf + 27, "0123456789") == strlen(buf + 27));

	notify_close();
	assert_false(notify_enabled());
	assert_int_equal(notify_send("STOPPING=1"), -1);
	listener_close(&l);
}

static void
test_path_socket(void **state)
{
	(void)state;
	check_messages(0);
}

static void
test_abstract_socket(void **state)
{
	(void)state;
	check_messages(1);
}

static void
test_no_socket(void **state)
{
	char *cause = NULL;
	static const char *bad[] = {"relative/path", "@", "/", ""};
	char longpath[200];

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_open(&cause), 0);
	assert_false(notify_enabled());
	assert_int_equal(notify_send("READY=1"), -1);
	assert_int_equal(notify_status("x"), -1);

	for (size_t i = 0; i < nitems(bad); i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		cause = NULL;
		/* "" is "not under systemd", the rest are errors. */
		if (*bad[i] == '\0') {
			assert_int_equal(notify_open(&cause), 0);
			continue;
		}
		assert_int_equal(notify_open(&cause), -1);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "NOTIFY_SOCKET"));
		free(cause);
	}
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(notify_open(&cause), -1);
	free(cause);
	unsetenv("NOTIFY_SOCKET");
	assert_false(notify_enabled());
}

static void
test_nobody_listening(void **state)
{
	char *cause = NULL;

	(void)state;
	setenv("NOTIFY_SOCKET", "/nonexistent/feedmux-notify", 1);
	assert_int_equal(notify_open(&cause), 1);
	/* Reported, never fatal. */
	assert_int_equal(notify_send("READY=1"), -1);
	notify_close();
	unsetenv("NOTIFY_SOCKET");
}

static void
test_watchdog(void **state)
{
	char pid[32];

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 30000000);
	/* Meant for another process. */
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "0", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "12x", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}

/* Puts a listening (or not) socket at descriptor 3, as systemd would. */
static int
passed_socket(int listening)
{
	struct sockaddr_un sa;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	if (listening) {
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		/* Autobind: an abstract address of the kernel's choosing. */
		assert_int_equal(
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)), 0);
		assert_int_equal(listen(fd, 1), 0);
	}
	if (fd != 3) {
		assert_int_equal(dup2(fd, 3), 3);
		close(fd);
	}
	return 3;
}

static void
set_listen_env(const char *pid, const char *n)
{
	char buf[32];

	if (pid == NULL) {
		snprintf(buf, sizeof buf, "%ld", (long)getpid());
		pid = buf;
	}
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", n, 1);
	setenv("LISTEN_FDNAMES", "feedmux.socket", 1);
}

static void
test_listen_fds(void **state)
{
	int *fds = NULL, fd;
	char *cause = NULL;

	(void)state;
	unsetenv("LISTEN_PID");
	assert_int_equal(notify_listen_fds(&fds, &cause), 0);
	assert_null(fds);

	fd = passed_socket(1);
	set_listen_env(NULL, "1");
	assert_int_equal(notify_listen_fds(&fds, &cause), 1);
	assert_non_null(fds);
	assert_int_equal(fds[0], 3);
	assert_true(fcntl(3, F_GETFD) & FD_CLOEXEC);
	assert_null(getenv("LISTEN_PID"));
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));
	free(fds);

	/* For another process: left alone. */
	set_listen_env("1", "1");
	assert_int_equal(notify_listen_fds(&fds, &cause), 0);
	assert_non_null(getenv("LISTEN_PID"));

	set_listen_env(NULL, "0");
	assert_int_equal(notify_listen_fds(&fds, &cause), 0);

	set_listen_env(NULL, "two");
	assert_int_equal(notify_listen_fds(&fds, &cause), -1);
	assert_non_null(strstr(cause, "LISTEN_FDS"));
	free(cause);

	set_listen_env("-5", "1");
	assert_int_equal(notify_listen_fds(&fds, &cause), -1);
	assert_non_null(strstr(cause, "LISTEN_PID"));
	free(cause);
	close(fd);

	/* A socket that does not listen is refused, not served on. */
	fd = passed_socket(0);
	set_listen_env(NULL, "1");
	assert_int_equal(notify_listen_fds(&fds, &cause), -1);
	assert_non_null(strstr(cause, "descriptor 3"));
	free(cause);
	close(fd);

	/* Nothing at all at descriptor 3. */
	set_listen_env(NULL, "1");
	assert_int_equal(notify_listen_fds(&fds, &cause), -1);
	free(cause);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_socket),
	    cmocka_unit_test(test_abstract_socket),
	    cmocka_unit_test(test_no_socket),
	    cmocka_unit_test(test_nobody_listening),
	    cmocka_unit_test(test_watchdog),
	    cmocka_unit_test(test_listen_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
