/*
 * Tests of match: every example of ARABIC-MATCHING.md, one table per rule.
 * A failing case prints its table and index, so every table runs whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "util.h"

/* An item field and its tokens, joined with "|". */
struct tok_case {
	const char *in;
	const char *want;
};

/* A keyword, one item field, and whether the keyword matches it. */
struct kw_case {
	const char *kw;
	const char *text;
	int want;
};

/* A keyword and the error it gives (NULL: none). */
struct syntax_case {
	const char *kw;
	const char *cause;
};

/* A filter, the fields of an item, and whether the item passes. */
struct filter_case {
	const char *any[4];
	const char *all[4];
	const char *none[4];
	const char *fields[3];
	int want;
};

static char *
joined_tokens(const char *field)
{
	struct match_text *mt;
	const char *const *toks;
	struct buf b;
	size_t i, n;

	mt = match_text_new(&field, 1);
	n = match_text_tokens(mt, 0, &toks);
	buf_init(&b);
	buf_add(&b, "", 0);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i == 0 ? "" : "|", toks[i]);
	match_text_free(mt);
	return buf_steal(&b, NULL);
}

static void
check_tokens(const char *name, const struct tok_case *tc, size_t n)
{
	size_t i, fails = 0;
	char *got;

	for (i = 0; i < n; i++) {
		got = joined_tokens(tc[i].in);
		if (strcmp(got, tc[i].want) != 0) {
			print_error("%s[%zu]: \"%s\": got \"%s\", want \"%s\"\n",
			    name, i, tc[i].in, got, tc[i].want);
			fails++;
		}
		free(got);
	}
	assert_int_equal(fails, 0);
}
#define CHECK_TOKENS(t) check_tokens(#t, t, nitems(t))

static int
keyword_matches(const char *kw, const char *text)
{
	struct match_filter *mf;
	struct match_text *mt;
	char *cause = NULL;
	char *any[1];
	int r;

	any[0] = (char *)kw;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	if (mf == NULL) {
		print_error("keyword \"%s\": %s\n", kw, cause);
		free(cause);
		return -1;
	}
	mt = match_text_new(&text, 1);
	r = match_filter_test(mf, mt);
	match_text_free(mt);
	match_filter_free(mf);
	return r;
}

