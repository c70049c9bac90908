/*
 * What bench/match-speed and bench/match-ab (issue #7) share: the outputs,
 * 10 of 20 keywords each, and which of them are any, all and none
 * keywords; reading the corpus's files and their list; CPU time and the
 * median of the rounds.
 */
#ifndef FEEDMUX_BENCH_MATCH_BENCH_H
#define FEEDMUX_BENCH_MATCH_BENCH_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define OUTPUTS 10
#define KEYWORDS 20

/*
 * 200 keywords of the kinds Arabic news readers write: country, city and
 * people names, topics, phrases, prefix and strict forms, English too.
 * Output i takes keywords[i * 20 .. i * 20 + 19].
 */
static const char *const keywords[] = {
    /* 0: the motivating user */
    "روسيا",
    "اليابان",
    "موسكو",
    "طوكيو",
    "بوتين",
    "لافروف",
    "الكرملين",
    "كيشيدا",
    "سيرغي لافروف",
    "روسي",
    "ياباني",
    "Russia",
    "Japan",
    "Moscow",
    "Tokyo",
    "Putin",
    "Kremlin",
    "Kishida",
    "Lavrov",
    "Russian*",
    /* 1: the region */
    "مصر",
    "السعودية",
    "الإمارات",
    "قطر",
    "الكويت",
    "البحرين",
    "عمان",
    "الأردن",
    "لبنان",
    "سوريا",
    "العراق",
    "اليمن",
    "فلسطين",
    "غزة",
    "القدس",
    "Egypt",
    "Saudi*",
    "Gulf",
    "Jordan",
    "Lebanon",
    /* 2: world */
    "الصين",
    "الولايات المتحدة",
    "أمريكا",
    "واشنطن",
    "بكين",
    "أوروبا",
    "الاتحاد الأوروبي",
    "فرنسا",
    "ألمانيا",
    "بريطانيا",
    "الهند",
    "باكستان",
    "تركيا",
    "إيران",
    "كوريا الشمالية",
    "China",
    "United States",
    "Europe*",
    "India",
    "Iran",
    /* 3: economy */
    "نفط",
    "النفط",
    "الغاز",
    "الذهب",
    "البورصة",
    "الاقتصاد",
    "التضخم",
    "البنك المركزي",
    "أسعار الفائدة",
    "الدولار",
    "اليورو",
    "صادرات",
    "استثمار*",
    "oil",
    "gas",
    "inflation",
    "=OPEC",
    "economy",
    "market*",
    "dollar",
    /* 4: politics */
    "الانتخابات",
    "البرلمان",
    "الحكومة",
    "رئيس الوزراء",
    "وزير الخارجية",
    "مجلس الأمن",
    "الأمم المتحدة",
    "حلف الناتو",
    "قمة",
    "مفاوضات",
    "اتفاق*",
    "سفير",
    "election*",
    "parliament",
    "government",
    "prime minister",
    "UN",
    "NATO",
    "summit",
    "talks",
    /* 5: conflict and disaster */
    "الجيش",
    "صاروخ*",
    "هجوم",
    "انفجار",
    "قصف",
    "زلزال",
    "فيضان*",
    "عاصفة",
    "حريق",
    "ضحايا",
    "الإنقاذ",
    "لاجئ*",
    "army",
    "missile*",
    "attack",
    "earthquake",
    "flood*",
    "storm",
    "refugee*",
    "rescue",
    /* 6: health and science */
    "صحة",
    "مستشفى",
    "وزارة الصحة",
    "لقاح*",
    "كورونا",
    "كوفيد 19",
    "منظمة الصحة العالمية",
    "سرطان",
    "دواء",
    "جامعة",
    "علماء",
    "الفضاء",
    "health",
    "hospital",
    "vaccine*",
    "Covid-19",
    "WHO",
    "cancer",
    "science",
    "space",
    /* 7: technology */
    "تكنولوجيا",
    "الإنترنت",
    "الذكاء الاصطناعي",
    "هاتف",
    "شركة أبل",
    "غوغل",
    "سامسونج",
    "تطبيق*",
    "بيانات",
    "قرصنة",
    "technology",
    "internet",
    "artificial intelligence",
    "AI",
    "Apple",
    "Google",
    "Samsung",
    "app*",
    "data",
    "cyber*",
    /* 8: sport, with two vetoes */
    "المنتخب",
    "كرة القدم",
    "الدوري",
    "كأس العالم",
    "أولمبياد",
    "ملعب",
    "مباراة",
    "لاعب*",
    "بطولة",
    "هدف",
    "رياضة",
    "football",
    "league",
    "World Cup",
    "Olympic*",
    "match",
    "player*",
    "tournament",
    /* none: */ "=شطرنج",
    "chess",
    /* 9: culture, with requirements and vetoes */
    "مهرجان",
    "سينما",
    "فيلم",
    "موسيقى",
    "معرض",
    "كتاب",
    "رواية",
    "مسرح",
    "festival",
    "cinema",
    "film",
    "music",
    "exhibition",
    "book*",
    "culture",
    "فنان*",
    /* all: */ "ثقافة",
    /* none: */ "إعلان",
    "advert*",
    "=sponsored",
};
_Static_assert(nitems(keywords) == OUTPUTS * KEYWORDS, "200 keywords");

/* Output o's keyword lists: any, then all, then none, from *k on. */
static void
output_lists(
    size_t o, char *const **k, size_t *nany, size_t *nall, size_t *nnone)
{
	*k = (char *const *)keywords + o * KEYWORDS;
	*nany = KEYWORDS;
	*nall = 0;
	*nnone = 0;
	if (o == 8) {
		*nany = 18;
		*nnone = 2;
	} else if (o == 9) {
		*nany = 16;
		*nall = 1;
		*nnone = 3;
	}
}

/* A file read whole, NUL-terminated. */
struct source {
	char *path;
	char *data;
	size_t len;
};

static inline double
cpu_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		fatal("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int
read_file(const char *path, struct source *src)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	buf_init(&b);
	buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f)) {
		log_warn("%s", path);
		fclose(f);
		buf_free(&b);
		return -1;
	}
	fclose(f);
	src->path = xstrdup(path);
	src->data = buf_steal(&b, &src->len);
	return 0;
}

/* Adds the paths in a file, one a line, to *paths. */
static inline int
read_list(const char *path, char ***paths, size_t *n)
{
	struct source l;
	char *line, *save = NULL;

	if (read_file(path, &l) != 0)
		return -1;
	for (line = strtok_r(l.data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		*paths = xreallocarray(*paths, *n + 1, sizeof **paths);
		(*paths)[(*n)++] = xstrdup(line);
	}
	free(l.path);
	free(l.data);
	return 0;
}

static inline int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0..n-1], which it sorts. */
static inline double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
