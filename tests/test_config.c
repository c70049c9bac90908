#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "config.h"
#include "match.h"
#include "util.h"

#define CONF_DIR FIXTURES "/config"
#define NAME_HINT "(1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')"
#define LISTEN_HINT "(use host:port, [v6addr]:port or *:port)"
#define SECTION_HINT "(use server, poll, feed NAME or output NAME)"

/* Writes len bytes (strlen if 0) to a fresh file; returns its path. */
static char *
write_temp(const char *text, size_t len)
{
	char *path;
	FILE *f;
	int fd;

	xasprintf(&path, "%s/feedmux-test-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		fail_msg("mkstemp %s", path);
	if ((f = fdopen(fd, "w")) == NULL)
		fail_msg("fdopen %s", path);
	if (len == 0)
		len = strlen(text);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/*
 * Loads text and expects exactly the errors in want, written as
 * "LINE: message" lines that the test prefixes with the file's path.
 */
static void
expect_errors(const char *text, size_t len, const char *want)
{
	struct config *conf;
	struct buf b;
	char *path, *errors = NULL;
	const char *line, *nl;

	path = write_temp(text, len);
	conf = config_load(path, &errors);
	if (conf != NULL)
		fail_msg("accepted:\n%s", text);
	assert_non_null(errors);

	buf_init(&b);
	buf_adds(&b, "");
	for (line = want; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		buf_printf(&b, "%s%s:%.*s", b.len > 0 ? "\n" : "", path,
		    (int)(nl - line), line);
		if (*nl == '\0')
			break;
	}
	assert_string_equal(errors, b.data);
	buf_free(&b);
	free(errors);
	unlink(path);
	free(path);
}

static struct config *
load_text(const char *text)
{
	struct config *conf;
	char *path, *errors = NULL;

	path = write_temp(text, 0);
	conf = config_load(path, &errors);
	if (conf == NULL)
		fail_msg("rejected:\n%s\nerrors:\n%s", text, errors);
	assert_null(errors);
	unlink(path);
	free(path);
	return conf;
}

/*
 * Many feeds, written in no order: each is found by name where it is, and
 * names between, before and after them are not; a name written three times
 * is said twice, each time naming the first.
 */
static void
test_feed_find_many(void **state)
{
	struct config *conf;
	struct buf b;
	char name[32];
	const size_t n = 2000;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		/* A permutation of 0..n-1 (7919 is prime, n is not its multiple). */
		size_t k = (i * 7919) % n;

		buf_printf(&b, "[feed f%05zu]\nurl = http://127.0.0.1/%zu\n",
		    2 * k + 1, k);
	}
	conf = load_text(b.data);
	buf_free(&b);
	assert_int_equal(conf->nfeeds, n);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(config_feed_find(conf, conf->feeds[i].name),
		    &conf->feeds[i]);
	for (size_t k = 0; k <= n; k++) {
		snprintf(name, sizeof name, "f%05zu", 2 * k);
		assert_null(config_feed_find(conf, name));
	}
	assert_null(config_feed_find(conf, ""));
	assert_null(config_feed_find(conf, "f"));
	assert_null(config_feed_find(conf, "zzz"));
	config_free(conf);

	expect_errors("[feed b]\nurl = http://b/\n[feed a]\nurl = http://a/\n"
		      "[feed b]\nurl = http://c/\n[feed b]\nurl = http://d/\n",
	    0,
	    "5: duplicate feed \"b\" (first at line 1)\n"
	    "7: duplicate feed \"b\" (first at line 1)");
}

static void
test_full(void **state)
{
	const struct config_feed *f;
	const struct config_output *o;
	struct config *conf;
	char *errors = (char *)"unset";

	(void)state;
	conf = config_load(CONF_DIR "/full.conf", &errors);
	if (conf == NULL)
		fail_msg("%s", errors);
	assert_null(errors);

	assert_string_equal(conf->path, CONF_DIR "/full.conf");
	assert_string_equal(conf->listen_host, "::1");
	assert_int_equal(conf->listen_port, 9090);
	assert_string_equal(conf->database, "/srv/feedmux/test.db");
	assert_int_equal(conf->interval, 5400);
	assert_int_equal(conf->concurrency, 4);
	assert_int_equal(conf->per_host, 3);
	assert_int_equal(conf->min_interval, 120);
	assert_int_equal(conf->max_backoff, 12 * 3600);
	assert_int_equal(conf->startup_spread, 0);
	assert_int_equal(conf->connect_timeout, 5);
	assert_int_equal(conf->timeout, 120);
	assert_int_equal(conf->low_speed_limit, 2048);
	assert_int_equal(conf->low_speed_time, 60);
	assert_int_equal(conf->max_size, 4 * 1024 * 1024);
	assert_string_equal(conf->contact, "https://example-org.localhost/feedmux-admin");
	assert_string_equal(conf->proxy, "socks5h://127.0.0.1:1080");

	assert_int_equal(conf->nfeeds, 2);
	f = &conf->feeds[0];
	assert_string_equal(f->name, "sputnik-ar");
	assert_string_equal(
	    f->url, "https://sarabic.localhost/export/rss2/archive/index.xml");
	assert_int_equal(f->interval, 600);
	assert_int_equal(f->line, 9);
	assert_int_equal(f->url_line, 10);
	f = &conf->feeds[1];
	assert_string_equal(f->name, "bbc_arabic.2");
	assert_string_equal(
	    f->url, "https://feeds.bbci.localhost/arabic/rss.xml?a=1#frag");
	/* [poll] comes later in the file and still counts. */
	assert_int_equal(f->interval, 5400);
	assert_int_equal(f->line, 13);

	assert_int_equal(conf->noutputs, 2);
	o = &conf->outputs[0];
	assert_string_equal(o->name, "russia-japan");
	assert_string_equal(o->title, "روسيا واليابان");
	assert_int_equal(o->nkeywords, 3);
	assert_string_equal(o->keywords[0], "روسيا");
	assert_string_equal(o->keywords[1], "اليابان");
	assert_string_equal(o->keywords[2], "Korea, North");
	assert_int_equal(o->nrequire, 2);
	assert_string_equal(o->require[0], "كوريا الشمالية");
	assert_string_equal(o->require[1], "Pyongyang*");
	assert_int_equal(o->nexclude, 1);
	assert_string_equal(o->exclude[0], "رياضة");
	assert_int_equal(o->fields,
	    MATCH_FIELD_TITLE | MATCH_FIELD_CATEGORIES | MATCH_FIELD_AUTHOR);
	/* Named twice, kept once, in the order written. */
	assert_int_equal(o->nfeeds, 2);
	assert_string_equal(o->feeds[0], "bbc_arabic.2");
	assert_string_equal(o->feeds[1], "sputnik-ar");
	assert_int_equal(o->max_items, 200);
	assert_int_equal(o->line, 16);
	o = &conf->outputs[1];
	assert_string_equal(o->name, "all");
	assert_string_equal(o->title, "all");
	assert_int_equal(o->nkeywords, 0);
	assert_null(o->keywords);
	assert_int_equal(o->nrequire, 0);
	assert_null(o->require);
	assert_int_equal(o->nexclude, 0);
	assert_int_equal(o->fields, MATCH_FIELDS_DEFAULT);
	assert_int_equal(o->nfeeds, 0);
	assert_null(o->feeds);
	assert_int_equal(o->max_items, 100);
	assert_int_equal(o->line, 40);

	assert_ptr_equal(
	    config_feed_find(conf, "bbc_arabic.2"), &conf->feeds[1]);
	assert_ptr_equal(config_feed_find(conf, "sputnik-ar"), &conf->feeds[0]);
	assert_null(config_feed_find(conf, "sputnik"));
	assert_null(config_feed_find(conf, "all"));
	assert_ptr_equal(config_output_find(conf, "all"), &conf->outputs[1]);
	assert_ptr_equal(
	    config_output_find(conf, "russia-japan"), &conf->outputs[0]);
	assert_null(config_output_find(conf, "Russia-Japan"));
	assert_null(config_output_find(conf, "sputnik-ar"));
	config_free(conf);
}

static void
test_defaults(void **state)
{
	struct config *conf;

	(void)state;
	conf = load_text("");
	assert_string_equal(conf->listen_host, "127.0.0.1");
	assert_int_equal(conf->listen_port, 8080);
	assert_string_equal(conf->database, CONFIG_DEFAULT_DATABASE);
	assert_int_equal(conf->interval, CONFIG_DEFAULT_INTERVAL);
	assert_int_equal(conf->concurrency, CONFIG_DEFAULT_CONCURRENCY);
	assert_int_equal(conf->per_host, 2);
	assert_int_equal(conf->min_interval, 60);
	assert_int_equal(conf->max_backoff, 86400);
	assert_int_equal(conf->startup_spread, 60);
	assert_int_equal(conf->connect_timeout, 15);
	assert_int_equal(conf->timeout, 60);
	assert_int_equal(conf->low_speed_limit, 1024);
	assert_int_equal(conf->low_speed_time, 30);
	assert_int_equal(conf->max_size, 16 * 1024 * 1024);
	assert_null(conf->contact);
	assert_null(conf->proxy);
	assert_int_equal(conf->nfeeds, 0);
	assert_null(conf->feeds);
	assert_int_equal(conf->noutputs, 0);
	assert_null(conf->outputs);
	config_free(conf);

	conf = load_text("[feed a]\nurl = http://example-com.localhost/\n"
			 "[output b]\nkeywords =\n");
	assert_int_equal(conf->nfeeds, 1);
	assert_int_equal(conf->feeds[0].interval, 900);
	assert_int_equal(conf->noutputs, 1);
	assert_string_equal(conf->outputs[0].title, "b");
	assert_int_equal(conf->outputs[0].nkeywords, 0);
	assert_int_equal(conf->outputs[0].max_items, CONFIG_DEFAULT_MAX_ITEMS);
	assert_int_equal(conf->outputs[0].fields, MATCH_FIELDS_DEFAULT);
	assert_null(conf->outputs[0].require);
	assert_null(conf->outputs[0].feeds);
	assert_null(conf->outputs[0].hub);
	assert_null(conf->public_url);
	config_free(conf);

	/* Links are made by appending "/feeds/...": no trailing slash. */
	conf = load_text("[server]\npublic_url = https://x.example/feedmux//\n"
			 "[output b]\nhub = https://hub.example/\n");
	assert_string_equal(conf->public_url, "https://x.example/feedmux");
	assert_string_equal(conf->outputs[0].hub, "https://hub.example/");
	config_free(conf);

	/* Every field; a feed named before its section. */
	conf = load_text("[output o]\nfields = author, content, summary, "
			 "categories, title\nfeeds = a\n"
			 "[feed a]\nurl = http://example-com.localhost/\n");
	assert_int_equal(conf->outputs[0].fields, MATCH_FIELDS_ALL);
	assert_int_equal(conf->outputs[0].nfeeds, 1);
	config_free(conf);

	config_free(NULL);
}

/* Layout that the parser must tolerate. */
static void
test_syntax(void **state)
{
	struct config *conf;

	(void)state;
	/* A byte order mark, CRLF, blank and white lines, '=' in values. */
	conf = load_text("\xef\xbb\xbf[feed a]\r\n\r\n   \t\r\n"
			 "url=http://example-com.localhost/?x=1&y=2#top\r\n"
			 "[ output  b ]\n"
			 "title = a = b ; # not a comment\n"
			 "\t; comment\n# comment\n");
	assert_string_equal(
	    conf->feeds[0].url, "http://example-com.localhost/?x=1&y=2#top");
	assert_string_equal(conf->outputs[0].name, "b");
	assert_string_equal(conf->outputs[0].title, "a = b ; # not a comment");
	config_free(conf);

	/* A last line without its newline. */
	conf = load_text("[poll]\nconcurrency = 1000");
	assert_int_equal(conf->concurrency, 1000);
	config_free(conf);

	/* [server] may be split, as long as no key repeats. */
	conf = load_text("[server]\nlisten = *:0\n[poll]\n[server]\n"
			 "database = :memory:\n");
	assert_string_equal(conf->listen_host, "*");
	assert_int_equal(conf->listen_port, 0);
	assert_string_equal(conf->database, ":memory:");
	config_free(conf);
}

static void
test_error_kinds(void **state)
{
	static const struct {
		const char *text;
		const char *errors;
	} cases[] = {
	    {"[servr]\nlisten = *:80\n",
		"1: unknown section [servr] " SECTION_HINT},
	    {"[]\n", "1: unknown section [] " SECTION_HINT},
	    {"[Server]\n", "1: unknown section [Server] " SECTION_HINT},
	    {"[server\n", "1: missing ']' in section header"},
	    {"[server] # main\n", "1: unexpected text after ']' "
				  "(comments go on lines of their own)"},
	    {"[server x]\n", "1: [server] takes no name"},
	    {"[poll x]\n", "1: [poll] takes no name"},
	    {"[feed]\n", "1: [feed] needs a name, as in [feed NAME]"},
	    {"[output  ]\n", "1: [output] needs a name, as in [output NAME]"},
	    {"[server]\nport = 80\n", "2: unknown key \"port\" in [server]"},
	    {"[server]\nListen = *:80\n",
		"2: unknown key \"Listen\" in [server]"},
	    {"[poll]\nlisten = *:80\n", "2: unknown key \"listen\" in [poll]"},
	    {"[feed bbc]\nurl = http://a/\ntitle = BBC\n",
		"3: unknown key \"title\" in [feed bbc]"},
	    {"[output all]\nurl = http://a/\n",
		"2: unknown key \"url\" in [output all]"},
	    {"listen = *:80\n", "1: key \"listen\" outside a section"},
	    {"[server]\nlisten *:80\n", "2: missing '=' (use key = value)"},
	    {"[server]\n = *:80\n", "2: missing key before '='"},
	    {"[server]\nlisten = *:80\nlisten = *:81\n",
		"3: duplicate key \"listen\" in [server] (first at line 2)"},
	    {"[server]\nlisten = *:80\n[server]\nlisten = *:81\n",
		"4: duplicate key \"listen\" in [server] (first at line 2)"},
	    {"[output o]\nmax_items = 1\n\nmax_items = 2\n",
		"4: duplicate key \"max_items\" in [output o] "
		"(first at line 2)"},
	    {"[output o]\nhub = http://h/\nhub = http://h/\n",
		"3: duplicate key \"hub\" in [output o] (first at line 2)"},
	    {"[output o]\nhub = ftp://h/\n",
		"2: hub: scheme \"ftp\" not supported (http or https)"},
	    {"[output o]\nhub =\n",
		"2: hub: \"\" is not an http:// or https:// URL"},
	    {"[server]\npublic_url = feeds.example-org.localhost\n",
		"2: public_url: \"feeds.example-org.localhost\" is not an http:// or "
		"https:// URL"},
	    {"[poll]\ninterval = 15x\n", "2: interval: bad duration "
					 "\"15x\" (use 90s, 15m, 2h, 1d)"},
	    {"[poll]\ninterval = 0s\n",
		"2: interval: \"0s\" out of range (1s to 7d)"},
	    {"[poll]\ninterval = 7d1s\n",
		"2: interval: \"7d1s\" out of range (1s to 7d)"},
	    {"[poll]\ninterval =\n",
		"2: interval: bad duration \"\" (use 90s, 15m, 2h, 1d)"},
	    {"[poll]\nper_host = 0\n",
		"2: per_host: bad number \"0\" (use 1 to 100)"},
	    {"[poll]\nmin_interval = 2d\n",
		"2: min_interval: \"2d\" out of range (1s to 1d)"},
	    {"[poll]\nmax_size = 16X\n",
		"2: max_size: bad size \"16X\" (use 512, 64k, 16M, 1G)"},
	    {"[poll]\nmax_size = 2G\n",
		"2: max_size: \"2G\" out of range (1k to 1G)"},
	    {"[poll]\ntimeout = 0s\n",
		"2: timeout: \"0s\" out of range (1s to 1h)"},
	    {"[poll]\ncontact = ftp://example-org.localhost/\n",
		"2: contact: scheme \"ftp\" not supported (http or https)"},
	    {"[poll]\nproxy = ftp://127.0.0.1/\n",
		"2: proxy: \"ftp://127.0.0.1/\" is not a proxy URL (http://, "
		"https://, socks4://, socks4a://, socks5:// or socks5h://; "
		"none for no proxy)"},
	    {"[poll]\ninterval = 30s\n",
		"2: interval: below min_interval (30s < 60s)"},
	    {"[feed a]\nurl = http://a/\ninterval = 10s\n"
	     "[poll]\nmin_interval = 20s\n",
		"1: [feed a] interval: below min_interval (10s < 20s)"},
	    {"[poll]\nconcurrency = 0\n",
		"2: concurrency: bad number \"0\" (use 1 to 1000)"},
	    {"[poll]\nconcurrency = 1001\n",
		"2: concurrency: bad number \"1001\" (use 1 to 1000)"},
	    {"[poll]\nconcurrency = -1\n",
		"2: concurrency: bad number \"-1\" (use 1 to 1000)"},
	    {"[poll]\nconcurrency = 99999999999999999999999\n",
		"2: concurrency: bad number \"99999999999999999999999\" "
		"(use 1 to 1000)"},
	    {"[output o]\nmax_items = 0\n",
		"2: max_items: bad number \"0\" (use 1 to 10000)"},
	    {"[output o]\nmax_items = 10001\n",
		"2: max_items: bad number \"10001\" (use 1 to 10000)"},
	    {"[output o]\nmax_items = 1e3\n",
		"2: max_items: bad number \"1e3\" (use 1 to 10000)"},
	    {"[output o]\ntitle =\n",
		"2: title: empty (leave it out to use the name)"},
	    {"[output o]\nkeywords = a,,b\n", "2: keywords: empty "
					      "element in list (in \"a,,b\")"},
	    {"[output o]\nexclude = \"a\n",
		"2: exclude: unterminated quote (in \"\"a\")"},
	    {"[output o]\nkeywords = \"\"\n", "2: keywords: empty "
					      "element in list (in \"\"\"\")"},
	    {"[server]\ndatabase =\n", "2: database: empty path"},
	    {"[output o]\nrequire = a,,b\n", "2: require: empty "
					     "element in list (in \"a,,b\")"},
	    {"[output o]\nrequire = a\nrequire = b\n",
		"3: duplicate key \"require\" in [output o] "
		"(first at line 2)"},
	    {"[output o]\nfields = title, body\n",
		"2: fields: unknown field \"body\" (use title, summary, "
		"content, categories, author)"},
	    {"[output o]\nfields = Title\n",
		"2: fields: unknown field \"Title\" (use title, summary, "
		"content, categories, author)"},
	    {"[output o]\nfields =\n",
		"2: fields: empty (leave it out for title, summary, "
		"content)"},
	    {"[output o]\nfields = title,,author\n",
		"2: fields: empty element in list (in \"title,,author\")"},
	    {"[output o]\nfeeds =\n",
		"2: feeds: empty (leave it out to draw on every feed)"},
	    {"[output o]\nfeeds = a, b c\n",
		"2: feeds: bad feed name \"b c\" " NAME_HINT},
	    {"[output o]\nfeeds = \"a\n",
		"2: feeds: unterminated quote (in \"\"a\")"},
	    /* Unknown feeds are told once the whole file is read. */
	    {"[feed a]\nurl = http://a/\n[output o]\n\nfeeds = a, b, c\n"
	     "[feed b]\nurl = http://b/\n[output p]\nfeeds = c\n",
		"5: feeds: no feed \"c\" in this configuration\n"
		"9: feeds: no feed \"c\" in this configuration"},
	    /* Feed names are case-sensitive, as sections are. */
	    {"[feed bbc]\nurl = http://a/\n[output o]\nfeeds = BBC\n",
		"4: feeds: no feed \"BBC\" in this configuration"},
	    {"[feed a]\nurl = http://a/\n[feed a]\nurl = http://b/\n",
		"3: duplicate feed \"a\" (first at line 1)"},
	    {"[output a]\n[feed a]\nurl = http://a/\n[output a]\n",
		"4: duplicate output \"a\" (first at line 1)"},
	    {"[feed a]\ninterval = 5m\n\n[poll]\n",
		"1: missing url in [feed a]"},
	    {"[feed a]\n", "1: missing url in [feed a]"},
	    {"[feed a]\nurl = ftp://example-com.localhost/rss\n",
		"2: url: scheme "
		"\"ftp\" not supported (http or https)"},
	    {"[feed a]\nurl = file:///etc/passwd\n",
		"2: url: scheme "
		"\"file\" not supported (http or https)"},
	    {"[feed a]\nurl = example-com.localhost/rss\n",
		"2: url: "
		"\"example-com.localhost/rss\" is not an http:// or https:// URL"},
	    {"[feed a]\nurl = javascript:alert(1)\n",
		"2: url: "
		"\"javascript:alert(1)\" is not an http:// or https:// "
		"URL"},
	    {"[feed a]\nurl =\n",
		"2: url: \"\" is not an http:// or https:// URL"},
	    {"[feed a]\nurl = http://:80/rss\n",
		"2: url: no host in \"http://:80/rss\""},
	    {"[feed a]\nurl = https://\n", "2: url: no host in \"https://\""},
	    {"[feed .a]\nurl = http://a/\n",
		"1: bad feed name \".a\" " NAME_HINT},
	    {"[output a/b]\n", "1: bad output name \"a/b\" " NAME_HINT},
	    /* A bad name does not stop checking its section. */
	    {"[feed a b]\ninterval = x\n",
		"1: bad feed name \"a b\" " NAME_HINT
		"\n1: missing url in [feed a b]\n2: interval: "
		"bad duration \"x\" (use 90s, 15m, 2h, 1d)"},
	    {"[output o]\ntitle = \xd8\xb1\xd9\n",
		"2: not valid UTF-8 (at byte 11)"},
	    {"[output o]\ntitle = \xc0\xaf\n",
		"2: not valid UTF-8 (at byte 9)"},
	    {"[output o]\ntitle = \xed\xa0\x80\n",
		"2: not valid UTF-8 (at byte 9)"},
	    {"[output o]\ntitle = \xf4\x90\x80\x80\n",
		"2: not valid UTF-8 (at byte 9)"},
	    {"\xff\n", "1: not valid UTF-8 (at byte 1)"},
	    {"[output o]\ntitle = a\x1b[31mb\n",
		"2: control character 0x1b (at byte 10)"},
	    {"[output o]\ntitle = a\x7f\n",
		"2: control character 0x7f (at byte 10)"},
	    /* Unknown sections are skipped whole: one message, not one
	     * per key. */
	    {"[servers]\nlisten = 1\nport = 2\n",
		"1: unknown section [servers] " SECTION_HINT},
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		expect_errors(cases[i].text, 0, cases[i].errors);
	}
}

/* keep_age and keep_items: [poll] for every feed, [feed] for one, 0 is none. */
static void
test_retention(void **state)
{
	static const struct {
		const char *text;
		int64_t poll_age, poll_items, feed_age, feed_items;
	} cases[] = {
	    {"", 90 * 86400, 1000, 90 * 86400, 1000},
	    {"[poll]\nkeep_age = 30d\nkeep_items = 50\n", 30 * 86400, 50,
		30 * 86400, 50},
	    {"[poll]\nkeep_age = 0\nkeep_items = 0\n", 0, 0, 0, 0},
	    {"[feed f]\nurl = http://a/\nkeep_age = 1h\nkeep_items = 5\n",
		90 * 86400, 1000, 3600, 5},
	    {"[poll]\nkeep_age = 2d\n[feed f]\nurl = http://a/\n"
	     "keep_age = 0\nkeep_items = 0\n",
		2 * 86400, 1000, 0, 0},
	    {"[feed f]\nurl = http://a/\nkeep_items = 7\n"
	     "[poll]\nkeep_age = 0s\nkeep_items = 9\n",
		0, 9, 0, 7},
	    {"[poll]\nkeep_age = 36500d\nkeep_items = 10000000\n",
		36500LL * 86400, 10000000, 36500LL * 86400, 10000000},
	};
	static const struct {
		const char *text, *errors;
	} bad[] = {
	    {"[poll]\nkeep_age = 3x\n", "2: keep_age: bad duration \"3x\" "
	     "(use 90s, 15m, 2h, 1d) or 0 for no limit"},
	    {"[poll]\nkeep_age = 36501d\n",
		"2: keep_age: \"36501d\" out of range (0 to 36500d)"},
	    {"[feed f]\nurl = http://a/\nkeep_items = -1\n",
		"3: keep_items: bad number \"-1\" (use 0 for no limit, or up "
		"to 10000000)"},
	    {"[poll]\nkeep_items = 10000001\n",
		"2: keep_items: bad number \"10000001\" (use 0 for no limit, "
		"or up to 10000000)"},
	    {"[output o]\nkeep_items = 5\n",
		"2: unknown key \"keep_items\" in [output o]"},
	};
	struct config *conf;
	const struct config_feed *f;

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		char *text;

		xasprintf(&text, "%s%s", cases[i].text,
		    strstr(cases[i].text, "[feed f]") != NULL ? "" :
		    "[feed f]\nurl = http://a/\n");
		conf = load_text(text);
		free(text);
		f = config_feed_find(conf, "f");
		assert_non_null(f);
		if (conf->keep_age != cases[i].poll_age ||
		    conf->keep_items != cases[i].poll_items ||
		    f->keep_age != cases[i].feed_age ||
		    f->keep_items != cases[i].feed_items)
			fail_msg("case %zu: poll %jd %jd, feed %jd %jd", i,
			    (intmax_t)conf->keep_age,
			    (intmax_t)conf->keep_items,
			    (intmax_t)f->keep_age, (intmax_t)f->keep_items);
		config_free(conf);
	}
	for (size_t i = 0; i < nitems(bad); i++)
		expect_errors(bad[i].text, 0, bad[i].errors);
}

