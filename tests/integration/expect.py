"""What the fixture feeds in tests/fixtures/feeds hold, and what each output
of the tests must make of them.

The table is written by hand from the fixtures; check_fixtures() reads the
files again so that an edit to one without the other fails loudly instead of
making a test pass or fail for the wrong reason.
"""

import datetime
import os
import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"
RJ_KEYWORDS = "russia, japan, روسيا, اليابان"
RJ = {"russia", "japan", "روسيا", "اليابان"}


def _utc(s):
    return int(datetime.datetime.fromisoformat(s).timestamp())


class Item:
    def __init__(self, feed, title, link, when, kind, hits, category):
        self.feed = feed          # fixture key: world, asia, ar, extra
        self.title = title
        self.link = link
        # The instant the item sorts by, from "published" or else "updated"
        # (kind), or None when the fixture gives no date at all: then the
        # item sorts by when feedmux first stored it.
        self.when = None if when is None else _utc(when)
        self.kind = kind
        # The keywords of RJ that match the item, as a filter keyword each.
        self.hits = set(hits)
        self.rj = bool(self.hits)
        self.category = category

    def __repr__(self):
        return "<%s %r>" % (self.feed, self.title)


# Why each item matches its keywords or none is in the comment beside it.
ITEMS = [
    # world.rss, RSS 2.0
    Item("world", "Japan and Russia agree to resume talks",
         "http://127.0.0.1/world/1", "2024-03-04T09:00:00+00:00", "published",
         {"japan", "russia"}, "Diplomacy"),  # title
    Item("world", "Central bank raises rates",
         "http://127.0.0.1/world/2", "2024-03-05T14:30:00+00:00", "published",
         {"russia"}, "Economy"),  # "Russia's" in description
    Item("world", "Local football results",
         "http://127.0.0.1/world/3", "2024-03-03T18:00:00+00:00", "published",
         (), "Sport"),
    Item("world", "Japanese cuisine festival opens",
         "http://127.0.0.1/world/4", "2024-03-06T08:15:00+01:00", "published",
         (), "Culture"),  # Japanese is not Japan
    Item("world", "Robotics prize goes to a team from JAPAN",
         "http://127.0.0.1/world/5", "2024-03-07T11:00:00-05:00", "published",
         {"japan"}, "Technology"),  # upper case
    Item("world", "Russian ballet returns to the capital",
         "http://127.0.0.1/world/6", "2024-03-01T20:00:00+00:00", "published",
         (), "Culture"),  # Russian is not Russia; link from guid
    Item("world", "Markets close higher",
         "http://127.0.0.1/world/7", None, None,
         {"japan"}, "Economy"),  # inside <b> in description; no date, no guid
    Item("world", "Photo of the week",
         "http://127.0.0.1/world/8", "2024-03-02T07:00:00+00:00", "published",
         (), "Photos"),  # only in src and alt attributes
    # asia.atom, Atom 1.0
    Item("asia", "Tokyo stocks rally as Japan reports growth",
         "http://127.0.0.1/asia/1", "2024-03-05T03:00:00+00:00", "published",
         {"japan"}, "Markets"),
    Item("asia", "Fisheries deal signed",
         "http://127.0.0.1/asia/2", "2024-03-02T10:00:00+09:00", "published",
         {"japan", "russia"}, "Diplomacy"),  # html content
    Item("asia", "Monsoon season arrives early",
         "http://127.0.0.1/asia/3", "2024-03-06T12:00:00+00:00", "published",
         (), "Weather"),
    Item("asia", "New rail line opens",
         "http://127.0.0.1/asia/4", "2024-03-04T22:00:00+00:00", "updated",
         {"japan"}, "Transport"),  # html summary; only <updated>
    Item("asia", "Chess final ends in a draw",
         "http://127.0.0.1/asia/5", "2024-03-01T08:00:00+00:00", "published",
         (), "Sport"),
    # ar.rss, Arabic RSS 2.0; the first item is the article of
    # shared/samples/000_d32914e065732caa.txt
    Item("ar", "لافروف: القمة الروسية اليابانية ستعقد في أواخر يونيو في أوساكا",
         "http://127.0.0.1/ar/1", "2021-09-28T17:29:00+00:00", "published",
         {"روسيا", "اليابان"}, "روسيا"),  # روسيا, اليابان as words
    Item("ar", "محادثات تجارية بين الصين واليابان",
         "http://127.0.0.1/ar/2", "2024-03-04T13:00:00+03:00", "published",
         {"اليابان"}, "اقتصاد"),  # و + اليابان
    Item("ar", "طقس معتدل في القاهرة خلال عطلة نهاية الأسبوع",
         "http://127.0.0.1/ar/3", "2024-03-03T09:00:00+02:00", "published",
         (), "طقس"),
    # extra.rss: added on reload; its channel has no title
    Item("extra", "Japan launches a weather satellite",
         "http://127.0.0.1/extra/1", "2024-03-08T06:00:00+00:00", "published",
         {"japan"}, "Science"),
    Item("extra", "Harbour festival draws crowds",
         "http://127.0.0.1/extra/2", "2024-03-08T09:00:00+00:00", "published",
         (), "Culture"),
]

