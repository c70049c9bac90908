#!/usr/bin/env python3
"""Documents made at random from the pieces that matter to parse's text
runs (Arabic and other text past ASCII, references good and bad, CDATA,
comments, PIs, CR and LF, ']]>', quotes and '>' in attributes, odd tags,
text around the root, cut documents), each given to fuzz_parse_replay,
which parses it with text runs as references and without and aborts when
the feeds differ. It found what libFuzzer had not: a document cut one byte
after a run. Usage: gen_parse_runs.py REPLAY SEED COUNT"""

import os
import random
import subprocess
import sys
import tempfile

AR = ["\u0639\u0631\u0628\u064a", "\u0631\u0648\u0633\u064a\u0627",
      "\u0627\u0644\u064a\u0627\u0628\u0627\u0646", "\u062e\u0628\u0631",
      "\u200c", "\u00e9", "\u4e2d\u6587", "\U0001f600", "\u0085"]
ASC = ["a", "b c", " ", "\n", "\r\n", "\r", "\t", "x>y", "]", "]]", "]]>",
       ">", "'", '"', "/"]
ENT = ["&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "&eacute;", "&#65;",
       "&#x42;", "&#x10000;", "&#1;", "&nosuch;", "&", "&#X41;", "&#;", "&amp",
       "&#xEFFFF;"]
NAMES = ["title", "description", "link", "guid", "category", "author", "b",
         "p", "content:encoded", "dc:creator", "summary", "div"]


def text(r, k):
    s = ""
    for _ in range(k):
        x = r.random()
        if x < 0.5:
            s += "".join(r.choice(AR) for _ in range(r.randint(1, 8)))
        elif x < 0.8:
            s += r.choice(ASC)
        else:
            s += r.choice(ENT)
    return s


def attrs(r):
    s = ""
    for _ in range(r.randint(0, 2)):
        q = r.choice(['"', "'"])
        v = r.choice(["x", "a>b", "q'q", 'd"d', "\u0639\u0631\u0628\u064a",
                      "&amp;", "/"]).replace(q, "")
        s += " %s=%s%s%s" % (r.choice(["a", "type", "href", "xml:base"]), q, v, q)
    if r.random() < 0.03:
        s += r.choice([" b", " =x", ' "c"', " /"])
    return s


def elem(r, d):
    if d > 4 or r.random() < 0.3:
        return text(r, r.randint(1, 6))
    name = r.choice(NAMES)
    x = r.random()
    if x < 0.05:
        return "<%s%s/>" % (name, attrs(r))
    if x < 0.1:
        return "<![CDATA[%s]]>" % text(r, 3).replace("]]>", "")
    if x < 0.14:
        return "<!--%s-->" % text(r, 2).replace("--", "")
    if x < 0.17:
        return "<?pi %s?>" % text(r, 2).replace("?>", "")
    inner = "".join(elem(r, d + 1) for _ in range(r.randint(0, 4)))
    end = name if r.random() > 0.03 else r.choice(["x", "title "])
    return "<%s%s>%s</%s>" % (name, attrs(r), inner, end)


def doc(r):
    rss = r.random() < 0.6
    item = ("<item>", "</item>") if rss else ("<entry>", "</entry>")
    items = "".join(item[0] + "".join(elem(r, 1) for _ in range(r.randint(1, 5)))
                    + item[1] for _ in range(r.randint(1, 4)))
    pre = r.choice(["", '<?xml version="1.0" encoding="UTF-8"?>\n', "\ufeff",
                    '<?xml version="1.0"?>', text(r, 1)])
    if rss:
        s = (pre + '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/'
             'modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
             "<channel><title>" + text(r, 2) + "</title>" + items +
             "</channel></rss>")
    else:
        s = (pre + '<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">'
             + text(r, 2) + "</title>" + items + "</feed>")
    if r.random() < 0.1:
        s += text(r, 2)
    b = s.encode("utf-8")
    if r.random() < 0.15:
        b = b[:r.randint(1, len(b))]
    # fuzz_parse's first byte: no HTTP context.
    return b"\0" + b


def main():
    replay, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    with tempfile.TemporaryDirectory() as d:
        for i in range(count):
            with open(os.path.join(d, "g%05d" % i), "wb") as f:
                f.write(doc(r))
        return subprocess.run([replay, d], timeout=600).returncode


if __name__ == "__main__":
    sys.exit(main())