static void
test_listen(void **state)
{
	static const struct {
		const char *value;
		const char *host;
		int port;
	} good[] = {
	    {"127.0.0.1:8080", "127.0.0.1", 8080},
	    {"[::1]:0", "::1", 0},
	    {"[::]:65535", "::", 65535},
	    {"[fe80::1:2]:80", "fe80::1:2", 80},
	    {"*:443", "*", 443},
	    {"localhost:8080", "localhost", 8080},
	    {"feeds.example-org.localhost:1", "feeds.example-org.localhost", 1},
	};
	static const struct {
		const char *value;
		const char *error;
	} bad[] = {
	    {"127.0.0.1", "missing port in \"127.0.0.1\" " LISTEN_HINT},
	    {"127.0.0.1:65536", "bad port \"65536\" (use 0 to 65535)"},
	    {"127.0.0.1:", "bad port \"\" (use 0 to 65535)"},
	    {"127.0.0.1:-1", "bad port \"-1\" (use 0 to 65535)"},
	    {"127.0.0.1:http", "bad port \"http\" (use 0 to 65535)"},
	    {"::1:80", "an IPv6 address needs brackets: [::1]:80"},
	    {"[::1]", "bad address \"[::1]\" " LISTEN_HINT},
	    {"[::1]80", "bad address \"[::1]80\" " LISTEN_HINT},
	    {"[::1:80", "bad address \"[::1:80\" " LISTEN_HINT},
	    {"[127.0.0.1]:80", "bad IPv6 address \"127.0.0.1\""},
	    {":80", "bad host \"\" " LISTEN_HINT},
	    {"a b:80", "bad host \"a b\" " LISTEN_HINT},
	    {"**:80", "bad host \"**\" " LISTEN_HINT},
	};
	struct config *conf;
	char *text, *want;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		xasprintf(&text, "[server]\nlisten = %s\n", good[i].value);
		conf = load_text(text);
		assert_string_equal(conf->listen_host, good[i].host);
		assert_int_equal(conf->listen_port, good[i].port);
		config_free(conf);
		free(text);
	}
	for (i = 0; i < nitems(bad); i++) {
		xasprintf(&text, "[server]\nlisten = %s\n", bad[i].value);
		xasprintf(&want, "2: listen: %s", bad[i].error);
		expect_errors(text, 0, want);
		free(want);
		free(text);
	}
}

