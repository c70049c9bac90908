"""feedmux match: one text field on standard input against --any, --all and
--none keywords; exit 0 when it passes, 1 when it does not, 2 with a message
for a bad keyword, bad UTF-8 in an argument, or bad usage."""

import os
import subprocess

import harness
from harness import check, soft_check

TASHKEEL = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"


def add_tashkeel(text):
    """Puts a mark after every other Arabic letter, cycling through the
    eight signs of tashkeel (fatha, damma, kasra, shadda, sukun, tanween)."""
    out, n = [], 0
    for ch in text:
        out.append(ch)
        if "\u0621" <= ch <= "\u064a":
            if n % 2 == 0:
                out.append(TASHKEEL[(n // 2) % len(TASHKEEL)])
            n += 1
    return "".join(out)


def run_match(env, args, text, timeout=30.0):
    """Runs feedmux match with text (str or bytes) on standard input:
    (status, stdout, stderr)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        p = subprocess.run([env.args.feedmux, "match"] + list(args),
                           input=data, capture_output=True, timeout=timeout,
                           preexec_fn=harness._die_with_parent)
    except subprocess.TimeoutExpired:
        raise harness.TestFailure("feedmux match %r ran over %.0f s"
                                  % (args, timeout))
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


# (arguments, text, exit status)
CASES = [
    # The motivating user's filter, from ARABIC-MATCHING.md.
    (["--any", "روسيا", "--any", "اليابان", "--none", "رياضة"],
     "تهديدا لروسيا", 0),
    (["--any", "روسيا", "--any", "اليابان"], "بين روسيا واليابان", 0),
    (["--any", "روسيا", "--any", "اليابان"], "نظيره الياباني", 0),
    (["--any", "روسيا", "--any", "اليابان"], "القمة الروسية الصينية", 1),
    (["--any", "اليابان", "--none", "رياضة"],
     "<h1>المنتخب الياباني</h1><p>أخبار الرياضة</p>", 1),
    # Tashkeel, hamza forms, tatweel and presentation forms fold away.
    (["--any", "روسيا"], "رُوسِيَا", 0),
    (["--any", "روسيا"], "روســيا", 0),
    (["--any", "روسيا"], "ﺭﻭﺳﻴﺎ", 0),
    (["--any", "إيران"], "ايران", 0),
    # --all: every one; --none: not one; --opt=K works like --opt K.
    (["--all", "Japan", "--all", "Russia"], "Japan and Russia", 0),
    (["--all=Japan", "--all=Russia"], "Japan alone", 1),
    (["--none=sport"], "Japan sport", 1),
    (["--none=sport"], "Japan", 0),
    # HTML: attributes are not text, tags separate words.
    (["--any", "Japan"], '<img alt="Japan" src="x.png">', 1),
    (["--any", "Japan"], "<p>Ja<b>pan</b></p>", 1),
    (["--any", "Japan"], "&#74;apan", 0),
    (["--any", "New York"], "New<br>York", 0),
    # No keywords: everything passes, even nothing.
    ([], "", 0),
    ([], "anything", 0),
    (["--any", "Japan"], "", 1),
    (["--none", "Japan"], "", 0),
    # Bad bytes on stdin are text to survive, not an error.
    (["--any", "Japan"], b"\xffJapan\xfe", 0),
    (["--any", "Japan"], b"Ja\x00pan Japan", 0),
    (["--any", "Japan"], b"Ja\x00pan", 1),
    # Prefix and strict keywords.
    (["--any", "Japan*"], "Japanese", 0),
    (["--any", "=اليابان"], "الياباني", 1),
    (["--any", "روس*"], "روستوف", 0),
]

# (arguments, what stderr must contain)
ERRORS = [
    (["--any", "=Japan*"], 'keyword "=Japan*": "=" (strict) and "*"'),
    (["--all", "x*"], 'keyword "x*": a prefix needs at least 3 letters'),
    (["--none", "..."], 'keyword "...": no letters or digits'),
    (["--any", "Japan", "--any", "رو*"],
     'keyword "رو*": a prefix needs at least 3 letters'),
    ([b"--any", b"Jap\xff"], "keyword is not valid UTF-8"),
    ([b"--any=\xd8"], "keyword is not valid UTF-8"),
    (["--any"], "usage:"),
    (["--anything", "x"], "usage:"),
    (["Japan"], "usage:"),
    (["-c", "/dev/null"], "usage:"),
]


def main(env):
    for i, (args, text, want) in enumerate(CASES):
        rc, out, err = run_match(env, args, text)
        soft_check(rc == want, "case %d: feedmux match %r < %r: exit %d, "
                   "want %d\n%s", i, args, text, rc, want, err)
        soft_check(err == "", "case %d: stderr %r", i, err)

    for args, want in ERRORS:
        rc, out, err = run_match(env, args, "Japan")
        soft_check(rc == 2, "feedmux match %r: exit %d, want 2", args, rc)
        soft_check(want in err, "feedmux match %r: stderr %r, want %r", args,
                   err, want)

    # The sample article with tashkeel on every other letter, as HTML.
    path = os.path.join(os.path.dirname(env.args.fixtures), "match",
                        "000_d32914e065732caa.txt")
    with open(path, encoding="utf-8") as f:
        article = add_tashkeel(f.read())
    check(sum(map(article.count, TASHKEEL)) > 500, "tashkeel not added")
    html = "<div>%s</div>" % article.replace("\n", "<br>\n")
    for args, want in ((["--any", "روسيا", "--any", "اليابان"], 0),
                       (["--all", "روسيا", "--all", "اليابان"], 0),
                       (["--all", "سيرغي لافروف", "--all", "طوكيو"], 0),
                       (["--any", "الصين", "--any", "بكين"], 1),
                       (["--any", "روسيا", "--none", "لافروف"], 1)):
        rc, out, err = run_match(env, args, html)
        check(rc == want, "article: feedmux match %r: exit %d, want %d\n%s",
              args, rc, want, err)

    # -v says why.
    rc, out, err = run_match(env, ["-v", "--any", "روسيا", "--none", "رياضة"],
                             "<p>رُوسيا</p> و<b>اليابان</b>")
    check(rc == 0, "-v: exit %d", rc)
    check(out.splitlines() == ["tokens: روسيا و اليابان",
                               "--any روسيا: matches",
                               "--none رياضة: no match",
                               "passes"], "-v printed %r", out)

    # A large input in bounded time.
    big = ("كلام " * 400000) + "روسيا"
    rc, out, err = run_match(env, ["--any", "روسيا"], big, timeout=60)
    check(rc == 0, "4 MB of text: exit %d", rc)


harness.run(main)
