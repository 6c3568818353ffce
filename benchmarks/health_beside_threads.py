"""Whether CPU-bound threads in the server process keep its event loop from answering (issue 28's
hypotheses for "new visitors locked out under load": the interpreter lock's convoy effect, a nice-19
thread holding the lock while other work has the CPU, thread oversubscription).

    python benchmarks/health_beside_threads.py [--threads 6] [--probes 40]

A one-line Streamlit page whose first run starts ``--threads`` threads in the server process, each
training the app's encoder (``core.pipeline.train``: a Python-level loop of small torch steps, the
most lock-hungry stage) on a (2000, 384) array over and over; ``--nice`` lowers them to nice 19 as
``core.session.background`` lowers a background pass. Then ``/_stcore/health`` is asked ``--probes`` times
(every 0.25 s) and ``/`` 5 times. Measured in the same run: the same server with 0 threads, with
``--threads`` threads, and with ``--threads`` nice-19 threads. Prints seconds to the first byte and
the load average (the machine is shared).
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import time
from pathlib import Path

from _browser import ROOT, StreamlitServer, chromium_page

PAGE = '''import os
import sys
import threading

import numpy as np
import streamlit as st

sys.path.insert(0, ROOT)
from core.config import EncoderConfig
from core.pipeline import train


@st.cache_resource
def start() -> int:
    n, nice = int(os.environ["TRAINERS"]), os.environ.get("TRAINERS_NICE") == "1"
    X = np.random.default_rng(0).standard_normal((2000, 384)).astype(np.float32)

    def loop(seed: int) -> None:
        if nice:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        while True:
            train(X, EncoderConfig(epochs=5), seed)

    for i in range(n):
        threading.Thread(target=loop, args=(i,), daemon=True).start()
    return n


st.markdown(f"<div id='started'>{start()} threads</div>", unsafe_allow_html=True)
'''


def first_byte(port: int, path: str, timeout: float = 60.0) -> float | None:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        seconds = time.monotonic() - started
        response.read()
        return seconds
    except OSError:
        return None
    finally:
        connection.close()


def measure(page: Path, threads: int, nice: bool, probes: int) -> str:
    env = dict(os.environ, TRAINERS=str(threads), TRAINERS_NICE="1" if nice else "0", HF_HUB_OFFLINE="1")
    server = StreamlitServer(ROOT, str(page), [], env, page.parent / f"streamlit-{threads}-{nice}.log")
    try:
        server.wait_healthy(120)
        with chromium_page() as browser_page:  # one run starts the threads
            browser_page.goto(server.url)
            browser_page.wait_for_selector("#started", timeout=120_000)
        time.sleep(3.0)
        health = []
        for _ in range(probes):
            health.append(first_byte(server.port, "/_stcore/health"))
            time.sleep(0.25)
        index = [first_byte(server.port, "/") for _ in range(5)]
    finally:
        server.stop()
    answered = [s for s in health if s is not None]
    return (f"{threads} training threads{' at nice 19' if nice else ''}: /_stcore/health median "
            f"{statistics.median(answered):.3f} s, max {max(answered):.3f} s, {len(health) - len(answered)} "
            f"unanswered of {len(health)}; first byte of / max {max(s or 60.0 for s in index):.3f} s; "
            f"load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--probes", type=int, default=40)
    args = parser.parse_args()
    page = Path(tempfile.mkdtemp(prefix="health_beside_threads_")) / "page.py"
    page.write_text(PAGE.replace("sys.path.insert(0, ROOT)", f"sys.path.insert(0, {str(ROOT)!r})"))
    print(f"machine: {os.cpu_count()} CPUs", flush=True)
    for threads, nice in ((0, False), (args.threads, False), (args.threads, True)):
        print(measure(page, threads, nice, args.probes), flush=True)


if __name__ == "__main__":
    main()