static void
test_urls(void **state)
{
	static const char *good[] = {
	    "http://example-com.localhost/rss",
	    "https://example-com.localhost",
	    "HTTPS://Example-COM.localhost:8443/a/b?c=d&e=f#g",
	    "http://[::1]:8080/feed.xml",
	    "http://127.0.0.1/",
	    "https://user:pw@example-com.localhost/x",
	    "https://ar.example-com.localhost/%D8%B1%D9%88%D8%B3%D9%8A%D8%A7",
	    /* curl reads a missing host as browsers do: host "rss". */
	    "https:///rss",
	};
	static const struct {
		const char *url;
		CURLUcode code;
	} bad[] = {
	    {"http://exa mple.localhost/", CURLUE_BAD_HOSTNAME},
	    {"http://a/b c", CURLUE_BAD_PATH},
	    {"http://[::1/", CURLUE_BAD_IPV6},
	    {"http://a:99999/", CURLUE_BAD_PORT_NUMBER},
	};
	struct config *conf;
	char *text, *want;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		xasprintf(&text, "[feed f]\nurl = %s\n", good[i]);
		conf = load_text(text);
		/* Kept as written. */
		assert_string_equal(conf->feeds[0].url, good[i]);
		config_free(conf);
		free(text);
	}
	/* Other complaints are curl's own, in its words. */
	for (i = 0; i < nitems(bad); i++) {
		xasprintf(&text, "[feed f]\nurl = %s\n", bad[i].url);
		xasprintf(&want, "2: url: bad URL \"%s\" (%s)", bad[i].url,
		    curl_url_strerror(bad[i].code));
		expect_errors(text, 0, want);
		free(want);
		free(text);
	}
}

