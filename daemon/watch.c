/* realpath(3) is an XSI interface in glibc. */
#define _XOPEN_SOURCE 700

#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "util.h"
#include "watch.h"

#ifdef __linux__
#include <sys/inotify.h>

/* What changes a file in a directory, or the directory itself. */
#define WATCH_MASK                                                             \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |            \
	    IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch_dir {
	int wd;
	char *path;
	char **patterns; /* of names in it */
	size_t npatterns;
};

struct watch {
	int fd;
	struct event *ev;
	struct event *timer;
	int quiet_ms;
	int max_ms;
	int64_t first; /* ms of the first change not yet called back; 0 */
	watch_cb cb;
	void *arg;
	struct watch_dir *dirs;
	size_t ndirs;
};

static void
watch_fire(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	w->first = 0;
	w->cb(w->arg);
}

/* A change: (re)arm the timer for the end of the quiet time. */
static void
watch_changed(struct watch *w, const char *what)
{
	int64_t now = now_mono_ms(), delay;
	struct timeval tv;

	log_debug("watch: %s changed", what);
	if (w->first == 0)
		w->first = now;
	delay = w->quiet_ms;
	if (now + delay > w->first + w->max_ms)
		delay = w->first + w->max_ms - now;
	if (delay < 0)
		delay = 0;
	tv.tv_sec = (time_t)(delay / 1000);
	tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
	evtimer_add(w->timer, &tv);
}

static struct watch_dir *
watch_find(struct watch *w, int wd)
{
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	return NULL;
}

static void
watch_event(struct watch *w, const struct inotify_event *ev)
{
	struct watch_dir *d;

	if (ev->mask & IN_Q_OVERFLOW) {
		watch_changed(w, "(events lost)");
		return;
	}
	/* Events of watches already removed by watch_clear. */
	if ((d = watch_find(w, ev->wd)) == NULL)
		return;
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
		watch_changed(w, d->path);
		return;
	}
	if (ev->len == 0)
		return;
	for (size_t i = 0; i < d->npatterns; i++) {
		if (fnmatch(d->patterns[i], ev->name, FNM_PERIOD) == 0) {
			watch_changed(w, ev->name);
			return;
		}
	}
}

static void
watch_read(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	char buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;

	(void)what;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			watch_event(w, ev);
		}
	}
	if (n == -1 && errno != EAGAIN)
		log_warn("watch: read");
}

struct watch *
watch_new(struct event_base *base, int quiet_ms, int max_ms, watch_cb cb,
    void *arg, char **cause)
{
	struct watch *w;
	int fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		xasprintf(cause, "inotify: %s", strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->fd = fd;
	w->quiet_ms = quiet_ms;
	w->max_ms = max_ms < quiet_ms ? quiet_ms : max_ms;
	w->cb = cb;
	w->arg = arg;
	w->ev = event_new(base, fd, EV_READ | EV_PERSIST, watch_read, w);
	w->timer = evtimer_new(base, watch_fire, w);
	if (w->ev == NULL || w->timer == NULL || event_add(w->ev, NULL) != 0)
		fatalx("watch: cannot add events");
	return w;
}

void
watch_clear(struct watch *w)
{
	for (size_t i = 0; i < w->ndirs; i++) {
		inotify_rm_watch(w->fd, w->dirs[i].wd);
		free(w->dirs[i].path);
		str_list_free(w->dirs[i].patterns, w->dirs[i].npatterns);
	}
	free(w->dirs);
	w->dirs = NULL;
	w->ndirs = 0;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	watch_clear(w);
	event_free(w->ev);
	event_free(w->timer);
	close(w->fd);
	free(w);
}

/* Watches dir for names matching pattern; depth bounds the walk upwards. */
static int
watch_dir_add(struct watch *w, const char *dir, const char *pattern, int depth,
    char **cause)
{
	struct watch_dir *d;
	char *parent, *slash;
	int wd, rc;

	if ((wd = inotify_add_watch(w->fd, dir, WATCH_MASK)) == -1) {
		/* Not there yet: its creation is the change to wait for. */
		if ((errno == ENOENT || errno == ENOTDIR) && depth < 16 &&
		    strcmp(dir, "/") != 0 && strcmp(dir, ".") != 0) {
			parent = xstrdup(dir);
			slash = strrchr(parent, '/');
			if (slash == NULL)
				rc = watch_dir_add(
				    w, ".", dir, depth + 1, cause);
			else {
				*slash = '\0';
				rc = watch_dir_add(w,
				    slash == parent ? "/" : parent, slash + 1,
				    depth + 1, cause);
			}
			free(parent);
			return rc;
		}
		xasprintf(cause, "inotify: %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((d = watch_find(w, wd)) == NULL) {
		w->dirs = xreallocarray(w->dirs, w->ndirs + 1, sizeof *w->dirs);
		d = &w->dirs[w->ndirs++];
		memset(d, 0, sizeof *d);
		d->wd = wd;
		d->path = xstrdup(dir);
	}
	for (size_t i = 0; i < d->npatterns; i++)
		if (strcmp(d->patterns[i], pattern) == 0)
			return 0;
	d->patterns =
	    xreallocarray(d->patterns, d->npatterns + 1, sizeof *d->patterns);
	d->patterns[d->npatterns++] = xstrdup(pattern);
	log_debug("watch: %s/%s", dir, pattern);
	return 0;
}

static int
watch_path(struct watch *w, const char *path, char **cause)
{
	const char *slash;
	char *dir;
	int rc;

	if ((slash = strrchr(path, '/')) == NULL)
		return watch_dir_add(w, ".", path, 0, cause);
	if (slash[1] == '\0') {
		xasprintf(cause, "%s: not a file name", path);
		return -1;
	}
	dir = slash == path ? xstrdup("/")
			    : xstrndup(path, (size_t)(slash - path));
	if (strpbrk(dir, "*?[") != NULL) {
		xasprintf(cause,
		    "%s: wildcards are watched only in the last "
		    "part of a path",
		    path);
		free(dir);
		return -1;
	}
	rc = watch_dir_add(w, dir, slash + 1, 0, cause);
	free(dir);
	return rc;
}

int
watch_add(struct watch *w, const char *path, char **cause)
{
	struct stat st;
	char *real;
	int rc;

	if ((rc = watch_path(w, path, cause)) != 0)
		return rc;
	/* A symlinked file changes where it points to, too. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (real = realpath(path, NULL)) != NULL) {
		rc = watch_path(w, real, cause);
		free(real);
	}
	return rc;
}

#else /* !__linux__ */

struct watch *
watch_new(struct event_base *base, int quiet_ms, int max_ms, watch_cb cb,
    void *arg, char **cause)
{
	(void)base;
	(void)quiet_ms;
	(void)max_ms;
	(void)cb;
	(void)arg;
	xasprintf(cause, "watching files needs inotify (Linux)");
	return NULL;
}

void
watch_free(struct watch *w)
{
	(void)w;
}

void
watch_clear(struct watch *w)
{
	(void)w;
}

int
watch_add(struct watch *w, const char *path, char **cause)
{
	(void)w;
	xasprintf(cause, "%s: watching files needs inotify (Linux)", path);
	return -1;
}

#endif
