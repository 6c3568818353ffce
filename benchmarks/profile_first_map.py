"""Where the demo corpus's first map spends its time: py-spy samples the Streamlit server while a
Chromium page opens it on a fresh cache (``cold``) or after a first visit (``warm``), and the script
thread's samples are summed by function.

    python benchmarks/profile_first_map.py cold|warm      # needs py-spy (pip install py-spy)

Sampling slows Python code, so the shares matter, not the seconds.
"""
from __future__ import annotations

import argparse
import collections
import os
import subprocess
import tempfile
import time
from pathlib import Path

from _browser import ROOT, StreamlitServer, chromium_page, time_to_map, wait_idle


def summary(raw: Path, top: int = 40) -> None:
    per: collections.Counter = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if "ScriptRunner" not in frames[0]:
            continue
        for name in dict.fromkeys(f.split(" (")[0] + " " + f.split("(")[-1].split(":")[0].split("/")[-1]
                                  for f in frames[1:]):
            per[name] += int(count)
    for name, count in per.most_common(top):
        print(f"{count / 50:7.2f} s  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=["cold", "warm"], default="cold",
                        help="a fresh cache, or after a first visit")
    which = parser.parse_args().which
    folder = Path(tempfile.mkdtemp())
    env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(folder / "cache"), HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    server = StreamlitServer(ROOT, "app.py", [], env, folder / "streamlit.log")
    server.wait_healthy(120)
    raw = folder / f"spy_{which}.txt"
    try:
        if which == "warm":
            with chromium_page() as page:
                time_to_map(page, server, final=True, timeout=300)
                wait_idle(page, timeout=300, server=server)
        spy = subprocess.Popen(["py-spy", "record", "-r", "50", "-f", "raw", "-o", str(raw), "--pid",
                                str(server.proc.pid), "--threads", "--idle"])
        time.sleep(1.5)
        with chromium_page() as page:
            seconds, state = time_to_map(page, server, final=which == "warm", timeout=300)
        spy.send_signal(2)
        spy.wait()
        print(f"{which}: map after {seconds:.1f} s ({state['title']})")
        summary(raw)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