static void
test_durations(void **state)
{
	static const struct {
		const char *in;
		int64_t out;
	} good[] = {
	    {"0", 0},
	    {"1", 1},
	    {"90", 90},
	    {"90s", 90},
	    {"15m", 900},
	    {"2h", 7200},
	    {"1d", 86400},
	    {"7d", 604800},
	    {"1h30m", 5400},
	    {"30m1h", 5400},
	    {"1d2h3m4s", 93784},
	    {"0s", 0},
	    {"007m", 420},
	    {"9223372036854775807", INT64_MAX},
	    {"9223372036854775807s", INT64_MAX},
	    {"106751991167300d", 106751991167300LL * 86400},
	};
	static const char *bad[] = {
	    "",
	    " ",
	    "15x",
	    "-5m",
	    "+5m",
	    "-1",
	    "1.5h",
	    "1h30",
	    "h",
	    "m5",
	    "5 m",
	    " 5m",
	    "5m ",
	    "5M",
	    "1H",
	    "1ms",
	    "1w",
	    "0x10",
	    "1h-",
	    "9223372036854775808",
	    "106751991167301d",
	    "9223372036854775807s1s",
	    "99999999999999999999m",
	};
	int64_t n;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		n = -42;
		if (config_parse_duration(good[i].in, &n) != 0)
			fail_msg("\"%s\" rejected", good[i].in);
		assert_int_equal(n, good[i].out);
	}
	for (i = 0; i < nitems(bad); i++) {
		n = -42;
		if (config_parse_duration(bad[i], &n) == 0)
			fail_msg("\"%s\" accepted as %jd", bad[i], (intmax_t)n);
		assert_int_equal(n, -42);
	}
}

