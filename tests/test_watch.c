#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "util.h"
#include "watch.h"

#define QUIET_MS 60
#define MAX_MS 400

struct fixture {
	struct event_base *base;
	struct watch *w;
	char *dir;
	int calls;
};

static void
called(void *arg)
{
	struct fixture *f = arg;

	f->calls++;
}

/* Runs the loop for ms milliseconds. */
static void
run_for(struct fixture *f, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static char *
path_of(struct fixture *f, const char *name)
{
	char *path;

	xasprintf(&path, "%s/%s", f->dir, name);
	return path;
}

/* Writes a file under a temporary name and renames it, as editors do. */
static void
save(struct fixture *f, const char *name, const char *text)
{
	char *path = path_of(f, name), *tmp;
	FILE *fp;

	xasprintf(&tmp, "%s.tmp~", path);
	assert_non_null(fp = fopen(tmp, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, path), 0);
	free(tmp);
	free(path);
}

/* Writes a file in place. */
static void
write_in_place(struct fixture *f, const char *name, const char *text)
{
	char *path = path_of(f, name);
	FILE *fp;

	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

static void
watch_paths(struct fixture *f)
{
	char *p, *cause = NULL;

	watch_clear(f->w);
	p = path_of(f, "main.conf");
	if (watch_add(f->w, p, &cause) != 0)
		fail_msg("%s", cause);
	free(p);
	p = path_of(f, "conf.d/*.conf");
	if (watch_add(f->w, p, &cause) != 0)
		fail_msg("%s", cause);
	free(p);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	char *cause = NULL;

	xasprintf(&f->dir, "%s/feedmux-watch-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	f->base = event_base_new();
	f->w = watch_new(f->base, QUIET_MS, MAX_MS, called, f, &cause);
	if (f->w == NULL)
		fail_msg("%s", cause);
	save(f, "main.conf", "[server]\n");
	watch_paths(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	watch_free(f->w);
	event_base_free(f->base);
	xasprintf(&cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->dir);
	free(f);
	return 0;
}

static void
test_save_by_rename(void **state)
{
	struct fixture *f = *state;
	int64_t t0 = now_mono_ms();

	save(f, "main.conf", "[server]\nlisten = *:1\n");
	/* Not before the quiet time (unless the machine stalled us past it). */
	run_for(f, QUIET_MS / 3);
	if (now_mono_ms() - t0 < QUIET_MS)
		assert_int_equal(f->calls, 0);
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 1);
	run_for(f, QUIET_MS * 2);
	assert_int_equal(f->calls, 1);

	write_in_place(f, "main.conf", "[server]\n");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 2);
}

static void
test_other_files_ignored(void **state)
{
	struct fixture *f = *state;

	/* The editor's own files, and a file that is not config. */
	write_in_place(f, ".main.conf.swp", "x");
	write_in_place(f, "main.conf~", "x");
	write_in_place(f, "notes.txt", "x");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 0);
}

static void
test_burst_is_one_change(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 5; i++)
		save(f, "main.conf", "[server]\n");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 1);
}

static void
test_conf_d(void **state)
{
	struct fixture *f = *state;
	char *d = path_of(f, "conf.d");

	/* conf.d does not exist yet: making it is a change. */
	assert_int_equal(mkdir(d, 0755), 0);
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 1);
	/* The daemon watches again after each reload. */
	watch_paths(f);

	save(f, "conf.d/10-a.conf", "[feed a]\n");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 2);

	write_in_place(f, "conf.d/README", "x");
	write_in_place(f, "conf.d/.hidden.conf", "x");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 2);

	/* A drop-in removed. */
	free(d);
	d = path_of(f, "conf.d/10-a.conf");
	assert_int_equal(unlink(d), 0);
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 3);

	/* After watch_clear nothing is watched. */
	watch_clear(f->w);
	save(f, "main.conf", "");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 3);
	free(d);
}

static void
test_symlinked_file(void **state)
{
	struct fixture *f = *state;
	char *real, *link, *cause = NULL;

	real = path_of(f, "real");
	assert_int_equal(mkdir(real, 0755), 0);
	free(real);
	real = path_of(f, "real/feedmux.conf");
	link = path_of(f, "main.conf");
	save(f, "real/feedmux.conf", "[server]\n");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(real, link), 0);
	watch_clear(f->w);
	assert_int_equal(watch_add(f->w, link, &cause), 0);
	run_for(f, QUIET_MS * 3);
	f->calls = 0;

	save(f, "real/feedmux.conf", "[poll]\n");
	run_for(f, QUIET_MS * 3);
	assert_int_equal(f->calls, 1);
	free(real);
	free(link);
}

static void
test_endless_changes(void **state)
{
	struct fixture *f = *state;
	int64_t t0 = now_mono_ms();

	/* Changes that never pause still call back within MAX_MS. */
	while (f->calls == 0 && now_mono_ms() - t0 < 10 * MAX_MS) {
		save(f, "main.conf", "[server]\n");
		run_for(f, QUIET_MS / 2);
	}
	/* Within the loop's bound; a loaded machine may pause on its own. */
	assert_int_equal(f->calls, 1);
}

static void
test_bad_paths(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;

	assert_int_equal(watch_add(f->w, "/tmp/*/x.conf", &cause), -1);
	assert_non_null(strstr(cause, "wildcards"));
	free(cause);
	assert_int_equal(watch_add(f->w, "/tmp/dir/", &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_save_by_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_other_files_ignored, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_burst_is_one_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conf_d, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_symlinked_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_endless_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
