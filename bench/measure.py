"""Run one command in a fresh process and report its wall time and peak RSS as JSON.

    python bench/measure.py OUTFILE -- CMD [ARG…]

The command's stdout goes to OUTFILE (stderr is kept in OUTFILE.err); the last
line printed is ``{"seconds": …, "cpu_seconds": …, "max_rss_bytes": …, "returncode": …}``. Peak
RSS comes from ``getrusage(RUSAGE_CHILDREN)`` of this wrapper, whose only child
is the command, so it is that command's own peak (Linux reports kilobytes).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    out, cmd = argv[0], argv[2:]
    with open(out, "wb") as fh, open(out + ".err", "wb") as err:
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=fh, stderr=err, check=False)
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                      "max_rss_bytes": usage.ru_maxrss * 1024, "returncode": proc.returncode}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