static void
test_sizes(void **state)
{
	static const struct {
		const char *in;
		int64_t out;
	} good[] = {
	    {"0", 0},
	    {"512", 512},
	    {"64k", 65536},
	    {"64K", 65536},
	    {"64kB", 65536},
	    {"16M", 16777216},
	    {"16MB", 16777216},
	    {"1G", 1073741824},
	    {"9223372036854775807", INT64_MAX},
	};
	static const char *bad[] = {
	    "", "k", "-1", "1.5M", "16 M", " 16M", "16M ", "16m", "16MiB",
	    "16BB", "1T", "0x10", "9223372036854775808", "8589934592G",
	};
	int64_t n;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		n = -42;
		if (config_parse_size(good[i].in, &n) != 0)
			fail_msg("\"%s\" rejected", good[i].in);
		assert_int_equal(n, good[i].out);
	}
	for (i = 0; i < nitems(bad); i++) {
		n = -42;
		if (config_parse_size(bad[i], &n) == 0)
			fail_msg("\"%s\" accepted as %jd", bad[i], (intmax_t)n);
		assert_int_equal(n, -42);
	}
}

static void
test_names(void **state)
{
	static const char *good[] = {
	    "a",
	    "Z",
	    "0",
	    "sputnik-ar",
	    "bbc_arabic.2",
	    "-x",
	    "_x",
	    "x.",
	    "a..b",
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
	};
	static const char *bad[] = {
	    ".x",
	    "..",
	    ".",
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
	    "a b",
	    "a/b",
	    "a:b",
	    "روسيا",
	    "a%20",
	    "a\tb",
	    "a+b",
	    "a?b",
	};
	struct config *conf;
	char *text, *want;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(good); i++) {
		xasprintf(&text, "[feed %s]\nurl = http://a/\n[output %s]\n",
		    good[i], good[i]);
		conf = load_text(text);
		assert_string_equal(conf->feeds[0].name, good[i]);
		assert_string_equal(conf->outputs[0].name, good[i]);
		assert_ptr_equal(
		    config_feed_find(conf, good[i]), &conf->feeds[0]);
		assert_ptr_equal(
		    config_output_find(conf, good[i]), &conf->outputs[0]);
		config_free(conf);
		free(text);
	}
	for (i = 0; i < nitems(bad); i++) {
		xasprintf(&text, "[output %s]\n", bad[i]);
		xasprintf(
		    &want, "1: bad output name \"%s\" " NAME_HINT, bad[i]);
		expect_errors(text, 0, want);
		free(want);
		free(text);
	}
}

