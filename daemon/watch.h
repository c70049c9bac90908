/*
 * watch: notices when files change (inotify), so that the daemon can reload
 * its configuration on its own. It watches directories, not files: editors
 * and configuration managers replace a file by renaming a new one over it,
 * which a watch on the old file would never see. Changes are debounced: the
 * callback runs once the files have been quiet for a moment, so a save that
 * writes, renames and deletes gives one reload.
 */
#ifndef FEEDMUX_WATCH_H
#define FEEDMUX_WATCH_H

struct event_base;
struct watch;

typedef void (*watch_cb)(void *arg);

/*
 * quiet_ms: how long nothing must change before cb runs; it runs at the
 * latest max_ms after the first change, even if changes go on. NULL with
 * *cause if inotify is not available.
 */
struct watch *watch_new(struct event_base *, int quiet_ms, int max_ms, watch_cb,
    void *arg, char **cause);
void watch_free(struct watch *);

/* Forgets every path (a change already noticed still calls back). */
void watch_clear(struct watch *);
/*
 * Watches a file, or files matching a pattern whose last component may hold
 * glob wildcards ("/etc/feedmux/conf.d/ *.conf" without the space). Names
 * starting with '.' match only a pattern that starts with '.', as in glob(3).
 * If the directory does not exist yet, its creation counts as a change. 0, or
 * -1 with *cause.
 */
int watch_add(struct watch *, const char *path, char **cause);

#endif
