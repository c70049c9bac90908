/* config: include = PATTERN, the config in pieces. */
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

#include "config.h"
#include "util.h"

#define INC_DIR FIXTURES "/include"

/* A fresh directory for one test's files (caller removes it with rm_dir). */
static char *
make_dir(void)
{
	char *dir;

	xasprintf(&dir, "%s/feedmux-include-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp %s", dir);
	return dir;
}

/* Writes dir/name (its directory must exist); returns the path. */
static char *
put(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	xasprintf(&path, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fail_msg("fopen %s", path);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
rm_dir(char *dir)
{
	char *cmd;

	xasprintf(&cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static void
test_conf_d(void **state)
{
	struct config *conf;
	const struct config_feed *f;
	char *errors = NULL;

	(void)state;
	conf = config_load(INC_DIR "/main.conf", &errors);
	if (conf == NULL)
		fail_msg("%s", errors);
	/* Name order; README and the hidden file are not *.conf matches. */
	assert_int_equal(conf->nfeeds, 2);
	assert_string_equal(conf->feeds[0].name, "world");
	assert_string_equal(conf->feeds[1].name, "asia");
	assert_int_equal(conf->feeds[1].interval, 3600);
	assert_int_equal(conf->noutputs, 2);
	assert_string_equal(conf->outputs[0].title, "everything");
	assert_string_equal(conf->outputs[1].name, "japan");

	/* Each section knows its file, for messages about it. */
	f = config_feed_find(conf, "world");
	assert_string_equal(f->file, INC_DIR "/conf.d/10-world.conf");
	assert_int_equal(f->line, 2);
	assert_string_equal(conf->outputs[0].file, INC_DIR "/main.conf");
	assert_int_equal(conf->outputs[0].line, 6);

	assert_int_equal(conf->nfiles, 3);
	assert_string_equal(conf->files[0], INC_DIR "/main.conf");
	assert_string_equal(conf->files[1], INC_DIR "/conf.d/10-world.conf");
	assert_string_equal(conf->files[2], INC_DIR "/conf.d/20-asia.conf");
	assert_int_equal(conf->nincludes, 1);
	assert_string_equal(conf->includes[0], INC_DIR "/conf.d/*.conf");
	assert_string_equal(conf->database, INC_DIR "/data/main.db");
	config_free(conf);
}

static void
test_relative_paths(void **state)
{
	struct config *conf;
	char *dir, *sub, *errors = NULL, cwd[4096], *want;

	(void)state;
	dir = make_dir();
	xasprintf(&sub, "%s/etc", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	free(put(dir, "etc/main.conf", "include = more/db.conf\n"));
	xasprintf(&want, "%s/etc/more", dir);
	assert_int_equal(mkdir(want, 0755), 0);
	free(want);
	/* Relative to the file that says it, not to the main file. */
	free(put(dir, "etc/more/db.conf", "[server]\ndatabase = state/x.db\n"));

	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	conf = config_load("etc/main.conf", &errors);
	if (conf == NULL)
		fail_msg("%s", errors);
	xasprintf(&want, "%s/etc/more/state/x.db", dir);
	/* dir may itself lie behind a symlink: compare the tails. */
	assert_true(str_has_suffix(conf->database, "/etc/more/state/x.db"));
	assert_string_equal(conf->files[0], "etc/main.conf");
	assert_true(str_has_suffix(conf->files[1], "/etc/more/db.conf"));
	assert_true(conf->includes[0][0] == '/');
	free(want);
	config_free(conf);
	assert_int_equal(chdir(cwd), 0);
	free(sub);
	rm_dir(dir);
}

/* Loads path, expects failure, returns the errors (caller frees). */
static char *
load_errors(const char *path)
{
	struct config *conf;
	char *errors = NULL;

	conf = config_load(path, &errors);
	if (conf != NULL)
		fail_msg("%s: accepted", path);
	assert_non_null(errors);
	return errors;
}

static void
test_errors_name_their_file(void **state)
{
	char *dir, *main, *a, *b, *errors, *want;

	(void)state;
	dir = make_dir();
	main = put(dir, "main.conf",
	    "[feed one]\n"
	    "url = http://127.0.0.1:1/one\n"
	    "bogus line\n"
	    "include = a.conf\n"
	    "include = b.conf\n");
	a = put(dir, "a.conf",
	    "\n"
	    "[feed two]\n"
	    "url = ftp://127.0.0.1/two\n");
	b = put(dir, "b.conf",
	    "[feed one]\n"
	    "url = http://127.0.0.1:1/again\n"
	    "[poll]\n"
	    "interval = soon\n");
	errors = load_errors(main);
	/* Each error in its own file, files in the order they were read. */
	xasprintf(&want,
	    "%s:3: missing '=' (use key = value)\n"
	    "%s:3: url: scheme \"ftp\" not supported (http or https)\n"
	    "%s:1: duplicate feed \"one\" (first at %s:1)\n"
	    "%s:4: interval: bad duration \"soon\" (use 90s, 15m, 2h, 1d)",
	    main, a, b, main, b);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(main);
	free(a);
	free(b);
	rm_dir(dir);
}

/*
 * An output's feeds may be defined in any file; an unknown one is told
 * where its feeds key is.
 */
static void
test_output_feeds(void **state)
{
	struct config *conf;
	char *dir, *main, *a, *b, *errors = NULL, *want;

	(void)state;
	dir = make_dir();
	main = put(dir, "main.conf",
	    "[output o]\n"
	    "feeds = two, one\n"
	    "include = a.conf\n"
	    "[feed one]\n"
	    "url = http://127.0.0.1:1/one\n");
	a = put(dir, "a.conf",
	    "[feed two]\n"
	    "url = http://127.0.0.1:1/two\n");
	conf = config_load(main, &errors);
	if (conf == NULL)
		fail_msg("%s", errors);
	assert_int_equal(conf->outputs[0].nfeeds, 2);
	config_free(conf);

	b = put(dir, "b.conf",
	    "\n"
	    "[output p]\n"
	    "feeds = one, three\n");
	free(main);
	main = put(dir, "main.conf",
	    "[output o]\n"
	    "feeds = two, four\n"
	    "include = a.conf\n"
	    "include = b.conf\n"
	    "[feed one]\n"
	    "url = http://127.0.0.1:1/one\n");
	errors = load_errors(main);
	xasprintf(&want,
	    "%s:2: feeds: no feed \"four\" in this configuration\n"
	    "%s:3: feeds: no feed \"three\" in this configuration",
	    main, b);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(main);
	free(a);
	free(b);
	rm_dir(dir);
}

static void
test_include_errors(void **state)
{
	char *dir, *main, *errors, *want;

	(void)state;
	dir = make_dir();

	/* A file named outright must exist; an empty glob is fine. */
	main = put(dir, "main.conf",
	    "include = conf.d/*.conf\n"
	    "include = missing.conf\n"
	    "include =\n");
	errors = load_errors(main);
	xasprintf(&want,
	    "%s:2: include: cannot open %s/missing.conf: No such file or "
	    "directory\n"
	    "%s:3: include: empty (use include = conf.d/*.conf)",
	    main, dir, main);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(main);

	/* A key after an include belongs to no section. */
	main = put(dir, "main.conf",
	    "[server]\n"
	    "include = empty.conf\n"
	    "listen = 127.0.0.1:1\n");
	free(put(dir, "empty.conf", "# nothing\n"));
	errors = load_errors(main);
	xasprintf(&want,
	    "%s:3: key \"listen\" outside a section (an include "
	    "ends the section before it)",
	    main);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(main);

	/* A feed section cut short by an include still needs its url. */
	main = put(dir, "main.conf",
	    "[feed x]\n"
	    "include = empty.conf\n"
	    "url = http://127.0.0.1:1/x\n");
	errors = load_errors(main);
	xasprintf(&want,
	    "%s:1: missing url in [feed x]\n"
	    "%s:3: key \"url\" outside a section (an include ends the section "
	    "before it)",
	    main, main);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(main);

	/* Duplicate keys across files name where the first one was. */
	main = put(dir, "main.conf",
	    "[server]\n"
	    "listen = 127.0.0.1:1\n"
	    "include = server.conf\n");
	free(put(dir, "server.conf", "[server]\nlisten = 127.0.0.1:2\n"));
	errors = load_errors(main);
	xasprintf(&want,
	    "%s/server.conf:2: duplicate key \"listen\" in "
	    "[server] (first at %s:2)",
	    dir, main);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(main);
	rm_dir(dir);
}

static void
test_include_loops(void **state)
{
	char *dir, *main, *errors, *want;

	(void)state;
	dir = make_dir();
	main = put(dir, "main.conf", "include = a.conf\n");
	free(put(dir, "a.conf", "include = b.conf\n"));
	free(put(dir, "b.conf", "include = *.conf\n"));
	errors = load_errors(main);
	/* b.conf's glob finds a.conf, b.conf and main.conf: all being read. */
	xasprintf(&want,
	    "%s/b.conf:1: include: %s/a.conf is already being read (an include "
	    "loop)\n"
	    "%s/b.conf:1: include: %s/b.conf is already being read (an include "
	    "loop)\n"
	    "%s/b.conf:1: include: %s/main.conf is already being read (an "
	    "include loop)",
	    dir, dir, dir, dir, dir, dir);
	assert_string_equal(errors, want);
	free(want);
	free(errors);

	/* A file that includes itself. */
	free(put(dir, "main.conf", "include = main.conf\n"));
	errors = load_errors(main);
	assert_non_null(strstr(errors, "is already being read"));
	free(errors);
	free(main);
	rm_dir(dir);
}

static void
test_reload_on_change(void **state)
{
	struct config *conf;
	char *dir, *path, *errors = NULL, *want;

	(void)state;
	dir = make_dir();
	path = put(dir, "a.conf", "# nothing\n");
	conf = config_load(path, &errors);
	assert_non_null(conf);
	assert_int_equal(conf->reload_on_change, 1);
	config_free(conf);
	free(path);

	path = put(dir, "a.conf", "[server]\nreload_on_change = no\n");
	conf = config_load(path, &errors);
	assert_non_null(conf);
	assert_int_equal(conf->reload_on_change, 0);
	config_free(conf);
	free(path);

	path = put(dir, "a.conf", "[server]\nreload_on_change = maybe\n");
	errors = load_errors(path);
	xasprintf(&want,
	    "%s:2: reload_on_change: \"maybe\" is neither yes "
	    "nor no",
	    path);
	assert_string_equal(errors, want);
	free(want);
	free(errors);
	free(path);
	rm_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conf_d),
	    cmocka_unit_test(test_relative_paths),
	    cmocka_unit_test(test_errors_name_their_file),
	    cmocka_unit_test(test_include_errors),
	    cmocka_unit_test(test_output_feeds),
	    cmocka_unit_test(test_include_loops),
	    cmocka_unit_test(test_reload_on_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