static void
test_keywords(void **state)
{
	static const struct {
		const char *value;
		size_t n;
		const char *k[3];
	} cases[] = {
	    {"روسيا, اليابان", 2, {"روسيا", "اليابان"}},
	    {"\"Korea, North\", Japan*", 2, {"Korea, North", "Japan*"}},
	    {"\"a, b, c\"", 1, {"a, b, c"}},
	    {" =اليابان ,  \"كوريا، الشمالية\" ", 2,
		{"=اليابان", "كوريا، الشمالية"}},
	    {"", 0, {NULL}},
	};
	struct config *conf;
	char *text, *cause = NULL, *want;
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		xasprintf(&text,
		    "[output o]\nkeywords = %s\nexclude = %s\n"
		    "require = %s\n",
		    cases[i].value, cases[i].value, cases[i].value);
		conf = load_text(text);
		assert_int_equal(conf->outputs[0].nkeywords, cases[i].n);
		assert_int_equal(conf->outputs[0].nexclude, cases[i].n);
		assert_int_equal(conf->outputs[0].nrequire, cases[i].n);
		for (j = 0; j < cases[i].n; j++) {
			assert_string_equal(
			    conf->outputs[0].keywords[j], cases[i].k[j]);
			assert_string_equal(
			    conf->outputs[0].exclude[j], cases[i].k[j]);
			assert_string_equal(
			    conf->outputs[0].require[j], cases[i].k[j]);
		}
		config_free(conf);
		free(text);
	}

	/* Each keyword goes through match's own check, message and all. */
	if (match_keyword_check("=روس*", &cause) == 0)
		fail_msg("match accepts \"=روس*\"");
	xasprintf(&want, "3: exclude: %s", cause);
	expect_errors(
	    "[output o]\nkeywords = روسيا\nexclude = a, =روس*\n", 0, want);
	free(want);
	xasprintf(&want, "2: require: %s", cause);
	expect_errors("[output o]\nrequire = =روس*\n", 0, want);
	free(want);
	free(cause);
}

