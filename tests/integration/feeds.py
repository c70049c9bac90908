"""Feeds written by the tests themselves, dated relative to now: the stories
and retention tests need dates near the clock (two items are one story only
within 48 hours), which fixed fixture files cannot have."""

import email.utils
import time
from xml.sax.saxutils import escape


def rfc822(t):
    return email.utils.formatdate(t, usegmt=True)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Entry:
    def __init__(self, guid, title, link=None, when=None, text="",
                 category=None):
        self.guid = guid
        self.title = title
        self.link = link
        self.when = when          # seconds since the epoch, or None
        self.text = text
        self.category = category


def rss(title, entries):
    """An RSS 2.0 document; entries without a date have no pubDate."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0"><channel>',
           "<title>%s</title>" % escape(title),
           "<link>http://127.0.0.1/</link>",
           "<description>written by a feedmux test</description>"]
    for e in entries:
        out.append("<item>")
        out.append("<title>%s</title>" % escape(e.title))
        if e.link is not None:
            out.append("<link>%s</link>" % escape(e.link))
        out.append('<guid isPermaLink="false">%s</guid>' % escape(e.guid))
        if e.when is not None:
            out.append("<pubDate>%s</pubDate>" % rfc822(e.when))
        out.append("<author>desk@127.0.0.1 (Desk)</author>")
        out.append("<category>%s</category>" % escape(e.category or "News"))
        out.append("<description>%s</description>"
                   % escape(e.text or e.title))
        out.append("</item>")
    out.append("</channel></rss>\n")
    return "\n".join(out)


def atom(title, entries):
    """An Atom 1.0 document; entries without a date get the feed's."""
    now = rfc3339(time.time())
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom">',
           "<id>urn:feedmux-test:%s</id>" % escape(title),
           "<title>%s</title>" % escape(title),
           "<updated>%s</updated>" % now]
    for e in entries:
        out.append("<entry>")
        out.append("<id>%s</id>" % escape(e.guid))
        out.append("<title>%s</title>" % escape(e.title))
        if e.link is not None:
            out.append('<link rel="alternate" href="%s"/>' % escape(e.link))
        when = rfc3339(e.when) if e.when is not None else now
        out.append("<published>%s</published>" % when)
        out.append("<updated>%s</updated>" % when)
        out.append("<author><name>Desk</name></author>")
        out.append('<category term="%s"/>' % escape(e.category or "News"))
        out.append('<summary type="html">%s</summary>'
                   % escape(escape(e.text or e.title)))
        out.append("</entry>")
    out.append("</feed>\n")
    return "\n".join(out)
