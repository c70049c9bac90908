"""Arabic keyword filters end to end: the sample article, with tashkeel
added and served in windows-1256 (declared in the XML prolog by one feed, in
the HTTP Content-Type only by the other), lands in a روسيا, اليابان output
and unrelated articles do not; require, fields, feeds and exclude choose as
configured; a reload that changes them chooses the stored items anew."""

import os
import signal

import harness
from harness import check

TASHKEEL = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"


def add_tashkeel(text):
    """A mark after every other Arabic letter, cycling through the eight
    signs of tashkeel (all of which windows-1256 has)."""
    out, n = [], 0
    for ch in text:
        out.append(ch)
        if "\u0621" <= ch <= "\u064a":
            if n % 2 == 0:
                out.append(TASHKEEL[(n // 2) % len(TASHKEEL)])
            n += 1
    return "".join(out)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Article:
    def __init__(self, key, title, body, category, author):
        self.key = key
        self.title = add_tashkeel(title)
        self.body = add_tashkeel(body)
        self.category = category
        self.author = author

    def xml(self, feed, n):
        return ("<item>\n<title>%s</title>\n"
                "<link>http://127.0.0.1/%s/%d</link>\n"
                "<guid isPermaLink=\"false\">%s-%d</guid>\n"
                "<pubDate>Tue, 28 Sep 2021 %02d:00:00 GMT</pubDate>\n"
                "<author>news@127.0.0.1 (%s)</author>\n"
                "<category>%s</category>\n"
                "<description>%s</description>\n</item>\n"
                % (esc(self.title), feed, n, feed, n, n, self.author,
                   self.category, esc(self.body)))


def sample_body(fixtures):
    """The sample article's paragraphs, as the HTML a feed would carry."""
    path = os.path.join(os.path.dirname(fixtures), "match",
                        "000_d32914e065732caa.txt")
    with open(path, encoding="utf-8") as f:
        lines = [l.strip() for l in f if l.strip()]
    return "".join("<p>%s</p>\n" % l for l in lines)


def feed_bytes(title, feed, articles, prolog):
    """An RSS 2.0 document in windows-1256; prolog says so or not."""
    decl = ('<?xml version="1.0" encoding="windows-1256"?>' if prolog
            else '<?xml version="1.0"?>')
    text = ("%s\n<rss version=\"2.0\">\n<channel>\n<title>%s</title>\n"
            "<link>http://127.0.0.1/%s/</link>\n<language>ar</language>\n"
            % (decl, title, feed))
    text += "".join(a.xml(feed, i + 1) for i, a in enumerate(articles))
    text += "</channel>\n</rss>\n"
    data = text.encode("cp1256")
    try:
        data.decode("utf-8")
        raise harness.TestFailure("%s would also read as UTF-8" % feed)
    except UnicodeDecodeError:
        pass
    return data


def main(env):
    sample = Article(
        "sample",
        "لافروف: القمة الروسية اليابانية ستعقد في أواخر يونيو في أوساكا",
        sample_body(env.args.fixtures), "روسيا", "سبوتنيك")
    weather = Article(
        "weather", "طقس معتدل في القاهرة خلال عطلة نهاية الأسبوع",
        "<p>توقعت هيئة الأرصاد الجوية طقسا معتدلا مع رياح خفيفة.</p>",
        "طقس", "مكتب القاهرة")
    # الروسية is روس + ية, not روسيا + a suffix: no match for روسيا.
    china = Article(
        "china", "القمة الروسية الصينية في بكين",
        "<p>اجتمع الزعيمان في بكين لبحث التعاون الاقتصادي.</p>",
        "سياسة", "مكتب بكين")
    minister = Article(
        "minister", "وزير الخارجية الياباني يزور موسكو",
        "<p>التقى الوزير نظيره سيرغي لافروف في موسكو.</p>",
        "اليابان", "مكتب موسكو")
    books = Article(
        "books", "افتتاح معرض الكتاب في الرياض",
        "<p>يشارك في المعرض أكثر من ألف دار نشر.</p>", "ثقافة",
        "مكتب الرياض")

    with open(os.path.join(env.feeds, "ar-1256.rss"), "wb") as f:
        f.write(feed_bytes("أخبار بالعربية", "ar-1256",
                           [sample, weather, china], prolog=True))
    with open(os.path.join(env.feeds, "ar-http.xml"), "wb") as f:
        f.write(feed_bytes("أخبار أخرى", "ar-http", [minister, books],
                           prolog=False))
    with open(os.path.join(env.feeds, "ar-http.xml.ctype"), "w") as f:
        f.write("application/rss+xml; charset=windows-1256\n")

    feeds = [("ar-1256", env.url("/ar-1256.rss")),
             ("ar-http", env.url("/ar-http.xml"))]
    rj = "روسيا, اليابان"
    outputs = [
        ("rj", {"keywords": rj}),
        ("both", {"require": rj}),
        ("titles", {"keywords": "لافروف", "fields": "title"}),
        ("bodies", {"keywords": "لافروف"}),
        ("cats", {"keywords": "اليابان", "fields": "categories"}),
        ("authors", {"keywords": "مكتب", "fields": "author, title"}),
        ("onefeed", {"keywords": rj, "feeds": "ar-http"}),
        ("calm", {"keywords": rj, "exclude": "أوساكا"}),
        ("all", {}),
    ]
    env.write_config(feeds, outputs)
    rc, out, err = env.feedmux("check", "-c", env.config)
    check(rc == 0, "check: exit %d\n%s%s", rc, out, err)
    d = env.start()

    every = [sample, weather, china, minister, books]
    d.wait_entries("all", [a.title for a in every])
    want = {
        "rj": [sample, minister],
        "both": [sample],
        "titles": [sample],
        "bodies": [sample, minister],
        "cats": [minister],
        "authors": [weather, china, minister, books],
        "onefeed": [minister],
        "calm": [minister],
    }
    for name, arts in want.items():
        feed = d.atom(name)
        harness.check_atom(feed, name)
        have = sorted(feed.titles())
        check(have == sorted(a.title for a in arts),
              "output %s: have %r, want %r", name, have,
              [a.key for a in arts])

    # The article arrived whole, its tashkeel and all, decoded from
    # windows-1256.
    entry = [e for e in d.atom("rj").entries if e.title == sample.title][0]
    body = entry.summary.text if entry.summary is not None else \
        entry.content.text
    check(sample.body.split("<p>")[2][:60] in body,
          "article not as served: %r", body[:300])
    plain = "".join(c for c in body if c not in TASHKEEL)
    check("بين روسيا واليابان" in plain, "article text lost: %r",
          plain[:300])
    check(sum(map(body.count, TASHKEEL)) > 400,
          "article lost its tashkeel: %r", body[:300])

    # A reload that changes filters, fields and feeds: chosen anew.
    outputs = [
        ("rj", {"keywords": "الصين"}),
        ("both", {"require": rj}),
        ("titles", {"keywords": "لافروف"}),
        ("bodies", {"keywords": "لافروف"}),
        ("cats", {"keywords": "روسيا", "fields": "categories"}),
        ("authors", {"keywords": "مكتب", "fields": "title"}),
        ("onefeed", {"keywords": rj, "feeds": "ar-1256"}),
        ("calm", {"keywords": rj, "exclude": "أوساكا, موسكو"}),
        ("all", {}),
    ]
    offset = len(d.log_text())
    env.write_config(feeds, outputs)
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"choosing the items of rj, titles, cats, authors, onefeed, "
               r"calm anew", start=offset)
    d.wait_log(r"items of rj, titles, cats, authors, onefeed, calm chosen "
               r"anew from 5 stored items", start=offset)
    want = {
        "rj": [china],
        "both": [sample],
        "titles": [sample, minister],
        "bodies": [sample, minister],
        "cats": [sample],
        "authors": [],
        "onefeed": [sample],
        "calm": [],
        "all": every,
    }
    for name, arts in want.items():
        d.wait_entries(name, [a.title for a in arts], timeout=5)
    # Each feed was fetched once: the reload polled nothing again.
    check(env.count("/ar-1256.rss") == 1 and env.count("/ar-http.xml") == 1,
          "feeds fetched again")

    # A filter back to an earlier one: the stored items again, at once.
    outputs[0] = ("rj", {"keywords": rj})
    env.write_config(feeds, outputs)
    d.send_signal(signal.SIGHUP)
    d.wait_entries("rj", [sample.title, minister.title], timeout=5)

    rc, _ = d.stop(signal.SIGTERM)
    check(rc == 0, "exit status %d after SIGTERM", rc)


harness.run(main)