static void
test_several_errors(void **state)
{
	static const char *want[] = {
	    "2: key \"listen\" outside a section",
	    "5: listen: missing port in \"127.0.0.1\" " LISTEN_HINT,
	    "7: duplicate key \"database\" in [server] (first at line 6)",
	    "9: missing url in [feed bbc]",
	    "10: interval: bad duration \"15x\" (use 90s, 15m, 2h, 1d)",
	    "12: duplicate feed \"bbc\" (first at line 9)",
	    "13: url: scheme \"ftp\" not supported (http or https)",
	    "14: unknown key \"colour\" in [feed bbc]",
	    "16: bad output name \".hidden\" " NAME_HINT,
	    "17: max_items: bad number \"0\" (use 1 to 10000)",
	    "18: keywords: empty element in list (in \"روسيا,,اليابان\")",
	    "20: unknown section [pol] " SECTION_HINT,
	};
	const char *path = CONF_DIR "/errors.conf";
	struct buf b;
	char *errors = NULL;
	size_t i;

	(void)state;
	assert_null(config_load(path, &errors));
	buf_init(&b);
	for (i = 0; i < nitems(want); i++)
		buf_printf(&b, "%s%s:%s", i > 0 ? "\n" : "", path, want[i]);
	assert_string_equal(errors, b.data);
	buf_free(&b);
	free(errors);
}