static void
check_keywords(const char *name, const struct kw_case *kc, size_t n)
{
	size_t i, fails = 0;
	int got;

	for (i = 0; i < n; i++) {
		got = keyword_matches(kc[i].kw, kc[i].text);
		if (got != kc[i].want) {
			print_error("%s[%zu]: \"%s\" in \"%s\": got %d, "
			    "want %d\n", name, i, kc[i].kw, kc[i].text, got,
			    kc[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}
#define CHECK_KEYWORDS(t) check_keywords(#t, t, nitems(t))

static size_t
list_len(const char *const *l)
{
	size_t n = 0;

	while (n < 4 && l[n] != NULL)
		n++;
	return n;
}

/* ---- H: HTML to text ---- */

static const struct tok_case html_blocks[] = {
	{ "a<!-- hidden -->b", "a|b" },
	{ "a<!---->b", "a|b" },
	{ "a<!-->b", "a|b" },
	{ "a<!-- never closed b c", "a" },
	{ "a<!-- <b>x</b> -->c", "a|c" },
	{ "a<script>var x = 1;</script>b", "a|b" },
	{ "a<SCRIPT type=\"text/javascript\">x()</ScRiPt >b", "a|b" },
	{ "a<script>if (a<b) x();</script>c", "a|c" },
	{ "a<script>document.write('</p>')</script>c", "a|c" },
	{ "a<script>never closed", "a" },
	{ "a<style>p { color: red }</style>b", "a|b" },
	{ "a<style media=print>x</STYLE>b", "a|b" },
	{ "a<style>never closed", "a" },
	/* A tag whose name only starts like script is a plain tag. */
	{ "a<scripts>b</scripts>c", "a|b|c" },
	{ "روسيا<script>اليابان</script>مصر", "روسيا|مصر" },
};

static const struct tok_case html_tags[] = {
	{ "<p>Japan</p>", "japan" },
	{ "Ja<b>pan</b>", "ja|pan" },
	{ "a<br/>b", "a|b" },
	{ "a<!DOCTYPE html>b", "a|b" },
	{ "a<?xml version=\"1.0\"?>b", "a|b" },
	{ "<a href=\"http://japan.example/\">link</a>", "link" },
	{ "<img alt=\"Japan\" title=\"Japan\" src=x.png>", "" },
	{ "<span class=\"japan\">x</span>", "x" },
	{ "1 < 2 and 3 <4", "1|2|and|3|4" },
	{ "a <= b", "a|b" },
	{ "a<", "a" },
	{ "a <1b> c", "a|1|b|c" },
	{ "a <b never closed", "a" },
	/* Only the first ">" ends a tag, quoted or not. */
	{ "<a title=\"x>y\">z</a>", "y|z" },
	{ "كوريا<br>الشمالية", "كوريا|الشمالية" },
	{ "URL http://example.com/japan in text",
	    "url|http|example|com|japan|in|text" },
};

static const struct tok_case html_refs[] = {
	{ "AT&amp;T", "at|t" },
	{ "&lt;b&gt;Japan&lt;/b&gt;", "b|japan|b" },
	{ "&quot;Japan&quot; &apos;s", "japan|s" },
	{ "a&nbsp;b", "a|b" },
	{ "&#74;apan", "japan" },
	{ "&#x4A;apan &#X6a;apan", "japan|japan" },
	{ "&#1585;&#x648;&#x633;&#x64A;&#x627;", "روسيا" },
	/* Decoded once: a decoded "&" or "<" starts nothing. */
	{ "&amp;lt;b&amp;gt;", "lt|b|gt" },
	{ "&lt;script&gt;Japan&lt;/script&gt;", "script|japan|script" },
	/* 0, surrogates and too large values are U+FFFD, a separator. */
	{ "a&#0;b", "a|b" },
	{ "a&#xD800;b", "a|b" },
	{ "a&#xDFFF;b", "a|b" },
	{ "a&#x110000;b", "a|b" },
	{ "a&#99999999999999999999;b", "a|b" },
	{ "a&#x10FFFF;b", "a|b" },
	/* Without ";", or with an unknown or wrongly cased name: text. */
	{ "&amp", "amp" },
	{ "&#74 apan", "74|apan" },
	{ "&#;x &#x;y", "x|x|y" },
	{ "&AMP; &Lt;", "amp|lt" },
	{ "&bogus;", "bogus" },
	/* ZWNJ by reference is a boundary too, as are &#160; and &nbsp;. */
	{ "a&#x200C;b&#160;c", "a|b|c" },
};

static void
test_html_blocks(void **state)
{
	(void)state;
	CHECK_TOKENS(html_blocks);
}

static void
test_html_tags(void **state)
{
	(void)state;
	CHECK_TOKENS(html_tags);
}

static void
test_html_refs(void **state)
{
	(void)state;
	CHECK_TOKENS(html_refs);
}

/* ---- Invalid UTF-8 ---- */

static const struct tok_case bad_utf8[] = {
	{ "ab\xff" "cd", "ab|cd" },
	{ "ab\xc3", "ab" },
	{ "ab\xc0\xaf" "cd", "ab|cd" },		/* overlong "/" */
	{ "ab\xed\xa0\x80" "cd", "ab|cd" },	/* surrogate */
	{ "ab\xf4\x90\x80\x80" "cd", "ab|cd" },	/* above U+10FFFF */
	{ "\xd8\xb1\xd9" "x", "ر|x" },		/* truncated Arabic letter */
	{ "ab\xef\xbf\xbd" "cd", "ab|cd" },	/* a real U+FFFD */
};

static void
test_bad_utf8(void **state)
{
	(void)state;
	CHECK_TOKENS(bad_utf8);
}

/* ---- U: Unicode fold ---- */

static const struct tok_case unicode_fold[] = {
	/* Hamza forms on alef, and tashkeel. */
	{ "أ إ آ", "ا|ا|ا" },
	{ "أحمد إيران آسيا", "احمد|ايران|اسيا" },
	{ "رُوسِيَا", "روسيا" },
	{ "مُحَمَّدٌ", "محمد" },
	{ "هٰذا", "هذا" },
	{ "ؤ ئ", "و|ي" },
	{ "مسؤول مسئول", "مسوول|مسيول" },
	/* A decomposed hamza equals the precomposed letter. */
	{ "\xd8\xa7\xd9\x94" "حمد", "احمد" },
	{ "مسو\xd9\x94ول", "مسوول" },
	/* Standalone hamza stays. */
	{ "ء سماء", "ء|سماء" },
	/* Presentation forms. */
	{ "ﻻ", "لا" },
	{ "ﺭﻭﺳﻴﺎ", "روسيا" },
	{ "ﷲ", "الله" },
	/* Latin and other scripts. */
	{ "ＪＡＰＡＮ", "japan" },
	{ "ﬁnance", "finance" },
	{ "é ğ ü ñ ё ά", "e|g|u|n|е|α" },
	{ "Straße", "strasse" },
	{ "İstanbul", "istanbul" },
	{ "ς", "σ" },
	{ "ø ł đ ı æ", "ø|ł|đ|ı|æ" },
	{ "हिन्दी", "हनद" },
	{ "Ω ǅ", "ω|dz" },
	/* Default ignorables vanish and join: ZWJ, LRM, RLM, ALM, SHY, BOM. */
	{ "رو\xe2\x80\x8dسيا", "روسيا" },
	{ "Ja\xe2\x80\x8epan\xe2\x80\x8f", "japan" },
	{ "رو\xd8\x9cسيا", "روسيا" },
	{ "Ja\xc2\xadpan", "japan" },
	{ "\xef\xbb\xbfJapan", "japan" },
	{ "Ja\xe2\x80\xaepan", "japan" },
	{ "ا\xef\xb8\x8f", "ا" },
	/* ZWNJ and ZWSP separate. */
	{ "می\xe2\x80\x8cخواهد", "می|خواهد" },
	{ "Ja\xe2\x80\x8bpan", "ja|pan" },
};

static void
test_unicode_fold(void **state)
{
	(void)state;
	CHECK_TOKENS(unicode_fold);
}

/* ---- T: tokens ---- */

static const struct tok_case tokens[] = {
	{ "لGoogle", "ل|google" },
	{ "G-20 G20", "g|20|g|20" },
	{ "don't 3.5 U.N.", "don|t|3|5|u|n" },
	{ "كوريا الشمالية", "كوريا|الشمالية" },
	{ "حزبالله", "حزبالله" },
	{ "a،b؛c؟d«e»f٪g٫h٬i۔j", "a|b|c|d|e|f|g|h|i|j" },
	{ "a-b_c'd’e.f/g#h@i", "a|b|c|d|e|f|g|h|i" },
	{ "2+2", "2|2" },
	{ "a\tb\nc\rd", "a|b|c|d" },
	{ "€5 ©x", "5|x" },
	{ "東京 Tokyo", "東京|tokyo" },
	{ "Москва", "москва" },
	{ "", "" },
	{ " \t ", "" },
};

static void
test_tokens(void **state)
{
	(void)state;
	CHECK_TOKENS(tokens);
}

static void
test_tokens_null_field(void **state)
{
	const char *fields[2] = { NULL, "Japan" };
	const char *const *toks;
	struct match_text *mt;

	(void)state;
	mt = match_text_new(fields, 2);
	assert_int_equal(match_text_tokens(mt, 0, &toks), 0);
	assert_int_equal(match_text_tokens(mt, 1, &toks), 1);
	assert_string_equal(toks[0], "japan");
	assert_int_equal(match_text_tokens(mt, 2, &toks), 0);
	assert_null(toks);
	match_text_free(mt);
}

/* ---- §3: keyword syntax ---- */

static const struct syntax_case syntax[] = {
	{ "Japan", NULL },
	{ "  Japan\t", NULL },
	{ "=Japan", NULL },
	{ "Japan*", NULL },
	{ "Jap*", NULL },
	{ "كوريا الشمالية", NULL },
	{ "U.N.", NULL },
	{ "COVID-19", NULL },
	{ "= Japan", NULL },
	{ "روس*", NULL },
	{ "الياب*", NULL },
	{ "=Japan*", "keyword \"=Japan*\": \"=\" (strict) and \"*\" "
	    "(prefix) cannot be combined" },
	{ "=*", "keyword \"=*\": \"=\" (strict) and \"*\" (prefix) cannot "
	    "be combined" },
	{ "Ja=pan", "keyword \"Ja=pan\": \"=\" is allowed only at the "
	    "start" },
	{ "==Japan", "keyword \"==Japan\": \"=\" is allowed only at the "
	    "start" },
	{ "Japan=", "keyword \"Japan=\": \"=\" is allowed only at the "
	    "start" },
	{ "Ja*pan", "keyword \"Ja*pan\": \"*\" is allowed only at the end" },
	{ "*Japan", "keyword \"*Japan\": \"*\" is allowed only at the end" },
	{ "Japan**", "keyword \"Japan**\": \"*\" is allowed only at the "
	    "end" },
	{ "", "keyword \"\": no letters or digits to match" },
	{ "   ", "keyword \"\": no letters or digits to match" },
	{ "=", "keyword \"=\": no letters or digits to match" },
	{ "*", "keyword \"*\": no letters or digits to match" },
	{ "...", "keyword \"...\": no letters or digits to match" },
	{ "\xd9\x8e", "keyword \"\xd9\x8e\": no letters or digits to "
	    "match" },
	{ "x*", "keyword \"x*\": a prefix needs at least 3 letters" },
	{ "Ja*", "keyword \"Ja*\": a prefix needs at least 3 letters" },
	{ "19*", "keyword \"19*\": a prefix needs at least 3 letters" },
	{ "New Yo*", "keyword \"New Yo*\": a prefix needs at least 3 "
	    "letters" },
	{ "رو*", "keyword \"رو*\": a prefix needs at least 3 letters" },
	/* The article does not count toward a prefix stem. */
	{ "اليا*", "keyword \"اليا*\": a prefix needs at least 3 letters" },
	{ "Jap\xff", "keyword is not valid UTF-8" },
};

static void
test_syntax(void **state)
{
	size_t i, fails = 0;
	char *cause;
	int r;

	(void)state;
	for (i = 0; i < nitems(syntax); i++) {
		cause = NULL;
		r = match_keyword_check(syntax[i].kw, &cause);
		if (syntax[i].cause == NULL && r != 0) {
			print_error("syntax[%zu]: \"%s\": unexpected error "
			    "%s\n", i, syntax[i].kw, cause);
			fails++;
		} else if (syntax[i].cause != NULL && (r != -1 ||
		    cause == NULL || strcmp(cause, syntax[i].cause) != 0)) {
			print_error("syntax[%zu]: \"%s\": got %d \"%s\", "
			    "want \"%s\"\n", i, syntax[i].kw, r,
			    cause != NULL ? cause : "(null)",
			    syntax[i].cause);
			fails++;
		}
		free(cause);
	}
	assert_int_equal(fails, 0);
}

static void
test_filter_bad_keyword(void **state)
{
	char *any[] = { "Japan" }, *none[] = { "x*" };
	char *cause = NULL;

	(void)state;
	assert_null(match_filter_new(any, 1, NULL, 0, none, 1, &cause));
	assert_string_equal(cause,
	    "keyword \"x*\": a prefix needs at least 3 letters");
	free(cause);
}

/* ---- §4: non-Arabic keyword tokens ---- */

static const struct kw_case latin[] = {
	{ "Japan", "Japan", 1 },
	{ "Japan", "JAPAN", 1 },
	{ "Japan", "japan", 1 },
	{ "Japan", "Japan's economy", 1 },
	{ "Japan", "a Japan-based firm", 1 },
	{ "Japan", "ＪＡＰＡＮ", 1 },
	{ "Japan", "Japanese", 0 },
	{ "Japan", "Nippon", 0 },
	{ "Japan*", "Japanese", 1 },
	{ "Japan*", "Japan", 1 },
	{ "Japan*", "JAPANESE", 1 },
	{ "Japan*", "Japa", 0 },
	{ "Japan*", "the japanned box", 1 },
	{ "Iran", "Iranian", 0 },
	{ "Iran", "Iran", 1 },
	{ "=Japan", "Japan's", 1 },
	{ "=Japan", "Japanese", 0 },
	{ "US", "us", 1 },
	{ "Straße", "STRASSE", 1 },
	{ "İstanbul", "istanbul", 1 },
	{ "Tokyo", "東京", 0 },
	{ "東京", "東京で", 0 },
	{ "Google", "لGoogle", 1 },
	{ "20", "G-20", 1 },
	{ "20", "G20", 1 },
	{ "20", "2020", 0 },
	{ "ø", "o", 0 },
};

static void
test_latin(void **state)
{
	(void)state;
	CHECK_KEYWORDS(latin);
}

/* ---- §5: phrases ---- */

static const struct kw_case phrases[] = {
	{ "U.N.", "the U.N. said", 1 },
	{ "U.N.", "the UN said", 0 },
	{ "U.N.", "U N", 1 },
	{ "COVID-19", "Covid 19 cases", 1 },
	{ "COVID-19", "COVID19", 1 },
	{ "COVID-19", "COVID-2019", 0 },
	{ "COVID-19", "19 COVID", 0 },
	{ "al-Qaeda", "Al Qaeda", 1 },
	{ "al-Qaeda", "al said Qaeda", 0 },
	{ "G-20", "the G20 summit", 1 },
	{ "New York", "New<br>York", 1 },
	{ "New York", "New, York", 1 },
	{ "New York", "New<p class=\"x\">York</p>", 1 },
	{ "New York", "York New", 0 },
	{ "New York", "New", 0 },
	{ "New York", "new-york", 1 },
	{ "New Yor*", "New Yorker", 1 },
	{ "New* York", NULL, -1 },
	{ "Prime Minister", "The prime minister of Japan", 1 },
	{ "a a b", "a a a b", 1 },
	{ "a a b", "a b a b", 0 },
	{ "كوريا الشمالية", "كوريا<br>الشمالية", 1 },
	{ "كوريا الشمالية", "كوريا الجنوبية", 0 },
	{ "حزب الله", "حزب الله", 1 },
	{ "حزب الله", "حزبالله", 0 },
};

static void
test_phrases(void **state)
{
	size_t i, fails = 0;
	char *cause = NULL;
	int got;

	(void)state;
	for (i = 0; i < nitems(phrases); i++) {
		if (phrases[i].text == NULL) {
			got = match_keyword_check(phrases[i].kw, &cause);
			free(cause);
			cause = NULL;
		} else
			got = keyword_matches(phrases[i].kw, phrases[i].text);
		if (got != phrases[i].want) {
			print_error("phrases[%zu]: \"%s\": got %d, want %d\n",
			    i, phrases[i].kw, got, phrases[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* A phrase must lie within one field. */
static void
test_phrase_one_field(void **state)
{
	const char *fields[2] = { "in New", "York today" };
	char *any[] = { "New York" };
	struct match_filter *mf;
	struct match_text *mt;
	char *cause = NULL;

	(void)state;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	assert_non_null(mf);
	mt = match_text_new(fields, 2);
	assert_int_equal(match_filter_test(mf, mt), 0);
	match_text_free(mt);
	match_filter_free(mf);
}

/* ---- §6: filters ---- */

static const struct filter_case filters[] = {
	/* Empty filter: everything passes, even an empty item. */
	{ { NULL }, { NULL }, { NULL }, { "anything" }, 1 },
	{ { NULL }, { NULL }, { NULL }, { NULL }, 1 },
	/* any */
	{ { "Japan", "Russia" }, { NULL }, { NULL }, { "Russia" }, 1 },
	{ { "Japan", "Russia" }, { NULL }, { NULL }, { "Japan" }, 1 },
	{ { "Japan", "Russia" }, { NULL }, { NULL }, { "China" }, 0 },
	{ { "Japan" }, { NULL }, { NULL }, { NULL, "body: Japan" }, 1 },
	/* all: each must match, in any field. */
	{ { NULL }, { "Japan", "Russia" }, { NULL }, { "Japan and Russia" },
	    1 },
	{ { NULL }, { "Japan", "Russia" }, { NULL }, { "Japan" }, 0 },
	{ { NULL }, { "Japan", "Russia" }, { NULL },
	    { "Japan", "summary", "Russia" }, 1 },
	/* none vetoes, in any field. */
	{ { NULL }, { NULL }, { "sport" }, { "Japan" }, 1 },
	{ { NULL }, { NULL }, { "sport" }, { "Japan sport" }, 0 },
	{ { "Japan" }, { NULL }, { "sport" }, { "Japan", "sport" }, 0 },
	{ { "Japan" }, { NULL }, { "sport" }, { "Japan", "sports" }, 1 },
	{ { "Japan" }, { NULL }, { "sport*" }, { "Japan", "sports" }, 0 },
	/* any and all together. */
	{ { "Japan", "China" }, { "trade" }, { NULL }, { "China trade" }, 1 },
	{ { "Japan", "China" }, { "trade" }, { NULL }, { "China war" }, 0 },
	{ { "Japan", "China" }, { "trade" }, { NULL }, { "Korea trade" }, 0 },
	{ { "Japan" }, { "trade" }, { "war" },
	    { "Japan", "trade", "war" }, 0 },
	{ { "Japan" }, { "trade" }, { "war" },
	    { "Japan", "trade", "peace" }, 1 },
	/* The same keyword in two lists. */
	{ { "Japan" }, { NULL }, { "Japan" }, { "Japan" }, 0 },
	/* Prefix and whole-token keywords sharing a start. */
	{ { "Japan" }, { NULL }, { "Jap*" }, { "Japan" }, 0 },
	{ { "Jap*" }, { "Japanese" }, { NULL }, { "Japanese" }, 1 },
};

static void
test_filters(void **state)
{
	const struct filter_case *fc;
	struct match_filter *mf;
	struct match_text *mt;
	char *cause = NULL;
	size_t i, fails = 0;
	int got;

	(void)state;
	for (i = 0; i < nitems(filters); i++) {
		fc = &filters[i];
		mf = match_filter_new((char *const *)fc->any,
		    list_len(fc->any), (char *const *)fc->all,
		    list_len(fc->all), (char *const *)fc->none,
		    list_len(fc->none), &cause);
		assert_non_null(mf);
		mt = match_text_new(fc->fields, nitems(fc->fields));
		got = match_filter_test(mf, mt);
		if (got != fc->want) {
			print_error("filters[%zu]: got %d, want %d\n", i, got,
			    fc->want);
			fails++;
		}
		match_text_free(mt);
		match_filter_free(mf);
	}
	assert_int_equal(fails, 0);
}

/* A compiled filter is reused across texts. */
static void
test_filter_reuse(void **state)
{
	char *any[] = { "Japan" };
	const char *a = "Japan", *b = "China";
	struct match_filter *mf;
	struct match_text *ma, *mb;
	char *cause = NULL;

	(void)state;
	mf = match_filter_new(any, 1, NULL, 0, NULL, 0, &cause);
	ma = match_text_new(&a, 1);
	mb = match_text_new(&b, 1);
	assert_int_equal(match_filter_test(mf, ma), 1);
	assert_int_equal(match_filter_test(mf, mb), 0);
	assert_int_equal(match_filter_test(mf, ma), 1);
	match_text_free(ma);
	match_text_free(mb);
	match_filter_free(mf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_blocks),
		cmocka_unit_test(test_html_tags),
		cmocka_unit_test(test_html_refs),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_unicode_fold),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_tokens_null_field),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_filter_bad_keyword),
		cmocka_unit_test(test_latin),
		cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_phrase_one_field),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_filter_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