# An item that tests add to world.rss while the daemon runs.
NEW_WORLD_XML = """<item>
	<title>Japan opens an embassy annex</title>
	<link>http://127.0.0.1/world/9</link>
	<guid isPermaLink="false">world-9</guid>
	<pubDate>Sat, 09 Mar 2024 10:00:00 +0000</pubDate>
	<dc:creator>Ana Ruiz</dc:creator>
	<category>Diplomacy</category>
	<description>The annex opened on Saturday.</description>
</item>
</channel>"""
NEW_WORLD = Item("world", "Japan opens an embassy annex",
                 "http://127.0.0.1/world/9", "2024-03-09T10:00:00+00:00",
                 "published", {"japan"}, "Diplomacy")

FILES = {"world": "world.rss", "asia": "asia.atom", "ar": "ar.rss",
         "extra": "extra.rss"}
# The feeds' own titles; None: the feed has none.
TITLES = {"world": "World Wire", "asia": "Asia Desk", "ar": "أخبار عربية",
          "extra": None}


def items(feeds, rj=None, keywords=None):
    """The items of these fixture feeds, newest first (undated items first,
    as feedmux stored them last); with rj set, those that pass the rj filter
    (or fail it: rj=False); with keywords (a subset of RJ), those that one of
    them matches."""
    return newest_first([i for i in ITEMS if i.feed in feeds and
                         (rj is None or i.rj == rj) and
                         (keywords is None or i.hits & set(keywords))])


def newest_first(items):
    return sorted(items, key=lambda i: float("inf") if i.when is None
                  else i.when, reverse=True)


def check_fixtures(directory):
    """Fails when the fixture files and the table above disagree."""
    for feed, name in FILES.items():
        root = ET.parse(os.path.join(directory, name)).getroot()
        if root.tag == ATOM + "feed":
            titles = [e.findtext(ATOM + "title") for e in
                      root.findall(ATOM + "entry")]
            feedtitle = root.findtext(ATOM + "title")
        else:
            titles = [e.findtext("title") for e in
                      root.findall("channel/item")]
            feedtitle = root.findtext("channel/title")
        want = [i.title for i in ITEMS if i.feed == feed]
        if sorted(titles) != sorted(want):
            raise AssertionError("fixture %s: titles %r, table %r"
                                 % (name, titles, want))
        if feedtitle != TITLES[feed]:
            raise AssertionError("fixture %s: title %r, table %r"
                                 % (name, feedtitle, TITLES[feed]))
    whens = [i.when for i in ITEMS if i.when is not None]
    if len(set(whens)) != len(whens):
        raise AssertionError("two fixture items share a date: order undefined")