static void
test_file_errors(void **state)
{
	struct buf text;
	char *errors = NULL, *want;
	size_t i;

	(void)state;
	assert_null(config_load("/nonexistent/feedmux.conf", &errors));
	assert_string_equal(
	    errors, "/nonexistent/feedmux.conf: No such file or directory");
	free(errors);

	assert_null(config_load(CONF_DIR, &errors));
	assert_string_equal(errors, CONF_DIR ": Is a directory");
	free(errors);

	/* 64 KiB is fine, one byte more is not; the lines around count. */
	buf_init(&text);
	buf_adds(&text, "[output o]\ntitle = ");
	while (text.len < 11 + 64 * 1024)
		buf_addc(&text, 'x');
	buf_adds(&text, "\n[output p]\ntitle = ");
	for (i = 0; i < 64 * 1024 - 7; i++)
		buf_addc(&text, 'y');
	buf_adds(&text, "\n[servr]\n");
	xasprintf(&want, "4: line longer than 65536 bytes\n"
			 "5: unknown section [servr] " SECTION_HINT);
	expect_errors(text.data, text.len, want);
	free(want);
	buf_free(&text);

	/* A NUL cannot hide the rest of a line. */
	expect_errors("[output o]\ntitle = a\0b\n", 23,
	    "2: control character 0x00 (at byte 10)");
}

static void
test_too_many_errors(void **state)
{
	struct config *conf;
	struct buf text;
	char *path, *errors = NULL, *want;
	size_t i, lines;

	(void)state;
	buf_init(&text);
	for (i = 0; i < 150; i++)
		buf_adds(&text, "[x]\n");
	path = write_temp(text.data, text.len);
	conf = config_load(path, &errors);
	assert_null(conf);
	for (lines = 1, i = 0; errors[i] != '\0'; i++)
		lines += errors[i] == '\n';
	assert_int_equal(lines, 101);
	xasprintf(&want,
	    "%s:100: unknown section [x] " SECTION_HINT
	    "\n%s: 50 more errors not shown",
	    path, path);
	assert_true(str_has_suffix(errors, want));
	free(want);
	free(errors);
	unlink(path);
	free(path);
	buf_free(&text);
}

static void
test_relative_database(void **state)
{
	struct config *conf;
	char *errors = NULL, *want, cwd[PATH_MAX], *oldcwd;

	(void)state;
	conf = config_load(CONF_DIR "/sub/relative.conf", &errors);
	assert_non_null(conf);
	assert_string_equal(conf->database, CONF_DIR "/sub/data/feedmux.db");
	config_free(conf);

	/* A relative config path is resolved too: the daemon may chdir. */
	assert_non_null(getcwd(cwd, sizeof cwd));
	oldcwd = xstrdup(cwd);
	assert_int_equal(chdir(CONF_DIR), 0);
	assert_non_null(getcwd(cwd, sizeof cwd));

	conf = config_load("sub/relative.conf", &errors);
	assert_non_null(conf);
	xasprintf(&want, "%s/sub/data/feedmux.db", cwd);
	assert_string_equal(conf->database, want);
	assert_string_equal(conf->path, "sub/relative.conf");
	free(want);
	config_free(conf);

	assert_int_equal(chdir("sub"), 0);
	conf = config_load("relative.conf", &errors);
	assert_non_null(conf);
	xasprintf(&want, "%s/sub/data/feedmux.db", cwd);
	assert_string_equal(conf->database, want);
	free(want);
	config_free(conf);

	assert_int_equal(chdir(oldcwd), 0);
	free(oldcwd);

	/* "./" adds nothing. */
	conf = load_text("[server]\ndatabase = ././/x.db\n");
	xasprintf(&want, "%s/x.db",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	assert_string_equal(conf->database, want);
	free(want);
	config_free(conf);
}

static void
test_example_config(void **state)
{
	const struct config_output *o;
	struct config *conf;
	char *errors = NULL;

	(void)state;
	conf = config_load(FIXTURES "/../../conf/feedmux.conf", &errors);
	if (conf == NULL)
		fail_msg("%s", errors);
	assert_string_equal(conf->listen_host, "127.0.0.1");
	assert_int_equal(conf->listen_port, 8080);
	assert_string_equal(conf->database, "/var/lib/feedmux/feedmux.db");
	assert_int_equal(conf->nfeeds, 15);
	assert_non_null(config_feed_find(conf, "sputnik-ar"));
	assert_non_null(config_feed_find(conf, "aljazeera"));
	assert_int_equal(conf->reload_on_change, 1);
	assert_int_equal(conf->nincludes, 1);
	assert_true(str_has_suffix(conf->includes[0], "/conf/conf.d/*.conf"));
	o = config_output_find(conf, "russia-japan");
	assert_non_null(o);
	assert_string_equal(o->title, "روسيا واليابان");
	assert_int_equal(o->nkeywords, 2);
	assert_string_equal(o->keywords[0], "روسيا");
	assert_string_equal(o->keywords[1], "اليابان");
	assert_int_equal(o->max_items, 200);
	o = config_output_find(conf, "all");
	assert_non_null(o);
	assert_int_equal(o->nkeywords, 0);
	config_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_feed_find_many),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_error_kinds),
	    cmocka_unit_test(test_listen),
	    cmocka_unit_test(test_retention),
	    cmocka_unit_test(test_urls),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_keywords),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_several_errors),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_too_many_errors),
	    cmocka_unit_test(test_relative_database),
	    cmocka_unit_test(test_example_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
