#!/usr/bin/env python3
"""The parser against the shared conformance corpus: every feed of
../shared/conformance parsed by one `feedmux parse --sidecars` process,
then compare.py must find 100% of the core and http tiers. The stretch
tier's figure is printed, not judged. Without the corpus the test says it
was skipped (exit 77, CTest's SKIP_RETURN_CODE)."""

import argparse
import os
import subprocess
import sys
import tempfile

SKIP = 77


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feedmux", required=True)
    ap.add_argument("--conformance", required=True)
    args = ap.parse_args()

    conf = os.path.abspath(args.conformance)
    cases = os.path.join(conf, "feedparser-cases")
    if not os.path.isdir(cases) or not os.path.isfile(os.path.join(conf, "compare.py")):
        print("skipped: no conformance corpus at %s" % conf)
        return SKIP

    # The same files, under the same keys, as the oracle's.
    sys.path.insert(0, conf)
    import run_candidate  # noqa: E402

    files = [os.path.relpath(path, cases) for _, path in run_candidate.collect([cases])]
    if len(files) < 1000:
        print("conformance corpus has only %d files" % len(files))
        return 1

    with tempfile.NamedTemporaryFile("w+b", suffix=".jsonl") as out:
        proc = subprocess.run([args.feedmux, "parse", "--sidecars", "--"] + files,
                              cwd=cases, stdout=out, stderr=subprocess.PIPE, timeout=300)
        if proc.returncode != 0:
            print("feedmux parse exited %d: %s" % (proc.returncode,
                                                    proc.stderr.decode(errors="replace")[-2000:]))
            return 1
        out.flush()
        compare = [sys.executable, os.path.join(conf, "compare.py"),
                   os.path.join(conf, "oracle.jsonl"), out.name]
        stretch = subprocess.run(compare + ["--tier", "stretch"], stdout=subprocess.PIPE,
                                 timeout=300)
        tail = stretch.stdout.decode().strip().splitlines()
        print("stretch tier (not judged): %s" % (tail[-1] if tail else "?"))
        core = subprocess.run(compare + ["--tier", "core,http", "--fail-under", "1.0"],
                              timeout=300)
        return core.returncode


if __name__ == "__main__":
    sys.exit(main())
