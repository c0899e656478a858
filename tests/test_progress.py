"""Progress on long work: a bar (rows done, rate, time left) and the stage on a terminal;
off a terminal, nothing at all (and rich is not imported)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from factpack.core import progress
progress.LARGE_BYTES = int(sys.argv[2])
with progress.stage("stage one"):
    with progress.rows("validating t", Path(sys.argv[1])) as tick:
        for _ in range(4):
            tick(1000)
            import time; time.sleep(0.3)
print("rich loaded" if "rich" in sys.modules else "no rich")
"""


def run(args: list[str], terminal: bool) -> tuple[str, str]:
    """stdout and stderr of ``python -c SCRIPT args``, stderr on a pseudo-terminal or a pipe."""
    cmd = [sys.executable, "-c", SCRIPT, *args]
    if not terminal:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
        return done.stdout, done.stderr
    main, sub = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sub, env={
        **os.environ, "TERM": "xterm", "COLUMNS": "160"})
    os.close(sub)
    seen = b""
    while True:
        ready, _, _ = select.select([main], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(main, 1 << 16)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=300)
    os.close(main)
    return out, seen.decode(errors="replace")


def test_a_large_file_shows_a_bar_and_the_stage_on_a_terminal(tmp_path: Path):
    data = tmp_path / "t.csv"
    data.write_text("n\n" + "".join(f"{i}\n" for i in range(10_000)))
    out, err = run([str(data), "0"], terminal=True)
    assert out == "rich loaded\n"
    assert "stage one" in err and "validating t" in err
    assert "rows/s" in err and "/10" in err  # rows done of the estimated total, and the rate


def test_off_a_terminal_nothing_is_printed_and_rich_is_not_loaded(tmp_path: Path):
    data = tmp_path / "t.csv"
    data.write_text("n\n" + "".join(f"{i}\n" for i in range(10_000)))
    assert run([str(data), "0"], terminal=False) == ("no rich\n", "")


def test_a_small_file_shows_no_bar_even_on_a_terminal(tmp_path: Path):
    data = tmp_path / "t.csv"
    data.write_text("n\n1\n")
    out, err = run([str(data), str(1 << 20)], terminal=True)
    assert out == "rich loaded\n"  # the stage still shows
    assert "validating t" not in err and "stage one" in err
