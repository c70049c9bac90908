/*
 * The outputs of bench/match-speed and bench/match-ab (issue #7): 10 of 20
 * keywords each, and which of them are any, all and none keywords.
 */
#ifndef FEEDMUX_BENCH_MATCH_KEYWORDS_H
#define FEEDMUX_BENCH_MATCH_KEYWORDS_H

#include <stddef.h>

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

#endif
